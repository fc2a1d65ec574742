// Reliability, issue 11 item 10: a status record that is garbage or JSON of the wrong shape is
// treated as absent: `status` answers, `configure` runs and rebuilds it, the damaged text is kept
// aside as oneke-status.json.damaged and the log says so. Never exit 70.

import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { NodeHost } from '../../src/host/node-host.ts';
import { DAMAGED_RECORD_FILE, parseStatusRecord, readStatusRecord, setStepState, STATUS_RECORD_FILE } from '../../src/status/status.ts';
import { BINARY, contextSh } from '../support/binary.ts';
import { tempRoot } from '../support/temp-root.ts';

const DAMAGED = [
  '{"steps":null}',
  '{"version":"1","steps":{"configure":null}}',
  '{"version":"1","steps":{"configure":{"state":"weird","startedAt":"x"}}}',
  '{"version":"1","steps":[]}',
  '[]',
  'null',
  '42',
  '{"version":1,"steps":{}}',
  '\u0000\u0001garbage',
  '{"version":"1","steps":{"configure":{"state":"success","startedAt":7}}}',
];

const oneke = (args: string[]) => execa(BINARY, args, { reject: false, env: {}, extendEnv: false, stdin: 'ignore' });

describe('a damaged status record', () => {
  test.each(DAMAGED)('%j is not taken for a record', (text) => {
    expect(parseStatusRecord(text)).toBeUndefined();
  });

  test('a sound record still parses', () => {
    const text = '{"version":"1","role":"master","steps":{"configure":{"state":"success","startedAt":"a","finishedAt":"b"}}}';
    expect(parseStatusRecord(text)).toEqual(JSON.parse(text));
  });

  test('the next step rebuilds it, keeps the damaged text aside and says so', async () => {
    const root = await tempRoot({ [STATUS_RECORD_FILE]: '{"steps":null}' });
    const host = new NodeHost(root);
    expect(await readStatusRecord(host)).toBeUndefined();
    const said: string[] = [];
    await setStepState(host, '1', 'configure', 'started', { onDamaged: (m) => said.push(m) });
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('.damaged');
    expect(await host.readFile(DAMAGED_RECORD_FILE)).toBe('{"steps":null}');
    expect((await readStatusRecord(host))?.steps.configure?.state).toBe('started');
  });

  test.each(['{"steps":null}', 'garbage'])('dist/oneke status and configure with %j: no internal error', async (text) => {
    const root = await tempRoot({ [STATUS_RECORD_FILE]: text, '/etc/one-appliance/status': 'configure_success\n' });
    const status = await oneke(['--root', root, 'status']);
    expect([status.exitCode, status.stderr]).toEqual([0, '']);
    expect(status.stdout).toContain('configure_success');
    const json = await oneke(['--root', root, 'status', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ status: 'configure_success', steps: {} });

    const context = path.join(await tempRoot(), 'context.sh');
    await fs.writeFile(context, contextSh({ ONEAPP_K8S_SERVICE_CIDR: 'nonsense' }));
    const configure = await oneke(['--root', root, '--context', context, 'configure']);
    expect(configure.exitCode).toBe(2);
    expect(configure.stderr).not.toContain('internal error');
    expect(configure.stderr).toContain('.damaged');
    expect(await fs.readFile(path.join(root, 'etc/one-appliance/oneke-status.json.damaged'), 'utf8')).toBe(text);
    const after = await oneke(['--root', root, 'status', '--json']);
    expect(JSON.parse(after.stdout)).toMatchObject({ status: 'configure_failure', steps: { configure: { state: 'failure' } } });
  });
});
