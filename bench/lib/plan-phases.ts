// Where `oneke plan --onegate-snapshot` spends its time, measured in a fresh process (cold, as the
// CLI runs): reading the state file with the yaml parser (what loadEmulatorState does) beside
// JSON.parse of the same text, the emulator store, and one extended service answer built and parsed.
// Usage: node bench/lib/plan-phases.ts <state file> <VM ID>; prints one JSON object of milliseconds.

import fs from 'node:fs';
import { parse } from 'yaml';
import { loadEmulatorState } from '../../src/emulator/state.ts';
import { createEmulatorStore } from '../../src/emulator/store.ts';
import { parseServiceAnswer } from '../../src/onegate/parse.ts';

const [file = '', self = '0'] = process.argv.slice(2);
const text = fs.readFileSync(file, 'utf8');
const timed = async <T>(f: () => T | Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const value = await f();
  return [value, performance.now() - start];
};

const [, json] = await timed(() => JSON.parse(text) as unknown);
const [, yaml] = await timed(() => parse(text) as unknown);
const [state, load] = await timed(() => loadEmulatorState(file));
const [store, storeMs] = await timed(() => createEmulatorStore(state));
const [, service] = await timed(() => parseServiceAnswer(JSON.parse(store.getService(Number(self), true).body)));
console.log(JSON.stringify({ json, yaml, load, store: storeMs, service }));
