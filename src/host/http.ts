import { readFileSync } from 'node:fs';
import { getCACertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, interceptors, request } from './undici-core.ts';
import type { Dispatcher } from 'undici';
import { readBodyText, ReadRefused } from './bounded-read.ts';
import { backoffDelay, realClock, type Backoff, type Clock } from './clock.ts';

export type { Dispatcher };

// The one HTTP layer of the agent, over undici: connection pools whose TLS, proxy and timeouts are
// values, one request with a timeout over the whole attempt and a bounded answer, and one retry loop
// whose policy is a value too. The OneGate client, the cleaner's Kubernetes API client and install's
// downloader are its users: each keeps its own messages, this keeps the mechanics.

/** How a call retries. Plain data (the predicate aside), so tests pass tiny numbers. */
export interface RetryPolicy extends Backoff {
  /** Most attempts per call, the first included. */
  attempts: number;
  /** No retry starts when its wait would end this long after the call began. Absent: no deadline. */
  deadlineMs?: number;
  /** HTTP statuses besides 5xx worth another attempt (408, 429…). */
  retryStatuses?: readonly number[];
}

/** Whether an HTTP answer with this status is worth another attempt under `policy`. */
export function isRetryableStatus(status: number, policy: Pick<RetryPolicy, 'retryStatuses'>): boolean {
  return status >= 500 || (policy.retryStatuses ?? []).includes(status);
}

/** The outcome of one attempt: a value, or a failure the caller describes, retryable or not. */
export type AttemptOutcome<T, F> = { value: T } | { failure: F; retryable: boolean };

/** Why a call stopped retrying. */
export interface GaveUp<F> {
  failure: F;
  /** `final`: the failure was not retryable; `attempts`: all were spent; `deadline`: out of time. */
  why: 'final' | 'attempts' | 'deadline';
  /** Attempts made. */
  attempts: number;
  elapsedMs: number;
}

/**
 * Runs `attempt` until it gives a value, its failure is final, the attempts are spent or the next
 * wait would end past the deadline. `attempt` gets its number (1 = the first) and the time left
 * before the deadline (undefined without one); `onRetry` hears of each retry before its wait.
 * Errors thrown by `attempt` are not retried: they go up as they are.
 */
export async function withRetry<T, F>(
  policy: RetryPolicy,
  attempt: (n: number, remainingMs: number | undefined) => Promise<AttemptOutcome<T, F>>,
  options: { clock?: Clock; onRetry?: (failure: F, n: number, waitMs: number) => void } = {},
): Promise<{ value: T } | { gaveUp: GaveUp<F> }> {
  const clock = options.clock ?? realClock;
  const attempts = Math.max(1, Math.floor(policy.attempts));
  const started = clock.now();
  const deadline = policy.deadlineMs === undefined ? undefined : started + policy.deadlineMs;
  for (let n = 1; ; n++) {
    const outcome = await attempt(n, deadline === undefined ? undefined : deadline - clock.now());
    if ('value' in outcome) return outcome;

    const wait = backoffDelay(n, policy, clock.random);
    const outOfAttempts = n >= attempts;
    const outOfTime = deadline !== undefined && clock.now() + wait >= deadline;
    if (!outcome.retryable || outOfAttempts || outOfTime) {
      const why = !outcome.retryable ? 'final' : outOfAttempts ? 'attempts' : 'deadline';
      return { gaveUp: { failure: outcome.failure, why, attempts: n, elapsedMs: clock.now() - started } };
    }
    options.onRetry?.(outcome.failure, n, wait);
    await clock.sleep(wait);
  }
}

/** An attempt that ran out of its time; the signal's reason, and what the attempt then throws. */
export class AttemptTimeout extends Error {
  readonly ms: number;

  constructor(ms: number, message = `no answer within ${ms} ms`) {
    super(message);
    this.name = 'AttemptTimeout';
    this.ms = ms;
  }
}

/**
 * Runs `work` with a signal that aborts after `ms`; when it did, what `work` throws is replaced by
 * the AttemptTimeout (`timeout`, when given, is the one to use: a message of the caller's).
 */
export async function withAttemptTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>, timeout?: AttemptTimeout): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(timeout ?? new AttemptTimeout(ms)), ms);
  try {
    return await work(controller.signal);
  } catch (error) {
    if (controller.signal.aborted && controller.signal.reason instanceof AttemptTimeout && !(error instanceof ReadRefused)) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The error and its causes, outermost first (undici nests them; connect may aggregate). At most 10. */
export function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 10 && !chain.includes(current)) {
    chain.push(current);
    if (current instanceof AggregateError) chain.push(...current.errors);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * The first error code along the chain of Errors, with its message (or the first message found), the
 * first of an AggregateError's errors standing for it.
 */
export function errorFacts(error: unknown): { code: string | undefined; message: string } {
  const seen = new Set<unknown>();
  let message: string | undefined;
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    message ??= current.message || undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return { code, message: current.message || message || code };
    current = current instanceof AggregateError && current.errors.length > 0 ? current.errors[0] : current.cause;
  }
  return { code: undefined, message: message ?? String(error) };
}

/** undici's own timeouts: connecting, waiting for headers, a silent body. */
export function isTimeoutCode(code: string | undefined): boolean {
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

/** TLS settings of a connection pool. Verification is on unless `rejectUnauthorized` is false. */
export interface TlsOptions {
  /** PEM CAs; replaces Node's store (see `trustedCas`). */
  ca?: string | string[];
  /** PEM client certificate and key. */
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized?: boolean;
}

export interface DispatcherOptions {
  tls?: TlsOptions;
  /** Until the connection is made (TLS included). */
  connectTimeoutMs?: number;
  /** Defaults of every request: until the headers arrive, longest silence of the body. */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** HTTP(S)_PROXY / NO_PROXY from the environment. */
  proxyFromEnvironment?: boolean;
  /** Redirects followed, at most this many. Absent: none. */
  maxRedirections?: number;
}

/** A connection pool with these settings; the caller closes it. */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const connect = { ...options.tls, ...(options.connectTimeoutMs === undefined ? {} : { timeout: options.connectTimeoutMs }) };
  const settings = {
    connect,
    ...(options.headersTimeoutMs === undefined ? {} : { headersTimeout: options.headersTimeoutMs }),
    ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeout: options.bodyTimeoutMs }),
  };
  const pool: Dispatcher = options.proxyFromEnvironment ? new EnvHttpProxyAgent(settings) : new Agent(settings);
  return options.maxRedirections === undefined ? pool : pool.compose(interceptors.redirect({ maxRedirections: options.maxRedirections }));
}

/** Node's CAs and the system's, plus `extra` (PEM): for `ca`, which replaces Node's store. */
export function trustedCas(extra?: string): string[] {
  const cas = new Set<string>(getCACertificates('default'));
  try {
    for (const ca of getCACertificates('system')) cas.add(ca);
  } catch {
    // No system store on this platform: Node's bundled CAs and NODE_EXTRA_CA_CERTS remain.
  }
  return [...cas, ...(extra ? [extra] : [])];
}

/** The text of a PEM file the operator named (a CA file), or the error code of reading it. */
export function readPemFile(file: string): { pem: string } | { error: string } {
  try {
    return { pem: readFileSync(file, 'utf8') };
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? 'unreadable' };
  }
}

export interface HttpRequest {
  method: Dispatcher.HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  dispatcher: Dispatcher;
  /** The whole attempt, the body read included: past it the request throws AttemptTimeout. */
  timeoutMs: number;
  /** undici's per-request timeouts; absent: the dispatcher's. */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** The answer is abandoned past this many bytes (ReadRefused). */
  maxBytes: number;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * One request and its whole answer, whatever the status.
 * @throws AttemptTimeout, ReadRefused (answer too large), or undici's error.
 */
export function requestText(req: HttpRequest): Promise<HttpAnswer> {
  return withAttemptTimeout(req.timeoutMs, async (signal) => {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher: req.dispatcher,
      signal,
      ...(req.headersTimeoutMs === undefined ? {} : { headersTimeout: req.headersTimeoutMs }),
      ...(req.bodyTimeoutMs === undefined ? {} : { bodyTimeout: req.bodyTimeoutMs }),
    });
    // Bounded: an endless or huge answer is abandoned at the limit instead of filling memory.
    return { status: res.statusCode, text: await readBodyText(res.body, req.maxBytes) };
  });
}

/** One GET whose body the caller streams (a download); the answer is dumped when it is not 200. */
export async function requestStream(
  req: Omit<HttpRequest, 'maxBytes' | 'timeoutMs' | 'body' | 'method'> & { signal: AbortSignal },
): Promise<{ status: number; body: Dispatcher.ResponseData['body'] }> {
  const res = await request(req.url, {
    method: 'GET',
    headers: req.headers,
    dispatcher: req.dispatcher,
    signal: req.signal,
    ...(req.headersTimeoutMs === undefined ? {} : { headersTimeout: req.headersTimeoutMs }),
    ...(req.bodyTimeoutMs === undefined ? {} : { bodyTimeout: req.bodyTimeoutMs }),
  });
  if (res.statusCode !== 200) await res.body.dump().catch(() => undefined);
  return { status: res.statusCode, body: res.body };
}
