import type { Host } from '../host/host.ts';
import type { Logger, LogLevel, SecretSet } from '../log/logger.ts';

/** The options a step reads: where the VM's files are, which context file, how much to log. */
export interface StepOptions {
  context?: string;
  root: string;
  logLevel: LogLevel;
  allowHostChanges?: boolean;
}

/**
 * What a step works with: where it runs, how it logs, which secrets it must never print. The CLI
 * builds it (cli/runtime.ts) from the global options; tests build their own.
 */
export interface StepEnv {
  options: StepOptions;
  host: Host;
  secrets: SecretSet;
  /** A logger that writes the step's JSON log under the root (`/var/log/one-appliance/<step>.log`). */
  stepLogger(step: string): Logger;
  /** A logger for commands that keep no log file (plan, status, validate). */
  consoleLogger(): Logger;
}
