// A simulated systemctl for one VM of the end-to-end tests:
//   node test/e2e/sim/systemctl.ts --root ROOT [--oneke BIN --context FILE] <operation> <unit>
// run inside the VM's network namespace (through the wrapper that writeSystemctlWrapper writes, set as
// ONEKE_SYSTEMCTL). Units run as detached processes (units.ts); exit codes and messages follow
// systemctl's: 0 done, 1 failed, 3 inactive (is-active), 5 unknown unit.

import fs from 'node:fs';
import path from 'node:path';
import { isActive, mainPid, reloadUnit, simPaths, startUnit, stopUnit, unitSpec, type StartResult, type UnitContext, type UnitSpec } from './units.ts';

const OPERATIONS = ['start', 'stop', 'restart', 'reload', 'reload-or-restart', 'try-restart', 'mask', 'unmask', 'enable', 'disable', 'is-active', 'is-enabled', 'status', 'daemon-reload'];

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: systemctl.ts --root ROOT [--oneke BIN --context FILE] <operation> <unit>\n`);
  process.exit(1);
}

const argv = process.argv.slice(2);
const context: UnitContext = { root: '' };
const positional: string[] = [];
let quiet = false;
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i] as string;
  const value = (): string => argv[++i] ?? usage(`${arg} needs a value`);
  if (arg === '--root') context.root = path.resolve(value());
  else if (arg === '--oneke') context.oneke = value();
  else if (arg === '--context') context.context = value();
  else if (arg === '--quiet' || arg === '-q') quiet = true;
  else if (arg === '--no-block' || arg === '--no-pager' || arg === '--now') continue;
  else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
  else positional.push(arg);
}
if (!context.root) usage('--root is required');
const [operation, rawUnit] = positional;
if (!operation) usage('an operation is required');
if (!OPERATIONS.includes(operation)) {
  process.stderr.write(`Unknown command verb ${operation}.\n`);
  process.exit(1);
}

const sim = simPaths(context.root);
fs.mkdirSync(sim.dir, { recursive: true });

if (operation === 'daemon-reload') {
  fs.appendFileSync(sim.calls, 'daemon-reload\n');
  process.exit(0);
}
if (!rawUnit) usage(`${operation} needs a unit`);
// `systemctl start haproxy` means haproxy.service.
const unit = /\.(service|socket|timer|target|mount|path)$/.test(rawUnit) ? rawUnit : `${rawUnit}.service`;
fs.appendFileSync(sim.calls, `${operation} ${unit}\n`);

function say(text: string | undefined): void {
  if (text && !quiet) process.stderr.write(`${text}\n`);
}

/** The exit code of a start-like operation, its message on stderr. */
function outcome(result: StartResult): number {
  if (!result.ok) {
    process.stderr.write(`${result.message ?? `${operation} ${unit} failed`}\n`);
    return 1;
  }
  if (result.skipped) say(result.message);
  return 0;
}

function isMasked(): boolean {
  try {
    return fs.readlinkSync(sim.unitFile(unit)) === '/dev/null';
  } catch {
    return false;
  }
}

/** Serialises the operations that change a unit's state (configure and the VNF sync may reload at once). */
async function withLock<T>(task: () => Promise<T>): Promise<T> {
  const lock = sim.lock(unit);
  const deadline = Date.now() + 11 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), `${process.pid}\n`);
      break;
    } catch {
      const owner = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }).trim());
      let ownerAlive = false;
      if (owner > 0) {
        try {
          process.kill(owner, 0);
          ownerAlive = true;
        } catch {
          ownerAlive = false;
        }
      }
      // A lock left by a killed call, or one half made a moment ago (no pid yet: give it a little time).
      if (owner > 0 && !ownerAlive) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) usage(`timed out waiting for another operation on ${unit}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await task();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

async function start(spec: UnitSpec): Promise<StartResult> {
  if (isMasked()) return { ok: false, message: `Failed to start ${unit}: Unit ${unit} is masked.` };
  return startUnit(spec, context.root);
}

async function main(): Promise<number> {
  switch (operation) {
    case 'is-active': {
      const active = isActive(context.root, unit);
      if (!quiet) process.stdout.write(`${active ? 'active' : 'inactive'}\n`);
      return active ? 0 : 3;
    }
    case 'is-enabled': {
      const state = isMasked() ? 'masked' : fs.existsSync(sim.wants(unit)) ? 'enabled' : 'disabled';
      if (!quiet) process.stdout.write(`${state}\n`);
      return state === 'enabled' ? 0 : 1;
    }
    case 'mask': {
      const file = sim.unitFile(unit);
      const stat = fs.lstatSync(file, { throwIfNoEntry: false });
      if (stat && !stat.isSymbolicLink()) {
        process.stderr.write(`Failed to mask unit: File ${file} already exists.\n`);
        return 1;
      }
      if (!isMasked()) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.rmSync(file, { force: true });
        fs.symlinkSync('/dev/null', file);
        say(`Created symlink /etc/systemd/system/${unit} → /dev/null.`);
      }
      return 0;
    }
    case 'unmask':
      if (isMasked()) {
        fs.rmSync(sim.unitFile(unit));
        say(`Removed "/etc/systemd/system/${unit}".`);
      }
      return 0;
  }

  const spec = unitSpec(unit, context);
  if (!spec) {
    process.stderr.write(`Failed to ${operation} ${unit}: Unit ${unit} not found.\n`);
    return 5;
  }
  switch (operation) {
    case 'enable':
      fs.mkdirSync(path.dirname(sim.wants(unit)), { recursive: true });
      if (!fs.existsSync(sim.wants(unit))) fs.symlinkSync(`/lib/systemd/system/${unit}`, sim.wants(unit));
      return 0;
    case 'disable':
      fs.rmSync(sim.wants(unit), { force: true });
      return 0;
    case 'status': {
      const pid = mainPid(context.root, unit);
      process.stdout.write(`${unit}\n   Active: ${pid === undefined ? 'inactive (dead)' : `active (running), Main PID: ${pid}`}\n`);
      return pid === undefined ? 3 : 0;
    }
    case 'start':
      return outcome(await withLock(() => start(spec)));
    case 'stop':
      await withLock(() => stopUnit(context.root, unit));
      return 0;
    case 'restart':
      return outcome(
        await withLock(async () => {
          if (isMasked()) return { ok: false, message: `Failed to restart ${unit}: Unit ${unit} is masked.` };
          await stopUnit(context.root, unit);
          return start(spec);
        }),
      );
    case 'try-restart':
      return outcome(
        await withLock(async () => {
          if (!isActive(context.root, unit)) return { ok: true };
          await stopUnit(context.root, unit);
          return start(spec);
        }),
      );
    case 'reload':
      return outcome(await withLock(() => reloadUnit(spec, context.root)));
    case 'reload-or-restart':
      return outcome(
        await withLock(async () => {
          if (isActive(context.root, unit) && spec.reload) return reloadUnit(spec, context.root);
          if (isMasked()) return { ok: false, message: `Failed to reload-or-restart ${unit}: Unit ${unit} is masked.` };
          await stopUnit(context.root, unit);
          return start(spec);
        }),
      );
    default:
      process.stderr.write(`Unknown command verb ${operation}.\n`);
      return 1;
  }
}

process.exit(await main());
