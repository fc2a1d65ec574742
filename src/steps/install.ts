import { RuntimeProblem } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Runtime } from '../cli/runtime.ts';

/** The image-build step: OS packages, RKE2, Helm, add-on charts. */
export async function runInstall(_runtime: Runtime, _logger: Logger): Promise<void> {
  throw new RuntimeProblem('ONEKE_INSTALL_UNSUPPORTED', 'install is not supported by this build of oneke yet');
}
