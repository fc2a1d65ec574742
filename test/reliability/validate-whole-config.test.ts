// Reliability, issue 11 item 12 (the Kubernetes part): whatever the context alone shows to be wrong,
// `validate` reports, rather than saying OK and letting RKE2 fail minutes later. The VNF's own
// variables (placeholders, VIPs) are checked in their part.

import { describe, expect, test } from 'vitest';
import { namedVariables, runOneke } from './validate-cli.ts';

describe('validate checks the networks Kubernetes will be given', () => {
  test.each([
    ['a service CIDR of one address', { ONEAPP_K8S_SERVICE_CIDR: '10.43.0.0/32' }, 'ONEAPP_K8S_SERVICE_CIDR'],
    ['a service CIDR too small for the DNS service (.10)', { ONEAPP_K8S_SERVICE_CIDR: '10.43.0.0/29' }, 'ONEAPP_K8S_SERVICE_CIDR'],
    ['a service CIDR larger than kube-apiserver takes', { ONEAPP_K8S_SERVICE_CIDR: '10.0.0.0/8', ONEAPP_K8S_CLUSTER_CIDR: '172.16.0.0/16' }, 'ONEAPP_K8S_SERVICE_CIDR'],
    ['a cluster CIDR with room for one node', { ONEAPP_K8S_CLUSTER_CIDR: '10.42.0.0/24' }, 'ONEAPP_K8S_CLUSTER_CIDR'],
    ['a cluster CIDR over the private network', { ETH1_IP: '10.42.7.5', ETH1_MASK: '255.255.255.0' }, 'ONEAPP_K8S_CLUSTER_CIDR'],
    ['a service CIDR over the public network', { ETH0_IP: '10.43.200.1', ETH0_MASK: '255.255.0.0' }, 'ONEAPP_K8S_SERVICE_CIDR'],
    ['MetalLB handing out service addresses', { ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_RANGE: '10.43.0.100-10.43.0.120' }, 'ONEAPP_K8S_METALLB_ENABLED'],
  ])('%s: exit 2 naming the variable', async (_what, vars, variable) => {
    const run = await runOneke(vars);
    expect(run.code).toBe(2);
    expect(namedVariables(run.stderr)).toEqual([variable]);
  });

  test.each([
    ['the defaults', {}],
    ['the largest and smallest sizes allowed', { ONEAPP_K8S_CLUSTER_CIDR: '10.40.0.0/23', ONEAPP_K8S_SERVICE_CIDR: '10.43.0.0/28' }],
    ['a service CIDR of /12', { ONEAPP_K8S_SERVICE_CIDR: '10.96.0.0/12' }],
    ['NICs beside the cluster networks', { ETH0_IP: '10.44.0.5', ETH0_MASK: '255.255.0.0', ETH1_IP: '172.20.0.5', ETH1_MASK: '255.255.255.0' }],
  ])('%s: OK', async (_what, vars) => {
    expect(await runOneke(vars)).toMatchObject({ code: 0, stdout: 'OK\n' });
  });
});
