// Shared by the add-on tests: real configs from real context variables, and the output parsed back.

import { expect } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { ManifestFile } from '../../../src/addons/index.ts';
import { parseConfig } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { formatIssue } from '../../../src/errors.ts';

/** What every master has: the public VIP, from which the control-plane endpoint 10.0.0.10:6443 derives. */
export const MASTER_VARS: Readonly<Record<string, string>> = { ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.10' };

export function configOf(vars: Record<string, string>): Config {
  const result = parseConfig(new Map(Object.entries({ ...MASTER_VARS, ...vars })));
  if (!result.ok) throw new Error(`unexpected issues: ${result.issues.map(formatIssue).join('; ')}`);
  return result.config;
}

export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export type Doc = Record<string, any>;

/** Every document of a file as plain data; a YAML error or warning fails the test. */
export function documentsOf(content: string): Doc[] {
  return parseAllDocuments(content).map((document) => {
    expect(document.errors).toEqual([]);
    expect(document.warnings).toEqual([]);
    return document.toJS() as Doc;
  });
}

/** A HelmChartConfig's values, parsed as the chart will see them. */
export function valuesOf(document: Doc): Doc {
  expect(document.kind).toBe('HelmChartConfig');
  expect(typeof document.spec?.valuesContent).toBe('string');
  return parseYaml(document.spec.valuesContent as string) as Doc;
}

export function names(files: readonly ManifestFile[]): string[] {
  return files.map((file) => file.name);
}

export function fileNamed(files: readonly ManifestFile[], name: string): ManifestFile {
  const file = files.find((candidate) => candidate.name === name);
  if (file === undefined) throw new Error(`no ${name} among ${names(files).join(', ') || 'no files'}`);
  return file;
}
