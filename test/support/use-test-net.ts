// Kept apart from netns.ts, which the whole-service harness and the demo load outside vitest:
// importing vitest there would stop a plain `node scripts/demo.ts` at once.

import { onTestFinished } from 'vitest';
import { TestNet } from './netns.ts';

/** A TestNet removed when the current test finishes, pass or fail. Call it inside a test. */
export function useTestNet(): TestNet {
  const net = new TestNet();
  onTestFinished(() => net.cleanup());
  return net;
}
