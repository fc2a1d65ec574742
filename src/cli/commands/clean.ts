import { cleanOnce } from '../../cleaner/clean.ts';
import { createKubeApi } from '../../cleaner/kube-api.ts';
import { safeText } from '../../log/safe-text.ts';
import { oneGateFor, readInputs } from '../../steps/inputs.ts';
import type { Output } from '../program.ts';
import type { Runtime } from '../runtime.ts';

export interface CleanCommandOptions {
  /** Print what would be deleted; delete nothing. */
  dryRun?: boolean;
  /** The Kubernetes API; default https://127.0.0.1:6443, this master's own API server. */
  apiUrl?: string;
}

/**
 * `oneke clean [--dry-run] [--api-url URL]`: deletes the Kubernetes nodes `oneke-ip-*` that no VM of
 * the service claims any more. Run by oneke-clean.timer on every VM; does nothing but say so except
 * on a READY master. Exit 0 also when it deleted nothing because OneGate's answer was incomplete
 * (logged as a warning); 1 when the Kubernetes API failed; 2 for a wrong context (thrown).
 * Logs to /var/log/one-appliance/clean.log.
 */
export async function cleanCommand(runtime: Runtime, output: Output, opts: CleanCommandOptions = {}): Promise<number> {
  const logger = runtime.stepLogger('clean');
  const { config } = await readInputs(runtime.options, runtime.secrets);
  const client = oneGateFor(config, logger);
  try {
    return await cleanOnce({
      oneGate: client,
      openKubeApi: () => createKubeApi({ host: runtime.host, baseUrl: opts.apiUrl, logger }),
      logger,
      // Node names and errors come from the Kubernetes API and OneGate.
      say: (line) => output.out(`${safeText(line)}\n`),
      complain: (line) => output.err(`oneke: ${safeText(line)}\n`),
      dryRun: opts.dryRun === true,
    });
  } finally {
    await client.close();
  }
}
