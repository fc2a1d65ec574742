import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { addonManifest, metallbClassOverride, preparedManifestNames, type ChartAddonName as Addon } from '../../../src/addons/index.ts';
import { configFromEnvironment } from '../../../src/install/index.ts';

const config = configFromEnvironment({ ONEAPP_K8S_METALLB_CLASS: 'example.com/lb' });
const archive = randomBytes(4096);

interface HelmChartDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: { targetNamespace: string; createNamespace: boolean; chartContent: string; valuesContent: string };
}

function documentsOf(addon: Addon): Record<string, unknown>[] {
  const docs = parseAllDocuments(addonManifest(addon, archive, config));
  for (const doc of docs) expect(doc.errors).toEqual([]);
  return docs.map((doc) => doc.toJS() as Record<string, unknown>);
}

function helmChartOf(addon: Addon): { chart: HelmChartDoc; values: Record<string, any> } {
  const chart = documentsOf(addon)[0] as unknown as HelmChartDoc;
  return { chart, values: parse(chart.spec.valuesContent) as Record<string, any> };
}

describe('add-on HelmChart manifests', () => {
  test.each([
    ['longhorn', 'one-longhorn', 'longhorn-system'],
    ['metallb', 'one-metallb', 'metallb-system'],
    ['traefik', 'one-traefik', 'traefik-system'],
  ] as const)('%s: a HelmChart in kube-system with the archive embedded', (addon, name, namespace) => {
    const { chart } = helmChartOf(addon);
    expect(chart).toMatchObject({
      apiVersion: 'helm.cattle.io/v1',
      kind: 'HelmChart',
      metadata: { name, namespace: 'kube-system' },
      spec: { targetNamespace: namespace, createNamespace: true },
    });
    expect(Buffer.from(chart.spec.chartContent, 'base64').equals(archive)).toBe(true);
    // Plain YAML: no anchors or aliases for the shared tolerations and selectors.
    expect(chart.spec.valuesContent).not.toMatch(/[&*][a-z]\d/);
  });

  test('the base64 stays on one line (no folding of a long scalar)', () => {
    const text = addonManifest('traefik', randomBytes(200_000), config);
    const line = text.split('\n').find((l) => l.trimStart().startsWith('chartContent:'));
    expect(line?.length).toBeGreaterThan(260_000);
  });

  test('Traefik: NodePort 32080/32443, 2 replicas spread over hosts', () => {
    const { values } = helmChartOf('traefik');
    expect(values.service).toEqual({ type: 'NodePort' });
    expect(values.ports).toEqual({ web: { nodePort: 32080 }, websecure: { nodePort: 32443 } });
    expect(values.deployment.replicas).toBe(2);
    expect(values.topologySpreadConstraints).toEqual([
      expect.objectContaining({
        topologyKey: 'kubernetes.io/hostname',
        maxSkew: 1,
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } },
      }),
    ]);
  });

  test('Longhorn: tolerates and selects the storage taint and label, disks on labelled nodes', () => {
    const { values } = helmChartOf('longhorn');
    const toleration = { key: 'node.longhorn.io/create-default-disk', operator: 'Equal', value: 'true', effect: 'NoSchedule' };
    expect(values.defaultSettings).toEqual({
      createDefaultDiskLabeledNodes: true,
      taintToleration: 'node.longhorn.io/create-default-disk=true:NoSchedule',
    });
    expect(values.longhornManager.tolerations).toEqual([toleration]);
    expect(values.longhornManager.nodeSelector).toBeUndefined(); // workers attach volumes too
    for (const part of ['longhornDriver', 'longhornUI']) {
      expect(values[part].tolerations).toEqual([toleration]);
      expect(values[part].nodeSelector).toEqual({ 'node.longhorn.io/create-default-disk': 'true' });
    }
  });

  test('Longhorn: the longhorn-retain StorageClass comes along', () => {
    const docs = documentsOf('longhorn');
    expect(docs).toHaveLength(2);
    expect(docs[1]).toMatchObject({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'longhorn-retain' },
      provisioner: 'driver.longhorn.io',
      reclaimPolicy: 'Retain',
    });
    expect(documentsOf('traefik')).toHaveLength(1);
    expect(documentsOf('metallb')).toHaveLength(1);
  });

  test('MetalLB: the LoadBalancerClass of the config', () => {
    const { values } = helmChartOf('metallb');
    expect(values.loadBalancerClass).toBe('example.com/lb');
    expect(helmChartOf('metallb').values).toMatchObject({ controller: { image: { pullPolicy: 'IfNotPresent' } } });
  });

  test('metallbClassOverride: a HelmChartConfig for the same release', () => {
    const doc = parse(metallbClassOverride('internal')) as { kind: string; metadata: object; spec: { valuesContent: string } };
    expect(doc).toMatchObject({ kind: 'HelmChartConfig', metadata: { name: 'one-metallb', namespace: 'kube-system' } });
    expect(parse(doc.spec.valuesContent)).toEqual({ loadBalancerClass: 'internal' });
  });
});

describe('preparedManifestNames', () => {
  test('none enabled by default', () => {
    expect(preparedManifestNames(configFromEnvironment({}))).toEqual([]);
  });

  test('the enabled add-ons, in a fixed order, under PREPARED_MANIFESTS', async () => {
    const { parseConfig } = await import('../../../src/config/index.ts');
    const result = parseConfig(
      new Map([
        ['ONEAPP_K8S_TRAEFIK_ENABLED', 'YES'],
        ['ONEAPP_K8S_LONGHORN_ENABLED', 'yes'],
      ]),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(preparedManifestNames(result.config)).toEqual([
      { addon: 'longhorn', name: 'one-longhorn.yaml', path: '/var/lib/one-appliance/manifests/one-longhorn.yaml' },
      { addon: 'traefik', name: 'one-traefik.yaml', path: '/var/lib/one-appliance/manifests/one-traefik.yaml' },
    ]);
  });
});
