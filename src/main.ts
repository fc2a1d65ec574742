// Entry of the `oneke` binary. The exit code is set here and nowhere else.
import { runCli } from './cli/program.ts';

runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`oneke: internal error: ${String(error)}\n`);
    process.exitCode = 70;
  },
);
