import { describe, expect, it } from 'vitest';
import { addonManifests, CALICO_CONFIG_FILE, CANAL_CONFIG_FILE, CILIUM_CONFIG_FILE } from '../../../src/addons/index.ts';
import { b64, configOf, documentsOf, names, valuesOf } from './helpers.ts';

/** Settings that only make sense without kube-proxy, which RKE2 keeps for canal and calico. */
const KUBE_PROXY_KEYS = ['kubeProxyReplacement', 'k8sServiceHost', 'k8sServicePort'];

describe.each([
  ['canal', CANAL_CONFIG_FILE, 'rke2-canal', { flannel: { backend: 'vxlan' } }],
  ['calico', CALICO_CONFIG_FILE, 'rke2-calico', { installation: { calicoNetwork: { bgp: 'Disabled' } } }],
])('ONEAPP_K8S_CNI_PLUGIN=%s', (plugin, file, chart, expectedValues) => {
  it(`writes only ${file}, a HelmChartConfig for ${chart}`, () => {
    const files = addonManifests(configOf({ ONEAPP_K8S_CNI_PLUGIN: plugin }));
    expect(names(files)).toEqual([file]);
    const documents = documentsOf(files[0]!.content);
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ apiVersion: 'helm.cattle.io/v1', kind: 'HelmChartConfig', metadata: { name: chart, namespace: 'kube-system' } });
    expect(valuesOf(documents[0]!)).toEqual(expectedValues);
  });

  it('has no kube-proxy settings, and ignores the Cilium ones', () => {
    const files = addonManifests(configOf({ ONEAPP_K8S_CNI_PLUGIN: plugin, ONEAPP_K8S_CILIUM_BGP_ENABLED: 'YES', ONEAPP_K8S_CILIUM_RANGE1: '10.11.12.0/24' }));
    expect(names(files)).not.toContain(CILIUM_CONFIG_FILE);
    const documents = documentsOf(files[0]!.content);
    expect(documents.map((document) => document.kind)).toEqual(['HelmChartConfig']);
    const values = valuesOf(documents[0]!);
    for (const key of KUBE_PROXY_KEYS) expect(values).not.toHaveProperty(key);
    expect(files[0]!.content).not.toMatch(/kubeProxy|k8sService|bgpControlPlane|CiliumLoadBalancerIPPool/);
  });

  it('is replaced byte for byte by ONEAPP_K8S_CNI_CONFIG', () => {
    const userYaml = `apiVersion: helm.cattle.io/v1\nkind: HelmChartConfig\nmetadata:\n  name: ${chart}   # tuned by hand\n  namespace: kube-system\nspec:\n  valuesContent: "{}"\n`;
    expect(addonManifests(configOf({ ONEAPP_K8S_CNI_PLUGIN: plugin, ONEAPP_K8S_CNI_CONFIG: b64(userYaml) }))).toEqual([{ name: file, content: userYaml }]);
  });

  it('needs no control-plane endpoint', () => {
    // The VIP is overridden with nothing: canal and calico reach the API through kube-proxy.
    expect(() => addonManifests(configOf({ ONEAPP_K8S_CNI_PLUGIN: plugin, ONEAPP_VROUTER_ETH0_VIP0: '' }))).not.toThrow();
  });
});
