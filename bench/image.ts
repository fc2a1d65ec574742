// The appliance image built for real (test/e2e/image/): the root file system of the end-to-end VMs
// (build-rootfs.sh) cold and cached, the local base image cold (a fresh cache: mmdebstrap,
// mkfs.ext4 -d, qemu-img) and cached, the stand-in artefact mirror cold and cached, the `packer build`
// on QEMU TCG, the boot check and the image size. One run each: a cold build takes minutes and loads
// both cores. Needs root, mmdebstrap, systemd-nspawn, packer, qemu-system-x86.
//
//   node bench/image.ts      this measurement alone (prints its markdown section)
//
// BENCH_IMAGE_COLD_BASE=0 skips the cold base image (about 11 minutes on this machine): the base
// image then comes from the shared cache (ONEKE_TEST_CACHE or /var/cache/oneke-test), built there if
// it is not, and only its cached time is measured.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildArtifactMirror } from '../test/e2e/image/artifact-mirror.ts';
import { bootAndCheck, buildImage, DEFAULT_CACHE, ensureBaseImage, inspectImageFiles, qemuUnavailable } from '../test/e2e/image/image-build.ts';
import { BINARY, createContext, REPO, scratch, type BenchContext } from './lib/context.ts';
import { markdownTable, notMeasured, type Section } from './lib/report.ts';

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

const s = (seconds: number) => `${seconds.toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;

const BUILD_ROOTFS = path.join(REPO, 'test/e2e/image/build-rootfs.sh');

interface RootfsBuild {
  /** The appliance layer's folder, as the script printed it. */
  root: string;
  seconds: number;
  /** Seconds until the script started on the appliance layer, when it made one (the base layer before it, when it made that too). */
  applianceStartedAt?: number;
  /** Whether it made the Debian root (the base layer). */
  madeBase: boolean;
}

/**
 * One run of test/e2e/image/build-rootfs.sh with its cache in `cache` (ONEKE_TEST_CACHE), as the
 * harness runs it (NODE the pinned Node); the time of its "installing the appliance" line splits the
 * base layer from the appliance layer.
 */
function buildRootfs(ctx: BenchContext, cache: string, say: (line: string) => void): Promise<RootfsBuild> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - started) / 1e9;
    const child = spawn('bash', [BUILD_ROOTFS], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ONEKE_TEST_CACHE: cache, NODE: ctx.node } });
    let stdout = '';
    let tail = '';
    let applianceStartedAt: number | undefined;
    let madeBase = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      for (const line of chunk.toString().split('\n')) {
        if (!line.startsWith('build-rootfs:')) continue;
        if (line.includes('making the Debian root')) madeBase = true;
        if (line.includes('installing the appliance into') && applianceStartedAt === undefined) applianceStartedAt = since();
        say(line);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const seconds = since();
      const root = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || root === '') reject(new Error(`build-rootfs.sh failed (exit ${String(code)}): ${tail.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve({ root, seconds, madeBase, ...(applianceStartedAt !== undefined ? { applianceStartedAt } : {}) });
    });
  });
}

/** Bytes under a folder (du, which counts hard links once). */
function diskBytes(dir: string): number {
  const du = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(du.stdout.split('\t')[0]);
}

export async function measureImage(ctx: BenchContext, say: (line: string) => void): Promise<Section> {
  const title = 'The appliance image: base image, artefact mirror, Packer build';
  const unavailable = process.getuid?.() !== 0 ? 'needs root' : await qemuUnavailable();
  if (unavailable !== undefined) return { title, figures: [notMeasured('packer build (TCG)', unavailable)], markdown: `Not measured: ${unavailable}` };

  const loadBefore = os.loadavg();
  const rootfsCache = scratch(ctx, 'rootfs-cache');
  say('image: VM root file system (build-rootfs.sh), cold (fresh cache)');
  const rootfsCold = await buildRootfs(ctx, rootfsCache, say);
  say('image: VM root file system, cached');
  const rootfsWarm = await buildRootfs(ctx, rootfsCache, say);
  if (!rootfsCold.madeBase || rootfsCold.applianceStartedAt === undefined || rootfsWarm.madeBase || rootfsWarm.applianceStartedAt !== undefined || rootfsWarm.root !== rootfsCold.root) {
    throw new Error('the root file system cache did not behave: cold must build both layers, cached must reuse them');
  }
  const applianceRoot = rootfsCold.root;
  const baseRoot = fs.readdirSync(rootfsCache).find((name) => name.startsWith('base-'));
  const rootfsBytes = { base: baseRoot ? diskBytes(path.join(rootfsCache, baseRoot)) : Number.NaN, appliance: diskBytes(applianceRoot) };
  // Its layers are large and only this run uses them.
  fs.rmSync(rootfsCache, { recursive: true, force: true });

  const coldBase = process.env.BENCH_IMAGE_COLD_BASE !== '0';
  const cache = scratch(ctx, 'image-cache');
  let cold: { value: Awaited<ReturnType<typeof ensureBaseImage>>; seconds: number } | undefined;
  if (coldBase) {
    say('image: base image, cold (fresh cache)');
    cold = await timed(() => ensureBaseImage(cache, say));
  } else {
    // Without the cold run, the shared cache has it (or makes it now, untimed) before the cached run.
    await ensureBaseImage(DEFAULT_CACHE, say);
  }
  say(`image: base image, cached${coldBase ? '' : ` (the shared cache, ${DEFAULT_CACHE})`}`);
  const warm = await timed(() => ensureBaseImage(coldBase ? cache : DEFAULT_CACHE, say));
  if ((cold && !cold.value.built) || warm.value.built) throw new Error('the base image cache did not behave: cold must build, warm must reuse');
  const base = warm.value;
  say('image: artefact mirror, cold and cached');
  const mirrorCold = await timed(() => buildArtifactMirror({ dir: path.join(cache, 'mirror') }));
  const mirrorWarm = await timed(() => buildArtifactMirror({ dir: path.join(cache, 'mirror') }));

  const work = scratch(ctx, 'image-build');
  const total = await timed(() => buildImage({ work, base, binary: BINARY, cache, say }));
  const files = await inspectImageFiles(total.value.image, work);
  const boot = await bootAndCheck(total.value.image, base, work);
  const baseBytes = fs.statSync(base.image).size;

  const applianceSeconds = rootfsCold.seconds - (rootfsCold.applianceStartedAt ?? 0);
  const rows: string[][] = [
    [
      'VM root file system (build-rootfs.sh), cold',
      `${s(rootfsCold.seconds)}: Debian root ${s(rootfsCold.applianceStartedAt ?? Number.NaN)} (mmdebstrap), appliance layer ${s(applianceSeconds)} (artefact mirror, boot in systemd-nspawn, \`oneke install\`)`,
    ],
    ['VM root file system, cached', s(rootfsWarm.seconds)],
    ['VM root file system on disk: Debian root / appliance layer', `${mib(rootfsBytes.base)} / ${mib(rootfsBytes.appliance)}`],
    ['base image, cold (mmdebstrap + mkfs.ext4 -d + qemu-img)', cold ? s(cold.seconds) : 'not measured in this run (BENCH_IMAGE_COLD_BASE=0)'],
    ['base image, cached', s(warm.seconds)],
    ['artefact mirror, cold (esbuild bundle, Node binary, tar.gz)', s(mirrorCold.seconds)],
    ['artefact mirror, cached', s(mirrorWarm.seconds)],
    ['packer build (TCG, 2 vCPUs, 1.5 GiB)', s(total.value.packerSeconds)],
    ['boot check of the image (TCG, to the check script and power-off)', s(boot.seconds)],
    ['base image qcow2', mib(baseBytes)],
    ['appliance image qcow2 (compacted)', `${mib(files.fileBytes)} of a ${mib(files.virtualBytes)} disk`],
  ];
  return {
    title,
    figures: [
      { name: 'image: VM root file system (build-rootfs.sh), cold / cached', value: `${s(rootfsCold.seconds)} / ${s(rootfsWarm.seconds)}` },
      { name: 'image: base image build, cold / cached', value: `${cold ? s(cold.seconds) : 'not measured'} / ${s(warm.seconds)}` },
      cold
        ? { name: 'image: packer build (QEMU TCG, offline)', value: s(total.value.packerSeconds), target: '< 10 min (whole build)', met: cold.seconds + total.value.packerSeconds < 600 }
        : { name: 'image: packer build (QEMU TCG, offline)', value: `${s(total.value.packerSeconds)} (base image cached)`, target: '< 10 min (whole build)' },
      { name: 'image: qcow2 size', value: mib(files.fileBytes) },
    ],
    markdown: [
      'One run of each step of `test/e2e/image/` (as in test/e2e/image/packer-build.test.ts), in a fresh cache folder' +
        (coldBase ? '. ' : ` (the base image excepted: it came from the shared cache, ${DEFAULT_CACHE}). `) +
        'The VM root file system is the one every VM of the end-to-end harness boots (test/e2e/harness.ts): test/e2e/image/build-rootfs.sh run as the harness runs it, ' +
        'with ONEKE_TEST_CACHE a fresh folder, then again on the same folder; its two layers are a Debian bookworm root from mmdebstrap and the appliance ' +
        'installed into a copy of it, booted in systemd-nspawn (install-appliance.sh, `oneke install` from the stand-in artefact mirror, generalize.sh). ' +
        "The base is Debian 12 from this machine's apt mirror; Packer 1.6.6 builds packer/ with `local_base_image` set, QEMU on TCG (no KVM), " +
        'the guest on a restricted user network reaching only ssh and the stand-in artefact mirror. The image holds the stand-in RKE2 ' +
        '(the pinned Node binary: about 100 MB of it), not the real one: the real RKE2 tarball and images would make the image larger.',
      '',
      markdownTable(['step', 'result'], rows),
      '',
      `Load average (1, 5, 15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(', ')}; after: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}. TCG and mmdebstrap are CPU-bound: on a shared machine these times grow with its load.`,
    ].join('\n'),
  };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  const ctx = createContext();
  const started = Date.now();
  try {
    const section = await measureImage(ctx, (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`));
    console.log(`\n## ${section.title}\n\n${section.markdown}\n`);
  } finally {
    fs.rmSync(ctx.work, { recursive: true, force: true });
  }
}
