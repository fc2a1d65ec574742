import type { Config } from '../../config/index.ts';
import type { ServiceRecord } from '../../onegate/parse.ts';
import type { Action, Plan } from '../../plan/plan.ts';
import { HAPROXY_CFG, HAPROXY_UNIT, renderVnfHaproxy } from './plan.ts';

// The decision of `oneke vnf sync` (the loop is src/steps/vnf-sync.ts): given what the service
// publishes and the configuration HAProxy runs now, the plan that brings its backends in line.

/** Where a new configuration is checked (`haproxy -c`) before it replaces the running one. */
export const HAPROXY_CANDIDATE = `${HAPROXY_CFG}.candidate`;

export type SyncVerdict = 'changed' | 'unchanged' | 'no-load-balancer';

export interface SyncPlan {
  verdict: SyncVerdict;
  plan: Plan;
  /** The configuration to load, when it changed. */
  text?: string;
  warnings: string[];
}

/**
 * Plans one poll: nothing when the rendered configuration equals `current`; otherwise write the
 * candidate, check it, remove it, write the configuration and reload HAProxy, in that order (the
 * check is the `command` action: the sync loop stops there when it fails).
 */
export function planVnfSync(config: Config, service: ServiceRecord | undefined, current: string | undefined): SyncPlan {
  const rendered = renderVnfHaproxy(config, service);
  const { warnings } = rendered;
  if (rendered.text === undefined) {
    return {
      verdict: 'no-load-balancer',
      warnings,
      plan: { role: 'vnf', decision: { kind: 'no-load-balancer', reason: 'no load balancer is configured: HAProxy has nothing to follow' }, actions: [] },
    };
  }
  if (current === rendered.text) {
    return {
      verdict: 'unchanged',
      warnings,
      plan: { role: 'vnf', decision: { kind: 'unchanged', reason: "HAProxy's backends already match the service" }, actions: [], ...(warnings.length > 0 ? { warnings } : {}) },
    };
  }
  const actions: Action[] = [
    { kind: 'file', path: HAPROXY_CANDIDATE, mode: 0o644, content: rendered.text },
    { kind: 'command', argv: ['haproxy', '-c', '-q', '-f', HAPROXY_CANDIDATE], paths: [4], why: 'check the new configuration before HAProxy loads it' },
    { kind: 'remove', path: HAPROXY_CANDIDATE },
    { kind: 'file', path: HAPROXY_CFG, mode: 0o644, content: rendered.text },
    { kind: 'service', unit: HAPROXY_UNIT, operation: 'reload-or-restart' },
  ];
  return {
    verdict: 'changed',
    text: rendered.text,
    warnings,
    plan: { role: 'vnf', decision: { kind: 'sync', reason: "HAProxy's backends differ from what the service publishes" }, actions, ...(warnings.length > 0 ? { warnings } : {}) },
  };
}
