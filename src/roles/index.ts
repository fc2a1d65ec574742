import type { Config } from '../config/index.ts';
import { RuntimeProblem } from '../errors.ts';
import type { Host } from '../host/host.ts';
import type { Logger } from '../log/logger.ts';
import type { VmRecord } from '../onegate/parse.ts';
import { isRoleName, type Plan, type RoleName } from '../plan/plan.ts';
import { master } from './master/index.ts';
import type { ClusterView, RoleModule } from './role.ts';
import { storage } from './storage/index.ts';
import { vnf } from './vnf/index.ts';
import { worker } from './worker/index.ts';

// The registry of roles and the dispatch to them; the loop that converges a VM is src/steps/converge.ts.

/** Every role this agent can take, by the name OneFlow gives it (USER_TEMPLATE/ROLE_NAME). */
export const ROLES = { vnf, master, worker, storage } satisfies Record<RoleName, { name: RoleName }>;

/** The VM's role as OneFlow set it; a clear error for a VM outside a OneKE service. */
export function roleOf(self: VmRecord): RoleName {
  const name = self.userTemplate.ROLE_NAME;
  if (name === undefined || name === '') {
    throw new RuntimeProblem('ONEKE_NO_ROLE', `VM ${self.id} has no ROLE_NAME in its USER_TEMPLATE`);
  }
  if (!isRoleName(name)) {
    throw new RuntimeProblem('ONEKE_UNKNOWN_ROLE', `ROLE_NAME=${JSON.stringify(name)}: expected one of vnf, master, worker, storage`);
  }
  return name;
}

function moduleOf(role: RoleName): RoleModule<unknown> {
  // Each module gathers its own kind of local facts and plans from them; to the loop they are opaque.
  return ROLES[role] as unknown as RoleModule<unknown>;
}

/** The plan a role makes from what it sees now. */
export async function planRole(role: RoleName, env: { host: Host; logger: Logger; config: Config; cluster: ClusterView }): Promise<Plan> {
  const module = moduleOf(role);
  const local = await module.gather(env);
  return module.plan({ config: env.config, cluster: env.cluster, local });
}
