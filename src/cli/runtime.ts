import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { fileProblem } from '../host/fs-errors.ts';
import { ALLOW_HOST_CHANGES_ENV, hostChangePolicy, readNamespaces } from '../host/host-changes.ts';
import { NodeHost } from '../host/node-host.ts';
import { underRoot } from '../host/root-path.ts';
import { createLogger, LOG_LEVELS, SecretSet, type LogLevel } from '../log/logger.ts';
import type { StepEnv } from '../steps/env.ts';
import { logFileOf } from '../status/status.ts';

/** The global options every command takes. */
export interface GlobalOptions {
  context?: string;
  root: string;
  logLevel: string;
  allowHostChanges?: boolean;
}

/** What a command works with: the steps' env (src/steps/env.ts), built here from the global options. */
export type Runtime = StepEnv;

export function checkGlobalOptions(raw: GlobalOptions): Runtime['options'] {
  if (!(LOG_LEVELS as readonly string[]).includes(raw.logLevel)) {
    throw new UsageError(`--log-level=${JSON.stringify(raw.logLevel)}: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  if (!raw.root) throw new UsageError('--root: expected a folder');
  const root = path.resolve(raw.root);
  let kind: 'folder' | 'missing' | 'other' = 'missing';
  try {
    kind = statSync(root).isDirectory() ? 'folder' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') kind = 'other';
    else if (code !== 'ENOENT') throw new UsageError(`--root=${JSON.stringify(raw.root)}: expected a folder (${code ?? 'unreadable'})`);
  }
  if (kind === 'other') throw new UsageError(`--root=${JSON.stringify(raw.root)}: expected a folder, not a file`);
  const context = raw.context === undefined ? undefined : path.resolve(raw.context);
  if (context !== undefined) {
    // A FIFO, a device or a socket (what could block or never end) is refused here, before any
    // step writes `<step>_started`. A folder or a missing file is the context loader's to report.
    let info;
    try {
      info = statSync(context);
    } catch {
      info = undefined; // missing or unreadable: the context loader names the file and the reason
    }
    if (info && !info.isFile() && !info.isDirectory()) {
      throw new UsageError(`--context=${JSON.stringify(raw.context)}: expected a regular file, not ${info.isFIFO() ? 'a FIFO' : info.isSocket() ? 'a socket' : 'a device'}`);
    }
  }
  const env = process.env[ALLOW_HOST_CHANGES_ENV];
  return {
    root,
    logLevel: raw.logLevel as LogLevel,
    allowHostChanges: raw.allowHostChanges === true || env === '1' || env?.toUpperCase() === 'YES',
    ...(context === undefined ? {} : { context }),
  };
}

export function createRuntime(raw: GlobalOptions): Runtime {
  const options = checkGlobalOptions(raw);
  const host = new NodeHost(options.root, {
    ...(process.env.ONEKE_SYSTEMCTL ? { systemctl: process.env.ONEKE_SYSTEMCTL } : {}),
    hostChanges: () => hostChangePolicy(options.root, options.allowHostChanges === true, readNamespaces),
  });
  const secrets = new SecretSet();
  return {
    options,
    host,
    secrets,
    stepLogger: (step) => {
      // Resolved inside the root like every other path; a full or read-only disk is one line.
      try {
        return createLogger({ level: options.logLevel, secrets, file: underRoot(options.root, logFileOf(step)), bindings: { step } });
      } catch (error) {
        throw fileProblem('open the log', logFileOf(step), options.root, error);
      }
    },
    consoleLogger: () => createLogger({ level: options.logLevel, secrets }),
  };
}
