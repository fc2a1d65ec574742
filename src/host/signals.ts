// SIGTERM and SIGINT during a lifecycle step: the step records its failure (status file, OneGate)
// within a short grace period instead of dying with `<step>_started` left behind. Only `main`
// exits: it asks `stopSignalReceived()` once the CLI has returned, and a fallback timer of
// STOP_GRACE_MS ends a run whose recording hangs.

export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** How long a stopped run may take to record its failure before main exits anyway. */
export const STOP_GRACE_MS = 8_000;

let received: StopSignal | undefined;
const firstSignalListeners = new Set<(signal: StopSignal) => void>();

/** The stop signal this process received while a step watched for one, if any. */
export function stopSignalReceived(): StopSignal | undefined {
  return received;
}

/** Calls `listener` on the first stop signal a watch sees (main's fallback timer). */
export function onFirstStopSignal(listener: (signal: StopSignal) => void): void {
  firstSignalListeners.add(listener);
}

export interface StopWatch {
  /** Settles with the signal when one arrives; never rejects. */
  readonly stopped: Promise<StopSignal>;
  /** Puts the default handling back (the process dies on the next signal). */
  dispose(): void;
}

/** Catches SIGTERM and SIGINT until disposed; while it watches, a signal no longer kills the process. */
export function watchStopSignals(): StopWatch {
  let resolve: (signal: StopSignal) => void = () => undefined;
  const stopped = new Promise<StopSignal>((r) => {
    resolve = r;
  });
  const handler = (signal: StopSignal): void => {
    if (received === undefined) {
      received = signal;
      for (const listener of firstSignalListeners) listener(signal);
    }
    resolve(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return {
    stopped,
    dispose: () => {
      for (const signal of STOP_SIGNALS) process.off(signal, handler);
    },
  };
}
