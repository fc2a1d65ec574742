// The container images of the add-ons, for the air-gapped image (ONE_SERVICE_AIRGAPPED=YES): which
// images, from where, and the digest each must have. Pure: no I/O (image-copy.ts does the copying).
//
// Which images: read from the chart archives themselves (already verified against their SHA-256),
// at the places where each chart names its images (each add-on's `chart.images` in src/addons), so
// that the list follows the pinned chart versions and is never guessed; an empty tag is the chart's
// appVersion, as the charts' templates do. The reference finds them by rendering the charts (`helm template`) and from longhorn-images.txt.
//
// Digest policy (the same as for downloads, see artifacts.ts): every image is copied by digest and
// the digest is trusted only from PINNED_IMAGE_DIGESTS or from the operator's sha256sum-format list
// (ONEKE_ARTIFACT_SHA256SUMS), where an image is a line `<hex digest>  <image reference>`. An image
// that neither covers fails the install before any image is copied. PINNED_IMAGE_DIGESTS is empty:
// this code was written without access to the registries, and a digest is not something to guess.
// Take each value from `skopeo inspect --format '{{.Digest}}' docker://<reference>` (the digest of
// the manifest list, so that one value covers every architecture), ideally from two networks.

import { chartAddon, isRecord, valueAt, type ChartAddonName } from '../addons/index.ts';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { showValue } from '../config/index.ts';
import { resolveTrusted, type Arch, type ChecksumList, type ChecksumResolution } from './artifacts.ts';

/** One container image that an add-on's chart runs. */
export interface AddonImage {
  readonly addon: ChartAddonName;
  /** Registry host, `docker.io` when the chart names none. */
  readonly registry: string;
  /** Path in the registry: `longhornio/longhorn-manager`, `library/traefik`. */
  readonly repository: string;
  readonly tag: string;
  /** `docker.io/longhornio/longhorn-manager:v1.9.1`: the name containerd will know it by. */
  readonly reference: string;
  /** File name of its archive in RKE2's images folder. */
  readonly archive: string;
}

/** One pinned image digest, with where the value was read. */
export interface PinnedImageDigest {
  readonly reference: string;
  /** Lowercase hex, without `sha256:`. */
  readonly sha256: string;
  readonly source: string;
}

/** Image digests oneke vouches for. None yet (see the policy above). */
export const PINNED_IMAGE_DIGESTS: readonly PinnedImageDigest[] = [];

const REGISTRY = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * The image a chart names as `[registry/]repository` and a tag, normalised as containerd names it
 * (`docker.io` by default, `library/` for one-component Docker Hub names). Anything that is not a
 * plain image name is refused: these strings end up in skopeo's argv and in file names.
 */
export function addonImage(addon: ChartAddonName, name: string, tag: string, registry?: string): AddonImage {
  const where = `the ${addon} chart's image ${showValue(`${registry ? `${registry}/` : ''}${name}:${tag}`)}`;
  let host = registry?.trim() || undefined;
  let path = name.trim();
  if (host === undefined) {
    const first = path.split('/')[0] ?? '';
    if (path.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
      host = first;
      path = path.slice(first.length + 1);
    }
  }
  host ??= 'docker.io';
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') host = 'docker.io';
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!REGISTRY.test(host) || !path.split('/').every((c) => PATH_COMPONENT.test(c)) || !TAG.test(tag)) {
    throw new ConfigError([{ variable: `${addon} chart values`, shown: showValue(`${host}/${path}:${tag}`), expected: `a plain image name and tag (${where})` }]);
  }
  const reference = `${host}/${path}:${tag}`;
  return { addon, registry: host, repository: path, tag, reference, archive: `one-${addon}_${path.replaceAll('/', '_')}_${tag}.tar.zst` };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

/** `{registry?, repository, tag}` at one place of the values; the tag falls back to appVersion. */
function imageAt(addon: ChartAddonName, entry: unknown, appVersion: string, where: string, issues: ConfigIssue[]): AddonImage | undefined {
  if (!isRecord(entry)) return undefined;
  const repository = text(entry.repository);
  if (repository === '') return undefined;
  const tag = text(entry.tag) || appVersion;
  if (tag === '') {
    issues.push({ variable: `${addon} chart values ${where}`, shown: showValue(repository), expected: 'a tag, or an appVersion in Chart.yaml' });
    return undefined;
  }
  try {
    return addonImage(addon, repository, tag, text(entry.registry) || undefined);
  } catch (error) {
    if (error instanceof ConfigError) issues.push(...error.issues);
    else throw error;
    return undefined;
  }
}

/**
 * The images an add-on's chart runs, from its values.yaml and Chart.yaml (parsed), in a fixed order
 * without duplicates. Throws ConfigError when the chart names none where it should: an air-gapped
 * image without them would fail only later, in the cluster.
 */
export function imagesOfChart(addon: ChartAddonName, values: unknown, chart: unknown): AddonImage[] {
  const appVersion = text(valueAt(chart, 'appVersion'));
  const issues: ConfigIssue[] = [];
  const found: AddonImage[] = [];
  const add = (entry: unknown, where: string) => {
    const image = imageAt(addon, entry, appVersion, where, issues);
    if (image !== undefined && !found.some((f) => f.reference === image.reference)) found.push(image);
  };
  for (const { entry, where } of chartAddon(addon).chart.images(values)) add(entry, where);
  if (issues.length > 0) throw new ConfigError(issues);
  if (found.length === 0) {
    throw new ConfigError([
      { variable: `${addon} chart values`, shown: showValue(`appVersion ${appVersion || 'none'}`), expected: 'the images the chart runs (none found where this chart names them)' },
    ]);
  }
  return found;
}

/** The digest (hex) an image must have, or why there is none to trust. */
export function resolveImageDigest(image: AddonImage, operator: ChecksumList | undefined, pinned: readonly PinnedImageDigest[] = PINNED_IMAGE_DIGESTS): ChecksumResolution {
  const pin = pinned.find((entry) => entry.reference === image.reference);
  return resolveTrusted(image.reference, image.reference, pin, operator, image.reference);
}

/** Where to copy an image from: its own registry, or ONEKE_REGISTRY_MIRROR with the same path. */
export interface ImageSource {
  /** `docker://host[:port][/prefix]/repository` (no tag, no digest). */
  readonly transport: string;
  /** For messages: the registry host (and prefix). */
  readonly registry: string;
  /** false only for a mirror given as http:// (a registry on loopback or a trusted build network). */
  readonly tlsVerify: boolean;
}

export function imageSource(image: AddonImage, mirror: URL | undefined): ImageSource {
  if (mirror === undefined) return { transport: `docker://${image.registry}/${image.repository}`, registry: image.registry, tlsVerify: true };
  const prefix = mirror.pathname.replace(/\/+$/, '');
  const registry = `${mirror.host}${prefix}`;
  return { transport: `docker://${registry}/${image.repository}`, registry, tlsVerify: mirror.protocol === 'https:' };
}

/** The platform skopeo picks out of a manifest list, as OCI names it. */
export function platformOf(arch: Arch): { os: 'linux'; architecture: Arch } {
  return { os: 'linux', architecture: arch };
}
