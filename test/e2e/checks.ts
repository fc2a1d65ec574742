// What every end-to-end scenario must end with, as one function (issue: all VMs READY, exactly one
// initialisation, joins never concurrent, every node in the node list, HAProxy backends equal to
// the live masters and workers).

import { expect } from 'vitest';
import { PRIVATE_NET, type SimulatedService } from './harness.ts';

/** `syncMs`: how long the VNFs' HAProxy may take to follow (their refresh rate: 30 s in the official template). */
export async function expectHealthyCluster(service: SimulatedService, syncMs = 30_000): Promise<void> {
  const vms = [...service.vms.values()];
  const notReady = vms.filter((vm) => !service.isReady(vm)).map((vm) => `${vm.role} ${vm.id}`);
  expect(notReady, 'VMs not READY').toEqual([]);

  // Exactly one initialisation in the whole life of the cluster, and no overlapping server joins.
  const masters = service.ofRole('master');
  const inits = (await Promise.all(vms.map((vm) => service.grepLogs(vm, /initialised a new cluster/)))).flat();
  expect(inits, 'initialisations').toHaveLength(1);
  const overlaps = (await Promise.all(vms.map((vm) => service.grepLogs(vm, /refused: another server is joining/)))).flat();
  expect(overlaps, 'concurrent server joins refused by the stand-in').toEqual([]);

  // Every Kubernetes VM is a Ready node of the cluster.
  const first = masters[0];
  if (!first) throw new Error('no master left');
  const nodes = await service.nodeList(first);
  const expected = vms
    .filter((vm) => vm.role !== 'vnf')
    .map((vm) => `oneke-ip-${vm.ip.replaceAll('.', '-')}`)
    .sort();
  expect(nodes.filter((n) => n.ready === 'True').map((n) => n.name)).toEqual(expect.arrayContaining(expected));

  // HAProxy on every VNF: the supervisor and API backends are the masters, the ingress ones the workers.
  const masterIps = masters.map((m) => m.ip);
  const workerIps = service.ofRole('worker').map((w) => w.ip);
  const wanted = [...masterIps.flatMap((ip) => [`${ip}:9345`, `${ip}:6443`]), ...workerIps.flatMap((ip) => [`${ip}:32443`, `${ip}:32080`])].sort();
  for (const vnf of service.ofRole('vnf')) {
    await expectEventually(async () => (await service.haproxyServers(vnf)).filter((s) => s.startsWith(PRIVATE_NET)), wanted, `HAProxy backends on VNF ${vnf.id}`, syncMs);
  }
}

/** Polls until `read` gives `wanted` (the VNF sync converges within seconds), else fails showing both. */
export async function expectEventually<T>(read: () => Promise<T>, wanted: T, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (JSON.stringify(last) !== JSON.stringify(wanted) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    last = await read();
  }
  expect(last, what).toEqual(wanted);
}
