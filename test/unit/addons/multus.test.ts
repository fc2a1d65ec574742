import { describe, expect, it } from 'vitest';
import { addonManifests, MULTUS_CONFIG_FILE } from '../../../src/addons/index.ts';
import { b64, configOf, documentsOf, fileNamed, names, valuesOf } from './helpers.ts';

describe.each(['cilium', 'canal', 'calico'])('Multus with %s', (plugin) => {
  it('is absent unless enabled', () => {
    expect(names(addonManifests(configOf({ ONEAPP_K8S_CNI_PLUGIN: plugin })))).not.toContain(MULTUS_CONFIG_FILE);
    expect(names(addonManifests(configOf({ ONEAPP_K8S_CNI_PLUGIN: plugin, ONEAPP_K8S_MULTUS_ENABLED: 'NO' })))).not.toContain(MULTUS_CONFIG_FILE);
  });

  it('comes after the CNI file when enabled, with whereabouts', () => {
    const files = addonManifests(configOf({ ONEAPP_K8S_CNI_PLUGIN: plugin, ONEAPP_K8S_MULTUS_ENABLED: 'YES' }));
    expect(names(files)).toEqual([`rke2-${plugin}-config.yaml`, MULTUS_CONFIG_FILE]);
    const documents = documentsOf(fileNamed(files, MULTUS_CONFIG_FILE).content);
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ apiVersion: 'helm.cattle.io/v1', kind: 'HelmChartConfig', metadata: { name: 'rke2-multus', namespace: 'kube-system' } });
    expect(valuesOf(documents[0]!)).toEqual({ 'rke2-whereabouts': { enabled: true } });
  });

  it('is replaced byte for byte by ONEAPP_K8S_MULTUS_CONFIG, leaving the CNI file generated', () => {
    const userYaml = 'apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata:\n  name: macvlan\nspec:\n  config: \'{"cniVersion": "0.3.1", "type": "macvlan"}\'\n';
    const files = addonManifests(configOf({ ONEAPP_K8S_CNI_PLUGIN: plugin, ONEAPP_K8S_MULTUS_ENABLED: 'YES', ONEAPP_K8S_MULTUS_CONFIG: b64(userYaml) }));
    expect(fileNamed(files, MULTUS_CONFIG_FILE).content).toBe(userYaml);
    expect(documentsOf(fileNamed(files, `rke2-${plugin}-config.yaml`).content)[0]?.metadata.name).toBe(`rke2-${plugin}`);
  });

  it('writes nothing from ONEAPP_K8S_MULTUS_CONFIG while Multus is disabled', () => {
    const files = addonManifests(configOf({ ONEAPP_K8S_CNI_PLUGIN: plugin, ONEAPP_K8S_MULTUS_CONFIG: b64('kind: ConfigMap\n') }));
    expect(names(files)).toEqual([`rke2-${plugin}-config.yaml`]);
  });
});
