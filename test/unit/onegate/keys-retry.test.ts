import { describe, expect, it } from 'vitest';
import * as keys from '../../../src/onegate/keys.ts';
import { backoffCap, backoffDelay, DEFAULT_RETRY, resolveRetry } from '../../../src/onegate/retry.ts';

describe('OneGate keys', () => {
  it('parses back every HAProxy LB key it builds, and nothing else', () => {
    for (const index of [0, 1, 9, 10, 99]) {
      for (const field of ['IP', 'PORT', 'SERVER_HOST', 'SERVER_PORT'] as const) expect(keys.parseHaproxyLbKey(keys.haproxyLbKey(index, field))).toEqual({ index, field });
    }
    for (const key of [keys.READY, keys.ONEGATE_K8S_MASTER, keys.ONEKE_STATUS, 'ONEGATE_HAPROXY_LB_IP', 'ONEGATE_HAPROXY_LB1_HOST']) expect(keys.parseHaproxyLbKey(key)).toBeUndefined();
  });

  it('builds and parses HAProxy LB keys', () => {
    expect(keys.haproxyLbKey(0, 'IP')).toBe('ONEGATE_HAPROXY_LB0_IP');
    expect(keys.haproxyLbKeys(3)).toEqual({
      ip: 'ONEGATE_HAPROXY_LB3_IP',
      port: 'ONEGATE_HAPROXY_LB3_PORT',
      serverHost: 'ONEGATE_HAPROXY_LB3_SERVER_HOST',
      serverPort: 'ONEGATE_HAPROXY_LB3_SERVER_PORT',
    });
    expect(keys.parseHaproxyLbKey('ONEGATE_HAPROXY_LB1_SERVER_PORT')).toEqual({ index: 1, field: 'SERVER_PORT' });
    expect(keys.parseHaproxyLbKey('ONEGATE_HAPROXY_LB01_IP')).toBeUndefined();
    expect(keys.parseHaproxyLbKey('ONEAPP_VNF_HAPROXY_LB0_IP')).toBeUndefined();
    expect(() => keys.haproxyLbKey(-1, 'IP')).toThrow(RangeError);
    expect(() => keys.haproxyLbKey(1.5, 'PORT')).toThrow(RangeError);
  });
});

describe('isReady', () => {
  // What OneKE and one-apps write, and what the join order and the VNF always accepted.
  it.each(['YES', 'yes', 'Yes', ' YES', 'YES\n'])('%j is ready', (value) => {
    expect(keys.isReady(value)).toBe(true);
  });

  it.each([undefined, '', 'NO', 'Y', 'TRUE', '1', 'YES YES', 'YESS'])('%j is not ready', (value) => {
    expect(keys.isReady(value)).toBe(false);
  });
});

describe('oneGateSafeValue', () => {
  it('makes free text one line without the characters the real server mangles', () => {
    expect(keys.oneGateSafeValue('rke2-server failed:\n  exit 1, see "journalctl -u rke2-server" [C:\\x]')).toBe("rke2-server failed: exit 1; see 'journalctl -u rke2-server' (C:/x)");
    expect(keys.oneGateSafeValue('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('retry policy', () => {
  it('fills defaults and ignores nonsense', () => {
    expect(resolveRetry(undefined)).toEqual(DEFAULT_RETRY);
    expect(resolveRetry({ attempts: 0, initialMs: -5, maxMs: 1, deadlineMs: NaN })).toEqual({
      attempts: 1,
      initialMs: DEFAULT_RETRY.initialMs,
      maxMs: DEFAULT_RETRY.initialMs,
      deadlineMs: DEFAULT_RETRY.deadlineMs,
    });
  });

  it('grows exponentially up to the cap, with full jitter below it', () => {
    const policy = resolveRetry({ initialMs: 100, maxMs: 1000 });
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffCap(n, policy))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelay(3, policy, () => 0.999999)).toBeLessThan(400);
  });
});
