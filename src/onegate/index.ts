// OneGate: the client, the parsing of its answers, and the key names.

export { OneGateAnswerError } from './answer-error.ts';
export {
  createOneGateClient,
  ONEGATE_ROUTES,
  type OneGateClient,
  type OneGateClientOptions,
  type OneGateClientStats,
  type OneGateLogger,
  type OneGateRoute,
} from './client.ts';
export * from './keys.ts';
export {
  isExtendedAnswer,
  parseJson,
  parseServiceAnswer,
  parseVm,
  parseVmAnswer,
  type Nic,
  type NodeRecord,
  type RoleRecord,
  type ServiceRecord,
  type VmInfoKind,
  type VmRecord,
} from './parse.ts';
export { backoffCap, backoffDelay, DEFAULT_RETRY, resolveRetry, type RetryOptions, type RetryPolicy } from './retry.ts';
