import { ConfigError } from '../errors.ts';
import { loadContext, type ContextVars } from '../context/index.ts';
import { parseConfig, secretValues, specFor, urlPassword, type Config } from '../config/index.ts';
import { createOneGateClient, type OneGateClient } from '../onegate/client.ts';
import type { RetryOptions } from '../onegate/retry.ts';
import type { Logger, SecretSet } from '../log/logger.ts';

/** The validated inputs of a run: nothing on the system has changed when this returns. */
export interface Inputs {
  vars: ContextVars;
  config: Config;
}

/** Reads the context files (nothing is validated yet). */
export async function readContext(options: { root: string; context?: string }, secrets: SecretSet): Promise<ContextVars> {
  const vars = await loadContext({ root: options.root, ...(options.context ? { file: options.context } : {}) });
  // Secrets are secret even when the context is wrong: the token, passwords, URL credentials.
  secrets.add(vars.get('TOKENTXT'), vars.get('ONEGATE_TOKEN'));
  for (const [name, value] of vars) {
    if (specFor(name)?.secret) secrets.add(value);
    if (value.includes('://')) secrets.add(urlPassword(value.trim()));
  }
  return vars;
}

/**
 * A OneGate client from the raw context, when its three OneGate variables are sound even though
 * others are not: the reason of a failed run can then still reach the operator.
 */
export function oneGateFromContext(vars: ContextVars, logger: Logger, retry?: RetryOptions): OneGateClient | undefined {
  const endpoint = vars.get('ONEGATE_ENDPOINT')?.trim();
  const vmId = vars.get('VMID')?.trim();
  const token = vars.get('TOKENTXT');
  if (!endpoint || !vmId || !/^\d+$/.test(vmId) || !token || !/^https?:\/\/[^\s]+$/.test(endpoint)) return undefined;
  try {
    return createOneGateClient({ endpoint, vmId, token, logger, ...(retry ? { retry } : {}) });
  } catch {
    return undefined;
  }
}

/** Validates every variable of the context; throws ConfigError listing every problem. */
export function validateContext(vars: ContextVars, secrets: SecretSet): Inputs {
  const result = parseConfig(vars);
  if (!result.ok) throw new ConfigError(result.issues);
  secrets.add(...secretValues(result.config));
  return { vars, config: result.config };
}

/** Reads the context and validates every variable; throws ConfigError listing every problem. */
export async function readInputs(options: { root: string; context?: string }, secrets: SecretSet): Promise<Inputs> {
  return validateContext(await readContext(options, secrets), secrets);
}

/** A OneGate client for this VM, or a ConfigError when the context lacks what OneGate needs. */
export function oneGateFor(config: Config, logger: Logger, retry?: RetryOptions): OneGateClient {
  const { endpoint, vmId, token } = config.onegate;
  const missing = [...(endpoint ? [] : ['ONEGATE_ENDPOINT']), ...(vmId === undefined ? ['VMID'] : []), ...(token ? [] : ['TOKENTXT'])];
  if (missing.length > 0 || !endpoint || vmId === undefined || !token) {
    throw new ConfigError(missing.map((variable) => ({ variable, shown: '""', expected: 'a value (OneGate is needed; set TOKEN=YES and ONEGATE_ENDPOINT in the VM template)' })));
  }
  return createOneGateClient({ endpoint, vmId, token, logger, ...(retry ? { retry } : {}) });
}

/**
 * For telling OneGate that a step failed: best effort, so a few quick tries (about 3 s in all)
 * rather than the patient policy of the work itself; the run has failed already.
 */
export const REPORT_RETRY: RetryOptions = { attempts: 3, initialMs: 250, maxMs: 1_000, deadlineMs: 3_000 };

/**
 * For READY=YES at the end of bootstrap: the VM is done and OneFlow waits for this one key, so a
 * OneGate that is away (a restart of the front-end, say) is waited for up to five minutes rather
 * than failing a good run.
 */
export const READY_RETRY: RetryOptions = { attempts: 100, initialMs: 500, maxMs: 10_000, deadlineMs: 300_000 };
