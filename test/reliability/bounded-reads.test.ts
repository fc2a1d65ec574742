// Reliability, issue 11 items 7 and 8: every read from outside is bounded and nothing blocks on a
// file that is not a regular one. `--context /dev/zero` and a FIFO fail at once with exit 2; an
// endless OneGate body is abandoned at the limit (memory stays bounded) with one clear error.

import { execa } from 'execa';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { loadContext } from '../../src/context/index.ts';
import { ContextError, OneGateError } from '../../src/errors.ts';
import { READ_LIMITS, readRegularFile } from '../../src/host/bounded-read.ts';
import { readSha256Sums } from '../../src/install/index.ts';
import { createOneGateClient } from '../../src/onegate/client.ts';
import { BINARY } from '../support/binary.ts';
import { tempRoot } from '../support/temp-root.ts';

const oneke = (args: string[]) => execa(BINARY, args, { reject: false, env: {}, extendEnv: false, stdin: 'ignore', timeout: 60_000 });

/** A server whose every answer is 200 with a body that never ends; counts the bytes it sent. */
async function endlessServer(): Promise<{ url: string; sent: () => number }> {
  let sent = 0;
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"VM":');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('close', () => undefined);
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent: () => sent };
}

describe('bounded reads', () => {
  test('--context /dev/zero: exit 2 with one line, before any step', async () => {
    const root = await tempRoot();
    for (const command of ['validate', 'configure']) {
      const result = await oneke(['--root', root, '--context', '/dev/zero', command]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('/dev/zero');
    }
    expect(await fs.readdir(root)).toEqual([]); // configure_started was never written
  });

  test('a FIFO as context: exit 2 at once, nothing written, the writer end never opened', async () => {
    const root = await tempRoot();
    const fifo = path.join(await tempRoot(), 'context.sh');
    await execa('mkfifo', [fifo]);
    const result = await oneke(['--root', root, '--context', fifo, 'configure']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('FIFO');
    expect(await fs.readdir(root)).toEqual([]);
  });

  test('a FIFO or a device where one-contextd keeps the context is refused too (no --context)', async () => {
    const root = await tempRoot();
    await fs.mkdir(path.join(root, 'var/run/one-context'), { recursive: true });
    await execa('mkfifo', [path.join(root, 'var/run/one-context/context.sh.local')]);
    const error = await loadContext({ root }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ContextError);
    expect((error as ContextError).message).toContain('is a FIFO, not a regular file');
  });

  test('a context file larger than the limit is refused, naming the limit', async () => {
    const dir = await tempRoot();
    const file = path.join(dir, 'context.sh');
    await fs.writeFile(file, `A='${'x'.repeat(READ_LIMITS.context)}'\n`);
    const error = await loadContext({ root: dir, file }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ContextError);
    expect((error as ContextError).message).toContain(`limit of ${READ_LIMITS.context} bytes`);
  });

  test('a file that claims a small size but streams without end is cut at the limit', async () => {
    await expect(readRegularFile('/dev/zero', 1024)).rejects.toMatchObject({ code: 'ENOTREG' });
    const dir = await tempRoot();
    const file = path.join(dir, 'f');
    await fs.writeFile(file, Buffer.alloc(2048));
    await expect(readRegularFile(file, 1024)).rejects.toMatchObject({ code: 'EFBIG' });
    expect((await readRegularFile(file, 2048)).length).toBe(2048);
  });

  test('an endless OneGate body fails once, at the limit, without growing memory', async () => {
    const server = await endlessServer();
    const client = createOneGateClient({ endpoint: server.url, vmId: 1, token: 'token-1234567890', retry: { attempts: 3, initialMs: 10, maxMs: 20, deadlineMs: 60_000 }, timeoutMs: 60_000 });
    onTestFinished(() => client.close());
    const error = await client.vmShow().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OneGateError);
    expect((error as OneGateError).message).toContain(`limit of ${READ_LIMITS.oneGateBody} bytes`);
    expect(client.stats().requests['GET /vm']).toBe(1); // not retried: the answer will not shrink
    // The server could push at most the limit plus what sat in socket buffers when we stopped.
    expect(server.sent()).toBeLessThan(READ_LIMITS.oneGateBody * 2);
  });

  test('a checksum list that is a device is refused as input', async () => {
    await expect(readSha256Sums('/dev/zero')).rejects.toMatchObject({ code: 'ONEKE_CONFIG_INVALID', exitCode: 2 });
  });
});
