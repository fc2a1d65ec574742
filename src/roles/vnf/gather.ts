import { resolvConfNameservers } from './dns.ts';
import type { VnfLocal } from './plan.ts';
import type { GatherEnv } from '../role.ts';

// Looks at the VNF before it decides: interfaces that are down, the nameservers it had. Reads only.

/** Interfaces that exist but are down (`ip -j link`): a NIC that carries only a VIP must be brought up. */
async function downInterfaces(run: (file: string, args: string[]) => Promise<{ exitCode: number; stdout: string }>): Promise<string[]> {
  const result = await run('ip', ['-j', 'link', 'show']).catch(() => undefined);
  if (result?.exitCode !== 0) return [];
  try {
    const links = JSON.parse(result.stdout) as { ifname?: string; flags?: string[] }[];
    return links.filter((l) => l.ifname && l.ifname !== 'lo' && !(l.flags ?? []).includes('UP')).map((l) => l.ifname as string);
  } catch {
    return [];
  }
}

/** What the VNF looks at on the VM. */
export async function gatherVnf(env: GatherEnv): Promise<VnfLocal> {
  return {
    downInterfaces: await downInterfaces((file, args) => env.host.exec(file, args)),
    resolvConf: resolvConfNameservers((await env.host.readFile('/etc/resolv.conf').catch(() => undefined)) ?? ''),
  };
}
