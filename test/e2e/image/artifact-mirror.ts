// An offline artefact mirror for `oneke install` (ONEKE_ARTIFACT_MIRROR), made of STAND-INS: no
// file in it comes from RKE2, Helm or the charts' projects; this machine cannot download them.
//
//   buildArtifactMirror({ dir })   makes the folder (reused when its inputs did not change)
//   serveArtifactMirror(dir)       serves it over HTTP on 127.0.0.1, on a random free port
//   node test/e2e/image/artifact-mirror.ts build DIR [--arch amd64|arm64]
//   node test/e2e/image/artifact-mirror.ts serve DIR [--port N] [--host ADDR]   (prints the URL; stops on SIGTERM)
//
// The folder holds, under the very names that src/install/artifacts.ts asks for:
// - rke2.linux-<arch>.tar.gz: the RKE2 release tarball's layout (bin/rke2, bin/rke2-killall.sh,
//   bin/rke2-uninstall.sh, lib/systemd/system/rke2-{server,agent}.{service,env}), unpacked by install
//   into /usr/local as RKE2's installer does. bin/rke2 runs the RKE2 stand-in of test/e2e/standin/
//   (an esbuild bundle) with the project's pinned Node binary, both under share/rke2-standin/, so it
//   runs in a VM or container that has no Node. The units are Type=notify like RKE2's: bin/rke2
//   tells systemd READY=1 when the stand-in marks itself ready.
// - helm-v<STANDIN_HELM_VERSION>-linux-<arch>.tar.gz: Helm's layout (linux-<arch>/helm, a script that
//   answers `helm version` and refuses the rest). Its version is not a real one on purpose: Helm
//   3.18.6 is pinned in src/install to the real release's SHA-256, which a stand-in cannot match.
// - <addon>-<version>.tgz for Longhorn, MetalLB and Traefik: small valid charts (Chart.yaml,
//   values.yaml, a template) with the chart versions install asks for.
// - rke2-images-<set>.linux-<arch>.tar.zst: tiny zstd tar archives, for ONE_SERVICE_AIRGAPPED=YES.
// - sha256sum-<arch>.txt: RKE2's checksum list of its files, and SHA256SUMS: every file, the list to
//   give install as ONEKE_ARTIFACT_SHA256SUMS. Install verifies every byte against it.
// - README: says all of the above, for whoever finds the folder.
// Install must be run with INSTALL_ENV (the stand-in Helm version) in its environment.
//
// Archives are made reproducibly (sorted, owner 0, mtime 0, gzip -n), so equal inputs give equal
// checksums; the folder carries a stamp of its inputs and is rebuilt only when they change.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { planArtifacts, type Arch, type Artifact } from '../../../src/install/artifacts.ts';
import { sha256OfFile } from '../../../src/install/checksums.ts';
import { configFromEnvironment } from '../../../src/install/options.ts';

const run = promisify(execFile);
const TOP = path.resolve(import.meta.dirname, '../../..');
const STANDIN_ENTRY = path.join(TOP, 'test/e2e/standin/rke2.ts');
const NODE_BINARY = path.join(TOP, 'node_modules/node/bin/node');

/** The Helm version of the stand-in tarball: not a release of Helm (see the header). */
export const STANDIN_HELM_VERSION = '3.99.0';
/** What `oneke install` needs in its environment to ask for the mirror's files. */
export const INSTALL_ENV: Readonly<Record<string, string>> = { ONE_SERVICE_HELM_VERSION: STANDIN_HELM_VERSION };
/** The checksum list of every file: ONEKE_ARTIFACT_SHA256SUMS. */
export const SUMS_FILE = 'SHA256SUMS';
const STAMP_FILE = '.inputs';
/** Bump when the layout made here changes, so that old folders are rebuilt. */
const LAYOUT_VERSION = '1';

export interface ArtifactMirror {
  readonly dir: string;
  readonly arch: Arch;
  /** File names served, the checksum lists included. */
  readonly files: readonly string[];
  /** Path of SHA256SUMS: pass it as ONEKE_ARTIFACT_SHA256SUMS. */
  readonly sha256sums: string;
  /** Environment install needs besides ONEKE_ARTIFACT_MIRROR and ONEKE_ARTIFACT_SHA256SUMS. */
  readonly installEnv: Readonly<Record<string, string>>;
  /** False when an earlier build with the same inputs was reused. */
  readonly built: boolean;
}

export interface MirrorOptions {
  /** The folder to fill (made if missing; its earlier content is replaced when rebuilt). */
  readonly dir: string;
  /** Default: this machine's. Only amd64 can carry the pinned Node binary today. */
  readonly arch?: Arch;
}

/** The artifacts of a default config with the stand-in Helm, air-gap archives included. */
export function mirrorArtifacts(arch: Arch): Artifact[] {
  const config = configFromEnvironment({ ...INSTALL_ENV, ONE_SERVICE_AIRGAPPED: 'YES' });
  return planArtifacts(config, arch);
}

/** Makes (or reuses) the mirror folder. */
export async function buildArtifactMirror(options: MirrorOptions): Promise<ArtifactMirror> {
  const arch = options.arch ?? (process.arch === 'arm64' ? 'arm64' : 'amd64');
  if (arch !== 'amd64' || process.arch !== 'x64') {
    throw new Error(`artifact mirror: the RKE2 stand-in carries the pinned x64 Node binary; arch ${arch} on ${process.arch} is not supported`);
  }
  const dir = path.resolve(options.dir);
  const artifacts = mirrorArtifacts(arch);
  const bundle = await bundleStandin();
  const inputs = createHash('sha256')
    .update(`layout ${LAYOUT_VERSION}\n${arch}\n`)
    .update(artifacts.map((a) => `${a.file} ${a.version}`).join('\n'))
    .update(bundle)
    .update(await fs.readFile(import.meta.filename))
    .update(await sha256File(NODE_BINARY))
    .digest('hex');
  const summary = (built: boolean): ArtifactMirror => ({
    dir,
    arch,
    files: [...artifacts.map((a) => a.file), `sha256sum-${arch}.txt`, SUMS_FILE, 'README'],
    sha256sums: path.join(dir, SUMS_FILE),
    installEnv: INSTALL_ENV,
    built,
  });
  if ((await readText(path.join(dir, STAMP_FILE)))?.trim() === inputs) return summary(false);

  await fs.mkdir(path.dirname(dir), { recursive: true });
  const work = await fs.mkdtemp(`${dir}.new-`);
  try {
    const out = path.join(work, 'mirror');
    await fs.mkdir(out);
    for (const artifact of artifacts) {
      const target = path.join(out, artifact.file);
      if (artifact.kind === 'rke2') await makeRke2Tarball(work, target, artifact.version, bundle);
      else if (artifact.kind === 'helm') await makeHelmTarball(work, target, arch, artifact.version);
      else if (artifact.kind === 'chart' && artifact.addon !== undefined) await makeChart(work, target, artifact.addon, artifact.version);
      else await makeAirgapArchive(work, target, artifact.file);
    }
    const rke2Files = artifacts.filter((a) => a.kind === 'rke2' || a.kind === 'airgap-images').map((a) => a.file);
    await fs.writeFile(path.join(out, `sha256sum-${arch}.txt`), await sumLines(out, rke2Files));
    await fs.writeFile(path.join(out, 'README'), readme(arch, artifacts));
    await fs.writeFile(path.join(out, SUMS_FILE), await sumLines(out, [...artifacts.map((a) => a.file), `sha256sum-${arch}.txt`, 'README']));
    await fs.writeFile(path.join(out, STAMP_FILE), `${inputs}\n`);
    // Swapped in whole: a reader never sees half a mirror.
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(out, dir);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  return summary(true);
}

export interface ServedMirror {
  /** http://127.0.0.1:<port> (or the host given): the value of ONEKE_ARTIFACT_MIRROR. */
  readonly url: string;
  readonly port: number;
  /** GET requests by file name, for tests. */
  readonly requests: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Serves the files of `dir` (one flat folder, as install expects) on 127.0.0.1 (or `host`, e.g. a
 * bridge address that containers reach). GET and HEAD of plain file names only; anything else is
 * 404 or 405. port 0 (the default) takes a free one.
 */
export async function serveArtifactMirror(dir: string, port = 0, host = '127.0.0.1'): Promise<ServedMirror> {
  const root = path.resolve(dir);
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      let name: string;
      try {
        name = decodeURIComponent(new URL(req.url ?? '/', 'http://mirror').pathname.replace(/^\/+/, ''));
      } catch {
        name = '';
      }
      const file = path.join(root, name);
      const stat = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name) ? await fs.stat(file).catch(() => undefined) : undefined;
      if (stat === undefined || !stat.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not in the mirror\n');
        return;
      }
      if (req.method === 'GET') requests.set(name, (requests.get(name) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': stat.size });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = createReadStream(file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    })().catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---- the stand-ins ----

async function bundleStandin(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [STANDIN_ENTRY],
    bundle: true,
    write: false,
    platform: 'node',
    target: 'node24',
    // The stand-in's entry uses top-level await.
    format: 'esm',
    legalComments: 'none',
    logLevel: 'warning',
    // Bundled CommonJS dependencies (yaml) may call require().
    banner: { js: "import { createRequire as __oneke_createRequire } from 'node:module'; const require = __oneke_createRequire(import.meta.url);" },
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('artifact mirror: esbuild wrote no bundle of the RKE2 stand-in');
  return output.contents;
}

const RKE2_WRAPPER = `#!/bin/sh
# STAND-IN for RKE2, made by the oneke tests (test/e2e/image/artifact-mirror.ts): not RKE2.
# Runs the RKE2 stand-in of test/e2e/standin/ with the Node binary next to it. Under systemd
# (NOTIFY_SOCKET set) it sends READY=1 once the stand-in has marked itself ready, as RKE2 does
# through sd_notify (Node has no unix datagram sockets, hence this shell in between).
set -u
prefix=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
lib="$prefix/share/rke2-standin"
case "\${1:-}" in
    --version | -v | version)
        echo "rke2 version @VERSION@ (oneke test stand-in, not RKE2)"
        exit 0
        ;;
    server | agent) role=$1 ;;
    *)
        echo "rke2 (stand-in): usage: rke2 server|agent|--version" >&2
        exit 2
        ;;
esac
if [ -z "\${NOTIFY_SOCKET:-}" ]; then
    exec "$lib/node" "$lib/rke2-standin.mjs" "$@"
fi
"$lib/node" "$lib/rke2-standin.mjs" "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
ready="/run/rke2-standin/$role.ready"
notified=no
while kill -0 "$child" 2>/dev/null; do
    if [ "$notified" = no ] && [ -f "$ready" ]; then
        systemd-notify --ready --status="stand-in $role ready"
        notified=yes
    fi
    sleep 0.2
done
wait "$child"
`;

const KILLALL = `#!/bin/sh
# STAND-IN for RKE2's rke2-killall.sh, made by the oneke tests: stops the stand-in's units and processes.
systemctl stop rke2-server.service rke2-agent.service 2>/dev/null
pkill -TERM -f /share/rke2-standin/rke2-standin.mjs 2>/dev/null
exit 0
`;

const UNINSTALL = `#!/bin/sh
# STAND-IN for RKE2's rke2-uninstall.sh, made by the oneke tests.
set -e
prefix=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
"$prefix/bin/rke2-killall.sh"
rm -rf /etc/rancher/rke2 /var/lib/rancher/rke2 /run/rke2-standin "$prefix/share/rke2-standin"
rm -f "$prefix/lib/systemd/system/rke2-server.service" "$prefix/lib/systemd/system/rke2-agent.service" \\
    "$prefix/lib/systemd/system/rke2-server.env" "$prefix/lib/systemd/system/rke2-agent.env" \\
    "$prefix/bin/rke2" "$prefix/bin/rke2-killall.sh" "$prefix/bin/rke2-uninstall.sh"
`;

/** A unit shaped like RKE2's own (Type=notify, Restart=always, the .env files), running the stand-in. */
function unit(role: 'server' | 'agent'): string {
  const other = role === 'server' ? 'agent' : 'server';
  return `# STAND-IN: the RKE2 ${role} unit of the oneke tests' RKE2 stand-in (test/e2e/image/artifact-mirror.ts).
[Unit]
Description=Rancher Kubernetes Engine v2 (${role}) - oneke test stand-in
Wants=network-online.target
After=network-online.target
Conflicts=rke2-${other}.service

[Install]
WantedBy=multi-user.target

[Service]
Type=notify
# bin/rke2 is a shell that reports READY=1 for the Node process it starts.
NotifyAccess=all
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-/usr/local/lib/systemd/system/%N.env
KillMode=process
Delegate=yes
LimitNOFILE=1048576
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/rke2 ${role}
`;
}

async function makeRke2Tarball(work: string, target: string, version: string, bundle: Uint8Array): Promise<void> {
  const tree = await fs.mkdtemp(path.join(work, 'rke2-'));
  const put = async (relative: string, content: string | Uint8Array, mode: number) => {
    const file = path.join(tree, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content, { mode });
    await fs.chmod(file, mode);
  };
  await put('bin/rke2', RKE2_WRAPPER.replace('@VERSION@', version), 0o755);
  await put('bin/rke2-killall.sh', KILLALL, 0o755);
  await put('bin/rke2-uninstall.sh', UNINSTALL, 0o755);
  for (const role of ['server', 'agent'] as const) {
    await put(`lib/systemd/system/rke2-${role}.service`, unit(role), 0o644);
    await put(`lib/systemd/system/rke2-${role}.env`, 'HOME=/root\n', 0o644);
  }
  await put('share/rke2-standin/rke2-standin.mjs', bundle, 0o644);
  await put(
    'share/rke2-standin/README',
    `STAND-IN for RKE2 ${version}, made by the oneke tests (test/e2e/image/artifact-mirror.ts): the RKE2 stand-in of\n` +
      'test/e2e/standin/ bundled with esbuild, run by the Node binary next to it. Not RKE2.\n',
    0o644,
  );
  // The pinned Node binary, stripped of its symbols (a quarter of its size).
  const node = path.join(tree, 'share/rke2-standin/node');
  await run('strip', ['-o', node, NODE_BINARY]).catch(() => fs.copyFile(NODE_BINARY, node));
  await fs.chmod(node, 0o755);
  await tarGz(tree, ['bin', 'lib', 'share'], target);
}

async function makeHelmTarball(work: string, target: string, arch: Arch, version: string): Promise<void> {
  const tree = await fs.mkdtemp(path.join(work, 'helm-'));
  const dir = path.join(tree, `linux-${arch}`);
  await fs.mkdir(dir);
  await fs.writeFile(
    path.join(dir, 'helm'),
    `#!/bin/sh
# STAND-IN for Helm v${version}, made by the oneke tests (test/e2e/image/artifact-mirror.ts): not Helm.
case "\${1:-}" in
    version) echo 'version.BuildInfo{Version:"v${version}", GitCommit:"oneke-test-stand-in", GoVersion:"none"}' ;;
    *) echo "helm (stand-in): only 'helm version' is answered" >&2; exit 1 ;;
esac
`,
    { mode: 0o755 },
  );
  await fs.writeFile(path.join(dir, 'README.md'), 'A stand-in for Helm made by the oneke tests; not Helm.\n');
  await fs.writeFile(path.join(dir, 'LICENSE'), 'Apache-2.0 (the oneke project)\n');
  await tarGz(tree, [`linux-${arch}`], target);
}

async function makeChart(work: string, target: string, name: string, version: string): Promise<void> {
  const tree = await fs.mkdtemp(path.join(work, 'chart-'));
  const dir = path.join(tree, name);
  await fs.mkdir(path.join(dir, 'templates'), { recursive: true });
  await fs.writeFile(
    path.join(dir, 'Chart.yaml'),
    `apiVersion: v2\nname: ${name}\nversion: ${version}\nappVersion: "${version}"\ntype: application\n` +
      `description: STAND-IN for the ${name} chart, made by the oneke tests; deploys only a ConfigMap.\n`,
  );
  await fs.writeFile(path.join(dir, 'values.yaml'), '# Stand-in chart: the values the appliance sets are accepted and unused.\n{}\n');
  await fs.writeFile(
    path.join(dir, 'templates/standin.yaml'),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-standin\n  namespace: {{ .Release.Namespace }}\ndata:\n  chart: ${name}-${version}\n  note: oneke test stand-in\n`,
  );
  await tarGz(tree, [name], target);
}

async function makeAirgapArchive(work: string, target: string, file: string): Promise<void> {
  const tree = await fs.mkdtemp(path.join(work, 'images-'));
  await fs.writeFile(path.join(tree, 'STANDIN'), `${file}: a stand-in made by the oneke tests; it holds no container image.\n`);
  await run('tar', [...REPRODUCIBLE_TAR, '--use-compress-program=zstd -q -19', '-cf', target, '-C', tree, 'STANDIN'], { timeout: 60_000 });
}

const REPRODUCIBLE_TAR = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu'];

async function tarGz(dir: string, members: string[], target: string): Promise<void> {
  // gzip -1: the Node binary is most of the bytes and the mirror is rebuilt on a busy machine.
  await run('tar', [...REPRODUCIBLE_TAR, '--use-compress-program=gzip -1 -n', '-cf', target, '-C', dir, ...members], { timeout: 300_000 });
}

// ---- checksums and the README ----

/** The SHA-256 of a file that must exist. */
export async function sha256File(file: string): Promise<string> {
  const sum = await sha256OfFile(file);
  if (sum === undefined) throw new Error(`${file} is missing`);
  return sum;
}

async function sumLines(dir: string, files: readonly string[]): Promise<string> {
  const lines: string[] = [];
  for (const file of [...files].sort()) lines.push(`${await sha256File(path.join(dir, file))}  ${file}\n`);
  return lines.join('');
}

async function readText(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

function readme(arch: Arch, artifacts: readonly Artifact[]): string {
  return [
    'STAND-IN ARTEFACT MIRROR of the oneke tests (test/e2e/image/artifact-mirror.ts).',
    '',
    'Nothing here is RKE2, Helm or a real chart: the files carry the names `oneke install` downloads,',
    'in the layouts it unpacks, so that the install path runs offline. Serve this folder and give',
    'install ONEKE_ARTIFACT_MIRROR=<url>, ONEKE_ARTIFACT_SHA256SUMS=<this folder>/SHA256SUMS and',
    `${Object.entries(INSTALL_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}.`,
    '',
    `Files (${arch}):`,
    ...artifacts.map((a) => `  ${a.file}: stand-in for ${a.label}`),
    `  sha256sum-${arch}.txt: the RKE2 files' checksums, as RKE2 publishes them`,
    `  ${SUMS_FILE}: every file's checksum`,
    '',
  ].join('\n');
}

// ---- command line ----

async function main(argv: string[]): Promise<void> {
  const [command, dir, ...rest] = argv;
  const option = (name: string) => {
    const at = rest.indexOf(name);
    return at === -1 ? undefined : rest[at + 1];
  };
  if ((command !== 'build' && command !== 'serve') || dir === undefined) {
    process.stderr.write('usage: artifact-mirror.ts build DIR [--arch amd64] | serve DIR [--port N] [--host ADDR]\n');
    process.exit(2);
  }
  if (command === 'build') {
    const arch = option('--arch');
    if (arch !== undefined && arch !== 'amd64' && arch !== 'arm64') {
      process.stderr.write(`artifact-mirror: --arch must be amd64 or arm64, not ${JSON.stringify(arch)}\n`);
      process.exit(2);
    }
    const mirror = await buildArtifactMirror({ dir, ...(arch ? { arch } : {}) });
    process.stdout.write(`${JSON.stringify(mirror, null, 2)}\n`);
    return;
  }
  const port = Number(option('--port') ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`artifact-mirror: --port must be 0..65535\n`);
    process.exit(2);
  }
  const served = await serveArtifactMirror(dir, port, option('--host'));
  process.stdout.write(`${served.url}\n`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void served.close().then(() => process.exit(0)));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`artifact-mirror: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
