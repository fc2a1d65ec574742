// What both cleaner test files need: one test PKI for the file, and cleanups run after each test.

import { afterAll, afterEach, beforeAll } from 'vitest';
import { makeTestPki, type TestPki } from './fake-kube-api.ts';

export interface CleanerFixtures {
  /** Made before the file's first test, removed after its last. */
  pki: TestPki;
  /** Run after each test, newest first. */
  cleanups: (() => Promise<void>)[];
}

/** Call once at the top level of a test file. */
export function cleanerFixtures(): CleanerFixtures {
  const fixtures = { cleanups: [] } as unknown as CleanerFixtures;
  beforeAll(() => {
    fixtures.pki = makeTestPki();
  });
  afterAll(() => fixtures.pki?.cleanup());
  afterEach(async () => {
    for (const fn of fixtures.cleanups.splice(0).reverse()) await fn();
  });
  return fixtures;
}
