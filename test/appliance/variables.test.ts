// Cross-check of the appliance templates against the agent's table of variables
// (src/config/variables.ts): every variable the templates hand to a VM is one the agent reads, every
// variable a user should set is offered, and the defaults the templates offer are values the agent
// accepts. The table is read through a tolerant adapter: it needs only entries with a `name`
// (exact, a `PREFIX*` family, or a `<n>` template) and uses `pattern`, `kind` and `VALUE_KINDS` when
// they are there.

import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import * as variablesModule from '../../src/config/variables.ts';
import { parseOneTemplate, single, vector } from './support/one-template.ts';
import { SIZING_ATTRIBUTES } from './support/service-rules.ts';
import { read } from './support/tools.ts';

interface KnownVariable {
  name: string;
  matches: (candidate: string) => boolean;
  parse?: (raw: string) => boolean;
}

function knownVariables(): KnownVariable[] {
  const module = variablesModule as Record<string, unknown>;
  const table = module.VARIABLES;
  if (!Array.isArray(table)) throw new Error('src/config/variables.ts exports no VARIABLES array');
  const kinds = (module.VALUE_KINDS ?? {}) as Record<string, { parse?: (raw: string) => { ok: boolean } } | undefined>;
  return table.map((entry: unknown): KnownVariable => {
    const spec = entry as { name?: unknown; pattern?: unknown; kind?: unknown };
    if (typeof spec.name !== 'string') throw new Error(`a VARIABLES entry has no name: ${JSON.stringify(entry)}`);
    const name = spec.name;
    let matches: (candidate: string) => boolean;
    if (spec.pattern instanceof RegExp) {
      const pattern = spec.pattern;
      matches = (candidate) => pattern.test(candidate);
    } else if (name.endsWith('*')) {
      matches = (candidate) => candidate.startsWith(name.slice(0, -1));
    } else if (name.includes('<')) {
      const regex = new RegExp(`^${name.replace(/<[a-z]+>/g, '\\d+')}$`);
      matches = (candidate) => regex.test(candidate);
    } else {
      matches = (candidate) => candidate === name;
    }
    const parser = typeof spec.kind === 'string' ? kinds[spec.kind] : undefined;
    return { name, matches, ...(parser?.parse ? { parse: (raw: string) => parser.parse?.(raw).ok === true } : {}) };
  });
}

const KNOWN = knownVariables();
const exact = (name: string) => KNOWN.find((v) => v.name === name);
const inTable = (name: string) => exact(name) ?? KNOWN.find((v) => v.matches(name));
/** Known to the agent. */
const known = inTable;

/**
 * Context variables that OpenNebula or one-context itself consume: the agent need not know them.
 * NETWORK (NIC set-up), TOKEN (OneGate token), SSH_PUBLIC_KEY, GROW_FS and the like are read by
 * one-context; REPORT_READY, SERVICE_ID, ONEGATE_ENDPOINT, FALLBACK_*, ETHn_* are also in the table.
 */
const PLATFORM = new Set(['NETWORK', 'TOKEN', 'SSH_PUBLIC_KEY', 'REPORT_READY', 'ONEGATE_ENDPOINT', 'SERVICE_ID', 'GROW_FS', 'SET_HOSTNAME', 'USERNAME']);
const isPlatform = (name: string) => PLATFORM.has(name) || /^ETH\d+_[A-Z0-9_]+$/.test(name) || /^FALLBACK_(GW|DNS)$/.test(name);

interface VmTemplate {
  file: string;
  context: ReadonlyMap<string, string>;
  userInputs: ReadonlyMap<string, string>;
}

function vmTemplate(file: string): VmTemplate {
  const attributes = parseOneTemplate(read(file));
  return { file, context: vector(attributes, 'CONTEXT'), userInputs: vector(attributes, 'USER_INPUTS') };
}

const node = vmTemplate('appliance/templates/oneke-node.tmpl');
const storage = vmTemplate('appliance/templates/oneke-storage.tmpl');
const service = JSON.parse(read('appliance/oneflow/oneke-service.json')) as {
  user_inputs: Record<string, string>;
  roles: { name: string; template_contents?: Record<string, unknown> }[];
};

/** CONTEXT entries `KNOWN = "$OTHER"` with a different name: OTHER is an input this template renames. */
function aliases(template: VmTemplate): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of template.context) {
    const match = /^\$([A-Z0-9_]+)$/.exec(value);
    if (match && match[1] !== name) out.set(match[1] as string, name);
  }
  return out;
}
const ALIASES = new Map([...aliases(node), ...aliases(storage)]);

describe('the agent knows every variable the templates pass', () => {
  test('the adapter reads the table (sanity: a few names the contract fixes)', () => {
    expect(KNOWN.length).toBeGreaterThan(20);
    for (const name of ['ONEAPP_VROUTER_ETH0_VIP0', 'ONEAPP_VROUTER_ETH1_VIP0', 'ONEAPP_K8S_METALLB_RANGE1', 'ETH0_IP', 'ONEAPP_STORAGE_DEVICE']) {
      expect(known(name), name).toBeDefined();
    }
    expect(known('ONEAPP_NO_SUCH_THING')).toBeUndefined();
  });

  test.each([node, storage])('CONTEXT of $file', (template) => {
    const unknown = [...template.context.keys()].filter((name) => !isPlatform(name) && !known(name));
    expect(unknown).toEqual([]);
  });

  test.each([node, storage])('USER_INPUTS of $file', (template) => {
    const unknown = [...template.userInputs.keys()].filter((name) => !known(name) && !ALIASES.has(name));
    expect(unknown).toEqual([]);
  });

  test('the service user inputs and the attributes the roles set', () => {
    const roleAttributes = service.roles.flatMap((role) => Object.keys(role.template_contents ?? {}).filter((k) => k !== 'NIC' && !SIZING_ATTRIBUTES.has(k)));
    const unknown = [...Object.keys(service.user_inputs), ...roleAttributes].filter((name) => !isPlatform(name) && !known(name) && !ALIASES.has(name));
    expect(unknown).toEqual([]);
  });

  test('a renamed input (ONEAPP_K8S_STORAGE_* → ONEAPP_STORAGE_*) lands on a variable the agent knows, on storage VMs only', () => {
    for (const [input, target] of ALIASES) {
      expect(known(target), `${input} → ${target}`).toBeDefined();
      expect(storage.context.get(target)).toBe(`$${input}`);
      expect(node.context.has(target), `${target} must not reach vnf, master or worker VMs`).toBe(false);
    }
    expect(ALIASES.get('ONEAPP_K8S_STORAGE_DEVICE')).toBe('ONEAPP_STORAGE_DEVICE');
  });
});

describe('every variable a user should set is offered', () => {
  const vips = ['ONEAPP_VROUTER_ETH0_VIP0', 'ONEAPP_VROUTER_ETH1_VIP0'];

  test.each(vips)('%s is an optional input of the service and of both VM templates (no VIP: one VNF, its own addresses)', (name) => {
    for (const spec of [service.user_inputs[name], node.userInputs.get(name), storage.userInputs.get(name)]) expect(spec).toMatch(/^O\|text\|.*\|\|$/);
  });

  test('every service input reaches the VMs: the VM template CONTEXT passes it on as "$NAME"', () => {
    for (const name of Object.keys(service.user_inputs)) {
      const target = ALIASES.get(name);
      if (target) expect(storage.context.get(target), name).toBe(`$${name}`);
      else {
        expect(node.context.get(name), `${name} in oneke-node.tmpl`).toBe(`$${name}`);
        expect(storage.context.get(name), `${name} in oneke-storage.tmpl`).toBe(`$${name}`);
      }
    }
  });

  test('every attribute a role sets reaches its VMs through the VM template CONTEXT', () => {
    for (const role of service.roles) {
      const template = role.name === 'storage' ? storage : node;
      for (const name of Object.keys(role.template_contents ?? {}).filter((k) => k !== 'NIC' && !SIZING_ATTRIBUTES.has(k))) {
        expect(template.context.get(ALIASES.get(name) ?? name), `${role.name}: ${name}`).toBe(`$${name}`);
      }
    }
  });

  test('the VM templates offer the service inputs, with the same definitions', () => {
    const expectedNode = Object.entries(service.user_inputs).filter(([name]) => !ALIASES.has(name));
    expect([...node.userInputs]).toEqual(expectedNode);
    expect([...storage.userInputs]).toEqual(Object.entries(service.user_inputs));
    for (const file of ['appliance/templates/oneke-node.tmpl', 'appliance/templates/oneke-storage.tmpl']) {
      const attributes = parseOneTemplate(read(file));
      const inputs = [...vector(attributes, 'USER_INPUTS').keys()];
      expect(single(attributes, 'INPUTS_ORDER').split(','), file).toEqual(inputs);
    }
  });

  test('the basics: network, OneGate token, READY, SSH key', () => {
    for (const template of [node, storage]) {
      expect(template.context.get('NETWORK')).toBe('YES');
      expect(template.context.get('TOKEN')).toBe('YES');
      expect(template.context.get('REPORT_READY')).toBe('YES');
      expect(template.context.get('SSH_PUBLIC_KEY')).toBe('$USER[SSH_PUBLIC_KEY]');
    }
  });
});

describe('the defaults the templates offer are values the agent accepts', () => {
  const inputs = Object.entries(service.user_inputs);

  test.each(inputs)('%s', (name, spec) => {
    const [, type = '', , params = '', rawDefault = ''] = spec.split('|');
    const variable = known(ALIASES.get(name) ?? name);
    if (!variable?.parse) return; // the table gives no parser for it: nothing more to check
    const parse = variable.parse;
    // `${vnf.TEMPLATE.CONTEXT.ETH0_IP}` is evaluated by OneFlow to an address before the VM sees it.
    const resolved = rawDefault.trim().replace(/\$\{[a-z]+\.TEMPLATE\.CONTEXT\.ETH\d+_IP\}/g, '192.0.2.10');
    const values = type === 'list' ? params.split(',') : resolved === '' ? [] : [resolved];
    for (const value of values) expect(parse(value), `${name} = ${value}`).toBe(true);
  });

  test('the values that the roles set', () => {
    for (const role of service.roles) {
      for (const [name, value] of Object.entries(role.template_contents ?? {})) {
        // `${role.…}` and `$INPUT` are resolved by OneFlow (the input's own default is checked above).
        if (name === 'NIC' || typeof value !== 'string' || value.includes('${') || /^\$[A-Z0-9_]+$/.test(value)) continue;
        const parse = known(name)?.parse;
        if (parse) expect(parse(value), `${role.name}: ${name} = ${value}`).toBe(true);
      }
    }
  });
});

describe('the marketplace VM templates match the .tmpl files', () => {
  test.each([
    ['appliance/marketplace/oneke-node.yaml', node],
    ['appliance/marketplace/oneke-storage.yaml', storage],
  ])('%s', (file, template) => {
    const app = parseYaml(read(file)) as {
      opennebula_template: { context: Record<string, string>; user_inputs: Record<string, string>; inputs_order: string; [key: string]: unknown };
    };
    const attributes = parseOneTemplate(read(template.file));
    for (const name of ['CPU', 'VCPU', 'MEMORY']) expect(app.opennebula_template[name.toLowerCase()], name).toBe(single(attributes, name));
    expect(app.opennebula_template.graphics).toEqual(Object.fromEntries([...vector(attributes, 'GRAPHICS')].map(([k, v]) => [k.toLowerCase(), v])));
    expect(Object.entries(app.opennebula_template.context)).toEqual([...template.context]);
    expect(Object.entries(app.opennebula_template.user_inputs)).toEqual([...template.userInputs]);
    expect(app.opennebula_template.inputs_order).toBe([...template.userInputs.keys()].join(','));
  });
});
