import { runEmulatorCommand } from '../../emulator/index.ts';
import type { Output } from '../program.ts';

/** `oneke dev onegate`: serves a OneGate emulator until interrupted. */
export async function devOnegateCommand(output: Output, opts: { state: string; listen: string }): Promise<void> {
  const server = await runEmulatorCommand({ stateFile: opts.state, listen: opts.listen });
  output.out(`OneGate emulator listening on ${server.url} (state ${opts.state}); Ctrl-C stops it\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
