// The demo: boots a simulated OneKE service (1 VNF, 1 master, 2 workers, 1 storage) on this machine,
// every VM a systemd-nspawn container with a real systemd and the real dist/oneke installed by the
// image build's scripts, shows progress while it forms, prints the VMs and the timeline, and tears
// everything down. Run it with `npm run demo` as root.

import { SimulatedService } from '../test/e2e/harness.ts';

if (process.getuid?.() !== 0) {
  console.error('demo: run it as root: it builds a root file system, network namespaces and bridges, and boots containers');
  process.exit(2);
}

const started = Date.now();
console.log('demo: a OneKE service of 1 VNF, 1 master, 2 workers and 1 storage node, every VM a container with real systemd');
console.log('demo: real oneke, systemd, keepalived, HAProxy; OneGate is an emulator, RKE2 and one-context are stand-ins (see README)\n');
const service = await SimulatedService.create({ shape: { vnf: 1, master: 1, worker: 2, storage: 1 }, say: (line) => console.log(line) });
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await service.teardown();
  process.exit(code);
};
process.once('SIGINT', () => void stop(130));
process.once('SIGTERM', () => void stop(143));

let code = 0;
try {
  await service.deploy();
  const master = service.ofRole('master')[0];
  const nodes = master ? await service.nodeList(master) : [];
  console.log(`\nThe service formed in ${((Date.now() - started) / 1000).toFixed(1)} s.\n\n${service.table()}\n`);
  console.log(`Kubernetes nodes (stand-in API on master ${master?.id}): ${nodes.map((n) => `${n.name} ${n.ready === 'True' ? 'Ready' : n.ready}`).join(', ')}`);
  const vnf = service.ofRole('vnf')[0];
  if (vnf) console.log(`HAProxy backends on the VNF: ${(await service.haproxyServers(vnf)).join(', ')}\n`);
  console.log(`Timeline:\n${service.timelineText()}\n`);
} catch (error) {
  code = 1;
  console.error(`\ndemo: the service did not form: ${error instanceof Error ? error.message : String(error)}`);
  console.log(`\n${service.table()}\n\nTimeline:\n${service.timelineText()}`);
} finally {
  console.log('demo: tearing down (containers, overlays, cgroups, namespaces, folders)');
  await stop(code);
}
