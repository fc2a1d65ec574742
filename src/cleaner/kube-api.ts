// A minimal client of the Kubernetes API for the cleaner: list the nodes, delete one. On the HTTP
// layer of src/host/http.ts with the admin client certificate of RKE2, read through the Host (so under
// --root), against a master's local API server by default. Every request has a timeout; a failed one
// is retried a couple of times with backoff, no more: the cleaner runs again in a few minutes anyway.

import { OnekeError, RuntimeProblem, UsageError } from '../errors.ts';
import { READ_LIMITS, ReadRefused } from '../host/bounded-read.ts';
import type { Clock } from '../host/clock.ts';
import type { Host } from '../host/host.ts';
import { AttemptTimeout, createDispatcher, errorFacts, isRetryableStatus, isTimeoutCode, requestText, withRetry, type RetryPolicy } from '../host/http.ts';
import { API_PORT, RKE2_ADMIN_CERT, RKE2_ADMIN_KEY, RKE2_SERVER_CA } from '../roles/kubernetes/paths.ts';

export const DEFAULT_API_URL = `https://127.0.0.1:${API_PORT}`;

export interface KubeNode {
  name: string;
  /** Deleting with this UID as a precondition never removes a node that took the name since. */
  uid: string;
  /** The Ready condition: true, false, or undefined when Unknown or not reported. */
  ready: boolean | undefined;
}

/** What a delete came to. */
export type DeleteOutcome =
  /** This call deleted it. */
  | 'deleted'
  /** It was not there (404): another master deleted it first. */
  | 'gone'
  /** Another node object holds the name now (409, the UID precondition failed): left alone. */
  | 'replaced';

export interface KubeApiLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface KubeApiOptions {
  host: Host;
  /** Default `https://127.0.0.1:6443`, the API server of the master the cleaner runs on. */
  baseUrl?: string | undefined;
  /** VM paths of PEM files; default RKE2's server CA and admin client certificate. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Per request, connecting included. Default 10 s. */
  timeoutMs?: number;
  /** Retries of a failed request (network, timeout, 5xx, 429). Default 2. */
  retries?: number;
  /** Cap of the first wait before a retry; doubles each time. Default 500 ms. */
  retryDelayMs?: number;
  logger?: KubeApiLogger;
  /** Waits between retries and their jitter. Default the real clock. */
  clock?: Clock;
}

export interface KubeApi {
  readonly baseUrl: string;
  listNodes(): Promise<KubeNode[]>;
  /** Deletes a node; with `uid`, only that very node object. 404 and 409 are outcomes, not errors. */
  deleteNode(name: string, uid?: string): Promise<DeleteOutcome>;
  close(): Promise<void>;
}

/** The API server answered with an error, or could not be reached. */
export class KubeApiError extends OnekeError {
  /** HTTP status, or undefined when no answer came. */
  readonly status: number | undefined;

  /** `noAnswer`: the request got no HTTP answer at all (connection, TLS, timeout). */
  constructor(method: string, path: string, status: number | undefined, detail: string, cause?: unknown, noAnswer = false) {
    const what = status === undefined ? detail : `HTTP ${status}${detail ? `: ${detail}` : ''}`;
    super('ONEKE_KUBE_API', `Kubernetes API ${method} ${path}: ${what}`, {
      cause,
      hint: status === 401 || status === 403 ? `the API server refused the admin client certificate (${RKE2_ADMIN_CERT})` : noAnswer ? 'is rke2-server running on this master?' : undefined,
    });
    this.status = status;
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** TLS verification and protocol failures: no retry fixes them. */
function isFinalCode(code: string | undefined): boolean {
  if (code === undefined) return false;
  return /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|INVALID_CA|HOSTNAME_MISMATCH|UND_ERR_INVALID_ARG|ERR_INVALID_URL)/.test(code);
}

/** A Kubernetes Status body's message, or the first line of whatever came. */
function statusMessage(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (isObject(body) && typeof body.message === 'string') return body.message;
  } catch {
    // not JSON
  }
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function readyOf(item: Json): boolean | undefined {
  const status = item.status;
  const conditions = isObject(status) && Array.isArray(status.conditions) ? status.conditions : [];
  const ready = conditions.find((c): c is Json => isObject(c) && c.type === 'Ready');
  if (ready?.status === 'True') return true;
  if (ready?.status === 'False') return false;
  return undefined;
}

function parseNodeList(text: string, path: string): { nodes: KubeNode[]; continueToken: string | undefined } {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new KubeApiError('GET', path, undefined, `the answer is not JSON (${text.length} bytes)`);
  }
  if (!isObject(body) || !Array.isArray(body.items)) throw new KubeApiError('GET', path, undefined, 'the answer is not a NodeList');
  const nodes: KubeNode[] = [];
  for (const item of body.items) {
    const meta = isObject(item) ? item.metadata : undefined;
    if (!isObject(item) || !isObject(meta) || typeof meta.name !== 'string' || typeof meta.uid !== 'string') {
      throw new KubeApiError('GET', path, undefined, 'a node of the NodeList has no metadata.name or metadata.uid');
    }
    nodes.push({ name: meta.name, uid: meta.uid, ready: readyOf(item) });
  }
  const meta = body.metadata;
  const token = isObject(meta) && typeof meta.continue === 'string' && meta.continue !== '' ? meta.continue : undefined;
  return { nodes, continueToken: token };
}

/** Reads the certificates (through the host) and opens a connection pool to the API server. */
export async function createKubeApi(options: KubeApiOptions): Promise<KubeApi> {
  const raw = options.baseUrl ?? DEFAULT_API_URL;
  let base: URL;
  try {
    base = new URL(raw);
  } catch {
    throw new UsageError(`--api-url=${JSON.stringify(raw)}: expected an https:// URL`);
  }
  if (base.protocol !== 'https:' || base.username !== '' || base.password !== '' || base.search !== '' || base.hash !== '') {
    throw new UsageError(`--api-url=${JSON.stringify(raw)}: expected an https:// URL without credentials or query`);
  }
  const origin = base.origin;
  const basePath = base.pathname.replace(/\/+$/, '');

  const files = { ca: options.caFile ?? RKE2_SERVER_CA, cert: options.certFile ?? RKE2_ADMIN_CERT, key: options.keyFile ?? RKE2_ADMIN_KEY };
  const read = async (path: string): Promise<string> => {
    const text = await options.host.readFile(path);
    if (text === undefined) {
      throw new RuntimeProblem('ONEKE_KUBE_CREDENTIALS', `${path} not found: cannot talk to the Kubernetes API`, 'the cleaner runs on masters where rke2-server has started');
    }
    return text;
  };
  const [ca, cert, key] = await Promise.all([read(files.ca), read(files.cert), read(files.key)]);

  const timeoutMs = options.timeoutMs !== undefined && options.timeoutMs > 0 ? options.timeoutMs : DEFAULT_TIMEOUT_MS;
  const retries = Math.max(0, Math.floor(options.retries ?? 2));
  const retryDelayMs = Math.max(0, options.retryDelayMs ?? 500);
  // Full jitter under a cap that doubles without bound (a couple of retries at most); 5xx and 429 retried.
  const policy: RetryPolicy = { attempts: retries + 1, initialMs: retryDelayMs, maxMs: Infinity, retryStatuses: [429] };
  // Verification stays on: the API server's certificate must chain to RKE2's server CA.
  const agent = createDispatcher({ tls: { ca, cert, key }, connectTimeoutMs: timeoutMs, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });

  interface Answer {
    status: number;
    text: string;
  }
  interface Failure {
    detail: string;
    status?: number;
    cause?: unknown;
  }

  /** One request, retried on what a later attempt can fix. Answers every status it got. */
  async function send(method: 'GET' | 'DELETE', path: string, body?: string): Promise<Answer> {
    const outcome = await withRetry<Answer, Failure>(
      policy,
      async () => {
        try {
          const answer = await requestText({
            method,
            url: `${origin}${basePath}${path}`,
            headers: { accept: 'application/json', 'user-agent': 'oneke-clean', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            body,
            dispatcher: agent,
            timeoutMs,
            maxBytes: READ_LIMITS.kubeApiBody,
          });
          if (!isRetryableStatus(answer.status, policy)) return { value: answer };
          return { retryable: true, failure: { detail: statusMessage(answer.text), status: answer.status } };
        } catch (error) {
          if (error instanceof ReadRefused) throw new KubeApiError(method, path, undefined, `${base.host}: ${error.message}`, undefined, false);
          const { code } = errorFacts(error);
          const timedOut = error instanceof AttemptTimeout || isTimeoutCode(code);
          const message = error instanceof Error ? error.message : String(error);
          return {
            retryable: timedOut || !isFinalCode(code),
            failure: {
              detail: timedOut ? `no answer within ${timeoutMs} ms` : `cannot talk to ${base.host}: ${code && !message.includes(code) ? `${code} ` : ''}${message}`,
              cause: error,
            },
          };
        }
      },
      {
        ...(options.clock ? { clock: options.clock } : {}),
        onRetry: (failure, n, wait) =>
          options.logger?.debug({ method, path, attempt: n, status: failure.status, retryInMs: wait }, `Kubernetes API ${method} ${path} failed (${failure.detail}), retrying`),
      },
    );
    if ('value' in outcome) return outcome.value;
    const { failure, why, attempts: tries } = outcome.gaveUp;
    const detail = why === 'final' ? failure.detail : `${failure.detail} (gave up after ${tries} attempt${tries === 1 ? '' : 's'})`;
    throw new KubeApiError(method, path, failure.status, detail, failure.cause, failure.status === undefined);
  }

  const fail = (method: string, path: string, answer: Answer): never => {
    throw new KubeApiError(method, path, answer.status, statusMessage(answer.text));
  };

  return {
    baseUrl: `${origin}${basePath}`,

    async listNodes() {
      const nodes: KubeNode[] = [];
      let continueToken: string | undefined;
      // Pages of 500, so that a large cluster does not make one huge answer.
      for (let page = 0; page < 1000; page++) {
        const path = `/api/v1/nodes?limit=500${continueToken ? `&continue=${encodeURIComponent(continueToken)}` : ''}`;
        const answer = await send('GET', path);
        if (answer.status !== 200) fail('GET', path, answer);
        const part = parseNodeList(answer.text, path);
        nodes.push(...part.nodes);
        continueToken = part.continueToken;
        if (continueToken === undefined) return nodes;
      }
      throw new KubeApiError('GET', '/api/v1/nodes', undefined, 'more than 1000 pages of nodes');
    },

    async deleteNode(name, uid) {
      if (!NODE_NAME.test(name)) throw new UsageError(`not a Kubernetes node name: ${JSON.stringify(name)}`);
      const path = `/api/v1/nodes/${encodeURIComponent(name)}`;
      const body = uid === undefined ? undefined : JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } });
      const answer = await send('DELETE', path, body);
      if (answer.status === 200 || answer.status === 202) return 'deleted';
      if (answer.status === 404) return 'gone';
      // 409 Conflict: the UID precondition failed, so the name belongs to another node object now.
      if (answer.status === 409 && uid !== undefined) return 'replaced';
      return fail('DELETE', path, answer);
    },

    close: () => agent.close(),
  };
}
