// OneGate key names: the interface between VMs of a OneKE service (contract sections 2 and 8).
// Spelled exactly as existing clusters and OneFlow templates expect them.

/** Every VM: configure and bootstrap succeeded. OneFlow's ready_status_gate matches `READY=YES`. */
export const READY = 'READY';
/** The only value of READY that OneFlow accepts. */
export const READY_YES = 'YES';

/**
 * The one test of a VM's READY, wherever it is read (the join order, the VNF, the cleaner). OneKE,
 * one-apps and the contract write exactly `YES`; case and surrounding spaces are ignored, as the join
 * order always did, so a VM marked `yes` by hand is never initialised or joined a second time.
 */
export function isReady(value: string | undefined): boolean {
  return value?.trim().toUpperCase() === READY_YES;
}

/** Kubernetes nodes: their node name (`oneke-ip-a-b-c-d`). */
export const ONEGATE_K8S_NODE_NAME = 'ONEGATE_K8S_NODE_NAME';
/** Masters: their IP, once rke2-server runs. */
export const ONEGATE_K8S_MASTER = 'ONEGATE_K8S_MASTER';
/** Masters: the cluster join token. */
export const ONEGATE_K8S_TOKEN = 'ONEGATE_K8S_TOKEN';
/** Masters: base64 kubeconfig aimed at the control-plane endpoint. */
export const ONEKE_KUBECONFIG = 'ONEKE_KUBECONFIG';
/** Beyond the reference: `failure` (or another step status) so `onevm show` says why. */
export const ONEKE_STATUS = 'ONEKE_STATUS';
/** Beyond the reference: the one-line reason of a failure. */
export const ONEKE_ERROR = 'ONEKE_ERROR';

/** USER_TEMPLATE fields set by OneFlow, read-only for VMs. */
export const ROLE_NAME = 'ROLE_NAME';
export const SERVICE_ID = 'SERVICE_ID';

/** Keys whose values are secrets: mask them in logs and plans. */
export const SECRET_KEYS: readonly string[] = [ONEGATE_K8S_TOKEN, ONEKE_KUBECONFIG];

export const HAPROXY_LB_FIELDS = ['IP', 'PORT', 'SERVER_HOST', 'SERVER_PORT'] as const;
export type HaproxyLbField = (typeof HAPROXY_LB_FIELDS)[number];

/** `ONEGATE_HAPROXY_LB<index>_<field>`: a backend that a VM offers to the VNF's HAProxy. */
export function haproxyLbKey(index: number, field: HaproxyLbField): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`HAProxy LB index must be a non-negative integer, not ${index}`);
  return `ONEGATE_HAPROXY_LB${index}_${field}`;
}

/** The four keys of one LB index, for publishing a backend in one update. */
export function haproxyLbKeys(index: number): { ip: string; port: string; serverHost: string; serverPort: string } {
  return {
    ip: haproxyLbKey(index, 'IP'),
    port: haproxyLbKey(index, 'PORT'),
    serverHost: haproxyLbKey(index, 'SERVER_HOST'),
    serverPort: haproxyLbKey(index, 'SERVER_PORT'),
  };
}

const LB_KEY = /^ONEGATE_HAPROXY_LB(0|[1-9][0-9]{0,5})_(IP|PORT|SERVER_HOST|SERVER_PORT)$/;

/** The inverse of haproxyLbKey, for a VNF scanning the USER_TEMPLATEs of the service. */
export function parseHaproxyLbKey(key: string): { index: number; field: HaproxyLbField } | undefined {
  const m = LB_KEY.exec(key);
  if (!m) return undefined;
  return { index: Number(m[1]), field: m[2] as HaproxyLbField };
}

/**
 * Free text (an error message) made safe as a OneGate value: one line, and none of `" \ [ ] ,`.
 * The real server wraps each value in quotes with a hand-made escaper (escape_attr in
 * onegate-server.rb) that ends the quoted string at `,`, `[`, `]` and `\` (they delimit vector
 * attributes), so such a value is, by our reading of that code, mangled or refused (HTTP 500).
 */
export function oneGateSafeValue(text: string, maxLength = 400): string {
  const clean = text.replace(/\s+/g, ' ').replaceAll('"', "'").replaceAll('\\', '/').replaceAll('[', '(').replaceAll(']', ')').replaceAll(',', ';').trim();
  return clean.length > maxLength ? `${clean.slice(0, Math.max(0, maxLength - 1))}…` : clean;
}
