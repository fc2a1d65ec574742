import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { addonImage, configFromEnvironment, imageSource, installSettingsFrom } from '../../../src/install/index.ts';

describe('installSettingsFrom', () => {
  test('nothing set: upstream, pins only, packages installed', () => {
    expect(installSettingsFrom({})).toEqual({ mirror: undefined, sha256sumsFile: undefined, registryMirror: undefined, skipPackages: false });
  });

  test('reads the mirror (trailing slash dropped), the list and the skip switch', () => {
    expect(
      installSettingsFrom({
        ONEKE_ARTIFACT_MIRROR: 'http://10.0.0.1:8000/oneke/',
        ONEKE_ARTIFACT_SHA256SUMS: '/tmp/sums.txt',
        ONEKE_INSTALL_SKIP_PACKAGES: 'yes',
      }),
    ).toEqual({ mirror: 'http://10.0.0.1:8000/oneke', sha256sumsFile: '/tmp/sums.txt', registryMirror: undefined, skipPackages: true });
    expect(installSettingsFrom({ ONEKE_INSTALL_SKIP_PACKAGES: '1' }).skipPackages).toBe(true);
    expect(installSettingsFrom({ ONEKE_INSTALL_SKIP_PACKAGES: 'NO' }).skipPackages).toBe(false);
  });

  test.each(['ftp://mirror/x', 'not a url', 'http://m/x?token=1'])('refuses the mirror %s', (mirror) => {
    expect(() => installSettingsFrom({ ONEKE_ARTIFACT_MIRROR: mirror })).toThrow(ConfigError);
    expect(() => installSettingsFrom({ ONEKE_ARTIFACT_MIRROR: mirror })).toThrow(/ONEKE_ARTIFACT_MIRROR=/);
  });
});

describe('ONEKE_REGISTRY_MIRROR', () => {
  test.each([
    ['http://127.0.0.1:5000', '127.0.0.1:5000', false],
    ['https://registry.example/mirror/', 'registry.example/mirror', true],
  ])('%s: images come from %s (TLS checked: %s)', (value, registry, tlsVerify) => {
    const mirror = installSettingsFrom({ ONEKE_REGISTRY_MIRROR: value }).registryMirror;
    const image = addonImage('traefik', 'traefik', 'v3.5.0');
    expect(imageSource(image, mirror)).toEqual({ transport: `docker://${registry}/library/traefik`, registry, tlsVerify });
  });

  test('unset: each image from its own registry, with TLS', () => {
    const image = addonImage('metallb', 'quay.io/metallb/speaker', 'v0.15.2');
    expect(imageSource(image, installSettingsFrom({}).registryMirror)).toEqual({ transport: 'docker://quay.io/metallb/speaker', registry: 'quay.io', tlsVerify: true });
  });

  test.each(['ftp://r:5000', 'registry:5000', 'https://user:pw@r', 'https://r/x?y=1', 'https://r/a b', 'https://r/UPPER'])('refuses %s', (value) => {
    expect(() => installSettingsFrom({ ONEKE_REGISTRY_MIRROR: value })).toThrow(/^ONEKE_REGISTRY_MIRROR=.*: expected a registry URL/);
  });
});

describe('configFromEnvironment', () => {
  test('defaults without any variable (an image build without context)', () => {
    const config = configFromEnvironment({});
    expect(config.airgapped).toBe(false);
    expect(config.versions).toMatchObject({ rke2: 'v1.33.5+rke2r1', helm: '3.18.6', longhornChart: '1.9.1', metallbChart: '0.15.2', traefikChart: '37.1.0' });
  });

  test('takes the install variables, ignores the others', () => {
    const config = configFromEnvironment({
      ONE_SERVICE_AIRGAPPED: 'YES',
      ONEAPP_K8S_METALLB_CLASS: 'example.com/vip',
      ONEAPP_VROUTER_ETH0_VIP0: 'garbage', // not an install variable: neither read nor validated
      PATH: '/usr/bin',
    });
    expect(config.airgapped).toBe(true);
    expect(config.addons.metallb.loadBalancerClass).toBe('example.com/vip');
    expect(config.network.publicVip).toBeUndefined();
  });

  test('a bad install variable stops the build with the variable named', () => {
    expect(() => configFromEnvironment({ ONEAPP_K8S_LONGHORN_CHART_VERSION: '../1.9.1' })).toThrow(/ONEAPP_K8S_LONGHORN_CHART_VERSION/);
  });
});
