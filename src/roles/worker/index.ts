import { gatherKubernetes } from '../kubernetes/gather.ts';
import type { KubernetesLocal } from '../kubernetes/plan-node.ts';
import type { RoleModule } from '../role.ts';
import { planWorker } from './plan.ts';

/** An RKE2 agent for workloads, and a backend of the ingress load balancers. */
export const worker: RoleModule<KubernetesLocal> = {
  name: 'worker',
  gather: (env) => gatherKubernetes(env),
  plan: planWorker,
};
