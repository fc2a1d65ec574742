// Fault injection for the emulator, driven by a seeded PRNG so that a test sees the same faults on
// every run (for the same order of requests). Every request draws the same number of random values,
// whatever its route, so one request's route does not shift the faults of the next.

import { ConfigError, type ConfigIssue } from '../errors.ts';

export interface FaultConfig {
  /** Seed of the PRNG; setting it again restarts the sequence. */
  seed?: number;
  /** Rate of 5xx answers (500, 502, 503 or 504). */
  error5xx?: number;
  /** Rate and length of a delay before the answer (combines with the other faults). */
  delayMs?: { rate: number; ms: number };
  /** Rate of connections destroyed without an answer. */
  drop?: number;
  /** Rate of 200 answers with a body that is not the expected JSON (GET routes only). */
  malformed?: number;
  /** Rate of 404 "Service N not found" on /service (OneFlow briefly unavailable). */
  notFound404?: number;
}

export const FAULT_KINDS = ['error5xx', 'delay', 'drop', 'malformed', 'notFound404'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What to do to one request. */
export interface FaultDecision {
  delayMs: number;
  terminal?: { kind: 'drop' } | { kind: 'error5xx'; status: number } | { kind: 'notFound404' } | { kind: 'malformed'; body: string };
}

/** mulberry32: small, fast, good enough for test faults. */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES_5XX = [500, 502, 503, 504];
// Bodies that no client may take for a VM or a service: cut JSON, a proxy's page, the wrong shape.
const MALFORMED_BODIES = ['{"VM":{"ID":"', '<html><body>502 Bad Gateway</body></html>', '[]', 'null', '{}', '{"SERVICE":'];

function rate(value: number | undefined, name: string, issues: ConfigIssue[]): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0 || value > 1) issues.push({ variable: `faults.${name}`, shown: String(value), expected: 'a rate between 0 and 1' });
  return value;
}

export interface FaultInjector {
  decide(route: { isService: boolean; isGet: boolean }): FaultDecision;
  set(config: FaultConfig): void;
  counts(): Record<FaultKind, number>;
  resetCounts(): void;
}

export function createFaultInjector(initial: FaultConfig = {}): FaultInjector {
  let config = { drop: 0, error5xx: 0, notFound404: 0, malformed: 0, delayRate: 0, delayMs: 0 };
  let random = createPrng(initial.seed ?? 1);
  let counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;

  function set(next: FaultConfig): void {
    const issues: ConfigIssue[] = [];
    const c = {
      drop: rate(next.drop, 'drop', issues),
      error5xx: rate(next.error5xx, 'error5xx', issues),
      notFound404: rate(next.notFound404, 'notFound404', issues),
      malformed: rate(next.malformed, 'malformed', issues),
      delayRate: rate(next.delayMs?.rate, 'delayMs.rate', issues),
      delayMs: next.delayMs?.ms ?? 0,
    };
    if (!Number.isFinite(c.delayMs) || c.delayMs < 0) issues.push({ variable: 'faults.delayMs.ms', shown: String(c.delayMs), expected: 'milliseconds, 0 or more' });
    if (c.drop + c.error5xx + c.notFound404 + c.malformed > 1 + 1e-9) {
      issues.push({ variable: 'faults', shown: 'drop+error5xx+notFound404+malformed', expected: 'a sum of rates of at most 1' });
    }
    if (issues.length > 0) throw new ConfigError(issues);
    config = c;
    if (next.seed !== undefined) random = createPrng(next.seed);
  }
  set(initial);

  return {
    set,
    decide({ isService, isGet }) {
      const roll = random();
      const delayRoll = random();
      const pick = random();
      const decision: FaultDecision = { delayMs: 0 };
      if (config.delayRate > 0 && delayRoll < config.delayRate) {
        decision.delayMs = config.delayMs;
        counts.delay += 1;
      }
      // The terminal faults share one roll: [0, drop) drops, then 5xx, then 404, then malformed.
      let edge = config.drop;
      if (roll < edge) {
        decision.terminal = { kind: 'drop' };
        counts.drop += 1;
        return decision;
      }
      edge += config.error5xx;
      if (roll < edge) {
        decision.terminal = { kind: 'error5xx', status: STATUSES_5XX[Math.floor(pick * STATUSES_5XX.length)] ?? 500 };
        counts.error5xx += 1;
        return decision;
      }
      edge += config.notFound404;
      if (roll < edge) {
        if (isService) {
          decision.terminal = { kind: 'notFound404' };
          counts.notFound404 += 1;
        }
        return decision;
      }
      edge += config.malformed;
      if (roll < edge && isGet) {
        decision.terminal = { kind: 'malformed', body: MALFORMED_BODIES[Math.floor(pick * MALFORMED_BODIES.length)] ?? '' };
        counts.malformed += 1;
      }
      return decision;
    },
    counts: () => ({ ...counts }),
    resetCounts() {
      counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    },
  };
}
