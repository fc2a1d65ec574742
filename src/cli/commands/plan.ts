import type { ExecOptions, ExecResult, LocalInterface } from '../../host/host.ts';
import { NodeHost } from '../../host/node-host.ts';
import { mastersOf } from '../../roles/kubernetes/join-order.ts';
import type { ServiceRecord, VmRecord } from '../../onegate/parse.ts';
import { snapshotClient } from '../../emulator/snapshot.ts';
import { safeJson, safeText } from '../../log/safe-text.ts';
import { planToJson, planToText } from '../../plan/format.ts';
import type { Probe } from '../../plan/plan.ts';
import { planRole, roleOf } from '../../roles/index.ts';
import { observeCluster } from '../../steps/converge.ts';
import { oneGateFor, readInputs } from '../../steps/inputs.ts';
import type { Output } from '../program.ts';
import type { Runtime } from '../runtime.ts';

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

/** Prints the plan of this VM's role as things stand now. Reads OneGate; changes nothing. */
export async function planCommand(
  runtime: Runtime,
  output: Output,
  opts: { json?: boolean; showSecrets?: boolean; onegateSnapshot?: string },
): Promise<void> {
  const logger = runtime.consoleLogger();
  const { config } = await readInputs(runtime.options, runtime.secrets);
  const client = opts.onegateSnapshot ? await snapshotClient(opts.onegateSnapshot, config.onegate.vmId) : oneGateFor(config, logger);
  const self = await client.vmShow();
  const role = roleOf(self);
  const cluster = await observeCluster(client, self.id);
  const host = opts.onegateSnapshot ? new AsTheVm(runtime.host.root, cluster.self, cluster.service) : runtime.host;
  const plan = await planRole(role, { host, logger, config, cluster });
  // A plan quotes peers' values and file contents: escaped, keeping the lines of the text form.
  output.out(opts.json ? `${safeJson(JSON.stringify(planToJson(plan, opts.showSecrets), null, 2))}\n` : safeText(planToText(plan, opts.showSecrets), { keepLines: true }));
}
