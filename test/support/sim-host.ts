import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import type { ExecOptions, ExecResult, LocalInterface } from '../../src/host/host.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import type { Probe } from '../../src/plan/plan.ts';

/** One join of a node to the stand-in cluster, as it happened. */
export interface JoinRecord {
  vmId: number;
  kind: 'initialise' | 'server' | 'agent';
  start: number;
  end: number;
}

/**
 * An in-process stand-in for RKE2 as far as the agent can tell from one machine's files: a server
 * start writes node-token and rke2.yaml; a server that joins takes `joinMs`; servers that join at
 * the same time are recorded as a violation of etcd's one-joiner rule.
 */
export class StandInCluster {
  readonly joins: JoinRecord[] = [];
  readonly violations: string[] = [];
  readonly running = new Map<string, 'server' | 'agent'>();
  #joiningServers = new Set<number>();

  readonly joinMs: number;

  constructor(joinMs = 150) {
    this.joinMs = joinMs;
  }

  async start(host: SimHost, unit: string): Promise<void> {
    const config = parse((await host.readFile('/etc/rancher/rke2/config.yaml')) ?? '{}') as { server?: string; token?: string } | null;
    const start = Date.now();
    // `systemctl start` of a unit that runs already does nothing, as systemd does.
    if (this.running.get(host.ip) === (unit === 'rke2-server.service' ? 'server' : 'agent')) return;
    if (unit === 'rke2-server.service') {
      const joining = Boolean(config?.server) && !this.running.has(host.ip);
      const kind = !joining ? (this.running.size === 0 ? 'initialise' : 'server') : 'server';
      if (joining) {
        if (this.#joiningServers.size > 0) this.violations.push(`VM ${host.vmId} joined while ${[...this.#joiningServers].join(', ')} was joining`);
        this.#joiningServers.add(host.vmId);
        await sleep(this.joinMs);
        this.#joiningServers.delete(host.vmId);
      }
      await host.writeFile('/var/lib/rancher/rke2/server/node-token', `K10standin::server:${host.vmId}\n`, 0o600);
      await host.writeFile('/etc/rancher/rke2/rke2.yaml', `apiVersion: v1\nkind: Config\nclusters:\n- name: default\n  cluster:\n    server: https://127.0.0.1:6443\n`, 0o600);
      this.running.set(host.ip, 'server');
      this.joins.push({ vmId: host.vmId, kind: joining || this.joins.length > 0 ? kind : 'initialise', start, end: Date.now() });
    } else if (unit === 'rke2-agent.service') {
      await sleep(this.joinMs / 3);
      this.running.set(host.ip, 'agent');
      this.joins.push({ vmId: host.vmId, kind: 'agent', start, end: Date.now() });
    }
  }

  /** Server joins that overlapped in time. */
  overlappingServerJoins(): [number, number][] {
    const servers = this.joins.filter((j) => j.kind === 'server');
    const pairs: [number, number][] = [];
    for (const a of servers) for (const b of servers) if (a.vmId < b.vmId && a.start < b.end && b.start < a.end) pairs.push([a.vmId, b.vmId]);
    return pairs;
  }
}

/**
 * A simulated VM for in-process tests: its files under a temp root (real), its network and
 * services simulated: one interface with its IP, `ip` commands recorded, RKE2 units served by the
 * stand-in, probes answered from the stand-in's state.
 */
export class SimHost extends NodeHost {
  readonly commands: string[] = [];
  readonly units: string[] = [];

  readonly vmId: number;
  readonly ip: string;
  readonly mac: string;
  readonly cluster: StandInCluster;

  constructor(root: string, vmId: number, ip: string, mac: string, cluster: StandInCluster) {
    super(root);
    this.vmId = vmId;
    this.ip = ip;
    this.mac = mac;
    this.cluster = cluster;
  }

  override async interfaces(): Promise<LocalInterface[]> {
    return [
      { name: 'lo', mac: '00:00:00:00:00:00', ipv4: ['127.0.0.1'] },
      { name: 'eth0', mac: this.mac, ipv4: [this.ip] },
    ];
  }

  override async exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    if (file === 'ip') {
      this.commands.push([file, ...args].join(' '));
      return { exitCode: 0, stdout: '[]', stderr: '' };
    }
    return super.exec(file, args, options);
  }

  override async run(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return file === 'ip' ? this.exec(file, args) : super.run(file, args, options);
  }

  override async setHostname(name: string): Promise<void> {
    await this.writeFile('/etc/hostname', `${name}\n`, 0o644);
  }

  override async systemctl(operation: string, unit: string): Promise<void> {
    this.units.push(`${operation} ${unit}`);
    if (operation === 'start') await this.cluster.start(this, unit);
  }

  override async probe(probe: Probe): Promise<boolean> {
    switch (probe.kind) {
      case 'file':
        return (await this.stat(probe.path)) !== undefined;
      case 'tcp':
        return probe.port === 6443 && this.cluster.running.get(probe.host) === 'server';
      case 'https':
      case 'nodes-ready':
        // Its own API, or the cluster's through the endpoint: up once this server runs.
        return this.cluster.running.get(this.ip) === 'server';
    }
  }
}
