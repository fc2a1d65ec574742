// Errors of `oneke install`. Each names the artifact, so the one line in the status file is enough
// to act on.

import { ExitCode, OnekeError } from '../errors.ts';

/**
 * Artifacts that neither oneke pins nor the operator's list covers (or where both disagree). Thrown
 * before anything is downloaded or installed: install fails closed rather than run unverified code.
 */
export class UnverifiableArtifactsError extends OnekeError {
  readonly files: readonly string[];

  constructor(message: string, files: readonly string[], hint: string) {
    super('ONEKE_ARTIFACT_UNPINNED', message, { exitCode: ExitCode.invalidInput, hint });
    this.files = files;
  }
}

/** A downloaded file whose SHA-256 is not the expected one; the file was discarded. */
export class ChecksumMismatchError extends OnekeError {
  readonly file: string;
  readonly expected: string;
  readonly actual: string;

  constructor(file: string, url: string, expected: string, actual: string) {
    super(
      'ONEKE_ARTIFACT_CHECKSUM',
      `checksum mismatch for ${file} (from ${url}): expected sha256 ${expected}, got ${actual}; the download was discarded`,
      { hint: 'the mirror or the network served other bytes than the pinned release: check ONEKE_ARTIFACT_MIRROR and the source of the checksum' },
    );
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
