// `oneke plan --json` for a fixed set of services and contexts, compared byte for byte with the plans
// kept in test/fixtures/plans/. A change of the code that must not change behaviour (a refactor) keeps
// every one of them; a change that does change a plan rewrites them on purpose, and the diff shows how.
//   node scripts/plan-golden.ts            compare (exit 1 and the names of the plans that differ)
//   node scripts/plan-golden.ts --write    rewrite test/fixtures/plans/
// Run with the pinned Node 24 (node_modules/node/bin/node): it runs src/main.ts as it is.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { serviceState, nodeContext, vnfContext, type Shape } from '../bench/lib/service-state.ts';
import { contextSh } from '../test/support/binary.ts';
import { K8S_CONTEXT } from '../test/support/cluster.ts';
import { VNF_CONTEXT } from '../test/support/vnf-context.ts';

const REPO = path.resolve(import.meta.dirname, '..');
export const PLANS_DIR = path.join(REPO, 'test/fixtures/plans');
const FIXTURES_DIR = path.join(REPO, 'test/fixtures/onegate');

export interface PlanCase {
  name: string;
  /** The OneGate snapshot: a fixture file, or a state made here. */
  state: { file: string } | { json: unknown };
  context: Record<string, string>;
}

/** Add-on and network choices that change what a master plans. */
const MASTER_VARIANTS: Record<string, Record<string, string>> = {
  default: {},
  'cilium-addons': {
    ONEAPP_K8S_CNI_PLUGIN: 'cilium',
    ONEAPP_K8S_CILIUM_RANGES: '192.168.150.224/27',
    ONEAPP_K8S_METALLB_ENABLED: 'YES',
    ONEAPP_K8S_METALLB_RANGES: '192.168.150.100-192.168.150.150',
    ONEAPP_K8S_LONGHORN_ENABLED: 'YES',
    ONEAPP_K8S_TRAEFIK_ENABLED: 'YES',
    ONEAPP_K8S_EXTRA_SANS: 'k8s.example.com,10.0.0.1',
  },
  'canal-multus-proxy': {
    ONEAPP_K8S_CNI_PLUGIN: 'canal',
    ONEAPP_K8S_MULTUS_ENABLED: 'YES',
    ONEAPP_K8S_HTTP_PROXY: 'http://proxy.example.com:3128',
    ONEAPP_K8S_NO_PROXY: 'example.com',
    ONEAPP_K8S_CLUSTER_CIDR: '10.44.0.0/16',
    ONEAPP_K8S_SERVICE_CIDR: '10.45.0.0/16',
  },
  calico: { ONEAPP_K8S_CNI_PLUGIN: 'calico', ONEAPP_RKE2_CLOUD_CONTROLLER_ENABLED: 'NO' },
  'endpoints-by-name': { ONEAPP_K8S_CONTROL_PLANE_EP: 'ep0.eth0.vr:6443', ONEAPP_RKE2_SUPERVISOR_EP: 'ep0.eth0.vr:9345' },
  'bad-cidr': { ONEAPP_K8S_CLUSTER_CIDR: '10.44.0.0/33' },
};

const VNF_VARIANTS: Record<string, Record<string, string>> = {
  default: {},
  'no-vip-dns-portfwd': {
    ONEAPP_VROUTER_ETH0_VIP0: '',
    ONEAPP_VROUTER_ETH1_VIP0: '',
    ONEAPP_VNF_DNS_ENABLED: 'YES',
    ONEAPP_VNF_DNS_INTERFACES: 'eth1',
    ONEAPP_VNF_NAT4_PORT_FWD0: '8080:<ETH1_EP0>:80',
  },
  'skip-eth0-router': { ETH0_SKIP: 'YES', ONEAPP_VNF_ROUTER4_ENABLED: 'YES', ONEAPP_VNF_KEEPALIVED_VRID: '42' },
  'no-password': { ONEAPP_VNF_KEEPALIVED_PASSWORD: '' },
};

const STORAGE_VARIANTS: Record<string, Record<string, string>> = {
  default: {},
  'missing-device': { ONEAPP_STORAGE_DEVICE: '/dev/vdb', ONEAPP_STORAGE_FILESYSTEM: 'xfs', ONEAPP_STORAGE_MOUNTPOINT: '/var/lib/longhorn' },
};

type FixtureVm = { VM: { ID: string; USER_TEMPLATE?: { ROLE_NAME?: string }; TEMPLATE?: { NIC?: { IP?: string; MAC?: string }[] } } };

/** Every VM of every fixture, with the context OpenNebula would give it. */
function fixtureCases(): PlanCase[] {
  const cases: PlanCase[] = [];
  for (const entry of fs.readdirSync(FIXTURES_DIR).sort()) {
    const file = path.join(FIXTURES_DIR, entry);
    const doc = parseYaml(fs.readFileSync(file, 'utf8')) as { vms: Record<string, FixtureVm & { token: string }> };
    for (const [id, vm] of Object.entries(doc.vms)) {
      const role = vm.VM.USER_TEMPLATE?.ROLE_NAME ?? 'unknown';
      const nics = Object.fromEntries(
        (vm.VM.TEMPLATE?.NIC ?? []).flatMap((nic, i) => [
          [`ETH${i}_IP`, nic.IP ?? ''],
          [`ETH${i}_MASK`, '255.255.255.0'],
          [`ETH${i}_MAC`, nic.MAC ?? ''],
        ]),
      );
      const base = role === 'vnf' ? VNF_CONTEXT : K8S_CONTEXT;
      cases.push({ name: `${entry.replace(/\.ya?ml$/, '')}-vm${id}-${role}`, state: { file }, context: { ...base, ...nics, VMID: id, TOKENTXT: vm.token } });
    }
  }
  return cases;
}

/** Services of the benchmark's sizes, forming and formed, with fixed tokens and kubeconfigs. */
function generatedCases(): PlanCase[] {
  const cases: PlanCase[] = [];
  const shapes: [string, Shape][] = [
    ['1-1-1-1', { vnf: 1, master: 1, worker: 1, storage: 1 }],
    ['2-3-3-2', { vnf: 2, master: 3, worker: 3, storage: 2 }],
    ['250', { vnf: 2, master: 3, worker: 200, storage: 45 }],
  ];
  const endpoint = 'http://onegate.invalid:5030';
  for (const [shapeName, shape] of shapes) {
    const forming = serviceState(shape, { formed: false, seed: shapeName });
    const formed = serviceState(shape, { formed: true, seed: shapeName });
    const firstOf = (role: string) => forming.vms.find((vm) => vm.role === role);
    const secondMaster = forming.vms.filter((vm) => vm.role === 'master')[1];
    const worker = firstOf('worker');
    const joining = worker ? serviceState(shape, { formed: true, fresh: [worker.id], seed: shapeName }) : undefined;
    const states: [string, { state: unknown; vms: typeof forming.vms }][] = [['forming', forming], ['formed', formed], ...(joining ? [['worker-joining', joining] as [string, typeof joining]] : [])];
    for (const [stateName, { state }] of states) {
      const token = (id: number) => (state as { vms: Record<string, { token: string }> }).vms[String(id)]?.token ?? '';
      const vnf = firstOf('vnf');
      if (vnf) {
        const variants = stateName === 'formed' ? Object.entries(VNF_VARIANTS) : [['default', {}] as [string, Record<string, string>]];
        for (const [variant, extra] of variants) cases.push({ name: `${shapeName}-${stateName}-vnf-${variant}`, state: { json: state }, context: vnfContext(vnf, endpoint, token(vnf.id), extra) });
      }
      const master = firstOf('master');
      if (master) {
        const variants = stateName === 'forming' ? Object.entries(MASTER_VARIANTS) : [['default', {}] as [string, Record<string, string>]];
        for (const [variant, extra] of variants)
          cases.push({ name: `${shapeName}-${stateName}-master-${variant}`, state: { json: state }, context: { ...nodeContext(master, endpoint, token(master.id)), ...extra } });
      }
      if (secondMaster) cases.push({ name: `${shapeName}-${stateName}-master2`, state: { json: state }, context: nodeContext(secondMaster, endpoint, token(secondMaster.id)) });
      if (worker) cases.push({ name: `${shapeName}-${stateName}-worker`, state: { json: state }, context: nodeContext(worker, endpoint, token(worker.id)) });
      const storage = firstOf('storage');
      if (storage) {
        const variants = stateName === 'formed' ? Object.entries(STORAGE_VARIANTS) : [['default', {}] as [string, Record<string, string>]];
        for (const [variant, extra] of variants)
          cases.push({ name: `${shapeName}-${stateName}-storage-${variant}`, state: { json: state }, context: { ...nodeContext(storage, endpoint, token(storage.id)), ...extra } });
      }
    }
  }
  return cases;
}

export function planCases(): PlanCase[] {
  return [...fixtureCases(), ...generatedCases()];
}

const NODE = path.join(REPO, 'node_modules/node/bin/node');

/** What `oneke plan --json` prints for this case: stdout, or the exit code and stderr when it fails. */
export async function runCase(c: PlanCase, work: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(work, 'case-'));
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  let state: string;
  if ('file' in c.state) state = c.state.file;
  else {
    state = path.join(dir, 'state.json');
    fs.writeFileSync(state, JSON.stringify(c.state.json));
  }
  // What the image build leaves for configure to link: the prepared add-on manifests.
  const prepared = path.join(root, 'var/lib/one-appliance/manifests');
  fs.mkdirSync(prepared, { recursive: true });
  for (const name of ['one-longhorn', 'one-metallb', 'one-traefik']) fs.writeFileSync(path.join(prepared, `${name}.yaml`), `# ${name}, as oneke install prepares it\n`);
  fs.writeFileSync(path.join(dir, 'context.sh'), contextSh(c.context));
  const node = fs.existsSync(NODE) ? NODE : process.execPath;
  const argv = [path.join(REPO, 'src/main.ts'), '--root', root, '--log-level', 'error', '--context', path.join(dir, 'context.sh'), 'plan', '--json', '--onegate-snapshot', state];
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(node, argv, { cwd: REPO, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
  fs.rmSync(dir, { recursive: true, force: true });
  // The temporary folders' names are not part of the plan.
  const out = result.code === 0 ? result.stdout : `exit ${result.code}\n${result.stderr}`;
  return out.replaceAll(dir, '<case>');
}

export const planFile = (c: PlanCase): string => path.join(PLANS_DIR, `${c.name}.json`);

async function main(): Promise<number> {
  const write = process.argv.includes('--write');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-golden-'));
  const cases = planCases();
  const differ: string[] = [];
  try {
    if (write) {
      fs.rmSync(PLANS_DIR, { recursive: true, force: true });
      fs.mkdirSync(PLANS_DIR, { recursive: true });
    }
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++];
        if (!c) break;
        const got = await runCase(c, work);
        if (write) fs.writeFileSync(planFile(c), got);
        else if (!fs.existsSync(planFile(c)) || fs.readFileSync(planFile(c), 'utf8') !== got) differ.push(c.name);
      }
    };
    await Promise.all([worker(), worker()]);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (write) {
    console.log(`${cases.length} plans written to ${path.relative(REPO, PLANS_DIR)}/`);
    return 0;
  }
  const kept = new Set(cases.map((c) => `${c.name}.json`));
  const extra = fs.existsSync(PLANS_DIR) ? fs.readdirSync(PLANS_DIR).filter((f) => !kept.has(f)) : [];
  if (differ.length === 0 && extra.length === 0) {
    console.log(`${cases.length} plans identical to ${path.relative(REPO, PLANS_DIR)}/`);
    return 0;
  }
  for (const name of differ.sort()) console.log(`differs: ${name}`);
  for (const name of extra) console.log(`no longer made: ${name}`);
  return 1;
}

if (import.meta.main) process.exitCode = await main();
