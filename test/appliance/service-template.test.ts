// The OneFlow service template (appliance/oneflow/oneke-service.json) and the marketplace copy of it
// (appliance/marketplace/oneke-service.yaml): the reference schema with Ajv 2020, the rules between
// fields that the schema cannot state, and broken copies that must be rejected (so that a pass
// means something).

import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compileServiceSchema, crossFieldProblems, roleContents, SERVICE_SCHEMA, SHARED_SERVICE_SCHEMA, userInputProblems } from './support/service-rules.ts';
import { read } from './support/tools.ts';

interface Role {
  name: string;
  type?: string;
  template_id?: number;
  cardinality?: number;
  min_vms?: number;
  max_vms?: number;
  parents?: string[];
  template_contents?: Record<string, unknown>;
  vm_template_contents?: string;
  [key: string]: unknown;
}
interface Service {
  name: string;
  deployment?: string;
  ready_status_gate?: boolean;
  networks: Record<string, string>;
  user_inputs: Record<string, string>;
  roles: Role[];
  [key: string]: unknown;
}

const service = (): Service => JSON.parse(read('appliance/oneflow/oneke-service.json')) as Service;
const marketplace = () => parseYaml(read('appliance/marketplace/oneke-service.yaml')) as { opennebula_template: Service; roles: Record<string, string> };
const checkRoot = compileServiceSchema(SERVICE_SCHEMA);
const checkMarketplace = compileServiceSchema(SERVICE_SCHEMA, 'marketplaceServiceTemplate');

/** Everything wrong with a 7.x service template: schema errors, then cross-field problems. */
const problemsOf = (document: Service): string[] => [...checkRoot(document), ...crossFieldProblems(document)];

describe('the service template, OneFlow 7 format', () => {
  test('the vendored schema is the shared reference one', () => {
    if (!fs.existsSync(SHARED_SERVICE_SCHEMA)) return; // a fresh clone has only the vendored copy
    expect(fs.readFileSync(SERVICE_SCHEMA, 'utf8')).toBe(fs.readFileSync(SHARED_SERVICE_SCHEMA, 'utf8'));
  });

  test('passes the schema and the cross-field rules', () => {
    expect(problemsOf(service())).toEqual([]);
  });

  test('takes the 7.x branch of the schema: every role has type vm and a template_id, none the 6.x keys', () => {
    for (const role of service().roles) {
      expect(role.type, role.name).toBe('vm');
      // -1: a placeholder that no template has, so a template not set by the operator fails loudly.
      expect(role.template_id, role.name).toBe(-1);
      expect(role).not.toHaveProperty('vm_template');
      expect(role).not.toHaveProperty('vm_template_contents');
    }
  });

  test('has the four roles with the contract layout', () => {
    const doc = service();
    expect(doc.deployment).toBe('straight');
    expect(doc.ready_status_gate).toBe(true);
    const byName = Object.fromEntries(doc.roles.map((r) => [r.name, r]));
    expect(Object.keys(byName)).toEqual(['vnf', 'master', 'worker', 'storage']);
    expect(byName.vnf).toMatchObject({ cardinality: 1, min_vms: 1 });
    expect(byName.vnf?.parents ?? []).toEqual([]);
    expect(byName.master).toMatchObject({ cardinality: 1, min_vms: 1, parents: ['vnf'] });
    expect(byName.worker).toMatchObject({ cardinality: 1, parents: ['vnf'] });
    expect(byName.storage).toMatchObject({ cardinality: 0, parents: ['vnf'] });
    expect(doc.networks).toEqual({ Public: expect.stringMatching(/^M\|network\|.*\|\|id:$/), Private: expect.stringMatching(/^M\|network\|.*\|\|id:$/) });
  });

  test('role contents: named NICs on the service networks, FALLBACK_* from the VNF, no CONTEXT', () => {
    const byName = Object.fromEntries(service().roles.map((r) => [r.name, r]));
    expect(roleContents(byName.vnf as Role).nics).toEqual([
      { NAME: 'NIC0', NETWORK_ID: '$Public' },
      { NAME: 'NIC1', NETWORK_ID: '$Private' },
    ]);
    expect(byName.vnf?.template_contents).not.toHaveProperty('CONTEXT');
    for (const name of ['master', 'worker', 'storage']) {
      const role = byName[name] as Role;
      // A CONTEXT in the role contents would replace (6.x) or break (7.x) the VM template's CONTEXT.
      expect(role.template_contents, name).not.toHaveProperty('CONTEXT');
      const { nics, attributes } = roleContents(role);
      expect(nics, name).toEqual([{ NAME: 'NIC0', NETWORK_ID: '$Private' }]);
      expect(attributes.FALLBACK_GW, name).toBe('${vnf.TEMPLATE.CONTEXT.ETH1_IP}');
      expect(attributes.FALLBACK_DNS, name).toBe('${vnf.TEMPLATE.CONTEXT.ETH1_IP}');
    }
  });

  test('the descriptions tell how to size for HA', () => {
    const text = service().description as string;
    expect(text).toMatch(/odd number/);
    expect(text).toMatch(/3 for HA/);
    expect(text).toMatch(/2 for HA/);
    expect(text).toMatch(/one at a time/);
  });
});

describe('the checks reject broken templates', () => {
  // Each case breaks a good copy in one way; the check must name that way.
  const cases: [string, (doc: Service) => void, RegExp][] = [
    ['a role name with a dash', (d) => void ((d.roles[2] as Role).name = 'work-er'), /pattern/],
    ['a negative cardinality', (d) => void ((d.roles[1] as Role).cardinality = -1), />= 0/],
    ['a string template_id', (d) => void ((d.roles[0] as Role).template_id = 'x' as unknown as number), /integer/],
    ['a role without type', (d) => void delete (d.roles[0] as Role).type, /required property 'type'/],
    ['a non-boolean ready_status_gate', (d) => void (d.ready_status_gate = 'yes' as unknown as boolean), /boolean/],
    ['a 4-field user input', (d) => void (d.user_inputs.ONEAPP_K8S_CNI_PLUGIN = 'O|text|CNI|'), /pattern|fields/],
    ['a network string without the 5th field', (d) => void (d.networks.Public = 'M|network|Public'), /pattern/],
    ['min_vms above the cardinality', (d) => void ((d.roles[1] as Role).min_vms = 3), /min_vms 3 is above the cardinality 1/],
    ['cardinality above max_vms', (d) => void ((d.roles[2] as Role).max_vms = 0), /cardinality 1 is above max_vms 0/],
    ['min_vms without cardinality (OneFlow counts 0)', (d) => void delete (d.roles[0] as Role).cardinality, /min_vms 1 is above the cardinality 0/],
    ['two roles with one name', (d) => void ((d.roles[3] as Role).name = 'worker'), /role worker: the name is used twice/],
    ['a parent that is not a role', (d) => void ((d.roles[1] as Role).parents = ['vnfs']), /parent vnfs is not a role/],
    ['parents in a cycle', (d) => void ((d.roles[0] as Role).parents = ['storage']), /parents form a cycle/],
    ['a NIC on an unknown network', (d) => void ((d.roles[1] as Role).template_contents = { NIC: [{ NETWORK_ID: '$Public2' }] }), /\$Public2 is not in the service networks/],
    ['${role.…} of a role that is not a parent', (d) => void ((d.roles[0] as Role).template_contents = { FALLBACK_GW: '${master.TEMPLATE.CONTEXT.ETH0_IP}' }), /not its parent/],
    ['an optional boolean without a default', (d) => void (d.user_inputs.ONEAPP_K8S_MULTUS_ENABLED = 'O|boolean|Multus||'), /optional boolean without a default/],
    ['an optional list without a default', (d) => void (d.user_inputs.ONEAPP_K8S_CNI_PLUGIN = 'O|list|CNI|cilium,calico|'), /optional list without a default/],
    ['a list default that is not an option', (d) => void (d.user_inputs.ONEAPP_K8S_CNI_PLUGIN = 'O|list|CNI|cilium,calico|flannel'), /not one of/],
    ['a boolean default that is not YES/NO', (d) => void (d.user_inputs.ONEAPP_K8S_MULTUS_ENABLED = 'O|boolean|Multus||true'), /not YES or NO/],
  ];

  test.each(cases)('%s', (_label, breakIt, expected) => {
    const doc = service();
    breakIt(doc);
    const problems = problemsOf(doc);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(expected);
  });

  test.each([
    ['O|number|Refresh||', /optional number without a default/],
    ['O|range|Workers|1..8|', /optional range without a default/],
    ['O|range|Workers|1-8|2', /not min..max/],
    ['X|text|What', /neither M nor O/],
  ])('user input %s is rejected', (spec, expected) => {
    expect(userInputProblems('X', spec).join('\n')).toMatch(expected);
  });

  test.each([['M|text|VIP'], ['O|text|Proxy||'], ['O|boolean|Flag||NO'], ['O|list|CNI|a,b|b'], ['O|range|Workers|1..8|2'], ['O|text64|YAML||']])('user input %s is fine', (spec) => {
    expect(userInputProblems('X', spec)).toEqual([]);
  });
});

describe('the marketplace service appliance', () => {
  test('its opennebula_template passes the marketplace part of the schema and the cross-field rules', () => {
    const template = marketplace().opennebula_template;
    expect(checkMarketplace(template)).toEqual([]);
    expect(crossFieldProblems(template)).toEqual([]);
  });

  test('a role with a template id is rejected there (the import injects it)', () => {
    const template = marketplace().opennebula_template;
    (template.roles[0] as Role).vm_template = 3;
    expect(checkMarketplace(template).length).toBeGreaterThan(0);
  });

  test('says what the OneFlow JSON says: inputs, networks, roles and their contents', () => {
    const json = service();
    const market = marketplace();
    const template = market.opennebula_template;
    expect(template.user_inputs).toEqual(json.user_inputs);
    expect(template.networks).toEqual(json.networks);
    expect(template.deployment).toBe(json.deployment);
    expect(template.ready_status_gate).toBe(json.ready_status_gate);
    expect(template.description).toBe(json.description);
    expect(template.roles.map((r) => r.name)).toEqual(json.roles.map((r) => r.name));
    for (const [index, role] of template.roles.entries()) {
      const twin = json.roles[index] as Role;
      for (const key of ['cardinality', 'min_vms', 'max_vms', 'parents', 'cooldown', 'elasticity_policies', 'scheduled_policies']) {
        expect(role[key], `${role.name}.${key}`).toEqual(twin[key]);
      }
      expect(roleContents(role), role.name).toEqual(roleContents(twin));
    }
    expect(Object.keys(market.roles).sort()).toEqual(json.roles.map((r) => r.name).sort());
  });
});
