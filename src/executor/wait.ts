import { DeadlineError } from '../errors.ts';
import { backoffDelay as jitteredBackoff, realClock, type Clock } from '../host/clock.ts';
import type { Logger } from '../log/logger.ts';

/** How a wait paces itself. Plain data, so tests pass tiny numbers. */
export interface WaitPolicy {
  /** Give up after this long. */
  deadlineMs: number;
  /** First pause between attempts. */
  initialMs: number;
  /** Longest pause between attempts. */
  maxMs: number;
  /** Say how the wait goes at least this often, even when nothing changed. */
  progressEveryMs?: number;
}

// The Clock lives in the effects layer; it is re-exported here for the code that waits.
export { realClock, type Clock };

/**
 * The pause after look number `attempt` (0 = the first): the one backoff of src/host/clock.ts, drawn
 * from [initial/2, min(max, initial·2^attempt)].
 */
export function backoffDelay(attempt: number, policy: Pick<WaitPolicy, 'initialMs' | 'maxMs'>, random: () => number): number {
  return jitteredBackoff(attempt + 1, { initialMs: policy.initialMs, maxMs: policy.maxMs, jitter: 'from-half-initial' }, random);
}

/** What one look at the awaited thing found. */
export interface Observation<T> {
  done: boolean;
  value?: T;
  /** One short phrase of what is missing still, for the progress line. */
  state?: string;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

/**
 * Polls `observe` until it reports done or the deadline passes. Logs what it waits for when it
 * starts, whenever the state changes, and every `progressEveryMs` otherwise.
 */
export async function waitFor<T>(what: string, observe: () => Promise<Observation<T>>, policy: WaitPolicy, logger: Logger, clock: Clock = realClock): Promise<T | undefined> {
  const start = clock.now();
  const progressEvery = policy.progressEveryMs ?? 15_000;
  let lastState: string | undefined;
  let lastReport = start;
  for (let attempt = 0; ; attempt++) {
    const seen = await observe();
    const elapsed = clock.now() - start;
    if (seen.done) {
      if (attempt > 0) logger.info({ waited: seconds(elapsed) }, `done waiting for ${what}`);
      return seen.value;
    }
    const left = policy.deadlineMs - elapsed;
    if (left <= 0) throw new DeadlineError(what, Math.round(elapsed / 1000), seen.state);
    if (attempt === 0 || seen.state !== lastState || clock.now() - lastReport >= progressEvery) {
      logger.info({ elapsed: seconds(elapsed), left: seconds(left), ...(seen.state ? { state: seen.state } : {}) }, `waiting for ${what}`);
      lastReport = clock.now();
      lastState = seen.state;
    }
    await clock.sleep(Math.min(left, backoffDelay(attempt, policy, clock.random)));
  }
}
