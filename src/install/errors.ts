// Errors of `oneke install`. Each names the artifact, so the one line in the status file is enough
// to act on.

import { OnekeError } from '../errors.ts';

/**
 * Artifacts that neither oneke pins nor the operator's list covers (or where both disagree). Thrown
 * before anything is downloaded or installed: install fails closed rather than run unverified code.
 */
export class UnverifiableArtifactsError extends OnekeError {
  readonly files: readonly string[];

  constructor(message: string, files: readonly string[], hint: string) {
    super('ONEKE_ARTIFACT_UNPINNED', message, { hint });
    this.files = files;
  }
}

/** A downloaded file whose SHA-256 is not the expected one; the file was discarded. */
export class ChecksumMismatchError extends OnekeError {
  readonly file: string;
  readonly expected: string;
  readonly actual: string;

  constructor(file: string, url: string, expected: string, actual: string) {
    super('ONEKE_ARTIFACT_CHECKSUM', `checksum mismatch for ${file} (from ${url}): expected sha256 ${expected}, got ${actual}; the download was discarded`);
    this.file = file;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A download that failed for good (a final HTTP status, or every attempt failed). */
export class DownloadError extends OnekeError {
  readonly file: string;
  readonly url: string;
  /** The last HTTP status, or undefined when no answer came. */
  readonly status: number | undefined;

  constructor(file: string, url: string, detail: string, status: number | undefined, cause?: unknown) {
    super('ONEKE_ARTIFACT_DOWNLOAD', `could not download ${file} from ${url}: ${detail}`, { cause });
    this.file = file;
    this.url = url;
    this.status = status;
  }
}

/** An image that the registry does not have (under its tag): nothing was copied for it. */
export class ImageNotFoundError extends OnekeError {
  readonly reference: string;

  constructor(reference: string, registry: string, detail: string) {
    super('ONEKE_IMAGE_MISSING', `image ${reference} is not in the registry ${registry}: ${detail}`);
    this.reference = reference;
  }
}

/** The registry serves another image under the tag than the trusted digest: nothing was copied. */
export class ImageDigestMismatchError extends OnekeError {
  readonly reference: string;
  readonly expected: string;
  readonly actual: string;

  constructor(reference: string, registry: string, expected: string, actual: string) {
    super('ONEKE_IMAGE_DIGEST', `digest mismatch for image ${reference} (from ${registry}): expected sha256:${expected}, the registry serves sha256:${actual}; nothing was copied`);
    this.reference = reference;
    this.expected = expected;
    this.actual = actual;
  }
}

/** skopeo, tar or zstd failed on an image, or its archive is not what was copied. */
export class ImageCopyError extends OnekeError {
  readonly reference: string;

  constructor(reference: string, detail: string, cause?: unknown) {
    super('ONEKE_IMAGE_COPY', `could not put image ${reference} in place: ${detail}`, { cause });
    this.reference = reference;
  }
}
