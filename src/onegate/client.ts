// The OneGate client: the calls of contract section 4 on the HTTP layer of src/host/http.ts, with a
// timeout on every request and retries with backoff where a later attempt can succeed. No global
// state: every client owns its settings, counters and (unless given one) its connection pool, so
// many can share a process.

import { ConfigError, InternalError, OneGateError, type ConfigIssue } from '../errors.ts';
import { READ_LIMITS, ReadRefused } from '../host/bounded-read.ts';
import { realClock, type Clock } from '../host/clock.ts';
import { AttemptTimeout, createDispatcher, errorFacts, isRetryableStatus, isTimeoutCode, readPemFile, requestText, trustedCas, withRetry, type AttemptOutcome, type Dispatcher } from '../host/http.ts';
import { OneGateAnswerError } from './answer-error.ts';
import { isExtendedAnswer, parseJson, parseServiceAnswer, parseVmAnswer, type ServiceRecord, type VmRecord } from './parse.ts';
import { resolveRetry, type RetryOptions, type RetryPolicy } from './retry.ts';

/** pino-compatible: `(obj, msg)`. */
export interface OneGateLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface OneGateClientOptions {
  /** ONEGATE_ENDPOINT, e.g. `http://169.254.16.9:5030`; a path prefix is kept. */
  endpoint: string;
  /** VMID of this VM. */
  vmId: number | string;
  /** TOKENTXT. Never logged, never in an error message. */
  token: string;
  /** A PEM file of CAs trusted in addition to the system's, for an https endpoint. */
  caFile?: string;
  /** Per request, headers and body included. Default 10 s. */
  timeoutMs?: number;
  retry?: RetryOptions;
  logger?: OneGateLogger;
  /** An undici dispatcher to use instead of the client's own pool; it then owns TLS settings too. */
  dispatcher?: Dispatcher;
  /**
   * After the server ignored `extended`, how long serviceShowExtended goes straight to the per-VM
   * calls before it asks for `extended` again (a OneGate upgrade is then noticed). Default 10 min.
   */
  extendedReprobeMs?: number;
  /** Per-VM requests in flight at once when falling back. Default 4. */
  fallbackConcurrency?: number;
  /** Source of jitter, [0, 1). For tests. Default the clock's. */
  random?: () => number;
  /** Time of the retries and of the `extended` re-probe. Default the real one. */
  clock?: Clock;
}

export const ONEGATE_ROUTES = ['GET /vm', 'GET /vms/:id', 'PUT /vm', 'PUT /vms/:id', 'GET /service', 'GET /service?extended'] as const;
export type OneGateRoute = (typeof ONEGATE_ROUTES)[number];

export interface OneGateClientStats {
  /** HTTP requests sent per route, retries included. */
  requests: Record<OneGateRoute, number>;
  /** All requests sent. */
  total: number;
  /** Requests that were retries of a failed one. */
  retries: number;
  /** Calls that ended with an error. */
  failures: number;
  /** Whether serviceShowExtended is currently using the per-VM calls. */
  extendedFallback: boolean;
}

export interface OneGateClient {
  readonly vmId: number;
  /** `GET /vm`: this VM. */
  vmShow(): Promise<VmRecord>;
  /** `GET /vms/<id>`: another VM of the service. 400 (not in the service) and 404 are final. */
  vmShowById(id: number | string): Promise<VmRecord>;
  /** Merges keys into the USER_TEMPLATE of this VM, or of `vmId`. */
  vmUpdate(keys: Readonly<Record<string, string>>, vmId?: number | string): Promise<void>;
  /** Deletes one USER_TEMPLATE key. Deleting an absent key succeeds (so a retried delete does too). */
  vmDeleteKey(key: string, vmId?: number | string): Promise<void>;
  /** `GET /service`: nodes carry only ids and names. */
  serviceShow(): Promise<ServiceRecord>;
  /**
   * The service with each node's full VM in `node.vm`: one `GET /service?extended=true`, or, when
   * the server ignores `extended`, `GET /service` plus `GET /vms/<id>` per node. A node whose VM is
   * unknown for now (vm_info null, or gone between the two calls) has no `vm`.
   */
  serviceShowExtended(): Promise<ServiceRecord>;
  stats(): OneGateClientStats;
  resetStats(): void;
  /** Closes the client's own connection pool (not a dispatcher given in the options). */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_REPROBE_MS = 10 * 60_000;
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What one failed attempt came to (whether it is retryable travels beside it). */
interface Failure {
  status: number | undefined;
  /** For the final error message. */
  detail: string;
  /** Short, for the retry log line. */
  reason: string;
  cause?: unknown;
}

interface CallSpec<T> {
  method: 'GET' | 'PUT';
  path: string;
  route: OneGateRoute;
  body?: string;
  /** 2xx body → result; throws OneGateAnswerError when malformed (then retried). */
  read(text: string): T;
  /** A non-2xx answer that still means success; the result is then `read('')`. */
  alsoOk?(status: number, text: string): boolean;
  /** 404 here means OneFlow is briefly unavailable, not that something is gone. */
  retryOn404?: boolean;
}

function toVmId(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  return /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

/** Codes of TLS verification failures: final, and the operator must act (caFile). */
function isCertificateCode(code: string): boolean {
  return /^(CERT_|ERR_TLS_CERT_|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE|DECRYPT_CERT)|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|INVALID_CA|PATH_LENGTH_EXCEEDED|HOSTNAME_MISMATCH)/.test(
    code,
  );
}

/** Errors that no retry can fix: bad arguments, a TLS protocol mismatch (https to an http port). */
function isFinalCode(code: string): boolean {
  return code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED' || code === 'ERR_INVALID_URL' || code.startsWith('ERR_SSL_');
}

/** First line of an error body, shortened: enough to say what the server said. */
function firstLine(text: string): string {
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

export function createOneGateClient(options: OneGateClientOptions): OneGateClient {
  const issues: ConfigIssue[] = [];
  let base: URL | undefined;
  try {
    base = new URL(options.endpoint);
  } catch {
    base = undefined;
  }
  if (base === undefined || (base.protocol !== 'http:' && base.protocol !== 'https:') || base.username !== '' || base.password !== '') {
    issues.push({ variable: 'ONEGATE_ENDPOINT', shown: options.endpoint || '(empty)', expected: 'an http:// or https:// URL without credentials' });
  }
  const vmId = toVmId(options.vmId);
  if (vmId === undefined) issues.push({ variable: 'VMID', shown: String(options.vmId) || '(empty)', expected: 'a VM ID (digits)' });
  const token = options.token;
  if (typeof token !== 'string' || token.trim() === '' || /[\r\n\0]/.test(token)) {
    issues.push({ variable: 'TOKENTXT', shown: token ? '(hidden)' : '(empty)', expected: 'the OneGate token, one line (TOKEN=YES in the VM template)' });
  }
  let extraCa: string | undefined;
  if (options.caFile !== undefined) {
    const read = readPemFile(options.caFile);
    if ('error' in read) {
      issues.push({ variable: 'caFile', shown: options.caFile, expected: `a readable PEM file (${read.error})` });
    } else {
      extraCa = read.pem;
      if (!extraCa.includes('-----BEGIN CERTIFICATE-----')) {
        issues.push({ variable: 'caFile', shown: options.caFile, expected: 'a PEM file of CA certificates' });
      }
    }
  }
  if (issues.length > 0 || base === undefined || vmId === undefined) throw new ConfigError(issues);

  const origin = base.origin;
  const host = base.host;
  const basePath = base.pathname.replace(/\/+$/, '');
  const policy: RetryPolicy = resolveRetry(options.retry);
  // Full jitter; 5xx, 408 and 429 are worth another attempt (404 too where a route says so).
  const retryOn = { ...policy, retryStatuses: [408, 429] };
  const timeoutMs = options.timeoutMs !== undefined && options.timeoutMs > 0 ? options.timeoutMs : DEFAULT_TIMEOUT_MS;
  const reprobeMs = options.extendedReprobeMs ?? DEFAULT_REPROBE_MS;
  const concurrency = Math.max(1, Math.floor(options.fallbackConcurrency ?? 4));
  const baseClock = options.clock ?? realClock;
  const clock: Clock = options.random ? { ...baseClock, random: options.random } : baseClock;
  const logger = options.logger;

  let ownAgent: Dispatcher | undefined;
  let dispatcher: Dispatcher;
  if (options.dispatcher) {
    dispatcher = options.dispatcher;
  } else {
    // Certificate verification stays on, always. Giving `ca` replaces Node's store, so the system's
    // CAs go in first and the caFile's are added to them.
    const ca = base.protocol === 'https:' ? trustedCas(extraCa) : undefined;
    ownAgent = createDispatcher({ ...(ca ? { tls: { ca } } : {}), connectTimeoutMs: timeoutMs });
    dispatcher = ownAgent;
  }

  const counts = (): Record<OneGateRoute, number> => Object.fromEntries(ONEGATE_ROUTES.map((r) => [r, 0])) as Record<OneGateRoute, number>;
  let requests = counts();
  let retries = 0;
  let failures = 0;
  /** Until when serviceShowExtended skips the `extended` request; undefined: ask for it. */
  let fallbackUntil: number | undefined;

  const redact = (text: string): string => (token.length >= 8 ? text.split(token).join('[token]') : text);
  const safeCause = (error: unknown): unknown => {
    const facts = errorFacts(error);
    return token.length >= 8 && facts.message.includes(token) ? undefined : error;
  };

  async function attempt<T>(spec: CallSpec<T>, ms: number): Promise<AttemptOutcome<T, Failure>> {
    requests[spec.route] += 1;
    const headers: Record<string, string> = {
      'x-onegate-token': token,
      'x-onegate-vmid': String(vmId),
      accept: 'application/json',
      'user-agent': 'oneke',
    };
    // Form-encoded on purpose: OneGate reads `type` and `data` as form params; JSON bodies broke it.
    if (spec.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    let status: number;
    let text: string;
    try {
      ({ status, text } = await requestText({
        method: spec.method,
        url: `${origin}${basePath}${spec.path}`,
        headers,
        body: spec.body,
        dispatcher,
        timeoutMs: ms,
        headersTimeoutMs: ms,
        bodyTimeoutMs: ms,
        maxBytes: READ_LIMITS.oneGateBody,
      }));
    } catch (error) {
      if (error instanceof ReadRefused) {
        return { retryable: false, failure: { status: undefined, detail: `${host}: ${error.message}`, reason: 'answer too large' } };
      }
      const { code, message } = errorFacts(error);
      // Our own timer, or undici's own timeouts (set to the same length) when they fire first.
      if (error instanceof AttemptTimeout || isTimeoutCode(code)) {
        return { retryable: true, failure: { status: undefined, detail: `no answer within ${ms} ms (timeout)`, reason: 'timeout' } };
      }
      const what = redact(code && !message.includes(code) ? `${code} ${message}` : message);
      if (code !== undefined && isCertificateCode(code)) {
        return {
          retryable: false,
          failure: {
            status: undefined,
            detail: `TLS certificate of ${host} not trusted: ${what}; give its CA with caFile (verification is never turned off)`,
            reason: code,
            cause: safeCause(error),
          },
        };
      }
      const final = (code !== undefined && isFinalCode(code)) || error instanceof TypeError || error instanceof RangeError;
      return { retryable: !final, failure: { status: undefined, detail: `cannot talk to ${host}: ${what}`, reason: code ?? what, cause: safeCause(error) } };
    }

    if (status >= 200 && status < 300) {
      try {
        return { value: spec.read(text) };
      } catch (error) {
        if (!(error instanceof OneGateAnswerError)) throw error;
        return { retryable: true, failure: { status, detail: error.message, reason: error.message, cause: error } };
      }
    }
    if (spec.alsoOk?.(status, text) === true) return { value: spec.read('') };
    const retryable = isRetryableStatus(status, retryOn) || (status === 404 && spec.retryOn404 === true);
    const said = redact(firstLine(text));
    return { retryable, failure: { status, detail: said, reason: `HTTP ${status}${said ? ` ${said}` : ''}` } };
  }

  async function call<T>(spec: CallSpec<T>): Promise<T> {
    const outcome = await withRetry(retryOn, (_n, remaining) => attempt(spec, Math.max(1, Math.min(timeoutMs, remaining !== undefined && remaining > 0 ? remaining : timeoutMs))), {
      clock,
      onRetry: (failure, n, wait) => {
        retries += 1;
        const line = { method: spec.method, path: spec.path, attempt: n, attempts: policy.attempts, status: failure.status, reason: failure.reason, retryInMs: wait };
        const msg = `OneGate ${spec.method} ${spec.path} failed (${failure.reason}), retrying in ${wait} ms`;
        // The first retry is routine (a blip); later ones mean OneGate is having trouble.
        if (n === 1) logger?.debug(line, msg);
        else logger?.warn(line, msg);
      },
    });
    if ('value' in outcome) return outcome.value;
    const { failure, why, attempts: n, elapsedMs } = outcome.gaveUp;
    failures += 1;
    const elapsed = (elapsedMs / 1000).toFixed(1);
    const said =
      why === 'final'
        ? ''
        : why === 'attempts'
          ? ` (gave up after ${n} attempt${n === 1 ? '' : 's'} in ${elapsed} s)`
          : ` (gave up after ${n} attempt${n === 1 ? '' : 's'}: deadline of ${policy.deadlineMs} ms)`;
    throw new OneGateError(spec.method, spec.path, failure.status, `${failure.detail}${said}`, failure.cause);
  }

  const targetOf = (id: number | string | undefined, what: string): { path: string; byId: boolean } => {
    if (id === undefined) return { path: '/vm', byId: false };
    const n = toVmId(id);
    if (n === undefined) throw new InternalError(`${what}: VM ID ${JSON.stringify(String(id))} is not a number`);
    return { path: `/vms/${n}`, byId: true };
  };

  const vmShowById = async (id: number | string): Promise<VmRecord> => {
    const { path } = targetOf(id, 'vmShowById');
    return call({ method: 'GET', path, route: 'GET /vms/:id', read: (t) => parseVmAnswer(parseJson(t)) });
  };

  const serviceShow = (): Promise<ServiceRecord> => call({ method: 'GET', path: '/service', route: 'GET /service', retryOn404: true, read: (t) => parseServiceAnswer(parseJson(t)) });

  /** The fallback: fills node.vm with `GET /vms/<id>`, a few at a time. */
  async function fillNodes(service: ServiceRecord): Promise<ServiceRecord> {
    const nodes = service.roles.flatMap((role) => role.nodes).filter((node) => node.vm === undefined && node.vmId !== undefined);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < nodes.length) {
        const node = nodes[next++];
        if (node?.vmId === undefined) continue;
        try {
          node.vm = await vmShowById(node.vmId);
        } catch (error) {
          // Gone, or out of the service, between the two calls: unknown for this poll, like vm_info null.
          if (error instanceof OneGateError && (error.status === 404 || error.status === 400)) continue;
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, nodes.length) }, worker));
    return service;
  }

  return {
    vmId,

    vmShow: () => call({ method: 'GET', path: '/vm', route: 'GET /vm', read: (t) => parseVmAnswer(parseJson(t)) }),

    vmShowById,

    async vmUpdate(keys, id) {
      const { path, byId } = targetOf(id, 'vmUpdate');
      const lines: string[] = [];
      for (const [key, value] of Object.entries(keys)) {
        // One line per key on the wire: a newline in a value would smuggle in another key.
        if (!KEY_PATTERN.test(key)) throw new InternalError(`vmUpdate: invalid OneGate key ${JSON.stringify(key)}`);
        if (typeof value !== 'string' || /[\r\n]/.test(value)) throw new InternalError(`vmUpdate: value of ${key} must be one line of text`);
        lines.push(`${key}=${value}`);
      }
      if (lines.length === 0) return;
      const body = new URLSearchParams({ type: '1', data: lines.join('\n') }).toString();
      await call({ method: 'PUT', path, route: byId ? 'PUT /vms/:id' : 'PUT /vm', body, read: () => undefined });
    },

    async vmDeleteKey(key, id) {
      const { path, byId } = targetOf(id, 'vmDeleteKey');
      if (!KEY_PATTERN.test(key)) throw new InternalError(`vmDeleteKey: invalid OneGate key ${JSON.stringify(key)}`);
      const body = new URLSearchParams({ type: '2', data: key }).toString();
      await call({
        method: 'PUT',
        path,
        route: byId ? 'PUT /vms/:id' : 'PUT /vm',
        body,
        read: () => undefined,
        // OneGate answers 500 "attribute not found" for an absent key; the key is gone either way.
        alsoOk: (status, text) => status === 500 && /attribute not found/i.test(text),
      });
    },

    serviceShow,

    async serviceShowExtended() {
      if (fallbackUntil !== undefined && clock.now() < fallbackUntil) return fillNodes(await serviceShow());
      const service = await call({
        method: 'GET',
        path: '/service?extended=true',
        route: 'GET /service?extended',
        retryOn404: true,
        read: (t) => parseServiceAnswer(parseJson(t)),
      });
      if (isExtendedAnswer(service)) {
        fallbackUntil = undefined;
        return service;
      }
      if (fallbackUntil === undefined) {
        logger?.info({ path: '/service?extended=true' }, 'OneGate ignores extended; using one request per VM');
      }
      fallbackUntil = clock.now() + reprobeMs;
      return fillNodes(service);
    },

    stats: () => ({
      requests: { ...requests },
      total: Object.values(requests).reduce((a, b) => a + b, 0),
      retries,
      failures,
      extendedFallback: fallbackUntil !== undefined && clock.now() < fallbackUntil,
    }),

    resetStats() {
      requests = counts();
      retries = 0;
      failures = 0;
    },

    async close() {
      const agent = ownAgent;
      ownAgent = undefined;
      if (agent) await agent.close();
    },
  };
}
