import { lookup } from 'node:dns/promises';

// Name lookups through the VM's own resolver (getaddrinfo: /etc/hosts, then the nameservers of
// /etc/resolv.conf, which a node points at the VNF's DNS before it uses any endpoint name).

/** The first IPv4 address of `name`, or undefined when it does not resolve within `timeoutMs`. Never throws. */
export async function resolveIpv4(name: string, timeoutMs = 5_000): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([
      lookup(name, { family: 4 }).then(
        (answer) => answer.address,
        () => undefined,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
