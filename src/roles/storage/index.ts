import { gatherKubernetes } from '../kubernetes/gather.ts';
import { planKubernetes, type KubernetesLocal } from '../kubernetes/plan-node.ts';
import type { RoleModule } from '../role.ts';

/** An RKE2 agent with a dedicated disk, labelled and tainted for Longhorn's replicas. */
export const storage: RoleModule<KubernetesLocal> = {
  name: 'storage',
  gather: (env) => gatherKubernetes(env, 'storage'),
  plan: (facts) => planKubernetes('storage', facts),
};
