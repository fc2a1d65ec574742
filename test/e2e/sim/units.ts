// The units of a simulated VM and how they run: each unit is a detached process (its own session,
// standing in for its cgroup) with a pid file under ROOT/run/sim and a log under ROOT/var/log/sim.
// Used by the simulated systemctl (systemctl.ts) and by the e2e harness (stopAllUnits, the wrapper).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const HERE = import.meta.dirname;
export const SYSTEMCTL_TS = path.join(HERE, 'systemctl.ts');
export const STANDIN_TS = path.resolve(HERE, '../standin/rke2.ts');

/** Where a VM's simulated systemd keeps its state. */
export function simPaths(root: string) {
  const dir = path.join(root, 'run/sim');
  return {
    dir,
    wrapper: path.join(dir, 'systemctl'),
    calls: path.join(dir, 'calls.log'),
    pid: (unit: string) => path.join(dir, `${unit}.pid`),
    /** The main process's start time (/proc/<pid>/stat field 22), so a reused pid is never taken for the unit. */
    start: (unit: string) => path.join(dir, `${unit}.start`),
    lock: (unit: string) => path.join(dir, `${unit}.lock`),
    log: (unit: string) => path.join(root, 'var/log/sim', `${unit}.log`),
    unitFile: (unit: string) => path.join(root, 'etc/systemd/system', unit),
    wants: (unit: string) => path.join(root, 'etc/systemd/system/multi-user.target.wants', unit),
  };
}

export type Reload =
  /** ExecReload=/bin/kill -<signal> $MAINPID, after an optional check command (HAProxy's `-c`). */
  | { kind: 'signal'; signal: NodeJS.Signals; check?: string[] }
  /** A unit file's ExecReload, run by /bin/sh with MAINPID set. */
  | { kind: 'command'; command: string };

export interface UnitSpec {
  unit: string;
  argv: string[];
  /** Type=notify: the start waits for this file (the stand-in's READY=1). */
  readyFile?: string;
  /** A pid file the daemon writes once it runs: the start waits for it. */
  daemonPidFile?: string;
  /** Otherwise the start waits this long and fails if the process has exited by then. */
  settleMs: number;
  startTimeoutMs: number;
  /** ExecStartPre= that must succeed (configuration checks). */
  preStart: string[][];
  reload?: Reload;
  /** ExecCondition of the RKE2 units: refuse to start while one of these is active. */
  conflicts: string[];
  /** ConditionFileNotEmpty=: a start is skipped (no error) when this file is missing or empty. */
  conditionFileNotEmpty?: string;
  /** EnvironmentFile=- (optional files). */
  environmentFiles: string[];
  environment: Record<string, string>;
}

export interface UnitContext {
  root: string;
  /** The oneke binary and the VM's context file, for oneke-vnf-sync.service. */
  oneke?: string;
  context?: string;
}

const START_TIMEOUT_MS = Number(process.env.ONEKE_SIM_START_TIMEOUT_MS ?? '') || 10 * 60_000;

function spec(unit: string, partial: Partial<UnitSpec> & { argv: string[] }): UnitSpec {
  return { unit, settleMs: 300, startTimeoutMs: START_TIMEOUT_MS, preStart: [], conflicts: [], environmentFiles: [], environment: {}, ...partial };
}

/** A unit file under ROOT: ExecStart, ExecStartPre, ExecReload, Type (a small subset of systemd's). */
function fromUnitFile(unit: string, text: string): UnitSpec | undefined {
  const values = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] ?? '';
      continue;
    }
    const eq = line.indexOf('=');
    if (section !== 'Service' || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    values.set(key, [...(values.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  const start = values.get('ExecStart')?.[0];
  if (!start) return undefined;
  const words = (command: string) => command.replace(/^[-@+!]+/, '').split(/\s+/).filter((w) => w !== '');
  const reload = values.get('ExecReload')?.[0];
  return spec(unit, {
    argv: words(start),
    preStart: (values.get('ExecStartPre') ?? []).map(words),
    ...(reload ? { reload: { kind: 'command', command: reload.replace(/^[-@+!]+/, '') } } : {}),
  });
}

function unitFileText(root: string, unit: string): string | undefined {
  for (const dir of ['etc/systemd/system', 'lib/systemd/system', 'usr/lib/systemd/system']) {
    const file = path.join(root, dir, unit);
    try {
      if (fs.lstatSync(file).isSymbolicLink() && fs.readlinkSync(file) === '/dev/null') continue;
      return fs.readFileSync(file, 'utf8');
    } catch {
      // Not there.
    }
  }
  return undefined;
}

/** The unit's definition on this VM, or undefined when systemd would not know it. */
export function unitSpec(unit: string, context: UnitContext): UnitSpec | undefined {
  const { root } = context;
  const sim = simPaths(root);
  const node = process.execPath;
  switch (unit) {
    case 'rke2-server.service':
    case 'rke2-agent.service': {
      const role = unit === 'rke2-server.service' ? 'server' : 'agent';
      const other = role === 'server' ? 'rke2-agent.service' : 'rke2-server.service';
      return spec(unit, {
        argv: [node, STANDIN_TS, role, '--root', root],
        readyFile: path.join(root, 'run/rke2-standin', `${role}.ready`),
        conflicts: [other],
        environmentFiles: [path.join(root, 'etc/default', `rke2-${role}`), path.join(root, 'etc/sysconfig', `rke2-${role}`)],
      });
    }
    case 'keepalived.service':
      return spec(unit, {
        argv: [
          'keepalived', '-n', '-l', '-D',
          '-f', path.join(root, 'etc/keepalived/keepalived.conf'),
          '-p', path.join(sim.dir, 'keepalived.pid'),
          '-r', path.join(sim.dir, 'keepalived-vrrp.pid'),
          '-c', path.join(sim.dir, 'keepalived-checkers.pid'),
        ],
        daemonPidFile: path.join(sim.dir, 'keepalived.pid'),
        conditionFileNotEmpty: path.join(root, 'etc/keepalived/keepalived.conf'),
        reload: { kind: 'signal', signal: 'SIGHUP' },
      });
    case 'haproxy.service': {
      const cfg = path.join(root, 'etc/haproxy/haproxy.cfg');
      return spec(unit, {
        argv: ['haproxy', '-W', '-db', '-f', cfg, '-p', path.join(sim.dir, 'haproxy.pid')],
        daemonPidFile: path.join(sim.dir, 'haproxy.pid'),
        preStart: [['haproxy', '-c', '-q', '-f', cfg]],
        reload: { kind: 'signal', signal: 'SIGUSR2', check: ['haproxy', '-c', '-q', '-f', cfg] },
      });
    }
    case 'unbound.service': {
      // Debian's unit: `unbound -d -p` in the foreground, the configuration checked first.
      const conf = path.join(root, 'etc/unbound/unbound.conf');
      return spec(unit, {
        argv: ['unbound', '-d', '-p', '-c', conf],
        preStart: [['unbound-checkconf', conf]],
        settleMs: 500,
        reload: { kind: 'signal', signal: 'SIGHUP' },
      });
    }
    case 'oneke-vnf-sync.service': {
      if (!context.oneke || !context.context) return undefined;
      return spec(unit, { argv: [context.oneke, '--root', root, '--context', context.context, 'vnf', 'sync'], settleMs: 500 });
    }
    default: {
      const text = unitFileText(root, unit);
      return text === undefined ? undefined : fromUnitFile(unit, text);
    }
  }
}

// ---- processes --------------------------------------------------------------------------------

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  state: string;
  startTime: string;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0] ?? '', ppid: Number(fields[1]), pgrp: Number(fields[2]), session: Number(fields[3]), startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcStat[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => procStat(Number(name)))
    .filter((p): p is ProcStat => p !== undefined);
}

export function alive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** The unit's main pid while it runs (same process as started: its start time matches), else undefined. */
export function mainPid(root: string, unit: string): number | undefined {
  const sim = simPaths(root);
  let pid: number;
  let start: string;
  try {
    pid = Number(fs.readFileSync(sim.pid(unit), 'utf8').trim());
    start = fs.readFileSync(sim.start(unit), 'utf8').trim();
  } catch {
    return undefined;
  }
  const stat = procStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X' || stat.startTime !== start) return undefined;
  return pid;
}

export function isActive(root: string, unit: string): boolean {
  return mainPid(root, unit) !== undefined;
}

/** Every process of a unit: its session and process group (its "cgroup"), and their descendants. */
function unitProcesses(leader: number): number[] {
  const processes = allProcesses();
  const members = new Set(processes.filter((p) => p.session === leader || p.pgrp === leader || p.pid === leader).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of processes) {
      if (!members.has(p.pid) && members.has(p.ppid)) {
        members.add(p.pid);
        grew = true;
      }
    }
  }
  return [...members].filter((pid) => pid !== process.pid);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

function forget(root: string, unit: string): void {
  const sim = simPaths(root);
  fs.rmSync(sim.pid(unit), { force: true });
  fs.rmSync(sim.start(unit), { force: true });
}

/**
 * Stops a unit like KillMode=mixed: SIGTERM to the main process (daemons stop their own children),
 * then SIGKILL to whatever of the unit is left after `timeoutMs`.
 */
export async function stopUnit(root: string, unit: string, timeoutMs = 10_000): Promise<void> {
  const pid = mainPid(root, unit);
  if (pid !== undefined) {
    const members = unitProcesses(pid);
    signal(pid, 'SIGTERM');
    await waitGone([pid], timeoutMs);
    const left = [...new Set([...members, ...unitProcesses(pid)])].filter(alive);
    for (const p of left) signal(p, 'SIGKILL');
    await waitGone(left, 5000);
  }
  forget(root, unit);
}

export function readEnvironmentFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (!m || raw.trim().startsWith('#')) continue;
    let value = (m[2] ?? '').trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    env[m[1] as string] = value;
  }
  return env;
}

/** A clean environment like systemd's, plus the test knobs (ONEKE_*) and the unit's environment files. */
function unitEnvironment(spec: UnitSpec, root: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    HOME: '/root',
  };
  for (const [name, value] of Object.entries(process.env)) if (name.startsWith('ONEKE_') && value !== undefined) env[name] = value;
  // Units that call systemctl themselves (oneke vnf sync reloads HAProxy) use this VM's.
  const wrapper = simPaths(root).wrapper;
  if (fs.existsSync(wrapper)) env.ONEKE_SYSTEMCTL = wrapper;
  for (const file of spec.environmentFiles) Object.assign(env, readEnvironmentFile(file));
  return { ...env, ...spec.environment };
}

export interface StartResult {
  ok: boolean;
  /** For people, on stderr when not ok. */
  message?: string;
  /** Skipped on a condition (not an error for systemd). */
  skipped?: boolean;
}

function tail(file: string, lines = 8): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function runCheck(argv: string[], env: Record<string, string>, logFile: string): Promise<boolean> {
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', out, out], env });
    fs.closeSync(out);
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** Starts the unit's process detached and waits as systemd would for its type; a running unit is left alone. */
export async function startUnit(spec: UnitSpec, root: string): Promise<StartResult> {
  const sim = simPaths(root);
  if (isActive(root, spec.unit)) return { ok: true };
  if (spec.conditionFileNotEmpty !== undefined) {
    const size = fs.statSync(spec.conditionFileNotEmpty, { throwIfNoEntry: false })?.size ?? 0;
    if (size === 0) return { ok: true, skipped: true, message: `${spec.unit}: condition ConditionFileNotEmpty=${spec.conditionFileNotEmpty} not met, start skipped` };
  }
  for (const other of spec.conflicts) {
    if (isActive(root, other)) {
      const what = other.replace(/\.service$/, '');
      return { ok: false, message: `Error: ${what} is running!\n${spec.unit}: ExecCondition failed, the unit was not started.` };
    }
  }
  fs.mkdirSync(sim.dir, { recursive: true });
  fs.mkdirSync(path.dirname(sim.log(spec.unit)), { recursive: true });
  const env = unitEnvironment(spec, root);
  const logFile = sim.log(spec.unit);
  fs.appendFileSync(logFile, `-- sim: ${new Date().toISOString()} starting ${spec.unit}: ${spec.argv.join(' ')}\n`);
  for (const check of spec.preStart) {
    if (!(await runCheck(check, env, logFile))) {
      return { ok: false, message: `Job for ${spec.unit} failed because the control process exited with error code.\nExecStartPre=${check.join(' ')} failed; see ${logFile}\n${tail(logFile)}` };
    }
  }
  if (spec.readyFile) fs.rmSync(spec.readyFile, { force: true });
  if (spec.daemonPidFile) fs.rmSync(spec.daemonPidFile, { force: true });

  const out = fs.openSync(logFile, 'a');
  // detached: a session of its own, which is what the unit's processes are found and killed by.
  const child = spawn(spec.argv[0] as string, spec.argv.slice(1), { detached: true, stdio: ['ignore', out, out], env, cwd: '/' });
  fs.closeSync(out);
  let exit: string | undefined;
  child.once('error', (error) => {
    exit = `could not run ${spec.argv[0]}: ${error.message}`;
  });
  child.once('exit', (code, sig) => {
    exit = sig ? `killed by ${sig}` : `exited with code ${code}`;
  });
  if (child.pid === undefined) {
    await sleep(10);
    return { ok: false, message: `Failed to start ${spec.unit}: ${exit ?? 'no process'}` };
  }
  const pid = child.pid;
  const stat = procStat(pid);
  fs.writeFileSync(sim.pid(spec.unit), `${pid}\n`);
  fs.writeFileSync(sim.start(spec.unit), `${stat?.startTime ?? ''}\n`);

  const failed = (why: string): StartResult => {
    // A failed start leaves nothing behind (systemd cleans the unit's cgroup).
    for (const p of unitProcesses(pid)) signal(p, 'SIGKILL');
    forget(root, spec.unit);
    return { ok: false, message: `Job for ${spec.unit} failed because the control process exited with error code (${why}).\nSee ${logFile} for details:\n${tail(logFile)}` };
  };

  const deadline = Date.now() + (spec.readyFile || spec.daemonPidFile ? spec.startTimeoutMs : spec.settleMs);
  for (;;) {
    if (exit !== undefined) return failed(exit);
    if (spec.readyFile && fs.existsSync(spec.readyFile)) break;
    if (!spec.readyFile && spec.daemonPidFile && fs.existsSync(spec.daemonPidFile)) break;
    if (Date.now() >= deadline) {
      if (spec.readyFile || spec.daemonPidFile) {
        signal(pid, 'SIGTERM');
        await waitGone([pid], 5000);
        return failed(`no readiness within ${Math.round(spec.startTimeoutMs / 1000)} s`);
      }
      break;
    }
    await sleep(50);
  }
  child.unref();
  return { ok: true };
}

export async function reloadUnit(spec: UnitSpec, root: string): Promise<StartResult> {
  const pid = mainPid(root, spec.unit);
  if (pid === undefined) return { ok: false, message: `Failed to reload ${spec.unit}: Unit ${spec.unit} is not active.` };
  const reload = spec.reload;
  if (!reload) return { ok: false, message: `Failed to reload ${spec.unit}: Job type reload is not applicable for unit ${spec.unit}.` };
  const logFile = simPaths(root).log(spec.unit);
  const env = unitEnvironment(spec, root);
  fs.appendFileSync(logFile, `-- sim: ${new Date().toISOString()} reloading ${spec.unit}\n`);
  if (reload.kind === 'signal') {
    if (reload.check && !(await runCheck(reload.check, env, logFile))) {
      return { ok: false, message: `Job for ${spec.unit} failed because the control process exited with error code.\n${reload.check.join(' ')} failed:\n${tail(logFile)}` };
    }
    signal(pid, reload.signal);
    return { ok: true };
  }
  const ok = await runCheck(['/bin/sh', '-c', reload.command], { ...env, MAINPID: String(pid) }, logFile);
  return ok ? { ok: true } : { ok: false, message: `Job for ${spec.unit} failed because the control process exited with error code.` };
}

// ---- the harness's side ------------------------------------------------------------------------

/**
 * A VM power-off: every unit of the VM stops (SIGTERM, then SIGKILL after `graceMs`; at once with
 * `hard`), then any process still running with the VM's root in its command line (its oneke runs,
 * a systemctl waiting on a start). Runtime state under /run goes, as on a real reboot.
 */
export async function stopAllUnits(root: string, options: { hard?: boolean; graceMs?: number } = {}): Promise<void> {
  const sim = simPaths(root);
  let units: string[] = [];
  try {
    units = fs.readdirSync(sim.dir).filter((f) => /\.(service|socket|timer)\.pid$/.test(f)).map((f) => f.slice(0, -'.pid'.length));
  } catch {
    // Nothing ever ran.
  }
  const leaders = units.map((unit) => mainPid(root, unit)).filter((pid): pid is number => pid !== undefined);
  const members = [...new Set(leaders.flatMap(unitProcesses))];
  if (!options.hard) {
    for (const pid of leaders) signal(pid, 'SIGTERM');
    await waitGone(leaders, options.graceMs ?? 5000);
  }
  const marker = path.resolve(root);
  const strays = allProcesses()
    .map((p) => p.pid)
    .filter((pid) => pid !== process.pid && commandLine(pid).some((arg) => arg === marker || arg.startsWith(`${marker}/`) || arg.includes(`=${marker}/`)));
  const rest = [...new Set([...members, ...leaders.flatMap(unitProcesses), ...strays])].filter(alive);
  for (const pid of rest) signal(pid, 'SIGKILL');
  await waitGone(rest, 5000);
  for (const unit of units) forget(root, unit);
  for (const file of ['haproxy.pid', 'keepalived.pid', 'keepalived-vrrp.pid', 'keepalived-checkers.pid']) fs.rmSync(path.join(sim.dir, file), { force: true });
  fs.rmSync(path.join(root, 'run/rke2-standin'), { recursive: true, force: true });
  try {
    for (const f of fs.readdirSync(sim.dir)) if (f.endsWith('.lock')) fs.rmSync(path.join(sim.dir, f), { recursive: true, force: true });
  } catch {
    // No folder.
  }
}

function commandLine(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return [];
  }
}

const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

export interface WrapperOptions {
  root: string;
  /** The Node.js that runs systemctl.ts (24+, for type stripping). */
  node: string;
  oneke?: string;
  context?: string;
  /** Extra environment for every call (and so for the units), e.g. ONEKE_STANDIN_JOIN_MS. */
  env?: Record<string, string>;
}

/** Writes ROOT/run/sim/systemctl, the VM's systemctl for ONEKE_SYSTEMCTL, and returns its path. */
export function writeSystemctlWrapper(options: WrapperOptions): string {
  const sim = simPaths(options.root);
  fs.mkdirSync(sim.dir, { recursive: true });
  const args = [quote(options.node), quote(SYSTEMCTL_TS), '--root', quote(path.resolve(options.root))];
  if (options.oneke) args.push('--oneke', quote(options.oneke));
  if (options.context) args.push('--context', quote(options.context));
  const exports = Object.entries(options.env ?? {}).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not an environment variable name: ${name}`);
    return `export ${name}=${quote(value)}\n`;
  });
  const text = `#!/bin/sh\n# The simulated systemctl of the VM at ${options.root} (test/e2e/sim/systemctl.ts).\n${exports.join('')}exec ${args.join(' ')} "$@"\n`;
  const temp = `${sim.wrapper}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o755 });
  fs.renameSync(temp, sim.wrapper);
  return sim.wrapper;
}

/** The calls made to a VM's systemctl so far, as `<op> <unit>` lines. */
export function readCalls(root: string): string[] {
  try {
    return fs.readFileSync(simPaths(root).calls, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}
