// Our service template against the official OneKE 1.33 one (the marketplace files of the shared reference):
// a service instantiated from either must hand each role the same variables, so the roles get the
// same variable names and values per role (`<ETH0_EP0>` placeholders, `${vnf.…}` references and
// `$INPUT` pass-throughs alike), the official user inputs exist with the same type and default, and
// every variable the official service hands any VM (role contents and VM template CONTEXTs) is one
// our agent knows.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import * as variablesModule from '../../src/config/variables.ts';
import { OFFICIAL_TEMPLATE_DIR, requireOfficialTemplate } from '../support/official-template.ts';
import { roleContents, SIZING_ATTRIBUTES as SIZING } from './support/service-rules.ts';
import { read } from './support/tools.ts';

requireOfficialTemplate();

interface Role {
  name: string;
  cardinality?: number;
  min_vms?: number;
  parents?: string[];
  vm_template_contents?: string;
  template_contents?: Record<string, unknown>;
}
interface Template {
  user_inputs: Record<string, string>;
  user_inputs_metadata?: { NAME: string; TYPE: string }[];
  roles: Role[];
}

const official = (file: string) => parseYaml(fs.readFileSync(path.join(OFFICIAL_TEMPLATE_DIR, file), 'utf8')) as { opennebula_template: Template & { context?: Record<string, string> } };
const OFFICIAL = official('oneke-133-service-x86_64.yaml').opennebula_template;
const ours = JSON.parse(read('appliance/oneflow/oneke-service.json')) as Template;
const oursMarket = (parseYaml(read('appliance/marketplace/oneke-service.yaml')) as { opennebula_template: Template }).opennebula_template;

const variablesOf = (role: Role) => Object.fromEntries(Object.entries(roleContents(role).attributes).filter(([name]) => !SIZING.has(name)));

const table: readonly { name: string; pattern?: RegExp }[] = variablesModule.VARIABLES;
const knows = (name: string) => table.some((v) => v.name === name || v.pattern?.test(name) === true);
/** Read by one-context or OneFlow themselves. */
const PLATFORM = new Set(['NETWORK', 'TOKEN', 'SSH_PUBLIC_KEY', 'REPORT_READY', 'SERVICE_ID', 'GROW_FS', 'FALLBACK_GW', 'FALLBACK_DNS']);

describe('each role gets what the official service gives it', () => {
  test('the same roles, parents, cardinalities', () => {
    const shape = (t: Template) => t.roles.map((r) => ({ name: r.name, cardinality: r.cardinality, min_vms: r.min_vms, parents: r.parents ?? [] }));
    expect(shape(ours)).toEqual(shape(OFFICIAL));
  });

  test.each(OFFICIAL.roles.map((r) => [r.name, r] as const))('%s: the same NICs and the same variables with the same values', (name, role) => {
    for (const template of [ours, oursMarket]) {
      const twin = template.roles.find((r) => r.name === name) as Role;
      expect(roleContents(twin).nics).toEqual(roleContents(role).nics);
      expect(variablesOf(twin)).toEqual(variablesOf(role));
    }
  });

  test('a role attribute ours adds is only the VNF size', () => {
    const extra = ours.roles.flatMap((role) =>
      Object.keys(roleContents(role).attributes)
        .filter((k) => SIZING.has(k))
        .map((k) => `${role.name}.${k}`),
    );
    expect(extra.sort()).toEqual(['vnf.CPU', 'vnf.MEMORY', 'vnf.VCPU']);
  });
});

describe('user inputs', () => {
  const fields = (spec: string) => {
    const [mandatory, type, , options = '', fallback = ''] = spec.split('|');
    return { mandatory, type, options, fallback };
  };

  /** Intended differences of type (listed in the README's interface section). */
  const OTHER_TYPE: Record<string, string> = { ONEAPP_K8S_STORAGE_FILESYSTEM: 'list' };

  test.each(Object.entries(OFFICIAL.user_inputs))('%s: same type, options and default as the official one', (name, spec) => {
    const mine = ours.user_inputs[name];
    expect(mine, name).toBeDefined();
    const a = fields(mine as string);
    const b = fields(spec);
    expect(a.mandatory).toBe(b.mandatory);
    expect(a.fallback).toBe(b.fallback);
    if (OTHER_TYPE[name] !== undefined) expect(a.type).toBe(OTHER_TYPE[name]);
    else if (b.type !== 'list') expect(a.type).toBe(b.type);
    else expect({ type: a.type, options: a.options.split(',').sort() }).toEqual({ type: 'list', options: b.options.split(',').sort() });
  });

  test('the VIPs are optional: a service without them is a single-VNF one', () => {
    expect(ours.user_inputs.ONEAPP_VROUTER_ETH0_VIP0).toMatch(/^O\|text\|.*\|\|$/);
    expect(ours.user_inputs.ONEAPP_VROUTER_ETH1_VIP0).toMatch(/^O\|text\|.*\|\|$/);
  });

  test('every tab and group of the official metadata is there, each once', () => {
    const names = (ours.user_inputs_metadata ?? []).map((m) => `${m.TYPE}:${m.NAME}`);
    expect(new Set(names).size).toBe(names.length);
    for (const entry of OFFICIAL.user_inputs_metadata ?? []) expect(names).toContain(`${entry.TYPE}:${entry.NAME}`);
    expect(oursMarket.user_inputs_metadata).toEqual(ours.user_inputs_metadata);
  });
});

describe('the agent knows every variable the official service hands a VM', () => {
  const handed = new Set<string>();
  for (const role of OFFICIAL.roles) for (const name of Object.keys(roleContents(role).attributes)) handed.add(name);
  for (const file of ['oneke-133-x86_64.yaml', 'oneke-133-storage-x86_64.yaml', 'oneke-133-vnf-x86_64.yaml']) {
    for (const name of Object.keys(official(file).opennebula_template.context ?? {})) handed.add(name);
  }
  // The official storage VM template renames ONEAPP_K8S_STORAGE_* to ONEAPP_STORAGE_*, as ours does.
  const renamed = (name: string) => name.startsWith('ONEAPP_K8S_STORAGE_') && knows(name.replace('ONEAPP_K8S_', 'ONEAPP_'));

  test('every name is known to src/config/variables.ts', () => {
    const unknown = [...handed].filter((name) => !PLATFORM.has(name) && !knows(name) && !renamed(name));
    expect(unknown).toEqual([]);
    expect(handed.size).toBeGreaterThan(40);
  });
});
