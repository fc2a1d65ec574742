// Reliability, issue 11 item 2: text from outside (a OneGate error body, values peers publish,
// commands' output, a status file) reaches no terminal raw. One function (src/log/safe-text.ts)
// escapes it where it is printed or written for people: CLI errors, console log lines, the JSON log,
// /etc/motd, the status record, `oneke status`, `oneke clean` and `oneke plan`.

import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { readableLine } from '../../src/log/logger.ts';
import { safeJson, safeText } from '../../src/log/safe-text.ts';
import { renderMotd } from '../../src/status/status.ts';
import { contextSh } from '../support/binary.ts';
import { tempRoot } from '../support/temp-root.ts';

/** ESC sequences (clear screen, retitle the terminal), BEL, CR, a line break, C1 CSI, a bidi override. */
const HOSTILE = 'boom\u001b[2J\u001b]0;owned\u0007\rFAKE: all fine\nsecond line\u009b31m\u202eevil';
/** What must not be in any output: the raw control and invisible characters. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

function withoutLineBreaks(text: string): string {
  return text.replaceAll('\n', '');
}

async function hostileOneGate(): Promise<string> {
  const server = http.createServer((_request, response) => {
    response.writeHead(403, { 'content-type': 'text/plain' });
    response.end(HOSTILE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('outside text is escaped at every sink', () => {
  test('a OneGate error body: stderr, motd, status record and log hold no raw control character', async () => {
    const dir = await tempRoot();
    const root = path.join(dir, 'root');
    await fs.mkdir(root);
    const context = path.join(dir, 'context.sh');
    await fs.writeFile(context, contextSh({ ONEGATE_ENDPOINT: await hostileOneGate(), VMID: '1', TOKENTXT: 'token-1234' }));
    let stderr = '';
    const code = await runCli(['node', 'oneke', '--root', root, '--log-level', 'info', '--context', context, 'configure'], {
      out: () => undefined,
      err: (text) => void (stderr += text),
    });
    expect(code).toBe(1);
    expect(stderr).toContain('HTTP 403');
    expect(stderr).toContain('boom\\e[2J');
    const files = await Promise.all(['etc/motd', 'etc/one-appliance/oneke-status.json', 'var/log/one-appliance/configure.log'].map((file) => fs.readFile(path.join(root, file), 'utf8')));
    expect(files[0]).toContain('boom\\e[2J');
    for (const text of [stderr, ...files]) expect(withoutLineBreaks(text)).not.toMatch(RAW);
    // The record is still JSON with the text in it.
    expect(JSON.parse(files[1] as string).steps.configure.error).toContain('boom\u001b[2J');
  });

  test('a console log line carrying a peer value is one escaped line', () => {
    const line = readableLine(`${JSON.stringify({ level: 30, time: '2026-01-01T00:00:00.000Z', msg: `waiting for master ${HOSTILE}`, peer: HOSTILE })}\n`);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\n\r\u001b\u0007\u009b\u202e]/);
    expect(line).toContain('\\e]0;owned\\x07\\rFAKE');
  });

  test('the motd and `oneke status` of a status record written by someone else', async () => {
    const record = { version: '1\u001b[8m', role: `master${HOSTILE}`, steps: { configure: { state: 'failure', startedAt: `t${HOSTILE}`, finishedAt: 'x', error: HOSTILE } } };
    expect(withoutLineBreaks(renderMotd(record as never)).replaceAll('\n', '')).not.toMatch(RAW);
    const root = await tempRoot({ 'etc/one-appliance/oneke-status.json': JSON.stringify(record), 'etc/one-appliance/status': `configure_failure${HOSTILE}\n` });
    for (const extra of [[], ['--json']]) {
      let stdout = '';
      await runCli(['node', 'oneke', '--root', root, 'status', ...extra], { out: (text) => void (stdout += text), err: () => undefined });
      expect(withoutLineBreaks(stdout)).not.toMatch(RAW);
      expect(stdout).toMatch(/evil/);
    }
  });

  test('the escaping keeps text readable and JSON the same value', () => {
    expect(safeText('a\u001b[1mb\tc\nd\re\u0000')).toBe('a\\e[1mb\\tc\\nd\\re\\x00');
    expect(safeText('line 1\n\tline 2\u0007', { keepLines: true })).toBe('line 1\n\tline 2\\x07');
    expect(safeText('naïve café — ok ✓')).toBe('naïve café — ok ✓');
    const json = JSON.stringify({ text: HOSTILE });
    expect(JSON.parse(safeJson(json))).toEqual({ text: HOSTILE });
    expect(safeJson(json)).not.toMatch(RAW);
  });
});
