import { resolvConfNameservers } from './dns.ts';
import { planVnf, type VnfLocal } from './plan.ts';
import type { RoleModule } from '../role.ts';

/** Interfaces that exist but are down (`ip -j link`): a NIC that carries only a VIP must be brought up. */
async function downInterfaces(run: (file: string, args: string[]) => Promise<{ exitCode: number; stdout: string }>): Promise<string[]> {
  const result = await run('ip', ['-j', 'link', 'show']).catch(() => undefined);
  if (!result || result.exitCode !== 0) return [];
  try {
    const links = JSON.parse(result.stdout) as { ifname?: string; flags?: string[] }[];
    return links.filter((l) => l.ifname && l.ifname !== 'lo' && !(l.flags ?? []).includes('UP')).map((l) => l.ifname as string);
  } catch {
    return [];
  }
}

/** The load balancer and router of the cluster: keepalived, HAProxy, nftables. */
export const vnf: RoleModule<VnfLocal> = {
  name: 'vnf',
  gather: async (env) => ({
    downInterfaces: await downInterfaces((file, args) => env.host.exec(file, args)),
    resolvConf: resolvConfNameservers((await env.host.readFile('/etc/resolv.conf').catch(() => undefined)) ?? ''),
  }),
  plan: (facts) => planVnf(facts),
};
