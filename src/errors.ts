// Typed errors. Helpers throw these; only the CLI entry turns them into output and an exit code.

/** Exit codes of every `oneke` command. */
export const ExitCode = {
  ok: 0,
  /** Something failed at run time: OneGate, a command, a deadline. */
  failure: 1,
  /** The input is wrong: a context variable, a file given on the command line, a CLI option. */
  invalidInput: 2,
  /** A bug in oneke itself. */
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What the table says about one error code. */
interface ErrorCodeEntry {
  readonly exitCode: ExitCode;
  /** The hint an error of this code carries unless it gives its own. */
  readonly hint?: string;
}

const INPUT: ErrorCodeEntry = { exitCode: ExitCode.invalidInput };
const FAILURE: ErrorCodeEntry = { exitCode: ExitCode.failure };

/**
 * Every error code of oneke, with its exit code and default hint. A code is a stable identifier for
 * tests and machines (`oneke status`, the logs); a new one is added here first.
 */
export const ERROR_CODES = {
  // The input is wrong (exit 2).
  ONEKE_CONFIG_INVALID: INPUT,
  ONEKE_CONTEXT_UNREADABLE: INPUT,
  ONEKE_CONTEXT_SYNTAX: INPUT,
  ONEKE_USAGE: INPUT,
  ONEKE_PLACEHOLDER_UNRESOLVED: {
    exitCode: ExitCode.invalidInput,
    hint: 'use a placeholder for an address the VNF has (<ETHn_IPm>, <ETHn_VIPm>, <ETHn_EPm>) or write the address itself',
  },
  ONEKE_ARTIFACT_UNPINNED: INPUT,
  // Run time: OneGate, commands, deadlines, signals.
  ONEKE_ONEGATE: FAILURE,
  ONEKE_ONEGATE_ANSWER: FAILURE,
  ONEKE_ONEGATE_MISSING: { exitCode: ExitCode.failure, hint: 'publishing needs OneGate: ONEGATE_ENDPOINT, VMID and TOKENTXT in the context' },
  ONEKE_COMMAND_FAILED: FAILURE,
  ONEKE_DEADLINE: FAILURE,
  ONEKE_STOPPED: FAILURE,
  ONEKE_FILESYSTEM: FAILURE,
  ONEKE_VALUE_MISSING: FAILURE,
  ONEKE_LISTEN: FAILURE,
  // The service and the VM.
  ONEKE_NO_SERVICE: FAILURE,
  ONEKE_NO_ROLE: { exitCode: ExitCode.failure, hint: 'instantiate the VM through the OneKE OneFlow service' },
  ONEKE_UNKNOWN_ROLE: FAILURE,
  ONEKE_NOT_CONFIGURED: FAILURE,
  ONEKE_NO_NODE_ADDRESS: { exitCode: ExitCode.failure, hint: 'check the VM template NICs and the contextualization of the network' },
  ONEKE_NODE_IDENTITY_CHANGED: { exitCode: ExitCode.failure, hint: 'give the VM its old IP back, or remove it from the service and add a new one' },
  ONEKE_ADDON_NOT_INSTALLED: { exitCode: ExitCode.failure, hint: 'rebuild the image with oneke install, or disable the add-on' },
  // Kubernetes.
  ONEKE_KUBE_API: FAILURE,
  ONEKE_KUBE_CREDENTIALS: FAILURE,
  ONEKE_KUBECONFIG_MALFORMED: { exitCode: ExitCode.failure, hint: 'rke2-server writes /etc/rancher/rke2/rke2.yaml when it starts: check that file and its journal' },
  // The storage disk.
  ONEKE_STORAGE_DEVICE_MISSING: { exitCode: ExitCode.failure, hint: 'attach the disk to the VM, or set ONEAPP_STORAGE_DEVICE to the right device (empty for no dedicated disk)' },
  ONEKE_STORAGE_DEVICE_NOT_BLOCK: { exitCode: ExitCode.failure, hint: 'attach the disk to the VM, or set ONEAPP_STORAGE_DEVICE to the right device (empty for no dedicated disk)' },
  ONEKE_STORAGE_DEVICE_IN_USE: { exitCode: ExitCode.failure, hint: 'unmount it, or check that ONEAPP_STORAGE_DEVICE names the dedicated disk and not one in use' },
  ONEKE_STORAGE_DEVICE_NOT_FILESYSTEM: {
    exitCode: ExitCode.failure,
    hint: 'point ONEAPP_STORAGE_DEVICE at a partition or an empty disk, or wipe the disk yourself (wipefs) if its data is not needed',
  },
  ONEKE_STORAGE_MOUNTPOINT_BUSY: { exitCode: ExitCode.failure, hint: 'unmount it (and remove its /etc/fstab line), or choose another ONEAPP_STORAGE_MOUNTPOINT' },
  ONEKE_STORAGE_MOUNTPOINT_NOT_EMPTY: { exitCode: ExitCode.failure, hint: 'move the files away (or empty the folder), or choose another ONEAPP_STORAGE_MOUNTPOINT' },
  // Building the image (`oneke install`).
  ONEKE_ARCH_UNSUPPORTED: FAILURE,
  ONEKE_ARTIFACT_CONTENT: FAILURE,
  ONEKE_ARTIFACT_DOWNLOAD: FAILURE,
  ONEKE_ARTIFACT_CHECKSUM: {
    exitCode: ExitCode.failure,
    hint: 'the mirror or the network served other bytes than the pinned release: check ONEKE_ARTIFACT_MIRROR and the source of the checksum',
  },
  ONEKE_IMAGE_MISSING: {
    exitCode: ExitCode.failure,
    hint: 'push the image to the registry (ONEKE_REGISTRY_MIRROR), or check that its tag is the one the chart names',
  },
  ONEKE_IMAGE_DIGEST: {
    exitCode: ExitCode.failure,
    hint: 'the registry holds another image under this tag than the pinned one: check ONEKE_REGISTRY_MIRROR and the source of the digest',
  },
  ONEKE_IMAGE_COPY: FAILURE,
  // A bug in oneke (exit 70).
  ONEKE_INTERNAL: { exitCode: ExitCode.internal },
} as const satisfies Record<`ONEKE_${string}`, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class OnekeError extends Error {
  /** A stable identifier, for tests and for machines (`error.message` may change). */
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  /** One line that tells the operator what to do about it. */
  readonly hint: string | undefined;

  /** The exit code and the hint default to the code's entry in ERROR_CODES. */
  constructor(code: ErrorCode, message: string, options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const entry: ErrorCodeEntry = ERROR_CODES[code];
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? entry.exitCode;
    this.hint = options.hint ?? entry.hint;
  }
}

/** One problem with one input value. */
export interface ConfigIssue {
  /** The context variable (or file, or option) at fault. */
  variable: string;
  /** The value as the user gave it, already shortened and masked for display. */
  shown: string;
  /** What was expected instead. */
  expected: string;
}

/** Formats an issue as the single line the operator reads. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.variable}=${issue.shown}: expected ${issue.expected}`;
}

/** The context or configuration is invalid; every problem found is listed. */
export class ConfigError extends OnekeError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('ONEKE_CONFIG_INVALID', issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

/** A context file that cannot be read or parsed. */
export class ContextError extends OnekeError {
  readonly file: string;

  constructor(file: string, message: string, cause?: unknown) {
    super('ONEKE_CONTEXT_UNREADABLE', `${file}: ${message}`, { cause });
    this.file = file;
  }
}

/** A wrong command-line option or argument. */
export class UsageError extends OnekeError {
  constructor(message: string) {
    super('ONEKE_USAGE', message);
  }
}

/** OneGate answered with an error or could not be reached. The token never appears here. */
export class OneGateError extends OnekeError {
  /** HTTP status, or undefined when no answer came (network error, timeout). */
  readonly status: number | undefined;
  readonly method: string;
  readonly path: string;

  constructor(method: string, path: string, status: number | undefined, detail: string, cause?: unknown) {
    const what = status === undefined ? detail : `HTTP ${status}${detail ? `: ${detail}` : ''}`;
    super('ONEKE_ONEGATE', `OneGate ${method} ${path}: ${what}`, {
      cause,
      hint: status === 401 || status === 403 ? 'check TOKENTXT and VMID in the context (TOKEN=YES in the VM template)' : undefined,
    });
    this.status = status;
    this.method = method;
    this.path = path;
  }
}

/** A subprocess failed. `args` are already redacted. */
export class CommandError extends OnekeError {
  readonly file: string;
  readonly args: readonly string[];
  readonly exitCodeOfCommand: number | undefined;
  readonly stderr: string;

  constructor(file: string, args: readonly string[], exitCode: number | undefined, stderr: string, timedOut = false) {
    const tail = stderrReason(stderr);
    const how = timedOut ? 'timed out' : exitCode === undefined ? 'could not start' : `exited ${exitCode}`;
    super('ONEKE_COMMAND_FAILED', `${[file, ...args].join(' ')} ${how}${tail ? `: ${tail}` : ''}`);
    this.file = file;
    this.args = args;
    this.exitCodeOfCommand = exitCode;
    this.stderr = stderr;
  }
}

/**
 * The last three lines of a command's stderr, the usual place of its reason; but when it printed its
 * usage text after the reason (mkfs.xfs on a too small disk), the lines before `Usage:`.
 */
export function stderrReason(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim());
  const usage = lines.findIndex((line) => /^usage:/i.test(line));
  const relevant = (usage > 0 ? lines.slice(0, usage) : lines).filter((line) => line !== '');
  return relevant.slice(-3).join(' | ');
}

/** A wait ran out of time; says what was awaited. */
export class DeadlineError extends OnekeError {
  readonly waitedFor: string;
  readonly seconds: number;

  constructor(waitedFor: string, seconds: number, lastState?: string) {
    super('ONEKE_DEADLINE', `gave up after ${seconds}s waiting for ${waitedFor}${lastState ? ` (last: ${lastState})` : ''}`);
    this.waitedFor = waitedFor;
    this.seconds = seconds;
  }
}

/** Something the operator must fix on the VM or in the service (a missing disk, a changed IP). */
export class RuntimeProblem extends OnekeError {
  constructor(code: ErrorCode, message: string, hint?: string) {
    super(code, message, hint === undefined ? {} : { hint });
  }
}

/** SIGTERM or SIGINT stopped a step; its failure was recorded. */
export class StoppedBySignal extends OnekeError {
  readonly signal: string;

  constructor(signal: string) {
    super('ONEKE_STOPPED', `stopped by signal (${signal})`);
    this.signal = signal;
  }
}

/** A bug: an invariant of oneke itself does not hold. */
export class InternalError extends OnekeError {
  constructor(message: string, cause?: unknown) {
    super('ONEKE_INTERNAL', message, { cause });
  }
}

/** The one-line form of any error, with its causes, for logs and the console. */
export function oneLine(error: unknown): string {
  if (error instanceof ConfigError) return error.issues.map(formatIssue).join('; ');
  if (error instanceof Error) {
    const cause = error.cause instanceof Error && !error.message.includes(error.cause.message) ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`.replace(/\s*\n\s*/g, ' ');
  }
  return String(error);
}
