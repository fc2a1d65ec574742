// One measurement of the bench alone (bench/run.ts runs them all): prints its figures and text.
//   npm run build && node bench/section.ts startup
//   npm run build && node bench/section.ts vnf-sync-rss [seconds]
// BENCH_QUICK=1 for fewer runs.

import fs from 'node:fs';
import { createContext } from './lib/context.ts';
import { markdownTable, type Section } from './lib/report.ts';
import { measureStartup } from './startup.ts';
import { measureVnfSyncRss } from './vnf-sync-rss.ts';

const [which, seconds] = process.argv.slice(2);
const ctx = createContext();
const sections: Record<string, () => Promise<Section>> = {
  startup: () => measureStartup(ctx),
  'vnf-sync-rss': async () => (await measureVnfSyncRss(ctx, Number(seconds ?? ctx.pick(360, 30)))).section,
};
const measure = sections[which ?? ''];
if (!measure) {
  console.error(`usage: node bench/section.ts ${Object.keys(sections).join('|')} [seconds]`);
  process.exit(2);
}
try {
  const section = await measure();
  console.log(
    markdownTable(
      ['figure', 'value', 'target', 'met'],
      section.figures.map((f) => [f.name, f.value, f.target ?? '', f.met === undefined ? '' : f.met ? 'yes' : 'MISSED']),
    ),
  );
  console.log(`\n## ${section.title}\n\n${section.markdown}`);
} finally {
  fs.rmSync(ctx.work, { recursive: true, force: true });
}
