// `oneke install` of an air-gapped image puts the add-on images into RKE2's images folder: tested
// against a real registry (Debian's docker-registry on 127.0.0.1) with real skopeo, tar and zstd.
// The images are tiny ones made and pushed here; the charts naming them are fixture archives. Every
// other artifact is already in place under the root (verified by its checksum, so nothing is
// downloaded), which keeps this file about the images.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { ExitCode } from '../../../src/errors.ts';
import { NodeHost } from '../../../src/host/node-host.ts';
import {
  ARTIFACT_RECEIPTS,
  archOf,
  configFromEnvironment,
  IMAGE_RECEIPTS,
  ImageDigestMismatchError,
  ImageNotFoundError,
  install,
  installSettingsFrom,
  planArtifacts,
  UnverifiableArtifactsError,
  type Arch,
  type InstallResult,
} from '../../../src/install/index.ts';
import { RKE2_AIRGAP_IMAGES } from '../../../src/roles/kubernetes/paths.ts';
import { BINARY } from '../../support/binary.ts';
import { pushImage, startRegistry, type LocalRegistry, type PushedImage } from '../../support/registry.ts';
import { tempRoot } from '../../support/temp-root.ts';

const logger = pino({ level: 'silent' });
const arch: Arch = archOf();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

// What the fixture charts name (their shapes as in the real charts' values.yaml).
const CHARTS = {
  longhorn: {
    version: '1.9.1',
    chart: { name: 'longhorn', version: '1.9.1', appVersion: 'v1.9.1' },
    values: {
      image: {
        longhorn: { manager: { registry: '', repository: 'longhornio/longhorn-manager', tag: 'v1.9.1' } },
        csi: { attacher: { registry: '', repository: 'longhornio/csi-attacher', tag: 'v4.9.0-20250709' } },
      },
    },
  },
  metallb: {
    version: '0.15.2',
    chart: { name: 'metallb', version: '0.15.2', appVersion: 'v0.15.2' },
    values: { controller: { image: { repository: 'quay.io/metallb/controller', tag: null } }, speaker: { image: { repository: 'quay.io/metallb/speaker', tag: null }, frr: { enabled: false } } },
  },
  traefik: {
    version: '37.1.0',
    chart: { name: 'traefik', version: '37.1.0', appVersion: 'v3.5.0' },
    values: { image: { registry: 'docker.io', repository: 'traefik', tag: '' } },
  },
} as const;

/** Reference → what the registry holds for it (path in the registry = the reference without its host). */
const IMAGES: Record<string, { repository: string; tag: string; asList: boolean }> = {
  'docker.io/longhornio/longhorn-manager:v1.9.1': { repository: 'longhornio/longhorn-manager', tag: 'v1.9.1', asList: false },
  'docker.io/longhornio/csi-attacher:v4.9.0-20250709': { repository: 'longhornio/csi-attacher', tag: 'v4.9.0-20250709', asList: false },
  'quay.io/metallb/controller:v0.15.2': { repository: 'metallb/controller', tag: 'v0.15.2', asList: false },
  'quay.io/metallb/speaker:v0.15.2': { repository: 'metallb/speaker', tag: 'v0.15.2', asList: false },
  // A manifest list, as upstream's multi-arch images are: its digest is what gets pinned.
  'docker.io/library/traefik:v3.5.0': { repository: 'library/traefik', tag: 'v3.5.0', asList: true },
};

let work: string;
let registry: LocalRegistry | undefined;
const pushed = new Map<string, PushedImage>();
/** Chart file name → bytes. */
const charts = new Map<string, Buffer>();

async function chartArchive(addon: string, chart: object, values: object): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(work, 'chart-'));
  await fs.mkdir(path.join(dir, addon));
  await fs.writeFile(path.join(dir, addon, 'Chart.yaml'), stringify(chart));
  await fs.writeFile(path.join(dir, addon, 'values.yaml'), stringify(values));
  const file = path.join(dir, 'chart.tgz');
  await execa('tar', ['-czf', file, '-C', dir, addon], { timeout: 10_000 });
  return fs.readFile(file);
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-addon-images-'));
  registry = await startRegistry(work);
  for (const [reference, image] of Object.entries(IMAGES)) pushed.set(reference, await pushImage(registry, work, image.repository, image.tag, arch, image.asList));
  for (const [addon, spec] of Object.entries(CHARTS)) charts.set(`${addon}-${spec.version}.tgz`, await chartArchive(addon, spec.chart, spec.values));
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

interface Case {
  airgapped?: boolean;
  /** Digest lines of the operator's list, by reference (default: what the registry serves). */
  digests?: Record<string, string | undefined>;
  /** Replaces a chart (file name → bytes). */
  chart?: [string, Buffer];
}

/**
 * A root where every downloadable artifact is already in place and verified (RKE2 and Helm
 * unpacked with their receipts, charts and RKE2 image sets at their targets), and the operator's
 * sha256sum list that covers them and the images.
 */
async function prepared(options: Case = {}): Promise<{ root: string; env: Record<string, string>; run: () => Promise<InstallResult> }> {
  const airgapped = options.airgapped ?? true;
  // Helm 3.18.6 is pinned to the real release's checksum, so the one "in place" here is another version.
  const env = { ONE_SERVICE_AIRGAPPED: airgapped ? 'YES' : 'NO', ONE_SERVICE_HELM_VERSION: '3.99.0' };
  const config = configFromEnvironment(env);
  const root = await tempRoot();
  const at = (vmPath: string) => path.join(root, vmPath);
  const chartBytes = new Map(charts);
  if (options.chart) chartBytes.set(options.chart[0], options.chart[1]);

  const sums: string[] = [];
  const receipts: string[] = [];
  for (const artifact of planArtifacts(config, arch)) {
    if (artifact.kind === 'rke2' || artifact.kind === 'helm') {
      const fake = '0'.repeat(63) + (artifact.kind === 'rke2' ? '1' : '2');
      sums.push(`${fake}  ${artifact.file}`);
      receipts.push(`${fake}  ${artifact.file}`);
      const binary = artifact.kind === 'rke2' ? '/usr/local/bin/rke2' : '/usr/local/bin/helm';
      await fs.mkdir(path.dirname(at(binary)), { recursive: true });
      await fs.writeFile(at(binary), '#!/bin/sh\n', { mode: 0o755 });
      continue;
    }
    const bytes = chartBytes.get(artifact.file) ?? randomBytes(1024);
    await fs.mkdir(path.dirname(at(artifact.target)), { recursive: true });
    await fs.writeFile(at(artifact.target), bytes);
    sums.push(`${sha256(bytes)}  ${artifact.file}`);
  }
  const digests = { ...Object.fromEntries([...pushed].map(([reference, image]) => [reference, image.sha256])), ...options.digests };
  for (const [reference, digest] of Object.entries(digests)) if (digest !== undefined) sums.push(`${digest}  ${reference}`);
  await fs.mkdir(path.dirname(at(ARTIFACT_RECEIPTS)), { recursive: true });
  await fs.writeFile(at(ARTIFACT_RECEIPTS), `${receipts.join('\n')}\n`);
  const sumsFile = path.join(work, `${path.basename(root)}.sums`);
  await fs.writeFile(sumsFile, `${sums.join('\n')}\n`);

  const settingsEnv = {
    // Nothing may be downloaded: port 9 (discard) refuses, so a download would fail the test.
    ONEKE_ARTIFACT_MIRROR: 'http://127.0.0.1:9/none',
    ONEKE_ARTIFACT_SHA256SUMS: sumsFile,
    ONEKE_INSTALL_SKIP_PACKAGES: 'YES',
    ONEKE_REGISTRY_MIRROR: registry?.url ?? '',
  };
  const settings = installSettingsFrom(settingsEnv);
  return {
    root,
    env: { ...env, ...settingsEnv },
    run: () => install({ host: new NodeHost(root), logger, config, settings, arch, policy: { attempts: 1 } }),
  };
}

async function listDir(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

const archiveNames = [
  'one-longhorn_longhornio_csi-attacher_v4.9.0-20250709.tar.zst',
  'one-longhorn_longhornio_longhorn-manager_v1.9.1.tar.zst',
  'one-metallb_metallb_controller_v0.15.2.tar.zst',
  'one-metallb_metallb_speaker_v0.15.2.tar.zst',
  'one-traefik_library_traefik_v3.5.0.tar.zst',
];

describe('air-gapped add-on images from a real registry', () => {
  test('every image the charts name lands in RKE2 images folder as a checked docker-archive; a second run copies nothing', async () => {
    const { root, run } = await prepared();
    const result = await run();
    expect([...result.imagesCopied].sort()).toEqual(Object.keys(IMAGES).sort());
    expect(result.downloaded).toEqual([]);

    const imagesDir = path.join(root, RKE2_AIRGAP_IMAGES);
    const names = await listDir(imagesDir);
    expect(names.filter((n) => n.startsWith('one-'))).toEqual(archiveNames);
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
    // Each archive is what RKE2 imports: zstd over a docker-archive naming the image, holding its config.
    const traefik = path.join(imagesDir, 'one-traefik_library_traefik_v3.5.0.tar.zst');
    expect((await fs.stat(traefik)).mode & 0o777).toBe(0o644);
    const manifest = await execa('sh', ['-c', 'zstd -dc "$1" | tar -xOf - manifest.json', 'sh', traefik]);
    expect(JSON.parse(manifest.stdout)).toEqual([
      expect.objectContaining({ RepoTags: ['docker.io/library/traefik:v3.5.0'], Config: `${pushed.get('docker.io/library/traefik:v3.5.0')?.configSha256}.json` }),
    ]);
    // No staging left; the receipts name each image with its digest.
    await expect(fs.access(path.join(root, '/var/lib/one-appliance/install/downloads'))).rejects.toThrow();
    const receipts = await fs.readFile(path.join(root, IMAGE_RECEIPTS), 'utf8');
    expect(receipts.trim().split('\n').sort()).toEqual([...pushed].map(([reference, image]) => `${image.sha256}  ${reference}`).sort());

    const before = await Promise.all(archiveNames.map(async (n) => (await fs.stat(path.join(imagesDir, n))).mtimeMs));
    const again = await run();
    expect(again.imagesCopied).toEqual([]);
    expect([...again.imagesPresent].sort()).toEqual(Object.keys(IMAGES).sort());
    expect(await Promise.all(archiveNames.map(async (n) => (await fs.stat(path.join(imagesDir, n))).mtimeMs))).toEqual(before);
  });

  test('a wrong digest fails closed: one line naming the image, exit 1, no archive of it', async () => {
    const reference = 'quay.io/metallb/speaker:v0.15.2';
    const wrong = 'e'.repeat(64);
    const { root, run } = await prepared({ digests: { [reference]: wrong } });
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDigestMismatchError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toBe(`digest mismatch for image ${reference} (from ${registry?.host}): expected sha256:${wrong}, the registry serves sha256:${pushed.get(reference)?.sha256}; nothing was copied`);
    expect((error as ImageDigestMismatchError).exitCode).toBe(ExitCode.failure);
    const names = await listDir(path.join(root, RKE2_AIRGAP_IMAGES));
    expect(names.filter((n) => n.includes('speaker') || n.startsWith('.'))).toEqual([]);
  });

  test('an image the registry lacks fails with exit 1 and a line that names it', async () => {
    const chart = await chartArchive('traefik', { ...CHARTS.traefik.chart, appVersion: 'v9.9.9' }, CHARTS.traefik.values);
    const { root, run } = await prepared({ chart: ['traefik-37.1.0.tgz', chart], digests: { 'docker.io/library/traefik:v9.9.9': 'a'.repeat(64) } });
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect((error as Error).message).toMatch(new RegExp(`^image docker\\.io/library/traefik:v9\\.9\\.9 is not in the registry ${registry?.host.replaceAll('.', '\\.')}: .*manifest unknown`));
    expect((error as Error).message).not.toContain('\n');
    expect((error as ImageNotFoundError).exitCode).toBe(ExitCode.failure);
    expect((await listDir(path.join(root, RKE2_AIRGAP_IMAGES))).filter((n) => n.includes('traefik') || n.startsWith('.'))).toEqual([]);
  });

  test('`oneke install` itself: exit 1, one line naming the missing image, no stack trace', async () => {
    const chart = await chartArchive('traefik', { ...CHARTS.traefik.chart, appVersion: 'v9.9.9' }, CHARTS.traefik.values);
    const { root, env } = await prepared({ chart: ['traefik-37.1.0.tgz', chart], digests: { 'docker.io/library/traefik:v9.9.9': 'a'.repeat(64) } });
    const result = await execa(BINARY, ['--root', root, 'install'], { env, extendEnv: true, reject: false, timeout: 120_000, stdin: 'ignore' });
    expect(result.exitCode).toBe(ExitCode.failure);
    const lines = result.stderr.split('\n').filter((line) => line.includes('docker.io/library/traefik:v9.9.9'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/image docker\.io\/library\/traefik:v9\.9\.9 is not in the registry 127\.0\.0\.1:\d+: .*manifest unknown/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect((await fs.readFile(path.join(root, '/etc/one-appliance/status'), 'utf8')).trim()).toBe('install_failure');
  });

  test('an image without a trusted digest stops the install before any image is copied (exit 2)', async () => {
    const { root, run } = await prepared({ digests: { 'docker.io/longhornio/csi-attacher:v4.9.0-20250709': undefined } });
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnverifiableArtifactsError);
    expect((error as UnverifiableArtifactsError).files).toEqual(['docker.io/longhornio/csi-attacher:v4.9.0-20250709']);
    expect((error as UnverifiableArtifactsError).exitCode).toBe(ExitCode.invalidInput);
    expect((await listDir(path.join(root, RKE2_AIRGAP_IMAGES))).filter((n) => n.startsWith('one-'))).toEqual([]);
  });

  test('not air-gapped: the images folder and the registry are left alone', async () => {
    const { root, run } = await prepared({ airgapped: false, digests: Object.fromEntries(Object.keys(IMAGES).map((r) => [r, undefined])) });
    const result = await run();
    expect(result.imagesCopied).toEqual([]);
    expect(result.imagesPresent).toEqual([]);
    await expect(fs.access(path.join(root, RKE2_AIRGAP_IMAGES))).rejects.toThrow();
    await expect(fs.access(path.join(root, IMAGE_RECEIPTS))).rejects.toThrow();
  });
});
