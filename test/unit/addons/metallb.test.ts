import { describe, expect, it } from 'vitest';
import { addonManifests, METALLB_CONFIG_FILE, metallbAddress, metallbChartValues } from '../../../src/addons/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { InternalError } from '../../../src/errors.ts';
import { b64, configOf, documentsOf, fileNamed, names } from './helpers.ts';

const ENABLED = { ONEAPP_K8S_METALLB_ENABLED: 'YES' };

function poolAddresses(vars: Record<string, string>): unknown {
  const [pool] = documentsOf(fileNamed(addonManifests(configOf({ ...ENABLED, ...vars })), METALLB_CONFIG_FILE).content);
  return pool?.spec?.addresses;
}

describe('MetalLB', () => {
  it.each([
    ['not enabled', {}],
    ['disabled, with ranges', { ONEAPP_K8S_METALLB_ENABLED: 'NO', ONEAPP_K8S_METALLB_RANGE1: '10.0.0.100-10.0.0.150' }],
    ['disabled, with a config', { ONEAPP_K8S_METALLB_CONFIG: b64('kind: IPAddressPool\n') }],
  ])('writes nothing when %s', (_, vars) => {
    expect(names(addonManifests(configOf(vars)))).toEqual(['rke2-cilium-config.yaml']);
  });

  it('writes the pool and its L2 advertisement, both named default in metallb-system', () => {
    const files = addonManifests(configOf({ ...ENABLED, ONEAPP_K8S_METALLB_RANGE1: '10.0.0.100-10.0.0.150' }));
    expect(names(files)).toEqual(['rke2-cilium-config.yaml', METALLB_CONFIG_FILE]);
    expect(documentsOf(fileNamed(files, METALLB_CONFIG_FILE).content)).toEqual([
      {
        apiVersion: 'metallb.io/v1beta1',
        kind: 'IPAddressPool',
        metadata: { name: 'default', namespace: 'metallb-system' },
        spec: { addresses: ['10.0.0.100-10.0.0.150'] },
      },
      {
        apiVersion: 'metallb.io/v1beta1',
        kind: 'L2Advertisement',
        metadata: { name: 'default', namespace: 'metallb-system' },
        spec: { ipAddressPools: ['default'] },
      },
    ]);
  });

  it.each([
    ['a range', { ONEAPP_K8S_METALLB_RANGE1: '10.0.0.100-10.0.0.150' }, ['10.0.0.100-10.0.0.150']],
    ['a range with spaces', { ONEAPP_K8S_METALLB_RANGE1: '10.0.0.100 - 10.0.0.150' }, ['10.0.0.100-10.0.0.150']],
    ['a single address', { ONEAPP_K8S_METALLB_RANGE1: '10.0.0.7' }, ['10.0.0.7/32']],
    ['a range of one address', { ONEAPP_K8S_METALLB_RANGE1: '10.0.0.7-10.0.0.7' }, ['10.0.0.7/32']],
    ['a list in one variable', { ONEAPP_K8S_METALLB_RANGE1: '10.0.0.7, 10.0.1.0-10.0.1.9' }, ['10.0.0.7/32', '10.0.1.0-10.0.1.9']],
    [
      'several variables, in name order',
      { ONEAPP_K8S_METALLB_RANGE10: '10.0.2.1', ONEAPP_K8S_METALLB_RANGE2: '10.0.1.1-10.0.1.2', ONEAPP_K8S_METALLB_RANGE: '10.0.0.1' },
      ['10.0.0.1/32', '10.0.1.1-10.0.1.2', '10.0.2.1/32'],
    ],
  ])('pools %s', (_, vars, expected) => {
    expect(poolAddresses(vars)).toEqual(expected);
  });

  it('is replaced byte for byte by ONEAPP_K8S_METALLB_CONFIG, ranges or not', () => {
    const userYaml = 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: mine\n  namespace: metallb-system\nspec:\n  addresses: [192.168.1.0/28]\n  autoAssign: false';
    const variants: Record<string, string>[] = [{}, { ONEAPP_K8S_METALLB_RANGE1: '10.0.0.100-10.0.0.150' }];
    for (const vars of variants) {
      const files = addonManifests(configOf({ ...ENABLED, ...vars, ONEAPP_K8S_METALLB_CONFIG: b64(userYaml) }));
      expect(fileNamed(files, METALLB_CONFIG_FILE).content).toBe(userYaml);
    }
  });

  it('gives the chart its load balancer class', () => {
    expect(metallbChartValues(configOf({}))).toEqual({ loadBalancerClass: 'metallb' });
    expect(metallbChartValues(configOf({ ONEAPP_K8S_METALLB_CLASS: 'example.com/internal-vip' }))).toEqual({ loadBalancerClass: 'example.com/internal-vip' });
  });
});

describe('impossible MetalLB inputs are bugs, never dropped', () => {
  function withMetallb(metallb: Partial<Config['addons']['metallb']>): Config {
    const config = configOf({ ...ENABLED, ONEAPP_K8S_METALLB_RANGE1: '10.0.0.1' });
    return { ...config, addons: { ...config.addons, metallb: { ...config.addons.metallb, ...metallb } } };
  }

  it.each([
    { first: '10.0.0.9', last: '10.0.0.1' },
    { first: '10.0.0.1', last: '10.0.0.256' },
    { first: 'example.com', last: 'example.com' },
    { first: '2001:db8::1', last: '2001:db8::1' },
  ])('the range %j', (range) => {
    expect(() => metallbAddress(range)).toThrow(InternalError);
    expect(() => addonManifests(withMetallb({ ranges: [{ first: '10.0.0.1', last: '10.0.0.2' }, range] }))).toThrow(InternalError);
  });

  it('enabled with neither ranges nor a config', () => {
    expect(() => addonManifests(withMetallb({ ranges: [] }))).toThrow(InternalError);
  });
});
