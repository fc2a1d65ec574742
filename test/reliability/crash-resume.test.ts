// Crash and resume: the agent killed with kill -9 at points spread over its configure run, on VMs of
// every role, then booted again. The end state must equal an uninterrupted run's, file for file and
// key for key, with no second initialisation or join. Real dist/oneke, keepalived, HAProxy, and the
// RKE2 stand-in with etcd, in network namespaces (test/e2e/harness.ts).

import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isRoot, NEEDS_ROOT } from '../support/netns.ts';
import { expectEventually } from '../e2e/checks.ts';
import { SimulatedService, type Role, type SimVm } from '../e2e/harness.ts';

const counts = { killPoints: 0, killedMidRun: 0, finishedBeforeKill: 0 };

afterAll(() => {
  console.log(`crash and resume: ${counts.killPoints} kill points (${counts.killedMidRun} killed mid-run, ${counts.finishedBeforeKill} finished before the kill)`);
});

/**
 * The agent's processes of a VM: the boot hook and the oneke runs under one-context's unit (units of
 * its own, such as RKE2 and the VNF's sync, keep running, as on a VM whose agent crashed).
 */
function agentPids(vm: SimVm): number[] {
  const argsOf = (pid: number): string => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return ''; // ended meanwhile
    }
  };
  let pids: number[] = [];
  try {
    pids = vm.container.unitPids('one-context.service');
  } catch {
    return []; // the container has no cgroup yet: it is still starting
  }
  return pids.filter((pid) => /(net-90-oneke|oneke\s.*\b(configure|bootstrap)\b)/.test(argsOf(pid)));
}

async function killAgent(vm: SimVm): Promise<number> {
  const pids = agentPids(vm);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Ended meanwhile.
    }
  }
  return pids.length;
}

/** Until the VM's boot has reached the agent (its container and systemd come first), at most a minute. */
async function agentStarted(vm: SimVm): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (agentPids(vm).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** What a VM ends with, with its own address and name replaced: files (path, mode, content) and OneGate keys. */
async function endState(service: SimulatedService, vm: SimVm): Promise<{ files: Record<string, string>; keys: Record<string, string> }> {
  // Whole addresses only: 198.51.100.25 must not turn the VIP 198.51.100.254 into `<IP>4`.
  const whole = (text: string) => new RegExp(`(?<![0-9])${text.replaceAll('.', '\\.')}(?![0-9])`, 'g');
  const normalise = (text: string) =>
    text
      .replace(whole(vm.ip), '<IP>')
      .replace(whole(vm.ip.replaceAll('.', '-')), '<IP->')
      .replace(whole(vm.publicIp ?? '<none>'), '<PUBLIC-IP>')
      .replace(/oneke-vm-\d+/g, 'oneke-vm-<ID>');
  const files: Record<string, string> = {};
  // The agent's own files; RKE2's data, runtime state, logs and timestamps differ between any two runs.
  for (const dir of [
    'etc/rancher',
    'etc/keepalived',
    'etc/haproxy',
    'etc/unbound',
    'etc/sysctl.d',
    'etc/nftables.d',
    'etc/default',
    'etc/hostname',
    'etc/resolv.conf',
    'etc/one-appliance/status',
    'var/lib/rancher/rke2/server/manifests',
  ]) {
    const full = path.join(vm.root, dir);
    const stat = await fs.lstat(full).catch(() => undefined);
    if (!stat) continue;
    const entries = stat.isDirectory() ? (await fs.readdir(full, { recursive: true })).map((f) => path.join(dir, f)) : [dir];
    for (const entry of entries) {
      const info = await fs.lstat(path.join(vm.root, entry));
      if (info.isDirectory()) continue;
      if (entry.endsWith('rke2.yaml')) continue; // the stand-in's, with per-server certificates
      let content = info.isSymbolicLink() ? `-> ${await fs.readlink(path.join(vm.root, entry))}` : await fs.readFile(path.join(vm.root, entry), 'utf8');
      // RKE2 draws a random node password per node on its first start: only its shape can match.
      if (entry === 'etc/rancher/node/password') content = /^[0-9a-f]{32}\n?$/.test(content) ? '<32 hex digits>' : content;
      files[normalise(entry)] = `${(info.mode & 0o777).toString(8)} ${normalise(content)}`;
    }
  }
  const template = service.emulator.vm(vm.id)?.USER_TEMPLATE ?? {};
  const keys = Object.fromEntries(
    Object.entries(template)
      .filter(([k]) => !['ROLE_NAME', 'SERVICE_ID'].includes(k))
      .map(([k, v]) => [k, k === 'ONEKE_KUBECONFIG' ? '<kubeconfig>' : normalise(String(v))]),
  );
  return { files, keys };
}

async function joins(service: SimulatedService, vm: SimVm): Promise<string[]> {
  return service.grepLogs(vm, /joined the cluster through|initialised a new cluster/);
}

describe.skipIf(!isRoot())(`crash and resume (${isRoot() ? 'root' : NEEDS_ROOT})`, () => {
  test('kill -9 of the agent at 20+ points across roles, then a new boot: the same end state, no second join', async () => {
    const service = await SimulatedService.create({ shape: { vnf: 1, master: 1, worker: 1, storage: 1 } });
    try {
      await service.deploy();
      // Every VM added below joins a formed cluster, so each role's reference does the same,
      // uninterrupted (the first master initialised the cluster: its config has no `server:`).
      // Its boot time spreads the kill points over a join; the VNF's is the same as at deploy.
      const reference = new Map<Role, Awaited<ReturnType<typeof endState>>>();
      const durations = new Map<Role, number>();
      for (const role of ['vnf', 'master', 'worker', 'storage'] as const) {
        let vm = service.ofRole(role)[0] as SimVm;
        if (role !== 'vnf') {
          vm = await service.addVm(role);
          expect((await service.boot(vm)).exitCode, `reference ${role}`).toBe(0);
          await service.waitReady([vm]);
        }
        reference.set(role, await endState(service, vm));
        durations.set(role, vm.booted?.seconds ?? 5);
      }

      // Kill points per role, spread over the agent's part of that role's uninterrupted boot (the
      // container and its systemd take the first part of a boot's time: 0.7 of it is the agent's).
      const plan: [Role, number][] = [];
      const points: Record<Role, number> = { vnf: 4, master: 4, worker: 8, storage: 4 };
      for (const role of ['worker', 'storage', 'master', 'vnf'] as const) {
        const n = points[role];
        for (let i = 0; i < n; i++) plan.push([role, ((i + 0.5) / n) * 0.7 * (durations.get(role) ?? 5) * 1000]);
      }

      for (const [role, afterMs] of plan) {
        const vm = await service.addVm(role);
        const boot = service.boot(vm);
        await agentStarted(vm);
        await new Promise((r) => setTimeout(r, afterMs));
        const killed = await killAgent(vm);
        counts.killPoints += 1;
        const first = await boot;
        if (killed > 0 && first.exitCode !== 0) {
          counts.killedMidRun += 1;
          service.event(vm, `kill -9 of the agent after ${(afterMs / 1000).toFixed(1)}s`);
        } else counts.finishedBeforeKill += 1;
        // A new boot of the VM: its systemd shuts down and boots again on the same disk.
        const again = await service.reboot(vm);
        expect(again.exitCode, again.output.split('\n').slice(-20).join('\n')).toBe(0);
        await service.waitReady([vm]);
        if (role === 'vnf') {
          // HAProxy's backends follow the service, which grew since: compare with the first VNF now.
          // Both follow it every few seconds, so both sides are read again until they agree.
          const first = service.ofRole('vnf')[0] as SimVm;
          const agree = async () => {
            const [mine, theirs] = await Promise.all([endState(service, vm), endState(service, first)]);
            return JSON.stringify(mine) === JSON.stringify(theirs) ? 'same' : JSON.stringify({ mine, theirs }, null, 1);
          };
          await expectEventually(agree, 'same', `vnf ${vm.id} killed after ${afterMs} ms, against vnf ${first.id}`);
        } else {
          expect(await endState(service, vm), `${role} ${vm.id} killed after ${afterMs} ms`).toEqual(reference.get(role));
        }
        if (role !== 'vnf') {
          // Never a second join. A reboot can cut RKE2's join short after etcd admitted the member (its
          // "joined" line unwritten); the node then comes back as that member: it must be in the cluster.
          expect((await joins(service, vm)).length, `${role} ${vm.id}: joins`).toBeLessThanOrEqual(1);
          const master = service.ofRole('master')[0] as SimVm;
          await expectEventually(
            async () => (await service.nodeList(master)).some((n) => n.name === `oneke-ip-${vm.ip.replaceAll('.', '-')}` && n.ready === 'True'),
            true,
            `${role} ${vm.id} a Ready node of the cluster`,
            60_000,
          );
        }
      }
      // One initialisation in the whole cluster's life.
      const inits = (await Promise.all([...service.vms.values()].map((vm) => service.grepLogs(vm, /initialised a new cluster/)))).flat();
      expect(inits).toHaveLength(1);
      expect(counts.killPoints).toBeGreaterThanOrEqual(20);
      expect(counts.killedMidRun).toBeGreaterThanOrEqual(15);
    } finally {
      await service.teardown();
    }
  }, 900_000);
});
