import { gatherKubernetes } from '../kubernetes/gather.ts';
import { planKubernetes, type KubernetesLocal } from '../kubernetes/plan-node.ts';
import type { RoleModule } from '../role.ts';

/** An RKE2 agent for workloads, and a backend of the ingress load balancers. */
export const worker: RoleModule<KubernetesLocal> = {
  name: 'worker',
  gather: (env) => gatherKubernetes(env, 'worker'),
  plan: (facts) => planKubernetes('worker', facts),
};
