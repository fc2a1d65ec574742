// The official OneKE 1.33 marketplace service, as a user instantiates it: every VM gets the variables
// the marketplace files give its role (test/support/official-template.ts reads them), OneGate sits on
// the public side as a front-end does, and the private VMs reach it only through the VNF. Endpoints
// are the DNS names of the VNF's zone (`ep0.eth0.vr`), FALLBACK_GW and FALLBACK_DNS are the first
// VNF's own ETH1_IP, the VNF skips VRRP on eth0 (ETH0_SKIP=YES) and refreshes HAProxy every 30 s.

import { describe, expect, test } from 'vitest';
import { isRoot, NEEDS_ROOT } from '../support/netns.ts';
import { officialTemplateAvailable, OFFICIAL_TEMPLATE_DIR } from '../support/official-template.ts';
import { expectEventually, expectHealthyCluster } from './checks.ts';
import { PRIVATE_NET, PRIVATE_VIP, PUBLIC_VIP, SimulatedService, type SimOptions, type SimVm } from './harness.ts';

/** The official template refreshes HAProxy's backends every 30 s: checks of them wait that long and more. */
const SLOW_SYNC_MS = 120_000;

if (!officialTemplateAvailable()) {
  // CI has the shared reference beside the clone; anywhere else the files must be pointed at.
  throw new Error(`the official OneKE 1.33 marketplace files are not in ${OFFICIAL_TEMPLATE_DIR}: set ONEKE_OFFICIAL_TEMPLATE_DIR`);
}

async function scenario(name: string, options: SimOptions, body: (service: SimulatedService) => Promise<void>): Promise<void> {
  const service = await SimulatedService.create(options);
  try {
    await body(service);
  } finally {
    console.log(`\n=== ${name}: timeline ===\n${service.timelineText()}\n\n${service.table()}\n`);
    await service.teardown();
  }
}

/** Every Kubernetes VM resolves the control-plane endpoint's name through the VNF's DNS, to `address`. */
async function expectEndpointResolves(service: SimulatedService, address: string): Promise<void> {
  for (const vm of [...service.vms.values()].filter((v) => v.role !== 'vnf')) {
    const answer = await service.exec(vm, 'getent', ['hosts', 'ep0.eth0.vr']);
    expect(`${answer.exitCode} ${answer.stdout.trim().split(/\s+/)[0] ?? ''}`, `getent hosts ep0.eth0.vr on ${vm.role} ${vm.id}`).toBe(`0 ${address}`);
  }
}

async function expectKubectlFromOutside(service: SimulatedService): Promise<void> {
  const master = service.ofRole('master')[0] as SimVm;
  const kubectl = await service.kubectlGetNodes(master);
  expect(kubectl.exitCode, kubectl.output).toBe(0);
  for (const vm of [...service.vms.values()].filter((v) => v.role !== 'vnf')) {
    expect(kubectl.output).toMatch(new RegExp(`^oneke-ip-${vm.ip.replaceAll('.', '-')}\\s+Ready`, 'm'));
  }
}

describe.skipIf(!isRoot())(`the official OneKE 1.33 service (${isRoot() ? 'marketplace defaults' : NEEDS_ROOT})`, () => {
  test('with only the user inputs’ defaults: one VNF, no VIPs, one master, one worker', async () => {
    await scenario('official defaults', { shape: { vnf: 1, master: 1, worker: 1, storage: 0 }, official: {} }, async (service) => {
      await service.deploy();
      await expectHealthyCluster(service, SLOW_SYNC_MS);
      // No VIPs: ep0.eth0 is the VNF's own public address.
      const vnf = service.ofRole('vnf')[0] as SimVm;
      await expectEndpointResolves(service, vnf.publicIp as string);
      // The nodes' route and resolver are the VNF's ETH1_IP, set by oneke (the private network has no gateway).
      for (const vm of [...service.vms.values()].filter((v) => v.role !== 'vnf')) {
        const route = await service.exec(vm, 'ip', ['-4', 'route', 'show', 'default']);
        expect(route.stdout, `default route of ${vm.role} ${vm.id}`).toContain(`via ${vnf.ip}`);
      }
      await expectKubectlFromOutside(service);
    });
  }, 900_000);

  test('with VIPs, two VNFs and a port forward: kill -9 of the VIP holder moves both VIPs', async () => {
    const options: SimOptions = {
      shape: { vnf: 2, master: 1, worker: 1, storage: 0 },
      official: {
        inputs: { ONEAPP_VROUTER_ETH0_VIP0: PUBLIC_VIP, ONEAPP_VROUTER_ETH1_VIP0: PRIVATE_VIP },
        // What an operator adds to the VNF role: the public VIP's port 16443 to the master's API (the
        // master is the third VM made, after the two VNFs: its address is known before it exists).
        vnf: { ONEAPP_VNF_NAT4_PORT_FWD0: `<ETH0_EP0>:16443:${PRIVATE_NET}.12:6443` },
      },
    };
    await scenario('official with VIPs', options, async (service) => {
      await service.deploy();
      await expectHealthyCluster(service, SLOW_SYNC_MS);
      await expectEndpointResolves(service, PUBLIC_VIP);
      await expectKubectlFromOutside(service);
      const master = service.ofRole('master')[0] as SimVm;
      expect(master.ip).toBe(`${PRIVATE_NET}.12`);
      const forwarded = async () => (await service.outside('bash', ['-c', `exec 3<>/dev/tcp/${PUBLIC_VIP}/16443 && echo open`])).stdout.trim();
      await expectEventually(forwarded, 'open', `port 16443 of the public VIP forwarded to ${master.ip}:6443`);

      // A power cut of the VNF that holds the VIPs: every process killed at once, its NICs gone.
      const holder = await service.vipHolder();
      expect(holder).toBeDefined();
      await service.powerCut(holder as SimVm);
      const other = service.ofRole('vnf').find((vm) => vm.id !== holder?.id) as SimVm;
      // eth0 has no VRRP of its own (ETH0_SKIP=YES): its VIP moves with the instance of eth1.
      await expectEventually(async () => (await service.net.ipv4Addresses(other.ns, 'eth0').catch((): string[] => [])).includes(PUBLIC_VIP), true, 'the public VIP on the other VNF', 60_000);
      await expectEventually(async () => (await service.net.ipv4Addresses(other.ns, 'eth1').catch((): string[] => [])).includes(PRIVATE_VIP), true, 'the private VIP on the other VNF', 60_000);
      // Through the new holder: the names, the API from outside, the port forward.
      await expectEndpointResolves(service, PUBLIC_VIP);
      await expectKubectlFromOutside(service);
      await expectEventually(forwarded, 'open', 'the port forward through the new holder');
    });
  }, 900_000);
});
