import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createLogger, readableLine, SecretSet } from '../../../src/log/logger.ts';
import { tempRoot } from '../../support/temp-root.ts';

describe('logger', () => {
  test('writes JSON lines to the file and readable lines to the console, without secrets', async () => {
    const root = await tempRoot();
    const file = path.join(root, 'var/log/one-appliance/configure.log');
    const secrets = new SecretSet();
    secrets.add('tok-3f9a77c1', 'pa$$"w0rd');
    const consoleLines: string[] = [];
    const logger = createLogger({ level: 'debug', secrets, file, console: { write: (l) => consoleLines.push(l) }, bindings: { step: 'configure' } });

    logger.info({ token: 'by-key-only-1234' }, 'keyed secret');
    logger.info({ nested: { password: 'hunter2-by-key' } }, 'nested keyed secret');
    logger.info({ ONEKE_KUBECONFIG: 'YXBpVmVyc2lvbjog' }, 'kubeconfig');
    logger.warn(`the token tok-3f9a77c1 leaked into a message`);
    logger.info({ url: 'http://x', header: 'tok-3f9a77c1' }, 'leaked into a field');
    logger.info({ quoted: 'pa$$"w0rd' }, 'a secret with a quote');
    logger.debug('visible debug line');

    const text = await fs.readFile(file, 'utf8');
    const all = text + consoleLines.join('');
    for (const secret of ['tok-3f9a77c1', 'by-key-only-1234', 'hunter2-by-key', 'YXBpVmVyc2lvbjog', 'pa$$"w0rd', 'pa$$\\"w0rd']) {
      expect(all).not.toContain(secret);
    }
    const records = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(7);
    expect(records[0]).toMatchObject({ step: 'configure', msg: 'keyed secret', token: '[redacted]' });
    expect(records[3]?.msg).toBe('the token [redacted] leaked into a message');
    expect(consoleLines.at(-1)).toMatch(/^\d\d:\d\d:\d\d DEBUG configure: visible debug line\n$/);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  test('the level filters lines', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', secrets: new SecretSet(), console: { write: (l) => lines.push(l) } });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('WARN  shown');
  });

  test('readableLine shows extra fields and passes non-JSON through', () => {
    expect(readableLine('{"level":30,"time":"2026-11-24T10:11:12.000Z","msg":"hi","role":"master","n":3}')).toBe('10:11:12 INFO  hi role=master n=3\n');
    expect(readableLine('plain')).toBe('plain');
  });

  test('short values are not treated as secrets (they would blank out ordinary words)', () => {
    const secrets = new SecretSet();
    secrets.add('abc', undefined, '');
    expect(secrets.scrub('abc def')).toBe('abc def');
  });
});
