// OneGate cost: requests per poll and per complete cluster formation for services of 4, 10, 50 and
// 250 VMs, counted by the emulator, beside what the reference agent's 1 + N requests per poll would
// cost for the same waits.

import { defaultToken, startEmulator } from '../src/emulator/index.ts';
import { createLogger, SecretSet } from '../src/log/logger.ts';
import { createOneGateClient } from '../src/onegate/client.ts';
import { syncOnce } from '../src/steps/vnf-sync.ts';
import { observeCluster, waitBackoff } from '../src/steps/converge.ts';
import { configFrom } from '../test/support/cluster.ts';
import { scratch, type BenchContext } from './lib/context.ts';
import { RecordingHost, runFormation, type FormationResult, type StandInTimes } from './lib/formation.ts';
import { markdownTable, type Figure, type Section } from './lib/report.ts';
import { serviceState, SHAPES, shapeSize, shapeText, vnfContext, type Shape } from './lib/service-state.ts';
import { summarize } from './lib/stats.ts';

/** The stand-in RKE2's times in the counted formations (seconds of the formation's clock). */
export const STAND_IN: StandInTimes = { initialise: 30, joinServer: 20, joinAgent: 10 };
/** The reference agent: a waiting node looks every 5 s; a VNF refreshes its backends every 30 s. */
const REF_NODE_POLL_S = 5;
const REF_VNF_POLL_S = 30;

export interface PollCost {
  size: number;
  shape: Shape;
  /** Requests one look at the service took (observeCluster on a worker; syncOnce on a VNF). */
  workerPoll: number;
  vnfPoll: number;
  /** Bytes of our one answer, and of the reference's 1 + N answers. */
  bytesOurs: number;
  bytesReference: number;
  /** Milliseconds of one poll, request and parse, in this process. */
  pollMs: number[];
}

export interface FormationCost {
  size: number;
  shape: Shape;
  runs: FormationResult[];
  ours: number[];
  reference: number[];
  /** The same, split: the Kubernetes VMs, and the VNFs. */
  oursSplit: Split[];
  referenceSplit: Split[];
}

export interface Split {
  nodes: number;
  vnfs: number;
}

export interface OneGateCost {
  section: Section;
  polls: PollCost[];
  formations: FormationCost[];
}

async function pollCost(ctx: BenchContext, shape: Shape): Promise<PollCost> {
  const { state, vms } = serviceState(shape, { formed: true });
  const emulator = await startEmulator({ state });
  const worker = vms.find((vm) => vm.role === 'worker') ?? vms[vms.length - 1];
  const vnf = vms.find((vm) => vm.role === 'vnf');
  if (!worker || !vnf) throw new Error(`shape ${shapeText(shape)} has no worker or no VNF`);
  const client = createOneGateClient({ endpoint: emulator.url, vmId: worker.id, token: defaultToken(10, worker.id) });
  const vnfClient = createOneGateClient({ endpoint: emulator.url, vmId: vnf.id, token: defaultToken(10, vnf.id) });
  try {
    const counted = async (f: () => Promise<unknown>) => {
      const before = emulator.stats().total;
      await f();
      return emulator.stats().total - before;
    };
    await observeCluster(client, worker.id); // a first connection, not counted
    const workerPoll = await counted(() => observeCluster(client, worker.id));
    const logger = createLogger({ level: 'silent', secrets: new SecretSet() });
    const deps = { host: new RecordingHost(scratch(ctx, 'poll')), logger, config: configFrom(vnfContext(vnf, emulator.url, defaultToken(10, vnf.id))), client: vnfClient };
    const vnfPoll = await counted(() => syncOnce(deps));
    const pollMs: number[] = [];
    for (let i = 0; i < ctx.pick(30, 5); i++) {
      const start = performance.now();
      await observeCluster(client, worker.id);
      pollMs.push(performance.now() - start);
    }

    // Sizes of what goes over the wire: our one answer, the reference's service + one GET per VM.
    const get = async (p: string) => {
      const res = await fetch(`${emulator.url}${p}`, { headers: { 'X-ONEGATE-TOKEN': defaultToken(10, worker.id), 'X-ONEGATE-VMID': String(worker.id) } });
      return Buffer.byteLength(await res.text());
    };
    const bytesOurs = await get('/service?extended=true');
    let bytesReference = await get('/service');
    for (const vm of vms) bytesReference += await get(vm.id === worker.id ? '/vm' : `/vms/${vm.id}`);
    return { size: vms.length, shape, workerPoll, vnfPoll, bytesOurs, bytesReference, pollMs };
  } finally {
    await client.close();
    await vnfClient.close();
    await emulator.close();
  }
}

/** Requests of the reference agent for the waits of a formation (see the model in the section). */
export function referenceCost(result: FormationResult): Split {
  const perPoll = 1 + result.size;
  const split = { nodes: 0, vnfs: 0 };
  for (const run of result.runs) {
    if (run.vm.role === 'vnf') split.vnfs += perPoll * (1 + Math.floor(result.seconds / REF_VNF_POLL_S));
    else split.nodes += perPoll * (1 + Math.floor((run.waitedSeconds ?? 0) / REF_NODE_POLL_S));
  }
  return split;
}

/** Our requests during the formation: every request of the Kubernetes VMs, the VNFs' polls until the last READY. */
export function oursCost(result: FormationResult): Split {
  const split = { nodes: 0, vnfs: 0 };
  for (const run of result.runs) {
    if (run.vm.role === 'vnf') split.vnfs += run.polls.length;
    else split.nodes += run.requests;
  }
  return split;
}

const total = (s: Split): number => s.nodes + s.vnfs;

/** Speed of the formation's clock: as fast as the emulator keeps up without delaying polls (250 VMs in real time). */
const factorFor = (size: number): number => (size <= 10 ? 10 : size <= 50 ? 5 : 1);

export async function measureOneGateCost(ctx: BenchContext, onProgress: (line: string) => void = () => {}): Promise<OneGateCost> {
  const shapes = SHAPES;
  const polls: PollCost[] = [];
  for (const shape of shapes) polls.push(await pollCost(ctx, shape));

  const formations: FormationCost[] = [];
  for (const shape of shapes) {
    const size = shapeSize(shape);
    const repeats = size >= 250 ? 1 : size >= 50 ? ctx.pick(2, 1) : ctx.pick(3, 1);
    const cost: FormationCost = { size, shape, runs: [], ours: [], reference: [], oursSplit: [], referenceSplit: [] };
    for (let i = 0; i < repeats; i++) {
      const result = await runFormation({ shape, factor: ctx.quick && size >= 250 ? 2 : factorFor(size), times: STAND_IN, dir: scratch(ctx, `formation-${size}`) });
      cost.runs.push(result);
      const [ours, reference] = [oursCost(result), referenceCost(result)];
      cost.oursSplit.push(ours);
      cost.referenceSplit.push(reference);
      cost.ours.push(total(ours));
      cost.reference.push(total(reference));
      onProgress(`formation of ${size} VMs: ${result.seconds.toFixed(0)} s, ${total(ours)} requests (reference model ${total(reference)})`);
    }
    formations.push(cost);
  }

  // Counts: a median of two runs is shown rounded.
  const med = (xs: number[]) => Math.round(summarize(xs).median);
  const span = (xs: number[]) => (xs.length > 1 ? ` (${Math.min(...xs)}–${Math.max(...xs)}, n=${xs.length})` : ' (n=1)');
  const pollTable = markdownTable(
    ['service (vnf/master/worker/storage)', 'VMs (N)', 'ours: requests per poll (worker / VNF)', 'reference: 1 + N', 'bytes per poll: ours / reference', 'one poll here (request + parse), median'],
    polls.map((p) => [
      shapeText(p.shape),
      String(p.size),
      `${p.workerPoll} / ${p.vnfPoll}`,
      String(1 + p.size),
      `${(p.bytesOurs / 1024).toFixed(1)} KiB / ${(p.bytesReference / 1024).toFixed(1)} KiB`,
      `${summarize(p.pollMs).median.toFixed(1)} ms`,
    ]),
  );
  const split = (xs: Split[]) => `${med(xs.map((x) => x.nodes))} + ${med(xs.map((x) => x.vnfs))}`;
  const formationTable = markdownTable(
    [
      'VMs',
      'formation (its own clock)',
      'clock speed-up',
      'our longest pause',
      'ours: requests, median (min–max)',
      'ours: Kubernetes VMs + VNFs',
      'requests of all VMs by route: service polls / GET /vm / PUT (first run)',
      'reference model',
      'reference: Kubernetes VMs + VNFs',
      'reference ÷ ours',
    ],
    formations.map((f) => {
      const first = f.runs[0];
      const r = first?.stats.requests;
      return [
        String(f.size),
        `${med(f.runs.map((x) => x.seconds)).toFixed(0)} s`,
        `×${first?.factor ?? '?'}`,
        `${waitBackoff(f.size).maxMs / 1000} s`,
        `${med(f.ours)}${span(f.ours)}`,
        split(f.oursSplit),
        r ? `${r['GET /service?extended']} / ${r['GET /vm']} / ${r['PUT /vm']}` : '',
        `${med(f.reference)}${span(f.reference)}`,
        split(f.referenceSplit),
        `${(med(f.reference) / med(f.ours)).toFixed(1)}`,
      ];
    }),
  );

  const figures: Figure[] = [];
  const pollsAllOne = polls.every((p) => p.workerPoll === 1 && p.vnfPoll === 1);
  figures.push({
    name: 'OneGate requests per poll (4, 10, 50, 250 VMs)',
    value: `${polls.map((p) => `${p.workerPoll}`).join(', ')} (reference: ${polls.map((p) => 1 + p.size).join(', ')})`,
    target: '1',
    met: pollsAllOne,
  });
  figures.push({
    name: 'OneGate requests per formation (4, 10, 50, 250 VMs)',
    value: `${formations.map((f) => med(f.ours)).join(', ')} (reference model: ${formations.map((f) => med(f.reference)).join(', ')})`,
  });

  // Where ours is the larger figure, say which part and why.
  const larger = formations.filter((f) => med(f.ours) > med(f.reference));
  const largerNote = larger
    .map((f) => {
      const o = { nodes: med(f.oursSplit.map((x) => x.nodes)), vnfs: med(f.oursSplit.map((x) => x.vnfs)) };
      const r = { nodes: med(f.referenceSplit.map((x) => x.nodes)), vnfs: med(f.referenceSplit.map((x) => x.vnfs)) };
      const reasons = [
        ...(o.nodes > r.nodes
          ? [`its waiting VMs pause at most ${waitBackoff(f.size).maxMs / 1000} s between polls where the reference waits ${REF_NODE_POLL_S} s (${o.nodes} requests against ${r.nodes})`]
          : []),
        ...(o.vnfs > r.vnfs ? [`its VNFs follow the service every 3 s where the reference refreshed every ${REF_VNF_POLL_S} s (${o.vnfs} against ${r.vnfs})`] : []),
      ];
      return `For ${f.size} VMs ours is the larger figure, by ${med(f.ours) - med(f.reference)} requests (${((med(f.ours) / med(f.reference) - 1) * 100).toFixed(0)} %): ${reasons.join('; and ')}; at N = ${f.size} one reference poll costs only ${1 + f.size} requests. `;
    })
    .join('');
  const markdown = [
    "**Per poll.** One look at the service is one `GET /service?extended=true`, by construction; measured here by the emulator's counter around one " +
      '`observeCluster` of a worker and one `syncOnce` of a VNF, on services where every VM has published what a formed cluster publishes. ' +
      'The reference agent asks `GET /service` and then `GET /vms/<id>` for each of the N VMs: 1 + N requests per poll.',
    '',
    pollTable,
    '',
    '**Per formation.** Complete formations in this process (bench/lib/formation.ts, the pattern of ' +
      'test/integration/kubernetes/join-order.test.ts): the OneGate emulator; every master, worker and storage VM a simulated host running the real ' +
      '`convergeRole` and then reporting READY; every VNF READY from the start (OneFlow deploys the other roles only then) and running the real ' +
      'HAProxy sync loop (`runSync`, 3 s, `haproxy -c` for real). RKE2 is a stand-in that takes ' +
      `${STAND_IN.initialise} s to initialise, ${STAND_IN.joinServer} s for a server to join and ${STAND_IN.joinAgent} s for an agent. ` +
      "The formation's clock runs faster than real time where the emulator keeps up (×10 up to 10 VMs, ×5 for 50, real time for 250); every wait " +
      'of the agent and of the stand-in is on that clock, and times are given on it. A waiting VM pauses between polls with exponential backoff and ' +
      'jitter up to a ceiling that grows with the service (`waitBackoff` in src/steps/converge.ts; the column "our longest pause"). Ours counts every request of the Kubernetes VMs ' +
      "(their first `GET /vm`, every poll, every publish and READY) and the VNFs' polls until the last VM is READY.",
    '',
    `The reference model, for the same formation: each master, worker and storage VM polls with 1 + N requests when it starts and then every ${REF_NODE_POLL_S} s ` +
      `until the moment ours stopped waiting (its last poll), i.e. (1 + N) × (1 + ⌊W / ${REF_NODE_POLL_S} s⌋) for a wait W; each VNF refreshes with 1 + N requests ` +
      `at the start and every ${REF_VNF_POLL_S} s for the whole formation. Its publishes and READY are not counted, which favours the reference. ` +
      'The model also assumes a poll costs no time; in the reference each OneGate request is a Ruby process of about 0.2 s ' +
      '(reference/node-sea-notes.md), so one poll of a 250-VM service takes about 50 s and the real reference would poll less often ' +
      '(fewer requests, and it would notice a READY master up to a minute late).',
    '',
    formationTable,
    '',
    `${largerNote}The picture: [requests against service size](requests.svg).`,
    '',
    '![requests against service size](requests.svg)',
  ].join('\n');

  return { section: { title: 'OneGate requests', figures, markdown }, polls, formations };
}
