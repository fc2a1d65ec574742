// A whole cluster formation in this process (the pattern of test/integration/kubernetes/
// join-order.test.ts): the OneGate emulator, every Kubernetes VM a SimHost (files under its own
// root, network and RKE2 simulated) running the real convergeRole and then reporting READY, every
// VNF running the real HAProxy sync loop (runSync, `haproxy -c` for real, systemctl recorded).
//
// Time can run faster than the clock on the wall (`factor`): every wait of the agent and of the
// stand-in RKE2 is divided by it, and everything reported is in the formation's own seconds.
// RKE2 is a stand-in whose initialisation, server join and agent join take the given times.

import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { macFromIp, startEmulator, type EmulatorHandle, type EmulatorStats } from '../../src/emulator/index.ts';
import type { Clock } from '../../src/executor/wait.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import { createLogger, SecretSet } from '../../src/log/logger.ts';
import { createOneGateClient, type OneGateClient } from '../../src/onegate/client.ts';
import type { RoleName } from '../../src/plan/plan.ts';
import { runSync } from '../../src/steps/vnf-sync.ts';
import { convergeRole } from '../../src/steps/converge.ts';
import { configFrom } from '../../test/support/cluster.ts';
import { SimHost, StandInCluster } from '../../test/support/sim-host.ts';
import { nodeContext, serviceState, shapeSize, vnfContext, type BenchVm, type Shape } from './service-state.ts';

export interface StandInTimes {
  /** Seconds rke2-server takes to initialise a new cluster. */
  initialise: number;
  /** Seconds a server takes to join. */
  joinServer: number;
  /** Seconds an agent takes to join. */
  joinAgent: number;
}

export interface FormationOptions {
  shape: Shape;
  /** How many times faster than real time (1: real time). */
  factor: number;
  times: StandInTimes;
  /** A folder for the VMs' roots. */
  dir: string;
}

export type EventKind = 'boot' | 'poll' | 'rke2-start' | 'rke2-running' | 'ready' | 'haproxy-changed' | 'published-master';

export interface FormationEvent {
  /** Seconds of the formation since the children booted. */
  t: number;
  vm: number;
  role: RoleName;
  kind: EventKind;
}

export interface VmRun {
  vm: BenchVm;
  /** Requests the emulator got from this VM. */
  requests: number;
  /** Times of its service polls (GET /service?extended), formation seconds. */
  polls: number[];
  /** When its decision stopped being a wait (the last poll before applying), formation seconds. */
  waitedSeconds?: number;
  rke2Start?: number;
  rke2Running?: number;
  ready?: number;
}

export interface FormationResult {
  shape: Shape;
  size: number;
  factor: number;
  times: StandInTimes;
  /** Formation seconds from the children's boot to the last READY. */
  seconds: number;
  stats: EmulatorStats;
  runs: VmRun[];
  events: FormationEvent[];
  /** Server joins that overlapped (must be none). */
  violations: string[];
}

/** A clock `factor` times faster than the wall's, counting from now. */
export function fastClock(factor: number): Clock & { seconds(): number } {
  const start = Date.now();
  const now = () => start + (Date.now() - start) * factor;
  return {
    now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / factor)),
    random: Math.random,
    seconds: () => (now() - start) / 1000,
  };
}

/** The stand-in RKE2 with timed initialisation and joins, on the formation's clock. */
class TimedCluster extends StandInCluster {
  readonly #clock: Clock;
  readonly #times: StandInTimes;
  readonly #onEvent: (host: SimHost, kind: EventKind) => void;
  #joining = 0;
  readonly overlaps: string[] = [];

  constructor(clock: Clock, times: StandInTimes, onEvent: (host: SimHost, kind: EventKind) => void) {
    super(0);
    this.#clock = clock;
    this.#times = times;
    this.#onEvent = onEvent;
  }

  override async start(host: SimHost, unit: string): Promise<void> {
    const config = parse((await host.readFile('/etc/rancher/rke2/config.yaml')) ?? '{}') as { server?: string } | null;
    const start = Date.now();
    this.#onEvent(host, 'rke2-start');
    if (unit === 'rke2-server.service') {
      const joining = Boolean(config?.server);
      if (joining) {
        if (this.#joining > 0) this.overlaps.push(`VM ${host.vmId} joined while another server was joining`);
        this.#joining += 1;
      }
      await this.#clock.sleep((joining ? this.#times.joinServer : this.#times.initialise) * 1000);
      if (joining) this.#joining -= 1;
      await host.writeFile('/var/lib/rancher/rke2/server/node-token', `K10standin::server:${host.vmId}\n`, 0o600);
      await host.writeFile('/etc/rancher/rke2/rke2.yaml', 'apiVersion: v1\nkind: Config\nclusters:\n- name: default\n  cluster:\n    server: https://127.0.0.1:6443\n', 0o600);
      this.running.set(host.ip, 'server');
      this.joins.push({ vmId: host.vmId, kind: joining ? 'server' : 'initialise', start, end: Date.now() });
    } else if (unit === 'rke2-agent.service') {
      await this.#clock.sleep(this.#times.joinAgent * 1000);
      this.running.set(host.ip, 'agent');
      this.joins.push({ vmId: host.vmId, kind: 'agent', start, end: Date.now() });
    }
    this.#onEvent(host, 'rke2-running');
  }
}

/** A host under a root whose systemctl calls are only recorded (the VNF's: HAProxy reloads). */
export class RecordingHost extends NodeHost {
  readonly units: string[] = [];
  override async systemctl(operation: string, unit: string): Promise<void> {
    this.units.push(`${operation} ${unit}`);
  }
}

/** A client that notes when it polls the service. */
function notingPolls(client: OneGateClient, polls: number[], clock: { seconds(): number }): OneGateClient {
  return {
    ...client,
    serviceShowExtended: () => {
      polls.push(clock.seconds());
      return client.serviceShowExtended();
    },
  };
}

/**
 * OneFlow's order: the VNFs are READY (and following the service with their sync loop) when the
 * masters, workers and storage nodes all boot at once; the formation ends when every VM is READY.
 */
export async function runFormation(options: FormationOptions): Promise<FormationResult> {
  const { shape, factor, times } = options;
  const { state, vms } = serviceState(shape, { formed: false });
  const emulator: EmulatorHandle = await startEmulator({ state });
  const clock = fastClock(factor);
  const events: FormationEvent[] = [];
  const runs = new Map<number, VmRun>(vms.map((vm) => [vm.id, { vm, requests: 0, polls: [] }]));
  const note = (vm: BenchVm, kind: EventKind, t = clock.seconds()) => events.push({ t, vm: vm.id, role: vm.role, kind });
  const byId = new Map(vms.map((vm) => [vm.id, vm]));
  const cluster = new TimedCluster(clock, times, (host, kind) => {
    const run = runs.get(host.vmId);
    if (!run) return;
    const t = clock.seconds();
    if (kind === 'rke2-start') run.rke2Start = t;
    if (kind === 'rke2-running') run.rke2Running = t;
    note(run.vm, kind, t);
  });
  emulator.onUpdate((update) => {
    const vm = byId.get(update.vmId);
    const run = runs.get(update.vmId);
    if (!vm || !run || update.kind !== 'set') return;
    if (update.keys.READY === 'YES') {
      run.ready = clock.seconds();
      note(vm, 'ready', run.ready);
    }
    if (update.keys.ONEGATE_K8S_MASTER) note(vm, 'published-master');
  });
  const secrets = new SecretSet();
  const logger = createLogger({ level: 'silent', secrets });
  const clients: OneGateClient[] = [];
  const stop = new AbortController();
  const rootOf = (vm: BenchVm) => {
    const root = path.join(options.dir, `vm${vm.id}`);
    fs.mkdirSync(root, { recursive: true });
    return root;
  };

  try {
    // The VNFs' sync loops, at the default refresh (3 s of the formation's clock).
    const syncs = vms
      .filter((vm) => vm.role === 'vnf')
      .map(async (vm) => {
        const token = emulator.tokenOf(vm.id) ?? '';
        const client = createOneGateClient({ endpoint: emulator.url, vmId: vm.id, token });
        clients.push(client);
        const polls = (runs.get(vm.id) as VmRun).polls;
        const deps = { host: new RecordingHost(rootOf(vm)), logger, config: configFrom(vnfContext(vm, emulator.url, token)), client: notingPolls(client, polls, clock) };
        await runSync(deps, clock, stop.signal, (result) => {
          if (result === 'changed') note(vm, 'haproxy-changed');
        });
      });

    const boot = async (vm: BenchVm) => {
      const run = runs.get(vm.id) as VmRun;
      const token = emulator.tokenOf(vm.id) ?? '';
      const client = createOneGateClient({ endpoint: emulator.url, vmId: vm.id, token });
      clients.push(client);
      const host = new SimHost(rootOf(vm), vm.id, vm.ip, macFromIp(vm.ip), cluster);
      const config = configFrom(nodeContext(vm, emulator.url, token));
      note(vm, 'boot');
      const self = await client.vmShow();
      await convergeRole(vm.role, { host, logger, config, client: notingPolls(client, run.polls, clock), self, clock, secrets });
      await client.vmUpdate({ READY: 'YES' }); // what bootstrap does next
    };
    await Promise.all(vms.filter((vm) => vm.role !== 'vnf').map(boot));
    const seconds = clock.seconds();
    // One more VNF poll at most sees the last backends; then the loops stop.
    await clock.sleep(3_500);
    stop.abort();
    await Promise.all(syncs);

    const stats = emulator.stats();
    for (const run of runs.values()) {
      run.requests = stats.byVm[String(run.vm.id)] ?? 0;
      if (run.polls.length > 0 && run.vm.role !== 'vnf') run.waitedSeconds = run.polls.at(-1);
    }
    // VNF polls after the last READY are not part of the formation: count only those before.
    for (const run of runs.values()) if (run.vm.role === 'vnf') run.polls = run.polls.filter((t) => t <= seconds);
    return {
      shape,
      size: shapeSize(shape),
      factor,
      times,
      seconds,
      stats,
      runs: [...runs.values()],
      events: events.sort((a, b) => a.t - b.t),
      violations: [...cluster.overlaps, ...cluster.overlappingServerJoins().map(([a, b]) => `servers ${a} and ${b} joined at once`)],
    };
  } finally {
    stop.abort();
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await emulator.close();
  }
}
