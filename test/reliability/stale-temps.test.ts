// Reliability, issue 11 item 17: a run killed with SIGKILL leaves `.oneke-status.json.<hex>.tmp`
// (and `.part` downloads) behind. Later runs remove their own stale temp files, only those that
// match our naming pattern and are old enough that no live writer can own them.

import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { NodeHost, removeStaleTemps } from '../../src/host/node-host.ts';
import { BINARY, contextSh } from '../support/binary.ts';
import { tempRoot } from '../support/temp-root.ts';

const HOUR_AGO = new Date(Date.now() - 3_600_000);

async function plant(dir: string, names: string[], old: boolean): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const name of names) {
    await fs.writeFile(path.join(dir, name), 'half a file');
    if (old) await fs.utimes(path.join(dir, name), HOUR_AGO, HOUR_AGO);
  }
}

const STALE = ['.oneke-status.json.0123456789ab.tmp', '.motd.a1b2c3d4e5f6.tmp', '.rke2.tar.gz.00ff00ff00ff.part'];
const NOT_OURS = ['.oneke-status.json.tmp', 'notes.0123456789ab.tmp', '.x.0123456789AB.tmp', '.y.0123456789ab.tmp.keep'];
const YOUNG = ['.status.ffffffffffff.tmp'];

describe('stale temp files', () => {
  test('removeStaleTemps removes only our old ones', async () => {
    const dir = await tempRoot();
    await plant(dir, [...STALE, ...NOT_OURS], true);
    await plant(dir, YOUNG, false);
    expect((await removeStaleTemps(dir)).sort()).toEqual([...STALE].sort());
    expect((await fs.readdir(dir)).sort()).toEqual([...NOT_OURS, ...YOUNG].sort());
  });

  test('a write into a folder clears the temp files a killed run left there', async () => {
    const root = await tempRoot();
    const dir = path.join(root, 'etc/one-appliance');
    await plant(dir, STALE.slice(0, 1), true);
    await new NodeHost(root).writeFile('/etc/one-appliance/status', 'x\n', 0o644);
    expect(await fs.readdir(dir)).toEqual(['status']);
  });

  test('dist/oneke configure after a kill -9: the old temp files are gone', async () => {
    const root = await tempRoot();
    await plant(path.join(root, 'etc/one-appliance'), ['.oneke-status.json.0123456789ab.tmp', '.status.0123456789ab.tmp'], true);
    await plant(path.join(root, 'etc'), ['.motd.0123456789ab.tmp'], true);
    const context = path.join(await tempRoot(), 'context.sh');
    await fs.writeFile(context, contextSh({ ONEAPP_K8S_SERVICE_CIDR: 'nonsense' }));
    const result = await execa(BINARY, ['--root', root, '--context', context, 'configure'], { reject: false, env: {}, extendEnv: false, stdin: 'ignore' });
    expect(result.exitCode).toBe(2);
    expect((await fs.readdir(path.join(root, 'etc/one-appliance'))).sort()).toEqual(['oneke-status.json', 'status']);
    expect((await fs.readdir(path.join(root, 'etc'))).sort()).toEqual(['motd', 'one-appliance']);
  });
});
