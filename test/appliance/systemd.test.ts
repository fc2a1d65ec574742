// The systemd units of appliance/systemd, checked with `systemd-analyze verify` (it needs no running
// systemd). verify also insists that every ExecStart binary exists, and /usr/local/bin/oneke does
// not on a test machine. So each unit is verified twice:
//  - as shipped: the only complaints allowed are about that missing binary;
//  - as a copy in a temp folder whose /usr/local/bin/oneke is replaced by an executable stand-in:
//    that copy must verify without a word.
// The rest of what the units promise (what starts when) is checked on their text.

import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { filesUnder, missing, read, REPO, tempDir, which } from './support/tools.ts';

const analyze = which('systemd-analyze');
const ONEKE = '/usr/local/bin/oneke';
const units = filesUnder('appliance/systemd').filter((f) => /\.(service|timer)$/.test(f));

/** `Key=value` lines of one [Section] of a unit. */
function section(text: string, name: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let inside = false;
  for (const line of text.split('\n')) {
    const header = /^\[(.+)\]\s*$/.exec(line);
    if (header) inside = header[1] === name;
    else if (inside && /^[A-Za-z]+=/.test(line)) {
      const [key = '', ...rest] = line.split('=');
      out.set(key, [...(out.get(key) ?? []), rest.join('=')]);
    }
  }
  return out;
}

/** Copies the units to a temp folder, the agent's path replaced by an executable stand-in. */
function standInCopies(): string {
  const dir = tempDir('units');
  const standIn = path.join(dir, 'bin/oneke');
  fs.mkdirSync(path.dirname(standIn));
  fs.writeFileSync(standIn, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  for (const unit of units) fs.writeFileSync(path.join(dir, path.basename(unit)), read(unit).replaceAll(ONEKE, standIn));
  return dir;
}

describe('the unit files', () => {
  test('are the ones the image installs', () => {
    expect(units.map((u) => path.basename(u))).toEqual(['oneke-clean.service', 'oneke-clean.timer', 'oneke-ssh-host-keys.service', 'oneke-vnf-sync.service']);
  });

  test('oneke-vnf-sync.service: the `oneke vnf sync` daemon, restarted always, never enabled at boot', () => {
    const text = read('appliance/systemd/oneke-vnf-sync.service');
    expect(section(text, 'Service').get('ExecStart')).toEqual([`${ONEKE} vnf sync`]);
    expect(section(text, 'Service').get('Restart')).toEqual(['always']);
    expect(section(text, 'Unit').get('StartLimitIntervalSec')).toEqual(['0']);
    expect(text).not.toMatch(/^\[Install\]/m);
  });

  test('oneke-clean: a oneshot `oneke clean`, only where an RKE2 server runs, every few minutes', () => {
    const service = read('appliance/systemd/oneke-clean.service');
    const timer = read('appliance/systemd/oneke-clean.timer');
    expect(section(service, 'Service').get('Type')).toEqual(['oneshot']);
    expect(section(service, 'Service').get('ExecStart')).toEqual([`${ONEKE} clean`]);
    expect(section(service, 'Unit').get('ConditionPathExists')).toEqual(['/etc/rancher/rke2/rke2.yaml']);
    expect(section(service, 'Service').has('TimeoutStartSec')).toBe(true);
    expect(service).not.toMatch(/^\[Install\]/m); // started by the timer only
    expect(section(timer, 'Timer').get('Unit')).toEqual(['oneke-clean.service']);
    const every = section(timer, 'Timer').get('OnUnitInactiveSec')?.[0] ?? '';
    expect(every).toMatch(/^\d+min$/);
    expect(Number.parseInt(every, 10)).toBeGreaterThanOrEqual(1);
    expect(Number.parseInt(every, 10)).toBeLessThanOrEqual(15);
    expect(section(timer, 'Install').get('WantedBy')).toEqual(['timers.target']);
  });

  test('no unit runs configure or bootstrap: the one-context hook is the only boot path', () => {
    for (const unit of units) {
      const commands = [...section(read(unit), 'Service')].filter(([key]) => key.startsWith('Exec')).flatMap(([, values]) => values);
      expect(commands.join('\n'), unit).not.toMatch(/oneke\s+(configure|bootstrap)/);
    }
  });
});

describe.skipIf(!analyze)(`systemd-analyze verify${analyze ? '' : ` (skipped: ${missing('systemd-analyze', 'systemd')})`}`, () => {
  test.each(units)('%s as shipped: only the missing agent binary is reported', async (unit) => {
    const result = await execa('systemd-analyze', ['verify', '--man=no', path.join(REPO, unit)], { reject: false });
    const complaints = (result.stdout + result.stderr).split('\n').filter((line) => line.trim() !== '');
    const other = complaints.filter((line) => !line.includes(`Command ${ONEKE} is not executable`));
    expect(other).toEqual([]);
  });

  test('every unit verifies cleanly with a stand-in for the agent binary', async () => {
    const dir = standInCopies();
    const result = await execa('systemd-analyze', ['verify', '--man=no', ...units.map((u) => path.join(dir, path.basename(u)))], { reject: false });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  test('the check can fail: a unit with a typo is reported', async () => {
    const dir = standInCopies();
    const broken = path.join(dir, 'oneke-vnf-sync.service');
    fs.writeFileSync(broken, fs.readFileSync(broken, 'utf8').replace('Restart=always', 'Restart=allways'));
    const result = await execa('systemd-analyze', ['verify', '--man=no', broken], { reject: false });
    expect(result.stdout + result.stderr).toMatch(/restart specifier.*allways/);
  });
});

test('the repository holds no other unit files elsewhere in appliance/', () => {
  const elsewhere = filesUnder('appliance').filter((f) => /\.(service|timer|socket|path)$/.test(f) && !f.startsWith('appliance/systemd/'));
  expect(elsewhere).toEqual([]);
  expect(fs.existsSync(path.join(REPO, 'appliance/systemd'))).toBe(true);
});
