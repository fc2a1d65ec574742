import { createKubeApi } from '../cleaner/kube-api.ts';
import { UsageError } from '../errors.ts';
import type { ExecOptions, ExecResult, LocalInterface } from '../host/host.ts';
import { NodeHost } from '../host/node-host.ts';
import { mastersOf } from '../roles/kubernetes/join-order.ts';
import type { ServiceRecord, VmRecord } from '../onegate/parse.ts';
import { snapshotClient } from '../emulator/snapshot.ts';
import { planBootstrap } from '../roles/bootstrap.ts';
import { isRoleName, type Plan, type Probe } from '../plan/plan.ts';
import { planRole, roleOf } from '../roles/index.ts';
import { cleanerSkip, planClean } from '../roles/kubernetes/clean.ts';
import { HAPROXY_CFG } from '../roles/vnf/plan.ts';
import { planVnfSync } from '../roles/vnf/sync.ts';
import { readStatusWord } from '../status/status.ts';
import { observeCluster } from './converge.ts';
import type { StepEnv } from './env.ts';
import { oneGateFor, readInputs } from './inputs.ts';
import { planInstallStep } from './install.ts';

/**
 * With a OneGate snapshot the plan is made away from the VM (on a laptop, in CI): this host answers
 * as that VM would, with the NICs OneGate lists, no default route yet and the published masters
 * reachable, and reads files from the real root. Plan applies nothing through it.
 */
class AsTheVm extends NodeHost {
  readonly #nics: LocalInterface[];
  readonly #masters: ReadonlySet<string>;

  constructor(root: string, self: VmRecord, service: ServiceRecord | undefined) {
    super(root);
    this.#nics = self.nics.flatMap((nic, i) => (nic.ip && nic.mac ? [{ name: `eth${i}`, mac: nic.mac, ipv4: [nic.ip] }] : []));
    this.#masters = new Set(mastersOf(service).flatMap((m) => (m.ip ? [m.ip] : [])));
  }

  override async interfaces(): Promise<LocalInterface[]> {
    return this.#nics;
  }

  override async probe(probe: Probe): Promise<boolean> {
    return probe.kind === 'tcp' ? this.#masters.has(probe.host) : super.probe(probe);
  }

  /** The routes are this machine's, not the VM's: the VM is shown as on its first boot, with none. */
  override async exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return file === 'ip' ? { exitCode: 0, stdout: '[]', stderr: '' } : super.exec(file, args, options);
  }
}

/** The steps `oneke plan --step` shows. */
export const PLAN_STEPS = ['configure', 'bootstrap', 'vnf-sync', 'clean', 'install'] as const;
export type PlanStep = (typeof PLAN_STEPS)[number];

export interface PlanOptions {
  /** Default configure: the plan of this VM's role. */
  step?: string;
  onegateSnapshot?: string;
  /** For the clean step: the Kubernetes API to list the nodes from. */
  apiUrl?: string;
}

/** The plan a step would apply now, as things stand. Reads OneGate (and the Kubernetes API for clean); changes nothing. */
export async function planStep(env: StepEnv, opts: PlanOptions): Promise<Plan> {
  const step = opts.step ?? 'configure';
  if (!(PLAN_STEPS as readonly string[]).includes(step)) throw new UsageError(`--step=${JSON.stringify(step)}: expected one of ${PLAN_STEPS.join(', ')}`);
  // Install runs while the image is built: no OneGate, its inputs come from the environment.
  if (step === 'install') return planInstallStep(env);
  const logger = env.consoleLogger();
  const { config } = await readInputs(env.options, env.secrets);
  const client = opts.onegateSnapshot ? await snapshotClient(opts.onegateSnapshot, config.onegate.vmId) : oneGateFor(config, logger);
  const self = await client.vmShow();
  const named = self.userTemplate.ROLE_NAME ?? '';
  const known = isRoleName(named) ? named : 'unknown';
  if (step === 'bootstrap') return planBootstrap(config, self, known, await readStatusWord(env.host));
  if (step === 'clean') {
    const skipped = cleanerSkip(self);
    if (skipped) return { role: known, decision: { kind: 'skip', reason: skipped }, actions: [] };
    const api = await createKubeApi({ host: env.host, baseUrl: opts.apiUrl, logger });
    try {
      const nodes = await api.listNodes();
      return planClean(self, nodes, await client.serviceShowExtended()).plan;
    } finally {
      await api.close();
    }
  }
  const role = roleOf(self);
  if (step === 'vnf-sync') {
    if (role !== 'vnf') throw new UsageError(`oneke vnf sync runs on VNF VMs; this VM is a ${role}`);
    return planVnfSync(config, await client.serviceShowExtended(), await env.host.readFile(HAPROXY_CFG)).plan;
  }
  const cluster = await observeCluster(client, self.id);
  const host = opts.onegateSnapshot ? new AsTheVm(env.host.root, cluster.self, cluster.service) : env.host;
  return planRole(role, { host, logger, config, cluster });
}
