import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ExitCode, RuntimeProblem } from '../../../src/errors.ts';
import { applyPlan } from '../../../src/executor/apply.ts';
import { NodeHost } from '../../../src/host/node-host.ts';
import { resolveIpv4 } from '../../../src/host/resolve.ts';
import { kubeconfigFor, reachableServer } from '../../../src/plan/kubeconfig.ts';
import { createLogger, SecretSet } from '../../../src/log/logger.ts';
import { showValue } from '../../../src/plan/format.ts';
import type { Action, Plan } from '../../../src/plan/plan.ts';
import { tempRoot } from '../../support/temp-root.ts';

const RKE2_YAML = `apiVersion: v1
kind: Config
clusters:
- name: default
  cluster:
    certificate-authority-data: Q0E=
    server: https://127.0.0.1:6443
users:
- name: default
  user:
    client-certificate-data: Q0VSVA==
`;

type Cluster = { server: string; 'tls-server-name'?: string; 'certificate-authority-data': string };
const clusterOf = (text: string): Cluster => (parse(text) as { clusters: { cluster: Cluster }[] }).clusters[0]!.cluster;

describe('the server of the published kubeconfig', () => {
  test.each<[string, string, string | undefined, { server: string; tlsServerName?: string }]>([
    ['a name of the VNF DNS becomes its address, the name kept for TLS', 'https://ep0.eth0.vr:6443', '192.168.150.86', { server: 'https://192.168.150.86:6443', tlsServerName: 'ep0.eth0.vr' }],
    ['an address stays as it is', 'https://192.168.150.86:6443', '10.9.9.9', { server: 'https://192.168.150.86:6443' }],
    ['a name that does not resolve stays a name', 'https://api.example.com:6443', undefined, { server: 'https://api.example.com:6443' }],
  ])('%s', (_name, endpoint, address, expected) => {
    expect(reachableServer(endpoint, address)).toEqual(expected);
  });

  test('kubeconfigFor rewrites every cluster, keeps the CA, and sets or clears tls-server-name', () => {
    const named = clusterOf(kubeconfigFor(RKE2_YAML, 'https://192.168.150.86:6443', 'ep0.eth0.vr'));
    expect(named).toEqual({ 'certificate-authority-data': 'Q0E=', server: 'https://192.168.150.86:6443', 'tls-server-name': 'ep0.eth0.vr' });
    const plain = clusterOf(kubeconfigFor(kubeconfigFor(RKE2_YAML, 'https://x:1', 'old'), 'https://192.168.150.86:6443'));
    expect(plain).not.toHaveProperty('tls-server-name');
  });

  test('the printed plan says a name is published as its address', () => {
    expect(showValue({ from: 'file', path: '/etc/rancher/rke2/rke2.yaml', kubeconfigFor: 'https://ep0.eth0.vr:6443' })).toBe(
      '<base64 of /etc/rancher/rke2/rke2.yaml, server https://ep0.eth0.vr:6443 as the address ep0.eth0.vr resolves to>',
    );
  });

  test('the executor publishes the resolved address, asking the resolver only for names', async () => {
    const host = new NodeHost(await tempRoot({ '/etc/rancher/rke2/rke2.yaml': RKE2_YAML }));
    const asked: string[] = [];
    const published: Record<string, string>[] = [];
    const plan = (endpoint: string): Plan => ({
      role: 'master',
      decision: { kind: 'initialise', reason: 'test' },
      actions: [{ kind: 'publish', keys: { ONEKE_KUBECONFIG: { from: 'file', path: '/etc/rancher/rke2/rke2.yaml', kubeconfigFor: endpoint } } }],
    });
    const deps = {
      host,
      logger: createLogger({ level: 'silent', secrets: new SecretSet() }),
      onegate: { vmUpdate: async (keys: Record<string, string>) => void published.push(keys), vmDeleteKey: async () => undefined },
      resolveIpv4: async (name: string) => (asked.push(name), name === 'ep0.eth0.vr' ? '192.168.150.86' : undefined),
    };
    await applyPlan(plan('https://ep0.eth0.vr:6443'), deps);
    await applyPlan(plan('https://10.0.0.5:6443'), deps);
    expect(asked).toEqual(['ep0.eth0.vr']);
    const decoded = published.map((keys) => clusterOf(Buffer.from(keys.ONEKE_KUBECONFIG ?? '', 'base64').toString()));
    expect(decoded.map((c) => [c.server, c['tls-server-name']])).toEqual([
      ['https://192.168.150.86:6443', 'ep0.eth0.vr'],
      ['https://10.0.0.5:6443', undefined],
    ]);
  });

  // A broken rke2.yaml is a problem on the VM (exit 1 with a hint), not a bug of oneke (exit 70).
  test.each(['clusters: [unclosed\n', 'apiVersion: v1\nkind: Config\n', ''])('kubeconfigFor refuses %j as a RuntimeProblem', (text) => {
    let thrown: unknown;
    try {
      kubeconfigFor(text, 'https://10.0.0.5:6443');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RuntimeProblem);
    expect(thrown).toMatchObject({ code: 'ONEKE_KUBECONFIG_MALFORMED', exitCode: ExitCode.failure, message: expect.stringMatching(/^not a kubeconfig: /) });
    expect((thrown as RuntimeProblem).hint).toMatch(/rke2\.yaml/);
  });

  test('publishing without a OneGate client is a RuntimeProblem, not a crash', async () => {
    const host = new NodeHost(await tempRoot({}));
    const deps = { host, logger: createLogger({ level: 'silent', secrets: new SecretSet() }) };
    for (const action of [
      { kind: 'publish', keys: { READY: 'YES' } },
      { kind: 'unpublish', keys: ['READY'] },
    ] satisfies Action[]) {
      const plan: Plan = { role: 'master', decision: { kind: 'initialise', reason: 'test' }, actions: [action] };
      await expect(applyPlan(plan, deps)).rejects.toMatchObject({ code: 'ONEKE_ONEGATE_MISSING', exitCode: ExitCode.failure });
    }
  });

  test('the real resolver answers from /etc/hosts and says undefined for what does not resolve', async () => {
    expect(await resolveIpv4('localhost')).toBe('127.0.0.1');
    expect(await resolveIpv4('no-such-name.invalid')).toBeUndefined();
  });
});
