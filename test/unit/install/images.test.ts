import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { addonImage, imagesOfChart, requireImageDigests, resolveImageDigest, UnverifiableArtifactsError, type ChecksumList } from '../../../src/install/index.ts';

// Shapes as the charts' values.yaml have them (Longhorn 1.9, MetalLB 0.15, Traefik 37).
const longhornValues = {
  image: {
    longhorn: {
      engine: { registry: '', repository: 'longhornio/longhorn-engine', tag: 'v1.9.1' },
      manager: { registry: '', repository: 'longhornio/longhorn-manager', tag: 'v1.9.1' },
      ui: { registry: '', repository: 'longhornio/longhorn-ui', tag: 'v1.9.1' },
    },
    csi: {
      attacher: { registry: '', repository: 'longhornio/csi-attacher', tag: 'v4.9.0-20250709' },
      livenessProbe: { registry: '', repository: 'longhornio/livenessprobe', tag: 'v2.16.0-20250709' },
    },
    openshift: { oauthProxy: { repository: '', tag: '' } },
  },
};
const metallbValues = {
  controller: { image: { repository: 'quay.io/metallb/controller', tag: null } },
  speaker: { image: { repository: 'quay.io/metallb/speaker', tag: null }, frr: { enabled: true, image: { repository: 'quay.io/frrouting/frr', tag: '9.1.0' } } },
  prometheus: { rbacProxy: { repository: 'gcr.io/kubebuilder/kube-rbac-proxy', tag: 'v0.12.0' } },
};
const traefikValues = { image: { registry: 'docker.io', repository: 'traefik', tag: '' } };

describe('imagesOfChart', () => {
  test('Longhorn: every image.longhorn.* and image.csi.* entry, on Docker Hub', () => {
    expect(imagesOfChart('longhorn', longhornValues, { appVersion: 'v1.9.1' }).map((i) => i.reference)).toEqual([
      'docker.io/longhornio/longhorn-engine:v1.9.1',
      'docker.io/longhornio/longhorn-manager:v1.9.1',
      'docker.io/longhornio/longhorn-ui:v1.9.1',
      'docker.io/longhornio/csi-attacher:v4.9.0-20250709',
      'docker.io/longhornio/livenessprobe:v2.16.0-20250709',
    ]);
  });

  test('MetalLB: controller and speaker at the appVersion, FRR only when on, nothing else', () => {
    const refs = (values: unknown) => imagesOfChart('metallb', values, { appVersion: 'v0.15.2' }).map((i) => i.reference);
    expect(refs(metallbValues)).toEqual(['quay.io/metallb/controller:v0.15.2', 'quay.io/metallb/speaker:v0.15.2', 'quay.io/frrouting/frr:9.1.0']);
    const noFrr = { ...metallbValues, speaker: { ...metallbValues.speaker, frr: { ...metallbValues.speaker.frr, enabled: false } } };
    expect(refs(noFrr)).toEqual(['quay.io/metallb/controller:v0.15.2', 'quay.io/metallb/speaker:v0.15.2']);
  });

  test('Traefik: registry + repository, the empty tag is the appVersion; the archive name is flat', () => {
    const [image] = imagesOfChart('traefik', traefikValues, { appVersion: 'v3.5.0' });
    expect(image).toEqual({
      addon: 'traefik',
      registry: 'docker.io',
      repository: 'library/traefik',
      tag: 'v3.5.0',
      reference: 'docker.io/library/traefik:v3.5.0',
      archive: 'one-traefik_library_traefik_v3.5.0.tar.zst',
    });
  });

  test('a chart that names no image, or no tag anywhere, is refused naming the add-on', () => {
    expect(() => imagesOfChart('traefik', {}, { appVersion: 'v3.5.0' })).toThrow(/traefik chart values=.*: expected the images the chart runs/);
    expect(() => imagesOfChart('traefik', traefikValues, {})).toThrow(/traefik chart values image=.*: expected a tag, or an appVersion/);
  });

  test.each([
    ['--src-creds=x', 'v1'],
    ['longhornio/manager', 'v1 --debug'],
    ['longhornio/../etc', 'v1'],
    ['LonghornIO/manager', 'v1'],
  ])('refuses the image %s:%s (argv and file names stay plain)', (name, tag) => {
    expect(() => addonImage('longhorn', name, tag)).toThrow(ConfigError);
  });

  test('names with a registry host keep it; docker.io aliases are normalised', () => {
    expect(addonImage('metallb', 'localhost:5000/a/b', 'v1').reference).toBe('localhost:5000/a/b:v1');
    expect(addonImage('traefik', 'traefik', 'v1', 'index.docker.io').reference).toBe('docker.io/library/traefik:v1');
  });
});

describe('image digests', () => {
  const image = addonImage('metallb', 'quay.io/metallb/speaker', 'v0.15.2');
  const hex = (c: string) => c.repeat(64);
  const list = (entries: Record<string, string>): ChecksumList => ({ source: 'sums.txt', sums: new Map(Object.entries(entries)) });

  test('from the operator list, from a pin, and a conflict between them', () => {
    expect(resolveImageDigest(image, list({ [image.reference]: hex('a') }), [])).toEqual({ ok: true, sha256: hex('a'), from: 'operator' });
    const pins = [{ reference: image.reference, sha256: hex('b'), source: 'test' }];
    expect(resolveImageDigest(image, undefined, pins)).toEqual({ ok: true, sha256: hex('b'), from: 'pinned' });
    expect(resolveImageDigest(image, list({ [image.reference]: hex('a') }), pins)).toMatchObject({ ok: false, problem: 'conflict' });
  });

  test('an image without a digest fails closed, naming it and how to list it', () => {
    const other = addonImage('metallb', 'quay.io/metallb/controller', 'v0.15.2');
    let error: unknown;
    try {
      requireImageDigests([image, other], list({ [other.reference]: hex('c') }), []);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnverifiableArtifactsError);
    expect((error as UnverifiableArtifactsError).files).toEqual([image.reference]);
    expect((error as Error).message).toContain(`no trusted digest for the images ${image.reference}`);
    expect((error as Error).message).toContain('ONEKE_ARTIFACT_SHA256SUMS');
    expect((error as UnverifiableArtifactsError).exitCode).toBe(2);
  });
});
