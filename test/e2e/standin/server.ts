// `rke2 server`: initialise a cluster, join one through the `server:` URL, or restart from its own
// etcd data; then serve the supervisor (9345) and a Kubernetes-like API (6443) from etcd.

import fs from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { isIPv4 } from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import {
  API_PORT,
  exists,
  fatal,
  knobs,
  localIpv4s,
  log,
  nodeIp,
  parseToken,
  PATHS,
  randomHex,
  readConfig,
  readIfExists,
  readyFile,
  sameSecret,
  secureToken,
  sha256,
  sleep,
  SUPERVISOR_PORT,
  under,
  writeSecret,
  type Rke2Config,
} from './common.ts';
import { clientUrl, EtcdClient, EtcdError, LOCAL_CLIENT, peerUrl, startEtcd, waitUntil, type EtcdProcess, type Member } from './etcd.ts';
import { bearerOf, errorText, httpsRequest, parseJsonObject, readBody, send, sendJson, sendStatus, type Answer } from './http.ts';
import { createCa, issueAdmin, issueServing, selfSigned, type KeyPair } from './pki.ts';
import { BOOTSTRAP, checkNodePassword, deleteNode, getNode, heartbeat, LEARNERS, nodeList, nodeObject, registerNode } from './registry.ts';

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** What a server that joined remembers about its etcd member (db/standin-member.json). */
interface MemberFile {
  name: string;
  id?: string;
  ip: string;
  /** Client URLs of the voting members when it joined, to finish a promotion after a crash. */
  servers: string[];
}

/** The answer to a server's join request. */
export interface JoinAnswer {
  ca: KeyPair;
  etcd: { id: string; name: string; initialCluster: string };
  servers: string[];
}

/** The node password of k3s: random at the first start, then kept, so a restart is the same node. */
export async function nodePassword(root: string): Promise<string> {
  const file = under(root, PATHS.nodePassword);
  const existing = (await readIfExists(file))?.trim();
  if (existing) return existing;
  const password = randomHex(16);
  await writeSecret(file, `${password}\n`);
  return password;
}

function kubeconfig(ca: KeyPair, admin: KeyPair): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'default', cluster: { 'certificate-authority-data': b64(ca.cert), server: `https://127.0.0.1:${API_PORT}` } }],
    contexts: [{ name: 'default', context: { cluster: 'default', user: 'default' } }],
    'current-context': 'default',
    preferences: {},
    users: [{ name: 'default', user: { 'client-certificate-data': b64(admin.cert), 'client-key-data': b64(admin.key) } }],
  });
}

function voting(members: readonly Member[]): Member[] {
  return members.filter((m) => !m.isLearner && m.name !== '');
}

const ipOfUrl = (url: string): string => new URL(url).hostname;

export class Rke2Server {
  readonly root: string;
  config!: Rke2Config;
  ip = '';
  name = '';
  secret = '';
  ca!: KeyPair;
  serving!: KeyPair;
  etcd: EtcdProcess | undefined;
  readonly client = new EtcdClient([LOCAL_CLIENT]);
  memberName = '';
  ready = false;
  stopping = false;
  supervisor: https.Server | undefined;
  apis: https.Server[] = [];
  timers: NodeJS.Timeout[] = [];

  constructor(root: string) {
    this.root = root;
  }

  path(relative: string): string {
    return under(this.root, relative);
  }

  async run(): Promise<void> {
    this.config = await readConfig(this.root);
    this.ip = await nodeIp(this.config);
    this.name = this.config.nodeName;
    if (!NODE_NAME.test(this.name)) fatal(`invalid node name ${JSON.stringify(this.name)}`);
    await fs.rm(readyFile(this.root, 'server'), { force: true });
    const existingToken = (await readIfExists(this.path(PATHS.nodeToken)))?.trim();
    this.secret = parseToken(this.config.token || existingToken || randomHex(16)).secret;
    log('info', `Starting rke2 (stand-in) server ${this.name} on ${this.ip}`);

    // Like rke2, the supervisor port listens at once, before this server can serve anything.
    await this.listenSupervisor();
    const restart = await exists(path.join(this.path(PATHS.etcdData), 'member'));
    if (restart) await this.restart();
    else if (this.config.server) await this.join(this.config.server);
    else await this.initialise();
    await this.serve();
  }

  // ---- the three ways to start ------------------------------------------------------------

  async initialise(): Promise<void> {
    log('info', 'no server URL and no etcd data: creating a new cluster');
    this.ca = await createCa();
    await this.writeCertificates();
    await nodePassword(this.root); // every RKE2 node has one, the first server too
    this.memberName = `${this.name}-${randomHex(4)}`;
    await this.writeMemberFile({ name: this.memberName, ip: this.ip, servers: [clientUrl(this.ip)] });
    this.startEtcd({ initialCluster: `${this.memberName}=${peerUrl(this.ip)}`, initialState: 'new' });
    if (!(await waitUntil(() => this.client.healthy(), 'etcd to elect itself', 60_000))) fatal('etcd did not become healthy within 60 s');
    await this.client.create(BOOTSTRAP, JSON.stringify({ tokenHash: sha256(this.secret), created: new Date().toISOString() }));
    log('info', `initialised a new cluster: etcd member ${this.memberName} at ${peerUrl(this.ip)}`);
  }

  async join(server: string): Promise<void> {
    const url = server.replace(/\/+$/, '');
    const token = parseToken(this.config.token);
    const started = Date.now();
    log('info', `joining the cluster through ${url}`);
    let caPem: string;
    try {
      const answer = await httpsRequest(`${url}/cacerts`, { timeoutMs: 10_000 });
      if (answer.headers['x-standin-node'] === this.name) {
        fatal(`${url} led to this very server, which is still starting: a joiner behind a load balancer that lists it reads its own empty cluster (rancher/rke2#5804)`);
      }
      if (answer.status !== 200) fatal(`failed to get CA certs from ${url}/cacerts: HTTP ${answer.status}: ${answer.body.trim()}`);
      caPem = answer.body;
    } catch (error) {
      fatal(`failed to get CA certs from ${url}/cacerts: ${errorText(error)}`);
    }
    if (token.caHash !== undefined && sha256(caPem) !== token.caHash) {
      fatal(`token CA hash mismatch: the token expects CA ${token.caHash}, ${url} served ${sha256(caPem)}`);
    }
    const password = await nodePassword(this.root);
    let answer: Answer;
    try {
      answer = await httpsRequest(`${url}/v1-oneke/join`, {
        method: 'POST',
        ca: caPem,
        bearer: token.secret,
        json: { name: this.name, ip: this.ip, role: 'server', password, labels: this.config.nodeLabels, taints: this.config.nodeTaints },
        timeoutMs: 30_000,
      });
    } catch (error) {
      fatal(`join request to ${url} failed: ${errorText(error)}`);
    }
    const body = parseJsonObject(answer.body);
    if (answer.status === 401) fatal(`the server at ${url} rejected the token (401 Unauthorized)`);
    if (answer.status === 409) fatal(`join ${String(body?.error ?? answer.body.trim())}`);
    if (answer.status !== 200 || !body) fatal(`join request to ${url} failed: HTTP ${answer.status}: ${String(body?.error ?? answer.body.trim())}`);
    const joined = body as unknown as JoinAnswer;
    if (joined.ca?.cert !== caPem) fatal('the join answer carries another CA than /cacerts');

    this.ca = joined.ca;
    this.memberName = joined.etcd.name;
    await this.writeCertificates();
    await this.writeMemberFile({ name: this.memberName, id: joined.etcd.id, ip: this.ip, servers: joined.servers });
    log('info', `added to etcd as learner ${this.memberName}; starting etcd`);
    this.startEtcd({ initialCluster: joined.etcd.initialCluster, initialState: 'existing' });
    if (!(await waitUntil(() => this.client.answers(), 'the local etcd member', 60_000))) fatal('etcd did not start within 60 s');
    // The rest of a real join (catching up, static pods) takes a while; the learner holds etcd's one slot meanwhile.
    await sleep(Math.max(0, started + knobs.joinMs - Date.now()));
    await this.promote(joined.etcd.id, joined.servers);
    if (!(await waitUntil(() => this.client.healthy(), 'etcd to be healthy', 60_000))) fatal('etcd did not become healthy within 60 s of the promotion');
    await this.client.delete(LEARNERS + joined.etcd.id).catch(() => undefined);
    log('info', `joined the cluster through ${url} as etcd member ${this.memberName} in ${Date.now() - started} ms`);
  }

  async restart(): Promise<void> {
    const member = JSON.parse((await readIfExists(this.path(PATHS.member))) ?? 'null') as MemberFile | null;
    const caCert = await readIfExists(this.path(PATHS.serverCa));
    const caKey = await readIfExists(this.path(PATHS.serverCaKey));
    if (!member || !caCert || !caKey) fatal('etcd data found without the files that go with it (db/standin-member.json, tls/server-ca.*)');
    if (member.ip !== this.ip) fatal(`this server is not a member of the etcd cluster at ${this.ip}: it joined as ${member.ip} (the node IP changed)`);
    this.ca = { cert: caCert, key: caKey };
    this.memberName = member.name;
    await this.writeCertificates();
    log('info', `etcd data found: restarting member ${this.memberName} of the existing cluster (no initialisation, no join)`);
    this.startEtcd({});
    if (!(await waitUntil(() => this.client.answers(), 'the local etcd member', 60_000))) fatal('etcd did not start within 60 s');
    const self = await this.selfMember(member.servers);
    if (self?.isLearner) {
      log('info', `this member is still a learner (a join was interrupted): finishing the promotion`);
      await this.promote(self.ID, member.servers);
      await this.client.delete(LEARNERS + self.ID).catch(() => undefined);
    }
    if (!(await waitUntil(() => this.client.healthy(), 'etcd quorum (the other servers)', 10 * 60_000))) fatal('etcd has no quorum after 10 minutes');
    const bootstrap = await this.client.get(BOOTSTRAP);
    const stored = bootstrap ? (JSON.parse(bootstrap.value) as { tokenHash?: string }).tokenHash : undefined;
    if (stored !== undefined && stored !== sha256(this.secret)) fatal('bootstrap data already found and encrypted with different token');
  }

  async selfMember(endpoints: string[]): Promise<Member | undefined> {
    for (const client of [this.client, new EtcdClient(endpoints)]) {
      try {
        const members = await client.members();
        return members.find((m) => m.name === this.memberName || m.peerURLs.includes(peerUrl(this.ip)));
      } catch {
        // A learner may not answer member lists: ask the others.
      }
    }
    return undefined;
  }

  /** Promotes this learner through a voting member, retrying while it catches up. */
  async promote(id: string, servers: readonly string[]): Promise<void> {
    const others = new EtcdClient(servers.filter((s) => ipOfUrl(s) !== this.ip));
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await others.promote(id);
        log('info', `etcd learner ${this.memberName} promoted to voting member`);
        return;
      } catch (error) {
        const message = errorText(error);
        if (/not a learner|can only promote a learner member$/.test(message)) return;
        if (/member not found/.test(message)) fatal(`this learner was removed from the etcd cluster before its promotion: ${message}`);
        if (Date.now() > deadline) fatal(`etcd learner ${this.memberName} could not be promoted: ${message}`);
      }
      await sleep(200);
    }
  }

  // ---- files and processes ----------------------------------------------------------------

  async writeMemberFile(member: MemberFile): Promise<void> {
    await writeSecret(this.path(PATHS.member), `${JSON.stringify(member, null, 2)}\n`);
  }

  /** The CA (kept), a fresh serving certificate for this node's names, the admin client certificate. */
  async writeCertificates(): Promise<void> {
    await fs.mkdir(this.path(PATHS.tlsDir), { recursive: true, mode: 0o700 });
    await writeSecret(this.path(PATHS.serverCa), this.ca.cert);
    await writeSecret(this.path(PATHS.serverCaKey), this.ca.key);
    const sans = [
      ...this.config.tlsSan,
      this.ip,
      ...localIpv4s(),
      '127.0.0.1',
      'localhost',
      this.name,
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ];
    this.serving = await issueServing(this.ca, sans);
    await writeSecret(this.path(PATHS.servingCert), this.serving.cert);
    await writeSecret(this.path(PATHS.servingKey), this.serving.key);
    const adminCert = await readIfExists(this.path(PATHS.adminCert));
    if (!adminCert || !(await exists(this.path(PATHS.adminKey)))) {
      const admin = await issueAdmin(this.ca);
      await writeSecret(this.path(PATHS.adminCert), admin.cert);
      await writeSecret(this.path(PATHS.adminKey), admin.key);
    }
    this.supervisor?.setSecureContext({ cert: this.serving.cert, key: this.serving.key });
  }

  startEtcd(initial: { initialCluster?: string; initialState?: 'new' | 'existing' }): void {
    this.etcd = startEtcd({ name: this.memberName, ip: this.ip, dataDir: this.path(PATHS.etcdData), logFile: this.path(PATHS.etcdLog), ...initial });
    void this.etcd.exited.then(async (code) => {
      if (this.stopping) return;
      await fs.rm(readyFile(this.root, 'server'), { force: true });
      fatal(`etcd exited with code ${String(code)} (see ${this.path(PATHS.etcdLog)})`);
    });
  }

  async listenSupervisor(): Promise<void> {
    const cert = await readIfExists(this.path(PATHS.servingCert));
    const key = await readIfExists(this.path(PATHS.servingKey));
    const pair = cert && key ? { cert, key } : await selfSigned(`${this.name}-starting`);
    this.supervisor = https.createServer({ cert: pair.cert, key: pair.key }, (req, res) => void this.supervise(req, res));
    await listen(this.supervisor, SUPERVISOR_PORT, this.ip);
  }

  async serve(): Promise<void> {
    const started = await registerNode(this.client, {
      name: this.name,
      role: 'server',
      ip: this.ip,
      labels: this.config.nodeLabels,
      taints: this.config.nodeTaints,
      etcdMember: this.memberName,
    });
    log('info', `node ${started.name} registered (uid ${started.uid})`);
    await writeSecret(this.path(PATHS.nodeToken), `${secureToken(this.ca.cert, this.secret)}\n`);
    const adminCert = (await readIfExists(this.path(PATHS.adminCert))) ?? '';
    const adminKey = (await readIfExists(this.path(PATHS.adminKey))) ?? '';
    await writeSecret(this.path(PATHS.kubeconfig), kubeconfig(this.ca, { cert: adminCert, key: adminKey }));
    for (const address of [...new Set([this.ip, '127.0.0.1'])]) {
      const api = https.createServer({ cert: this.serving.cert, key: this.serving.key, ca: this.ca.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => void this.api(req, res));
      await listen(api, API_PORT, address);
      this.apis.push(api);
    }
    this.ready = true;
    this.every(knobs.heartbeatMs, async () => {
      if (!(await heartbeat(this.client, this.name))) log('warning', `node ${this.name} not found: it was deleted from the cluster`);
    });
    this.every(5000, () => this.manageLearners());
    await fs.mkdir(path.dirname(readyFile(this.root, 'server')), { recursive: true });
    await fs.writeFile(readyFile(this.root, 'server'), `${process.pid}\n`);
    log('info', `rke2 is up and running: supervisor https://${this.ip}:${SUPERVISOR_PORT}, API https://${this.ip}:${API_PORT}`);
  }

  every(ms: number, task: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.stopping) return;
      busy = true;
      task()
        .catch((error: unknown) => log('warning', errorText(error)))
        .finally(() => {
          busy = false;
        });
    }, ms);
    this.timers.push(timer);
  }

  /** k3s's learner management: forget finished joins, remove a learner that made no progress. */
  async manageLearners(): Promise<void> {
    const members = await this.client.members();
    const records = await this.client.list(LEARNERS);
    for (const record of records) {
      const id = record.key.slice(LEARNERS.length);
      const member = members.find((m) => m.ID === id);
      if (!member?.isLearner) {
        await this.client.delete(record.key);
        continue;
      }
      const { added, node } = JSON.parse(record.value) as { added: number; node: string };
      if (Date.now() - added > knobs.learnerStallMs) {
        log('warning', `removing etcd learner ${member.name || node} (${member.peerURLs.join(',')}): no progress for ${Math.round((Date.now() - added) / 1000)} s`);
        await this.client.remove(id).catch((error: unknown) => log('warning', `learner removal: ${errorText(error)}`));
        await this.client.delete(record.key);
      }
    }
    for (const member of members.filter((m) => m.isLearner && !records.some((r) => r.key === LEARNERS + m.ID))) {
      // A learner some server added without a record (it crashed in between): start its clock now.
      await this.client.create(LEARNERS + member.ID, JSON.stringify({ added: Date.now(), node: member.name || member.peerURLs.join(','), name: member.name }));
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const server of [this.supervisor, ...this.apis]) server?.close();
    for (const server of [this.supervisor, ...this.apis]) server?.closeAllConnections();
    await this.etcd?.stop();
    await fs.rm(readyFile(this.root, 'server'), { force: true });
  }

  // ---- the supervisor (9345) --------------------------------------------------------------

  async supervise(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (!this.ready) {
        send(res, 503, 'this server is still starting\n', 'text/plain', { 'x-standin-node': this.name });
        return;
      }
      const route = `${req.method ?? 'GET'} ${(req.url ?? '/').split('?')[0]}`;
      switch (route) {
        case 'GET /cacerts':
          send(res, 200, this.ca.cert);
          return;
        case 'GET /ping':
          send(res, 200, 'pong');
          return;
        case 'POST /v1-oneke/join':
          await this.handleJoin(req, res);
          return;
        case 'POST /v1-oneke/heartbeat':
          await this.handleHeartbeat(req, res);
          return;
        default:
          sendJson(res, 404, { error: `no route ${route}` });
      }
    } catch (error) {
      log('warning', `supervisor ${req.method} ${req.url}: ${errorText(error)}`);
      if (!res.headersSent) sendJson(res, 503, { error: errorText(error) });
    }
  }

  authorised(req: IncomingMessage, res: ServerResponse): boolean {
    if (sameSecret(bearerOf(req) ?? '', this.secret)) return true;
    log('warning', `rejected a request from ${req.socket.remoteAddress}: wrong token`);
    sendJson(res, 401, { error: 'Unauthorized: the token does not match this cluster' });
    return false;
  }

  async handleJoin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorised(req, res)) return;
    const body = parseJsonObject(await readBody(req));
    const name = typeof body?.name === 'string' ? body.name : '';
    const ip = typeof body?.ip === 'string' ? body.ip : '';
    const role = body?.role;
    const password = typeof body?.password === 'string' ? body.password : '';
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    if (!NODE_NAME.test(name) || !isIPv4(ip) || (role !== 'server' && role !== 'agent') || password === '') {
      sendJson(res, 400, { error: 'expected {name, ip, role: server|agent, password}' });
      return;
    }
    if (!(await checkNodePassword(this.client, name, password))) {
      log('warning', `join of ${name} refused: node password rejected, duplicate hostname`);
      sendJson(res, 403, { error: `Node password rejected, duplicate hostname or contents of '/etc/rancher/node/password' may not match server node-passwd entry (node ${name})` });
      return;
    }
    const members = await this.client.members();
    const servers = voting(members).flatMap((m) => m.clientURLs);
    if (role === 'agent') {
      const record = await registerNode(this.client, { name, role: 'agent', ip, labels: strings(body?.labels), taints: strings(body?.taints) });
      log('info', `agent ${name} (${ip}) registered`);
      sendJson(res, 200, { servers, uid: record.uid });
      return;
    }

    const peer = peerUrl(ip);
    let member = members.find((m) => m.peerURLs.includes(peer));
    let memberName = `${name}-${randomHex(4)}`;
    if (member?.isLearner && member.name === '') {
      // The same joiner again after a crash before its etcd ran: it gets its learner slot back.
      const record = await this.client.get(LEARNERS + member.ID);
      memberName = record ? ((JSON.parse(record.value) as { name?: string }).name ?? memberName) : memberName;
      log('info', `server ${name} (${ip}) asks again: reusing its etcd learner ${member.ID}`);
    } else {
      if (member) {
        // A member with the joiner's address that lost its data: k3s removes the stale member first.
        log('info', `removing stale etcd member ${member.name} at ${peer} before ${name} joins`);
        await this.client.remove(member.ID);
      }
      const deadline = Date.now() + 15_000;
      for (;;) {
        try {
          member = (await this.client.addLearner(peer)).member;
          break;
        } catch (error) {
          if (error instanceof EtcdError && /too many learner/.test(error.message)) {
            log('warning', `join of ${name} (${ip}) refused: another server is joining (${error.message})`);
            sendJson(res, 409, { error: `refused: another server is joining (${error.message})` });
            return;
          }
          // etcd refuses any member change until every voting member has been connected for 5 s
          // (strict reconfiguration check), e.g. just after a join. RKE2's joiner would exit and be
          // restarted by systemd 5 s later; waiting here has the same effect without the restart.
          if (error instanceof EtcdError && /unhealthy cluster/.test(error.message) && Date.now() < deadline) {
            await sleep(250);
            continue;
          }
          throw error;
        }
      }
      await this.client.put(LEARNERS + member.ID, JSON.stringify({ added: Date.now(), node: name, name: memberName }));
      log('info', `server ${name} (${ip}) is joining: etcd learner ${member.ID} added`);
    }
    const initialCluster = [...voting(members).flatMap((m) => m.peerURLs.map((p) => `${m.name}=${p}`)), `${memberName}=${peer}`].join(',');
    const answer: JoinAnswer = { ca: this.ca, etcd: { id: member.ID, name: memberName, initialCluster }, servers };
    sendJson(res, 200, answer);
  }

  async handleHeartbeat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorised(req, res)) return;
    const body = parseJsonObject(await readBody(req));
    const name = typeof body?.name === 'string' ? body.name : '';
    if (!(await heartbeat(this.client, name))) {
      sendJson(res, 404, { error: `node ${name} not found` });
      return;
    }
    const members = await this.client.members();
    sendJson(res, 200, { servers: voting(members).flatMap((m) => m.clientURLs) });
  }

  // ---- the API server (6443) --------------------------------------------------------------

  async api(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const socket = req.socket as typeof req.socket & { authorized?: boolean };
      if (socket.authorized !== true) {
        sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
        return;
      }
      const url = new URL(req.url ?? '/', 'https://localhost');
      const method = req.method ?? 'GET';
      if (method === 'GET' && ['/readyz', '/livez', '/healthz'].includes(url.pathname)) {
        if (await this.client.healthy()) send(res, 200, 'ok');
        else send(res, 500, '[-]etcd failed: reason withheld\nreadyz check failed\n');
        return;
      }
      if (method === 'GET' && url.pathname === '/version') {
        sendJson(res, 200, { major: '1', minor: '33', gitVersion: 'v1.33.5+rke2r1', platform: 'linux/amd64' });
        return;
      }
      // Discovery, as far as `kubectl get nodes` asks: the core group with its one resource here.
      if (method === 'GET' && url.pathname === '/api') {
        sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${this.ip}:${API_PORT}` }] });
        return;
      }
      if (method === 'GET' && url.pathname === '/apis') {
        sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
        return;
      }
      if (method === 'GET' && url.pathname === '/api/v1') {
        const nodes = { name: 'nodes', singularName: '', namespaced: false, kind: 'Node', verbs: ['delete', 'get', 'list'], shortNames: ['no'] };
        sendJson(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [nodes] });
        return;
      }
      if (method === 'GET' && url.pathname === '/api/v1/nodes') {
        const list = await nodeList(this.client);
        // kubectl asks for a server-side Table (the columns of `kubectl get nodes`); others get the NodeList.
        sendJson(res, 200, /as=Table/.test(String(req.headers.accept ?? '')) ? nodeTable(list) : list);
        return;
      }
      const one = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname);
      if (one) {
        const name = decodeURIComponent(one[1] ?? '');
        if (method === 'GET') {
          const record = await getNode(this.client, name);
          if (record) sendJson(res, 200, nodeObject(record, Date.now()));
          else sendStatus(res, 404, 'NotFound', `nodes "${name}" not found`);
          return;
        }
        if (method === 'DELETE') {
          await this.deleteNode(name, await readBody(req), res);
          return;
        }
      }
      sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    } catch (error) {
      log('warning', `API ${req.method} ${req.url}: ${errorText(error)}`);
      if (!res.headersSent) sendStatus(res, 500, 'InternalError', errorText(error));
    }
  }

  async deleteNode(name: string, text: string, res: ServerResponse): Promise<void> {
    const body = text.trim() === '' ? {} : parseJsonObject(text);
    if (!body) {
      sendStatus(res, 400, 'BadRequest', 'the body is not a DeleteOptions object');
      return;
    }
    const preconditions = body.preconditions as { uid?: unknown } | undefined;
    const uid = typeof preconditions?.uid === 'string' ? preconditions.uid : undefined;
    const result = await deleteNode(this.client, name, uid);
    if (result.outcome === 'not-found') {
      sendStatus(res, 404, 'NotFound', `nodes "${name}" not found`);
      return;
    }
    if (result.outcome === 'conflict') {
      sendStatus(res, 409, 'Conflict', `Precondition failed: UID in precondition: ${String(uid)}, UID in object meta: ${result.uid}`);
      return;
    }
    log('info', `node ${name} deleted`);
    const member = result.record.etcdMember;
    if (member) {
      // As k3s does for a deleted server node: its etcd member leaves the cluster.
      const found = (await this.client.members()).find((m) => m.name === member);
      if (found) {
        await this.client.remove(found.ID).then(
          () => log('info', `etcd member ${member} of deleted node ${name} removed`),
          (error: unknown) => log('warning', `etcd member ${member} of deleted node ${name} not removed: ${errorText(error)}`),
        );
      }
    }
    sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: 'nodes', uid: result.record.uid } });
  }
}

/** The Table `kubectl get nodes` prints: NAME, STATUS, ROLES, AGE, VERSION. */
function nodeTable(list: Record<string, unknown>, now = Date.now()): Record<string, unknown> {
  type Node = {
    metadata: { name: string; labels?: Record<string, string>; creationTimestamp: string };
    status: { conditions: { type: string; status: string }[]; nodeInfo: { kubeletVersion: string } };
  };
  const age = (since: string) => {
    const s = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
    return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
  };
  const columns = ['Name', 'Status', 'Roles', 'Age', 'Version'].map((name) => ({ name, type: 'string', format: name === 'Name' ? 'name' : '', description: '', priority: 0 }));
  const rows = (list.items as Node[]).map((node) => {
    const ready = node.status.conditions.find((c) => c.type === 'Ready')?.status;
    const roles = Object.keys(node.metadata.labels ?? {})
      .filter((l) => l.startsWith('node-role.kubernetes.io/'))
      .map((l) => l.slice('node-role.kubernetes.io/'.length));
    const cells = [node.metadata.name, ready === 'True' ? 'Ready' : 'NotReady', roles.sort().join(',') || '<none>', age(node.metadata.creationTimestamp), node.status.nodeInfo.kubeletVersion];
    return { cells, object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: node.metadata } };
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: String(now) }, columnDefinitions: columns, rows };
}

export function listen(server: https.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve) => {
    server.once('error', (error) => fatal(`cannot listen on ${host}:${port}: ${errorText(error)}`));
    server.listen(port, host, () => resolve());
  });
}
