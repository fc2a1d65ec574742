// `oneke install`: the image-build step. See install.ts; artifacts.ts holds the checksum policy.

export {
  AIRGAP_IMAGE_SETS,
  archOf,
  artifactUrl,
  chartArchive,
  PINNED_SHA256,
  planArtifacts,
  resolveChecksum,
  resolveTrusted,
} from './artifacts.ts';
export type { AirgapImageSet, Arch, Artifact, ArtifactKind, ChecksumList, ChecksumResolution, PinnedChecksum } from './artifacts.ts';
export { parseSha256Sums, readSha256Sums, requireChecksums, requireImageDigests, sha256OfFile, SHA256SUMS_VARIABLE } from './checksums.ts';
export { createDownloadDispatcher, DEFAULT_DOWNLOAD_POLICY, displayUrl, fetchVerified } from './download.ts';
export type { DownloadContext, DownloadPolicy, DownloadSpec } from './download.ts';
export { ChecksumMismatchError, DownloadError, ImageCopyError, ImageDigestMismatchError, ImageNotFoundError, UnverifiableArtifactsError } from './errors.ts';
export { copyImage } from './image-copy.ts';
export type { ImageCopyRun } from './image-copy.ts';
export { addonImage, imageSource, imagesOfChart, PINNED_IMAGE_DIGESTS, resolveImageDigest } from './images.ts';
export type { AddonImage, ImageSource, PinnedImageDigest } from './images.ts';
export { install, settleInstall } from './install.ts';
export type { InstallResult, InstallRun, SettledInstall } from './install.ts';
export { packagesSkipped, planInstall } from './plan.ts';
export type { InstallFacts } from './plan.ts';
export { configFromEnvironment, INSTALL_VARIABLES, installSettingsFrom, MIRROR_VARIABLE, REGISTRY_MIRROR_VARIABLE, SKIP_PACKAGES_VARIABLE } from './options.ts';
export type { InstallSettings } from './options.ts';
export { installPackages, OS_PACKAGES, SERVICES_STARTED_BY_THE_AGENT } from './packages.ts';
export { ARTIFACT_RECEIPTS, DOWNLOAD_STAGING, HELM_BINARY, IMAGE_RECEIPTS, INSTALL_STATE, RKE2_BINARY, RKE2_PREFIX } from './paths.ts';
