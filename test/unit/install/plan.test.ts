import { describe, expect, test } from 'vitest';
import { configFromEnvironment, installSettingsFrom, planArtifacts, planInstall } from '../../../src/install/index.ts';
import { planToJson, planToText } from '../../../src/plan/format.ts';

const hex = (c: string) => c.repeat(64);
/** A trusted SHA-256 for every artifact of `config` (a different one each). */
function sumsOf(config: ReturnType<typeof configFromEnvironment>) {
  return new Map(planArtifacts(config, 'amd64').map((a, i) => [a.file, { sha256: hex(String(i)) }]));
}

describe('planInstall', () => {
  test('on the running system: packages, every artifact with its URL and SHA-256, the manifests, daemon-reload', () => {
    const config = configFromEnvironment({});
    const plan = planInstall(config, installSettingsFrom({}), 'amd64', { sums: sumsOf(config), root: '/' });
    expect(plan.role).toBe('unknown');
    expect(plan.decision.kind).toBe('install');
    expect(plan.actions.map((a) => (a.kind === 'artifact' ? `artifact ${a.file}` : a.kind === 'command' ? `command ${a.argv.join(' ')}` : a.kind))).toEqual([
      'install-packages',
      'artifact rke2.linux-amd64.tar.gz',
      'artifact helm-v3.18.6-linux-amd64.tar.gz',
      'artifact longhorn-1.9.1.tgz',
      'artifact metallb-0.15.2.tgz',
      'artifact traefik-37.1.0.tgz',
      'addon-manifest',
      'addon-manifest',
      'addon-manifest',
      'command systemctl daemon-reload',
    ]);
    expect(plan.actions[1]).toEqual({
      kind: 'artifact',
      file: 'rke2.linux-amd64.tar.gz',
      label: 'RKE2 v1.33.5+rke2r1 for amd64',
      url: 'https://github.com/rancher/rke2/releases/download/v1.33.5%2Brke2r1/rke2.linux-amd64.tar.gz',
      sha256: hex('0'),
      target: '/var/lib/one-appliance/install/downloads/rke2.linux-amd64.tar.gz',
      unpack: 'rke2',
    });
    expect(plan.actions[2]).toMatchObject({ unpack: 'helm', sha256: hex('1') });
    expect(plan.actions[3]).not.toHaveProperty('unpack');
  });

  test('under another root or with ONEKE_INSTALL_SKIP_PACKAGES: no packages, no daemon-reload', () => {
    const config = configFromEnvironment({});
    for (const [settings, root] of [
      [installSettingsFrom({}), '/tmp/rootfs'],
      [installSettingsFrom({ ONEKE_INSTALL_SKIP_PACKAGES: 'YES' }), '/'],
    ] as const) {
      const kinds = planInstall(config, settings, 'amd64', { sums: sumsOf(config), root }).actions.map((a) => a.kind);
      expect(kinds).not.toContain('install-packages');
      expect(kinds).not.toContain('command');
    }
  });

  test('air-gapped: the image archives, then one action for the add-on images (unless turned off); a mirror is used', () => {
    const config = configFromEnvironment({ ONE_SERVICE_AIRGAPPED: 'YES' });
    const settings = installSettingsFrom({ ONEKE_ARTIFACT_MIRROR: 'https://mirror.example/oneke/' });
    const plan = planInstall(config, settings, 'amd64', { sums: sumsOf(config), root: '/tmp/rootfs' });
    expect(plan.actions.filter((a) => a.kind === 'artifact')).toHaveLength(10);
    expect(plan.actions.at(-1)).toEqual({ kind: 'chart-images', addons: ['longhorn', 'metallb', 'traefik'] });
    expect(plan.actions[0]).toMatchObject({ url: 'https://mirror.example/oneke/rke2.linux-amd64.tar.gz' });
    const off = planInstall(config, settings, 'amd64', { sums: sumsOf(config), root: '/tmp/rootfs', addonImages: false });
    expect(off.actions.map((a) => a.kind)).not.toContain('chart-images');
  });

  test('printed: each artifact with its checksum; a password in a mirror URL is masked', () => {
    const config = configFromEnvironment({});
    const settings = installSettingsFrom({ ONEKE_ARTIFACT_MIRROR: 'https://user:pw@mirror.example/oneke' });
    const plan = planInstall(config, settings, 'amd64', { sums: sumsOf(config), root: '/' });
    const text = planToText(plan);
    expect(text).toContain(`fetch traefik-37.1.0.tgz (Traefik chart 37.1.0) from https://***@mirror.example/oneke/traefik-37.1.0.tgz, sha256 ${hex('4')}`);
    expect(text).toContain('run systemctl daemon-reload');
    expect(text).not.toContain('pw@');
    expect(JSON.stringify(planToJson(plan))).not.toContain('pw@');
    expect(JSON.stringify(planToJson(plan, true))).toContain('user:pw@');
  });
});
