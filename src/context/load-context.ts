// The only reader of the context files. It reads, never executes (contract §3.1): values come from
// the lossless context.sh.local; one_env supplies only what context.sh cannot hold.

import path from 'node:path';
import { ContextError } from '../errors.ts';
import { READ_LIMITS, readRegularFile, ReadRefused } from '../host/bounded-read.ts';
import { describeFsError } from '../host/fs-errors.ts';
import { underRoot } from '../host/root-path.ts';
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

  const contextSh = await readFirstPresent(options.root, CONTEXT_SH_PATHS);
  const oneEnv = await readFirstPresent(options.root, ONE_ENV_PATHS);
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

/**
 * Reads the first of `relatives` under `root` that exists; only "no such file" moves on to the next.
 * Each path is resolved inside the root (an absolute `var/run -> /run` link is the root's `/run`).
 */
async function readFirstPresent(root: string, relatives: readonly string[]): Promise<{ file: string; text: string }> {
  const files: string[] = [];
  for (const relative of relatives) {
    let file: string;
    try {
      file = underRoot(root, `/${relative}`);
    } catch (error) {
      throw new ContextError(path.join(root, relative), describeFsError(error), error);
    }
    files.push(file);
    try {
      return { file, text: await readContextFile(file) };
    } catch (error) {
      if (!(error instanceof ContextError && isNoEntry(error.cause))) throw error;
    }
  }
  const [first = '', ...others] = files;
  throw new ContextError(first, `no such file${others.length > 0 ? ` (nor ${others.join(', ')})` : ''}`);
}

/**
 * Reads bytes and decodes UTF-8 as is; a byte-order mark from an editor is dropped. Only a regular
 * file of at most READ_LIMITS.context bytes is read: a FIFO, a device or an endless file is refused
 * at once (exit 2), before anything waits on it.
 */
async function readContextFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, READ_LIMITS.context);
  } catch (error) {
    throw new ContextError(file, error instanceof ReadRefused ? error.message : describeFsError(error), error);
  }
  const text = bytes.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function isNoEntry(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
