// Reliability, issue 11 item 3: a variable that can hold a secret (the CNI, Multus and MetalLB
// configs, proxies with credentials, passwords, the token) is never echoed, in any form: not its first
// characters, not a quote from a YAML error. A malformed ONEAPP_K8S_CNI_CONFIG used to show its start
// (base64 of a BGP password) on stderr, in /etc/motd and in the status JSON.

import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { contextSh } from '../support/binary.ts';
import { tempRoot } from '../support/temp-root.ts';
import { runOneke } from './validate-cli.ts';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const BGP_SECRET = 'bgp-Pa55w0rd-xyzzy';

/** Values and the pieces of them that must never appear. */
const CASES: [string, string, string[]][] = [
  // Valid base64 of YAML with a syntax error in the line of the password.
  ['ONEAPP_K8S_CNI_CONFIG', b64(`apiVersion: v1\nkind: Secret\nstringData:\n  password: "${BGP_SECRET}\n`), [BGP_SECRET, b64('apiVersion: v1\nkind: Secret').slice(0, 12)]],
  ['ONEAPP_K8S_CNI_CONFIG', `${b64(`password: ${BGP_SECRET}`)}!!`, [b64(`password: ${BGP_SECRET}`).slice(0, 8)]],
  ['ONEAPP_K8S_MULTUS_CONFIG', b64(`- ${BGP_SECRET}\n`), [BGP_SECRET, b64(`- ${BGP_SECRET}`).slice(0, 8)]],
  ['ONEAPP_K8S_METALLB_CONFIG', b64(`peer: {password: ${BGP_SECRET}`), [BGP_SECRET, b64('peer: {password').slice(0, 8)]],
  ['ONEAPP_K8S_HTTP_PROXY', `proxy-user:${BGP_SECRET}@proxy.example.com:3128`, [BGP_SECRET, 'proxy-user']],
  ['ONEAPP_K8S_HTTPS_PROXY', `http://proxy-user:${BGP_SECRET}@proxy example.com:3128`, [BGP_SECRET]],
];

describe('secret variables are never echoed', () => {
  test.each(CASES)('%s, through validate', async (name, value, pieces) => {
    const run = await runOneke({ [name]: value });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${name}=<hidden, `);
    for (const piece of pieces) expect(run.stderr).not.toContain(piece);
  });

  test.each(CASES)('%s, through configure: stderr, motd, status and log', async (name, value, pieces) => {
    const dir = await tempRoot();
    const root = path.join(dir, 'root');
    await fs.mkdir(root);
    const context = path.join(dir, 'context.sh');
    await fs.writeFile(context, contextSh({ VMID: '1', [name]: value }));
    let stderr = '';
    const code = await runCli(['node', 'oneke', '--root', root, '--log-level', 'silent', '--context', context, 'configure'], {
      out: () => undefined,
      err: (text) => void (stderr += text),
    });
    expect(code).toBe(2);
    const written = await Promise.all(['etc/motd', 'etc/one-appliance/oneke-status.json', 'var/log/one-appliance/configure.log'].map((file) => fs.readFile(path.join(root, file), 'utf8')));
    expect(written[0]).toContain(`${name}=<hidden, `);
    for (const text of [stderr, ...written]) for (const piece of pieces) expect(text).not.toContain(piece);
  });
});
