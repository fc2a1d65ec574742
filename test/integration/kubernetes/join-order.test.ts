import { describe, expect, onTestFinished, test } from 'vitest';
import { buildServiceState, macFromIp, startEmulator } from '../../../src/emulator/index.ts';
import type { Clock } from '../../../src/executor/wait.ts';
import { createLogger, SecretSet } from '../../../src/log/logger.ts';
import { createOneGateClient } from '../../../src/onegate/client.ts';
import { convergeRole } from '../../../src/steps/converge.ts';
import type { RoleName } from '../../../src/plan/plan.ts';
import { configFrom, K8S_CONTEXT } from '../../support/cluster.ts';
import { SimHost, StandInCluster } from '../../support/sim-host.ts';
import { tempRoot } from '../../support/temp-root.ts';

/** Real time, ten times faster: the waits keep their order and backoff, the test its speed. */
const fastClock: Clock = { now: () => Date.now() * 10, sleep: (ms) => new Promise((r) => setTimeout(r, ms / 10)), random: Math.random };

describe('join order against the emulator and a stand-in for RKE2', () => {
  test('three masters started at once join one after another, never two at a time; workers join once a master is usable', async () => {
    const ipOf = (id: number) => `172.20.0.${10 + id}`;
    const nodes: { id: number; role: RoleName }[] = [
      { id: 1, role: 'master' },
      { id: 2, role: 'master' },
      { id: 3, role: 'master' },
      { id: 4, role: 'worker' },
      { id: 5, role: 'worker' },
    ];
    const emulator = await startEmulator({
      state: buildServiceState({
        serviceId: 10,
        roles: [
          { name: 'vnf', vms: [{ id: 0, ip: '172.20.0.100', userTemplate: { READY: 'YES' } }] },
          { name: 'master', vms: nodes.filter((n) => n.role === 'master').map((n) => ({ id: n.id, ip: ipOf(n.id) })) },
          { name: 'worker', vms: nodes.filter((n) => n.role === 'worker').map((n) => ({ id: n.id, ip: ipOf(n.id) })) },
        ],
      }),
    });
    onTestFinished(() => emulator.close());
    const cluster = new StandInCluster(200);
    const secrets = new SecretSet();

    const boot = async ({ id, role }: { id: number; role: RoleName }) => {
      const token = emulator.tokenOf(id) ?? '';
      const config = configFrom({ ...K8S_CONTEXT, ONEGATE_ENDPOINT: emulator.url, VMID: String(id), TOKENTXT: token });
      const host = new SimHost(await tempRoot(), id, ipOf(id), macFromIp(ipOf(id)), cluster);
      const client = createOneGateClient({ endpoint: emulator.url, vmId: id, token });
      const logger = createLogger({ level: 'silent', secrets });
      const self = await client.vmShow();
      await convergeRole(role, { host, logger, config, client, self, clock: fastClock, secrets });
      await client.vmUpdate({ READY: 'YES' }); // what bootstrap does next
      return host;
    };

    const hosts = await Promise.all(nodes.map(boot));

    expect(cluster.violations).toEqual([]);
    expect(cluster.overlappingServerJoins()).toEqual([]);
    const servers = cluster.joins.filter((j) => j.kind !== 'agent').map((j) => j.vmId);
    expect(servers).toEqual([1, 2, 3]); // by VM ID
    expect(cluster.joins.find((j) => j.vmId === 1)?.kind).toBe('initialise');
    expect(
      cluster.joins
        .filter((j) => j.kind === 'agent')
        .map((j) => j.vmId)
        .sort(),
    ).toEqual([4, 5]);

    // Every master published itself; the kubeconfig points at the control-plane endpoint.
    for (const id of [1, 2, 3]) {
      const template = emulator.vm(id)?.USER_TEMPLATE ?? {};
      expect(template.ONEGATE_K8S_MASTER).toBe(ipOf(id));
      expect(String(template.ONEGATE_K8S_TOKEN)).toMatch(/^K10standin::server:/);
      expect(Buffer.from(String(template.ONEKE_KUBECONFIG), 'base64').toString()).toContain('server: https://192.168.150.86:6443');
    }
    // The first master rejoins through the supervisor on reboot, with the token RKE2 wrote.
    expect(await hosts[0]?.readFile('/etc/rancher/rke2/config.yaml')).toMatch(/server: https:\/\/192\.168\.150\.86:9345\ntoken: K10standin::server:1\n/);
    expect((await hosts[3]?.stat('/etc/rancher/rke2/config.yaml'))?.mode).toBe(0o600);
    expect(hosts[3]?.units).toEqual(['mask rke2-server.service', 'start rke2-agent.service']);
  }, 60_000);
});

describe('OneGate going away while an agent waits', () => {
  test('the agent keeps waiting through the outage (within its deadline) and joins when OneGate is back', async () => {
    const emulator = await startEmulator({
      state: buildServiceState({
        serviceId: 10,
        roles: [
          { name: 'master', vms: [{ id: 1, ip: '172.20.0.11' }] },
          { name: 'worker', vms: [{ id: 4, ip: '172.20.0.14' }] },
        ],
      }),
    });
    onTestFinished(() => emulator.close());
    const cluster = new StandInCluster(50);
    const lines: string[] = [];
    const token = emulator.tokenOf(4) ?? '';
    const config = configFrom({ ...K8S_CONTEXT, ONEGATE_ENDPOINT: emulator.url, VMID: '4', TOKENTXT: token });
    const host = new SimHost(await tempRoot(), 4, '172.20.0.14', macFromIp('172.20.0.14'), cluster);
    // Each request gives up quickly, so the outage outlasts many of them.
    const client = createOneGateClient({ endpoint: emulator.url, vmId: 4, token, retry: { attempts: 2, initialMs: 10, maxMs: 20, deadlineMs: 200 } });
    const logger = createLogger({ level: 'info', secrets: new SecretSet(), console: { write: (l) => lines.push(l) } });
    const self = await client.vmShow();

    emulator.setFaults({ drop: 1 }); // OneGate answers nothing at all
    const joined = convergeRole('worker', { host, logger, config, client, self, clock: fastClock });
    await new Promise((r) => setTimeout(r, 1500));
    expect(cluster.joins).toEqual([]);
    // The master comes up meanwhile; then OneGate is back.
    cluster.running.set('172.20.0.11', 'server');
    emulator.setUserTemplate(1, 'READY', 'YES');
    emulator.setUserTemplate(1, 'ONEGATE_K8S_MASTER', '172.20.0.11');
    emulator.setUserTemplate(1, 'ONEGATE_K8S_TOKEN', 'K10standin::server:1');
    emulator.setFaults({});
    await joined;
    expect(cluster.joins.map((j) => [j.vmId, j.kind])).toEqual([[4, 'agent']]);
    expect(lines.some((l) => l.includes('waiting for OneGate to answer again'))).toBe(true);
  }, 30_000);
});
