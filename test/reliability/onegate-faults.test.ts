// Reliability, issue 7: a cluster forms although OneGate misbehaves. Three masters and two workers
// converge at once, in process, against the OneGate emulator injecting faults (5xx, dropped
// connections, malformed answers, delays, 404 on /service) at 20%, 35% and 50% of the requests;
// RKE2 is the in-process stand-in (test/support/sim-host.ts) and time runs ten times faster.
//
// Each run must still form the cluster: masters one at a time in VM ID order, workers after; no
// agent crashes; waits say what they wait for. Afterwards no log under any VM root, and no file
// anyone can read, holds a OneGate token, the cluster token or the kubeconfig, and RKE2's config
// stays 0600.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { secretValues } from '../../src/config/index.ts';
import { buildServiceState, FAULT_KINDS, macFromIp, startEmulator, type FaultConfig, type FaultKind } from '../../src/emulator/index.ts';
import type { Clock } from '../../src/executor/wait.ts';
import { createLogger, SecretSet } from '../../src/log/logger.ts';
import { createOneGateClient, type OneGateClient, type RetryOptions } from '../../src/onegate/index.ts';
import type { RoleName } from '../../src/plan/plan.ts';
import { convergeRole } from '../../src/steps/converge.ts';
import { configFrom, K8S_CONTEXT } from '../support/cluster.ts';
import { SimHost, StandInCluster } from '../support/sim-host.ts';
import { tempRoot } from '../support/temp-root.ts';
import { describeHits, findSecrets, isLogOrWorldReadable, worldReadableSecrets } from './secrets.ts';

/** Real time, ten times faster: the waits keep their order and backoff, the test its speed. */
const fastClock: Clock = { now: () => Date.now() * 10, sleep: (ms) => new Promise((r) => setTimeout(r, ms / 10)), random: Math.random };

const RKE2_CONFIG = '/etc/rancher/rke2/config.yaml';
const NODE_TOKEN = '/var/lib/rancher/rke2/server/node-token';
const RKE2_KUBECONFIG = '/etc/rancher/rke2/rke2.yaml';
const LOG_FILE = '/var/log/one-appliance/configure.log';

/** How the faults of one rate split among the kinds; a delay comes on top of the others. */
function faultsAt(rate: number, seed: number): FaultConfig {
  return { seed, error5xx: rate * 0.3, drop: rate * 0.25, malformed: rate * 0.25, notFound404: rate * 0.2, delayMs: { rate: rate * 0.5, ms: 40 } };
}

/**
 * Retries for a fault rate: enough attempts that a call fails every one of them with a chance below
 * one in a billion (rate^attempts), short waits (the faults are independent, so waiting buys
 * nothing), a timeout well above the injected delay.
 */
function retryFor(rate: number): { retry: RetryOptions; timeoutMs: number } {
  const attempts = Math.ceil(Math.log(1e-9) / Math.log(rate));
  return { retry: { attempts, initialMs: 2, maxMs: 40, deadlineMs: 60_000 }, timeoutMs: 2_000 };
}

/**
 * The stand-in for RKE2 with secrets worth hunting: one cluster token for every server (as RKE2's
 * is) and a kubeconfig with client credentials. The first master's bootstrap token (from its
 * config.yaml at first start) is kept too.
 */
class SecretStandIn extends StandInCluster {
  readonly clusterToken = `K10${randomBytes(24).toString('hex')}::server:${randomBytes(16).toString('hex')}`;
  readonly clientKey = randomBytes(64).toString('base64');
  readonly clientCert = randomBytes(64).toString('base64');
  readonly kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: default',
    '  cluster:',
    `    certificate-authority-data: ${randomBytes(48).toString('base64')}`,
    '    server: https://127.0.0.1:6443',
    'contexts:',
    '- name: default',
    '  context:',
    '    cluster: default',
    '    user: default',
    'current-context: default',
    'users:',
    '- name: default',
    '  user:',
    `    client-certificate-data: ${this.clientCert}`,
    `    client-key-data: ${this.clientKey}`,
    '',
  ].join('\n');
  readonly bootstrapTokens: string[] = [];

  override async start(host: SimHost, unit: string): Promise<void> {
    const before = await host.readFile(RKE2_CONFIG);
    const bootstrap = /^token: (.+)$/m.exec(before ?? '')?.[1];
    if (bootstrap !== undefined && !bootstrap.startsWith('K10')) this.bootstrapTokens.push(bootstrap);
    await super.start(host, unit);
    if (unit === 'rke2-server.service') {
      await host.writeFile(NODE_TOKEN, `${this.clusterToken}\n`, 0o600);
      await host.writeFile(RKE2_KUBECONFIG, this.kubeconfig, 0o600);
    }
  }
}

interface FormationReport {
  rate: number;
  seed: number;
  seconds: number;
  faults: Record<FaultKind, number>;
  requests: number;
  clientRetries: number;
  clientFailures: number;
  /** VMs that waited (polled OneGate more than once). */
  waited: number[];
}

const reports: FormationReport[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  const sum = (list: FormationReport[], kind: FaultKind): number => list.reduce((total, r) => total + r.faults[kind], 0);
  console.log(`OneGate faults injected during ${reports.length} formations: ${FAULT_KINDS.map((kind) => `${kind} ${sum(reports, kind)}`).join(', ')}`);
  for (const r of reports) {
    console.log(
      `  ${Math.round(r.rate * 100)}% seed ${r.seed}: ${FAULT_KINDS.map((kind) => `${kind} ${r.faults[kind]}`).join(', ')}; ` +
        `${r.requests} requests, ${r.clientRetries} client retries, ${r.clientFailures} failed calls, VMs that waited ${r.waited.join(' ') || 'none'}, ` +
        `formed in ${r.seconds.toFixed(1)} s`,
    );
  }
  // Every kind of fault happened at every rate, over its three runs (when all three ran: not under -t).
  const complete = [...new Set(reports.map((r) => r.rate))].filter((rate) => reports.filter((r) => r.rate === rate).length === 3);
  const missing = complete.flatMap((rate) =>
    FAULT_KINDS.filter(
      (kind) =>
        sum(
          reports.filter((r) => r.rate === rate),
          kind,
        ) === 0,
    ).map((kind) => `${kind} at ${rate}`),
  );
  expect(missing).toEqual([]);
});

const ipOf = (id: number): string => `172.20.0.${10 + id}`;
const NODES: { id: number; role: RoleName }[] = [
  { id: 1, role: 'master' },
  { id: 2, role: 'master' },
  { id: 3, role: 'master' },
  { id: 4, role: 'worker' },
  { id: 5, role: 'worker' },
];

/** The service as OneFlow deploys it: the VNF READY, the masters and workers just started. */
function formingService() {
  return buildServiceState({
    serviceId: 10,
    roles: [
      { name: 'vnf', vms: [{ id: 0, ip: '172.20.0.100', userTemplate: { READY: 'YES' } }] },
      { name: 'master', vms: NODES.filter((n) => n.role === 'master').map((n) => ({ id: n.id, ip: ipOf(n.id) })) },
      { name: 'worker', vms: NODES.filter((n) => n.role === 'worker').map((n) => ({ id: n.id, ip: ipOf(n.id) })) },
    ],
  });
}

describe('a cluster forms while OneGate fails', () => {
  // Three fault sequences per rate: each formation is short (about 60 requests), so one seed alone
  // would leave some kinds of fault with a single occurrence.
  const runs = [0.2, 0.35, 0.5].flatMap((rate) => [1, 2, 3].map((n) => [rate, 7000 + Math.round(rate * 100) * 10 + n] as const));
  test.each(runs)(
    '%s of the requests fail (seed %s)',
    async (rate, seed) => {
      const started = Date.now();
      const emulator = await startEmulator({ state: formingService() });
      onTestFinished(() => emulator.close());
      emulator.setFaults(faultsAt(rate, seed));
      const cluster = new SecretStandIn(200);
      const clients: OneGateClient[] = [];
      const consoles = new Map<number, string[]>();
      const polls = new Map<number, number>();
      const { retry, timeoutMs } = retryFor(rate);

      const boot = async ({ id, role }: { id: number; role: RoleName }): Promise<{ id: number; host: SimHost }> => {
        const token = emulator.tokenOf(id) ?? '';
        const config = configFrom({ ...K8S_CONTEXT, ONEGATE_ENDPOINT: emulator.url, VMID: String(id), TOKENTXT: token });
        const root = await tempRoot();
        const host = new SimHost(root, id, ipOf(id), macFromIp(ipOf(id)), cluster);
        // As `oneke configure` has it: one secret set per VM, the context's secrets in it, the step's
        // JSON log under the root, readable lines on a console (captured). Debug: the most it logs.
        const secrets = new SecretSet();
        secrets.add(...secretValues(config));
        const lines: string[] = [];
        consoles.set(id, lines);
        const logger = createLogger({ level: 'debug', secrets, file: path.join(root, LOG_FILE), console: { write: (line) => lines.push(line) }, bindings: { step: 'configure' } });
        const client = createOneGateClient({ endpoint: emulator.url, vmId: id, token, logger, retry, timeoutMs });
        clients.push(client);
        onTestFinished(() => client.close());
        const self = await client.vmShow();
        // Each look at the service is one poll of convergeRole: more than one means it waited.
        const counted: OneGateClient = {
          ...client,
          serviceShowExtended: async () => {
            polls.set(id, (polls.get(id) ?? 0) + 1);
            return client.serviceShowExtended();
          },
        };
        await convergeRole(role, { host, logger, config, client: counted, self, clock: fastClock, secrets });
        await client.vmUpdate({ READY: 'YES' }); // what bootstrap does next
        return { id, host };
      };

      // Every agent must resolve: a rejection here is a crashed agent.
      const settled = await Promise.allSettled(NODES.map(boot));
      const crashed = settled.flatMap((s, i) => (s.status === 'rejected' ? [`VM ${NODES[i]?.id}: ${String(s.reason)}`] : []));
      expect(crashed).toEqual([]);
      const hosts = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));

      const stats = emulator.stats();
      reports.push({
        rate,
        seed,
        seconds: (Date.now() - started) / 1000,
        faults: stats.faults,
        requests: stats.total,
        clientRetries: clients.reduce((sum, c) => sum + c.stats().retries, 0),
        clientFailures: clients.reduce((sum, c) => sum + c.stats().failures, 0),
        waited: NODES.filter(({ id }) => (polls.get(id) ?? 0) > 1).map(({ id }) => id),
      });
      expect(unhandled).toEqual([]);

      // Faults really happened (every kind over the three runs of a rate: checked in afterAll).
      expect(stats.faults.error5xx + stats.faults.drop + stats.faults.malformed + stats.faults.notFound404).toBeGreaterThan(0);

      // The cluster formed, in order, one joiner at a time.
      expect(cluster.violations).toEqual([]);
      expect(cluster.overlappingServerJoins()).toEqual([]);
      expect(cluster.joins.filter((j) => j.kind !== 'agent').map((j) => j.vmId)).toEqual([1, 2, 3]);
      expect(cluster.joins.find((j) => j.vmId === 1)?.kind).toBe('initialise');
      expect(
        cluster.joins
          .filter((j) => j.kind === 'agent')
          .map((j) => j.vmId)
          .sort(),
      ).toEqual([4, 5]);
      const masterJoins = cluster.joins.filter((j) => j.kind !== 'agent');
      for (let i = 1; i < masterJoins.length; i++) expect(masterJoins[i]?.start).toBeGreaterThanOrEqual(masterJoins[i - 1]?.end ?? Infinity);
      for (const id of [1, 2, 3]) {
        const template = emulator.vm(id)?.USER_TEMPLATE ?? {};
        expect(template.ONEGATE_K8S_MASTER).toBe(ipOf(id));
        expect(template.ONEGATE_K8S_TOKEN).toBe(cluster.clusterToken);
      }
      for (const { id } of NODES) expect(emulator.vm(id)?.USER_TEMPLATE.READY).toBe('YES');

      // The waits said what they waited for. Whether a VM waits depends on timing (a worker that first
      // looks after master 1 is READY joins at once), so: every VM that polled more than once said so,
      // and some VM waited in every formation (master 3 at least waits for master 2's join).
      const waited = NODES.filter(({ id }) => (polls.get(id) ?? 0) > 1).map(({ id }) => id);
      expect(waited.length).toBeGreaterThan(0);
      for (const id of waited) {
        const lines = consoles.get(id) ?? [];
        expect(lines.filter((line) => / waiting for /.test(line)).length, `VM ${id} polled ${polls.get(id)} times but logged no progress line:\n${lines.join('')}`).toBeGreaterThan(0);
      }
      // And the retries were said too (the first retry of a call at debug level, later ones as warnings).
      expect([...consoles.values()].flat().some((line) => /OneGate .* failed \(.*\), retrying in \d+ ms/.test(line))).toBe(true);

      // Secrets: never in a log, never in a file anyone can read; RKE2's files stay private.
      const kubeconfigPublished = String(emulator.vm(1)?.USER_TEMPLATE.ONEKE_KUBECONFIG ?? '');
      expect(kubeconfigPublished).not.toBe('');
      const kubeconfigRewritten = Buffer.from(kubeconfigPublished, 'base64').toString('utf8');
      expect(kubeconfigRewritten).toContain(cluster.clientKey);
      expect(cluster.bootstrapTokens.length).toBeGreaterThan(0);
      const secrets = [
        ...NODES.map(({ id }) => emulator.tokenOf(id) ?? ''),
        cluster.clusterToken,
        ...cluster.bootstrapTokens,
        cluster.clientKey,
        cluster.clientCert,
        cluster.kubeconfig,
        kubeconfigRewritten,
        kubeconfigPublished,
      ];
      // The scan works: RKE2's own files hold the cluster token (readable by root only, so allowed).
      const joiner = hosts.find((h) => h.id === 2)?.host;
      expect(findSecrets(joiner?.root ?? '/nonexistent', [cluster.clusterToken]).map((hit) => hit.file)).toContain(RKE2_CONFIG);
      for (const { id, host } of hosts) {
        const hits = findSecrets(host.root, secrets).filter(isLogOrWorldReadable);
        expect(hits, `VM ${id}:\n${describeHits(hits)}`).toEqual([]);
        const logged = (consoles.get(id) ?? []).join('');
        expect(
          secrets.filter((secret) => logged.includes(secret)).map((s) => s.slice(0, 16)),
          `VM ${id} console`,
        ).toEqual([]);
        expect(worldReadableSecrets(host.root, [RKE2_CONFIG, NODE_TOKEN, RKE2_KUBECONFIG, LOG_FILE]), `VM ${id}`).toEqual([]);
        expect((await host.stat(RKE2_CONFIG))?.mode, `VM ${id} ${RKE2_CONFIG}`).toBe(0o600);
        expect((await host.stat(LOG_FILE)) !== undefined, `VM ${id} has a log`).toBe(true);
      }
    },
    120_000,
  );
});

describe('OneGate away for a minute mid-formation', () => {
  test('the agents wait through it, saying so; none crashes; the cluster forms in order', async () => {
    const emulator = await startEmulator({ state: formingService() });
    onTestFinished(() => emulator.close());
    const cluster = new StandInCluster(300);
    const consoles = new Map<number, string[]>();

    const boot = async ({ id, role }: { id: number; role: RoleName }): Promise<void> => {
      const token = emulator.tokenOf(id) ?? '';
      const config = configFrom({ ...K8S_CONTEXT, ONEGATE_ENDPOINT: emulator.url, VMID: String(id), TOKENTXT: token });
      const host = new SimHost(await tempRoot(), id, ipOf(id), macFromIp(ipOf(id)), cluster);
      const lines: string[] = [];
      consoles.set(id, lines);
      const logger = createLogger({ level: 'info', secrets: new SecretSet(), console: { write: (line) => lines.push(line) } });
      // Each request gives up quickly, so that the outage is met by the role's wait, not by one call.
      const client = createOneGateClient({ endpoint: emulator.url, vmId: id, token, logger, retry: { attempts: 2, initialMs: 10, maxMs: 20, deadlineMs: 200 }, timeoutMs: 500 });
      onTestFinished(() => client.close());
      const self = await client.vmShow();
      await convergeRole(role, { host, logger, config, client, self, clock: fastClock });
      // READY as bootstrap sends it: patiently (READY_RETRY, here in real time).
      const reporter = createOneGateClient({ endpoint: emulator.url, vmId: id, token, retry: { attempts: 100, initialMs: 50, maxMs: 500, deadlineMs: 30_000 }, timeoutMs: 500 });
      onTestFinished(() => reporter.close());
      await reporter.vmUpdate({ READY: 'YES' });
    };

    const formation = Promise.allSettled(NODES.map(boot));
    // Mid-formation: the first master has initialised the cluster, the others have not joined yet.
    const deadline = Date.now() + 30_000;
    while (!cluster.joins.some((j) => j.vmId === 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    emulator.setFaults({ drop: 1 });
    const dropsBefore = emulator.stats().faults.drop;
    const joinedBefore = cluster.joins.length;
    await new Promise((r) => setTimeout(r, 6_000)); // one minute on the agents' clock (ten times faster)
    const drops = emulator.stats().faults.drop - dropsBefore;
    const joinedDuring = cluster.joins.length - joinedBefore;
    emulator.setFaults({});
    const settled = await formation;

    expect(settled.flatMap((s, i) => (s.status === 'rejected' ? [`VM ${NODES[i]?.id}: ${String(s.reason)}`] : []))).toEqual([]);
    console.log(`OneGate away for 60 s (agents' clock) mid-formation: ${drops} requests dropped, ${joinedBefore} joined before, ${joinedDuring} during`);
    expect(joinedBefore).toBeLessThan(NODES.length);
    expect(drops).toBeGreaterThan(NODES.length);
    expect(cluster.violations).toEqual([]);
    expect(cluster.overlappingServerJoins()).toEqual([]);
    expect(cluster.joins.filter((j) => j.kind !== 'agent').map((j) => j.vmId)).toEqual([1, 2, 3]);
    for (const { id } of NODES) expect(emulator.vm(id)?.USER_TEMPLATE.READY).toBe('YES');
    // The VMs still waiting when OneGate went away said what they were waiting for.
    const waitedForOneGate = NODES.filter(({ id }) => (consoles.get(id) ?? []).some((line) => line.includes('waiting for OneGate to answer again')));
    expect(waitedForOneGate.length).toBeGreaterThan(0);
  }, 120_000);
});
