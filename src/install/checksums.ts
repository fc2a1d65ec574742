// sha256sum-format lists and file hashes.

import { ConfigError } from '../errors.ts';
import { READ_LIMITS, readRegularFile, ReadRefused } from '../host/bounded-read.ts';
import { showValue } from '../config/index.ts';
import { resolveChecksum, type Artifact, type ChecksumList, type PinnedChecksum, PINNED_SHA256 } from './artifacts.ts';
import { UnverifiableArtifactsError } from './errors.ts';
import { PINNED_IMAGE_DIGESTS, resolveImageDigest, type AddonImage, type PinnedImageDigest } from './images.ts';

/** The variable that names the operator's checksum list. */
export const SHA256SUMS_VARIABLE = 'ONEKE_ARTIFACT_SHA256SUMS';

const SUM_LINE = /^([0-9A-Fa-f]{64}) [ *](.+)$/;

/**
 * Parses `sha256sum` output: `<64 hex> <space or *><file>` per line, as RKE2's sha256sum-<arch>.txt
 * and Helm's .sha256sum files are written, so they can simply be concatenated. Blank lines and `#`
 * comments are skipped; a leading `./` is dropped from names. A malformed line, or one file listed
 * twice with different sums, is an error naming the line.
 */
export function parseSha256Sums(text: string, source: string): ChecksumList {
  const sums = new Map<string, string>();
  const issues: { variable: string; shown: string; expected: string }[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const where = `${SHA256SUMS_VARIABLE} (${source}, line ${index + 1})`;
    const match = SUM_LINE.exec(line);
    if (!match) {
      issues.push({ variable: where, shown: showValue(line), expected: 'a sha256sum line: 64 hex digits, two spaces, the file name' });
      return;
    }
    const sha256 = (match[1] ?? '').toLowerCase();
    const file = (match[2] ?? '').replace(/^\.\//, '');
    const earlier = sums.get(file);
    if (earlier !== undefined && earlier !== sha256) {
      issues.push({ variable: where, shown: showValue(line), expected: `one checksum per file (${file} was listed before with ${earlier})` });
      return;
    }
    sums.set(file, sha256);
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { source, sums };
}

/** Reads the operator's list; a missing or unreadable file is an input error naming the variable. */
export async function readSha256Sums(file: string): Promise<ChecksumList> {
  let text: string;
  try {
    // A regular file of bounded size: a FIFO or an endless device is refused, not waited on.
    text = (await readRegularFile(file, READ_LIMITS.metadata)).toString('utf8');
  } catch (error) {
    const code = error instanceof ReadRefused ? error.message : ((error as NodeJS.ErrnoException).code ?? 'unreadable');
    throw new ConfigError([{ variable: SHA256SUMS_VARIABLE, shown: showValue(file), expected: `a readable sha256sum-format file (${code})` }]);
  }
  return parseSha256Sums(text, file);
}

/**
 * The SHA-256 of every artifact, by file name. Throws UnverifiableArtifactsError naming every
 * artifact without a trusted checksum (or with conflicting ones), before anything is fetched.
 */
export function requireChecksums(artifacts: readonly Artifact[], operator: ChecksumList | undefined, pinned: readonly PinnedChecksum[] = PINNED_SHA256): Map<string, { sha256: string; from: string }> {
  const resolved = new Map<string, { sha256: string; from: string }>();
  const missing: { file: string; reason: string }[] = [];
  const conflicting: { file: string; reason: string }[] = [];
  for (const artifact of artifacts) {
    const result = resolveChecksum(artifact, operator, pinned);
    if (result.ok) resolved.set(artifact.file, { sha256: result.sha256, from: result.from });
    else if (result.problem === 'conflict') conflicting.push({ file: artifact.file, reason: result.reason });
    else missing.push({ file: artifact.file, reason: result.reason });
  }
  if (missing.length === 0 && conflicting.length === 0) return resolved;

  const parts: string[] = [];
  if (missing.length > 0) {
    const it = missing.length > 1 ? 'them' : 'it';
    parts.push(
      `no trusted SHA-256 for ${missing.map((m) => m.reason).join(', ')}: pin ${it} in PINNED_SHA256 of src/install/artifacts.ts, ` +
        `or list ${it} as "<sha256>  <file>" lines in a sha256sum-format file named by ${SHA256SUMS_VARIABLE}` +
        (operator ? ` (${operator.source} does not list ${it})` : ' (not set)'),
    );
  }
  if (conflicting.length > 0) parts.push(`conflicting SHA-256: ${conflicting.map((c) => c.reason).join(', ')}`);
  const files = [...missing, ...conflicting].map((m) => m.file);
  throw new UnverifiableArtifactsError(
    `install refuses unverified downloads and fetched nothing: ${parts.join('; ')}`,
    files,
    `take each value from the upstream checksum file named above (better: check it against a second download), e.g. \`curl -fsSL <sha256sum url> >> sums.txt\`, then set ${SHA256SUMS_VARIABLE}=sums.txt`,
  );
}

/**
 * The digest (hex) of every add-on image, by reference. Throws UnverifiableArtifactsError naming
 * every image without a trusted digest (or with conflicting ones), before any image is copied.
 */
export function requireImageDigests(
  images: readonly AddonImage[],
  operator: ChecksumList | undefined,
  pinned: readonly PinnedImageDigest[] = PINNED_IMAGE_DIGESTS,
): Map<string, { sha256: string; from: string }> {
  const resolved = new Map<string, { sha256: string; from: string }>();
  const missing: string[] = [];
  const conflicting: string[] = [];
  for (const image of images) {
    const result = resolveImageDigest(image, operator, pinned);
    if (result.ok) resolved.set(image.reference, { sha256: result.sha256, from: result.from });
    else (result.problem === 'conflict' ? conflicting : missing).push(result.reason);
  }
  if (missing.length === 0 && conflicting.length === 0) return resolved;

  const parts: string[] = [];
  if (missing.length > 0) {
    parts.push(
      `no trusted digest for the images ${missing.join(', ')}: list each as "<sha256 hex>  <image reference>" in the sha256sum-format file named by ${SHA256SUMS_VARIABLE}` +
        (operator ? ` (${operator.source} does not list them)` : ' (not set)'),
    );
  }
  if (conflicting.length > 0) parts.push(`conflicting digests: ${conflicting.join(', ')}`);
  const names = images.filter((i) => !resolved.has(i.reference)).map((i) => i.reference);
  throw new UnverifiableArtifactsError(
    `install refuses images without a trusted digest and copied none: ${parts.join('; ')}`,
    names,
    `take each digest from \`skopeo inspect --format '{{.Digest}}' docker://<image reference>\` (better: from two networks), without the "sha256:" prefix`,
  );
}

// The hash of a file is file work of the effects layer; kept here under its old name.
export { sha256OfFile } from '../host/files.ts';
