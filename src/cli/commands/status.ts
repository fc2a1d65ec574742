import { readStatusRecord, readStatusWord, STEPS } from '../../status/status.ts';
import { ExitCode } from '../../errors.ts';
import { safeJson, safeText } from '../../log/safe-text.ts';
import type { Output } from '../program.ts';
import type { Runtime } from '../runtime.ts';

/** Prints the appliance status; exit 1 when the last step failed, so scripts can test it. */
export async function statusCommand(runtime: Runtime, output: Output, opts: { json?: boolean }): Promise<number> {
  const word = await readStatusWord(runtime.host);
  const record = await readStatusRecord(runtime.host);
  const failed = word?.endsWith('_failure') ?? false;
  if (opts.json) {
    output.out(`${safeJson(JSON.stringify({ status: word ?? null, ...(record ?? { steps: {} }) }, null, 2))}\n`);
  } else {
    // The files may have been written by anyone: every text from them is escaped.
    const text = (value: unknown): string => safeText(String(value));
    output.out(`status: ${word === undefined ? 'no step has run yet' : text(word)}\n`);
    if (record?.role) output.out(`role:   ${text(record.role)}\n`);
    for (const step of STEPS) {
      const entry = record?.steps[step];
      if (!entry) continue;
      output.out(`${step.padEnd(10)} ${text(entry.state).padEnd(8)} started ${text(entry.startedAt)}${entry.finishedAt ? `, finished ${text(entry.finishedAt)}` : ''}\n`);
      if (entry.error) output.out(`           error: ${text(entry.error)}\n`);
    }
  }
  return failed ? ExitCode.failure : ExitCode.ok;
}
