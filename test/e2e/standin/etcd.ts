// A real etcd member per server (Debian's etcd 3.4), and a small client of its v3 JSON gateway, so
// that membership and the node registry follow etcd's own rules (one learner at a time, quorum).
// Plain HTTP on the node's address: RKE2 uses TLS for etcd, which the agent never sees.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ETCD_CLIENT_PORT, ETCD_PEER_PORT, knobs, log, sleep } from './common.ts';

export const peerUrl = (ip: string): string => `http://${ip}:${ETCD_PEER_PORT}`;
export const clientUrl = (ip: string): string => `http://${ip}:${ETCD_CLIENT_PORT}`;
export const LOCAL_CLIENT = `http://127.0.0.1:${ETCD_CLIENT_PORT}`;

export interface EtcdStart {
  name: string;
  ip: string;
  dataDir: string;
  logFile: string;
  /** `name=peerURL,…` and the state, for a member's first start; omitted on a restart (the data has them). */
  initialCluster?: string;
  initialState?: 'new' | 'existing';
}

export interface EtcdProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

// etcd must not outlive the stand-in, also when it exits on a fatal error (a failed join).
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export function startEtcd(options: EtcdStart): EtcdProcess {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const out = fs.openSync(options.logFile, 'a');
  const args = [
    '--name',
    options.name,
    '--data-dir',
    options.dataDir,
    '--listen-client-urls',
    `${clientUrl(options.ip)},${LOCAL_CLIENT}`,
    '--advertise-client-urls',
    clientUrl(options.ip),
    '--listen-peer-urls',
    peerUrl(options.ip),
    '--initial-advertise-peer-urls',
    peerUrl(options.ip),
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
  ];
  if (options.initialCluster) args.push('--initial-cluster', options.initialCluster, '--initial-cluster-state', options.initialState ?? 'new');
  // Same process group as the stand-in: a unit stop (a group kill) takes etcd with it, like a pod of the node.
  const child = spawn(knobs.etcd, args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (error) => {
      log('error', `cannot run ${knobs.etcd}: ${error.message}`);
      resolve(127);
    });
  });
  return {
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface Member {
  ID: string;
  /** Empty until the member has started (an added member that never ran). */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export class EtcdError extends Error {
  /** etcd's gRPC status code, when it answered. */
  readonly code: number | undefined;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const unb64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString();
/** The end of a prefix range: the prefix with its last byte + 1. */
function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) + 1;
  return bytes.toString('base64');
}

interface RawKv {
  key?: string;
  value?: string;
  mod_revision?: string;
}

export interface Kv {
  key: string;
  value: string;
  modRevision: string;
}

function normaliseMember(raw: Partial<Member>): Member {
  return { ID: String(raw.ID ?? ''), name: raw.name ?? '', peerURLs: raw.peerURLs ?? [], clientURLs: raw.clientURLs ?? [], isLearner: raw.isLearner === true };
}

export class EtcdClient {
  readonly endpoints: string[];

  constructor(endpoints: string[]) {
    this.endpoints = endpoints;
  }

  /** POSTs to the gateway; tries the next endpoint only when one does not answer at all. */
  async call<T>(route: string, body: object, timeoutMs = 3000): Promise<T> {
    let lastError: unknown;
    for (const endpoint of this.endpoints) {
      let response: Response;
      try {
        response = await fetch(`${endpoint}${route}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        lastError = error;
        continue;
      }
      const text = await response.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new EtcdError(`etcd ${route} at ${endpoint}: HTTP ${response.status}: ${text.slice(0, 200)}`);
      }
      if (!response.ok || parsed.error !== undefined) {
        throw new EtcdError(String(parsed.message ?? parsed.error ?? `HTTP ${response.status}`), typeof parsed.code === 'number' ? parsed.code : undefined);
      }
      return parsed as T;
    }
    throw new EtcdError(
      `no etcd answered at ${this.endpoints.join(', ')}: ${lastError instanceof Error ? (lastError.cause instanceof Error ? lastError.cause.message : lastError.message) : String(lastError)}`,
    );
  }

  async get(key: string): Promise<Kv | undefined> {
    const answer = await this.call<{ kvs?: RawKv[] }>('/v3/kv/range', { key: b64(key) });
    const kv = answer.kvs?.[0];
    return kv ? { key, value: unb64(kv.value), modRevision: kv.mod_revision ?? '0' } : undefined;
  }

  async list(prefix: string): Promise<Kv[]> {
    const answer = await this.call<{ kvs?: RawKv[] }>('/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix) });
    return (answer.kvs ?? []).map((kv) => ({ key: unb64(kv.key), value: unb64(kv.value), modRevision: kv.mod_revision ?? '0' }));
  }

  async put(key: string, value: string): Promise<void> {
    await this.call('/v3/kv/put', { key: b64(key), value: b64(value) });
  }

  /** Creates `key` only if it does not exist; true when this call created it. */
  async create(key: string, value: string): Promise<boolean> {
    const answer = await this.call<{ succeeded?: boolean }>('/v3/kv/txn', {
      compare: [{ key: b64(key), target: 'VERSION', result: 'EQUAL', version: '0' }],
      success: [{ request_put: { key: b64(key), value: b64(value) } }],
    });
    return answer.succeeded === true;
  }

  /** Deletes `key` only if it is still at `modRevision`; true when this call deleted it. */
  async deleteAt(key: string, modRevision: string): Promise<boolean> {
    const answer = await this.call<{ succeeded?: boolean }>('/v3/kv/txn', {
      compare: [{ key: b64(key), target: 'MOD', result: 'EQUAL', mod_revision: modRevision }],
      success: [{ request_delete_range: { key: b64(key) } }],
    });
    return answer.succeeded === true;
  }

  async delete(key: string): Promise<void> {
    await this.call('/v3/kv/deleterange', { key: b64(key) });
  }

  async members(): Promise<Member[]> {
    const answer = await this.call<{ members?: Partial<Member>[] }>('/v3/cluster/member/list', {});
    return (answer.members ?? []).map(normaliseMember);
  }

  /** `member add --learner`: etcd 3.4 refuses a second learner ("too many learner members in cluster"). */
  async addLearner(peer: string): Promise<{ member: Member; members: Member[] }> {
    const answer = await this.call<{ member?: Partial<Member>; members?: Partial<Member>[] }>('/v3/cluster/member/add', { peerURLs: [peer], isLearner: true });
    return { member: normaliseMember(answer.member ?? {}), members: (answer.members ?? []).map(normaliseMember) };
  }

  async promote(id: string): Promise<void> {
    await this.call('/v3/cluster/member/promote', { ID: id });
  }

  async remove(id: string): Promise<void> {
    await this.call('/v3/cluster/member/remove', { ID: id });
  }

  /** etcd's /health: a leader and a committed read, i.e. quorum. */
  async healthy(endpoint = this.endpoints[0] ?? LOCAL_CLIENT): Promise<boolean> {
    try {
      const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(3000) });
      return ((await response.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  }

  /** Whether the member at `endpoint` answers at all (a learner does, before it may serve). */
  async answers(endpoint = this.endpoints[0] ?? LOCAL_CLIENT): Promise<boolean> {
    try {
      const response = await fetch(`${endpoint}/version`, { signal: AbortSignal.timeout(2000) });
      return response.ok;
    } catch {
      return false;
    }
  }
}

/** Polls until `probe` holds; logs `what` every 10 s while waiting. */
export async function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  let lastLog = started;
  while (Date.now() - started < timeoutMs) {
    if (await probe()) return true;
    if (Date.now() - lastLog >= 10_000) {
      lastLog = Date.now();
      log('info', `waiting for ${what}`);
    }
    await sleep(100);
  }
  return false;
}
