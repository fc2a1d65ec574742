import { safeJson, safeText } from '../../log/safe-text.ts';
import { planToJson, planToText } from '../../plan/format.ts';
import { planStep, type PlanOptions } from '../../steps/plan.ts';
import type { Output } from '../program.ts';
import type { Runtime } from '../runtime.ts';

/** Prints the plan of a step (default: configure, this VM's role) as things stand now. Changes nothing. */
export async function planCommand(runtime: Runtime, output: Output, opts: PlanOptions & { json?: boolean; showSecrets?: boolean }): Promise<void> {
  const plan = await planStep(runtime, opts);
  // A plan quotes peers' values and file contents: escaped, keeping the lines of the text form.
  output.out(opts.json ? `${safeJson(JSON.stringify(planToJson(plan, opts.showSecrets), null, 2))}\n` : safeText(planToText(plan, opts.showSecrets), { keepLines: true }));
}
