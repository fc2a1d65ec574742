import fs from 'node:fs';
import path from 'node:path';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { safeJson, safeText } from './safe-text.ts';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const CENSOR = '[redacted]';

// Keys whose values are secret wherever they appear in a log object.
const SECRET_KEYS = [
  'token',
  'TOKENTXT',
  'password',
  'kubeconfig',
  'ONEGATE_K8S_TOKEN',
  'ONEKE_KUBECONFIG',
  'ONEAPP_VNF_KEEPALIVED_PASSWORD',
  'ONEAPP_K8S_CNI_CONFIG',
  'ONEAPP_K8S_MULTUS_CONFIG',
  'ONEAPP_K8S_METALLB_CONFIG',
  'X-ONEGATE-TOKEN',
];
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`].map((p) => (key.includes('-') ? p.replace(key, `["${key}"]`) : p)));

/**
 * Secret values known at run time (the OneGate token, passwords, the cluster token once read).
 * Every log line is scrubbed of them before it is written, whatever key or message carries them.
 */
export class SecretSet {
  readonly #values = new Set<string>();

  add(...values: (string | undefined)[]): void {
    for (const value of values) {
      // Very short values would blank out ordinary words; they are caught by key redaction instead.
      if (value && value.length >= 4) {
        this.#values.add(value);
        // The JSON form of the value is what appears in a serialised log line.
        this.#values.add(JSON.stringify(value).slice(1, -1));
      }
    }
  }

  scrub(text: string): string {
    let out = text;
    for (const value of this.#values) if (out.includes(value)) out = out.split(value).join(CENSOR);
    return out;
  }
}

/** Secrets out, and invisible characters escaped (the JSON stays the same value). */
function scrubbing(secrets: SecretSet, inner: { write(line: string): unknown }): DestinationStream {
  return { write: (line: string) => void inner.write(safeJson(secrets.scrub(line))) };
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIPPED_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'step', 'v']);

/** Turns a JSON log line into one line a person reads: `12:00:01 INFO  configure: msg key=value`. */
export function readableLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    const end = jsonLine.endsWith('\n') ? '\n' : '';
    return `${safeText(jsonLine.slice(0, jsonLine.length - end.length))}${end}`;
  }
  const time = typeof record.time === 'string' ? record.time.slice(11, 19) : '';
  const level = (LEVEL_NAMES[Number(record.level)] ?? String(record.level)).padEnd(5);
  const step = typeof record.step === 'string' ? `${record.step}: ` : '';
  const extras = Object.entries(record)
    .filter(([key]) => !SKIPPED_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  // Messages carry outside text (OneGate bodies, peers' values, commands' output): one safe line.
  return `${safeText(`${time} ${level} ${step}${String(record.msg ?? '')}${extras ? ` ${extras}` : ''}`)}\n`;
}

export interface LoggerOptions {
  level: LogLevel;
  secrets: SecretSet;
  /** Host path of the JSON log file (already under --root); none for commands that keep no log. */
  file?: string;
  /** Where readable lines go; stderr by default, so that stdout stays for command output. */
  console?: { write(line: string): unknown } | false;
  /** Bound to every line (`step`, `role`, …). */
  bindings?: Record<string, unknown>;
}

/** The agent's logger: JSON lines to the step's log file, readable lines on the console, secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const streams: { level: Level; stream: DestinationStream }[] = [];
  const level = options.level === 'silent' ? 'fatal' : options.level;
  if (options.file) {
    fs.mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o750 });
    // Synchronous: the agent may exit right after logging why it failed.
    // O_NOFOLLOW: the path was resolved inside --root; a link planted since is not followed out of it.
    const fd = fs.openSync(options.file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    streams.push({ level, stream: scrubbing(options.secrets, { write: (line: string) => fs.writeSync(fd, line) }) });
  }
  const consoleOut = options.console === undefined ? process.stderr : options.console;
  if (consoleOut && options.level !== 'silent') {
    streams.push({ level, stream: scrubbing(options.secrets, { write: (line: string) => consoleOut.write(readableLine(line)) }) });
  }
  return pino(
    {
      level: options.level,
      base: options.bindings ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
    },
    pino.multistream(streams),
  );
}
