import { gatherKubernetes } from '../kubernetes/gather.ts';
import type { KubernetesLocal } from '../kubernetes/plan-node.ts';
import type { RoleModule } from '../role.ts';
import { planMaster } from './plan.ts';

/** An RKE2 server: creates the cluster or joins it, one master at a time. */
export const master: RoleModule<KubernetesLocal> = {
  name: 'master',
  gather: (env) => gatherKubernetes(env),
  plan: planMaster,
};
