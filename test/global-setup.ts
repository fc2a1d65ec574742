import { ensureBinary } from './support/binary.ts';

/** Builds dist/oneke once before any test file runs, when it is missing or older than the sources. */
export default async function setup(): Promise<void> {
  await ensureBinary();
}
