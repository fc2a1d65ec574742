// `oneke install`, run once while the image is built: OS packages, RKE2 and Helm for the pinned
// versions, the add-on chart archives and their HelmChart manifests, and with ONE_SERVICE_AIRGAPPED
// the RKE2 image archives. Every download is checked against a trusted SHA-256 before use, every
// path is taken under the host's root, and a second run redoes nothing that is already in place.
// Air-gapped, the container images of the add-ons follow (image-copy.ts), each copied by a trusted
// digest from its registry or ONEKE_REGISTRY_MIRROR.

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Dispatcher } from 'undici';
import { addonManifest, preparedManifest, type ChartAddonName } from '../addons/index.ts';
import type { Config } from '../config/index.ts';
import { RuntimeProblem } from '../errors.ts';
import type { Host } from '../host/host.ts';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../log/logger.ts';
import { archOf, artifactUrl, planArtifacts, type Arch, type Artifact } from './artifacts.ts';
import { parseSha256Sums, readSha256Sums, requireChecksums, requireImageDigests } from './checksums.ts';
import { createDownloadDispatcher, fetchVerified, type DownloadPolicy } from './download.ts';
import { copyImage } from './image-copy.ts';
import { imagesOfChart, type AddonImage } from './images.ts';
import type { InstallSettings } from './options.ts';
import { installPackages } from './packages.ts';
import { ARTIFACT_RECEIPTS, DOWNLOAD_STAGING, HELM_BINARY, IMAGE_RECEIPTS, RKE2_BINARY, RKE2_PREFIX } from './paths.ts';
import { RKE2_AIRGAP_IMAGES } from '../roles/kubernetes/paths.ts';

export interface InstallRun {
  readonly host: Host;
  readonly logger: Logger;
  readonly config: Config;
  readonly settings: InstallSettings;
  /** Default: this machine's (`process.arch`). */
  readonly arch?: Arch;
  /** Default: one made by createDownloadDispatcher (proxy from the environment, redirects followed). */
  readonly dispatcher?: Dispatcher;
  readonly policy?: Partial<DownloadPolicy>;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Whether the add-on images are copied. Default: when ONE_SERVICE_AIRGAPPED is on. Tests of the
   * downloads alone turn it off (the images need a registry).
   */
  readonly addonImages?: boolean;
}

export interface InstallResult {
  /** File names fetched over the network in this run. */
  readonly downloaded: readonly string[];
  /** File names already in place with the right SHA-256 (nothing fetched). */
  readonly present: readonly string[];
  /** VM paths of the manifests written. */
  readonly manifests: readonly string[];
  /** References of the add-on images copied in this run, and of those already in place. */
  readonly imagesCopied: readonly string[];
  readonly imagesPresent: readonly string[];
  readonly packagesInstalled: boolean;
}

const FILE_MODE = 0o644;
const STAGED_MODE = 0o600;

export async function install(run: InstallRun): Promise<InstallResult> {
  const { host, logger, config, settings } = run;
  const arch = run.arch ?? archOf();
  const artifacts = planArtifacts(config, arch);

  // Every checksum is settled before anything changes on the system.
  const operator = settings.sha256sumsFile === undefined ? undefined : await readSha256Sums(settings.sha256sumsFile);
  const sums = requireChecksums(artifacts, operator);
  for (const artifact of artifacts) {
    const sum = sums.get(artifact.file);
    logger.info({ file: artifact.file, url: artifactUrl(artifact, settings.mirror), sha256: sum?.sha256, checksumFrom: sum?.from }, `${artifact.label}: ${artifact.file}`);
  }

  const packagesInstalled = await maybeInstallPackages(host, logger, settings);

  const receipts = await readReceipts(host, logger, ARTIFACT_RECEIPTS);
  const dispatcher = run.dispatcher ?? createDownloadDispatcher(run.policy);
  const downloaded: string[] = [];
  const present: string[] = [];
  try {
    for (const artifact of artifacts) {
      const sha256 = sums.get(artifact.file)?.sha256 ?? '';
      if (!artifact.keep && receipts.get(artifact.file) === sha256 && (await unpackedInPlace(host, artifact))) {
        logger.info({ file: artifact.file }, `${artifact.label} is already installed`);
        present.push(artifact.file);
        continue;
      }
      const outcome = await fetchVerified(
        {
          file: artifact.file,
          url: artifactUrl(artifact, settings.mirror),
          target: host.hostPath(artifact.target),
          sha256,
          mode: artifact.keep ? FILE_MODE : STAGED_MODE,
        },
        { dispatcher, logger, ...(run.policy ? { policy: run.policy } : {}), ...(run.sleep ? { sleep: run.sleep } : {}) },
      );
      (outcome === 'downloaded' ? downloaded : present).push(artifact.file);
      if (!artifact.keep) {
        await unpack(host, logger, artifact, arch);
        await host.remove(artifact.target);
      }
      receipts.set(artifact.file, sha256);
      await writeReceipts(host, receipts, ARTIFACT_RECEIPTS);
    }
  } finally {
    if (run.dispatcher === undefined) await dispatcher.close();
  }
  await removeIfEmpty(host, DOWNLOAD_STAGING);

  const manifests: string[] = [];
  for (const artifact of artifacts) {
    if (artifact.kind !== 'chart' || artifact.addon === undefined) continue;
    const manifest = preparedManifest(artifact.addon);
    const chart = await fs.readFile(host.hostPath(artifact.target));
    await host.writeFile(manifest.path, addonManifest(artifact.addon, chart, config), FILE_MODE);
    logger.info({ manifest: manifest.path }, `prepared ${manifest.name} (${artifact.label})`);
    manifests.push(manifest.path);
  }
  if (!config.airgapped) logger.info('ONE_SERVICE_AIRGAPPED is off: no container image archives in the image');

  const imagesCopied: string[] = [];
  const imagesPresent: string[] = [];
  if (config.airgapped && run.addonImages !== false) {
    // Every image and its digest are settled before the first image is copied.
    const images: AddonImage[] = [];
    for (const artifact of artifacts) {
      if (artifact.kind === 'chart' && artifact.addon !== undefined) images.push(...(await chartImages(host, artifact.addon, artifact.target)));
    }
    const digests = requireImageDigests(images, operator);
    const imageReceipts = await readReceipts(host, logger, IMAGE_RECEIPTS);
    for (const image of images) {
      const sha256 = digests.get(image.reference)?.sha256 ?? '';
      if (imageReceipts.get(image.reference) === sha256 && (await host.stat(`${RKE2_AIRGAP_IMAGES}/${image.archive}`))?.isFile === true) {
        logger.info({ image: image.reference }, `image ${image.reference} is already in place`);
        imagesPresent.push(image.reference);
        continue;
      }
      await copyImage({ host, logger, arch, mirror: settings.registryMirror }, image, sha256);
      imagesCopied.push(image.reference);
      imageReceipts.set(image.reference, sha256);
      await writeReceipts(host, imageReceipts, IMAGE_RECEIPTS);
    }
    await removeIfEmpty(host, DOWNLOAD_STAGING);
  }

  // The RKE2 units just unpacked under /usr/local/lib/systemd/system.
  if (packagesInstalled) await host.run('systemctl', ['daemon-reload']);

  logger.info({ downloaded: downloaded.length, present: present.length, manifests: manifests.length, imagesCopied: imagesCopied.length, imagesPresent: imagesPresent.length }, 'install is complete');
  return { downloaded, present, manifests, imagesCopied, imagesPresent, packagesInstalled };
}

/** apt-get runs on the running system only: never with --root elsewhere, never when skipped. */
async function maybeInstallPackages(host: Host, logger: Logger, settings: InstallSettings): Promise<boolean> {
  if (settings.skipPackages) {
    logger.info('ONEKE_INSTALL_SKIP_PACKAGES is set: no apt-get, no systemctl');
    return false;
  }
  if (host.root !== '/') {
    logger.info({ root: host.root }, 'the root is not /: OS packages are not installed (apt-get works on the running system only)');
    return false;
  }
  await installPackages(host, logger);
  return true;
}

async function unpackedInPlace(host: Host, artifact: Artifact): Promise<boolean> {
  const marker = artifact.kind === 'rke2' ? RKE2_BINARY : artifact.kind === 'helm' ? HELM_BINARY : undefined;
  return marker !== undefined && (await host.stat(marker))?.isFile === true;
}

/** Unpacks a verified archive: RKE2 into /usr/local as its installer does, Helm's binary into /usr/local/bin. */
async function unpack(host: Host, logger: Logger, artifact: Artifact, arch: Arch): Promise<void> {
  const archive = host.hostPath(artifact.target);
  if (artifact.kind === 'rke2') {
    const prefix = host.hostPath(RKE2_PREFIX);
    await fs.mkdir(prefix, { recursive: true });
    // Existing folders (/usr/local/bin, ...) keep their owner and mode.
    await host.run('tar', ['-xzf', archive, '-C', prefix, '--no-same-owner', '--no-overwrite-dir']);
    if ((await host.stat(RKE2_BINARY))?.isFile !== true) {
      throw new RuntimeProblem('ONEKE_ARTIFACT_CONTENT', `${artifact.file} holds no bin/rke2: not an RKE2 release tarball`);
    }
    logger.info({ prefix: RKE2_PREFIX }, `unpacked ${artifact.label} into ${RKE2_PREFIX}`);
    return;
  }
  if (artifact.kind === 'helm') {
    const binDir = host.hostPath(path.posix.dirname(HELM_BINARY));
    await fs.mkdir(binDir, { recursive: true });
    // Unpacked next to its final place, so that the rename is atomic (same file system).
    const temp = await fs.mkdtemp(path.join(binDir, '.helm-'));
    try {
      const member = `linux-${arch}/helm`;
      await host.run('tar', ['-xzf', archive, '-C', temp, '--no-same-owner', member]);
      const binary = path.join(temp, member);
      await fs.chmod(binary, 0o755);
      await fs.rename(binary, host.hostPath(HELM_BINARY));
    } finally {
      await fs.rm(temp, { recursive: true, force: true });
    }
    logger.info({ binary: HELM_BINARY }, `installed ${artifact.label} as ${HELM_BINARY}`);
  }
}

async function readReceipts(host: Host, logger: Logger, vmPath: string): Promise<Map<string, string>> {
  const text = await host.readFile(vmPath);
  if (text === undefined) return new Map();
  try {
    return new Map(parseSha256Sums(text, vmPath).sums);
  } catch {
    logger.warn({ file: vmPath }, 'the receipts of an earlier install are unreadable: everything is fetched again');
    return new Map();
  }
}

async function writeReceipts(host: Host, receipts: ReadonlyMap<string, string>, vmPath: string): Promise<void> {
  const lines = [...receipts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([file, sha256]) => `${sha256}  ${file}\n`);
  await host.writeFile(vmPath, lines.join(''), FILE_MODE);
}

/** The largest values.yaml or Chart.yaml read out of a chart archive. */
const MAX_CHART_FILE_CHARS = 2 * 1024 * 1024;

/** The images an add-on's (verified) chart archive runs: from its values.yaml and Chart.yaml. */
async function chartImages(host: Host, addon: ChartAddonName, archive: string): Promise<AddonImage[]> {
  const read = async (member: string): Promise<unknown> => {
    const result = await host.exec('tar', ['-xzOf', host.hostPath(archive), `${addon}/${member}`], { timeoutMs: 60_000 });
    if (result.exitCode !== 0 || result.stdout.length > MAX_CHART_FILE_CHARS) {
      throw new RuntimeProblem('ONEKE_ARTIFACT_CONTENT', `${path.posix.basename(archive)} holds no readable ${addon}/${member}: not a ${addon} chart archive`);
    }
    try {
      return parseYaml(result.stdout) as unknown;
    } catch {
      throw new RuntimeProblem('ONEKE_ARTIFACT_CONTENT', `${addon}/${member} in ${path.posix.basename(archive)} is not YAML`);
    }
  };
  return imagesOfChart(addon, await read('values.yaml'), await read('Chart.yaml'));
}

async function removeIfEmpty(host: Host, vmPath: string): Promise<void> {
  try {
    await fs.rmdir(host.hostPath(vmPath));
  } catch {
    // Not empty (something else left there) or not there: nothing to do.
  }
}
