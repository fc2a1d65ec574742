// What `oneke install` downloads, from where, and the SHA-256 each file must have. Pure: no I/O.
//
// Checksum policy (the reference verifies nothing it downloads; here every byte is checked):
// - Every artifact is verified against a SHA-256 before it is used. There is no "trust on first use"
//   and no checksum fetched from the same place as the file.
// - The SHA-256 comes from PINNED_SHA256 below, or from a sha256sum-format file that the operator
//   names with ONEKE_ARTIFACT_SHA256SUMS (the Packer build can pass one). When both know a file they
//   must agree.
// - An artifact that neither covers makes install fail before anything is downloaded, with a message
//   that names it and says where upstream publishes its checksum.
//
// PINNED_SHA256 holds only values we can vouch for, each with where it was read. It is deliberately
// short: this code was written without access to the release files, and a checksum is not something
// to guess. Pinning more is the intended way to grow it: take the value from the upstream checksum
// file named by `checksumSource` (RKE2's sha256sum-<arch>.txt, Helm's .sha256sum, the chart
// repository index's `digest`), ideally checked against a second download.

import { CHART_ADDONS, chartAddon, type ChartAddonName } from '../addons/index.ts';
import type { Config } from '../config/index.ts';
import { RuntimeProblem } from '../errors.ts';
import { CHART_ARCHIVES, RKE2_AIRGAP_IMAGES } from '../roles/kubernetes/paths.ts';
import { DOWNLOAD_STAGING } from './paths.ts';

/** CPU architectures of the appliance, as RKE2 and Helm name them. */
export type Arch = 'amd64' | 'arm64';

const NODE_ARCHES: Readonly<Record<string, Arch>> = { x64: 'amd64', arm64: 'arm64' };

/** The artifact architecture of this machine (`process.arch`: x64 → amd64, arm64 → arm64). */
export function archOf(nodeArch: string = process.arch): Arch {
  const arch = NODE_ARCHES[nodeArch];
  if (arch === undefined) {
    throw new RuntimeProblem('ONEKE_ARCH_UNSUPPORTED', `no RKE2 and Helm builds for the CPU architecture ${nodeArch}: expected x64 (amd64) or arm64`);
  }
  return arch;
}

export type ArtifactKind = 'rke2' | 'helm' | 'chart' | 'airgap-images';

export interface Artifact {
  /** The file name: the key in checksum lists, and the name under ONEKE_ARTIFACT_MIRROR. */
  readonly file: string;
  readonly kind: ArtifactKind;
  /** The release it belongs to (the RKE2 tarball's name carries none, so the pin table needs it). */
  readonly version: string;
  /** For messages: `RKE2 v1.33.5+rke2r1 for amd64`. */
  readonly label: string;
  /** Where upstream serves it. */
  readonly upstreamUrl: string;
  /** Where upstream publishes its SHA-256, for the "how to pin" message. */
  readonly checksumSource: string;
  /** VM path of the verified file. */
  readonly target: string;
  /** Unpacked and then removed (RKE2, Helm), or kept where it is (charts, image archives). */
  readonly keep: boolean;
  readonly addon?: ChartAddonName;
}

/** One pinned checksum, with where the value was read. */
export interface PinnedChecksum {
  readonly file: string;
  readonly version: string;
  readonly sha256: string;
  readonly source: string;
}

/**
 * Checksums oneke vouches for. Helm v3.18.6: the values published in the release notes of
 * https://github.com/helm/helm/releases/tag/v3.18.6 (and in get.helm.sh/<file>.sha256sum), which
 * several unrelated projects pin identically. Nothing else is pinned yet (see the policy above).
 */
export const PINNED_SHA256: readonly PinnedChecksum[] = [
  {
    file: 'helm-v3.18.6-linux-amd64.tar.gz',
    version: '3.18.6',
    sha256: '3f43c0aa57243852dd542493a0f54f1396c0bc8ec7296bbb2c01e802010819ce',
    source: 'https://github.com/helm/helm/releases/tag/v3.18.6',
  },
  {
    file: 'helm-v3.18.6-linux-arm64.tar.gz',
    version: '3.18.6',
    sha256: '5b8e00b6709caab466cbbb0bc29ee09059b8dc9417991dd04b497530e49b1737',
    source: 'https://github.com/helm/helm/releases/tag/v3.18.6',
  },
];

/**
 * RKE2's split air-gap image archives. The CNI (and Multus) are chosen at boot, so the image carries
 * all of them; `rke2-images.linux-<arch>.tar.zst` alone would only hold core + Canal.
 */
export const AIRGAP_IMAGE_SETS = ['core', 'canal', 'calico', 'cilium', 'multus'] as const;
export type AirgapImageSet = (typeof AIRGAP_IMAGE_SETS)[number];

const RKE2_RELEASES = 'https://github.com/rancher/rke2/releases/download';

/** `3.18.6` also when written `v3.18.6` (Helm's file names add the `v`). */
function helmVersion(config: Config): string {
  return config.versions.helm.replace(/^v/, '');
}

/** The chart archive of an add-on: its file name and VM path under CHART_ARCHIVES. */
export function chartArchive(config: Config, addon: ChartAddonName): { file: string; target: string } {
  const file = `${addon}-${chartAddon(addon).chart.version(config)}.tgz`;
  return { file, target: `${CHART_ARCHIVES}/${file}` };
}

/** Every artifact install needs for this config and architecture, in the order they are installed. */
export function planArtifacts(config: Config, arch: Arch): Artifact[] {
  const rke2 = config.versions.rke2;
  const rke2Base = `${RKE2_RELEASES}/${encodeURIComponent(rke2)}`;
  const rke2Sums = `${rke2Base}/sha256sum-${arch}.txt`;
  const helm = helmVersion(config);
  const helmFile = `helm-v${helm}-linux-${arch}.tar.gz`;
  const tarball = `rke2.linux-${arch}.tar.gz`;

  const artifacts: Artifact[] = [
    {
      file: tarball,
      kind: 'rke2',
      version: rke2,
      label: `RKE2 ${rke2} for ${arch}`,
      upstreamUrl: `${rke2Base}/${tarball}`,
      checksumSource: rke2Sums,
      target: `${DOWNLOAD_STAGING}/${tarball}`,
      keep: false,
    },
    {
      file: helmFile,
      kind: 'helm',
      version: helm,
      label: `Helm v${helm} for ${arch}`,
      upstreamUrl: `https://get.helm.sh/${helmFile}`,
      checksumSource: `https://get.helm.sh/${helmFile}.sha256sum`,
      target: `${DOWNLOAD_STAGING}/${helmFile}`,
      keep: false,
    },
  ];
  // The charts' own repositories: the archive URLs their index.yaml lists.
  for (const { name, chart } of CHART_ADDONS) {
    const version = chart.version(config);
    const { file, target } = chartArchive(config, name);
    artifacts.push({
      file,
      kind: 'chart',
      version,
      label: `${chart.title} ${version}`,
      upstreamUrl: chart.url(version),
      checksumSource: `the digest of ${name} ${version} in ${chart.index}`,
      target,
      keep: true,
      addon: name,
    });
  }
  if (config.airgapped) {
    for (const set of AIRGAP_IMAGE_SETS) {
      const file = `rke2-images-${set}.linux-${arch}.tar.zst`;
      artifacts.push({
        file,
        kind: 'airgap-images',
        version: rke2,
        label: `RKE2 ${rke2} ${set} images for ${arch}`,
        upstreamUrl: `${rke2Base}/${file}`,
        checksumSource: rke2Sums,
        target: `${RKE2_AIRGAP_IMAGES}/${file}`,
        keep: true,
      });
    }
  }
  return artifacts;
}

/**
 * Where to fetch an artifact: upstream, or `<mirror>/<file name>` when ONEKE_ARTIFACT_MIRROR is set
 * (one flat folder holding the very files of upstream, under their upstream names).
 */
export function artifactUrl(artifact: Artifact, mirror: string | undefined): string {
  if (mirror === undefined) return artifact.upstreamUrl;
  return `${mirror.replace(/\/+$/, '')}/${encodeURIComponent(artifact.file)}`;
}

/** Checksums read from the operator's sha256sum-format file. */
export interface ChecksumList {
  /** The file they came from, for messages. */
  readonly source: string;
  /** File name → lowercase hex SHA-256. */
  readonly sums: ReadonlyMap<string, string>;
}

export type ChecksumResolution =
  | { readonly ok: true; readonly sha256: string; readonly from: 'pinned' | 'operator' | 'pinned+operator' }
  | { readonly ok: false; readonly problem: 'missing' | 'conflict'; readonly reason: string };

/** The SHA-256 an artifact must have, or why there is none to trust. */
export function resolveChecksum(artifact: Artifact, operator: ChecksumList | undefined, pinned: readonly PinnedChecksum[] = PINNED_SHA256): ChecksumResolution {
  const pin = pinned.find((entry) => entry.file === artifact.file && entry.version === artifact.version);
  return resolveTrusted(artifact.file, `${artifact.file} (${artifact.label})`, pin, operator, `${artifact.file} (${artifact.label}; upstream sha256: ${artifact.checksumSource})`);
}

/**
 * The one rule for every trusted value (a file's SHA-256, an image's digest): oneke's pin, else the
 * operator's list under `key`; both known and different is a conflict, neither is missing.
 */
export function resolveTrusted(
  key: string,
  what: string,
  pin: { readonly sha256: string; readonly source: string } | undefined,
  operator: ChecksumList | undefined,
  missingReason: string,
): ChecksumResolution {
  const listed = operator?.sums.get(key);
  if (pin !== undefined && listed !== undefined && pin.sha256 !== listed) {
    return { ok: false, problem: 'conflict', reason: `${what}: ${operator?.source} lists sha256 ${listed} but oneke pins ${pin.sha256} (${pin.source})` };
  }
  if (pin !== undefined) return { ok: true, sha256: pin.sha256, from: listed === undefined ? 'pinned' : 'pinned+operator' };
  if (listed !== undefined) return { ok: true, sha256: listed, from: 'operator' };
  return { ok: false, problem: 'missing', reason: missingReason };
}
