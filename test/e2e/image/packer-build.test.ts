// A real `packer build` of the appliance image (packer/ with local_base_image), offline: QEMU on
// TCG, the local Debian base, the stand-in artefact mirror forwarded into a guest that reaches
// nothing else. Then the image is checked as generalize.sh and install-appliance.sh promise, on
// its file system and in one boot. Skipped only where QEMU cannot run (or a tool is missing).

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBinary } from '../../support/binary.ts';
import { bootAndCheck, buildImage, ensureBaseImage, inspectImageFiles, qemuUnavailable, type BootFacts, type ImageBuild, type ImageFiles } from './image-build.ts';

const unavailable = process.getuid?.() !== 0 ? 'needs root (mmdebstrap)' : await qemuUnavailable();
const VERSION = JSON.parse(await fs.readFile(path.resolve(import.meta.dirname, '../../../package.json'), 'utf8')).version as string;

describe.skipIf(unavailable !== undefined)(`packer build of the image from the local base${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let work: string;
  let build: ImageBuild;
  let files: ImageFiles;
  let boot: BootFacts;
  const say = (line: string) => process.stderr.write(`[image] ${line}\n`);

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-image-'));
    const base = await ensureBaseImage(undefined, say);
    build = await buildImage({ work, base, binary: await ensureBinary(), say });
    files = await inspectImageFiles(build.image, work);
    boot = await bootAndCheck(build.image, base, work);
    say(
      `image ${(files.fileBytes / 1048576).toFixed(0)} MiB (virtual ${(files.virtualBytes / 1048576).toFixed(0)} MiB); packer ${build.packerSeconds.toFixed(0)} s, boot check ${boot.seconds.toFixed(0)} s`,
    );
  }, 30 * 60_000);

  afterAll(async () => {
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  test('the image carries the agent, which runs', () => {
    expect(boot.version).toContain(VERSION);
  });

  test('units are enabled and disabled as the appliance intends', () => {
    expect(boot.enabled['oneke-clean.timer']).toBe('enabled');
    expect(boot.enabled['oneke-ssh-host-keys.service']).toBe('enabled');
    // Started by `oneke configure` on VNF VMs only; it has no [Install].
    expect(boot.enabled['oneke-vnf-sync.service']).toBe('static');
    // The agent starts these itself where they are needed (contract section 6).
    expect(boot.enabled['keepalived.service']).toBe('disabled');
    expect(boot.enabled['haproxy.service']).toBe('disabled');
    // Installed from the RKE2 tarball, started by the agent, never enabled in the image.
    expect(boot.enabled['rke2-server.service']).toBe('disabled');
    expect(boot.enabled['rke2-agent.service']).toBe('disabled');
  });

  test('the one-context hooks are in place, and the packaged report-ready is ours', () => {
    expect(boot.hooks['net-90-oneke']).toBe('executable');
    expect(boot.hooks['net-99-report-ready']).toBe('executable');
    expect(Object.keys(boot.hooks)).not.toContain('net-90-service-appliance');
  });

  test('oneke install put RKE2, Helm and the add-on manifests in, from the mirror', () => {
    expect(boot.rke2).toMatch(/^rke2 version v1\.\d+\.\d+\+rke2r\d+ \(oneke test stand-in/);
    expect(boot.helm).toMatch(/Version:"v3\.99\.0"/);
    expect(boot.manifests.sort()).toEqual(['one-longhorn.yaml', 'one-metallb.yaml', 'one-traefik.yaml']);
  });

  test('nothing of the build VM stays: no host keys, empty machine-id, no build key, no staging, no apt caches', () => {
    expect(files.hostKeys).toEqual([]);
    expect(files.machineIdSize).toBe(0);
    expect(files.authorizedKeys).toBe(false);
    expect(files.staging).toBe(false);
    expect(files.aptLists).toEqual([]);
    expect(files.aptDebs).toEqual([]);
  });

  test('the image is compacted: its file is far smaller than its disk', () => {
    expect(files.virtualBytes).toBe(4096 * 1048576);
    // The base root is about 700 MB and the stand-in RKE2 about 110 MB unpacked; compressed and
    // without free blocks the file stays well under half the disk.
    expect(files.fileBytes).toBeGreaterThan(100 * 1048576);
    expect(files.fileBytes).toBeLessThan(files.virtualBytes / 2);
  });
});
