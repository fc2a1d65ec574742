// The Packer build (packer/). The production build (Ubuntu cloud image, KVM, network) cannot run
// here; test/e2e/image/packer-build.test.ts builds for real from a local base. Here the templates are
// checked with Debian's Packer 1.6, for both kinds of build:
//  - `packer fmt -check` on every file, plugins.pkr.hcl included (fmt only needs the HCL syntax);
//  - a full `packer validate` (not just -syntax-only) of a copy of the folder without
//    plugins.pkr.hcl, whose `required_plugins` block Packer 1.6 does not know. validate checks every
//    argument against the QEMU builder's schema and that every script and uploaded file exists, so
//    the inputs that build.sh makes (the binary, the one-context .deb, the seed, the build key) are
//    given as placeholders in a temp folder. The base image checksum is given too: its default
//    (`file:` the SHA256SUMS URL) makes validate download, and there is no network here.
//  - plugins.pkr.hcl, which only current Packer reads, by a small structural check.

import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { filesUnder, missing, read, REPO, tempDir, which } from './support/tools.ts';

const packer = which('packer');
const PLUGINS_FILE = 'plugins.pkr.hcl';

/** A copy of packer/ without plugins.pkr.hcl, and -var arguments for every input build.sh makes. */
function validationSetup(overrides: Record<string, string> = {}): { dir: string; args: string[] } {
  const dir = tempDir('packer');
  const copy = path.join(dir, 'packer');
  fs.cpSync(path.join(REPO, 'packer'), copy, { recursive: true, filter: (source) => path.basename(source) !== PLUGINS_FILE && !/\/(output|\.cache)$/.test(source) });
  const inputs = path.join(dir, 'inputs');
  fs.mkdirSync(path.join(inputs, 'seed'), { recursive: true });
  fs.writeFileSync(path.join(inputs, 'oneke'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(inputs, 'one-context.deb'), 'placeholder\n');
  fs.writeFileSync(path.join(inputs, 'artifacts.sha256'), '');
  fs.writeFileSync(path.join(inputs, 'seed/user-data'), '#cloud-config\n');
  fs.writeFileSync(path.join(inputs, 'seed/meta-data'), 'instance-id: test\n');
  const vars: Record<string, string> = {
    one_context_deb: path.join(inputs, 'one-context.deb'),
    oneke_binary: path.join(inputs, 'oneke'),
    artifact_sha256sums: path.join(inputs, 'artifacts.sha256'),
    appliance_dir: path.join(REPO, 'appliance'),
    seed_dir: path.join(inputs, 'seed'),
    ssh_private_key_file: path.join(inputs, 'build-key'),
    ubuntu_image_checksum: `sha256:${'0'.repeat(64)}`,
    ...overrides,
  };
  return { dir: copy, args: Object.entries(vars).flatMap(([name, value]) => ['-var', `${name}=${value}`]) };
}

async function buildKey(dir: string): Promise<void> {
  // validate reads the key; a real (throw-away) one is needed.
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, '../inputs/build-key')]);
}

const sshKeygen = which('ssh-keygen');
const packerSkip = !packer ? missing('packer', 'packer') : !sshKeygen ? missing('ssh-keygen', 'openssh-client') : undefined;

describe.skipIf(packerSkip !== undefined)(`packer validate and fmt${packerSkip ? ` (skipped: ${packerSkip})` : ''}`, () => {
  test('packer fmt -check: every .pkr.hcl file is formatted', async () => {
    const result = await execa('packer', ['fmt', '-check', '-diff', 'packer'], { cwd: REPO, reject: false });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  test.each(['x86_64', 'aarch64'])('packer validate for %s, airgapped NO and YES', async (arch) => {
    for (const airgapped of ['NO', 'YES']) {
      const { dir, args } = validationSetup({ arch, airgapped });
      await buildKey(dir);
      const result = await execa('packer', ['validate', ...args, '.'], { cwd: dir, reject: false });
      expect(result.stderr, `${arch} airgapped=${airgapped}`).not.toMatch(/Error/);
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    }
  });

  test('packer validate from a local base image, with the mirror forwarded (the offline build of test/e2e/image/)', async () => {
    const base = tempDir('packer-base');
    for (const file of ['base.qcow2', 'vmlinuz', 'initrd.img']) fs.writeFileSync(path.join(base, file), '');
    const { dir, args } = validationSetup({
      local_base_image: path.join(base, 'base.qcow2'),
      local_base_kernel: path.join(base, 'vmlinuz'),
      local_base_initrd: path.join(base, 'initrd.img'),
      local_base_checksum: `sha256:${'0'.repeat(64)}`,
      local_mirror_port: '8080',
      artifact_mirror: 'http://10.0.2.100',
      install_environment: '["ONE_SERVICE_HELM_VERSION=3.99.0"]',
      accelerator: 'tcg',
      cpu_model: 'max',
    });
    await buildKey(dir);
    const result = await execa('packer', ['validate', ...args, '.'], { cwd: dir, reject: false });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
  });

  test.each([
    ['an unknown arch', { arch: 'riscv64' }, /arch must be x86_64 or aarch64/],
    ['airgapped not YES or NO', { airgapped: 'yes' }, /airgapped variable must be YES or NO/],
    ['a missing binary', { oneke_binary: '/nonexistent/oneke' }, /Bad source '\/nonexistent\/oneke'/],
  ])('packer validate rejects %s', async (_label, overrides, expected) => {
    const { dir, args } = validationSetup(overrides);
    await buildKey(dir);
    const result = await execa('packer', ['validate', ...args, '.'], { cwd: dir, reject: false });
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(expected);
  });
});

describe('plugins.pkr.hcl (read only by current Packer)', () => {
  const text = read(`packer/${PLUGINS_FILE}`);
  const code = text.replace(/#.*$/gm, '');

  test('holds only the packer block, which requires the QEMU plugin', () => {
    expect(code.trim()).toMatch(/^packer\s*\{[\s\S]*\}$/);
    const qemu = /required_plugins\s*\{\s*qemu\s*=\s*\{([^}]*)\}\s*\}/.exec(code)?.[1] ?? '';
    expect(qemu).toMatch(/source\s*=\s*"github\.com\/hashicorp\/qemu"/);
    expect(qemu).toMatch(/version\s*=\s*"[~><=!]*\s*\d+\.\d+(\.\d+)?"/);
  });

  test('braces balance and no other file has a packer block', () => {
    expect((code.match(/\{/g) ?? []).length).toBe((code.match(/\}/g) ?? []).length);
    for (const file of filesUnder('packer').filter((f) => f.endsWith('.pkr.hcl') && !f.endsWith(PLUGINS_FILE))) {
      expect(read(file).replace(/#.*$/gm, ''), file).not.toMatch(/^\s*packer\s*\{/m);
    }
  });
});

describe('packer/build.sh', () => {
  test.each([
    [['--arch', 'riscv64', '--one-context', 'x.deb'], /--arch must be x86_64 or aarch64/],
    [['--airgapped', 'maybe', '--one-context', 'x.deb'], /--airgapped must be YES or NO/],
    [[], /--one-context/],
    [['--bogus'], /unknown argument/],
  ])('refuses %j before building anything', async (args, expected) => {
    const result = await execa('bash', ['packer/build.sh', ...args], { cwd: REPO, reject: false, env: { ONE_CONTEXT_DEB: '' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(expected);
  });

  test('--help prints the usage', async () => {
    const result = await execa('bash', ['packer/build.sh', '--help'], { cwd: REPO });
    expect(result.stdout).toMatch(/--one-context PATH\|URL/);
  });

  test('builds the binary for the arch before the image (npm run build --arch arm64 for aarch64)', () => {
    const script = read('packer/build.sh');
    expect(script).toMatch(/aarch64\) node_arch=arm64/);
    expect(script).toMatch(/npm run build -- --arch "\$\{node_arch\}"/);
    expect(script.indexOf('npm run build')).toBeLessThan(script.indexOf('packer build'));
  });
});
