// The OneGate emulator: a fake OneGate for tests, benchmarks and `oneke dev onegate`.

export { runEmulatorCommand, parseListen } from './command.ts';
export { createPrng, FAULT_KINDS, type FaultConfig, type FaultKind } from './faults.ts';
export { EMULATOR_ROUTES, startEmulator, type EmulatorHandle, type EmulatorOptions, type EmulatorRoute, type EmulatorStats } from './server.ts';
export {
  buildServiceState,
  buildVmEntry,
  defaultToken,
  loadEmulatorState,
  macFromIp,
  validateEmulatorState,
  type BuildNicSpec,
  type BuildRoleSpec,
  type BuildServiceSpec,
  type BuildVmSpec,
  type EmulatorNic,
  type EmulatorNode,
  type EmulatorRole,
  type EmulatorServiceBody,
  type EmulatorState,
  type EmulatorVm,
  type EmulatorVmEntry,
} from './state.ts';
export type { EmulatorUpdate } from './store.ts';
