// The cluster's state, kept in etcd like Kubernetes keeps it: Node objects under /registry/minions,
// heartbeats as node Leases, and what k3s keeps beside them (node passwords, learners being joined,
// the bootstrap token hash). Every server reads and writes it through its own etcd member.

import { randomUUID } from 'node:crypto';
import { knobs, sha256, type Role } from './common.ts';
import type { EtcdClient } from './etcd.ts';

const NODES = '/registry/minions/';
const LEASES = '/registry/leases/kube-node-lease/';
const PASSWORDS = '/standin/node-passwords/';
export const LEARNERS = '/standin/learners/';
export const BOOTSTRAP = '/standin/bootstrap';

export interface NodeRecord {
  name: string;
  uid: string;
  role: Role;
  ip: string;
  labels: Record<string, string>;
  taints: string[];
  created: string;
  /** The etcd member of a server, removed from the cluster when its node is deleted (as k3s does). */
  etcdMember?: string;
}

export interface NodeRegistration {
  name: string;
  role: Role;
  ip: string;
  labels: string[];
  taints: string[];
  etcdMember?: string;
}

function labelsOf(registration: NodeRegistration): Record<string, string> {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': registration.name,
    'kubernetes.io/os': 'linux',
  };
  if (registration.role === 'server') {
    for (const role of ['control-plane', 'etcd', 'master']) labels[`node-role.kubernetes.io/${role}`] = 'true';
  }
  for (const label of registration.labels) {
    const eq = label.indexOf('=');
    labels[eq < 0 ? label : label.slice(0, eq)] = eq < 0 ? '' : label.slice(eq + 1);
  }
  return labels;
}

/** Creates the node, or updates it keeping its UID (a node that restarts is the same node object). */
export async function registerNode(etcd: EtcdClient, registration: NodeRegistration): Promise<NodeRecord> {
  const key = NODES + registration.name;
  const existing = await etcd.get(key);
  const previous = existing ? (JSON.parse(existing.value) as NodeRecord) : undefined;
  const record: NodeRecord = {
    name: registration.name,
    uid: previous?.uid ?? randomUUID(),
    role: registration.role,
    ip: registration.ip,
    labels: labelsOf(registration),
    taints: registration.taints,
    created: previous?.created ?? new Date().toISOString(),
    ...(registration.etcdMember ? { etcdMember: registration.etcdMember } : {}),
  };
  await etcd.put(key, JSON.stringify(record));
  await etcd.put(LEASES + registration.name, String(Date.now()));
  return record;
}

/** Renews the node's lease; false when the node object does not exist (deleted). */
export async function heartbeat(etcd: EtcdClient, name: string): Promise<boolean> {
  if (!(await etcd.get(NODES + name))) return false;
  await etcd.put(LEASES + name, String(Date.now()));
  return true;
}

export async function getNode(etcd: EtcdClient, name: string): Promise<NodeRecord | undefined> {
  const kv = await etcd.get(NODES + name);
  return kv ? (JSON.parse(kv.value) as NodeRecord) : undefined;
}

function taintObject(taint: string): { key: string; value?: string; effect: string } {
  const [keyValue = '', effect = 'NoSchedule'] = taint.split(':');
  const eq = keyValue.indexOf('=');
  return eq < 0 ? { key: keyValue, effect } : { key: keyValue.slice(0, eq), value: keyValue.slice(eq + 1), effect };
}

/** A Node as the Kubernetes API shows it; Ready=Unknown once its lease is older than the grace period. */
export function nodeObject(record: NodeRecord, leaseMs: number | undefined, now = Date.now()): Record<string, unknown> {
  const fresh = leaseMs !== undefined && now - leaseMs <= knobs.nodeGraceMs;
  const heartbeatTime = new Date(leaseMs ?? Date.parse(record.created)).toISOString();
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name: record.name, uid: record.uid, labels: record.labels, creationTimestamp: record.created },
    spec: record.taints.length > 0 ? { taints: record.taints.map(taintObject) } : {},
    status: {
      conditions: [
        fresh
          ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: heartbeatTime }
          : { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: heartbeatTime },
      ],
      addresses: [
        { type: 'InternalIP', address: record.ip },
        { type: 'Hostname', address: record.name },
      ],
      nodeInfo: { kubeletVersion: 'v1.33.5+rke2r1', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

export async function nodeList(etcd: EtcdClient): Promise<Record<string, unknown>> {
  const [nodes, leases] = await Promise.all([etcd.list(NODES), etcd.list(LEASES)]);
  const leaseOf = new Map(leases.map((kv) => [kv.key.slice(LEASES.length), Number(kv.value)]));
  const now = Date.now();
  const items = nodes
    .map((kv) => JSON.parse(kv.value) as NodeRecord)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((record) => nodeObject(record, leaseOf.get(record.name), now));
  return { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: String(now) }, items };
}

export type DeleteResult = { outcome: 'deleted'; record: NodeRecord } | { outcome: 'not-found' } | { outcome: 'conflict'; uid: string };

/** Deletes a node (with a UID precondition when given), its lease and its node password. */
export async function deleteNode(etcd: EtcdClient, name: string, uid: string | undefined): Promise<DeleteResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const kv = await etcd.get(NODES + name);
    if (!kv) return { outcome: 'not-found' };
    const record = JSON.parse(kv.value) as NodeRecord;
    if (uid !== undefined && uid !== record.uid) return { outcome: 'conflict', uid: record.uid };
    if (await etcd.deleteAt(NODES + name, kv.modRevision)) {
      await etcd.delete(LEASES + name);
      await etcd.delete(PASSWORDS + name);
      return { outcome: 'deleted', record };
    }
  }
  throw new Error(`node ${name} kept changing while being deleted`);
}

/**
 * k3s's node password: the first registration of a name records it; a later one with another
 * password is refused while that node exists ("Node password rejected, duplicate hostname").
 */
export async function checkNodePassword(etcd: EtcdClient, name: string, password: string): Promise<boolean> {
  const hash = sha256(password);
  const stored = await etcd.get(PASSWORDS + name);
  if (stored && stored.value !== hash && (await etcd.get(NODES + name))) return false;
  if (!stored || stored.value !== hash) await etcd.put(PASSWORDS + name, hash);
  return true;
}
