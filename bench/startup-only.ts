// The start-up measurement alone (bench/run.ts runs it with the rest): prints its figures and text.
//   npm run build && node bench/startup-only.ts      (BENCH_QUICK=1 for fewer runs)

import fs from 'node:fs';
import { createContext } from './lib/context.ts';
import { markdownTable } from './lib/report.ts';
import { measureStartup } from './startup.ts';

const ctx = createContext();
try {
  const section = await measureStartup(ctx);
  console.log(markdownTable(['figure', 'value', 'target', 'met'], section.figures.map((f) => [f.name, f.value, f.target ?? '', f.met === undefined ? '' : f.met ? 'yes' : 'MISSED'])));
  console.log(`\n## ${section.title}\n\n${section.markdown}`);
} finally {
  fs.rmSync(ctx.work, { recursive: true, force: true });
}
