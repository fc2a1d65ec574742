// The appliance image built for real, offline: `packer build` of packer/ (local_base_image set) with
// Debian's Packer 1.6 and QEMU on TCG, from the local Debian base (build-base-image.sh), with
// `oneke install` fetching from the stand-in artefact mirror (artifact-mirror.ts), forwarded into
// the restricted guest network. Then the image is looked at twice: its file system as it left the
// build (debugfs, read-only: the generalize.sh promises), and one boot under QEMU with a check
// script given on a second disk (what systemd and the agent say on the booted image).
// Used by packer-build.test.ts and by the bench (bench/image.ts).

import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildArtifactMirror, serveArtifactMirror, sha256File } from './artifact-mirror.ts';

const run = promisify(execFile);
const TOP = path.resolve(import.meta.dirname, '../../..');
const HERE = import.meta.dirname;
export const DEFAULT_CACHE = process.env.ONEKE_TEST_CACHE ?? '/var/cache/oneke-test';
/** Where the build VM finds the mirror (packer/variables.pkr.hcl, local_mirror_port). */
const GUEST_MIRROR = 'http://10.0.2.100';
const QEMU = 'qemu-system-x86_64';

export type Say = (line: string) => void;

/** Why QEMU cannot run a TCG guest here, or undefined when it can. */
export async function qemuUnavailable(): Promise<string | undefined> {
  try {
    const { stdout } = await run(QEMU, ['-accel', 'help'], { timeout: 30_000 });
    if (!/^tcg$/m.test(stdout)) return `${QEMU} has no TCG accelerator`;
  } catch (error) {
    return `${QEMU} cannot run here (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); install qemu-system-x86`;
  }
  for (const tool of ['packer', 'qemu-img', 'mmdebstrap', 'socat', 'debugfs', 'dpkg-deb', 'ssh-keygen']) {
    try {
      await run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is missing (bash scripts/test-deps.sh installs it)`;
    }
  }
  return undefined;
}

export interface BaseImage {
  readonly dir: string;
  readonly image: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly append: string;
  readonly key: string;
  /** True when this call made it (no cached copy). */
  readonly built: boolean;
}

/** The local base image, made by build-base-image.sh or taken from its cache. */
export async function ensureBaseImage(cache = DEFAULT_CACHE, say: Say = () => undefined): Promise<BaseImage> {
  const { stdout, stderr } = await run('bash', [path.join(HERE, 'build-base-image.sh'), '--cache', cache], {
    timeout: 20 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const dir = stdout.trim().split('\n').pop() ?? '';
  for (const line of stderr.split('\n').filter((l) => l.startsWith('build-base-image:'))) say(line);
  return {
    dir,
    image: path.join(dir, 'base.qcow2'),
    kernel: path.join(dir, 'vmlinuz'),
    initrd: path.join(dir, 'initrd.img'),
    append: (await fs.readFile(path.join(dir, 'append'), 'utf8')).trim(),
    key: path.join(dir, 'build-key'),
    built: !/reusing/.test(stderr),
  };
}

/**
 * A STAND-IN for OpenNebula's one-context package (not in Debian, not downloadable here): a .deb
 * named one-context that carries only a net-99-report-ready, so that install-context.sh and
 * install-appliance.sh (which diverts that file) run unchanged.
 */
export async function makeOneContextStandin(work: string): Promise<string> {
  const tree = path.join(work, 'one-context-standin');
  await fs.mkdir(path.join(tree, 'DEBIAN'), { recursive: true });
  await fs.mkdir(path.join(tree, 'etc/one-context.d'), { recursive: true });
  await fs.mkdir(path.join(tree, 'usr/share/doc/one-context'), { recursive: true });
  await fs.writeFile(
    path.join(tree, 'DEBIAN/control'),
    [
      'Package: one-context',
      'Version: 0.0.0+oneke.standin',
      'Architecture: all',
      'Maintainer: oneke tests <noreply@invalid>',
      'Conflicts: cloud-init',
      'Description: STAND-IN for OpenNebula contextualization, made by the oneke tests',
      ' Holds only net-99-report-ready; the real package is not available where the tests run.',
      '',
    ].join('\n'),
  );
  await fs.writeFile(path.join(tree, 'etc/one-context.d/net-99-report-ready'), '#!/bin/sh\n# one-context stand-in of the oneke tests: the packaged hook, diverted by install-appliance.sh.\nexit 0\n', {
    mode: 0o755,
  });
  await fs.writeFile(path.join(tree, 'usr/share/doc/one-context/README'), 'A stand-in for one-context made by the oneke tests (test/e2e/image/image-build.ts).\n');
  const deb = path.join(work, 'one-context-standin.deb');
  await run('dpkg-deb', ['--root-owner-group', '--build', tree, deb], { timeout: 60_000 });
  return deb;
}

export interface ImageBuild {
  readonly image: string;
  readonly base: BaseImage;
  /** Seconds of `packer build` alone. */
  readonly packerSeconds: number;
  readonly packerLog: string;
}

export interface ImageBuildOptions {
  /** A fresh folder for this build (Packer's output, logs, inputs). */
  readonly work: string;
  readonly base: BaseImage;
  readonly binary: string;
  readonly cache?: string;
  readonly say?: Say;
  /** Default 20 minutes. */
  readonly timeoutMs?: number;
}

/** Builds the image with Packer from the local base; throws with the log's tail when the build fails. */
export async function buildImage(options: ImageBuildOptions): Promise<ImageBuild> {
  const { work, base, binary } = options;
  const say = options.say ?? (() => undefined);
  const cache = options.cache ?? DEFAULT_CACHE;
  await fs.mkdir(work, { recursive: true });

  // Packer 1.6 does not know plugins.pkr.hcl's required_plugins block: build from a copy without it.
  const packerDir = path.join(work, 'packer');
  await fs.cp(path.join(TOP, 'packer'), packerDir, {
    recursive: true,
    filter: (source) => path.basename(source) !== 'plugins.pkr.hcl' && !/\/packer\/(output|\.cache)$/.test(source),
  });
  const mirror = await buildArtifactMirror({ dir: path.join(cache, 'image-artifact-mirror') });
  const served = await serveArtifactMirror(mirror.dir);
  const seed = path.join(work, 'seed');
  await fs.mkdir(seed, { recursive: true });
  const vars: Record<string, string> = {
    arch: 'x86_64',
    accelerator: 'tcg',
    cpu_model: 'max',
    cpus: '2',
    memory: '1536',
    disk_size: '4096M',
    output_dir: path.join(work, 'output'),
    one_context_deb: await makeOneContextStandin(work),
    oneke_binary: binary,
    artifact_sha256sums: mirror.sha256sums,
    appliance_dir: path.join(TOP, 'appliance'),
    seed_dir: seed,
    ssh_private_key_file: base.key,
    artifact_mirror: GUEST_MIRROR,
    install_environment: JSON.stringify(Object.entries(mirror.installEnv).map(([k, v]) => `${k}=${v}`)),
    local_base_image: base.image,
    local_base_checksum: `sha256:${await sha256File(base.image)}`,
    local_base_kernel: base.kernel,
    local_base_initrd: base.initrd,
    local_base_append: base.append,
    local_mirror_port: String(served.port),
    console_log: path.join(work, 'build-console.log'),
  };
  const packerLog = path.join(work, 'packer.log');
  const started = Date.now();
  say(`packer build from the local base (TCG), mirror ${served.url} forwarded to ${GUEST_MIRROR}`);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('packer', ['build', '-color=false', ...Object.entries(vars).flatMap(([k, v]) => ['-var', `${k}=${v}`]), '.'], {
        cwd: packerDir,
        env: { ...process.env, CHECKPOINT_DISABLE: '1', PACKER_CACHE_DIR: path.join(work, 'packer-cache'), PACKER_NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 20 * 60_000);
      void fs.open(packerLog, 'w').then((log) => {
        const write = (chunk: Buffer) => {
          void log.write(chunk);
          for (const line of chunk.toString().split('\n')) if (/==> |Build '/.test(line)) say(line.trim());
        };
        child.stdout.on('data', write);
        child.stderr.on('data', write);
        child.on('close', () => void log.close());
      });
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve(status);
      });
    });
    if (code !== 0) {
      const tail = (await fs.readFile(packerLog, 'utf8').catch(() => '')).split('\n').slice(-40).join('\n');
      throw new Error(`packer build failed (exit ${code}); last lines of ${packerLog}:\n${tail}`);
    }
  } finally {
    await served.close();
  }
  const image = path.join(work, 'output', 'oneke-dev-x86_64.qcow2');
  return { image, base, packerSeconds: (Date.now() - started) / 1000, packerLog };
}

// ---- looking at the result ----

export interface ImageFiles {
  /** Names in /etc/ssh that start with ssh_host_. */
  readonly hostKeys: string[];
  readonly machineIdSize: number | undefined;
  readonly authorizedKeys: boolean;
  readonly staging: boolean;
  /** Entries of /var/lib/apt/lists and .deb files of /var/cache/apt/archives. */
  readonly aptLists: string[];
  readonly aptDebs: string[];
  /** qcow2 file size and virtual size, bytes. */
  readonly fileBytes: number;
  readonly virtualBytes: number;
}

/** `debugfs -R 'ls -p DIR'`: the names in a folder, or undefined when it is not there. */
async function listDir(raw: string, dir: string): Promise<string[] | undefined> {
  const { stdout, stderr } = await run('debugfs', ['-R', `ls -p ${dir}`, raw], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  if (/File not found/.test(stderr)) return undefined;
  return stdout
    .split('\n')
    .map((line) => line.split('/')[5])
    .filter((name): name is string => name !== undefined && name !== '' && name !== '.' && name !== '..');
}

async function fileSize(raw: string, file: string): Promise<number | undefined> {
  const { stdout, stderr } = await run('debugfs', ['-R', `stat ${file}`, raw], { timeout: 60_000 });
  if (/File not found/.test(stderr)) return undefined;
  const match = /Size: (\d+)/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

/** The image's file system as the build left it, read with debugfs from a raw copy (never mounted). */
export async function inspectImageFiles(image: string, work: string): Promise<ImageFiles> {
  const raw = path.join(work, 'inspect.raw');
  await run('qemu-img', ['convert', '-O', 'raw', image, raw], { timeout: 10 * 60_000 });
  try {
    const info = JSON.parse((await run('qemu-img', ['info', '--output=json', image])).stdout) as { 'virtual-size': number };
    const ssh = (await listDir(raw, '/etc/ssh')) ?? [];
    return {
      hostKeys: ssh.filter((name) => name.startsWith('ssh_host_')),
      machineIdSize: await fileSize(raw, '/etc/machine-id'),
      authorizedKeys: (await fileSize(raw, '/root/.ssh/authorized_keys')) !== undefined,
      staging: (await listDir(raw, '/var/tmp/oneke-build')) !== undefined,
      aptLists: ((await listDir(raw, '/var/lib/apt/lists')) ?? []).filter((name) => name !== 'partial' && name !== 'lock'),
      aptDebs: ((await listDir(raw, '/var/cache/apt/archives')) ?? []).filter((name) => name.endsWith('.deb')),
      fileBytes: (await fs.stat(image)).size,
      virtualBytes: info['virtual-size'],
    };
  } finally {
    await fs.rm(raw, { force: true });
  }
}

/** What the booted image says, one `CHECK <key> <value>` line each (the script's output). */
const CHECK_SCRIPT = `#!/bin/sh
# Run once by systemd (systemd.run= on the kernel command line) in the booted image.
exec >/dev/ttyS0 2>&1
echo "CHECK begin"
echo "CHECK version $(/usr/local/bin/oneke --version 2>&1 | head -n 1)"
for unit in oneke-clean.timer oneke-ssh-host-keys.service oneke-vnf-sync.service keepalived.service haproxy.service rke2-server.service rke2-agent.service; do
    echo "CHECK enabled $unit $(systemctl is-enabled "$unit" 2>&1 | head -n 1)"
done
for hook in /etc/one-context.d/*; do
    [ -e "$hook" ] && echo "CHECK hook $(basename "$hook") $([ -x "$hook" ] && echo executable || echo not-executable)"
done
echo "CHECK rke2 $(/usr/local/bin/rke2 --version 2>&1 | head -n 1)"
echo "CHECK helm $(/usr/local/bin/helm version 2>&1 | head -n 1)"
for f in /var/lib/one-appliance/manifests/*.yaml; do [ -e "$f" ] && echo "CHECK manifest $(basename "$f")"; done
echo "CHECK end"
exit 0
`;

export interface BootFacts {
  readonly version: string;
  /** Unit → `systemctl is-enabled` answer. */
  readonly enabled: Record<string, string>;
  /** Hook file name → executable or not-executable. */
  readonly hooks: Record<string, string>;
  readonly rke2: string;
  readonly helm: string;
  readonly manifests: string[];
  readonly seconds: number;
  readonly console: string;
}

/**
 * Boots the image once (on a throw-away overlay: the file does not change) with the base's kernel,
 * runs CHECK_SCRIPT from a second disk through systemd.run=, and powers off. The guest has a
 * restricted user network: it reaches nothing.
 */
export async function bootAndCheck(image: string, base: BaseImage, work: string, timeoutMs = 10 * 60_000): Promise<BootFacts> {
  const script = path.join(work, 'check.disk');
  // A raw disk that is the script itself, padded to a sector: sh reads it and stops at `exit 0`.
  const bytes = Buffer.from(CHECK_SCRIPT);
  await fs.writeFile(script, Buffer.concat([bytes, Buffer.alloc(512 * Math.ceil((bytes.length + 1) / 512) - bytes.length, '\n')]));
  const consoleLog = path.join(work, 'boot-console.log');
  // quiet: no kernel or systemd lines in the middle of the CHECK lines on the console.
  const append = `${base.append} quiet systemd.run="/bin/sh /dev/vdb" systemd.run_success_action=poweroff systemd.run_failure_action=poweroff`;
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      QEMU,
      [
        '-machine',
        'pc',
        '-accel',
        'tcg',
        '-cpu',
        'max',
        '-smp',
        '2',
        '-m',
        '1024',
        '-display',
        'none',
        '-nodefaults',
        '-no-reboot',
        '-serial',
        `file:${consoleLog}`,
        '-kernel',
        base.kernel,
        '-initrd',
        base.initrd,
        '-append',
        append,
        '-drive',
        `file=${image},if=virtio,format=qcow2,snapshot=on`,
        '-drive',
        `file=${script},if=virtio,format=raw,readonly=on`,
        '-netdev',
        'user,id=n0,restrict=on',
        '-device',
        'virtio-net-pci,netdev=n0',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${QEMU} ended with ${signal ?? `exit ${code}`} (${signal === 'SIGKILL' ? `no power-off within ${timeoutMs / 1000}s` : stderr.trim()})`));
    });
  });
  const consoleText = await fs.readFile(consoleLog, 'utf8').catch(() => '');
  const lines = consoleText
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.startsWith('CHECK '))
    .map((line) => line.slice('CHECK '.length));
  const value = (key: string) => lines.find((line) => line.startsWith(`${key} `))?.slice(key.length + 1) ?? '';
  const enabled: Record<string, string> = {};
  const hooks: Record<string, string> = {};
  const manifests: string[] = [];
  for (const line of lines) {
    const [key, name, answer] = line.split(' ');
    if (key === 'enabled' && name) enabled[name] = answer ?? '';
    if (key === 'hook' && name) hooks[name] = answer ?? '';
    if (key === 'manifest' && name) manifests.push(name);
  }
  if (!lines.includes('end')) {
    throw new Error(`the booted image did not finish its checks; console tail:\n${consoleText.split('\n').slice(-30).join('\n')}`);
  }
  return { version: value('version'), enabled, hooks, rke2: value('rke2'), helm: value('helm'), manifests, seconds: (Date.now() - started) / 1000, console: consoleLog };
}
