// The cluster's certificates, made with the openssl CLI: one CA (RKE2 has several; one is enough for
// what the agent checks), serving certificates for 9345/6443 and the admin client certificate.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyPair {
  cert: string;
  key: string;
}

interface Subject {
  cn: string;
  org?: string;
}

function cnf(subject: Subject, extensions: string[]): string {
  return ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', ...(subject.org ? [`O = ${subject.org}`] : []), `CN = ${subject.cn}`, '[ext]', ...extensions, ''].join('\n');
}

/** Runs `openssl req -x509` in a private temp folder and returns the PEMs it made. */
async function request(subject: Subject, extensions: string[], days: number, ca?: KeyPair): Promise<KeyPair> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rke2-standin-pki-'));
  try {
    await fs.writeFile(path.join(dir, 'req.cnf'), cnf(subject, extensions));
    const args = ['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    args.push('-keyout', 'out.key', '-out', 'out.crt', '-days', String(days), '-config', 'req.cnf', '-extensions', 'ext');
    if (ca) {
      await fs.writeFile(path.join(dir, 'ca.crt'), ca.cert);
      await fs.writeFile(path.join(dir, 'ca.key'), ca.key, { mode: 0o600 });
      args.push('-CA', 'ca.crt', '-CAkey', 'ca.key');
    }
    await run('openssl', args, { cwd: dir });
    const [cert, key] = await Promise.all([fs.readFile(path.join(dir, 'out.crt'), 'utf8'), fs.readFile(path.join(dir, 'out.key'), 'utf8')]);
    return { cert, key };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function createCa(): Promise<KeyPair> {
  return request(
    { cn: `rke2-server-ca@${Math.floor(Date.now() / 1000)}` },
    ['basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign,digitalSignature', 'subjectKeyIdentifier = hash'],
    3650,
  );
}

function sanList(names: readonly string[]): string {
  const unique = [...new Set(names.filter((n) => n !== ''))];
  return unique.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
}

/** A serving certificate for the supervisor and the API server with these SANs. */
export function issueServing(ca: KeyPair, sans: readonly string[]): Promise<KeyPair> {
  return request(
    { cn: 'kube-apiserver' },
    [
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = ${sanList(sans)}`,
      'authorityKeyIdentifier = keyid',
    ],
    365,
    ca,
  );
}

/** RKE2's client-admin: system:admin in system:masters. */
export function issueAdmin(ca: KeyPair): Promise<KeyPair> {
  return request(
    { cn: 'system:admin', org: 'system:masters' },
    ['basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature,keyEncipherment', 'extendedKeyUsage = clientAuth', 'authorityKeyIdentifier = keyid'],
    365,
    ca,
  );
}

/** A throwaway self-signed certificate for the supervisor port before this server has the cluster's CA. */
export function selfSigned(cn: string): Promise<KeyPair> {
  return request({ cn }, ['basicConstraints = critical,CA:FALSE', 'extendedKeyUsage = serverAuth'], 1);
}
