import { gatherKubernetes } from '../kubernetes/gather.ts';
import { planKubernetes, type KubernetesLocal } from '../kubernetes/plan-node.ts';
import type { RoleModule } from '../role.ts';

/** An RKE2 server: creates the cluster or joins it, one master at a time. */
export const master: RoleModule<KubernetesLocal> = {
  name: 'master',
  gather: (env) => gatherKubernetes(env, 'master'),
  plan: (facts) => planKubernetes('master', facts),
};
