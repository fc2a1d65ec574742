// The stand-in artefact mirror: `oneke install` (the CLI, from source) pointed at it over HTTP on
// loopback installs RKE2, Helm and the charts with every checksum verified, and what it unpacked runs.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildArtifactMirror, mirrorArtifacts, serveArtifactMirror, SUMS_FILE, type ArtifactMirror, type ServedMirror } from './artifact-mirror.ts';
import { tempRoot } from '../../support/temp-root.ts';

const TOP = path.resolve(import.meta.dirname, '../../..');
const NODE = path.join(TOP, 'node_modules/node/bin/node');
let work: string;
let mirror: ArtifactMirror;
let served: ServedMirror;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-mirror-test-'));
  mirror = await buildArtifactMirror({ dir: path.join(work, 'mirror') });
  served = await serveArtifactMirror(mirror.dir);
}, 300_000);

afterAll(async () => {
  await served?.close();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

async function oneke(root: string, env: Record<string, string>) {
  return execa(NODE, [path.join(TOP, 'src/main.ts'), '--root', root, 'install'], {
    env: { ...env, ONEKE_INSTALL_SKIP_PACKAGES: 'YES' },
    extendEnv: false,
    reject: false,
    timeout: 120_000,
  });
}

const installEnv = () => ({ ...mirror.installEnv, ONEKE_ARTIFACT_MIRROR: served.url, ONEKE_ARTIFACT_SHA256SUMS: mirror.sha256sums });

describe('the stand-in artefact mirror', () => {
  test('holds every file install asks for, listed with its checksum', async () => {
    const listed = (await fs.readFile(mirror.sha256sums, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split('  ')[1]);
    for (const artifact of mirrorArtifacts(mirror.arch)) {
      expect(listed).toContain(artifact.file);
      expect((await fs.stat(path.join(mirror.dir, artifact.file))).size).toBeGreaterThan(0);
    }
    expect(await fs.readFile(path.join(mirror.dir, 'README'), 'utf8')).toMatch(/STAND-IN/);
  });

  test('is reused when nothing changed, and reproducible when rebuilt', async () => {
    const again = await buildArtifactMirror({ dir: mirror.dir });
    expect(again.built).toBe(false);
    const copy = await buildArtifactMirror({ dir: path.join(work, 'copy') });
    expect(copy.built).toBe(true);
    expect(await fs.readFile(path.join(copy.dir, SUMS_FILE), 'utf8')).toBe(await fs.readFile(mirror.sha256sums, 'utf8'));
  }, 300_000);

  test('serves plain file names only', async () => {
    expect((await fetch(`${served.url}/${SUMS_FILE}`)).status).toBe(200);
    expect((await fetch(`${served.url}/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
    expect((await fetch(`${served.url}/missing.tgz`)).status).toBe(404);
    expect((await fetch(`${served.url}/${SUMS_FILE}`, { method: 'POST' })).status).toBe(405);
  });

  test('oneke install takes everything from it, verified, and the stand-in RKE2 runs', async () => {
    const root = await tempRoot();
    const result = await oneke(root, installEnv());
    expect(result.stderr + result.stdout).not.toMatch(/error/i);
    expect(result.exitCode).toBe(0);
    for (const artifact of mirrorArtifacts(mirror.arch).filter((a) => a.kind !== 'airgap-images')) {
      expect(served.requests.get(artifact.file)).toBeGreaterThan(0);
    }
    const rke2 = path.join(root, 'usr/local/bin/rke2');
    expect((await execa(rke2, ['--version'])).stdout).toMatch(/stand-in/);
    expect((await execa(path.join(root, 'usr/local/bin/helm'), ['version'])).stdout).toMatch(/v3\.99\.0/);
    const unit = await fs.readFile(path.join(root, 'usr/local/lib/systemd/system/rke2-server.service'), 'utf8');
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/rke2 server$/m);
    // The bundled stand-in starts under the shipped Node binary: a bad role is its own usage error.
    const usage = await execa(rke2, ['nonsense'], { reject: false });
    expect(usage.exitCode).toBe(2);
    const direct = await execa(path.join(root, 'usr/local/share/rke2-standin/node'), [path.join(root, 'usr/local/share/rke2-standin/rke2-standin.mjs'), 'nonsense'], { reject: false });
    expect(direct.exitCode).toBe(2);
    expect(direct.stderr).toMatch(/usage: rke2\.ts server\|agent/);
    for (const chart of ['one-longhorn', 'one-metallb', 'one-traefik']) {
      expect(await fs.readFile(path.join(root, `var/lib/one-appliance/manifests/${chart}.yaml`), 'utf8').catch(() => '')).toMatch(/kind: HelmChart/);
    }
  }, 180_000);

  test('a file that is not what SHA256SUMS says is refused', async () => {
    const tampered = path.join(work, 'tampered');
    await fs.cp(mirror.dir, tampered, { recursive: true });
    const chart = mirrorArtifacts(mirror.arch).find((a) => a.kind === 'chart');
    await fs.appendFile(path.join(tampered, chart!.file), 'x');
    const other = await serveArtifactMirror(tampered);
    try {
      const root = await tempRoot();
      const result = await oneke(root, { ...installEnv(), ONEKE_ARTIFACT_MIRROR: other.url });
      expect(result.exitCode).toBe(1);
      expect(result.stderr + result.stdout).toMatch(new RegExp(`${chart!.file.replace(/\./g, '\\.')}.*sha256|sha256.*${chart!.file.replace(/\./g, '\\.')}`, 'i'));
    } finally {
      await other.close();
    }
  }, 180_000);
});
