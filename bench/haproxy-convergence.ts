// HAProxy convergence: from a backend change in OneGate (a worker with its LB keys added to the
// service, or removed) to the VNF's rendered haproxy.cfg showing it. The real sync loop (runSync)
// at the default refresh of 3 s, on a host under a temp root whose systemctl is recorded; the
// candidate configuration is checked by the real `haproxy -c`.

import fs from 'node:fs';
import { defaultToken, startEmulator } from '../src/emulator/index.ts';
import { realClock } from '../src/executor/wait.ts';
import { createLogger, SecretSet } from '../src/log/logger.ts';
import { createOneGateClient } from '../src/onegate/client.ts';
import { runSync } from '../src/steps/vnf-sync.ts';
import { HAPROXY_CFG } from '../src/roles/vnf/plan.ts';
import { configFrom } from '../test/support/cluster.ts';
import { workerBackend } from '../test/support/vnf-context.ts';
import { scratch, sleep, type BenchContext } from './lib/context.ts';
import { RecordingHost } from './lib/formation.ts';
import { markdownTable, type Figure, type Section } from './lib/report.ts';
import { HA_SHAPE, serviceState, SHAPES, shapeSize, shapeText, vnfContext, type Shape } from './lib/service-state.ts';
import { fmt, summarize } from './lib/stats.ts';

const TARGET_S = 5;

async function waitForFile(file: string, test: (text: string) => boolean, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (test(text)) return Date.now();
    if (Date.now() > deadline) throw new Error(`haproxy.cfg did not change within ${timeoutMs} ms`);
    await sleep(10);
  }
}

async function converge(ctx: BenchContext, shape: Shape, samples: number): Promise<{ add: number[]; remove: number[]; reloads: number; refresh: number }> {
  const { state, vms } = serviceState(shape, { formed: true });
  const emulator = await startEmulator({ state });
  const vnf = vms.find((vm) => vm.role === 'vnf');
  if (!vnf) throw new Error('no VNF');
  const token = defaultToken(10, vnf.id);
  const host = new RecordingHost(scratch(ctx, 'haproxy'));
  const config = configFrom(vnfContext(vnf, emulator.url, token));
  const client = createOneGateClient({ endpoint: emulator.url, vmId: vnf.id, token });
  const deps = { host, logger: createLogger({ level: 'silent', secrets: new SecretSet() }), config, client };
  const stop = new AbortController();
  const cfg = host.hostPath(HAPROXY_CFG);
  const loop = runSync(deps, realClock, stop.signal);
  const add: number[] = [];
  const remove: number[] = [];
  try {
    await waitForFile(cfg, (t) => t !== '');
    for (let i = 0; i < samples; i++) {
      const id = 1000 + i;
      const ip = `172.20.1.${10 + i}`;
      // A change lands anywhere in the 3 s between two polls.
      await sleep(Math.random() * config.haproxy.refreshRateSeconds * 1000);
      const added = Date.now();
      emulator.addVm('worker', { id, ip, userTemplate: { READY: 'YES', ...workerBackend(ip) } });
      add.push(((await waitForFile(cfg, (t) => t.includes(`${ip}:32443`))) - added) / 1000);
      await sleep(Math.random() * config.haproxy.refreshRateSeconds * 1000);
      const removed = Date.now();
      emulator.removeVm(id);
      remove.push(((await waitForFile(cfg, (t) => !t.includes(`${ip}:32443`))) - removed) / 1000);
    }
  } finally {
    stop.abort();
    await loop;
    await client.close();
    await emulator.close();
  }
  return { add, remove, reloads: host.units.filter((u) => u.includes('haproxy')).length, refresh: config.haproxy.refreshRateSeconds };
}

export async function measureHaproxyConvergence(ctx: BenchContext): Promise<Section> {
  const shapes = [HA_SHAPE, SHAPES[SHAPES.length - 1] ?? HA_SHAPE];
  const samples = ctx.pick(6, 2);
  const results = [];
  for (const shape of shapes) results.push({ shape, ...(await converge(ctx, shape, samples)) });
  const all = summarize(results.flatMap((r) => [...r.add, ...r.remove]));
  const figures: Figure[] = [{ name: 'HAProxy convergence after a backend change (10 and 250 VMs)', value: fmt(all, 's', 2), target: `≤ ${TARGET_S} s`, met: all.max <= TARGET_S }];
  const refresh = results[0]?.refresh ?? 3;
  const markdown = [
    `The VNF's sync loop (\`runSync\`, default refresh ${refresh} s) follows an emulated service; a worker with its LB keys is added ` +
      '(`emulator.addVm`) at a random moment between two polls, and removed again the same way; the time is from the change in the emulator to the ' +
      'rendered /etc/haproxy/haproxy.cfg (under a temp root) showing it, read every 10 ms. Each change goes through the real `haproxy -c` before it is ' +
      `written, and one recorded \`systemctl reload-or-restart haproxy.service\`. ${samples} additions and ${samples} removals per service.`,
    '',
    markdownTable(
      ['service', 'VMs', 'worker added → in haproxy.cfg', 'worker removed → gone from haproxy.cfg', 'reloads'],
      results.map((r) => [shapeText(r.shape), String(shapeSize(r.shape)), fmt(summarize(r.add), 's', 2), fmt(summarize(r.remove), 's', 2), String(r.reloads)]),
    ),
    '',
    all.max <= TARGET_S
      ? `Within ${TARGET_S} s every time: the wait for the next poll (uniform in 0–${refresh} s) plus one request, the rendering and \`haproxy -c\`.`
      : `**Target missed: the slowest change took ${all.max.toFixed(2)} s, ${(all.max - TARGET_S).toFixed(2)} s over ${TARGET_S} s.**`,
  ].join('\n');
  return { title: 'HAProxy convergence', figures, markdown };
}
