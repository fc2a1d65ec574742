import { vnfSyncStep } from '../../steps/vnf-sync.ts';
import type { Runtime } from '../runtime.ts';

/** `oneke vnf sync`: keeps HAProxy's backends equal to what the service publishes. */
export async function vnfSyncCommand(runtime: Runtime, opts: { once?: boolean }): Promise<void> {
  await vnfSyncStep(runtime, opts);
}
