import { constants } from 'node:fs';
import fs from 'node:fs/promises';

// Reads of anything that comes from outside stop at a known size: a file, an HTTP body. Past the
// bound the read fails with a clear error instead of growing memory until the kernel kills us.

/** The bounds, in bytes (documented in the README's reliability section). */
export const READ_LIMITS = {
  /** A context file (context.sh.local, one_env, `--context FILE`). Real ones are a few KiB. */
  context: 4 * 1024 * 1024,
  /** A file the agent reads on the VM: its own status, tokens, kubeconfigs, manifests. */
  file: 16 * 1024 * 1024,
  /** One OneGate answer: `GET /service?extended=true` of a few hundred VMs is a few MiB. */
  oneGateBody: 32 * 1024 * 1024,
  /** One Kubernetes API answer (the node list). */
  kubeApiBody: 32 * 1024 * 1024,
  /** Download metadata: a checksum list, a release index. */
  metadata: 4 * 1024 * 1024,
} as const;

/** A read went past its bound, or met something that is not a regular file. */
export class ReadRefused extends Error {
  readonly code: 'EFBIG' | 'ENOTREG';

  constructor(code: 'EFBIG' | 'ENOTREG', message: string) {
    super(message);
    this.name = 'ReadRefused';
    this.code = code;
  }
}

function kindOf(info: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of a regular file, at most `maxBytes`. Opened non-blocking (a FIFO never blocks the
 * open) and refused unless fstat says regular file; `noFollow` refuses a symbolic link as the last
 * component. Reads at most `maxBytes + 1` bytes whatever the file claims, so a file that grows
 * while read is bounded too.
 * @throws ReadRefused (EFBIG, ENOTREG) or the Node error of the open/read.
 */
export async function readRegularFile(file: string, maxBytes: number, options: { noFollow?: boolean } = {}): Promise<Buffer> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (options.noFollow ? constants.O_NOFOLLOW : 0);
  const handle = await fs.open(file, flags);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ReadRefused('ENOTREG', info.isDirectory() ? 'is a directory, not a file' : `is ${kindOf(info)}, not a regular file`);
    if (info.size > maxBytes) throw new ReadRefused('EFBIG', `is larger than the limit of ${maxBytes} bytes`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new ReadRefused('EFBIG', `is larger than the limit of ${maxBytes} bytes`);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/**
 * The text of a streamed body, at most `maxBytes`: the stream is abandoned (destroyed) as soon as it
 * goes past, so an endless body costs at most the bound.
 * @throws ReadRefused (EFBIG) past the bound; whatever the stream throws otherwise.
 */
export async function readBodyText(body: AsyncIterable<Uint8Array> & { destroy?(error?: Error): unknown }, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      const error = new ReadRefused('EFBIG', `the answer is larger than the limit of ${maxBytes} bytes`);
      body.destroy?.(error);
      throw error;
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, total).toString('utf8');
}
