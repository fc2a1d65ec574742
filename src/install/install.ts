// `oneke install`, run once while the image is built: OS packages, RKE2 and Helm for the pinned
// versions, the add-on chart archives and their HelmChart manifests, and with ONE_SERVICE_AIRGAPPED
// the RKE2 image archives. Every download is checked against a trusted SHA-256 before use, every
// path is taken under the host's root, and a second run redoes nothing that is already in place.
// Air-gapped, the container images of the add-ons follow (image-copy.ts), each copied by a trusted
// digest from its registry or ONEKE_REGISTRY_MIRROR.
//
// The run is a plan (plan.ts: what `oneke plan --step install` prints) that the one executor
// applies through the installer below; whether each artifact or image is already in place is
// decided as its action is applied, from the receipts.

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Dispatcher } from 'undici';
import { addonManifest, preparedManifest, type ChartAddonName } from '../addons/index.ts';
import type { Config } from '../config/index.ts';
import { RuntimeProblem } from '../errors.ts';
import type { Host } from '../host/host.ts';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../log/logger.ts';
import { archOf, artifactUrl, planArtifacts, type Arch, type Artifact, type ChecksumList } from './artifacts.ts';
import { parseSha256Sums, readSha256Sums, requireChecksums, requireImageDigests } from './checksums.ts';
import { applyPlan, type Installer } from '../executor/apply.ts';
import type { Action, ActionOf, Plan } from '../plan/plan.ts';
import { packagesSkipped, planInstall } from './plan.ts';
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

/** What install settles before anything changes: the trusted checksums, and the plan made from them. */
export interface SettledInstall {
  readonly arch: Arch;
  readonly artifacts: readonly Artifact[];
  readonly operator: ChecksumList | undefined;
  readonly sums: ReadonlyMap<string, { sha256: string; from: string }>;
  readonly plan: Plan;
}

/**
 * Reads the operator's checksum list and makes the plan of install (what `oneke plan --step install`
 * prints). Throws when an artifact has no trusted SHA-256. Changes nothing.
 */
export async function settleInstall(run: Pick<InstallRun, 'host' | 'config' | 'settings' | 'arch' | 'addonImages'>): Promise<SettledInstall> {
  const arch = run.arch ?? archOf();
  const artifacts = planArtifacts(run.config, arch);
  const operator = run.settings.sha256sumsFile === undefined ? undefined : await readSha256Sums(run.settings.sha256sumsFile);
  const sums = requireChecksums(artifacts, operator);
  const plan = planInstall(run.config, run.settings, arch, { sums, root: run.host.root, ...(run.addonImages === undefined ? {} : { addonImages: run.addonImages }) });
  return { arch, artifacts, operator, sums, plan };
}

export async function install(run: InstallRun): Promise<InstallResult> {
  const { host, logger, settings } = run;
  // Every checksum is settled before anything changes on the system.
  const settled = await settleInstall(run);
  for (const artifact of settled.artifacts) {
    const sum = settled.sums.get(artifact.file);
    logger.info({ file: artifact.file, url: artifactUrl(artifact, settings.mirror), sha256: sum?.sha256, checksumFrom: sum?.from }, `${artifact.label}: ${artifact.file}`);
  }
  // apt-get runs on the running system only: never with --root elsewhere, never when skipped.
  const skipped = packagesSkipped(settings, host.root);
  if (skipped !== undefined) {
    if (settings.skipPackages) logger.info(skipped);
    else logger.info({ root: host.root }, skipped);
  }

  const installer = new PlanInstaller(run, settled);
  try {
    await applyPlan(settled.plan, { host, logger, installer });
  } finally {
    await installer.close();
  }
  const result = installer.result();
  logger.info(
    { downloaded: result.downloaded.length, present: result.present.length, manifests: result.manifests.length, imagesCopied: result.imagesCopied.length, imagesPresent: result.imagesPresent.length },
    'install is complete',
  );
  return result;
}

/** Applies the actions of the install plan, with the state they share: receipts, the HTTP dispatcher, what was done. */
class PlanInstaller implements Installer {
  readonly #run: InstallRun;
  readonly #settled: SettledInstall;
  readonly #lastArtifact: Action | undefined;
  readonly #lastManifest: Action | undefined;
  #receipts: Map<string, string> | undefined;
  #dispatcher: Dispatcher | undefined;
  #packagesInstalled = false;
  readonly #downloaded: string[] = [];
  readonly #present: string[] = [];
  readonly #manifests: string[] = [];
  readonly #imagesCopied: string[] = [];
  readonly #imagesPresent: string[] = [];

  constructor(run: InstallRun, settled: SettledInstall) {
    this.#run = run;
    this.#settled = settled;
    this.#lastArtifact = settled.plan.actions.filter((a) => a.kind === 'artifact').at(-1);
    this.#lastManifest = settled.plan.actions.filter((a) => a.kind === 'addon-manifest').at(-1);
  }

  async installPackages(): Promise<void> {
    await installPackages(this.#run.host, this.#run.logger);
    this.#packagesInstalled = true;
  }

  async artifact(action: ActionOf<'artifact'>): Promise<void> {
    const { host, logger } = this.#run;
    const artifact = this.#artifactOf(action.file);
    this.#receipts ??= await readReceipts(host, logger, ARTIFACT_RECEIPTS);
    const receipts = this.#receipts;
    this.#dispatcher ??= this.#run.dispatcher ?? createDownloadDispatcher(this.#run.policy);
    try {
      if (action.unpack !== undefined && receipts.get(action.file) === action.sha256 && (await unpackedInPlace(host, artifact))) {
        logger.info({ file: action.file }, `${action.label} is already installed`);
        this.#present.push(action.file);
      } else {
        const outcome = await fetchVerified(
          { file: action.file, url: action.url, target: host.hostPath(action.target), sha256: action.sha256, mode: action.unpack === undefined ? FILE_MODE : STAGED_MODE },
          { dispatcher: this.#dispatcher, logger, ...(this.#run.policy ? { policy: this.#run.policy } : {}), ...(this.#run.sleep ? { sleep: this.#run.sleep } : {}) },
        );
        (outcome === 'downloaded' ? this.#downloaded : this.#present).push(action.file);
        if (action.unpack !== undefined) {
          await unpack(host, logger, artifact, this.#settled.arch);
          await host.remove(action.target);
        }
        receipts.set(action.file, action.sha256);
        await writeReceipts(host, receipts, ARTIFACT_RECEIPTS);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
    if (action === this.#lastArtifact) {
      await this.close();
      await removeIfEmpty(host, DOWNLOAD_STAGING);
    }
  }

  async addonManifest(action: ActionOf<'addon-manifest'>): Promise<void> {
    const { host, logger, config } = this.#run;
    const { artifact, addon } = this.#chartOf(action.addon);
    const manifest = preparedManifest(addon);
    const chart = await fs.readFile(host.hostPath(artifact.target));
    await host.writeFile(action.path, addonManifest(addon, chart, config), FILE_MODE);
    logger.info({ manifest: action.path }, `prepared ${manifest.name} (${artifact.label})`);
    this.#manifests.push(action.path);
    if (action === this.#lastManifest && !config.airgapped) logger.info('ONE_SERVICE_AIRGAPPED is off: no container image archives in the image');
  }

  async chartImages(action: ActionOf<'chart-images'>): Promise<void> {
    const { host, logger, settings } = this.#run;
    // Every image and its digest are settled before the first image is copied.
    const images: AddonImage[] = [];
    for (const name of action.addons) {
      const { artifact, addon } = this.#chartOf(name);
      images.push(...(await chartImages(host, addon, artifact.target)));
    }
    const digests = requireImageDigests(images, this.#settled.operator);
    const imageReceipts = await readReceipts(host, logger, IMAGE_RECEIPTS);
    for (const image of images) {
      const sha256 = digests.get(image.reference)?.sha256 ?? '';
      if (imageReceipts.get(image.reference) === sha256 && (await host.stat(`${RKE2_AIRGAP_IMAGES}/${image.archive}`))?.isFile === true) {
        logger.info({ image: image.reference }, `image ${image.reference} is already in place`);
        this.#imagesPresent.push(image.reference);
        continue;
      }
      await copyImage({ host, logger, arch: this.#settled.arch, mirror: settings.registryMirror }, image, sha256);
      this.#imagesCopied.push(image.reference);
      imageReceipts.set(image.reference, sha256);
      await writeReceipts(host, imageReceipts, IMAGE_RECEIPTS);
    }
    await removeIfEmpty(host, DOWNLOAD_STAGING);
  }

  /** Closes the dispatcher this run made (one given by the caller stays open). */
  async close(): Promise<void> {
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    if (dispatcher !== undefined && this.#run.dispatcher === undefined) await dispatcher.close();
  }

  result(): InstallResult {
    return {
      downloaded: this.#downloaded,
      present: this.#present,
      manifests: this.#manifests,
      imagesCopied: this.#imagesCopied,
      imagesPresent: this.#imagesPresent,
      packagesInstalled: this.#packagesInstalled,
    };
  }

  #artifactOf(file: string): Artifact {
    const artifact = this.#settled.artifacts.find((a) => a.file === file);
    if (artifact === undefined) throw new RuntimeProblem('ONEKE_INTERNAL', `${file} is not an artifact of this install`);
    return artifact;
  }

  #chartOf(name: string): { artifact: Artifact; addon: ChartAddonName } {
    const artifact = this.#settled.artifacts.find((a) => a.kind === 'chart' && a.addon === name);
    if (artifact?.addon === undefined) throw new RuntimeProblem('ONEKE_INTERNAL', `${name} has no chart archive in this install`);
    return { artifact, addon: artifact.addon };
  }
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
