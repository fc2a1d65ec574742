import type { RoleModule } from '../role.ts';
import { gatherVnf } from './gather.ts';
import { planVnf, type VnfLocal } from './plan.ts';

/** The load balancer and router of the cluster: keepalived, HAProxy, nftables. */
export const vnf: RoleModule<VnfLocal> = {
  name: 'vnf',
  gather: gatherVnf,
  plan: (facts) => planVnf(facts),
};
