// OneKE services for the benchmarks, as the OneGate emulator holds them: VM IDs in role order from 0,
// VNFs on a public and a private network, every other VM on the private one; when `formed`, every
// VM carries what a formed cluster publishes (READY, node names, the masters' IP, token and
// kubeconfig, the HAProxy backends of masters and workers).

import { createHash, randomBytes } from 'node:crypto';
import { buildServiceState, macFromIp, type BuildVmSpec, type EmulatorState } from '../../src/emulator/index.ts';
import { nodeNameOf } from '../../src/roles/kubernetes/node-identity.ts';
import type { RoleName } from '../../src/plan/plan.ts';
import { masterBackend, VNF_CONTEXT, workerBackend } from '../../test/support/vnf-context.ts';
import { K8S_CONTEXT } from '../../test/support/cluster.ts';

export const SERVICE_ID = 10;
export const ROLES: readonly RoleName[] = ['vnf', 'master', 'worker', 'storage'];

export interface Shape {
  vnf: number;
  master: number;
  worker: number;
  storage: number;
}

export const shapeSize = (s: Shape): number => s.vnf + s.master + s.worker + s.storage;
export const shapeText = (s: Shape): string => `${s.vnf}/${s.master}/${s.worker}/${s.storage}`;

/** The service sizes of the OneGate figures (vnf/master/worker/storage). */
export const SHAPES: readonly Shape[] = [
  { vnf: 1, master: 1, worker: 1, storage: 1 },
  { vnf: 2, master: 3, worker: 3, storage: 2 },
  { vnf: 2, master: 3, worker: 35, storage: 10 },
  { vnf: 2, master: 3, worker: 200, storage: 45 },
];
export const HA_SHAPE: Shape = { vnf: 2, master: 3, worker: 3, storage: 2 };

export interface BenchVm {
  id: number;
  role: RoleName;
  /** Private address. */
  ip: string;
  publicIp?: string;
}

/** Addresses: VNF k at 172.20.0.(100+k) and 192.168.150.(100+k); the others from 172.20.0.1 up, skipping the VIP .86 and the VNFs. */
export function layout(shape: Shape): BenchVm[] {
  const vms: BenchVm[] = [];
  const taken = new Set([86, ...Array.from({ length: shape.vnf }, (_, k) => 100 + k)]);
  let next = 1;
  let id = 0;
  for (const role of ROLES) {
    for (let i = 0; i < shape[role]; i++) {
      if (role === 'vnf') {
        vms.push({ id: id++, role, ip: `172.20.0.${100 + i}`, publicIp: `192.168.150.${100 + i}` });
        continue;
      }
      while (taken.has(next)) next++;
      if (next > 254) throw new RangeError(`more than ${254 - taken.size} nodes do not fit in 172.20.0.0/24`);
      taken.add(next);
      vms.push({ id: id++, role, ip: `172.20.0.${next}` });
    }
  }
  return vms;
}

/** A kubeconfig of the usual size (CA, client certificate and key inline), base64 as published. */
function kubeconfig(random: (n: number) => Buffer): string {
  const pem = (bytes: number) => random(bytes).toString('base64');
  const text = [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${pem(420)}`,
    '    server: https://192.168.150.86:6443',
    '  name: default',
    'contexts:',
    '- context: {cluster: default, user: default}',
    '  name: default',
    'current-context: default',
    'kind: Config',
    'users:',
    '- name: default',
    '  user:',
    `    client-certificate-data: ${pem(500)}`,
    `    client-key-data: ${pem(170)}`,
  ].join('\n');
  return Buffer.from(text).toString('base64');
}

/** What a VM of a formed cluster has published. */
function published(vm: BenchVm, token: string, config: string): Record<string, string> {
  const node = { READY: 'YES', ONEGATE_K8S_NODE_NAME: nodeNameOf(vm.ip) };
  switch (vm.role) {
    case 'vnf':
      return { READY: 'YES' };
    case 'master':
      return { ...node, ONEGATE_K8S_MASTER: vm.ip, ONEGATE_K8S_TOKEN: token, ONEKE_KUBECONFIG: config, ...masterBackend(vm.ip) };
    case 'worker':
      return { ...node, ...workerBackend(vm.ip) };
    case 'storage':
      return node;
  }
}

export interface StateOptions {
  /** Every VM has published what a formed cluster publishes; otherwise only the VNFs are READY. */
  formed: boolean;
  /** VMs that have published nothing yet (just added to a formed service). */
  fresh?: readonly number[];
  /** Makes the token and kubeconfig the same on every call (for plans compared byte for byte); random otherwise. */
  seed?: string;
}

/** n bytes from a SHA-256 chain over `seed`: stable, not secret. */
function seededBytes(seed: string): (n: number) => Buffer {
  let counter = 0;
  return (n) => {
    const parts: Buffer[] = [];
    for (let have = 0; have < n; have += 32) parts.push(createHash('sha256').update(`${seed}:${counter++}`).digest());
    return Buffer.concat(parts).subarray(0, n);
  };
}

export function serviceState(shape: Shape, options: StateOptions): { state: EmulatorState; vms: BenchVm[] } {
  const vms = layout(shape);
  const random = options.seed === undefined ? randomBytes : seededBytes(options.seed);
  const token = `K10${random(32).toString('hex')}::server:${random(16).toString('hex')}`;
  const config = kubeconfig(random);
  const spec = (vm: BenchVm): BuildVmSpec => ({
    id: vm.id,
    nics: vm.publicIp ? [{ ip: vm.publicIp, network: 'public' }, { ip: vm.ip }] : [{ ip: vm.ip }],
    userTemplate: options.formed && !options.fresh?.includes(vm.id) ? published(vm, token, config) : vm.role === 'vnf' ? { READY: 'YES' } : {},
  });
  const state = buildServiceState({
    serviceId: SERVICE_ID,
    roles: ROLES.map((role) => ({ name: role, vms: vms.filter((vm) => vm.role === role).map(spec) })),
  });
  return { state, vms };
}

/** The context of a Kubernetes VM of these services. */
export function nodeContext(vm: BenchVm, endpoint: string, token: string): Record<string, string> {
  return {
    ...K8S_CONTEXT,
    ONEGATE_ENDPOINT: endpoint,
    VMID: String(vm.id),
    TOKENTXT: token,
    ETH0_IP: vm.ip,
    ETH0_MASK: '255.255.255.0',
    ETH0_MAC: macFromIp(vm.ip),
  };
}

/** The context of VNF `vm` (VNF_CONTEXT of the tests, with this VM's addresses). */
export function vnfContext(vm: BenchVm, endpoint: string, token: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...VNF_CONTEXT,
    ONEGATE_ENDPOINT: endpoint,
    VMID: String(vm.id),
    TOKENTXT: token,
    ETH0_IP: vm.publicIp ?? VNF_CONTEXT.ETH0_IP ?? '',
    ETH0_MAC: macFromIp(vm.publicIp ?? ''),
    ETH1_IP: vm.ip,
    ETH1_MAC: macFromIp(vm.ip),
    ...extra,
  };
}
