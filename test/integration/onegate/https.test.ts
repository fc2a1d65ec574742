import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, OneGateError } from '../../../src/errors.ts';
import { createOneGateClient } from '../../../src/onegate/index.ts';
import { clientOf, emulator, rejectionOf, track } from './helpers.ts';

// A throwaway CA and a server certificate for 127.0.0.1, made with the openssl CLI (tests only).
let dir: string;
let caFile: string;
let tls: { cert: string; key: string };

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oneke-onegate-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=oneke test OneGate CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=onegate.test');
  writeFileSync(join(dir, 'server.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:onegate.test\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  caFile = join(dir, 'ca.crt');
  tls = { cert: readFileSync(join(dir, 'server.crt'), 'utf8'), key: readFileSync(join(dir, 'server.key'), 'utf8') };
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('OneGate client over https', () => {
  it('works when the CA is given with caFile', async () => {
    const emu = await emulator({ tls });
    expect(emu.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const client = clientOf(emu, 1, { caFile });
    expect((await client.vmShow()).id).toBe(1);
    expect((await client.serviceShowExtended()).roles).toHaveLength(4);
    await client.vmUpdate({ READY: 'YES' });
    expect(emu.vm(1)?.USER_TEMPLATE.READY).toBe('YES');
  });

  it('fails clearly, once, without the CA: a certificate problem, not retried', async () => {
    const emu = await emulator({ tls });
    const client = clientOf(emu, 1);
    const error = (await rejectionOf(client.vmShow())) as OneGateError;
    expect(error).toBeInstanceOf(OneGateError);
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/TLS certificate of 127\.0\.0\.1:\d+ not trusted: .*(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER).*caFile/);
    expect(client.stats()).toMatchObject({ total: 1, retries: 0, failures: 1 });
    expect(emu.stats().total).toBe(0);
    expect(error.message).not.toContain(emu.tokenOf(1));
  });

  it('checks the name too: a trusted certificate for another name is refused', async () => {
    const emu = await emulator({ tls });
    const client = createOneGateClient({ endpoint: `https://localhost:${emu.port}`, vmId: 1, token: emu.tokenOf(1) ?? '', caFile, retry: { attempts: 3, initialMs: 1 } });
    track(() => client.close());
    const error = (await rejectionOf(client.vmShow())) as OneGateError;
    // localhost may resolve to ::1 first, where nothing listens: then it is a refused connection.
    expect(error).toBeInstanceOf(OneGateError);
    expect(error.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|ECONNREFUSED/);
    expect(emu.stats().total).toBe(0);
  });

  it('fails, not hangs, when https is used on an http port', async () => {
    const emu = await emulator();
    const client = createOneGateClient({ endpoint: emu.url.replace('http:', 'https:'), vmId: 1, token: emu.tokenOf(1) ?? '', retry: { attempts: 2, initialMs: 1 } });
    track(() => client.close());
    const error = (await rejectionOf(client.vmShow())) as OneGateError;
    expect(error).toBeInstanceOf(OneGateError);
    expect(error.status).toBeUndefined();
  });

  it('rejects a caFile that is not PEM', () => {
    const notPem = join(dir, 'server.ext');
    expect(() => createOneGateClient({ endpoint: 'https://127.0.0.1:1', vmId: 1, token: 'x', caFile: notPem })).toThrow(ConfigError);
  });
});
