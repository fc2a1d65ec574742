import { setTimeout as sleepMs } from 'node:timers/promises';

// Time, for everything that waits or measures: one Clock the shell passes down (tests pass a fake
// one that never sleeps), and the one backoff-with-jitter formula every retry and poll loop uses.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Source of jitter, [0, 1). */
  random(): number;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => sleepMs(ms), random: Math.random };

/**
 * How the wait is drawn below its cap:
 * - `full`: uniform in [0, cap), rounded down (many VMs polling one OneGate after a hiccup do not
 *   come back in step);
 * - `from-half-initial`: uniform in [min(cap, initial/2), cap], rounded (a poll never hammers).
 */
export type Jitter = 'full' | 'from-half-initial';

/** Exponential backoff: the cap starts at `initialMs` and doubles per retry up to `maxMs`. */
export interface Backoff {
  /** Cap of the first wait. */
  initialMs: number;
  /** Largest cap of any wait (Infinity: no bound). */
  maxMs: number;
  /** Default `full`. */
  jitter?: Jitter;
}

/** The cap of the wait before retry number `retry` (1 = the first retry). */
export function backoffCap(retry: number, backoff: Pick<Backoff, 'initialMs' | 'maxMs'>): number {
  const exponent = Math.min(Math.max(0, retry - 1), 30);
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** exponent);
}

/** The wait before retry number `retry` (1 = the first retry). `random` returns values in [0, 1). */
export function backoffDelay(retry: number, backoff: Backoff, random: () => number = Math.random): number {
  const r = Math.min(Math.max(random(), 0), 1);
  const cap = backoffCap(retry, backoff);
  if (backoff.jitter === 'from-half-initial') {
    const floor = Math.min(cap, backoff.initialMs / 2);
    return Math.round(floor + r * (cap - floor));
  }
  return Math.floor(r * cap);
}
