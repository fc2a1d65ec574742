// A whole OneKE service on one machine: every VM a network namespace with its own --root folder,
// a private bridge for the cluster and a public one for the VNF's outside side, the OneGate
// emulator (in this process) reachable from every namespace, context files written per VM as
// OpenNebula would, and OneFlow's behaviour: roles in parent order, children only once every VNF is
// READY (ready_status_gate), every VM of a role started at once, scaling, reboots.
//
// Each VM is a systemd-nspawn container (test/support/nspawn.ts) booted with a real systemd from the
// root of test/e2e/image/build-rootfs.sh, where the image build's scripts and `oneke install` (from
// the stand-in artefact mirror) installed dist/oneke, its units and hooks, and RKE2's layout. A
// one-context stand-in runs the hooks at boot; keepalived, HAProxy and the DNS server are Debian's
// units; rke2-server/rke2-agent are Type=notify units running the RKE2 stand-in of test/e2e/standin. A reboot stops and starts the container on the same overlay.
// Used by the end-to-end tests, the demo (scripts/demo.ts) and the benchmarks.

import { execa } from 'execa';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildServiceState, startEmulator, type EmulatorHandle, type FaultConfig } from '../../src/emulator/index.ts';
import { contextSh } from '../support/binary.ts';
import { TestNet, removeLeftovers, type NetProcess } from '../support/netns.ts';
import { allowManyContainers, Container, IN_VM, removeContainerLeftovers, vmRootfs } from '../support/nspawn.ts';
import { officialService } from '../support/official-template.ts';

export type Role = 'vnf' | 'master' | 'worker' | 'storage';
export const ROLE_ORDER: readonly Role[] = ['vnf', 'master', 'worker', 'storage'];

export const PRIVATE_NET = '198.51.100';
// The public network's addresses also live on this machine's side (the emulator's cable), so they
// must not be a range this machine uses to reach anything: 198.18.0.0/15 is set aside for test
// networks (RFC 2544); the documentation ranges 192.0.2.0/24 and 203.0.113.0/24 are not safe here.
export const PUBLIC_NET = '198.18.0';
export const PRIVATE_VIP = `${PRIVATE_NET}.254`;
export const PUBLIC_VIP = `${PUBLIC_NET}.254`;
/**
 * The emulator's address, on the machine's side of a cable into the public bridge: where an OpenNebula
 * front-end is. The VMs of the private network reach it only through the VNF (its NAT, their default
 * route that oneke sets via the private VIP or FALLBACK_GW).
 */
export const ONEGATE_HOST = `${PUBLIC_NET}.250`;
export const SERVICE_ID = 42;

const LOCK_DIR = path.join(os.tmpdir(), 'oneke-simulated-service.lock');
const NODE = process.execPath;

export interface SimVm {
  id: number;
  role: Role;
  ns: string;
  /** The VM's files as it sees them (its overlay, mounted once it first boots). */
  root: string;
  container: Container;
  /** Private address (every VM); the VNF also has a public one. */
  ip: string;
  publicIp?: string;
  token: string;
  /** The boot hook's run, while it runs. */
  boot?: Promise<BootResult>;
  booted?: BootResult;
}

export interface BootResult {
  /** The exit code of the boot hook (net-90-oneke), as one-context saw it. */
  exitCode: number;
  seconds: number;
  output: string;
}

export interface TimelineEvent {
  /** Seconds since the service was created. */
  t: number;
  vm: number | undefined;
  role: Role | undefined;
  what: string;
}

export interface ServiceShape {
  vnf: number;
  master: number;
  worker: number;
  storage: number;
}

export interface SimOptions {
  shape: ServiceShape;
  /** Extra context variables for every VM (ONEAPP_* of the service template). */
  context?: Record<string, string>;
  faults?: FaultConfig;
  /** Progress lines for people (the demo); silent in tests. */
  say?: (line: string) => void;
  /** Seconds a Kubernetes node waits for a thing before giving up. */
  waitTimeout?: number;
  /**
   * The official OneKE 1.33 marketplace service instead of the harness's own variables: each VM gets
   * what the marketplace files give its role (test/support/official-template.ts), with these user
   * inputs (defaults for the rest) and these extra variables on the VNFs.
   */
  official?: { inputs?: Record<string, string>; vnf?: Record<string, string> };
}

function macOf(ip: string): string {
  return `02:00:${ip
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join(':')}`;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

export class SimulatedService {
  readonly net = new TestNet();
  readonly vms = new Map<number, SimVm>();
  readonly timeline: TimelineEvent[] = [];
  readonly dir: string;
  readonly options: SimOptions;
  emulator!: EmulatorHandle;
  #started = Date.now();
  #nextId = 0;
  #hostLink = '';
  #clients: NetProcess[] = [];
  #rootfs = '';
  #tearingDown = false;
  /** The client namespace on the public side (kubectl), once made. */
  #outside = '';

  private constructor(dir: string, options: SimOptions) {
    this.dir = dir;
    this.options = options;
  }

  /** Removes what killed runs left: their namespaces and the machine-side cables (`okt<pid>h…`). */
  static async removeLeftovers(): Promise<void> {
    await removeContainerLeftovers();
    await removeLeftovers();
    const links = (await execa('ip', ['-o', 'link', 'show'], { reject: false })).stdout;
    for (const name of links.split('\n').map((l) => l.split(': ')[1]?.split('@')[0] ?? '')) {
      const pid = /^okt(\d+)h/.exec(name)?.[1];
      if (pid === undefined || Number(pid) === process.pid) continue;
      if (!(await execa('kill', ['-0', pid], { reject: false })).exitCode) continue;
      await execa('ip', ['link', 'del', name], { reject: false });
    }
  }

  /**
   * One simulated service at a time on a machine: they share the addresses of the test networks.
   * A second one (another test run, a benchmark, the demo) waits for the first to tear down.
   */
  static async lock(say?: (line: string) => void): Promise<void> {
    for (let waited = 0; ; waited++) {
      try {
        await fs.mkdir(LOCK_DIR);
        await fs.writeFile(path.join(LOCK_DIR, 'pid'), String(process.pid));
        return;
      } catch {
        const holder = Number(await fs.readFile(path.join(LOCK_DIR, 'pid'), 'utf8').catch(() => '0'));
        // No pid yet: the holder made the folder a moment ago and is writing it; only an old folder without one is stale.
        const age = Date.now() - ((await fs.stat(LOCK_DIR).catch(() => undefined))?.mtimeMs ?? 0);
        const alive = holder > 0 ? (await execa('kill', ['-0', String(holder)], { reject: false })).exitCode === 0 : age < 10_000;
        if (!alive && waited > 2) await fs.rm(LOCK_DIR, { recursive: true, force: true });
        else if (waited === 0) say?.(`another simulated service runs here (pid ${holder}); waiting for it to end`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Builds the networks and the emulator; no VM runs yet. */
  static async create(options: SimOptions): Promise<SimulatedService> {
    await SimulatedService.lock(options.say);
    await SimulatedService.removeLeftovers();
    await allowManyContainers();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-e2e-'));
    // Whose overlays these are, for removeContainerLeftovers after a killed run.
    await fs.writeFile(path.join(dir, 'owner'), String(process.pid));
    const service = new SimulatedService(dir, options);
    try {
      service.#rootfs = await vmRootfs(options.say);
      await service.#setUp();
    } catch (error) {
      await service.teardown();
      throw error;
    }
    return service;
  }

  event(vm: SimVm | undefined, what: string): void {
    const t = (Date.now() - this.#started) / 1000;
    this.timeline.push({ t, vm: vm?.id, role: vm?.role, what });
    this.options.say?.(`${t.toFixed(1).padStart(6)}s  ${vm ? `${vm.role} ${vm.id}`.padEnd(10) : ''.padEnd(10)} ${what}`);
  }

  async #setUp(): Promise<void> {
    await this.net.bridge('br-private');
    await this.net.bridge('br-public');
    // One cable from the machine into the public bridge, for the emulator running in this process.
    const sw = `${this.net.prefix}switch`;
    this.#hostLink = `okt${process.pid}h${this.net.prefix.split('-')[2] ?? ''}`.slice(0, 15);
    await execa('ip', ['link', 'add', this.#hostLink, 'type', 'veth', 'peer', 'name', 'host0', 'netns', sw]);
    await execa('ip', ['-n', sw, 'link', 'set', 'host0', 'master', 'br-public', 'up']);
    await execa('ip', ['addr', 'add', `${ONEGATE_HOST}/24`, 'dev', this.#hostLink]);
    await execa('ip', ['link', 'set', this.#hostLink, 'up']);

    this.emulator = await startEmulator({
      state: buildServiceState({ serviceId: SERVICE_ID, name: 'OneKE (simulated)', roles: ROLE_ORDER.map((name) => ({ name, vms: [] })) }),
      host: ONEGATE_HOST,
      port: 0,
      ...(this.options.faults ? { faults: this.options.faults } : {}),
    });
    this.emulator.onUpdate((update) => {
      const vm = this.vms.get(update.vmId);
      if (update.kind === 'delete') {
        this.event(vm, `deleted ${update.key}`);
        return;
      }
      // One line per backend registration, not four.
      const keys = Object.keys(update.keys).filter((k) => !k.startsWith('ONEGATE_HAPROXY_LB') || k.endsWith('_SERVER_HOST'));
      for (const key of keys) {
        const shown = /TOKEN|KUBECONFIG/.test(key) ? '(secret)' : update.keys[key];
        this.event(vm, `published ${key}=${shown}`);
      }
    });
  }

  /** Adds a VM to `role` (its namespace, root, context and OneGate record); it does not boot yet. */
  async addVm(role: Role): Promise<SimVm> {
    const id = this.#nextId++;
    const ip = `${PRIVATE_NET}.${10 + id}`;
    const ns = await this.net.namespace(`vm${id}`);
    const dir = path.join(this.dir, `vm${id}`);
    // The VM's context CD: one-context's stand-in copies it where one-context keeps it.
    await fs.mkdir(path.join(dir, 'context'), { recursive: true });
    const container = new Container({
      name: ns,
      lower: this.#rootfs,
      dir,
      netns: ns,
      binds: { [path.join(dir, 'context')]: IN_VM.context },
    });
    const vm: SimVm = { id, role, ns, root: container.root, container, ip, token: '' };
    const nics = [{ ip, network: 'private' }];
    if (role === 'vnf') {
      vm.publicIp = `${PUBLIC_NET}.${10 + id}`;
      nics.unshift({ ip: vm.publicIp, network: 'public' });
    }
    this.emulator.addVm(role, { id, nics: nics.map((n) => ({ ...n, mac: macOf(n.ip) })) });
    vm.token = this.emulator.tokenOf(id) ?? '';

    // The VNF: eth0 public, eth1 private; the others: eth0 private.
    if (vm.publicIp) {
      await this.net.attach(ns, 'eth0', 'br-public', { mac: macOf(vm.publicIp), addresses: [`${vm.publicIp}/24`] });
      await this.net.attach(ns, 'eth1', 'br-private', { mac: macOf(ip), addresses: [`${ip}/24`] });
    } else {
      // No gateway on the private network, as in OneKE: the route to OneGate is oneke's to set.
      await this.net.attach(ns, 'eth0', 'br-private', { mac: macOf(ip), addresses: [`${ip}/24`] });
    }
    await fs.writeFile(path.join(dir, 'context', 'context.sh'), contextSh(this.#contextOf(vm)), { mode: 0o400 });
    this.vms.set(id, vm);
    this.event(vm, `created (${ip}${vm.publicIp ? `, public ${vm.publicIp}` : ''})`);
    return vm;
  }

  #contextOf(vm: SimVm): Record<string, string> {
    const nic = (n: number, ip: string, net: string) => ({
      [`ETH${n}_IP`]: ip,
      [`ETH${n}_MAC`]: macOf(ip),
      [`ETH${n}_MASK`]: '255.255.255.0',
      [`ETH${n}_NETWORK`]: `${net}.0`,
    });
    // What OpenNebula itself adds to every VM's context.
    const platform = {
      ONEGATE_ENDPOINT: this.emulator.url,
      VMID: String(vm.id),
      TOKENTXT: vm.token,
      ...(vm.publicIp ? { ...nic(0, vm.publicIp, PUBLIC_NET), ...nic(1, vm.ip, PRIVATE_NET) } : nic(0, vm.ip, PRIVATE_NET)),
    };
    const { official } = this.options;
    if (official) {
      const firstVnf = this.ofRole('vnf')[0] ?? vm;
      const service = officialService({ serviceId: SERVICE_ID, vnfEth0Ip: firstVnf.publicIp ?? '', vnfEth1Ip: firstVnf.ip, ...(official.inputs ? { inputs: official.inputs } : {}) });
      return { ...service.context[vm.role], ...(vm.role === 'vnf' ? official.vnf : {}), ...platform, ...this.options.context };
    }
    return {
      ...platform,
      SERVICE_ID: String(SERVICE_ID),
      REPORT_READY: 'YES',
      ONEAPP_VROUTER_ETH0_VIP0: PUBLIC_VIP,
      ONEAPP_VROUTER_ETH1_VIP0: PRIVATE_VIP,
      ONEAPP_VNF_ROUTER4_ENABLED: 'YES',
      ONEAPP_VNF_NAT4_ENABLED: 'YES',
      ONEAPP_VNF_NAT4_INTERFACES_OUT: 'eth0',
      ONEAPP_VNF_DNS_ENABLED: 'YES',
      // The only upstream the test networks have is the front-end's address (no DNS server answers
      // there): the names the cluster needs are the VNF's own zone.
      ONEAPP_VNF_DNS_NAMESERVERS: ONEGATE_HOST,
      ONEAPP_K8S_WAIT_TIMEOUT: String(this.options.waitTimeout ?? 600),
      ...(vm.role !== 'vnf' ? { FALLBACK_GW: PRIVATE_VIP, FALLBACK_DNS: PRIVATE_VIP } : {}),
      ...this.options.context,
    };
  }

  /**
   * Powers the VM on: its container boots, and one-context's stand-in runs the boot hook. The result
   * comes when the hook has ended (its exit code as one-context saw it), or the VM stopped.
   */
  boot(vm: SimVm): Promise<BootResult> {
    const started = Date.now();
    this.event(vm, 'booting');
    const run = this.#bootAndWait(vm).then(
      ({ exitCode, output }) => {
        const booted = { exitCode, seconds: (Date.now() - started) / 1000, output };
        vm.booted = booted;
        // A boot cut short by the teardown is no failure of the VM's: nothing to say about it.
        if (!this.#tearingDown) this.event(vm, booted.exitCode === 0 ? `boot finished in ${booted.seconds.toFixed(1)}s` : `boot FAILED (exit ${booted.exitCode})`);
        return booted;
      },
      (error: unknown) => {
        const booted = { exitCode: -1, seconds: (Date.now() - started) / 1000, output: error instanceof Error ? error.message : String(error) };
        vm.booted = booted;
        this.event(vm, 'boot FAILED (the container did not start)');
        return booted;
      },
    );
    vm.boot = run;
    return run;
  }

  async #bootAndWait(vm: SimVm): Promise<{ exitCode: number; output: string }> {
    delete vm.booted;
    await vm.container.start();
    const leader = vm.container.leader;
    const done = vm.container.live('run/one-context/network.done');
    const deadline = Date.now() + 20 * 60_000;
    for (;;) {
      const text = await fs.readFile(done, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        const hook = text.split('\n').find((l) => l.startsWith('net-90-oneke '));
        return { exitCode: Number(hook?.split(' ')[1] ?? -1), output: await this.#bootOutput(vm) };
      }
      if (vm.container.leader !== leader || !vm.container.running) return { exitCode: -1, output: `the VM stopped before its boot hook ended\n${await this.#bootOutput(vm)}` };
      if (Date.now() > deadline) return { exitCode: -1, output: `no end of the boot hook after 20 minutes\n${await this.#bootOutput(vm)}` };
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** What one-context's stand-in logged of this boot (the hooks' output). */
  async #bootOutput(vm: SimVm): Promise<string> {
    const text = await fs.readFile(path.join(vm.root, 'var/log/one-context.log'), 'utf8').catch(() => '');
    return text.split('\n').slice(-200).join('\n');
  }

  isReady(vm: SimVm): boolean {
    return String(this.emulator.vm(vm.id)?.USER_TEMPLATE.READY ?? '') === 'YES';
  }

  /** Waits until every VM of `vms` is READY; fails at once when one's boot failed. */
  async waitReady(vms: SimVm[], timeoutMs = 10 * 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failed = vms.find((vm) => vm.booted && vm.booted.exitCode !== 0);
      if (failed) throw new Error(`VM ${failed.id} (${failed.role}) failed to boot:\n${failed.booted?.output.split('\n').slice(-15).join('\n')}`);
      if (vms.every((vm) => this.isReady(vm))) return;
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${vms.map((v) => `${v.role} ${v.id}`).join(', ')} to be READY`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** OneFlow's deployment: VNFs first, the other roles once every VNF is READY, each role's VMs at once. */
  async deploy(): Promise<void> {
    const { shape } = this.options;
    const vnfs: SimVm[] = [];
    for (let i = 0; i < shape.vnf; i++) vnfs.push(await this.addVm('vnf'));
    vnfs.forEach((vm) => void this.boot(vm));
    await this.waitReady(vnfs);
    this.event(undefined, 'every VNF is READY: OneFlow deploys the children');
    const children: SimVm[] = [];
    for (const role of ['master', 'worker', 'storage'] as const) for (let i = 0; i < shape[role]; i++) children.push(await this.addVm(role));
    children.forEach((vm) => void this.boot(vm));
    await this.waitReady([...vnfs, ...children]);
    this.event(undefined, 'every VM is READY');
  }

  ofRole(role: Role): SimVm[] {
    return [...this.vms.values()].filter((vm) => vm.role === role);
  }

  /** Scales a role: new VMs boot at once; removed VMs (the newest first) are powered off and leave. */
  async scale(role: Role, cardinality: number): Promise<void> {
    const current = this.ofRole(role);
    if (cardinality > current.length) {
      const added: SimVm[] = [];
      for (let i = current.length; i < cardinality; i++) added.push(await this.addVm(role));
      added.forEach((vm) => void this.boot(vm));
      await this.waitReady(added);
    } else {
      for (const vm of current.slice(cardinality).reverse()) await this.removeVm(vm);
    }
    this.event(undefined, `${role} scaled to ${cardinality}`);
  }

  async removeVm(vm: SimVm): Promise<void> {
    await vm.container.stop({ hard: true, unmount: true });
    this.emulator.removeVm(vm.id);
    await execa('ip', ['netns', 'del', vm.ns], { reject: false });
    this.vms.delete(vm.id);
    this.event(vm, 'terminated and removed from the service');
  }

  /** A reboot: the VM's systemd shuts down (as `systemctl reboot`), then it boots again on the same disk. */
  async reboot(vm: SimVm): Promise<BootResult> {
    this.event(vm, 'rebooting');
    await vm.container.stop();
    const result = await this.boot(vm);
    return result;
  }

  /** Runs a program of this machine in a VM's network namespace (a client beside the VM). */
  run(vm: SimVm, file: string, args: string[]) {
    return this.net.run(vm.ns, file, args, { reject: false, timeoutMs: 60_000 });
  }

  /** Runs a command inside the VM, as root on it (its systemd, its files). */
  exec(vm: SimVm, file: string, args: string[]) {
    return vm.container.exec(file, args, { timeoutMs: 60_000 });
  }

  /**
   * A crash of a unit: kill -9 of every process of it at once (its cgroup in the VM), leaving what systemd
   * does next (Restart=, or nothing) to the VM's systemd.
   */
  crashUnit(vm: SimVm, unit: string): number[] {
    return vm.container.killUnit(unit);
  }

  /** The VNF that holds the public VIP now, if any. */
  async vipHolder(): Promise<SimVm | undefined> {
    for (const vm of this.ofRole('vnf')) {
      const addresses = await this.net.ipv4Addresses(vm.ns, 'eth0').catch((): string[] => []);
      if (addresses.includes(PUBLIC_VIP)) return vm;
    }
    return undefined;
  }

  /** The servers of every HAProxy backend on a VNF, as `host:port` sorted. */
  async haproxyServers(vm: SimVm): Promise<string[]> {
    const text = await fs.readFile(path.join(vm.root, 'etc/haproxy/haproxy.cfg'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.trim().startsWith('server '))
      .map((l) => l.trim().split(/\s+/)[2] ?? '')
      .sort();
  }

  /** What the stand-in's Kubernetes API lists, asked on a master with its admin certificate. */
  async nodeList(master: SimVm): Promise<{ name: string; ready: string }[]> {
    const tls = path.join(master.root, 'var/lib/rancher/rke2/server/tls');
    const script = `
      const https = require('node:https'); const fs = require('node:fs');
      const req = https.get({ host: '127.0.0.1', port: 6443, path: '/api/v1/nodes', ca: fs.readFileSync('${tls}/server-ca.crt'), cert: fs.readFileSync('${tls}/client-admin.crt'), key: fs.readFileSync('${tls}/client-admin.key') }, (res) => {
        let body = ''; res.on('data', (c) => body += c); res.on('end', () => console.log(body));
      });
      req.on('error', (e) => { console.error(e.message); process.exit(1); });`;
    const result = await this.run(master, NODE, ['-e', script]);
    if (result.exitCode !== 0) throw new Error(`node list on ${master.id}: ${result.stderr}`);
    const body = JSON.parse(result.stdout) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] };
    return body.items.map((n) => ({ name: n.metadata.name, ready: n.status.conditions.find((c) => c.type === 'Ready')?.status ?? '?' })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * `kubectl get nodes` by a real kubectl (Debian's kubernetes-client) from outside the cluster: a
   * client namespace on the public network, whose route to the private network goes through the
   * VNF's public VIP, with the kubeconfig a master published as ONEKE_KUBECONFIG. Returns its output.
   */
  async kubectlGetNodes(master: SimVm, args: string[] = []): Promise<{ exitCode: number; output: string }> {
    const published = String(this.emulator.vm(master.id)?.USER_TEMPLATE.ONEKE_KUBECONFIG ?? '');
    if (published === '') throw new Error(`master ${master.id} published no ONEKE_KUBECONFIG`);
    const outside = await this.#outsideNs();
    const kubeconfig = path.join(this.dir, 'kubeconfig');
    await fs.writeFile(kubeconfig, Buffer.from(published, 'base64'), { mode: 0o600 });
    const result = await this.net.run(outside, 'kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(this.dir, 'kube-cache'), '--request-timeout=20s', 'get', 'nodes', ...args], {
      reject: false,
      timeoutMs: 60_000,
    });
    return { exitCode: result.exitCode ?? -1, output: `${result.stdout}\n${result.stderr}`.trim() };
  }

  /**
   * A client on the public network, beside the front-end: what a user outside the cluster reaches.
   * Its route to the private network goes through the VNF's public endpoint (the VIP, else the first
   * VNF's own address).
   */
  async #outsideNs(): Promise<string> {
    if (!this.#outside) {
      const ns = await this.net.namespace('outside');
      await this.net.attach(ns, 'eth0', 'br-public', { addresses: [`${PUBLIC_NET}.200/24`] });
      const viaVip = this.options.official ? this.options.official.inputs?.ONEAPP_VROUTER_ETH0_VIP0 : PUBLIC_VIP;
      const via = viaVip || this.ofRole('vnf')[0]?.publicIp;
      if (via) await this.net.ip(ns, ['route', 'add', `${PRIVATE_NET}.0/24`, 'via', via]);
      this.#outside = ns;
    }
    return this.#outside;
  }

  /** Runs a program of this machine on the outside client (see #outsideNs). */
  async outside(file: string, args: string[]) {
    return this.net.run(await this.#outsideNs(), file, args, { reject: false, timeoutMs: 60_000 });
  }

  /**
   * A power cut: every process of the VM killed at once (its keepalived cannot hand over its VIPs),
   * and its NICs gone with it. The VM stays in the service, as a crashed VM does in OneFlow.
   */
  async powerCut(vm: SimVm): Promise<void> {
    await vm.container.stop({ hard: true });
    // Its addresses go with it (keepalived had no time to take its VIPs away): the VM does not come back.
    for (const nic of vm.publicIp ? ['eth0', 'eth1'] : ['eth0']) {
      await this.net.ip(vm.ns, ['link', 'set', nic, 'down']);
      await this.net.ip(vm.ns, ['addr', 'flush', 'dev', nic]);
    }
    this.event(vm, 'power cut: every process killed, NICs down');
  }

  /** Lines of a VM's logs matching a pattern: the agent's files and the journal of every boot (the units' output). */
  async grepLogs(vm: SimVm, pattern: RegExp): Promise<string[]> {
    const journal = await execa('journalctl', ['-D', path.join(vm.root, 'var/log/journal'), '-o', 'cat', '--no-pager', '-q'], { reject: false, stdin: 'ignore', timeout: 60_000 });
    const found = journal.stdout.split('\n').filter((l) => pattern.test(l));
    for (const dir of ['var/log/one-appliance']) {
      const full = path.join(vm.root, dir);
      if (!(await exists(full))) continue;
      for (const file of await fs.readdir(full)) {
        const text = await fs.readFile(path.join(full, file), 'utf8').catch(() => '');
        found.push(...text.split('\n').filter((l) => pattern.test(l)));
      }
    }
    return found;
  }

  /** A table of the VMs for people: role, IP, node name, state. */
  table(): string {
    const rows = [['VM', 'role', 'IP', 'node name', 'state']];
    for (const vm of [...this.vms.values()].sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || a.id - b.id)) {
      const template = this.emulator.vm(vm.id)?.USER_TEMPLATE ?? {};
      const state = this.isReady(vm) ? 'READY' : String(template.ONEKE_STATUS ?? (vm.booted ? `exit ${vm.booted.exitCode}` : 'booting'));
      rows.push([String(vm.id), vm.role, vm.publicIp ? `${vm.publicIp} / ${vm.ip}` : vm.ip, String(template.ONEGATE_K8S_NODE_NAME ?? '-'), state]);
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
    return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
  }

  timelineText(): string {
    return this.timeline.map((e) => `${e.t.toFixed(1).padStart(7)}s  ${e.vm === undefined ? ''.padEnd(11) : `${e.role} ${e.vm}`.padEnd(11)} ${e.what}`).join('\n');
  }

  /** Stops every VM (container, cgroup, overlay), removes every namespace, the machine's cable and the folders. */
  async teardown(): Promise<void> {
    this.#tearingDown = true;
    for (const client of this.#clients) await client.kill('SIGKILL').catch(() => undefined);
    await Promise.all([...this.vms.values()].map((vm) => vm.container.stop({ hard: true, unmount: true }).catch(() => undefined)));
    await this.emulator?.close().catch(() => undefined);
    if (this.#hostLink) await execa('ip', ['link', 'del', this.#hostLink], { reject: false });
    await this.net.cleanup().catch(() => undefined);
    await fs.rm(this.dir, { recursive: true, force: true });
    await fs.rm(LOCK_DIR, { recursive: true, force: true });
  }
}
