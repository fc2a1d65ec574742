import { gatherKubernetes } from '../kubernetes/gather.ts';
import type { KubernetesLocal } from '../kubernetes/plan-node.ts';
import type { RoleModule } from '../role.ts';
import { gatherDiskFacts } from './disk/index.ts';
import { planStorage } from './plan.ts';

/** An RKE2 agent with a dedicated disk, labelled and tainted for Longhorn's replicas. */
export const storage: RoleModule<KubernetesLocal> = {
  name: 'storage',
  gather: (env) => gatherKubernetes(env, () => gatherDiskFacts(env.host, env.config.storage)),
  plan: planStorage,
};
