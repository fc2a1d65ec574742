import type { Config } from '../config/index.ts';
import type { Host } from '../host/host.ts';
import type { Logger } from '../log/logger.ts';
import type { ServiceRecord, VmRecord } from '../onegate/parse.ts';
import type { Plan, RoleName } from '../plan/plan.ts';

/** What OneGate says about this VM and its service, taken with one request. */
export interface ClusterView {
  self: VmRecord;
  /** The service with every node's full VM; undefined for a VM outside any service. */
  service: ServiceRecord | undefined;
}

/** Everything a role decides from: plain data, gathered before the decision. */
export interface RoleFacts<Local> {
  config: Config;
  cluster: ClusterView;
  local: Local;
}

/** What a role may look at on the VM while gathering its local facts. */
export interface GatherEnv {
  host: Host;
  config: Config;
  cluster: ClusterView;
  logger: Logger;
}

/**
 * A role: `gather` looks at the VM (files, interfaces, ports) and returns plain data; `plan` turns
 * the facts into a plan without touching anything. A plan whose decision is `wait` means "ask
 * again later" (its reason says what for); any other plan is applied whole and ends the run.
 */
export interface RoleModule<Local = unknown> {
  name: RoleName;
  gather(env: GatherEnv): Promise<Local>;
  plan(facts: RoleFacts<Local>): Plan;
}

export const WAIT = 'wait';
