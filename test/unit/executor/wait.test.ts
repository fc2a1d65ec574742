import { describe, expect, test } from 'vitest';
import { backoffDelay, waitFor, type Clock } from '../../../src/executor/wait.ts';
import { DeadlineError } from '../../../src/errors.ts';
import { createLogger, SecretSet } from '../../../src/log/logger.ts';

function fakeClock(random = () => 0.5): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return { now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)), random, slept };
}

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info', secrets: new SecretSet(), console: { write: (l) => lines.push(l) } }) };
}

describe('backoffDelay', () => {
  test('grows exponentially up to the cap, with jitter inside [initial/2, ceiling]', () => {
    const policy = { initialMs: 1000, maxMs: 5000 };
    expect(backoffDelay(0, policy, () => 0)).toBe(500);
    expect(backoffDelay(0, policy, () => 1)).toBe(1000);
    expect(backoffDelay(2, policy, () => 1)).toBe(4000);
    expect(backoffDelay(10, policy, () => 1)).toBe(5000);
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(3, policy, Math.random)));
    expect(spread.size).toBeGreaterThan(10);
  });
});

describe('waitFor', () => {
  test('polls until done and says what it waits for, once per state', async () => {
    const clock = fakeClock();
    const { lines, logger } = capture();
    const states = ['no master yet', 'no master yet', 'master 3 not ready', 'ok'];
    const value = await waitFor(
      'a master that answers /readyz',
      async () => {
        const state = states.shift();
        return state === 'ok' ? { done: true, value: 42 } : { done: false, ...(state ? { state } : {}) };
      },
      { deadlineMs: 60_000, initialMs: 100, maxMs: 1000 },
      logger,
      clock,
    );
    expect(value).toBe(42);
    expect(clock.slept).toHaveLength(3);
    const waits = lines.filter((l) => l.includes('INFO  waiting for a master that answers /readyz'));
    expect(waits).toHaveLength(2); // the first look, then the change of state
    expect(waits[0]).toContain('state=no master yet');
    expect(waits[0]).toMatch(/left=60s/);
    expect(lines.at(-1)).toContain('done waiting for a master');
  });

  test('gives up at the deadline with a DeadlineError naming what it waited for', async () => {
    const clock = fakeClock();
    const { logger } = capture();
    const wait = waitFor('node-token', async () => ({ done: false, state: 'absent' }), { deadlineMs: 10_000, initialMs: 500, maxMs: 2000 }, logger, clock);
    await expect(wait).rejects.toThrow(DeadlineError);
    await expect(wait).rejects.toThrow(/waiting for node-token \(last: absent\)/);
    expect(clock.now()).toBeGreaterThanOrEqual(10_000);
    expect(clock.now()).toBeLessThan(12_000);
  });
});
