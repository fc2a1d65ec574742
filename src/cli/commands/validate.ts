import { ExitCode, formatIssue } from '../../errors.ts';
import { loadContext } from '../../context/index.ts';
import { parseConfig } from '../../config/index.ts';
import { safeText } from '../../log/safe-text.ts';
import type { Output } from '../program.ts';
import type { Runtime } from '../runtime.ts';

/** Checks the context and prints OK, or every problem on a line of its own. Changes nothing. */
export async function validateCommand(runtime: Runtime, output: Output): Promise<number> {
  const { root, context } = runtime.options;
  const vars = await loadContext({ root, ...(context ? { file: context } : {}) });
  const result = parseConfig(vars);
  if (result.ok) {
    output.out('OK\n');
    return ExitCode.ok;
  }
  for (const issue of result.issues) output.err(`${safeText(formatIssue(issue))}\n`);
  output.err(`${result.issues.length} problem${result.issues.length === 1 ? '' : 's'} found\n`);
  return ExitCode.invalidInput;
}
