// The shell scripts of the appliance and of the image build: shellcheck on every one of them, and
// the behaviour of the boot hooks and the login profile, run with stand-ins (a fake `oneke` that
// records its calls). The full boot test, with the real agent and a OneGate emulator, is elsewhere.

import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { filesUnder, isShellScript, missing, read, REPO, tempDir, which } from './support/tools.ts';

const shellcheck = which('shellcheck');
const scripts = [...filesUnder('appliance'), ...filesUnder('packer')].filter(isShellScript);

test('the scripts found are the ones expected (a new script is picked up by shellcheck below)', () => {
  expect(scripts).toEqual(
    expect.arrayContaining([
      'appliance/one-context.d/net-90-oneke',
      'appliance/one-context.d/net-99-report-ready',
      'appliance/profile.d/oneke.sh',
      'packer/build.sh',
      'packer/scripts/generalize.sh',
      'packer/scripts/install-appliance.sh',
      'packer/scripts/install-context.sh',
      'packer/scripts/prepare-os.sh',
    ]),
  );
});

describe.skipIf(!shellcheck)(`shellcheck${shellcheck ? '' : ` (skipped: ${missing('shellcheck', 'shellcheck')})`}`, () => {
  test.each(scripts)('%s', async (script) => {
    // --external-sources lets a script point at what it sources; the profile says `shell=sh` itself.
    const result = await execa('shellcheck', ['--external-sources', '--severity=style', script], { cwd: REPO, reject: false });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  test('the check can fail: an unquoted expansion is reported', async () => {
    const dir = tempDir('shellcheck');
    const file = path.join(dir, 'bad.sh');
    fs.writeFileSync(file, '#!/bin/sh\nrm -rf $1/data\n');
    const result = await execa('shellcheck', [file], { reject: false });
    expect(result.stdout).toMatch(/SC2086/);
  });
});

/** A fake `oneke`: logs "<args>" and a chosen variable to a file, fails for one command if asked. */
function fakeOneke(dir: string, failOn = '', exitCode = 1): { bin: string; calls: () => string[]; env: () => string[] } {
  const bin = path.join(dir, 'oneke');
  const log = path.join(dir, 'calls.log');
  const envLog = path.join(dir, 'env.log');
  fs.writeFileSync(
    bin,
    [
      '#!/bin/sh',
      `printf '%s\\n' "$*" >>'${log}'`,
      `env >>'${envLog}'`,
      `for a in "$@"; do [ "$a" = '${failOn || '-'}' ] && { echo "fake oneke: $a failed" >&2; exit ${exitCode}; }; done`,
      'exit 0',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const lines = (file: string) =>
    fs.existsSync(file)
      ? fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  return { bin, calls: () => lines(log), env: () => lines(envLog) };
}

const HOOK = path.join(REPO, 'appliance/one-context.d/net-90-oneke');

async function runHook(dir: string, bin: string, args: string[], extraEnv: Record<string, string> = {}) {
  return execa('bash', [HOOK, ...args], {
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ONEKE_BIN: bin, ONEKE_HOOK_LOG: path.join(dir, 'log/hook.log'), ...extraEnv },
  });
}

describe('net-90-oneke, the boot hook', () => {
  test('runs configure, then bootstrap, with ONEKE_ARGS before the command', async () => {
    const dir = tempDir('hook');
    const oneke = fakeOneke(dir);
    const result = await runHook(dir, oneke.bin, ['network'], { ONEKE_ARGS: `--root ${dir}/root --context ${dir}/context.sh` });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(oneke.calls()).toEqual([`--root ${dir}/root --context ${dir}/context.sh configure`, `--root ${dir}/root --context ${dir}/context.sh bootstrap`]);
    const log = fs.readFileSync(path.join(dir, 'log/hook.log'), 'utf8');
    expect(log).toMatch(/net-90-oneke: oneke configure \(one-context network\)\n.*net-90-oneke: oneke bootstrap\n.*net-90-oneke: done\n$/);
  });

  test('without arguments it assumes the network stage', async () => {
    const dir = tempDir('hook');
    const oneke = fakeOneke(dir);
    expect((await runHook(dir, oneke.bin, [])).exitCode).toBe(0);
    expect(oneke.calls()).toEqual(['configure', 'bootstrap']);
  });

  test.each([
    ['configure', 1],
    ['configure', 2],
  ])('a failed %s (exit %i) skips bootstrap and ends with its exit code', async (command, code) => {
    const dir = tempDir('hook');
    const oneke = fakeOneke(dir, command, code);
    const result = await runHook(dir, oneke.bin, ['network', 'reconfigure']);
    expect(result.exitCode).toBe(code);
    expect(oneke.calls()).toEqual(['configure']);
    expect(result.stderr).toMatch(/fake oneke: configure failed/);
    expect(result.stderr).toMatch(new RegExp(`oneke configure failed with exit code ${code}; bootstrap skipped, READY not reported`));
  });

  test('a failed bootstrap ends with its exit code', async () => {
    const dir = tempDir('hook');
    const oneke = fakeOneke(dir, 'bootstrap');
    const result = await runHook(dir, oneke.bin, ['network']);
    expect(result.exitCode).toBe(1);
    expect(oneke.calls()).toEqual(['configure', 'bootstrap']);
    expect(result.stderr).toMatch(/oneke bootstrap failed with exit code 1/);
  });

  test('a missing agent is an error, not a silent success', async () => {
    const dir = tempDir('hook');
    const result = await runHook(dir, path.join(dir, 'no-such-oneke'), ['network']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/no-such-oneke is missing or not executable/);
  });

  test('does nothing outside the network stage', async () => {
    const dir = tempDir('hook');
    const oneke = fakeOneke(dir);
    const result = await runHook(dir, oneke.bin, ['local']);
    expect(result.exitCode).toBe(0);
    expect(oneke.calls()).toEqual([]);
  });

  test('the agent gets a clean environment, not the context variables one-contextd exports', async () => {
    const dir = tempDir('hook');
    const oneke = fakeOneke(dir);
    await runHook(dir, oneke.bin, ['network'], { NODE_OPTIONS: '--require /tmp/evil.js', ONEAPP_K8S_CNI_PLUGIN: 'calico', ONEKE_SYSTEMCTL: '/bin/true', ONEKE_ARGS: '--log-level debug' });
    const names = oneke.env().map((line) => line.split('=')[0]);
    expect(names).not.toContain('NODE_OPTIONS');
    expect(names).not.toContain('ONEAPP_K8S_CNI_PLUGIN');
    // The agent's own test seams pass; the hook's settings do not.
    expect(oneke.env()).toContain('ONEKE_SYSTEMCTL=/bin/true');
    expect(names).not.toContain('ONEKE_BIN');
    expect(names).not.toContain('ONEKE_ARGS');
    expect(oneke.env()).toContain('LANG=C.UTF-8');
  });

  test('an unwritable log does not stop the boot', async () => {
    const dir = tempDir('hook');
    const oneke = fakeOneke(dir);
    const result = await runHook(dir, oneke.bin, ['network'], { ONEKE_HOOK_LOG: '/proc/oneke/hook.log' });
    expect(result.exitCode).toBe(0);
    expect(oneke.calls()).toEqual(['configure', 'bootstrap']);
  });
});

describe('net-99-report-ready, the replacement', () => {
  const SCRIPT = path.join(REPO, 'appliance/one-context.d/net-99-report-ready');

  test.each(['bootstrap_success', 'configure_failure'])('never reports READY itself (status %s)', async (status) => {
    const dir = tempDir('ready');
    // Stand-ins for every way the packaged script reports: any call is recorded.
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    for (const tool of ['onegate', 'curl', 'wget']) fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho ${tool} "$@" >>'${dir}/calls.log'\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'status'), `${status}\n`);
    const result = await execa('bash', [SCRIPT, 'network'], {
      reject: false,
      extendEnv: false,
      env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, REPORT_READY: 'YES', TOKENTXT: 't', ONEGATE_ENDPOINT: 'http://127.0.0.1:1', ONEKE_STATUS_FILE: path.join(dir, 'status') },
    });
    expect(result.exitCode).toBe(0);
    expect(fs.existsSync(path.join(dir, 'calls.log'))).toBe(false);
    expect(result.stdout).toMatch(new RegExp(`reported by oneke bootstrap.*status: ${status}`));
  });

  test('the image build diverts the packaged script out of /etc/one-context.d before installing this one', () => {
    const install = read('packer/scripts/install-appliance.sh');
    const divert = /dpkg-divert --local --rename\s*\\\s*--divert (\S+)\s*\\\s*--add \/etc\/one-context\.d\/net-99-report-ready/.exec(install);
    expect(divert).not.toBeNull();
    // one-contextd runs every file of /etc/one-context.d, whatever its name.
    expect(divert?.[1]).not.toMatch(/^\/etc\/one-context\.d\//);
    expect(install.indexOf('dpkg-divert')).toBeLessThan(install.indexOf('one-context.d/net-99-report-ready" /etc/one-context.d/'));
  });
});

test('the scripts that are run by path are executable in the repository', () => {
  for (const script of ['packer/build.sh', 'appliance/one-context.d/net-90-oneke', 'appliance/one-context.d/net-99-report-ready']) {
    expect(fs.statSync(path.join(REPO, script)).mode & 0o111, script).toBe(0o111);
  }
});

describe('profile.d/oneke.sh', () => {
  const PROFILE = path.join(REPO, 'appliance/profile.d/oneke.sh');
  const shells = ['sh', 'bash'].filter((s) => which(s));

  test.each(shells)('%s: defaults for KUBECONFIG and CRI_CONFIG_FILE, RKE2 bin on PATH once', async (shell) => {
    const result = await execa(shell, ['-c', `. '${PROFILE}'; . '${PROFILE}'; echo "$KUBECONFIG"; echo "$CRI_CONFIG_FILE"; echo "$PATH"`], {
      extendEnv: false,
      env: { PATH: '/usr/bin:/bin' },
    });
    const [kubeconfig, crictl, pathValue] = result.stdout.split('\n');
    expect(kubeconfig).toBe('/etc/rancher/rke2/rke2.yaml');
    expect(crictl).toBe('/var/lib/rancher/rke2/agent/etc/crictl.yaml');
    // Appended after what was there (the shell may prepend its own entries), and only once.
    expect(pathValue).toMatch(/(^|:)\/usr\/bin:\/bin:\/var\/lib\/rancher\/rke2\/bin$/);
    expect(pathValue?.split(':').filter((entry) => entry === '/var/lib/rancher/rke2/bin')).toHaveLength(1);
  });

  test('keeps values a user already set', async () => {
    const result = await execa('sh', ['-c', `. '${PROFILE}'; echo "$KUBECONFIG"`], { extendEnv: false, env: { PATH: '/usr/bin:/bin', KUBECONFIG: '/root/.kube/config' } });
    expect(result.stdout).toBe('/root/.kube/config');
  });
});
