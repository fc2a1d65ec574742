// The appliance image built for real (test/e2e/image/): the local base image cold (a fresh cache:
// mmdebstrap, mkfs.ext4 -d, qemu-img) and cached, the stand-in artefact mirror cold and cached, the
// `packer build` on QEMU TCG, the boot check and the image size. One run each: a cold base build
// takes minutes and loads both cores. Needs root, mmdebstrap, packer, qemu-system-x86.
//
//   node bench/image.ts      this measurement alone (prints its markdown section)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildArtifactMirror } from '../test/e2e/image/artifact-mirror.ts';
import { bootAndCheck, buildImage, ensureBaseImage, inspectImageFiles, qemuUnavailable } from '../test/e2e/image/image-build.ts';
import { BINARY, createContext, scratch, type BenchContext } from './lib/context.ts';
import { markdownTable, notMeasured, type Section } from './lib/report.ts';

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

const s = (seconds: number) => `${seconds.toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;

export async function measureImage(ctx: BenchContext, say: (line: string) => void): Promise<Section> {
  const title = 'The appliance image: base image, artefact mirror, Packer build';
  const unavailable = process.getuid?.() !== 0 ? 'needs root' : await qemuUnavailable();
  if (unavailable !== undefined) return { title, figures: [notMeasured('packer build (TCG)', unavailable)], markdown: `Not measured: ${unavailable}` };

  const loadBefore = os.loadavg();
  const cache = scratch(ctx, 'image-cache');
  say('image: base image, cold (fresh cache)');
  const cold = await timed(() => ensureBaseImage(cache, say));
  say('image: base image, cached');
  const warm = await timed(() => ensureBaseImage(cache, say));
  if (!cold.value.built || warm.value.built) throw new Error('the base image cache did not behave: cold must build, warm must reuse');
  say('image: artefact mirror, cold and cached');
  const mirrorCold = await timed(() => buildArtifactMirror({ dir: path.join(cache, 'mirror') }));
  const mirrorWarm = await timed(() => buildArtifactMirror({ dir: path.join(cache, 'mirror') }));

  const work = scratch(ctx, 'image-build');
  const total = await timed(() => buildImage({ work, base: cold.value, binary: BINARY, cache, say }));
  const files = await inspectImageFiles(total.value.image, work);
  const boot = await bootAndCheck(total.value.image, cold.value, work);
  const baseBytes = fs.statSync(cold.value.image).size;

  const rows: string[][] = [
    ['base image, cold (mmdebstrap + mkfs.ext4 -d + qemu-img)', s(cold.seconds)],
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
      { name: 'image: base image build, cold / cached', value: `${s(cold.seconds)} / ${s(warm.seconds)}` },
      { name: 'image: packer build (QEMU TCG, offline)', value: s(total.value.packerSeconds), target: '< 10 min (whole build)', met: cold.seconds + total.value.packerSeconds < 600 },
      { name: 'image: qcow2 size', value: mib(files.fileBytes) },
    ],
    markdown: [
      'One run of each step of `test/e2e/image/` (as in test/e2e/image/packer-build.test.ts), in a fresh cache folder. ' +
        'The base is Debian 12 from this machine\'s apt mirror; Packer 1.6.6 builds packer/ with `local_base_image` set, QEMU on TCG (no KVM), ' +
        'the guest on a restricted user network reaching only ssh and the stand-in artefact mirror. The image holds the stand-in RKE2 ' +
        '(the pinned Node binary: about 100 MB of it), not the real one: the real RKE2 tarball and images would make the image larger.',
      '',
      markdownTable(['step', 'result'], rows),
      '',
      `Load average (1, 5, 15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(', ')}; after: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}. ` +
        'TCG and mmdebstrap are CPU-bound: on a shared machine these times grow with its load.',
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
