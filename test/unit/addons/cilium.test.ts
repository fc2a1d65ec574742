import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { addonManifests, CILIUM_CONFIG_FILE, ciliumPoolApiVersion } from '../../../src/addons/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { parseConfig } from '../../../src/config/index.ts';
import { InternalError } from '../../../src/errors.ts';
import { b64, configOf, documentsOf, fileNamed, valuesOf } from './helpers.ts';

function ciliumDocuments(vars: Record<string, string>) {
  return documentsOf(fileNamed(addonManifests(configOf(vars)), CILIUM_CONFIG_FILE).content);
}

describe('the rke2-cilium HelmChartConfig', () => {
  it('is the default CNI: kube-proxy replacement, the API server from the control-plane endpoint, BGP off', () => {
    const [chartConfig, ...rest] = ciliumDocuments({});
    expect(rest).toEqual([]);
    expect(chartConfig).toMatchObject({ apiVersion: 'helm.cattle.io/v1', kind: 'HelmChartConfig', metadata: { name: 'rke2-cilium', namespace: 'kube-system' } });
    expect(valuesOf(chartConfig!)).toEqual({
      kubeProxyReplacement: true,
      k8sServiceHost: '10.0.0.10',
      k8sServicePort: 6443,
      bgpControlPlane: { enabled: false },
      cni: { chainingMode: 'none', exclusive: false },
    });
  });

  it.each([
    ['derived from the VIP and the LB1 port', { ONEAPP_VNF_HAPROXY_LB1_PORT: '7443' }, '10.0.0.10', 7443],
    ['given as host:port', { ONEAPP_K8S_CONTROL_PLANE_EP: 'api.example.com:8443' }, 'api.example.com', 8443],
    ['given as a host only (the LB1 port)', { ONEAPP_K8S_CONTROL_PLANE_EP: '10.1.1.1' }, '10.1.1.1', 6443],
  ])('takes the API server %s', (_, vars, host, port) => {
    const values = valuesOf(ciliumDocuments(vars)[0]!);
    expect(values.k8sServiceHost).toBe(host);
    expect(values.k8sServicePort).toBe(port);
  });

  it('quotes a host that a YAML 1.1 reader (Helm, Go) would take for a boolean', () => {
    const content = ciliumDocuments({ ONEAPP_K8S_CONTROL_PLANE_EP: 'on:6443' })[0]!.spec.valuesContent as string;
    expect(parseYaml(content, { version: '1.1' }).k8sServiceHost).toBe('on');
  });

  it('turns the BGP control plane on with ONEAPP_K8S_CILIUM_BGP_ENABLED', () => {
    expect(valuesOf(ciliumDocuments({ ONEAPP_K8S_CILIUM_BGP_ENABLED: 'YES' })[0]!).bgpControlPlane).toEqual({ enabled: true });
  });

  it.each([
    ['alone', {}],
    ['with Multus', { ONEAPP_K8S_MULTUS_ENABLED: 'YES' }],
  ])('pins the CNI as the reference does (no chaining, not exclusive) %s', (_, vars) => {
    expect(valuesOf(ciliumDocuments(vars)[0]!).cni).toEqual({ chainingMode: 'none', exclusive: false });
  });
});

describe('the CiliumLoadBalancerIPPool', () => {
  it.each([
    ['no BGP, no ranges', {}],
    ['ranges without BGP', { ONEAPP_K8S_CILIUM_RANGE1: '10.11.12.0/24' }],
    ['BGP without ranges', { ONEAPP_K8S_CILIUM_BGP_ENABLED: 'YES' }],
  ])('is absent with %s', (_, vars) => {
    const kinds = ciliumDocuments(vars).map((document) => document.kind);
    expect(kinds).toEqual(['HelmChartConfig']);
  });

  it('lists every CIDR of every range variable, in name order, with BGP', () => {
    const documents = ciliumDocuments({
      ONEAPP_K8S_CILIUM_BGP_ENABLED: 'YES',
      ONEAPP_K8S_CILIUM_RANGE10: '2001:db8::/64',
      ONEAPP_K8S_CILIUM_RANGE2: '10.11.12.0/24, 10.11.13.0/25',
    });
    expect(documents.map((document) => document.kind)).toEqual(['HelmChartConfig', 'CiliumLoadBalancerIPPool']);
    expect(documents[1]).toEqual({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumLoadBalancerIPPool',
      metadata: { name: 'default' },
      spec: { blocks: [{ cidr: '10.11.12.0/24' }, { cidr: '10.11.13.0/25' }, { cidr: '2001:db8::/64' }], allowFirstLastIPs: 'No' },
    });
  });

  it('is cilium.io/v2alpha1 for an RKE2 whose Cilium predates 1.18', () => {
    const documents = ciliumDocuments({
      ONE_SERVICE_RKE2_VERSION: 'v1.33.3+rke2r1',
      ONEAPP_K8S_CILIUM_BGP_ENABLED: 'YES',
      ONEAPP_K8S_CILIUM_RANGE1: '10.11.12.0/24',
    });
    expect(documents[1]?.apiVersion).toBe('cilium.io/v2alpha1');
  });
});

describe('ciliumPoolApiVersion', () => {
  it.each([
    ['v1.33.5+rke2r1', 'cilium.io/v2'], // the appliance's default: Cilium 1.18.1
    ['v1.33.4+rke2r1', 'cilium.io/v2'], // Cilium 1.18.0
    ['v1.33.3+rke2r1', 'cilium.io/v2alpha1'], // Cilium 1.17.6
    ['v1.33.0+rke2r1', 'cilium.io/v2alpha1'],
    ['v1.32.8+rke2r1', 'cilium.io/v2'],
    ['v1.32.7+rke2r1', 'cilium.io/v2alpha1'],
    ['v1.31.12+rke2r1', 'cilium.io/v2'],
    ['v1.31.11+rke2r1', 'cilium.io/v2alpha1'],
    ['v1.30.14+rke2r1', 'cilium.io/v2alpha1'],
    ['v1.34.0+rke2r1', 'cilium.io/v2'],
    ['v1.36.1+rke2r1', 'cilium.io/v2'],
    ['1.33.5', 'cilium.io/v2'],
    ['v2.0.0+rke2r1', 'cilium.io/v2'],
    ['nightly', 'cilium.io/v2'],
  ])('%s → %s', (version, expected) => {
    expect(ciliumPoolApiVersion(version)).toBe(expected);
  });
});

describe('ONEAPP_K8S_CNI_CONFIG with cilium', () => {
  it('replaces the generated file byte for byte, pool and all', () => {
    const userYaml = '# mine\napiVersion: helm.cattle.io/v1\nkind: HelmChartConfig\nmetadata: {name: rke2-cilium, namespace: kube-system}\nspec:\n  valuesContent: |+\n    hubble: {enabled: true}\n';
    const files = addonManifests(configOf({ ONEAPP_K8S_CNI_CONFIG: b64(userYaml), ONEAPP_K8S_CILIUM_BGP_ENABLED: 'YES', ONEAPP_K8S_CILIUM_RANGE1: '10.11.12.0/24' }));
    expect(files).toEqual([{ name: CILIUM_CONFIG_FILE, content: userYaml }]);
  });

  it('keeps a user file that does not end with a newline as it is', () => {
    const userYaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kube-system}';
    expect(fileNamed(addonManifests(configOf({ ONEAPP_K8S_CNI_CONFIG: b64(userYaml) })), CILIUM_CONFIG_FILE).content).toBe(userYaml);
  });
});

describe('impossible inputs', () => {
  function withCilium(config: Config, cilium: Partial<Config['k8s']['cilium']>): Config {
    return { ...config, k8s: { ...config.k8s, cilium: { ...config.k8s.cilium, ...cilium } } };
  }

  it.each(['10.11.12.0', '10.11.12.0/33', '2001:db8::/129', 'example.com/24', '10.0.0.0/8/8'])('a range %j that is not a CIDR is a bug, not dropped', (range) => {
    const config = withCilium(configOf({}), { bgpEnabled: true, ranges: ['10.0.0.0/24', range] });
    expect(() => addonManifests(config)).toThrow(InternalError);
  });

  it('a master without a control-plane endpoint is a bug', () => {
    const result = parseConfig(new Map());
    if (!result.ok) throw new Error('an empty context should parse');
    expect(() => addonManifests(result.config)).toThrow(InternalError);
  });
});
