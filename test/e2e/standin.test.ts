// The RKE2 stand-in of the e2e tests (test/e2e/standin), each "VM" a network namespace with its own
// root: a server initialises a cluster (files, modes, token, TLS, /readyz), servers and agents join it
// directly, etcd's one-joiner rule holds for servers that join at once, wrong tokens fail, nodes
// go Unknown when their heartbeats stop, and a restart with the same root neither initialises nor joins.

import { createHash, X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, isRoot, NEEDS_ROOT, TestNet, type NetProcess } from '../support/netns.ts';

const STANDIN = path.join(import.meta.dirname, 'standin/rke2.ts');
const NET = '10.123.0';
const VIP = `${NET}.100`;
const JOIN_MS = 1500;
const TLS = 'var/lib/rancher/rke2/server/tls';

interface Vm {
  name: string;
  ns: string;
  ip: string;
  root: string;
  process?: NetProcess;
}

/** GET/DELETE from inside a namespace with Node's own https/http, printing {status, body}. */
const REQUEST = `
const [url, method, ca, cert, key, body] = process.argv.slice(2);
const fs = require('node:fs');
const mod = require(url.startsWith('https') ? 'node:https' : 'node:http');
const tls = ca ? { ca: fs.readFileSync(ca) } : { rejectUnauthorized: false };
const client = cert ? { cert: fs.readFileSync(cert), key: fs.readFileSync(key) } : {};
const headers = body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {};
const req = mod.request(url, { method, headers, ...tls, ...client, timeout: 5000 }, (res) => {
  let text = ''; res.on('data', (c) => text += c); res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body: text })));
});
req.on('error', (e) => { console.log(JSON.stringify({ status: 0, body: e.message })); });
req.end(body || undefined);
`;

const REPO = path.resolve(import.meta.dirname, '../..');
const KUBE = `
import { createKubeApi } from '${REPO}/src/cleaner/kube-api.ts';
import { NodeHost } from '${REPO}/src/host/node-host.ts';
const [root, action, name, uid] = process.argv.slice(2);
const api = await createKubeApi({ host: new NodeHost(root), retries: 0 });
console.log(JSON.stringify(action === 'list' ? await api.listNodes() : await api.deleteNode(name, uid || undefined)));
await api.close();
`;

describe.skipIf(!isRoot())(`the RKE2 stand-in (${isRoot() ? 'etcd members in network namespaces' : NEEDS_ROOT})`, () => {
  const net = new TestNet();
  let dir = '';
  let script = '';
  let kubeScript = '';
  const vms = new Map<string, Vm>();
  const timings: string[] = [];

  async function addVm(name: string, host: number): Promise<Vm> {
    const ns = await net.namespace(name);
    const ip = `${NET}.${host}`;
    await net.attach(ns, 'eth0', 'br0', { addresses: [`${ip}/24`] });
    const root = path.join(dir, name);
    await fs.mkdir(root, { recursive: true });
    const vm = { name, ns, ip, root };
    vms.set(name, vm);
    return vm;
  }

  async function configure(vm: Vm, config: Record<string, unknown>): Promise<void> {
    const file = path.join(vm.root, 'etc/rancher/rke2/config.yaml');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, stringify(config), { mode: 0o600 });
  }

  function start(vm: Vm, role: 'server' | 'agent', root = vm.root): NetProcess {
    // A ready file left by a killed process says nothing (in a VM, /run goes with the reboot).
    rmSync(path.join(root, 'run/rke2-standin', `${role}.ready`), { force: true });
    vm.process = net.spawn(vm.ns, 'env', [`ONEKE_STANDIN_JOIN_MS=${JOIN_MS}`, process.execPath, STANDIN, role, '--root', root], `${role} ${vm.name}`);
    return vm.process;
  }

  const readyFile = (vm: Vm, role: 'server' | 'agent') => path.join(vm.root, 'run/rke2-standin', `${role}.ready`);
  const exists = (file: string) =>
    fs.stat(file).then(
      () => true,
      () => false,
    );

  async function waitReady(vm: Vm, role: 'server' | 'agent', timeoutMs = 20_000): Promise<number> {
    const started = Date.now();
    await eventually(
      async () => {
        if (vm.process && !vm.process.running()) throw new Error(`${vm.name} exited:\n${vm.process.output()}`);
        return exists(readyFile(vm, role));
      },
      `${vm.name} to be ready`,
      timeoutMs,
      50,
    );
    return Date.now() - started;
  }

  /** A request from inside `from`, with `as`'s CA and (unless `anonymous`) its admin client certificate. */
  async function request(from: Vm, url: string, options: { as?: Vm; anonymous?: boolean; insecure?: boolean; method?: string; body?: unknown } = {}): Promise<{ status: number; body: string }> {
    const as = options.as ?? from;
    const tls = (file: string) => path.join(as.root, TLS, file);
    const ca = options.insecure ? '' : tls('server-ca.crt');
    const client = options.anonymous ? ['', ''] : [tls('client-admin.crt'), tls('client-admin.key')];
    const body = options.body === undefined ? '' : JSON.stringify(options.body);
    const result = await net.run(from.ns, process.execPath, [script, url, options.method ?? 'GET', ca, ...client, body]);
    return JSON.parse(result.stdout) as { status: number; body: string };
  }

  async function nodes(from: Vm): Promise<Map<string, { uid: string; ready: string; labels: Record<string, string> }>> {
    const answer = await request(from, `https://${from.ip}:6443/api/v1/nodes`);
    expect(answer.status).toBe(200);
    const list = JSON.parse(answer.body) as {
      kind: string;
      items: { metadata: { name: string; uid: string; labels: Record<string, string> }; status: { conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[] } }[];
    };
    expect(list.kind).toBe('NodeList');
    return new Map(list.items.map((n) => [n.metadata.name, { uid: n.metadata.uid, ready: n.status.conditions.find((c) => c.type === 'Ready')?.status ?? '?', labels: n.metadata.labels }]));
  }

  async function etcdMembers(from: Vm): Promise<{ name?: string; isLearner?: boolean }[]> {
    const result = await net.run(from.ns, 'curl', ['-s', '-m', '3', '-X', 'POST', '-d', '{}', 'http://127.0.0.1:2379/v3/cluster/member/list']);
    return (JSON.parse(result.stdout) as { members: { name?: string; isLearner?: boolean }[] }).members;
  }

  /** Runs the cleaner's Kubernetes client inside `vm` with its root (admin certificate, 127.0.0.1:6443). */
  async function kube(vm: Vm, ...args: (string | undefined)[]): Promise<string> {
    const result = await net.run(vm.ns, process.execPath, [kubeScript, vm.root, ...args.map((a) => a ?? '')]);
    return result.stdout.trim();
  }

  const token = async (vm: Vm) => (await fs.readFile(path.join(vm.root, 'var/lib/rancher/rke2/server/node-token'), 'utf8')).trim();
  const joinConfig = async (vm: Vm, via: Vm, name: string, extra: Record<string, unknown> = {}) =>
    configure(vm, { 'node-name': name, server: `https://${via.ip}:9345`, token: await token(vms.get('s1') as Vm), ...extra });

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-standin-'));
    script = path.join(dir, 'request.cjs');
    await fs.writeFile(script, REQUEST);
    kubeScript = path.join(dir, 'kube.mjs');
    await fs.writeFile(kubeScript, KUBE);
    await net.bridge('br0');
    for (const [name, host] of [
      ['s1', 1],
      ['s2', 2],
      ['s3', 3],
      ['s4', 4],
      ['a1', 11],
      ['x1', 21],
    ] as const)
      await addVm(name, host);
  });

  afterAll(async () => {
    if (timings.length > 0) console.log(`stand-in timings:\n  ${timings.join('\n  ')}`);
    await net.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test('the first server initialises the cluster: files and modes, token, certificates, /readyz with and without a client certificate', async () => {
    const s1 = vms.get('s1') as Vm;
    await configure(s1, {
      'node-name': 's1',
      token: 'first-secret',
      'tls-san': [VIP, 'k8s.example.test'],
      'node-taint': ['CriticalAddonsOnly=true:NoExecute'],
      cni: ['canal'],
      'cluster-cidr': '10.42.0.0/16',
    });
    const server = start(s1, 'server');
    timings.push(`initialise: ${await waitReady(s1, 'server')} ms to ready`);
    expect(server.output()).toMatch(/initialised a new cluster/);

    for (const file of ['var/lib/rancher/rke2/server/node-token', `${TLS}/server-ca.crt`, `${TLS}/client-admin.crt`, `${TLS}/client-admin.key`, 'etc/rancher/rke2/rke2.yaml']) {
      expect(((await fs.stat(path.join(s1.root, file))).mode & 0o777).toString(8), file).toBe('600');
    }
    const ca = await fs.readFile(path.join(s1.root, TLS, 'server-ca.crt'), 'utf8');
    const caHash = createHash('sha256').update(ca).digest('hex');
    expect(await token(s1)).toBe(`K10${caHash}::server:first-secret`);

    const kubeconfig = parse(await fs.readFile(path.join(s1.root, 'etc/rancher/rke2/rke2.yaml'), 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
    };
    expect(kubeconfig.clusters[0]?.cluster.server).toBe('https://127.0.0.1:6443');
    expect(Buffer.from(kubeconfig.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString()).toBe(ca);
    expect(Buffer.from(kubeconfig.users[0]?.user['client-certificate-data'] ?? '', 'base64').toString()).toBe(await fs.readFile(path.join(s1.root, TLS, 'client-admin.crt'), 'utf8'));

    const serving = new X509Certificate(await fs.readFile(path.join(s1.root, TLS, 'serving-kube-apiserver.crt')));
    for (const san of [`IP Address:${VIP}`, 'DNS:k8s.example.test', `IP Address:${s1.ip}`, 'IP Address:127.0.0.1', 'DNS:localhost']) expect(serving.subjectAltName).toContain(san);
    expect(serving.verify(new X509Certificate(ca).publicKey)).toBe(true);
    const admin = new X509Certificate(await fs.readFile(path.join(s1.root, TLS, 'client-admin.crt')));
    expect(admin.subject).toContain('CN=system:admin');

    // The API: its CA verifies the node IP and 127.0.0.1; no client certificate, no access.
    expect(await request(s1, `https://${s1.ip}:6443/readyz`)).toEqual({ status: 200, body: 'ok' });
    expect(await request(s1, 'https://127.0.0.1:6443/readyz')).toEqual({ status: 200, body: 'ok' });
    expect((await request(s1, `https://${s1.ip}:6443/readyz`, { anonymous: true })).status).toBe(401);
    expect((await request(s1, `https://${s1.ip}:6443/api/v1/nodes`, { anonymous: true })).status).toBe(401);
    // The supervisor hands out the CA to anyone, without verification (the joiner checks the hash).
    expect(await request(s1, `https://${s1.ip}:9345/cacerts`, { insecure: true, anonymous: true })).toEqual({ status: 200, body: ca });

    const list = await nodes(s1);
    expect([...list.keys()]).toEqual(['s1']);
    expect(list.get('s1')?.ready).toBe('True');
    expect(list.get('s1')?.labels['node-role.kubernetes.io/control-plane']).toBe('true');
  });

  test('a second server and an agent join directly at the same time', async () => {
    const [s1, s2, a1] = ['s1', 's2', 'a1'].map((n) => vms.get(n) as Vm) as [Vm, Vm, Vm];
    await joinConfig(s2, s1, 's2', { 'tls-san': [VIP] });
    await joinConfig(a1, s1, 'a1', { 'node-label': ['node.longhorn.io/create-default-disk=true'], 'node-taint': ['node.longhorn.io/create-default-disk=true:NoSchedule'] });
    const server = start(s2, 'server');
    const agent = start(a1, 'agent');
    const [serverMs, agentMs] = await Promise.all([waitReady(s2, 'server'), waitReady(a1, 'agent')]);
    timings.push(`server join: ${serverMs} ms to ready (ONEKE_STANDIN_JOIN_MS=${JOIN_MS})`, `agent join: ${agentMs} ms to ready`);
    expect(serverMs).toBeGreaterThanOrEqual(JOIN_MS);
    expect(server.output()).toMatch(/joined the cluster/);
    expect(agent.output()).toMatch(/joined the cluster/);

    // The joined server has the same CA and token, its own files, and serves the API itself.
    expect(await token(s2)).toBe(await token(s1));
    expect(await fs.readFile(path.join(s2.root, TLS, 'server-ca.crt'), 'utf8')).toBe(await fs.readFile(path.join(s1.root, TLS, 'server-ca.crt'), 'utf8'));
    expect(((await fs.stat(path.join(s2.root, 'etc/rancher/rke2/rke2.yaml'))).mode & 0o777).toString(8)).toBe('600');
    expect(await request(s2, `https://${s2.ip}:6443/readyz`)).toEqual({ status: 200, body: 'ok' });
    // An agent has no API of its own.
    expect((await request(a1, `https://${a1.ip}:6443/readyz`, { as: s1 })).status).toBe(0);

    const fromS2 = await nodes(s2);
    expect([...fromS2.keys()]).toEqual(['a1', 's1', 's2']);
    expect([...fromS2.values()].map((n) => n.ready)).toEqual(['True', 'True', 'True']);
    expect(fromS2.get('a1')?.labels['node.longhorn.io/create-default-disk']).toBe('true');
    expect(fromS2.get('a1')?.labels['node-role.kubernetes.io/control-plane']).toBeUndefined();
    expect((await etcdMembers(s1)).map((m) => Boolean(m.isLearner))).toEqual([false, false]);
  });

  test('two servers joining at the same moment: exactly one succeeds, the other exits non-zero; it joins once the first is done', async () => {
    const [s1, s2, s3, s4] = ['s1', 's2', 's3', 's4'].map((n) => vms.get(n) as Vm) as [Vm, Vm, Vm, Vm];
    // Through different servers: the rule is etcd's, for the whole cluster.
    await joinConfig(s3, s1, 's3');
    await joinConfig(s4, s2, 's4');
    const p3 = start(s3, 'server');
    const p4 = start(s4, 'server');
    const outcome = async (vm: Vm, p: NetProcess) =>
      Promise.race([p.exited.then((e) => ({ vm, ok: false, exit: e.exitCode })), waitReady(vm, 'server').then(() => ({ vm, ok: true, exit: undefined }))]);
    const results = await Promise.all([outcome(s3, p3), outcome(s4, p4)]);
    const winners = results.filter((r) => r.ok);
    const losers = results.filter((r) => !r.ok);
    expect(winners, `${p3.output()}\n${p4.output()}`).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const loser = losers[0]?.vm as Vm;
    expect(losers[0]?.exit).not.toBe(0);
    expect(loser.process?.output()).toMatch(/join refused: another server is joining \(etcdserver: too many learner members in cluster\)/);
    expect(await exists(readyFile(loser, 'server'))).toBe(false);

    // Once the first join is over, the same server joins.
    start(loser, 'server');
    timings.push(`server join after a refused one: ${await waitReady(loser, 'server')} ms`);
    const members = await etcdMembers(s1);
    expect(members).toHaveLength(4);
    expect(members.every((m) => m.isLearner !== true)).toBe(true);
    expect([...(await nodes(s1)).keys()]).toEqual(['a1', 's1', 's2', 's3', 's4']);
  }, 60_000);

  test('a wrong token: 401 from the supervisor, or a CA hash that does not match; both exit non-zero', async () => {
    const [s1, x1] = ['s1', 'x1'].map((n) => vms.get(n) as Vm) as [Vm, Vm];
    const good = await token(s1);
    const wrongSecret = good.replace(/:[^:]+$/, ':not-the-secret');
    for (const [role, tokenText, message] of [
      ['server', wrongSecret, /rejected the token \(401 Unauthorized\)/],
      ['agent', wrongSecret, /rejected the token \(401 Unauthorized\)/],
      ['agent', good.replace(/^K10[0-9a-f]{64}/, `K10${'0'.repeat(64)}`), /token CA hash mismatch/],
      ['server', 'first-secret-but-wrong', /rejected the token/],
    ] as const) {
      await fs.rm(x1.root, { recursive: true, force: true });
      await configure(x1, { 'node-name': 'x1', server: `https://${s1.ip}:9345`, token: tokenText });
      const p = start(x1, role);
      const exit = await p.exited;
      expect(exit.exitCode, p.output()).toBe(1);
      expect(p.output()).toMatch(message);
    }
    expect((await nodes(s1)).has('x1')).toBe(false);
    expect(await etcdMembers(s1)).toHaveLength(4);
  }, 30_000);

  test("heartbeats: a killed agent is Unknown after about 10 s; the cleaner's DELETE honours the UID precondition", async () => {
    const [s1, a1] = ['s1', 'a1'].map((n) => vms.get(n) as Vm) as [Vm, Vm];
    await a1.process?.kill('SIGKILL');
    const killed = Date.now();
    await eventually(async () => (await nodes(s1)).get('a1')?.ready === 'Unknown', 'a1 to be Unknown', 20_000, 250);
    const unknownAfter = Date.now() - killed;
    timings.push(`killed agent Unknown after ${unknownAfter} ms`);
    expect(unknownAfter).toBeGreaterThanOrEqual(7_500);
    const list = await nodes(s1);
    expect([...list.entries()].filter(([, n]) => n.ready !== 'True').map(([name]) => name)).toEqual(['a1']);

    // The cleaner's own client (src/cleaner/kube-api.ts) against this API, from inside the master.
    const listed = JSON.parse(await kube(s1, 'list')) as { name: string; uid: string; ready?: boolean }[];
    expect(listed.find((n) => n.name === 'a1')).toEqual({ name: 'a1', uid: list.get('a1')?.uid });
    expect(listed.filter((n) => n.ready === true).map((n) => n.name)).toEqual(['s1', 's2', 's3', 's4']);
    expect(await kube(s1, 'delete', 'a1', 'another-uid')).toBe('"replaced"');
    expect(await kube(s1, 'delete', 'a1', list.get('a1')?.uid)).toBe('"deleted"');
    expect(await kube(s1, 'delete', 'a1')).toBe('"gone"');
    expect((await nodes(s1)).has('a1')).toBe(false);
  }, 30_000);

  test('a restart with the same root comes back without initialising or joining again', async () => {
    const [s1, s2, a1] = ['s1', 's2', 'a1'].map((n) => vms.get(n) as Vm) as [Vm, Vm, Vm];
    const before = await nodes(s1);

    // A joined server: SIGTERM (a clean exit), then the same root again.
    const stopped = await s2.process?.kill('SIGTERM');
    expect(stopped?.exitCode).toBe(0);
    expect(await exists(readyFile(s2, 'server'))).toBe(false);
    const again = start(s2, 'server');
    timings.push(`server restart with its data: ${await waitReady(s2, 'server')} ms`);
    expect(again.output()).toMatch(/etcd data found/);
    expect(again.output()).not.toMatch(/joined the cluster|initialised a new cluster/);

    // The first server, with the config oneke rewrites after the start (server: the endpoint, the secure token).
    await s1.process?.kill('SIGTERM');
    await configure(s1, { 'node-name': 's1', server: `https://${VIP}:9345`, token: await token(s1), 'tls-san': [VIP] });
    const first = start(s1, 'server');
    await waitReady(s1, 'server');
    expect(first.output()).not.toMatch(/joined the cluster|initialised a new cluster/);

    // An agent that registered before comes back as the same node.
    await joinConfig(a1, s2, 'a1');
    const agent = start(a1, 'agent');
    await waitReady(a1, 'agent');
    expect(agent.output()).toMatch(/is back in the cluster/);

    const after = await nodes(s1);
    expect(after.get('s1')?.uid).toBe(before.get('s1')?.uid);
    expect(after.get('s2')?.uid).toBe(before.get('s2')?.uid);
    expect([...after.values()].map((n) => n.ready)).toEqual(['True', 'True', 'True', 'True', 'True']);
    expect(await etcdMembers(s2)).toHaveLength(4);
  }, 60_000);
});
