import type { Host } from '../host/host.ts';
import { realClock, type Clock } from '../host/clock.ts';
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

const STEP_STATES: readonly string[] = ['started', 'success', 'failure'];
/** Where a damaged record is kept aside for a person to look at. */
export const DAMAGED_RECORD_FILE = `${STATUS_RECORD_FILE}.damaged`;

function isStepRecord(value: unknown): value is StepRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.state === 'string' &&
    STEP_STATES.includes(entry.state) &&
    typeof entry.startedAt === 'string' &&
    (entry.finishedAt === undefined || typeof entry.finishedAt === 'string') &&
    (entry.error === undefined || typeof entry.error === 'string')
  );
}

/** The record in `text`, or undefined when it is not JSON of the record's shape (then it is damaged). */
export function parseStatusRecord(text: string): StatusRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.version !== 'string' || (record.role !== undefined && typeof record.role !== 'string')) return undefined;
  const steps = record.steps;
  if (typeof steps !== 'object' || steps === null || Array.isArray(steps)) return undefined;
  const kept: Partial<Record<Step, StepRecord>> = {};
  for (const [name, entry] of Object.entries(steps)) {
    if (!(STEPS as readonly string[]).includes(name) || !isStepRecord(entry)) return undefined;
    kept[name as Step] = entry;
  }
  return { version: record.version, ...(record.role === undefined ? {} : { role: record.role }), steps: kept };
}

/** The record and, when the file is there but damaged (garbage, or JSON of another shape), its text. */
async function loadStatusRecord(host: Host): Promise<{ record?: StatusRecord; damaged?: string }> {
  const text = await host.readFile(STATUS_RECORD_FILE);
  if (text === undefined) return {};
  const record = parseStatusRecord(text);
  return record ? { record } : { damaged: text };
}

/** The status record, or undefined when there is none or it is damaged (a damaged one is treated as absent). */
export async function readStatusRecord(host: Host): Promise<StatusRecord | undefined> {
  return (await loadStatusRecord(host)).record;
}

/** The word in `/etc/one-appliance/status`, or undefined before any step ran. */
export async function readStatusWord(host: Host): Promise<string | undefined> {
  return (await host.readFile(STATUS_FILE))?.trim() || undefined;
}

/** The motd; every text that came from a record (an error may quote OneGate or a peer) is escaped. */
export function renderMotd(record: StatusRecord): string {
  const lines = ['', `   OneKE appliance — oneke ${safeText(String(record.version))}${record.role ? `, role ${safeText(String(record.role))}` : ''}`, ''];
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
  details: { role?: string; error?: string; now?: Date; clock?: Pick<Clock, 'now'>; onDamaged?: (message: string) => void } = {},
): Promise<StatusRecord> {
  const now = (details.now ?? new Date((details.clock ?? realClock).now())).toISOString();
  const loaded = await loadStatusRecord(host);
  if (loaded.damaged !== undefined) {
    // Rebuilt from scratch below; the damaged text stays beside it for a person to look at.
    await host.writeFile(DAMAGED_RECORD_FILE, loaded.damaged, 0o600);
    details.onDamaged?.(`${STATUS_RECORD_FILE} was damaged (not a status record); kept as ${DAMAGED_RECORD_FILE} and started afresh`);
  }
  const record: StatusRecord = loaded.record ?? { version, steps: {} };
  record.version = version;
  if (details.role) record.role = details.role;
  const previous = record.steps[step];
  record.steps[step] = state === 'started' ? { state, startedAt: now } : { state, startedAt: previous?.startedAt ?? now, finishedAt: now, ...(details.error ? { error: details.error } : {}) };
  // A new configure run makes an older bootstrap result stale.
  if (step === 'configure' && state === 'started') delete record.steps.bootstrap;
  await host.writeFile(STATUS_RECORD_FILE, `${safeJson(JSON.stringify(record, null, 2))}\n`, 0o644);
  await host.writeFile(STATUS_FILE, `${step}_${state}\n`, 0o644);
  await host.writeFile(MOTD_FILE, renderMotd(record), 0o644);
  return record;
}
