// Shared bits of the RKE2 stand-in: where RKE2 keeps its files (the real paths, under --root), its
// config.yaml, the token format, the node's address, knobs from the environment and a logrus-like log.

import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

export type Role = 'server' | 'agent';

/** RKE2's own paths, relative to the VM's root. */
export const PATHS = {
  config: 'etc/rancher/rke2/config.yaml',
  kubeconfig: 'etc/rancher/rke2/rke2.yaml',
  nodePassword: 'etc/rancher/node/password',
  serverDir: 'var/lib/rancher/rke2/server',
  tlsDir: 'var/lib/rancher/rke2/server/tls',
  serverCa: 'var/lib/rancher/rke2/server/tls/server-ca.crt',
  serverCaKey: 'var/lib/rancher/rke2/server/tls/server-ca.key',
  servingCert: 'var/lib/rancher/rke2/server/tls/serving-kube-apiserver.crt',
  servingKey: 'var/lib/rancher/rke2/server/tls/serving-kube-apiserver.key',
  adminCert: 'var/lib/rancher/rke2/server/tls/client-admin.crt',
  adminKey: 'var/lib/rancher/rke2/server/tls/client-admin.key',
  nodeToken: 'var/lib/rancher/rke2/server/node-token',
  db: 'var/lib/rancher/rke2/server/db',
  etcdData: 'var/lib/rancher/rke2/server/db/etcd',
  /** Which etcd member this server is: written before etcd first starts, read on every restart. */
  member: 'var/lib/rancher/rke2/server/db/standin-member.json',
  agentDir: 'var/lib/rancher/rke2/agent',
  agentCa: 'var/lib/rancher/rke2/agent/server-ca.crt',
  /** An agent that registered once: a later start is a restart, not a join. */
  agentState: 'var/lib/rancher/rke2/agent/standin-agent.json',
  etcdLog: 'var/log/rke2-standin/etcd.log',
  readyDir: 'run/rke2-standin',
} as const;

export const SUPERVISOR_PORT = 9345;
export const API_PORT = 6443;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

export function under(root: string, relative: string): string {
  return path.join(root, relative);
}

export function readyFile(root: string, role: Role): string {
  return path.join(root, PATHS.readyDir, `${role}.ready`);
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** Timings, overridable so tests can be fast; the defaults are the contract's. */
export const knobs = {
  /** How long a server join takes from the join request until it is promoted (etcd catch-up, static pods). */
  joinMs: envNumber('ONEKE_STANDIN_JOIN_MS', 2000),
  heartbeatMs: envNumber('ONEKE_STANDIN_HEARTBEAT_MS', 2000),
  /** A node whose heartbeat is older than this is Ready=Unknown (the node lifecycle controller's grace). */
  nodeGraceMs: envNumber('ONEKE_STANDIN_NODE_GRACE_MS', 10_000),
  /** k3s removes a learner that made no progress for 5 minutes (learnerMaxStallTime). */
  learnerStallMs: envNumber('ONEKE_STANDIN_LEARNER_STALL_MS', 5 * 60_000),
  etcd: process.env.ONEKE_STANDIN_ETCD ?? 'etcd',
};

export function log(level: 'info' | 'warning' | 'error' | 'fatal', msg: string): void {
  process.stdout.write(`time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}\n`);
}

export function fatal(msg: string): never {
  log('fatal', msg);
  process.exit(1);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Rke2Config {
  nodeName: string;
  token: string;
  server: string | undefined;
  tlsSan: string[];
  nodeIp: string | undefined;
  nodeLabels: string[];
  nodeTaints: string[];
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** config.yaml as RKE2 reads it: the keys the stand-in acts on; others (cni, cidrs…) are accepted and ignored. */
export async function readConfig(root: string): Promise<Rke2Config> {
  const file = under(root, PATHS.config);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    fatal(`${file} not found`);
  }
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  if (typeof doc !== 'object' || Array.isArray(doc)) fatal(`${file}: not a YAML mapping`);
  const token = doc.token === undefined ? '' : String(doc.token);
  const server = doc.server === undefined || doc.server === '' ? undefined : String(doc.server);
  if (server !== undefined && token === '') fatal('token is required to join a cluster (--token or token: in config.yaml)');
  return {
    nodeName: doc['node-name'] === undefined ? os.hostname() : String(doc['node-name']),
    token,
    server,
    tlsSan: list(doc['tls-san']),
    nodeIp: doc['node-ip'] === undefined ? undefined : list(doc['node-ip'])[0],
    nodeLabels: list(doc['node-label']),
    nodeTaints: list(doc['node-taint']),
  };
}

/** `K10<sha256 of the CA bundle>::<user>:<password>` (secure) or the bare password (short). */
export interface ParsedToken {
  caHash: string | undefined;
  secret: string;
}

export function parseToken(token: string): ParsedToken {
  const secure = /^K10([0-9a-f]{64})::(.+)$/.exec(token);
  if (!secure) return { caHash: undefined, secret: token };
  const credentials = secure[2] ?? '';
  const colon = credentials.indexOf(':');
  return { caHash: secure[1], secret: colon >= 0 ? credentials.slice(colon + 1) : credentials };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function secureToken(caPem: string, secret: string): string {
  return `K10${sha256(caPem)}::server:${secret}`;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(sha256(a));
  const y = Buffer.from(sha256(b));
  return timingSafeEqual(x, y);
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** The node's IPv4s (every non-loopback address of this namespace). */
export function localIpv4s(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((a) => a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
}

/** RKE2's default node IP: the address of the default route's interface, else the first one. */
export async function nodeIp(config: Rke2Config): Promise<string> {
  if (config.nodeIp) return config.nodeIp;
  const interfaces = os.networkInterfaces();
  try {
    // /proc/net/route is per network namespace: this VM's routes.
    const routes = (await fs.readFile('/proc/net/route', 'utf8')).split('\n').slice(1);
    for (const line of routes) {
      const [iface, destination] = line.trim().split(/\s+/);
      if (iface && destination === '00000000') {
        const address = (interfaces[iface] ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address;
        if (address) return address;
      }
    }
  } catch {
    // No /proc: fall through.
  }
  const first = localIpv4s()[0];
  if (!first) fatal('this node has no IPv4 address to run on');
  return first;
}

/** Writes a file 0600 through a temp file, so readers never see half of it. */
export async function writeSecret(file: string, content: string, mode = 0o600): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomHex(4)}.tmp`;
  await fs.writeFile(temp, content, { mode });
  await fs.chmod(temp, mode);
  await fs.rename(temp, file);
}

export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
