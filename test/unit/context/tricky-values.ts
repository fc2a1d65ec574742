// formats.md §5.3: the ten tricky values, the context.sh text oned writes for each, and the one_env
// text loc-16-gen-env writes. Shared by the parser tests of both formats.

export interface TrickyRow {
  row: number;
  what: string;
  name: string;
  /** The original value: what a correct reader returns. */
  value: string;
  /** The entry as oned writes it in context.sh (with its trailing LF). */
  contextSh: string;
  /** The lines as loc-16-gen-env writes them in one_env (with trailing LF). */
  oneEnv: string;
  /** What raw folding of `oneEnv` gives, NAME → value; the documented result, wrong only for row 9. */
  rawFold: Record<string, string>;
  /** Names that raw folding does not return at all. */
  rawFoldMissing?: string[];
}

/** How oned quotes a value (VirtualMachineContext.cc): only `'` is escaped, as `'\''`. */
export function onedEntry(name: string, value: string): string {
  return `${name}='${value.replaceAll("'", "'\\''")}'\n`;
}

/** How loc-16-gen-env writes a value: a plain echo, no escaping at all. */
export function oneEnvEntry(name: string, value: string): string {
  return `export ${name}="${value}"\n`;
}

function plainRow(row: number, what: string, name: string, value: string): TrickyRow {
  return { row, what, name, value, contextSh: onedEntry(name, value), oneEnv: oneEnvEntry(name, value), rawFold: { [name]: value } };
}

const startScript = '#!/bin/sh\nFOO=bar\nexport BAZ="q"\necho done';

export const TRICKY_ROWS: readonly TrickyRow[] = [
  plainRow(1, 'two SSH keys joined by a newline', 'SSH_PUBLIC_KEY', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA alice@x\nssh-rsa AAAAB3NzaC1yc2EAAAADAQAB bob@y'),
  plainRow(2, 'single quotes', 'NAME_WITH_QUOTES', "O'Brien's"),
  plainRow(3, 'double quotes', 'GREETING', 'say "hi"'),
  plainRow(4, 'a dollar', 'SOME_PATH', '$HOME/x'),
  plainRow(5, 'backslash n, four characters', 'ESCAPED', 'a\\nb'),
  plainRow(6, 'a trailing backslash', 'WINDOWS_DIR', 'C:\\'),
  plainRow(7, 'backticks', 'COMMAND', '`id`'),
  plainRow(8, 'empty', 'EMPTY', ''),
  {
    row: 9,
    what: 'a script whose lines look like entries',
    name: 'START_SCRIPT',
    value: startScript,
    contextSh: onedEntry('START_SCRIPT', startScript),
    // loc-16's grep also picks the continuation line FOO=bar as a name: a spurious, empty entry.
    oneEnv: oneEnvEntry('START_SCRIPT', startScript) + oneEnvEntry('FOO', ''),
    rawFold: { BAZ: 'q"\necho done', FOO: '' },
    rawFoldMissing: ['START_SCRIPT'],
  },
  plainRow(10, 'leading and trailing spaces', 'SPACED', '  a=b #c  '),
];
