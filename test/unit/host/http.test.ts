import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ReadRefused } from '../../../src/host/bounded-read.ts';
import { backoffCap, backoffDelay, type Clock } from '../../../src/host/clock.ts';
import {
  AttemptTimeout,
  createDispatcher,
  errorChain,
  errorFacts,
  isRetryableStatus,
  requestText,
  withAttemptTimeout,
  withRetry,
  type AttemptOutcome,
  type RetryPolicy,
} from '../../../src/host/http.ts';

function fakeClock(random = () => 0.5): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return { now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)), random, slept };
}

describe('backoffDelay', () => {
  test('one cap for both jitters: initial doubling per retry up to max', () => {
    const backoff = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffCap(n, backoff))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffCap(40, { initialMs: 1, maxMs: Infinity })).toBe(2 ** 30);
  });

  test('full jitter is [0, cap) rounded down; from-half-initial is [initial/2, cap] rounded', () => {
    expect(backoffDelay(3, { initialMs: 100, maxMs: 1000 }, () => 0)).toBe(0);
    expect(backoffDelay(3, { initialMs: 100, maxMs: 1000, jitter: 'full' }, () => 0.5)).toBe(200);
    expect(backoffDelay(1, { initialMs: 1000, maxMs: 5000, jitter: 'from-half-initial' }, () => 0)).toBe(500);
    expect(backoffDelay(1, { initialMs: 1000, maxMs: 5000, jitter: 'from-half-initial' }, () => 1)).toBe(1000);
    expect(backoffDelay(3, { initialMs: 1000, maxMs: 5000, jitter: 'from-half-initial' }, () => 0.5)).toBe(2250);
  });

  test('a random source out of [0, 1] is clamped', () => {
    expect(backoffDelay(1, { initialMs: 100, maxMs: 100 }, () => 7)).toBe(100);
    expect(backoffDelay(1, { initialMs: 100, maxMs: 100 }, () => -1)).toBe(0);
  });
});

describe('withRetry', () => {
  const policy: RetryPolicy = { attempts: 4, initialMs: 100, maxMs: 1000 };

  test('retries a retryable failure with the backoff and returns the value', async () => {
    const clock = fakeClock();
    const heard: Array<[string, number, number]> = [];
    const outcome = await withRetry(policy, async (n): Promise<AttemptOutcome<string, string>> => (n < 3 ? { retryable: true, failure: `f${n}` } : { value: 'ok' }), {
      clock,
      onRetry: (failure, n, wait) => heard.push([failure, n, wait]),
    });
    expect(outcome).toEqual({ value: 'ok' });
    expect(heard).toEqual([
      ['f1', 1, 50],
      ['f2', 2, 100],
    ]);
    expect(clock.slept).toEqual([50, 100]);
  });

  test('stops at a final failure, after the attempts, or before a wait that ends past the deadline', async () => {
    const final = await withRetry(policy, async () => ({ retryable: false, failure: 'no' }), { clock: fakeClock() });
    expect(final).toEqual({ gaveUp: { failure: 'no', why: 'final', attempts: 1, elapsedMs: 0 } });

    const clock = fakeClock();
    const spent = await withRetry(policy, async (n) => ({ retryable: true, failure: n }), { clock });
    expect(spent).toEqual({ gaveUp: { failure: 4, why: 'attempts', attempts: 4, elapsedMs: 50 + 100 + 200 } });

    const remaining: Array<number | undefined> = [];
    const late = await withRetry(
      { ...policy, deadlineMs: 120 },
      async (n, left) => {
        remaining.push(left);
        return { retryable: true, failure: n };
      },
      { clock: fakeClock() },
    );
    expect(late).toEqual({ gaveUp: { failure: 2, why: 'deadline', attempts: 2, elapsedMs: 50 } });
    expect(remaining).toEqual([120, 70]);
  });

  test('an error thrown by the attempt goes up unretried', async () => {
    let calls = 0;
    const boom = withRetry(
      policy,
      async () => {
        calls += 1;
        throw new Error('boom');
      },
      { clock: fakeClock() },
    );
    await expect(boom).rejects.toThrow('boom');
    expect(calls).toBe(1);
  });

  test('statuses: every 5xx, and the listed others', () => {
    expect([500, 503, 599, 408, 429, 404, 400].map((s) => isRetryableStatus(s, { retryStatuses: [408, 429] }))).toEqual([true, true, true, true, true, false, false]);
    expect(isRetryableStatus(429, {})).toBe(false);
  });
});

describe('errors', () => {
  test('errorFacts finds the first code along causes and aggregates', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const outer = new TypeError('fetch failed', { cause: new AggregateError([inner], '') });
    expect(errorFacts(outer)).toEqual({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(errorFacts(new Error('plain'))).toEqual({ code: undefined, message: 'plain' });
    expect(errorChain(outer)).toContain(inner);
  });

  test('the cause walker stops on a cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorChain(b)).toEqual([b, a]);
  });

  test('withAttemptTimeout throws its AttemptTimeout once the time is up', async () => {
    const never = (signal: AbortSignal) => new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    await expect(withAttemptTimeout(5, never)).rejects.toBeInstanceOf(AttemptTimeout);
    await expect(withAttemptTimeout(5, never, new AttemptTimeout(5, 'mine'))).rejects.toThrow('mine');
    expect(await withAttemptTimeout(1000, async () => 'quick')).toBe('quick');
  });
});

describe('requestText', () => {
  let server: http.Server;
  let url: string;
  const dispatcher = createDispatcher({ connectTimeoutMs: 5_000 });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/big') {
        res.end('x'.repeat(1000));
      } else if (req.url === '/silent') {
        // never answers
      } else {
        res.statusCode = 503;
        res.end(`${req.method} ${req.headers['x-test']}`);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await dispatcher.close();
  });

  test('answers any status with its text', async () => {
    expect(await requestText({ method: 'PUT', url: `${url}/x`, headers: { 'x-test': 'yes' }, body: 'b', dispatcher, timeoutMs: 5_000, maxBytes: 100 })).toEqual({ status: 503, text: 'PUT yes' });
  });

  test('refuses an answer past maxBytes, and times out a silent server', async () => {
    await expect(requestText({ method: 'GET', url: `${url}/big`, headers: {}, dispatcher, timeoutMs: 5_000, maxBytes: 100 })).rejects.toBeInstanceOf(ReadRefused);
    await expect(requestText({ method: 'GET', url: `${url}/silent`, headers: {}, dispatcher, timeoutMs: 50, maxBytes: 100 })).rejects.toBeInstanceOf(AttemptTimeout);
  });
});
