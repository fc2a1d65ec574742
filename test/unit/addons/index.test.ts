import { describe, expect, it } from 'vitest';
import { ADDONS, addonManifests, CHART_ADDONS, ignoredAddonSettings } from '../../../src/addons/index.ts';
import type { Addon } from '../../../src/addons/index.ts';
import { InternalError } from '../../../src/errors.ts';
import { b64, configOf, documentsOf, names } from './helpers.ts';

const EVERYTHING = {
  ONEAPP_K8S_CILIUM_BGP_ENABLED: 'YES',
  ONEAPP_K8S_CILIUM_RANGE1: '10.11.12.0/24',
  ONEAPP_K8S_MULTUS_ENABLED: 'YES',
  ONEAPP_K8S_METALLB_ENABLED: 'YES',
  ONEAPP_K8S_METALLB_RANGE1: '10.0.0.100-10.0.0.150',
};

describe('addonManifests', () => {
  it.each([
    ['the defaults', {}, ['rke2-cilium-config.yaml']],
    ['canal', { ONEAPP_K8S_CNI_PLUGIN: 'canal' }, ['rke2-canal-config.yaml']],
    ['calico, in any case', { ONEAPP_K8S_CNI_PLUGIN: 'Calico' }, ['rke2-calico-config.yaml']],
    ['every add-on', EVERYTHING, ['rke2-cilium-config.yaml', 'rke2-multus-config.yaml', 'one-metallb-config.yaml']],
    ['canal with MetalLB', { ONEAPP_K8S_CNI_PLUGIN: 'canal', ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_RANGE1: '10.0.0.5' }, ['rke2-canal-config.yaml', 'one-metallb-config.yaml']],
  ])('writes, for %s, %j', (_, vars, expected) => {
    expect(names(addonManifests(configOf(vars)))).toEqual(expected);
  });

  it('is deterministic: the same config gives the same text', () => {
    const first = addonManifests(configOf(EVERYTHING));
    const second = addonManifests(configOf({ ...EVERYTHING }));
    expect(second).toEqual(first);
    expect(addonManifests(configOf(EVERYTHING))).toEqual(first);
  });

  it('ends every generated file with a newline and separates documents with a --- line', () => {
    for (const file of addonManifests(configOf(EVERYTHING))) {
      expect(file.content.endsWith('\n')).toBe(true);
      expect(file.content.endsWith('\n\n')).toBe(false);
      const separators = file.content.split('\n').filter((line) => line === '---').length;
      expect(separators).toBe(documentsOf(file.content).length - 1);
    }
    // The two multi-document files of this configuration.
    const multi = addonManifests(configOf(EVERYTHING)).filter((file) => documentsOf(file.content).length > 1);
    expect(names(multi)).toEqual(['rke2-cilium-config.yaml', 'one-metallb-config.yaml']);
  });

  it('never writes RKE2 add-on names of its own charts (rke2-cilium.yaml, one-metallb.yaml)', () => {
    const basenames = addonManifests(configOf(EVERYTHING)).map((file) => file.name.split('.')[0]);
    for (const taken of ['rke2-cilium', 'rke2-canal', 'rke2-calico', 'rke2-multus', 'one-metallb', 'one-longhorn', 'one-traefik']) {
      expect(basenames).not.toContain(taken);
    }
  });

  it('lists the add-ons in a fixed order', () => {
    // The registry holds every add-on; those a master writes files for keep their order.
    expect(ADDONS.map((addon: Addon) => addon.name)).toEqual(['cilium', 'canal', 'calico', 'multus', 'longhorn', 'metallb', 'traefik']);
    expect(ADDONS.filter((addon) => addon.manifests !== undefined).map((addon: Addon) => addon.name)).toEqual(['cilium', 'canal', 'calico', 'multus', 'metallb']);
    expect(CHART_ADDONS.map((addon) => addon.name)).toEqual(['longhorn', 'metallb', 'traefik']);
  });

  it('refuses two files that RKE2 would track as one Addon', () => {
    // RKE2 names an Addon after the file name up to its first dot: these two would prune each other.
    const clash: Addon = { name: 'clash', appliesTo: () => true, manifests: () => [{ name: 'rke2-cilium-config.other.yaml', content: 'a: 1\n' }] };
    expect(() => addonManifests(configOf({}), [...ADDONS, clash])).toThrow(InternalError);
    expect(() => addonManifests(configOf({}), [...ADDONS])).not.toThrow();
  });
});

describe('ignoredAddonSettings', () => {
  it.each([
    ['the defaults', {}, []],
    ['every add-on in use', EVERYTHING, []],
    ['Cilium ranges without BGP', { ONEAPP_K8S_CILIUM_RANGE1: '10.11.12.0/24' }, ['ONEAPP_K8S_CILIUM_RANGE*']],
    [
      'Cilium settings with canal',
      { ONEAPP_K8S_CNI_PLUGIN: 'canal', ONEAPP_K8S_CILIUM_BGP_ENABLED: 'YES', ONEAPP_K8S_CILIUM_RANGE1: '10.11.12.0/24' },
      ['ONEAPP_K8S_CILIUM_BGP_ENABLED', 'ONEAPP_K8S_CILIUM_RANGE*'],
    ],
    [
      'Cilium settings under a user CNI config',
      { ONEAPP_K8S_CNI_CONFIG: b64('kind: ConfigMap\n'), ONEAPP_K8S_CILIUM_BGP_ENABLED: 'YES', ONEAPP_K8S_CILIUM_RANGE1: '10.11.12.0/24' },
      ['ONEAPP_K8S_CILIUM_BGP_ENABLED', 'ONEAPP_K8S_CILIUM_RANGE*'],
    ],
    ['a Multus config with Multus disabled', { ONEAPP_K8S_MULTUS_CONFIG: b64('kind: ConfigMap\n') }, ['ONEAPP_K8S_MULTUS_CONFIG']],
    [
      'MetalLB settings with MetalLB disabled',
      { ONEAPP_K8S_METALLB_CONFIG: b64('kind: ConfigMap\n'), ONEAPP_K8S_METALLB_RANGE1: '10.0.0.1' },
      ['ONEAPP_K8S_METALLB_CONFIG', 'ONEAPP_K8S_METALLB_RANGE*'],
    ],
    [
      'MetalLB ranges under a user MetalLB config',
      { ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_CONFIG: b64('kind: ConfigMap\n'), ONEAPP_K8S_METALLB_RANGE1: '10.0.0.1' },
      ['ONEAPP_K8S_METALLB_RANGE*'],
    ],
  ])('for %s: %j', (_, vars, expected) => {
    const ignored = ignoredAddonSettings(configOf(vars));
    expect(ignored.map((setting) => setting.variable)).toEqual(expected);
    for (const setting of ignored) expect(setting.reason).not.toBe('');
  });
});
