// The only reader of the context files. It reads, never executes (contract §3.1): values come from
// the lossless context.sh.local; one_env supplies only what context.sh cannot hold.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ContextError } from '../errors.ts';
import { ContextSyntaxError } from './context-syntax-error.ts';
import type { ContextVars } from './index.ts';
import { parseContextSh } from './parse-context-sh.ts';
import { parseOneEnv } from './parse-one-env.ts';

export type ContextFormat = 'context.sh' | 'one_env';

export interface LoadContextOptions {
  /** Every default path is taken under this directory (`/` on a real VM). */
  root: string;
  /** `--context FILE`: read everything from this one file, used as given (not under `root`). */
  file?: string | undefined;
}

/** Where one-contextd keeps its copy of the CD's context.sh, in order of preference, relative to root. */
export const CONTEXT_SH_PATHS = ['var/run/one-context/context.sh.local', 'run/one-context/context.sh.local'] as const;
/** Where loc-16-gen-env writes one_env, in order of preference, relative to root. */
export const ONE_ENV_PATHS = ['var/run/one-context/one_env', 'run/one-context/one_env'] as const;
/** Written by loc-16-gen-env itself, so context.sh may lack them. */
const FROM_ONE_ENV_WHEN_ABSENT = ['VMID', 'ONEGATE_ENDPOINT'] as const;

/**
 * Loads the VM's context variables.
 * Without `file`: all values from context.sh.local, plus `TOKENTXT` from one_env, and `VMID` /
 * `ONEGATE_ENDPOINT` from one_env when context.sh has none. With `file`: its format is detected and
 * every value comes from it.
 * @throws ContextError naming the file when one is missing, unreadable or malformed.
 */
export async function loadContext(options: LoadContextOptions): Promise<ContextVars> {
  if (options.file !== undefined) {
    const text = await readContextFile(options.file);
    return parseAs(detectFormat(text), text, options.file);
  }

  const contextSh = await readFirstPresent(CONTEXT_SH_PATHS.map((relative) => path.join(options.root, relative)));
  const oneEnv = await readFirstPresent(ONE_ENV_PATHS.map((relative) => path.join(options.root, relative)));
  const values = parseAs('context.sh', contextSh.text, contextSh.file);
  const fromOneEnv = parseAs('one_env', oneEnv.text, oneEnv.file);

  const token = fromOneEnv.get('TOKENTXT');
  if (token !== undefined && token !== '') values.set('TOKENTXT', token);
  for (const name of FROM_ONE_ENV_WHEN_ABSENT) {
    const value = fromOneEnv.get(name);
    if ((values.get(name) ?? '') === '' && value !== undefined) values.set(name, value);
  }
  return values;
}

/** one_env when the first line that is neither blank nor a comment is `export NAME="`, else context.sh. */
export function detectFormat(text: string): ContextFormat {
  for (const line of text.split('\n', 1000)) {
    if (/^[ \t\r]*$/.test(line) || /^[ \t]*#/.test(line)) continue;
    return /^export [A-Za-z_][A-Za-z0-9_]*="/.test(line) ? 'one_env' : 'context.sh';
  }
  return 'context.sh';
}

function parseAs(format: ContextFormat, text: string, file: string): Map<string, string> {
  if (format === 'one_env') return parseOneEnv(text);
  try {
    return parseContextSh(text);
  } catch (error) {
    if (error instanceof ContextSyntaxError) throw new ContextError(file, error.message, error);
    throw error;
  }
}

/** Reads the first of `files` that exists; only "no such file" moves on to the next one. */
async function readFirstPresent(files: readonly string[]): Promise<{ file: string; text: string }> {
  for (const file of files) {
    try {
      return { file, text: await readContextFile(file) };
    } catch (error) {
      if (!(error instanceof ContextError && isNoEntry(error.cause))) throw error;
    }
  }
  const [first = '', ...others] = files;
  throw new ContextError(first, `no such file${others.length > 0 ? ` (nor ${others.join(', ')})` : ''}`);
}

/** Reads bytes and decodes UTF-8 as is; a byte-order mark from an editor is dropped. */
async function readContextFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new ContextError(file, describeFsError(error), error);
  }
  const text = bytes.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function isNoEntry(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return `cannot read: ${code ?? (error instanceof Error ? error.message : String(error))}`;
  }
}
