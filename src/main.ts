// Entry of the `oneke` binary. The exit code is set here and nowhere else.
import { runCli } from './cli/program.ts';
import { onFirstStopSignal, STOP_GRACE_MS, stopSignalReceived } from './host/signals.ts';

// A step stopped by SIGTERM/SIGINT records its failure, then the process ends even though the
// interrupted work still has timers or sockets open; if recording hangs, the grace period ends it.
onFirstStopSignal((signal) => {
  setTimeout(() => {
    process.stderr.write(`oneke: stopped by signal (${signal}); the failure could not be recorded within ${STOP_GRACE_MS / 1000} s\n`);
    process.exit(1);
  }, STOP_GRACE_MS).unref();
});

runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
    if (stopSignalReceived() !== undefined) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`oneke: internal error: ${String(error)}\n`);
    process.exitCode = 70;
  },
);
