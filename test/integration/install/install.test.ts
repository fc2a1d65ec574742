// `oneke install` against a local mirror: fixture artifacts made here (real tar.gz files), served by
// node:http on 127.0.0.1, checked with a sha256sum list computed here. apt-get never runs.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Runtime } from '../../../src/cli/runtime.ts';
import { NodeHost } from '../../../src/host/node-host.ts';
import {
  archOf,
  ChecksumMismatchError,
  configFromEnvironment,
  createDownloadDispatcher,
  DownloadError,
  fetchVerified,
  install,
  installSettingsFrom,
  PINNED_SHA256,
  UnverifiableArtifactsError,
  type Arch,
  type InstallRun,
} from '../../../src/install/index.ts';
import { SecretSet } from '../../../src/log/logger.ts';
import { runInstall } from '../../../src/steps/install.ts';
import { runStep } from '../../../src/steps/run-step.ts';
import { tempRoot } from '../../support/temp-root.ts';

const logger = pino({ level: 'silent' });
// Helm 3.18.6 is pinned to the real release's checksum, so the fake Helm is another version.
const HELM = '3.99.0';
const ENV = { ONE_SERVICE_AIRGAPPED: 'YES', ONE_SERVICE_HELM_VERSION: HELM };
const FAST = { attempts: 3, initialBackoffMs: 1, maxBackoffMs: 2, attemptTimeoutMs: 10_000, headersTimeoutMs: 5_000, idleTimeoutMs: 5_000, connectTimeoutMs: 5_000 };
const noSleep = async () => undefined;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Mirror {
  url: string;
  /** GET count by file name (redirect targets counted under the file too). */
  requests: Map<string, number>;
  total(): number;
  reset(): void;
  /** Bytes served instead of the real ones. */
  tampered: Map<string, Buffer>;
  /** Files answered with a 302 to another path first. */
  redirected: Set<string>;
  /** Files answered with this many 503s before the real answer. */
  failing: Map<string, number>;
  /** Files whose body stops halfway (the connection stays open) this many times. */
  stalling: Map<string, number>;
}

let fixtures: string;
let files: Map<string, Buffer>;
let server: Server;
let mirror: Mirror;
let sumsFile: string;
/** Fixtures are made for this machine, so that runInstall (which takes process.arch) finds them. */
const arch: Arch = archOf();

async function makeTarGz(name: string, tree: Record<string, string>, top: string[]): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(fixtures, 'tree-'));
  for (const [relative, content] of Object.entries(tree)) {
    const file = path.join(dir, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content, { mode: relative.endsWith('.service') || relative.endsWith('.txt') ? 0o644 : 0o755 });
  }
  const archive = path.join(fixtures, name);
  await execa('tar', ['-czf', archive, '-C', dir, ...top], { timeout: 10_000 });
  return fs.readFile(archive);
}

beforeAll(async () => {
  fixtures = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-install-fixtures-'));
  files = new Map();
  files.set(
    `rke2.linux-${arch}.tar.gz`,
    await makeTarGz(
      'rke2.tgz',
      {
        'bin/rke2': '#!/bin/sh\necho fake rke2\n',
        'bin/rke2-killall.sh': '#!/bin/sh\n',
        'lib/systemd/system/rke2-server.service': '[Unit]\nDescription=fake\n',
        'share/rke2/LICENSE.txt': 'fake\n',
      },
      ['bin', 'lib', 'share'],
    ),
  );
  files.set(`helm-v${HELM}-linux-${arch}.tar.gz`, await makeTarGz('helm.tgz', { [`linux-${arch}/helm`]: '#!/bin/sh\necho fake helm\n', [`linux-${arch}/LICENSE.txt`]: 'x\n' }, [`linux-${arch}`]));
  for (const [chart, version] of [
    ['longhorn', '1.9.1'],
    ['metallb', '0.15.2'],
    ['traefik', '37.1.0'],
  ]) {
    files.set(`${chart}-${version}.tgz`, await makeTarGz(`${chart}.tgz`, { [`${chart}/Chart.yaml`]: `name: ${chart}\nversion: ${version}\n` }, [chart!]));
  }
  for (const set of ['core', 'canal', 'calico', 'cilium', 'multus']) files.set(`rke2-images-${set}.linux-${arch}.tar.zst`, randomBytes(64 * 1024 + 7));

  sumsFile = path.join(fixtures, 'sha256sums.txt');
  await fs.writeFile(sumsFile, [...files].map(([name, bytes]) => `${sha256(bytes)}  ${name}\n`).join(''));

  const requests = new Map<string, number>();
  const tampered = new Map<string, Buffer>();
  const redirected = new Set<string>();
  const failing = new Map<string, number>();
  const stalling = new Map<string, number>();
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, area, encoded] = url.pathname.split('/');
    const name = decodeURIComponent(encoded ?? '');
    requests.set(name, (requests.get(name) ?? 0) + 1);
    const bytes = tampered.get(name) ?? files.get(name);
    if (req.method !== 'GET' || bytes === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    if (area === 'mirror' && redirected.has(name)) {
      res.writeHead(302, { location: `/blobs/${encoded}` }).end();
      return;
    }
    const failures = failing.get(name) ?? 0;
    if (failures > 0) {
      failing.set(name, failures - 1);
      res.writeHead(503).end('busy');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    const stalls = stalling.get(name) ?? 0;
    if (stalls > 0) {
      stalling.set(name, stalls - 1);
      res.write(bytes.subarray(0, bytes.length >> 1)); // and then nothing
      return;
    }
    // Two writes, so the client really streams.
    res.write(bytes.subarray(0, bytes.length >> 1));
    setTimeout(() => res.end(bytes.subarray(bytes.length >> 1)), 5);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  mirror = {
    url: `http://127.0.0.1:${port}/mirror`,
    requests,
    total: () => [...requests.values()].reduce((a, b) => a + b, 0),
    reset: () => {
      requests.clear();
      tampered.clear();
      redirected.clear();
      failing.clear();
      stalling.clear();
    },
    tampered,
    redirected,
    failing,
    stalling,
  };
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (fixtures) await fs.rm(fixtures, { recursive: true, force: true });
});

function runFor(root: string, overrides: { env?: Record<string, string>; sums?: string | null } = {}): InstallRun {
  const sums = overrides.sums === undefined ? sumsFile : overrides.sums;
  return {
    host: new NodeHost(root),
    logger,
    config: configFromEnvironment({ ...ENV, ...overrides.env }),
    settings: installSettingsFrom({
      ONEKE_ARTIFACT_MIRROR: mirror.url,
      ONEKE_INSTALL_SKIP_PACKAGES: 'YES',
      ...(sums === null ? {} : { ONEKE_ARTIFACT_SHA256SUMS: sums }),
    }),
    arch,
    policy: FAST,
    sleep: noSleep,
    // The add-on images need a registry: test/integration/install/addon-images.test.ts.
    addonImages: false,
  };
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const at = (root: string, vmPath: string) => path.join(root, vmPath);

describe('oneke install from a mirror', () => {
  test('puts every verified artifact in place, and a second run downloads nothing', async () => {
    mirror.reset();
    mirror.redirected.add('metallb-0.15.2.tgz');
    const root = await tempRoot();
    const result = await install(runFor(root));

    expect(result.packagesInstalled).toBe(false);
    expect([...result.downloaded].sort()).toEqual([...files.keys()].sort());
    expect(mirror.total()).toBe(files.size + 1); // + the redirect

    // RKE2 unpacked into /usr/local as its installer does; the tarball itself is gone.
    expect(await fs.readFile(at(root, '/usr/local/bin/rke2'), 'utf8')).toBe('#!/bin/sh\necho fake rke2\n');
    expect(await fs.readFile(at(root, '/usr/local/lib/systemd/system/rke2-server.service'), 'utf8')).toContain('Description=fake');
    expect(await fs.readFile(at(root, '/usr/local/share/rke2/LICENSE.txt'), 'utf8')).toBe('fake\n');
    // Helm: the binary only, executable.
    expect(await fs.readFile(at(root, '/usr/local/bin/helm'), 'utf8')).toBe('#!/bin/sh\necho fake helm\n');
    expect((await fs.stat(at(root, '/usr/local/bin/helm'))).mode & 0o777).toBe(0o755);
    expect(await listTree(at(root, '/usr/local/bin'))).toEqual(['helm', 'rke2', 'rke2-killall.sh']);

    // Chart archives kept, byte for byte.
    for (const name of ['longhorn-1.9.1.tgz', 'metallb-0.15.2.tgz', 'traefik-37.1.0.tgz']) {
      expect((await fs.readFile(at(root, `/var/lib/one-appliance/charts/${name}`))).equals(files.get(name)!)).toBe(true);
    }
    // Air-gap image archives where RKE2 imports them.
    const images = await listTree(at(root, '/var/lib/rancher/rke2/agent/images'));
    expect(images).toEqual([...files.keys()].filter((n) => n.startsWith('rke2-images-')).sort());
    for (const name of images) expect((await fs.readFile(at(root, `/var/lib/rancher/rke2/agent/images/${name}`))).equals(files.get(name)!)).toBe(true);

    // The manifests embed the very archives.
    expect(result.manifests).toEqual(['/var/lib/one-appliance/manifests/one-longhorn.yaml', '/var/lib/one-appliance/manifests/one-metallb.yaml', '/var/lib/one-appliance/manifests/one-traefik.yaml']);
    const longhorn = parseAllDocuments(await fs.readFile(at(root, '/var/lib/one-appliance/manifests/one-longhorn.yaml'), 'utf8')).map((d) => d.toJS());
    expect(longhorn.map((d) => d.kind)).toEqual(['HelmChart', 'StorageClass']);
    expect(Buffer.from(longhorn[0].spec.chartContent, 'base64').equals(files.get('longhorn-1.9.1.tgz')!)).toBe(true);

    // No staging left, no temp files anywhere; the receipts list every artifact.
    await expect(fs.access(at(root, '/var/lib/one-appliance/install/downloads'))).rejects.toThrow();
    const everything = await listTree(root);
    expect(everything.filter((f) => f.endsWith('.part') || f.includes('.helm-'))).toEqual([]);
    const receipts = await fs.readFile(at(root, '/var/lib/one-appliance/install/artifacts.sha256'), 'utf8');
    expect(receipts.trim().split('\n').sort()).toEqual([...files].map(([name, bytes]) => `${sha256(bytes)}  ${name}`).sort());

    // Second run: everything is in place, nothing is fetched.
    mirror.reset();
    const again = await install(runFor(root));
    expect(mirror.total()).toBe(0);
    expect(again.downloaded).toEqual([]);
    expect([...again.present].sort()).toEqual([...files.keys()].sort());
    expect(await listTree(root)).toEqual(everything);
  });

  test('a file served with other bytes fails the install, naming it, and leaves nothing at the target', async () => {
    mirror.reset();
    const wrong = Buffer.from('not the traefik chart');
    mirror.tampered.set('traefik-37.1.0.tgz', wrong);
    const root = await tempRoot();

    const error = await install(runFor(root)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    const mismatch = error as ChecksumMismatchError;
    expect(mismatch.code).toBe('ONEKE_ARTIFACT_CHECKSUM');
    expect(mismatch.message).toContain('checksum mismatch for traefik-37.1.0.tgz');
    expect(mismatch.message).toContain(`expected sha256 ${sha256(files.get('traefik-37.1.0.tgz')!)}, got ${sha256(wrong)}`);
    expect(mismatch.message).toContain(`${mirror.url}/traefik-37.1.0.tgz`);
    // Not retried: a mirror that serves other bytes does not change its mind.
    expect(mirror.requests.get('traefik-37.1.0.tgz')).toBe(1);

    expect(await listTree(at(root, '/var/lib/one-appliance/charts'))).toEqual(['longhorn-1.9.1.tgz', 'metallb-0.15.2.tgz']);
    expect((await listTree(root)).filter((f) => f.endsWith('.part'))).toEqual([]);
    // Manifests come only after every download succeeded.
    await expect(fs.access(at(root, '/var/lib/one-appliance/manifests'))).rejects.toThrow();

    // Once the mirror is right, a rerun fetches only what is missing.
    mirror.reset();
    await install(runFor(root));
    expect([...mirror.requests.keys()].sort()).toEqual(['traefik-37.1.0.tgz', ...[...files.keys()].filter((n) => n.startsWith('rke2-images-'))].sort());
  });

  test('the pinned Helm checksum is enforced: a different helm-v3.18.6 is refused', async () => {
    mirror.reset();
    const fakeHelm = files.get(`helm-v${HELM}-linux-${arch}.tar.gz`)!;
    mirror.tampered.set(`helm-v3.18.6-linux-${arch}.tar.gz`, fakeHelm);
    const root = await tempRoot();
    const error = await install(runFor(root, { env: { ONE_SERVICE_HELM_VERSION: '3.18.6' } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    const pin = PINNED_SHA256.find((p) => p.file === `helm-v3.18.6-linux-${arch}.tar.gz`);
    expect(pin).toBeDefined();
    expect((error as Error).message).toContain(`expected sha256 ${pin?.sha256}`);
    await expect(fs.access(at(root, '/usr/local/bin/helm'))).rejects.toThrow();
  });

  test('without a checksum for every artifact nothing is fetched at all', async () => {
    mirror.reset();
    const root = await tempRoot();
    const partial = path.join(fixtures, 'partial.txt');
    await fs.writeFile(
      partial,
      [...files]
        .filter(([n]) => !n.startsWith('metallb'))
        .map(([n, b]) => `${sha256(b)}  ${n}\n`)
        .join(''),
    );

    const error = await install(runFor(root, { sums: partial })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnverifiableArtifactsError);
    expect((error as UnverifiableArtifactsError).files).toEqual(['metallb-0.15.2.tgz']);
    expect((error as Error).message).toContain(`${partial} does not list it`);
    expect(mirror.total()).toBe(0);
    expect(await listTree(root)).toEqual([]);

    const none = await install(runFor(root, { sums: null })).catch((e: unknown) => e);
    expect((none as UnverifiableArtifactsError).files).toContain(`rke2.linux-${arch}.tar.gz`);
    expect(mirror.total()).toBe(0);
  });

  test('transient failures are retried, bounded; a 404 is not', async () => {
    mirror.reset();
    mirror.failing.set('longhorn-1.9.1.tgz', 2);
    const root = await tempRoot();
    await install(runFor(root, { env: { ONE_SERVICE_AIRGAPPED: 'NO' } }));
    expect(mirror.requests.get('longhorn-1.9.1.tgz')).toBe(3);

    mirror.reset();
    mirror.failing.set('metallb-0.15.2.tgz', 5);
    const root2 = await tempRoot();
    const busy = await install(runFor(root2, { env: { ONE_SERVICE_AIRGAPPED: 'NO' } })).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(DownloadError);
    expect((busy as Error).message).toMatch(/could not download metallb-0\.15\.2\.tgz from .*: HTTP 503 \(gave up after 3 attempts\)/);
    expect(mirror.requests.get('metallb-0.15.2.tgz')).toBe(3);

    mirror.reset();
    const root3 = await tempRoot();
    const sums = path.join(fixtures, 'with-missing.txt');
    await fs.writeFile(sums, `${await fs.readFile(sumsFile, 'utf8')}${'0'.repeat(64)}  longhorn-9.9.9.tgz\n`);
    const missing = await install(runFor(root3, { env: { ONEAPP_K8S_LONGHORN_CHART_VERSION: '9.9.9' }, sums })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DownloadError);
    expect((missing as DownloadError).status).toBe(404);
    expect(mirror.requests.get('longhorn-9.9.9.tgz')).toBe(1);
  });
});

describe('fetchVerified', () => {
  test('a file at the target with other content is replaced, or removed when the download is bad', async () => {
    mirror.reset();
    const dir = await tempRoot();
    const target = path.join(dir, 'charts', 'metallb-0.15.2.tgz');
    await fs.mkdir(path.dirname(target), { recursive: true });
    const dispatcher = createDownloadDispatcher(FAST);
    try {
      const good = files.get('metallb-0.15.2.tgz')!;
      const spec = { file: 'metallb-0.15.2.tgz', url: `${mirror.url}/metallb-0.15.2.tgz`, target, sha256: sha256(good), mode: 0o644 };
      await fs.writeFile(target, 'stale');
      expect(await fetchVerified(spec, { dispatcher, logger, policy: FAST, sleep: noSleep })).toBe('downloaded');
      expect((await fs.readFile(target)).equals(good)).toBe(true);
      expect((await fs.stat(target)).mode & 0o777).toBe(0o644);
      expect(await fetchVerified(spec, { dispatcher, logger, policy: FAST, sleep: noSleep })).toBe('present');
      expect(mirror.total()).toBe(1);

      await fs.writeFile(target, 'stale');
      mirror.tampered.set('metallb-0.15.2.tgz', Buffer.from('evil'));
      await expect(fetchVerified(spec, { dispatcher, logger, policy: FAST, sleep: noSleep })).rejects.toThrow(ChecksumMismatchError);
      expect(await fs.readdir(path.dirname(target))).toEqual([]);
    } finally {
      await dispatcher.close();
    }
  });

  test('a stalled transfer times out and is retried', async () => {
    mirror.reset();
    mirror.stalling.set('traefik-37.1.0.tgz', 1);
    const root = await tempRoot();
    const run = runFor(root, { env: { ONE_SERVICE_AIRGAPPED: 'NO' } });
    const dispatcher = createDownloadDispatcher({ ...FAST, idleTimeoutMs: 300 });
    try {
      await install({ ...run, policy: { ...FAST, idleTimeoutMs: 300 }, dispatcher });
    } finally {
      await dispatcher.close();
    }
    // Retried once after the stall, and complete: the outcome shows the idle timeout fired.
    expect(mirror.requests.get('traefik-37.1.0.tgz')).toBe(2);
    expect((await fs.readFile(at(root, '/var/lib/one-appliance/charts/traefik-37.1.0.tgz'))).equals(files.get('traefik-37.1.0.tgz')!)).toBe(true);
    expect((await listTree(root)).filter((f) => f.endsWith('.part'))).toEqual([]);
  });
});

/** What `oneke install` hands runInstall: the host under `root`, the test's silent logger. */
function installRuntime(root: string): Runtime {
  return {
    options: { root, logLevel: 'silent' },
    host: new NodeHost(root),
    secrets: new SecretSet(),
    stepLogger: () => logger,
    consoleLogger: () => logger,
  };
}

describe('the install step', () => {
  test('runInstall reads its settings from the environment (no context at image build)', async () => {
    mirror.reset();
    const root = await tempRoot();
    const runtime = installRuntime(root);
    const env = {
      ONEKE_ARTIFACT_MIRROR: mirror.url,
      ONEKE_ARTIFACT_SHA256SUMS: sumsFile,
      ONEKE_INSTALL_SKIP_PACKAGES: 'YES',
      ONE_SERVICE_HELM_VERSION: HELM,
    };
    await runInstall(runtime, logger, env);
    expect(await fs.readFile(at(root, '/usr/local/bin/rke2'), 'utf8')).toContain('fake rke2');
    // Not air-gapped: no image archives.
    await expect(fs.access(at(root, '/var/lib/rancher/rke2/agent/images'))).rejects.toThrow();
  });

  // What `oneke install` (steps/install.ts installStep) does: runInstall inside runStep.
  test('a failed install records install_failure with the reason in the status file', async () => {
    mirror.reset();
    mirror.tampered.set('metallb-0.15.2.tgz', Buffer.from('bad'));
    const root = await tempRoot();
    vi.stubEnv('ONEKE_ARTIFACT_MIRROR', mirror.url);
    vi.stubEnv('ONEKE_ARTIFACT_SHA256SUMS', sumsFile);
    vi.stubEnv('ONEKE_INSTALL_SKIP_PACKAGES', 'YES');
    vi.stubEnv('ONE_SERVICE_HELM_VERSION', HELM);
    try {
      const runtime = installRuntime(root);
      await expect(runStep(runtime.host, logger, 'install', () => runInstall(runtime, logger))).rejects.toThrow(ChecksumMismatchError);
      expect((await fs.readFile(at(root, '/etc/one-appliance/status'), 'utf8')).trim()).toBe('install_failure');
      const record = JSON.parse(await fs.readFile(at(root, '/etc/one-appliance/oneke-status.json'), 'utf8'));
      expect(record.steps.install.error).toContain('checksum mismatch for metallb-0.15.2.tgz');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
