import type { Config } from '../config/index.ts';
import { ONEKE_ERROR, ONEKE_STATUS, READY, READY_YES } from '../onegate/keys.ts';
import type { VmRecord } from '../onegate/parse.ts';
import type { Action, Plan, RoleName } from '../plan/plan.ts';

// The plan of `oneke bootstrap` (run in src/steps/bootstrap.ts; pure): once configure has succeeded, clear
// the error of an earlier failed run and report success, with READY=YES when REPORT_READY=YES.

/** What bootstrap publishes on success, given this VM as OneGate shows it now. */
export function bootstrapActions(config: Config, self: VmRecord): Action[] {
  return [
    // The error of an earlier failed run would otherwise stay on the VM.
    ...(self.userTemplate[ONEKE_ERROR] !== undefined ? [{ kind: 'unpublish' as const, keys: [ONEKE_ERROR] }] : []),
    { kind: 'publish', keys: { [ONEKE_STATUS]: 'success', ...(config.reportReady ? { [READY]: READY_YES } : {}) } },
  ];
}

/** The whole step as `oneke plan --step bootstrap` shows it: refused until configure has succeeded. */
export function planBootstrap(config: Config, self: VmRecord, role: RoleName | 'unknown', status: string | undefined): Plan {
  if (status !== 'configure_success') {
    return { role, decision: { kind: 'refuse', reason: `configure has not succeeded (status: ${status ?? 'none'}); bootstrap runs only after it` }, actions: [] };
  }
  return {
    role,
    decision: { kind: 'report', reason: config.reportReady ? 'report success and READY=YES to OneGate' : 'report success to OneGate (REPORT_READY is not YES)' },
    actions: bootstrapActions(config, self),
  };
}
