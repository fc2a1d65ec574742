// Verified downloads: stream to a temp file next to the target while hashing, compare, then rename.
// A file that is not exactly the expected bytes never appears at the target.

import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { Transform } from 'node:stream';
import { realClock, type Clock } from '../host/clock.ts';
import { commitFile, makeDirectory, removeFile, setMode, sha256OfFile, syncDirectory, writeNewFile } from '../host/files.ts';
import { AttemptTimeout, createDispatcher, errorChain, isRetryableStatus, requestStream, withAttemptTimeout, withRetry, type Dispatcher, type RetryPolicy } from '../host/http.ts';
import type { Logger } from '../log/logger.ts';
import { VERSION } from '../version.ts';
import { removeStaleTemps } from '../host/node-host.ts';
import { ChecksumMismatchError, DownloadError } from './errors.ts';

export interface DownloadSpec {
  /** For messages: the artifact's file name. */
  readonly file: string;
  readonly url: string;
  /** Path on this machine (already under the root). */
  readonly target: string;
  readonly sha256: string;
  /** Mode of the file at the target. */
  readonly mode: number;
}

export interface DownloadPolicy {
  /** Most attempts per file, the first included. */
  readonly attempts: number;
  /** Cap of the first wait between attempts; doubles each time up to maxBackoffMs (full jitter). */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Until the connection is made. */
  readonly connectTimeoutMs: number;
  /** Until the response headers arrive. */
  readonly headersTimeoutMs: number;
  /** Longest silence while the body streams (a stalled transfer). */
  readonly idleTimeoutMs: number;
  /** Longest one attempt may take in all (the air-gap image archives are large). */
  readonly attemptTimeoutMs: number;
}

export const DEFAULT_DOWNLOAD_POLICY: Readonly<DownloadPolicy> = {
  attempts: 5,
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  connectTimeoutMs: 30_000,
  headersTimeoutMs: 60_000,
  idleTimeoutMs: 120_000,
  attemptTimeoutMs: 60 * 60_000,
};

export interface DownloadContext {
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
  readonly policy?: Partial<DownloadPolicy>;
  /** Waits between attempts; tests make it instant. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Time and jitter of the retries (its sleep unless `sleep` is given). Default the real clock. */
  readonly clock?: Clock;
}

/**
 * The dispatcher of a run: HTTP(S)_PROXY / NO_PROXY from the environment (a build VM often sits
 * behind a proxy), redirects followed (GitHub release downloads redirect to its object storage; the
 * checksum, not the host, is what is trusted).
 */
export function createDownloadDispatcher(policy: Partial<DownloadPolicy> = {}): Dispatcher {
  const effective = { ...DEFAULT_DOWNLOAD_POLICY, ...policy };
  return createDispatcher({
    proxyFromEnvironment: true,
    connectTimeoutMs: effective.connectTimeoutMs,
    headersTimeoutMs: effective.headersTimeoutMs,
    bodyTimeoutMs: effective.idleTimeoutMs,
    maxRedirections: 5,
  });
}

/** A URL fit for logs and errors: no user or password. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

class HttpStatus extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

/** Codes of failures that another attempt may not meet: connection trouble, timeouts, DNS hiccups. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
]);

/** Full jitter; 5xx, 408 and 429 answers are worth another attempt (other errors: TRANSIENT_CODES). */
const RETRY_STATUSES = [408, 429] as const;

function isTransient(error: unknown): boolean {
  if (error instanceof HttpStatus) return isRetryableStatus(error.status, { retryStatuses: RETRY_STATUSES });
  return errorChain(error).some((e) => e instanceof AttemptTimeout || TRANSIENT_CODES.has(String((e as { code?: unknown }).code)));
}

function describe(error: unknown): string {
  for (const e of errorChain(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && e instanceof Error) return `${code}: ${e.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Makes `spec.target` hold exactly the bytes with `spec.sha256`. Returns 'present' when it already
 * does (nothing is fetched), else downloads it. Network trouble and 5xx/408/429 answers are retried
 * with backoff, a bounded number of times; other HTTP answers fail at once. A checksum mismatch
 * fails at once too (ChecksumMismatchError): the temp file is removed and nothing is at the target
 * (a file found there with other content is removed first).
 */
export async function fetchVerified(spec: DownloadSpec, context: DownloadContext): Promise<'present' | 'downloaded'> {
  const policy = { ...DEFAULT_DOWNLOAD_POLICY, ...context.policy };
  const baseClock = context.clock ?? realClock;
  const clock: Clock = context.sleep ? { ...baseClock, sleep: context.sleep } : baseClock;
  const shownUrl = displayUrl(spec.url);
  const expected = spec.sha256.toLowerCase();

  const existing = await sha256OfFile(spec.target);
  if (existing === expected) {
    await setMode(spec.target, spec.mode);
    context.logger.debug({ file: spec.file }, `${spec.file} is already in place and verified`);
    return 'present';
  }
  if (existing !== undefined) {
    // Untrusted bytes must not stay where they would be used, even if the new download fails.
    context.logger.warn({ file: spec.file, actual: existing, expected }, `${spec.file} is present with other content: removed, downloading it again`);
    await removeFile(spec.target);
  }

  await makeDirectory(path.dirname(spec.target));
  const attempts = Math.max(1, Math.floor(policy.attempts));
  const retry: RetryPolicy = { attempts, initialMs: policy.initialBackoffMs, maxMs: policy.maxBackoffMs };
  const outcome = await withRetry<'downloaded', unknown>(
    retry,
    async (attempt) => {
      context.logger.info({ file: spec.file, url: shownUrl, attempt }, `downloading ${spec.file}`);
      try {
        const { actual, bytes, temp } = await downloadOnce(spec, context.dispatcher, policy);
        if (actual !== expected) {
          await removeFile(temp);
          throw new ChecksumMismatchError(spec.file, shownUrl, expected, actual);
        }
        await commitFile(temp, spec.target, spec.mode);
        context.logger.info({ file: spec.file, bytes, sha256: actual }, `${spec.file} downloaded and verified`);
        return { value: 'downloaded' };
      } catch (error) {
        if (error instanceof ChecksumMismatchError) throw error;
        return { retryable: isTransient(error), failure: error };
      }
    },
    {
      clock,
      onRetry: (lastError, attempt, wait) => context.logger.warn({ file: spec.file, attempt: attempt + 1, waitMs: wait }, `retrying ${spec.file} after: ${describe(lastError)}`),
    },
  );
  if ('value' in outcome) return outcome.value;
  const lastError = outcome.gaveUp.failure;
  const status = lastError instanceof HttpStatus ? lastError.status : undefined;
  const detail = isTransient(lastError) ? `${describe(lastError)} (gave up after ${attempts} attempts)` : describe(lastError);
  throw new DownloadError(spec.file, shownUrl, detail, status, lastError);
}

/** One GET into a fresh temp file next to the target; the temp file is gone again when this throws. */
async function downloadOnce(spec: DownloadSpec, dispatcher: Dispatcher, policy: DownloadPolicy): Promise<{ actual: string; bytes: number; temp: string }> {
  // A run killed with SIGKILL leaves its .part files; old ones are removed before a new one is made.
  await removeStaleTemps(path.dirname(spec.target));
  const temp = path.join(path.dirname(spec.target), `.${path.basename(spec.target)}.${randomBytes(6).toString('hex')}.part`);
  const timeout = new AttemptTimeout(policy.attemptTimeoutMs, `no complete download within ${Math.round(policy.attemptTimeoutMs / 1000)}s`);
  return withAttemptTimeout(
    policy.attemptTimeoutMs,
    async (signal) => {
      try {
        const response = await requestStream({
          url: spec.url,
          dispatcher,
          signal,
          headersTimeoutMs: policy.headersTimeoutMs,
          bodyTimeoutMs: policy.idleTimeoutMs,
          headers: { 'user-agent': `oneke/${VERSION}`, accept: '*/*' },
        });
        if (response.status !== 200) throw new HttpStatus(response.status);
        const hash = createHash('sha256');
        let bytes = 0;
        const tap = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            bytes += chunk.length;
            callback(null, chunk);
          },
        });
        // The mode stays private until the file is verified and renamed.
        await writeNewFile(temp, response.body, tap, signal);
        return { actual: hash.digest('hex'), bytes, temp };
      } catch (error) {
        await removeFile(temp);
        throw error;
      }
    },
    timeout,
  );
}

// Kept under its old name for the image copy.
export { syncDirectory };
