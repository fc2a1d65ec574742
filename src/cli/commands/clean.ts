import { safeText } from '../../log/safe-text.ts';
import { cleanStep, type CleanStepOptions } from '../../steps/clean.ts';
import type { Output } from '../program.ts';
import type { Runtime } from '../runtime.ts';

export type CleanCommandOptions = CleanStepOptions;

/**
 * `oneke clean [--dry-run] [--api-url URL]`: deletes the Kubernetes nodes `oneke-ip-*` that no VM of
 * the service claims any more. Run by oneke-clean.timer on every VM; does nothing but say so except
 * on a READY master. Exit 0 also when it deleted nothing because OneGate's answer was incomplete
 * (logged as a warning); 1 when the Kubernetes API failed; 2 for a wrong context (thrown).
 * Logs to /var/log/one-appliance/clean.log.
 */
export async function cleanCommand(runtime: Runtime, output: Output, opts: CleanCommandOptions = {}): Promise<number> {
  return cleanStep(
    runtime,
    {
      // Node names and errors come from the Kubernetes API and OneGate.
      say: (line) => output.out(`${safeText(line)}\n`),
      complain: (line) => output.err(`oneke: ${safeText(line)}\n`),
    },
    opts,
  );
}
