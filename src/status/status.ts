import type { Host } from '../host/host.ts';
import { safeJson, safeText } from '../log/safe-text.ts';

// The appliance status of the contract (section 2): `/etc/one-appliance/status` holds one word,
// `<step>_started|_success|_failure`; `/etc/motd` tells people who log in. A JSON record beside it
// keeps every step's times and error for `oneke status`.

export const STATUS_FILE = '/etc/one-appliance/status';
export const STATUS_RECORD_FILE = '/etc/one-appliance/oneke-status.json';
export const MOTD_FILE = '/etc/motd';
export const LOG_DIR = '/var/log/one-appliance';

export const STEPS = ['install', 'configure', 'bootstrap'] as const;
export type Step = (typeof STEPS)[number];
export type StepState = 'started' | 'success' | 'failure';

export interface StepRecord {
  state: StepState;
  startedAt: string;
  finishedAt?: string;
  error?: string;
}

export interface StatusRecord {
  version: string;
  role?: string;
  steps: Partial<Record<Step, StepRecord>>;
}

export function logFileOf(step: string): string {
  return `${LOG_DIR}/${step}.log`;
}

export async function readStatusRecord(host: Host): Promise<StatusRecord | undefined> {
  const text = await host.readFile(STATUS_RECORD_FILE);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as StatusRecord;
  } catch {
    return undefined; // a damaged record is rebuilt by the next step
  }
}

/** The word in `/etc/one-appliance/status`, or undefined before any step ran. */
export async function readStatusWord(host: Host): Promise<string | undefined> {
  return (await host.readFile(STATUS_FILE))?.trim() || undefined;
}

/** The motd; every text that came from a record (an error may quote OneGate or a peer) is escaped. */
export function renderMotd(record: StatusRecord): string {
  const lines = [
    '',
    `   OneKE appliance — oneke ${safeText(String(record.version))}${record.role ? `, role ${safeText(String(record.role))}` : ''}`,
    '',
  ];
  for (const step of STEPS) {
    const entry = record.steps[step];
    if (!entry) continue;
    const when = entry.finishedAt ?? entry.startedAt;
    lines.push(`   ${step.padEnd(10)} ${safeText(String(entry.state)).padEnd(8)} ${safeText(String(when))}`);
    if (entry.error) lines.push(`              ${safeText(String(entry.error))}`);
  }
  const last = STEPS.map((s) => record.steps[s]).filter((s) => s !== undefined);
  const failed = last.some((s) => s.state === 'failure');
  const done = record.steps.bootstrap?.state === 'success';
  lines.push('');
  if (failed) lines.push(`   The appliance FAILED. See ${LOG_DIR}/ and \`oneke status\`.`);
  else if (done) lines.push('   All set and ready to serve.');
  else lines.push(`   The appliance is still configuring itself; logs in ${LOG_DIR}/.`);
  lines.push('', '');
  return lines.join('\n');
}

/** Records a step's new state in the status file, the JSON record and the motd. */
export async function setStepState(
  host: Host,
  version: string,
  step: Step,
  state: StepState,
  details: { role?: string; error?: string; now?: Date } = {},
): Promise<StatusRecord> {
  const now = (details.now ?? new Date()).toISOString();
  const record: StatusRecord = (await readStatusRecord(host)) ?? { version, steps: {} };
  record.version = version;
  if (details.role) record.role = details.role;
  const previous = record.steps[step];
  record.steps[step] =
    state === 'started'
      ? { state, startedAt: now }
      : { state, startedAt: previous?.startedAt ?? now, finishedAt: now, ...(details.error ? { error: details.error } : {}) };
  // A new configure run makes an older bootstrap result stale.
  if (step === 'configure' && state === 'started') delete record.steps.bootstrap;
  await host.writeFile(STATUS_RECORD_FILE, `${safeJson(JSON.stringify(record, null, 2))}\n`, 0o644);
  await host.writeFile(STATUS_FILE, `${step}_${state}\n`, 0o644);
  await host.writeFile(MOTD_FILE, renderMotd(record), 0o644);
  return record;
}
