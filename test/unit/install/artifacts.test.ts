import { describe, expect, test } from 'vitest';
import { ConfigError, RuntimeProblem } from '../../../src/errors.ts';
import {
  archOf,
  artifactUrl,
  configFromEnvironment,
  parseSha256Sums,
  PINNED_SHA256,
  planArtifacts,
  requireChecksums,
  resolveChecksum,
  UnverifiableArtifactsError,
  type Artifact,
  type ChecksumList,
} from '../../../src/install/index.ts';

const defaults = configFromEnvironment({});
const byFile = (artifacts: Artifact[], file: string): Artifact => {
  const found = artifacts.find((a) => a.file === file);
  if (!found) throw new Error(`no ${file} in ${artifacts.map((a) => a.file).join(', ')}`);
  return found;
};
const hex = (c: string) => c.repeat(64);

describe('archOf', () => {
  test('maps Node architectures to release names', () => {
    expect(archOf('x64')).toBe('amd64');
    expect(archOf('arm64')).toBe('arm64');
  });
  test('refuses any other', () => {
    expect(() => archOf('ia32')).toThrow(RuntimeProblem);
    expect(() => archOf('s390x')).toThrow(/s390x/);
  });
});

describe('planArtifacts', () => {
  test('default versions on amd64: RKE2, Helm, three charts, no image archives', () => {
    const artifacts = planArtifacts(defaults, 'amd64');
    expect(artifacts.map((a) => a.file)).toEqual(['rke2.linux-amd64.tar.gz', 'helm-v3.18.6-linux-amd64.tar.gz', 'longhorn-1.9.1.tgz', 'metallb-0.15.2.tgz', 'traefik-37.1.0.tgz']);
    const rke2 = byFile(artifacts, 'rke2.linux-amd64.tar.gz');
    expect(rke2).toMatchObject({
      kind: 'rke2',
      version: 'v1.33.5+rke2r1',
      upstreamUrl: 'https://github.com/rancher/rke2/releases/download/v1.33.5%2Brke2r1/rke2.linux-amd64.tar.gz',
      checksumSource: 'https://github.com/rancher/rke2/releases/download/v1.33.5%2Brke2r1/sha256sum-amd64.txt',
      target: '/var/lib/one-appliance/install/downloads/rke2.linux-amd64.tar.gz',
      keep: false,
    });
    expect(byFile(artifacts, 'helm-v3.18.6-linux-amd64.tar.gz')).toMatchObject({
      kind: 'helm',
      upstreamUrl: 'https://get.helm.sh/helm-v3.18.6-linux-amd64.tar.gz',
      checksumSource: 'https://get.helm.sh/helm-v3.18.6-linux-amd64.tar.gz.sha256sum',
      keep: false,
    });
    expect(byFile(artifacts, 'longhorn-1.9.1.tgz')).toMatchObject({
      kind: 'chart',
      addon: 'longhorn',
      upstreamUrl: 'https://github.com/longhorn/charts/releases/download/longhorn-1.9.1/longhorn-1.9.1.tgz',
      target: '/var/lib/one-appliance/charts/longhorn-1.9.1.tgz',
      keep: true,
    });
    expect(byFile(artifacts, 'metallb-0.15.2.tgz').upstreamUrl).toBe('https://github.com/metallb/metallb/releases/download/metallb-chart-0.15.2/metallb-0.15.2.tgz');
    expect(byFile(artifacts, 'traefik-37.1.0.tgz').upstreamUrl).toBe('https://traefik.github.io/charts/traefik/traefik-37.1.0.tgz');
  });

  test('arm64 and configured versions change names and URLs', () => {
    const config = configFromEnvironment({
      ONE_SERVICE_RKE2_VERSION: 'v1.32.9+rke2r1',
      ONE_SERVICE_HELM_VERSION: 'v3.17.0',
      ONEAPP_K8S_TRAEFIK_CHART_VERSION: '36.0.0',
    });
    const artifacts = planArtifacts(config, 'arm64');
    expect(byFile(artifacts, 'rke2.linux-arm64.tar.gz').upstreamUrl).toBe('https://github.com/rancher/rke2/releases/download/v1.32.9%2Brke2r1/rke2.linux-arm64.tar.gz');
    // A leading v in ONE_SERVICE_HELM_VERSION is not doubled.
    expect(byFile(artifacts, 'helm-v3.17.0-linux-arm64.tar.gz').version).toBe('3.17.0');
    expect(byFile(artifacts, 'traefik-36.0.0.tgz').target).toBe('/var/lib/one-appliance/charts/traefik-36.0.0.tgz');
  });

  test('air-gapped: the split image archives of every CNI, into RKE2 images folder', () => {
    const config = configFromEnvironment({ ONE_SERVICE_AIRGAPPED: 'YES' });
    const images = planArtifacts(config, 'amd64').filter((a) => a.kind === 'airgap-images');
    expect(images.map((a) => a.file)).toEqual([
      'rke2-images-core.linux-amd64.tar.zst',
      'rke2-images-canal.linux-amd64.tar.zst',
      'rke2-images-calico.linux-amd64.tar.zst',
      'rke2-images-cilium.linux-amd64.tar.zst',
      'rke2-images-multus.linux-amd64.tar.zst',
    ]);
    expect(images.every((a) => a.keep && a.target.startsWith('/var/lib/rancher/rke2/agent/images/'))).toBe(true);
    expect(images[0]?.upstreamUrl).toBe('https://github.com/rancher/rke2/releases/download/v1.33.5%2Brke2r1/rke2-images-core.linux-amd64.tar.zst');
  });

  test('a mirror serves the same file names in one folder', () => {
    const rke2 = byFile(planArtifacts(defaults, 'amd64'), 'rke2.linux-amd64.tar.gz');
    expect(artifactUrl(rke2, undefined)).toBe(rke2.upstreamUrl);
    expect(artifactUrl(rke2, 'http://127.0.0.1:8080/oneke/')).toBe('http://127.0.0.1:8080/oneke/rke2.linux-amd64.tar.gz');
    expect(artifactUrl(rke2, 'https://mirror.example')).toBe('https://mirror.example/rke2.linux-amd64.tar.gz');
  });
});

describe('checksum rule', () => {
  const artifacts = planArtifacts(defaults, 'amd64');
  const helm = byFile(artifacts, 'helm-v3.18.6-linux-amd64.tar.gz');
  const rke2 = byFile(artifacts, 'rke2.linux-amd64.tar.gz');
  const operator = (entries: Record<string, string>): ChecksumList => ({ source: '/build/sums.txt', sums: new Map(Object.entries(entries)) });

  test('the pin table holds well-formed values, one per file and version', () => {
    for (const pin of PINNED_SHA256) expect(pin.sha256).toMatch(/^[0-9a-f]{64}$/);
    const keys = PINNED_SHA256.map((p) => `${p.file}@${p.version}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('a pinned artifact is verified with the pin', () => {
    expect(resolveChecksum(helm, undefined)).toEqual({ ok: true, sha256: '3f43c0aa57243852dd542493a0f54f1396c0bc8ec7296bbb2c01e802010819ce', from: 'pinned' });
  });

  test('the operator list covers what is not pinned', () => {
    expect(resolveChecksum(rke2, operator({ 'rke2.linux-amd64.tar.gz': hex('a') }))).toEqual({ ok: true, sha256: hex('a'), from: 'operator' });
  });

  test('a pin is keyed by version too: the same file name of another release is not covered', () => {
    const pins = [{ file: 'rke2.linux-amd64.tar.gz', version: 'v1.33.4+rke2r1', sha256: hex('b'), source: 'test' }];
    expect(resolveChecksum(rke2, undefined, pins)).toMatchObject({ ok: false, problem: 'missing' });
    expect(resolveChecksum(rke2, undefined, [{ ...pins[0]!, version: 'v1.33.5+rke2r1' }])).toMatchObject({ ok: true, sha256: hex('b') });
  });

  test('pin and list must agree', () => {
    expect(resolveChecksum(helm, operator({ [helm.file]: '3f43c0aa57243852dd542493a0f54f1396c0bc8ec7296bbb2c01e802010819ce' }))).toMatchObject({
      ok: true,
      from: 'pinned+operator',
    });
    const conflict = resolveChecksum(helm, operator({ [helm.file]: hex('c') }));
    expect(conflict).toMatchObject({ ok: false, problem: 'conflict' });
  });

  test('missing checksums fail closed, naming every artifact and how to pin it', () => {
    let error: unknown;
    try {
      requireChecksums(artifacts, undefined);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnverifiableArtifactsError);
    const e = error as UnverifiableArtifactsError;
    expect(e.code).toBe('ONEKE_ARTIFACT_UNPINNED');
    expect(e.exitCode).toBe(2);
    expect(e.files).toEqual(['rke2.linux-amd64.tar.gz', 'longhorn-1.9.1.tgz', 'metallb-0.15.2.tgz', 'traefik-37.1.0.tgz']);
    expect(e.message).toContain('install refuses unverified downloads and fetched nothing');
    expect(e.message).toContain('rke2.linux-amd64.tar.gz (RKE2 v1.33.5+rke2r1 for amd64; upstream sha256: https://github.com/rancher/rke2/releases/download/v1.33.5%2Brke2r1/sha256sum-amd64.txt)');
    expect(e.message).toContain('the digest of longhorn 1.9.1 in https://charts.longhorn.io/index.yaml');
    expect(e.message).toContain('ONEKE_ARTIFACT_SHA256SUMS');
    expect(e.message).toContain('PINNED_SHA256 of src/install/artifacts.ts');
    expect(e.message).not.toContain('helm-v3.18.6');
  });

  test('a complete operator list resolves everything; a conflict is named', () => {
    const all = operator(Object.fromEntries(artifacts.filter((a) => a.kind !== 'helm').map((a) => [a.file, hex('d')])));
    const sums = requireChecksums(artifacts, all);
    expect(sums.get('traefik-37.1.0.tgz')).toEqual({ sha256: hex('d'), from: 'operator' });
    expect(sums.get(helm.file)?.from).toBe('pinned');
    const bad = operator({ ...Object.fromEntries(all.sums), [helm.file]: hex('e') });
    expect(() => requireChecksums(artifacts, bad)).toThrow(/conflicting SHA-256: helm-v3\.18\.6-linux-amd64\.tar\.gz .*lists sha256 e+ but oneke pins 3f43c0aa/);
  });
});

describe('parseSha256Sums', () => {
  test('reads sha256sum output, text and binary mode, ./ names, comments', () => {
    const text = `# RKE2\n${hex('A')}  rke2.linux-amd64.tar.gz\n\n${hex('b')} *./helm-v3.18.6-linux-amd64.tar.gz\r\n`;
    const list = parseSha256Sums(text, 'sums.txt');
    expect([...list.sums]).toEqual([
      ['rke2.linux-amd64.tar.gz', hex('a')],
      ['helm-v3.18.6-linux-amd64.tar.gz', hex('b')],
    ]);
  });

  test('a malformed line or two sums for one file is an error naming the line', () => {
    expect(() => parseSha256Sums(`${hex('a')}  x.tgz\nnot a checksum\n`, 'sums.txt')).toThrow(ConfigError);
    expect(() => parseSha256Sums(`${hex('a')}  x.tgz\nnot a checksum\n`, 'sums.txt')).toThrow(/ONEKE_ARTIFACT_SHA256SUMS \(sums\.txt, line 2\)/);
    expect(() => parseSha256Sums(`${hex('a')}  x.tgz\n${hex('b')}  x.tgz\n`, 'sums.txt')).toThrow(/line 2.*x\.tgz was listed before/);
    expect(parseSha256Sums(`${hex('a')}  x.tgz\n${hex('a')}  x.tgz\n`, 's').sums.size).toBe(1);
  });
});
