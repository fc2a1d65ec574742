// The timeline pictures: which VM did what when, from an in-process formation (waits, RKE2 start
// and join, READY, every poll) or from the end-to-end harness's timeline (boot, publishes, READY).

import type { E2eFormation } from './e2e/measure.ts';
import type { FormationResult } from './lib/formation.ts';
import { ROLES, shapeText } from './lib/service-state.ts';
import { timelineChart, type TimelineRow } from './svg.ts';

export function formationTimelineSvg(result: FormationResult): string {
  const runs = [...result.runs].sort((a, b) => ROLES.indexOf(a.vm.role) - ROLES.indexOf(b.vm.role) || a.vm.id - b.vm.id);
  const firstMaster = runs.filter((r) => r.vm.role === 'master' && r.ready !== undefined).sort((a, b) => (a.ready ?? 0) - (b.ready ?? 0))[0];
  const rows: TimelineRow[] = runs.map((run) => {
    const label = `${run.vm.role} ${run.vm.id}`;
    if (run.vm.role === 'vnf') {
      const changes = result.events.filter((e) => e.vm === run.vm.id && e.kind === 'haproxy-changed' && e.t <= result.seconds).map((e) => ({ t: e.t, kind: 'haproxy' }));
      return { label, segments: [{ from: 0, to: result.seconds, kind: 'vnf' }], marks: [...run.polls.map((t) => ({ t, kind: 'poll' })), ...changes] };
    }
    const start = run.rke2Start ?? result.seconds;
    const running = run.rke2Running ?? start;
    const ready = run.ready ?? running;
    const initialises = run === runs.find((r) => r.vm.role === 'master');
    return {
      label,
      segments: [
        { from: 0, to: start, kind: 'waiting' },
        { from: start, to: running, kind: initialises ? 'initialise' : 'join' },
        { from: running, to: ready, kind: 'finish' },
      ],
      marks: [...run.polls.map((t) => ({ t, kind: 'poll' })), { t: ready, kind: 'ready' }],
    };
  });
  return timelineChart({
    title: `HA formation (${shapeText(result.shape)}), in process, ${result.factor === 1 ? 'real time' : `clock ×${result.factor}`}`,
    subtitle: `stand-in RKE2: initialise ${result.times.initialise} s, server join ${result.times.joinServer} s, agent join ${result.times.joinAgent} s; ticks are OneGate polls`,
    rows,
    kinds: {
      vnf: { color: '#cfe3cf', label: 'VNF READY, following the service' },
      waiting: { color: '#e6e6e6', label: 'waiting (polling OneGate)' },
      initialise: { color: '#9467bd', label: 'RKE2 initialises' },
      join: { color: '#1f77b4', label: 'RKE2 joins' },
      finish: { color: '#ff9f4a', label: 'publish, wait for the API' },
      poll: { color: '#777777', label: 'poll' },
      ready: { color: '#2ca02c', label: 'READY' },
      haproxy: { color: '#d62728', label: 'HAProxy reloaded' },
    },
    ...(firstMaster?.ready !== undefined ? { lines: [{ t: firstMaster.ready, label: `master ${firstMaster.vm.id} READY`, color: '#2ca02c' }] } : {}),
    xLabel: 'seconds since the masters, workers and storage nodes booted',
  });
}

export function e2eTimelineSvg(formation: E2eFormation): string {
  // The formation only: the failover rounds that follow it are in their own table.
  const formed = formation.timeline.find((e) => e.vm === undefined && e.what === 'every VM is READY')?.t ?? Number.POSITIVE_INFINITY;
  const byVm = new Map<number, { role: string; events: E2eFormation['timeline'] }>();
  for (const e of formation.timeline.filter((x) => x.t <= formed)) {
    if (e.vm === undefined) continue;
    const entry = byVm.get(e.vm) ?? { role: e.role ?? '?', events: [] };
    entry.events.push(e);
    byVm.set(e.vm, entry);
  }
  const rows: TimelineRow[] = [...byVm.entries()]
    .sort(([a, x], [b, y]) => ROLES.indexOf(x.role as never) - ROLES.indexOf(y.role as never) || a - b)
    .map(([id, { role, events }]) => {
      const boot = events.find((e) => e.what === 'booting')?.t ?? events[0]?.t ?? 0;
      const ready = events.find((e) => e.what.startsWith('published READY='))?.t;
      const finished = events.find((e) => e.what.startsWith('boot finished') || e.what.startsWith('boot FAILED'))?.t;
      return {
        label: `${role} ${id}`,
        segments: [{ from: boot, to: ready ?? finished ?? boot, kind: 'boot' }],
        marks: [
          ...events.filter((e) => e.what.startsWith('published ONEGATE_K8S_MASTER')).map((e) => ({ t: e.t, kind: 'master' })),
          ...events.filter((e) => e.what.startsWith('published ONEGATE_HAPROXY_LB')).map((e) => ({ t: e.t, kind: 'backend' })),
          ...(ready !== undefined ? [{ t: ready, kind: 'ready' }] : []),
        ],
      };
    });
  const s = formation.shape;
  return timelineChart({
    title: `HA formation (${s.vnf}/${s.master}/${s.worker}/${s.storage}) end to end: namespaces, real oneke, keepalived, HAProxy`,
    subtitle: 'from the timeline of test/e2e/harness.ts, up to every VM READY; RKE2 is the harness stand-in',
    rows,
    kinds: {
      boot: { color: '#9ecae1', label: 'booting → READY' },
      master: { color: '#9467bd', label: 'published ONEGATE_K8S_MASTER' },
      backend: { color: '#ff7f0e', label: 'published an HAProxy backend' },
      ready: { color: '#2ca02c', label: 'READY' },
    },
    xLabel: 'seconds since the service was created',
  });
}
