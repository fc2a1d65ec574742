// A fake Kubernetes API server for the cleaner's tests: HTTPS on 127.0.0.1 that requires a client
// certificate, with just GET /api/v1/nodes (paged) and DELETE /api/v1/nodes/<name> (UID
// preconditions honoured, 404 for a node that is not there). Certificates come from the openssl CLI.

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

export interface TestPki {
  /** CA of the API server's certificate (RKE2's server-ca.crt). */
  serverCa: string;
  server: { cert: string; key: string };
  /** CA that signs client certificates (RKE2's client-ca.crt). */
  clientCa: string;
  /** The admin client certificate (client-admin.crt / .key). */
  admin: { cert: string; key: string };
  /** A client certificate from a CA the server does not trust. */
  stranger: { cert: string; key: string };
  cleanup(): void;
}

/** Makes throwaway CAs and certificates with the openssl CLI (tests only). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'oneke-kube-pki-'));
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string, cn: string): void =>
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  const leaf = (name: string, subject: string, signer: string, ext: string): void => {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  ca('server-ca', 'rke2-server-ca@test');
  ca('client-ca', 'rke2-client-ca@test');
  ca('other-ca', 'some other CA');
  leaf(
    'server',
    '/CN=kube-apiserver',
    'server-ca',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes\n',
  );
  const clientExt = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  leaf('admin', '/O=system:masters/CN=system:admin', 'client-ca', clientExt);
  leaf('stranger', '/O=system:masters/CN=system:admin', 'other-ca', clientExt);
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  const pair = (name: string) => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) });
  const pki = { serverCa: read('server-ca.crt'), server: pair('server'), clientCa: read('client-ca.crt'), admin: pair('admin'), stranger: pair('stranger') };
  return { ...pki, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface FakeNode {
  name: string;
  uid: string;
  ready: boolean | undefined;
}

export interface FakeKubeApiStats {
  lists: number;
  deleted: string[];
  notFound: number;
  conflicts: number;
  /** Every request, refused ones included. */
  requests: number;
  /** Requests without a trusted client certificate (answered 401). */
  unauthorized: number;
}

export interface FakeKubeApi {
  readonly url: string;
  names(): string[];
  node(name: string): FakeNode | undefined;
  addNode(name: string, ready?: boolean | undefined): FakeNode;
  setReady(name: string, ready: boolean | undefined): void;
  /** Deletes and re-creates a node under the same name (a new UID), as a rejoin would. */
  recreate(name: string): FakeNode;
  /** The next `count` requests answer this status (a Status body). */
  failNext(count: number, status: number): void;
  /** The next `count` requests get no answer at all. */
  hangNext(count: number): void;
  stats: FakeKubeApiStats;
  close(): Promise<void>;
}

export interface FakeKubeApiOptions {
  pki: TestPki;
  nodes?: string[];
  /** Nodes per page of GET /api/v1/nodes whatever `limit` asks. Default: the client's limit. */
  pageSize?: number;
  /** Hold every list answer until this many lists have arrived (or 5 s passed): lines runs up. */
  listBarrier?: number;
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(body);
}

function nodeObject(node: FakeNode): unknown {
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name: node.name, uid: node.uid, labels: { 'kubernetes.io/hostname': node.name } },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        ...(node.ready === undefined ? [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] : [{ type: 'Ready', status: node.ready ? 'True' : 'False' }]),
      ],
    },
  };
}

export async function startFakeKubeApi(options: FakeKubeApiOptions): Promise<FakeKubeApi> {
  const nodes = new Map<string, FakeNode>();
  const addNode = (name: string, ready: boolean | undefined = true): FakeNode => {
    const node = { name, uid: randomUUID(), ready };
    nodes.set(name, node);
    return node;
  };
  for (const name of options.nodes ?? []) addNode(name);

  const stats: FakeKubeApiStats = { lists: 0, deleted: [], notFound: 0, conflicts: 0, requests: 0, unauthorized: 0 };
  let failing: { count: number; status: number } = { count: 0, status: 0 };
  let hanging = 0;
  const held: (() => void)[] = [];
  const sockets = new Set<Socket>();

  function list(url: URL, res: ServerResponse): void {
    stats.lists += 1;
    const answer = (): void => {
      const all = [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name));
      const limit = options.pageSize ?? (Number(url.searchParams.get('limit')) || all.length);
      const start = Number(url.searchParams.get('continue') ?? '0');
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? String(start + limit) : undefined;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '1', ...(next ? { continue: next } : {}) }, items: page.map(nodeObject) }));
    };
    if (options.listBarrier === undefined) {
      answer();
      return;
    }
    held.push(answer);
    if (held.length >= options.listBarrier) for (const release of held.splice(0)) release();
    else {
      setTimeout(() => {
        const index = held.indexOf(answer);
        if (index < 0) return;
        held.splice(index, 1);
        answer();
      }, 5_000).unref();
    }
  }

  async function remove(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as { preconditions?: { uid?: string } }) : {};
    const node = nodes.get(name);
    if (node === undefined) {
      stats.notFound += 1;
      return status(res, 404, 'NotFound', `nodes "${name}" not found`);
    }
    const uid = body.preconditions?.uid;
    if (uid !== undefined && uid !== node.uid) {
      stats.conflicts += 1;
      return status(res, 409, 'Conflict', `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${node.uid}`);
    }
    nodes.delete(name);
    stats.deleted.push(name);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(nodeObject(node)));
  }

  const server: Server = createServer(
    // Like kube-apiserver: a client certificate is asked for, checked when given, and a request
    // without a trusted one is answered 401 (anonymous auth off, as RKE2 sets it).
    { cert: options.pki.server.cert, key: options.pki.server.key, ca: options.pki.clientCa, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      stats.requests += 1;
      if (!(req.socket as TLSSocket).authorized) {
        stats.unauthorized += 1;
        return status(res, 401, 'Unauthorized', 'Unauthorized');
      }
      if (hanging > 0) {
        hanging -= 1;
        return;
      }
      if (failing.count > 0) {
        failing.count -= 1;
        return status(res, failing.status, 'InternalError', 'injected failure');
      }
      const url = new URL(req.url ?? '/', 'https://fake');
      if (req.method === 'GET' && url.pathname === '/api/v1/nodes') return list(url, res);
      const m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'DELETE' && m) {
        remove(decodeURIComponent(m[1] ?? ''), req, res).catch(() => status(res, 400, 'BadRequest', 'bad body'));
        return;
      }
      status(res, 404, 'NotFound', 'the server could not find the requested resource');
    },
  );
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `https://127.0.0.1:${port}`,
    names: () => [...nodes.keys()].sort(),
    node: (name) => nodes.get(name),
    addNode,
    setReady(name, ready) {
      const node = nodes.get(name);
      if (!node) throw new RangeError(`no node ${name}`);
      node.ready = ready;
    },
    recreate: (name) => addNode(name, nodes.get(name)?.ready ?? true),
    failNext(count, code) {
      failing = { count, status: code };
    },
    hangNext(count) {
      hanging = count;
    },
    stats,
    async close() {
      for (const release of held.splice(0)) release();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
