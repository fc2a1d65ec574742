import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cleanCommand } from '../../../src/cli/commands/clean.ts';
import { planCommand } from '../../../src/cli/commands/plan.ts';
import type { Output } from '../../../src/cli/program.ts';
import { createRuntime } from '../../../src/cli/runtime.ts';
import { KubeApiError } from '../../../src/cleaner/kube-api.ts';
import { buildServiceState, startEmulator, type BuildVmSpec, type EmulatorHandle } from '../../../src/emulator/index.ts';
import { RuntimeProblem } from '../../../src/errors.ts';
import { RKE2_ADMIN_CERT, RKE2_ADMIN_KEY, RKE2_SERVER_CA } from '../../../src/roles/kubernetes/paths.ts';
import { K8S_CONTEXT } from '../../support/cluster.ts';
import { tempRoot } from '../../support/temp-root.ts';
import { startFakeKubeApi, type FakeKubeApi, type FakeKubeApiOptions } from './fake-kube-api.ts';
import { cleanerFixtures } from './fixtures.ts';

const fixtures = cleanerFixtures();
const { cleanups } = fixtures;

const ip = (id: number): string => `172.20.0.${100 + id}`;
const nodeName = (id: number): string => `oneke-ip-172-20-0-${100 + id}`;

/** A Kubernetes VM that has joined: READY and its node name published. */
function joined(id: number, extra: Record<string, string> = {}): BuildVmSpec {
  return { id, ip: ip(id), userTemplate: { READY: 'YES', ONEGATE_K8S_NODE_NAME: nodeName(id), ...extra } };
}

/** Service 10: vnf 0, masters (1 and those given), workers 2 and 3, storage 4. */
async function oneGate(masters: BuildVmSpec[] = [joined(1)]): Promise<EmulatorHandle> {
  const emu = await startEmulator({
    state: buildServiceState({
      serviceId: 10,
      roles: [
        { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.100', network: 'public' }, { ip: '172.20.0.100' }], userTemplate: { READY: 'YES' } }] },
        { name: 'master', vms: masters },
        { name: 'worker', vms: [joined(2), joined(3)] },
        { name: 'storage', vms: [joined(4)] },
      ],
    }),
  });
  cleanups.push(() => emu.close());
  return emu;
}

async function kubeApi(options: Partial<FakeKubeApiOptions> = {}): Promise<FakeKubeApi> {
  const api = await startFakeKubeApi({ pki: fixtures.pki, nodes: [1, 2, 3, 4].map(nodeName).concat('bastion'), ...options });
  cleanups.push(() => api.close());
  return api;
}

interface Captured extends Output {
  stdout: string[];
  stderr: string[];
}

function capture(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

/** A root with the context of VM `vmId` and, unless `certs` is false, RKE2's admin credentials. */
async function vmRoot(emu: EmulatorHandle, vmId: number, options: { certs?: boolean | 'stranger'; logLevel?: string } = {}) {
  const certs = options.certs ?? true;
  const client = certs === 'stranger' ? fixtures.pki.stranger : fixtures.pki.admin;
  const root = await tempRoot(certs === false ? {} : { [RKE2_SERVER_CA]: fixtures.pki.serverCa, [RKE2_ADMIN_CERT]: client.cert, [RKE2_ADMIN_KEY]: client.key });
  const vars = { ...K8S_CONTEXT, ONEGATE_ENDPOINT: emu.url, VMID: String(vmId), TOKENTXT: emu.tokenOf(vmId) ?? '' };
  const context = join(root, 'context.sh');
  await writeFile(
    context,
    `${Object.entries(vars)
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n')}\n`,
  );
  const runtime = createRuntime({ root, context, logLevel: options.logLevel ?? 'silent' });
  return { root, runtime };
}

async function clean(emu: EmulatorHandle, api: FakeKubeApi, vmId = 1, opts: { dryRun?: boolean } = {}) {
  const { runtime } = await vmRoot(emu, vmId);
  const output = capture();
  const code = await cleanCommand(runtime, output, { apiUrl: api.url, ...opts });
  return { code, stdout: output.stdout.join(''), stderr: output.stderr.join('') };
}

describe('oneke clean', () => {
  test('after a scale-down, deletes exactly the node of the VM that left, once it is no longer Ready', async () => {
    const emu = await oneGate();
    const api = await kubeApi();
    expect(await clean(emu, api)).toEqual({ code: 0, stdout: 'no stale node\n', stderr: '' });

    emu.removeVm(3); // OneFlow scaled the workers down
    // Its kubelet has not missed a heartbeat yet: kept for now.
    expect(await clean(emu, api)).toEqual({ code: 0, stdout: `kept node ${nodeName(3)}: no VM of the service claims it, but it is still Ready\n`, stderr: '' });
    expect(api.names()).toContain(nodeName(3));

    api.setReady(nodeName(3), undefined); // NodeStatusUnknown
    expect(await clean(emu, api)).toEqual({ code: 0, stdout: `deleted node ${nodeName(3)}\n`, stderr: '' });
    expect(api.stats.deleted).toEqual([nodeName(3)]);
    expect(api.names()).toEqual(['bastion', nodeName(1), nodeName(2), nodeName(4)]);

    expect(await clean(emu, api)).toEqual({ code: 0, stdout: 'no stale node\n', stderr: '' });
    expect(api.stats.deleted).toHaveLength(1);
  });

  test('a node whose VM has not published its name yet is kept: its IP claims it', async () => {
    const emu = await oneGate();
    const api = await kubeApi();
    emu.addVm('worker', { id: 5, ip: ip(5) }); // joining: no ONEGATE_K8S_NODE_NAME yet
    api.addNode(nodeName(5), false);
    api.addNode(nodeName(9), false); // a VM removed long ago
    expect(await clean(emu, api)).toEqual({ code: 0, stdout: `deleted node ${nodeName(9)}\n`, stderr: '' });
    expect(api.names()).toContain(nodeName(5));
  });

  test('a node whose vm_info is null: deletes nothing, says why, exits 0', async () => {
    const emu = await oneGate();
    const api = await kubeApi();
    emu.removeVm(3);
    api.setReady(nodeName(3), false);
    emu.nodeVmInfoNull(2);
    const run = await clean(emu, api);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("nothing deleted: node 0 of role worker (VM 2) has no vm_info in OneGate's answer\n");
    expect(api.stats.deleted).toEqual([]);
    expect(api.stats.lists).toBe(1);

    emu.nodeVmInfoNull(2, false); // OneGate recovered
    expect((await clean(emu, api)).stdout).toBe(`deleted node ${nodeName(3)}\n`);
  });

  test('OneGate failing on the service: deletes nothing, exits 0', async () => {
    const emu = await oneGate();
    const api = await kubeApi();
    emu.removeVm(3);
    api.setReady(nodeName(3), false);
    emu.setUserTemplate(1, 'SERVICE_ID', 'none'); // the server then refuses GET /service (400, final)
    const run = await clean(emu, api);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^nothing deleted: no answer from OneGate about the service: OneGate GET \/service\?extended=true: HTTP 400/);
    expect(api.stats.deleted).toEqual([]);
  });

  test('two masters cleaning at once: both succeed, the node is deleted once', async () => {
    const emu = await oneGate([joined(1), joined(5)]);
    const api = await kubeApi({ listBarrier: 2 }); // both list before either deletes
    api.addNode(nodeName(5));
    emu.removeVm(3);
    api.setReady(nodeName(3), false);

    const [a, b] = await Promise.all([clean(emu, api, 1), clean(emu, api, 5)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect([a.stderr, b.stderr]).toEqual(['', '']);
    expect([a.stdout, b.stdout].sort()).toEqual([`deleted node ${nodeName(3)}\n`, `node ${nodeName(3)} was already deleted\n`]);
    expect(api.stats).toMatchObject({ lists: 2, deleted: [nodeName(3)], notFound: 1, conflicts: 0 });
    expect(api.names()).toEqual(['bastion', nodeName(1), nodeName(2), nodeName(4), nodeName(5)]);
  });

  test('--dry-run prints what it would delete and deletes nothing; the log goes to clean.log', async () => {
    const emu = await oneGate();
    const api = await kubeApi();
    emu.removeVm(3);
    emu.removeVm(4);
    api.setReady(nodeName(3), false);
    api.setReady(nodeName(4), false);
    const { root, runtime } = await vmRoot(emu, 1, { logLevel: 'info' });
    const output = capture();
    expect(await cleanCommand(runtime, output, { apiUrl: api.url, dryRun: true })).toBe(0);
    expect(output.stdout.join('')).toBe(`would delete node ${nodeName(3)}\nwould delete node ${nodeName(4)}\n`);
    expect(api.stats.deleted).toEqual([]);
    const log = await readFile(join(root, 'var/log/one-appliance/clean.log'), 'utf8');
    expect(log).toContain('would delete node (dry run)');
    expect(log).not.toContain(emu.tokenOf(1));
  });

  test('not a master: one line, exit 0, no Kubernetes API and no certificates needed', async () => {
    const emu = await oneGate();
    const api = await kubeApi();
    const { runtime } = await vmRoot(emu, 2, { certs: false });
    const output = capture();
    expect(await cleanCommand(runtime, output, { apiUrl: api.url })).toBe(0);
    expect(output.stdout).toEqual(['not a master: nothing to clean\n']);
    expect(api.stats.requests).toBe(0);
  });

  test('a master that is not READY yet does nothing', async () => {
    const emu = await oneGate([{ id: 1, ip: ip(1) }]);
    const api = await kubeApi();
    const { runtime } = await vmRoot(emu, 1, { certs: false });
    const output = capture();
    expect(await cleanCommand(runtime, output, { apiUrl: api.url })).toBe(0);
    expect(output.stdout).toEqual(['this master is not READY yet: nothing to clean\n']);
    expect(api.stats.requests).toBe(0);
  });

  test('a READY master without the admin certificate: a clear error', async () => {
    const emu = await oneGate();
    const api = await kubeApi();
    const { runtime } = await vmRoot(emu, 1, { certs: false });
    const error = await cleanCommand(runtime, capture(), { apiUrl: api.url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeProblem);
    expect((error as RuntimeProblem).message).toMatch(/server-ca\.crt not found|client-admin\.(crt|key) not found/);
  });

  test('a client certificate the API server does not trust: an error, nothing listed or deleted', async () => {
    const emu = await oneGate();
    const api = await kubeApi();
    emu.removeVm(3);
    api.setReady(nodeName(3), false);
    const { runtime } = await vmRoot(emu, 1, { certs: 'stranger' });
    const error = await cleanCommand(runtime, capture(), { apiUrl: api.url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ status: 401, hint: expect.stringMatching(/admin client certificate/) as unknown });
    expect(api.stats).toMatchObject({ requests: 1, unauthorized: 1, lists: 0 }); // 401 is final: no retry
    expect(api.names()).toContain(nodeName(3));
  });
});

describe('oneke plan --step clean', () => {
  test('shows the node the cleaner would delete, and deletes nothing, writes nothing', async () => {
    const emu = await oneGate();
    const api = await kubeApi();
    emu.removeVm(3);
    api.setReady(nodeName(3), undefined);
    const { root, runtime } = await vmRoot(emu, 1);
    const tree = async () => (await readdir(root, { recursive: true })).sort();
    const before = await tree();
    const output = capture();
    await planCommand(runtime, output, { step: 'clean', json: true, apiUrl: api.url });
    const plan = JSON.parse(output.stdout.join('')) as { role: string; decision: { kind: string }; actions: unknown[] };
    expect(plan.role).toBe('master');
    expect(plan.decision.kind).toBe('clean');
    expect(plan.actions).toEqual([{ kind: 'delete-node', name: nodeName(3), uid: api.node(nodeName(3))?.uid }]);
    expect(api.stats.deleted).toEqual([]);
    expect(api.names()).toContain(nodeName(3));
    expect(await tree()).toEqual(before);

    const text = capture();
    await planCommand(runtime, text, { step: 'clean', apiUrl: api.url });
    expect(text.stdout.join('')).toContain(`delete Kubernetes node ${nodeName(3)}`);
  });

  test('on a worker: nothing to clean', async () => {
    const emu = await oneGate();
    const api = await kubeApi();
    const { runtime } = await vmRoot(emu, 2);
    const output = capture();
    await planCommand(runtime, output, { step: 'clean', json: true, apiUrl: api.url });
    expect(JSON.parse(output.stdout.join(''))).toEqual({ role: 'worker', decision: { kind: 'skip', reason: 'not a master: nothing to clean' }, actions: [] });
    expect(api.stats.requests).toBe(0);
  });
});
