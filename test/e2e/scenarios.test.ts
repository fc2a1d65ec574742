// Whole OneKE services on this machine: every VM a container with a real systemd, the real dist/oneke
// installed in it by the image build's scripts, real keepalived and HAProxy units on the VNFs, the
// RKE2 stand-in as the rke2 units on the Kubernetes nodes, joins through the VNF's VIP and HAProxy.

import { execa } from 'execa';
import fs from 'node:fs/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { BINARY } from '../support/binary.ts';
import { isRoot, NEEDS_ROOT } from '../support/netns.ts';
import { expectEventually, expectHealthyCluster } from './checks.ts';
import { PRIVATE_VIP, PUBLIC_VIP, SimulatedService, type SimOptions, type SimVm } from './harness.ts';

const created: SimulatedService[] = [];

/** Runs a scenario on a fresh service and always tears it down, printing its timeline. */
async function scenario(name: string, options: SimOptions, body: (service: SimulatedService) => Promise<void>): Promise<void> {
  const service = await SimulatedService.create(options);
  created.push(service);
  try {
    await body(service);
  } finally {
    console.log(`\n=== ${name}: timeline ===\n${service.timelineText()}\n\n${service.table()}\n`);
    await service.teardown();
  }
}

async function joinLines(service: SimulatedService, vm: SimVm): Promise<string[]> {
  return service.grepLogs(vm, /joined the cluster|initialised a new cluster/);
}

/** The VM's systemd's view of a unit: `systemctl is-enabled` and `is-active`. */
async function unitState(service: SimulatedService, vm: SimVm, unit: string): Promise<string> {
  const enabled = (await service.exec(vm, 'systemctl', ['is-enabled', unit])).stdout.trim();
  const active = (await service.exec(vm, 'systemctl', ['is-active', unit])).stdout.trim();
  return `${enabled} ${active}`;
}

afterAll(async () => {
  // Nothing of ours is left: no namespace, no container's cgroup, no overlay, no process running from a service folder.
  const mine = new RegExp(`okt-${process.pid}-`);
  const namespaces = (await execa('ip', ['netns', 'list'], { reject: false })).stdout;
  expect(namespaces).not.toMatch(mine);
  for (const hierarchy of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd']) expect((await fs.readdir(hierarchy)).filter((d) => mine.test(d))).toEqual([]);
  const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
  const processes = (await execa('ps', ['-eo', 'args'], { reject: false })).stdout;
  for (const service of created) {
    expect(processes).not.toContain(service.dir);
    expect(mounts).not.toContain(service.dir);
  }
});

describe.skipIf(!isRoot())(`end-to-end scenarios (${isRoot() ? `with ${BINARY}` : NEEDS_ROOT})`, () => {
  test('the default service: 1 VNF, 1 master, 1 worker, 1 storage', async () => {
    await scenario('default', { shape: { vnf: 1, master: 1, worker: 1, storage: 1 } }, async (service) => {
      await service.deploy();
      await expectHealthyCluster(service);
      // The worker's systemd: rke2-server masked, rke2-agent started but not enabled; the master's the other way round.
      const worker = service.ofRole('worker')[0] as SimVm;
      const master = service.ofRole('master')[0] as SimVm;
      expect(await unitState(service, worker, 'rke2-server.service')).toBe('masked inactive');
      expect(await unitState(service, worker, 'rke2-agent.service')).toBe('disabled active');
      expect(await unitState(service, master, 'rke2-server.service')).toBe('disabled active');
      const vnf = service.ofRole('vnf')[0] as SimVm;
      expect((await service.exec(vnf, 'systemctl', ['is-active', 'keepalived.service', 'haproxy.service', 'oneke-vnf-sync.service'])).stdout.split('\n')).toEqual(['active', 'active', 'active']);
      // The published kubeconfig works from outside, through the VNF, for a real kubectl.
      const kubectl = await service.kubectlGetNodes(master);
      expect(kubectl.exitCode, kubectl.output).toBe(0);
      for (const vm of [...service.vms.values()].filter((v) => v.role !== 'vnf')) expect(kubectl.output).toMatch(new RegExp(`^oneke-ip-${vm.ip.replaceAll('.', '-')}\\s+Ready`, 'm'));
      // kill -9 of the worker's RKE2: Restart=always of its unit brings it back, through the VM's systemd.
      expect(service.crashUnit(worker, 'rke2-agent.service')).not.toEqual([]);
      const restarts = async () => (await service.exec(worker, 'systemctl', ['show', '-p', 'NRestarts', '--value', 'rke2-agent.service'])).stdout.trim();
      await expectEventually(restarts, '1', 'restarts of rke2-agent.service after kill -9', 60_000);
      await expectEventually(async () => (await service.exec(worker, 'systemctl', ['is-active', 'rke2-agent.service'])).stdout.trim(), 'active', 'rke2-agent.service active again', 60_000);
    });
  }, 300_000);

  test('an HA service of 2 VNF, 3 masters, 3 workers, 2 storage with every role started at once', async () => {
    await scenario('HA', { shape: { vnf: 2, master: 3, worker: 3, storage: 2 } }, async (service) => {
      await service.deploy();
      await expectHealthyCluster(service);
      // Masters joined in the order of their VM IDs.
      const joined = service.timeline.filter((e) => e.role === 'master' && e.what.startsWith('published ONEGATE_K8S_MASTER')).map((e) => e.vm);
      expect(joined).toEqual(service.ofRole('master').map((m) => m.id));
    });
  }, 420_000);

  test('workers scaled up to 6, then down to 2: HAProxy and the cleaner follow', async () => {
    await scenario('scale', { shape: { vnf: 1, master: 1, worker: 2, storage: 0 } }, async (service) => {
      await service.deploy();
      await service.scale('worker', 6);
      await expectHealthyCluster(service);
      const removed = service
        .ofRole('worker')
        .slice(2)
        .map((w) => `oneke-ip-${w.ip.replaceAll('.', '-')}`);
      await service.scale('worker', 2);
      const master = service.ofRole('master')[0] as SimVm;
      // The cleaner (its timer's command) removes the nodes of the removed workers once they stop answering.
      await expectEventually(
        async () => {
          await service.exec(master, 'systemctl', ['start', 'oneke-clean.service']);
          const names = (await service.nodeList(master)).map((n) => n.name);
          return removed.filter((n) => names.includes(n));
        },
        [],
        'nodes of removed workers deleted by oneke clean',
        60_000,
      );
      await expectHealthyCluster(service);
    });
  }, 420_000);

  test('a worker and a master reboot: no new initialisation, no second join', async () => {
    await scenario('reboot', { shape: { vnf: 1, master: 2, worker: 1, storage: 0 } }, async (service) => {
      await service.deploy();
      const [first, second] = service.ofRole('master') as [SimVm, SimVm];
      const worker = service.ofRole('worker')[0] as SimVm;
      const before = await Promise.all([first, second, worker].map((vm) => joinLines(service, vm)));
      for (const vm of [worker, second, first]) {
        const result = await service.reboot(vm);
        expect(result.exitCode, result.output).toBe(0);
      }
      const after = await Promise.all([first, second, worker].map((vm) => joinLines(service, vm)));
      expect(after).toEqual(before);
      for (const vm of [first, second, worker]) expect(await service.grepLogs(vm, /this VM is READY already/)).not.toEqual([]);
      await expectHealthyCluster(service);
    });
  }, 420_000);

  test('kill -9 of the VNF that holds the VIP while workers are joining', async () => {
    await scenario('VIP failover', { shape: { vnf: 2, master: 1, worker: 0, storage: 0 } }, async (service) => {
      await service.deploy();
      const added: SimVm[] = [];
      for (let i = 0; i < 3; i++) added.push(await service.addVm('worker'));
      added.forEach((vm) => void service.boot(vm));
      const holder = await service.vipHolder();
      expect(holder).toBeDefined();
      for (const unit of ['keepalived.service', 'haproxy.service']) expect(service.crashUnit(holder as SimVm, unit)).not.toEqual([]);
      // A crashed VM's addresses go with it; here the namespace lives on, so they are taken away by hand.
      await service.run(holder as SimVm, 'ip', ['addr', 'del', `${PUBLIC_VIP}/24`, 'dev', 'eth0']);
      await service.run(holder as SimVm, 'ip', ['addr', 'del', `${PRIVATE_VIP}/24`, 'dev', 'eth1']);
      service.event(holder, 'kill -9 of keepalived and HAProxy');
      await service.waitReady(added);
      const newHolder = await service.vipHolder();
      expect(newHolder?.id).not.toBe(holder?.id);
      // Debian's keepalived and HAProxy units have no Restart=: the dead VNF's services come back with a reboot.
      await service.reboot(holder as SimVm);
      await expectHealthyCluster(service);
    });
  }, 420_000);

  test('OneGate answers 20% of requests with errors throughout', async () => {
    await scenario('OneGate faults', { shape: { vnf: 1, master: 3, worker: 2, storage: 1 }, faults: { seed: 7, error5xx: 0.1, drop: 0.05, malformed: 0.05 } }, async (service) => {
      await service.deploy();
      await expectHealthyCluster(service);
      const { faults, total } = service.emulator.stats();
      const injected = Object.values(faults).reduce((a, b) => a + b, 0);
      console.log(`faults injected: ${injected} of ${total} requests: ${JSON.stringify(faults)}`);
      // Faults really happened, at about the configured rate (20 %); how many depends on how often the VMs polled.
      expect(injected).toBeGreaterThanOrEqual(3);
      expect(injected / total).toBeGreaterThan(0.05);
    });
  }, 420_000);
});
