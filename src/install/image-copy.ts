// Copies one add-on image into RKE2's images folder as a zstd-compressed docker-archive, which RKE2
// imports into containerd when it starts. Through the Host (skopeo, tar, zstd as argv, never a shell).
//
// What is checked, in order, before anything is in place:
// 1. the digest the registry serves under the image's tag is the trusted one (else
//    ImageDigestMismatchError, one line naming the image; a missing tag is ImageNotFoundError);
// 2. the copy is made by digest (`repository@sha256:…`), so skopeo itself checks the manifest and
//    every layer against that digest while it copies;
// 3. after the copy, the archive's manifest.json names the image and holds the very config blob
//    the trusted manifest names (for a manifest list: the entry of this architecture).
// Only then is the archive compressed and renamed into place; a failure leaves no file there.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { commitFile, makeDirectory, removeFile } from '../host/files.ts';
import type { Host } from '../host/host.ts';
import type { Logger } from '../log/logger.ts';
import { RKE2_AIRGAP_IMAGES } from '../roles/kubernetes/paths.ts';
import type { Arch } from './artifacts.ts';
import { ImageCopyError, ImageDigestMismatchError, ImageNotFoundError } from './errors.ts';
import { imageSource, platformOf, type AddonImage, type ImageSource } from './images.ts';
import { DOWNLOAD_STAGING } from './paths.ts';

export interface ImageCopyRun {
  readonly host: Host;
  readonly logger: Logger;
  readonly arch: Arch;
  /** ONEKE_REGISTRY_MIRROR, parsed. */
  readonly mirror: URL | undefined;
}

/** Attempts skopeo makes per registry request (its own backoff between them). */
const SKOPEO_RETRIES = '3';
const INSPECT_TIMEOUT_MS = 5 * 60_000;
const COPY_TIMEOUT_MS = 60 * 60_000;
const LOCAL_TIMEOUT_MS = 30 * 60_000;
/** The largest manifest or manifest.json read into memory. */
const MAX_MANIFEST_CHARS = 4 * 1024 * 1024;
const ARCHIVE_MODE = 0o644;
const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** What the registry or a tool said, as one bounded line without control characters. */
function said(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  const last = lines.at(-1) ?? '';
  // skopeo logs `time="…" level=fatal msg="…"`: the message is what matters.
  const message = /msg="((?:[^"\\]|\\.)*)"/.exec(last)?.[1]?.replace(/\\"/g, '"') ?? last;
  // eslint-disable-next-line no-control-regex
  const clean = message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean || 'no message';
}

const NOT_FOUND = /manifest unknown|name unknown|not found|status 404|no image found in manifest list/i;

function tlsArg(source: ImageSource, option: '--tls-verify' | '--src-tls-verify'): string {
  return `${option}=${source.tlsVerify ? 'true' : 'false'}`;
}

function platformArgs(arch: Arch): string[] {
  const platform = platformOf(arch);
  return [`--override-os=${platform.os}`, `--override-arch=${platform.architecture}`];
}

function parseJson(text: string, what: string, reference: string): unknown {
  if (text.length > MAX_MANIFEST_CHARS) throw new ImageCopyError(reference, `${what} is larger than ${MAX_MANIFEST_CHARS} characters`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ImageCopyError(reference, `${what} is not JSON`);
  }
}

/** The digest the registry serves under the image's tag (of the manifest list, when it is one). */
async function digestOfTag(run: ImageCopyRun, image: AddonImage, source: ImageSource): Promise<string> {
  const args = ['inspect', '--retry-times', SKOPEO_RETRIES, '--no-tags', ...platformArgs(run.arch), tlsArg(source, '--tls-verify'), '--format', '{{.Digest}}', `${source.transport}:${image.tag}`];
  const result = await run.host.exec('skopeo', args, { timeoutMs: INSPECT_TIMEOUT_MS });
  if (result.exitCode !== 0) {
    const message = said(result.stderr);
    if (NOT_FOUND.test(message)) throw new ImageNotFoundError(image.reference, source.registry, message);
    throw new ImageCopyError(image.reference, `skopeo inspect (${source.registry}) exited ${result.exitCode}: ${message}`);
  }
  const match = DIGEST.exec(result.stdout.trim());
  if (!match) throw new ImageCopyError(image.reference, `skopeo inspect gave no sha256 digest for tag ${image.tag}`);
  return match[1] as string;
}

async function rawManifest(run: ImageCopyRun, image: AddonImage, source: ImageSource, sha256: string): Promise<unknown> {
  const args = ['inspect', '--retry-times', SKOPEO_RETRIES, '--raw', tlsArg(source, '--tls-verify'), `${source.transport}@sha256:${sha256}`];
  const result = await run.host.exec('skopeo', args, { timeoutMs: INSPECT_TIMEOUT_MS });
  if (result.exitCode !== 0) throw new ImageCopyError(image.reference, `skopeo inspect --raw of sha256:${sha256} exited ${result.exitCode}: ${said(result.stderr)}`);
  return parseJson(result.stdout, `the manifest sha256:${sha256}`, image.reference);
}

const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});

/** The config blob digest (hex) of the image this machine's architecture runs, under a trusted manifest. */
async function configDigest(run: ImageCopyRun, image: AddonImage, source: ImageSource, sha256: string): Promise<string> {
  let manifest = record(await rawManifest(run, image, source, sha256));
  if (Array.isArray(manifest.manifests)) {
    const platform = platformOf(run.arch);
    const entry = manifest.manifests.map(record).find((m) => {
      const p = record(m.platform);
      return p.os === platform.os && p.architecture === platform.architecture;
    });
    const match = DIGEST.exec(String(entry?.digest ?? ''));
    if (!match) throw new ImageNotFoundError(image.reference, source.registry, `the manifest list sha256:${sha256} has no ${platform.os}/${platform.architecture} image`);
    manifest = record(await rawManifest(run, image, source, match[1] as string));
  }
  const match = DIGEST.exec(String(record(manifest.config).digest ?? ''));
  if (!match) throw new ImageCopyError(image.reference, `the manifest under sha256:${sha256} names no config blob`);
  return match[1] as string;
}

/** The archive made by skopeo holds this image, under this name, and nothing else. */
async function checkArchive(run: ImageCopyRun, image: AddonImage, tarPath: string, configHex: string): Promise<void> {
  const listed = await run.host.exec('tar', ['-xOf', tarPath, 'manifest.json'], { timeoutMs: LOCAL_TIMEOUT_MS });
  if (listed.exitCode !== 0) throw new ImageCopyError(image.reference, `the archive has no manifest.json: ${said(listed.stderr)}`);
  const entries = parseJson(listed.stdout, 'manifest.json of the archive', image.reference);
  const only = Array.isArray(entries) && entries.length === 1 ? record(entries[0]) : undefined;
  const tags = Array.isArray(only?.RepoTags) ? only.RepoTags : [];
  if (only === undefined || only.Config !== `${configHex}.json` || !tags.includes(image.reference)) {
    throw new ImageCopyError(image.reference, `the archive does not hold the trusted image (expected config sha256:${configHex} tagged ${image.reference})`);
  }
}

/**
 * Puts `image` into RKE2's images folder, copied by the trusted digest `sha256` (hex) from its
 * registry or the mirror. Throws ImageNotFoundError, ImageDigestMismatchError or ImageCopyError;
 * then nothing is at the target and no temp file is left.
 */
export async function copyImage(run: ImageCopyRun, image: AddonImage, sha256: string): Promise<void> {
  const { host, logger } = run;
  const source = imageSource(image, run.mirror);
  logger.info({ image: image.reference, registry: source.registry, digest: `sha256:${sha256}` }, `checking image ${image.reference} in ${source.registry}`);
  const served = await digestOfTag(run, image, source);
  if (served !== sha256) throw new ImageDigestMismatchError(image.reference, source.registry, sha256, served);
  const configHex = await configDigest(run, image, source, sha256);

  const staging = host.hostPath(DOWNLOAD_STAGING);
  const imagesDir = host.hostPath(RKE2_AIRGAP_IMAGES);
  await makeDirectory(staging);
  await makeDirectory(imagesDir);
  const suffix = randomBytes(6).toString('hex');
  const tarPath = path.join(staging, `${image.archive}.${suffix}.tar`);
  // skopeo reads `docker-archive:PATH:NAME`: a colon in the path would be taken for the name.
  if (tarPath.includes(':')) throw new ImageCopyError(image.reference, `the staging path ${JSON.stringify(tarPath)} has a colon, which skopeo cannot take`);
  const partPath = path.join(imagesDir, `.${image.archive}.${suffix}.part`);
  try {
    logger.info({ image: image.reference }, `copying image ${image.reference} by digest`);
    const copied = await host.exec(
      'skopeo',
      [
        'copy',
        '--retry-times',
        SKOPEO_RETRIES,
        '--quiet',
        ...platformArgs(run.arch),
        tlsArg(source, '--src-tls-verify'),
        `${source.transport}@sha256:${sha256}`,
        `docker-archive:${tarPath}:${image.reference}`,
      ],
      { timeoutMs: COPY_TIMEOUT_MS },
    );
    if (copied.exitCode !== 0) throw new ImageCopyError(image.reference, `skopeo copy exited ${copied.exitCode}: ${said(copied.stderr)}`);
    await checkArchive(run, image, tarPath, configHex);
    const packed = await host.exec('zstd', ['-q', '-T0', '-f', '-o', partPath, tarPath], { timeoutMs: LOCAL_TIMEOUT_MS });
    if (packed.exitCode !== 0) throw new ImageCopyError(image.reference, `zstd exited ${packed.exitCode}: ${said(packed.stderr)}`);
    await commitFile(partPath, path.join(imagesDir, image.archive), ARCHIVE_MODE);
  } finally {
    await removeFile(tarPath);
    await removeFile(partPath);
  }
  logger.info({ image: image.reference, archive: `${RKE2_AIRGAP_IMAGES}/${image.archive}` }, `image ${image.reference} is in place, verified`);
}
