// Backoff policy of the OneGate client: exponential with full jitter (a random wait between 0 and the
// exponential cap), so that many VMs polling one OneGate after a hiccup do not come back in step.

export interface RetryOptions {
  /** Most HTTP requests per call, the first included. */
  attempts?: number;
  /** Cap of the first wait. */
  initialMs?: number;
  /** Largest cap of any wait. */
  maxMs?: number;
  /** No retry starts after this much time since the call began. */
  deadlineMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: Readonly<RetryPolicy> = { attempts: 6, initialMs: 500, maxMs: 8_000, deadlineMs: 60_000 };

function nonNegative(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** Fills in defaults; nonsense values (negative, NaN) fall back to the default. */
export function resolveRetry(options: RetryOptions | undefined): RetryPolicy {
  const attempts = nonNegative(options?.attempts, DEFAULT_RETRY.attempts);
  const initialMs = nonNegative(options?.initialMs, DEFAULT_RETRY.initialMs);
  return {
    attempts: Math.max(1, Math.floor(attempts)),
    initialMs,
    maxMs: Math.max(initialMs, nonNegative(options?.maxMs, DEFAULT_RETRY.maxMs)),
    deadlineMs: nonNegative(options?.deadlineMs, DEFAULT_RETRY.deadlineMs),
  };
}

// The cap and the wait before retry number n (1 = the first): the one backoff of the effects layer,
// with its default full jitter.
export { backoffCap, backoffDelay } from '../host/clock.ts';
