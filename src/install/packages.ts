// OS packages of the image. Every role boots the same image, so it carries what any role needs.

import type { Host } from '../host/host.ts';
import type { Logger } from '../log/logger.ts';

/** Each package, and why the image needs it. curl, jq and ca-certificates come with the base step. */
export const OS_PACKAGES: readonly { readonly name: string; readonly why: string }[] = [
  { name: 'keepalived', why: 'VNF: VRRP holds the VIPs' },
  { name: 'haproxy', why: 'VNF: forwards 9345, 6443, 443 and 80 to the nodes' },
  { name: 'nftables', why: 'VNF: NAT and forwarding for the private network (nft)' },
  { name: 'unbound', why: 'VNF: DNS for the private network and the cluster zone (ep0.eth0.vr)' },
  { name: 'xfsprogs', why: 'storage: mkfs.xfs for ONEAPP_STORAGE_FILESYSTEM=xfs, the default' },
  { name: 'open-iscsi', why: 'Longhorn: iscsiadm/iscsid on every node that attaches a volume' },
  { name: 'nfs-common', why: 'Longhorn: RWX volumes and NFS backup targets need the NFSv4 client' },
  { name: 'skopeo', why: "air-gapped image: copies the add-on images by digest into RKE2's images folder" },
  { name: 'zstd', why: 'air-gapped image: compresses those image archives (RKE2 imports .tar.zst)' },
];

/** Services that packages enable, which the agent starts by hand on the VMs that need them (contract section 6). */
export const SERVICES_STARTED_BY_THE_AGENT = ['keepalived.service', 'haproxy.service', 'unbound.service'] as const;

const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const APT_TIMEOUT_MS = 30 * 60_000;
const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'l' };

/**
 * `apt-get update` and `apt-get install` of OS_PACKAGES (argv, never a shell line), with services
 * kept from starting during the install (policy-rc.d), then keepalived, HAProxy and unbound disabled: they
 * run only where the agent starts them.
 */
export async function installPackages(host: Host, logger: Logger): Promise<void> {
  const names = OS_PACKAGES.map((p) => p.name);
  logger.info({ packages: names }, `installing OS packages: ${names.join(' ')}`);
  await host.run('apt-get', ['update', '-q'], { env: APT_ENV, timeoutMs: APT_TIMEOUT_MS });

  const earlierPolicy = await host.readFile(POLICY_RC_D);
  await host.writeFile(POLICY_RC_D, '#!/bin/sh\n# oneke install: no service starts while packages are installed.\nexit 101\n', 0o755);
  try {
    await host.run('apt-get', ['install', '-y', '-q', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...names], {
      env: APT_ENV,
      timeoutMs: APT_TIMEOUT_MS,
    });
  } finally {
    if (earlierPolicy === undefined) await host.remove(POLICY_RC_D);
    else await host.writeFile(POLICY_RC_D, earlierPolicy, 0o755);
  }
  for (const unit of SERVICES_STARTED_BY_THE_AGENT) await host.systemctl('disable', unit);
}
