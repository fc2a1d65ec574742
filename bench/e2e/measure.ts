// The end-to-end figures, from test/e2e/harness.ts: whole services of systemd-nspawn containers with
// real systemd, the real dist/oneke, keepalived and HAProxy and the RKE2 stand-in. Run in a child process of the
// bench (bench/e2e.ts), which bounds its time and reads the JSON it writes:
//   node bench/e2e/measure.ts <out.json>

import fs from 'node:fs';
import os from 'node:os';
import type { SimVm } from '../../test/e2e/harness.ts';

type Harness = typeof import('../../test/e2e/harness.ts');
type Service = Awaited<ReturnType<Harness['SimulatedService']['create']>>;
type ServiceShape = Parameters<Harness['SimulatedService']['create']>[0]['shape'];

export interface E2eFormation {
  shape: ServiceShape;
  /** From deploy() called to every VM READY. */
  seconds?: number;
  error?: string;
  timeline: { t: number; vm: number | undefined; role: string | undefined; what: string }[];
}

export interface E2eData {
  formations: E2eFormation[];
  failover: { seconds: number[]; error?: string };
  /** When it ran (ISO time) and the machine's load average (1, 5, 15 min) before and after. */
  started?: string;
  load?: { before: number[]; after: number[] };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The boot hook exits 0 even when configure failed (one-context must go on), and deploy() then
 * waits for a READY that never comes: a VM whose boot finished without READY has failed.
 */
async function failFast(service: Service, watch: { on: boolean }): Promise<void> {
  while (watch.on) {
    for (const vm of service.vms.values()) {
      const template = service.emulator.vm(vm.id)?.USER_TEMPLATE ?? {};
      const failed = template.ONEKE_STATUS === 'failure' || (vm.booted !== undefined && !service.isReady(vm));
      if (failed) {
        const why = String(template.ONEKE_ERROR ?? vm.booted?.output.trim().split('\n').slice(-2).join(' | ') ?? 'no reason given');
        throw new Error(`${vm.role} ${vm.id} failed to boot: ${why}`);
      }
    }
    await sleep(500);
  }
}

async function formation(harness: Harness, shape: ServiceShape, after?: (service: Service, data: E2eData) => Promise<void>, data?: E2eData): Promise<E2eFormation> {
  const service = await harness.SimulatedService.create({ shape });
  const result: E2eFormation = { shape, timeline: [] };
  try {
    const started = Date.now();
    const watch = { on: true };
    await Promise.race([service.deploy().finally(() => (watch.on = false)), failFast(service, watch)]);
    result.seconds = (Date.now() - started) / 1000;
    if (after && data) await after(service, data);
  } catch (error) {
    result.error = error instanceof Error ? error.message.split('\n')[0] : String(error);
  } finally {
    result.timeline = service.timeline.map((e) => ({ ...e }));
    await service.teardown();
  }
  return result;
}

/**
 * kill -9 of the VIP holder's keepalived and HAProxy, timed until the other VNF carries the VIP
 * (the dead one keeps it on its interface: nobody removes it); then the stale VIPs go and the
 * killed VNF reboots, and the next round kills the new holder.
 */
async function failovers(harness: Harness, service: Service, data: E2eData, rounds: number): Promise<void> {
  const hasVip = async (vm: SimVm) => (await service.net.ipv4Addresses(vm.ns, 'eth0')).includes(harness.PUBLIC_VIP);
  try {
    for (let i = 0; i < rounds; i++) {
      const holder = await service.vipHolder();
      if (!holder) throw new Error('no VNF holds the VIP');
      const survivor = service.ofRole('vnf').find((vm) => vm.id !== holder.id);
      if (!survivor) throw new Error('one VNF only');
      await sleep(3_000);
      const killedAt = Date.now();
      for (const unit of ['keepalived.service', 'haproxy.service']) service.crashUnit(holder, unit);
      service.event(holder, 'bench: kill -9 of keepalived and HAProxy');
      while (!(await hasVip(survivor))) {
        if (Date.now() - killedAt > 30_000) throw new Error('the VIP did not move within 30 s');
        await sleep(20);
      }
      data.failover.seconds.push((Date.now() - killedAt) / 1000);
      await service.run(holder, 'ip', ['addr', 'del', `${harness.PUBLIC_VIP}/24`, 'dev', 'eth0']);
      await service.run(holder, 'ip', ['addr', 'del', `${harness.PRIVATE_VIP}/24`, 'dev', 'eth1']);
      const rebooted = await service.reboot(holder);
      if (rebooted.exitCode !== 0 || !service.isReady(holder)) throw new Error(`the killed VNF did not boot again (exit ${rebooted.exitCode})`);
    }
  } catch (error) {
    data.failover.error = error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

export async function measureE2eWith(harness: Harness, rounds = 3): Promise<E2eData> {
  const before = os.loadavg();
  const data: E2eData = { formations: [], failover: { seconds: [] }, started: new Date().toISOString() };
  data.formations.push(await formation(harness, { vnf: 1, master: 1, worker: 1, storage: 1 }));
  data.formations.push(await formation(harness, { vnf: 2, master: 3, worker: 3, storage: 2 }, (service, d) => failovers(harness, service, d, rounds), data));
  data.load = { before, after: os.loadavg() };
  return data;
}

if (import.meta.main) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node bench/e2e/measure.ts <out.json>');
  const harness = await import('../../test/e2e/harness.ts');
  fs.writeFileSync(out, JSON.stringify(await measureE2eWith(harness, Number(process.env.BENCH_E2E_ROUNDS ?? 3))));
}
