import type { OneGateClient } from '../onegate/client.ts';
import { ONEKE_ERROR, ONEKE_STATUS, oneGateSafeValue } from '../onegate/keys.ts';
import type { OutcomeReporter } from './run-step.ts';

/** Publishes a failed step's reason on the VM, so `onevm show` tells the operator why. */
export function failureReporter(client: OneGateClient): OutcomeReporter {
  return {
    failure: async (reason) => {
      await client.vmUpdate({ [ONEKE_STATUS]: 'failure', [ONEKE_ERROR]: oneGateSafeValue(reason) });
    },
  };
}
