import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

// File work the Host's text API does not cover: large files streamed in and hashed (downloads,
// image archives). Paths here are paths on this machine that the caller already took under the root
// with Host.hostPath (which resolves them inside the root, see root-path.ts); nothing here joins a
// VM path with the root itself.

/** The lowercase hex SHA-256 of a file, or undefined when it does not exist. */
export async function sha256OfFile(file: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(file), hash);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return hash.digest('hex');
}

/** fsync of a folder, so that a rename into it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Streams `source` through `tap` into `file`, which must not exist yet (mode private until the caller
 * commits it), then fsyncs it. The file may be left behind when this throws: the caller removes it.
 */
export async function writeNewFile(file: string, source: NodeJS.ReadableStream, tap: Transform, signal: AbortSignal): Promise<void> {
  await pipeline(source, tap, createWriteStream(file, { flags: 'wx', mode: 0o600 }), { signal });
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Gives `temp` its mode and renames it to `target`, then fsyncs the folder; `temp` is removed when that fails. */
export async function commitFile(temp: string, target: string, mode: number): Promise<void> {
  try {
    await fs.chmod(temp, mode);
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(path.dirname(target));
}

/** Removes a file; an absent one is fine. */
export async function removeFile(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}

/** Creates a folder and its parents; an existing one is fine. */
export async function makeDirectory(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
}

export async function setMode(file: string, mode: number): Promise<void> {
  await fs.chmod(file, mode);
}
