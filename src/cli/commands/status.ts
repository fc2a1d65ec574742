import { readStatusRecord, readStatusWord, STEPS } from '../../status/status.ts';
import { ExitCode, RuntimeProblem } from '../../errors.ts';
import { safeJson, safeText } from '../../log/safe-text.ts';
import { anyFailure, serviceStatus, serviceStatusJson, serviceStatusText } from '../../status/service-status.ts';
import { oneGateFor, readInputs, REPORT_RETRY } from '../../steps/inputs.ts';
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

/**
 * Prints every VM of the service from one `GET /service?extended=true` (an old OneGate that ignores
 * `extended` costs one request per VM more). Exit 1 when a VM reports a failure.
 */
export async function serviceStatusCommand(runtime: Runtime, output: Output, opts: { json?: boolean }): Promise<number> {
  const logger = runtime.consoleLogger();
  const { config } = await readInputs(runtime.options, runtime.secrets);
  // A person waits for the answer: a few quick tries, not the patient policy of configure.
  const client = oneGateFor(config, logger, REPORT_RETRY);
  let service;
  try {
    service = await client.serviceShowExtended();
  } catch (error) {
    if ((error as { status?: number }).status === 400) {
      throw new RuntimeProblem('ONEKE_NO_SERVICE', `VM ${config.onegate.vmId ?? '?'} is not in a OneFlow service`, 'run it on a VM of a OneKE service');
    }
    throw error;
  } finally {
    await client.close();
  }
  const status = serviceStatus(service);
  output.out(opts.json ? serviceStatusJson(status) : serviceStatusText(status));
  return anyFailure(status) ? ExitCode.failure : ExitCode.ok;
}
