// Runs `oneke validate` in-process on a context made of the given variables, for the input-rule
// regression tests: exit code and what went to stdout and stderr.

import fs from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../../src/cli/program.ts';
import { contextSh } from '../support/binary.ts';
import { tempRoot } from '../support/temp-root.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `oneke --root R --context F <args>` (validate by default) in this process. */
export async function runOneke(vars: Record<string, string>, args: readonly string[] = ['validate']): Promise<CliRun> {
  const dir = await tempRoot();
  const root = path.join(dir, 'root');
  await fs.mkdir(root);
  const context = path.join(dir, 'context.sh');
  await fs.writeFile(context, contextSh(vars));
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'oneke', '--root', root, '--log-level', 'silent', '--context', context, ...args], {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
  });
  return { code, stdout, stderr };
}

/** The variables that `validate` names on stderr, one per problem line. */
export function namedVariables(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}
