// A real container registry for tests: Debian's `docker-registry` (the distribution registry) on
// 127.0.0.1 at a free port, with its own config and storage in a temp folder, and tiny images made
// here as OCI layouts and pushed into it with real skopeo. Nothing leaves this machine.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

export interface LocalRegistry {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  /** For ONEKE_REGISTRY_MIRROR. */
  readonly url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts a registry storing under `dir`; waits (deadline 20 s, jittered backoff) until /v2/ answers. */
export async function startRegistry(dir: string): Promise<LocalRegistry> {
  const port = await freePort();
  const config = path.join(dir, 'registry.yml');
  await fs.writeFile(
    config,
    ['version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${path.join(dir, 'data')}`, 'http:', `  addr: 127.0.0.1:${port}`, ''].join('\n'),
  );
  const child: ResultPromise = execa('docker-registry', ['serve', config], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
  const stop = async () => {
    child.kill('SIGTERM');
    await child;
  };
  const deadline = Date.now() + 20_000;
  let wait = 20;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 20 s (waiting for GET /v2/ = 200)`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait / 2 + Math.random() * wait));
    wait = Math.min(wait * 2, 500);
  }
  return { host: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}`, stop };
}

interface Blob {
  digest: string;
  size: number;
}

async function putBlob(layout: string, bytes: Buffer): Promise<Blob> {
  const hex = createHash('sha256').update(bytes).digest('hex');
  await fs.mkdir(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  await fs.writeFile(path.join(layout, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

export interface PushedImage {
  /** Hex digest of what the registry serves under the tag (manifest, or manifest list). */
  readonly sha256: string;
  /** Hex digest of the image's config blob. */
  readonly configSha256: string;
}

/**
 * Makes a one-layer image (a file naming `repository:tag`, so every image differs) for linux/`arch`
 * in an OCI layout under `work`, and pushes it as `<registry>/<repository>:<tag>`; with `asList`,
 * wrapped in a manifest list, as multi-arch upstream images are.
 */
export async function pushImage(registry: LocalRegistry, work: string, repository: string, tag: string, arch: string, asList = false): Promise<PushedImage> {
  const layout = await fs.mkdtemp(path.join(work, 'layout-'));
  const tree = await fs.mkdtemp(path.join(work, 'tree-'));
  await fs.writeFile(path.join(tree, 'image'), `${repository}:${tag}\n`);
  const layerTar = path.join(work, `${path.basename(layout)}.tar`);
  await execa('tar', ['-cf', layerTar, '-C', tree, 'image'], { timeout: 10_000 });
  const layer = await putBlob(layout, await fs.readFile(layerTar));
  const config = await putBlob(layout, Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} })));
  const manifest = await putBlob(
    layout,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  let top = { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest };
  if (asList) {
    const list = await putBlob(
      layout,
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { os: 'linux', architecture: arch } }],
        }),
      ),
    );
    top = { mediaType: 'application/vnd.oci.image.index.v1+json', ...list };
  }
  await fs.writeFile(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await fs.writeFile(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': 'image' } }] }));

  const digestFile = path.join(work, `${path.basename(layout)}.digest`);
  await execa(
    'skopeo',
    ['copy', '--quiet', ...(asList ? ['--all'] : []), '--dest-tls-verify=false', '--digestfile', digestFile, `oci:${layout}:image`, `docker://${registry.host}/${repository}:${tag}`],
    { timeout: 60_000, stdin: 'ignore' },
  );
  const pushed = (await fs.readFile(digestFile, 'utf8')).trim();
  return { sha256: pushed.replace(/^sha256:/, ''), configSha256: config.digest.replace(/^sha256:/, '') };
}
