import { readStatusRecord, readStatusWord, STEPS } from '../../status/status.ts';
import { ExitCode } from '../../errors.ts';
import type { Output } from '../program.ts';
import type { Runtime } from '../runtime.ts';

/** Prints the appliance status; exit 1 when the last step failed, so scripts can test it. */
export async function statusCommand(runtime: Runtime, output: Output, opts: { json?: boolean }): Promise<number> {
  const word = await readStatusWord(runtime.host);
  const record = await readStatusRecord(runtime.host);
  const failed = word?.endsWith('_failure') ?? false;
  if (opts.json) {
    output.out(`${JSON.stringify({ status: word ?? null, ...(record ?? { steps: {} }) }, null, 2)}\n`);
  } else {
    output.out(`status: ${word ?? 'no step has run yet'}\n`);
    if (record?.role) output.out(`role:   ${record.role}\n`);
    for (const step of STEPS) {
      const entry = record?.steps[step];
      if (!entry) continue;
      output.out(`${step.padEnd(10)} ${entry.state.padEnd(8)} started ${entry.startedAt}${entry.finishedAt ? `, finished ${entry.finishedAt}` : ''}\n`);
      if (entry.error) output.out(`           error: ${entry.error}\n`);
    }
  }
  return failed ? ExitCode.failure : ExitCode.ok;
}
