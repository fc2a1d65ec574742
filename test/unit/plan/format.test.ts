import { describe, expect, test } from 'vitest';
import { planToJson, planToText } from '../../../src/plan/format.ts';
import type { Plan } from '../../../src/plan/plan.ts';

const plan: Plan = {
  role: 'master',
  decision: { kind: 'initialise', reason: 'first master, no token yet' },
  actions: [
    { kind: 'file', path: '/etc/rancher/rke2/config.yaml', mode: 0o600, content: 'token: T0KEN-abc\n', secret: true },
    { kind: 'file', path: '/etc/profile.d/oneke.sh', mode: 0o644, content: 'export A=1\n' },
    { kind: 'service', unit: 'rke2-server.service', operation: 'start' },
    { kind: 'publish', keys: { ONEGATE_K8S_MASTER: '10.0.0.2', ONEGATE_K8S_TOKEN: 'T0KEN-abc' }, secret: ['ONEGATE_K8S_TOKEN'] },
    { kind: 'wait', what: 'the API', probe: { kind: 'tcp', host: '10.0.0.2', port: 6443 }, deadlineSeconds: 60 },
  ],
};

describe('plan printing', () => {
  test('JSON has role, decision and actions, with octal modes and masked secrets', () => {
    const json = planToJson(plan);
    expect(json.role).toBe('master');
    expect(json.decision).toEqual(plan.decision);
    expect(json.actions).toEqual([
      { kind: 'file', path: '/etc/rancher/rke2/config.yaml', mode: '0600', content: '***', secret: true },
      { kind: 'file', path: '/etc/profile.d/oneke.sh', mode: '0644', content: 'export A=1\n' },
      { kind: 'service', unit: 'rke2-server.service', operation: 'start' },
      { kind: 'publish', keys: { ONEGATE_K8S_MASTER: '10.0.0.2', ONEGATE_K8S_TOKEN: '***' } },
      { kind: 'wait', what: 'the API', probe: { kind: 'tcp', host: '10.0.0.2', port: 6443 }, deadlineSeconds: 60 },
    ]);
    expect(JSON.stringify(json)).not.toContain('T0KEN-abc');
  });

  test('--show-secrets shows them', () => {
    expect(JSON.stringify(planToJson(plan, true))).toContain('T0KEN-abc');
    expect(planToText(plan, true)).toContain('T0KEN-abc');
  });

  test('text lists every action and masks secrets', () => {
    const text = planToText(plan);
    expect(text).not.toContain('T0KEN-abc');
    expect(text).toContain('decision: initialise — first master, no token yet');
    expect(text).toContain('write /etc/rancher/rke2/config.yaml (mode 0600, 17 bytes, secret)');
    expect(text).toContain('      | export A=1');
    expect(text).toContain('systemctl start rke2-server.service');
    expect(text).toContain('wait up to 60s for the API (TCP 10.0.0.2:6443 accepts)');
  });
});
