import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { Host } from '../host/host.ts';
import { NodeHost } from '../host/node-host.ts';
import { underRoot } from '../host/root-path.ts';
import { createLogger, LOG_LEVELS, SecretSet, type Logger, type LogLevel } from '../log/logger.ts';
import { logFileOf } from '../status/status.ts';

/** The global options every command takes. */
export interface GlobalOptions {
  context?: string;
  root: string;
  logLevel: string;
}

/** What a command works with: where it runs, how it logs, which secrets it must never print. */
export interface Runtime {
  options: { context?: string; root: string; logLevel: LogLevel };
  host: Host;
  secrets: SecretSet;
  /** A logger that writes the step's JSON log under the root (`/var/log/one-appliance/<step>.log`). */
  stepLogger(step: string): Logger;
  /** A logger for commands that keep no log file (plan, status, validate). */
  consoleLogger(): Logger;
}

export function checkGlobalOptions(raw: GlobalOptions): Runtime['options'] {
  if (!(LOG_LEVELS as readonly string[]).includes(raw.logLevel)) {
    throw new UsageError(`--log-level=${JSON.stringify(raw.logLevel)}: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  if (!raw.root) throw new UsageError('--root: expected a folder');
  return {
    root: path.resolve(raw.root),
    logLevel: raw.logLevel as LogLevel,
    ...(raw.context === undefined ? {} : { context: path.resolve(raw.context) }),
  };
}

export function createRuntime(raw: GlobalOptions): Runtime {
  const options = checkGlobalOptions(raw);
  const host = new NodeHost(options.root, process.env.ONEKE_SYSTEMCTL ? { systemctl: process.env.ONEKE_SYSTEMCTL } : {});
  const secrets = new SecretSet();
  return {
    options,
    host,
    secrets,
    stepLogger: (step) =>
      createLogger({ level: options.logLevel, secrets, file: underRoot(options.root, logFileOf(step)), bindings: { step } }),
    consoleLogger: () => createLogger({ level: options.logLevel, secrets }),
  };
}
