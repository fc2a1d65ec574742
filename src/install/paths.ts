// VM paths that only `oneke install` writes (the shared ones are in ../roles/kubernetes/paths.ts).

/** State of the install step. */
export const INSTALL_STATE = '/var/lib/one-appliance/install';
/** Archives that are unpacked and then removed (RKE2, Helm) wait here, verified, in between. */
export const DOWNLOAD_STAGING = `${INSTALL_STATE}/downloads`;
/**
 * `<sha256>  <file name>` of every artifact the image was built from (sha256sum format, sorted).
 * It also tells a second run that an unpacked archive (RKE2, Helm) is already in place.
 */
export const ARTIFACT_RECEIPTS = `${INSTALL_STATE}/artifacts.sha256`;
/** Where the RKE2 tarball is unpacked, as its official installer does (bin/, lib/systemd/system/, share/). */
export const RKE2_PREFIX = '/usr/local';
export const RKE2_BINARY = '/usr/local/bin/rke2';
export const HELM_BINARY = '/usr/local/bin/helm';
/** `<digest hex>  <image reference>` of every add-on image put in the image (sha256sum format, sorted). */
export const IMAGE_RECEIPTS = `${INSTALL_STATE}/images.sha256`;
