import { Command, CommanderError, Option } from 'commander';
import { ExitCode, OnekeError, oneLine } from '../errors.ts';
import { describeFsError, isSystemError } from '../host/fs-errors.ts';
import { safeText } from '../log/safe-text.ts';
import { VERSION } from '../version.ts';
import type { GlobalOptions, Runtime } from './runtime.ts';

// Each command's modules (and their libraries: undici, execa, pino, yaml) load only when that
// command runs: evaluating all of them cost every run about 20 MiB and 0.06 s, `--version` included.

/** Where commands print: stdout for results, stderr for the one-line error. Injectable for tests. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

function buildProgram(output: Output, setExit: (code: number) => void): Command {
  const program = new Command('oneke')
    .description("The agent of OpenNebula's OneKE Kubernetes appliance: reads the VM's context, takes its part in the OneFlow service.")
    .version(VERSION, '-V, --version')
    .option('--context <file>', 'read the context from this file (context.sh or one_env format) instead of /run/one-context')
    .option('--root <dir>', 'take every path the agent reads or writes under this folder', '/')
    .option('--allow-host-changes', 'with a --root other than /: let sysctl, nft, ip, mount and systemctl change this machine even outside a network namespace of its own')
    .addOption(new Option('--log-level <level>', 'console and log file detail').default('info'))
    .showHelpAfterError(false)
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .exitOverride();

  const runtime = async (command: Command): Promise<Runtime> => (await import('./runtime.ts')).createRuntime(command.optsWithGlobals<GlobalOptions>());

  program
    .command('install')
    .description('image build: install OS packages, RKE2, Helm and the add-on charts (run once by Packer)')
    .action(async (_opts, command: Command) => (await import('./commands/lifecycle.ts')).installCommand(await runtime(command)));

  program
    .command('configure')
    .description("every boot: read the context, find this VM's role and converge it")
    .action(async (_opts, command: Command) => (await import('./commands/lifecycle.ts')).configureCommand(await runtime(command)));

  program
    .command('bootstrap')
    .description('after configure: close the run and report READY=YES when REPORT_READY=YES')
    .action(async (_opts, command: Command) => (await import('./commands/lifecycle.ts')).bootstrapCommand(await runtime(command)));

  program
    .command('plan')
    .description('print what configure (or another step) would do now, changing nothing')
    .option('--step <step>', 'the step whose plan to print: configure, bootstrap, vnf-sync, clean or install', 'configure')
    .option('--json', 'print one JSON object with role, decision and actions')
    .option('--show-secrets', 'print tokens and passwords instead of masking them')
    .option('--onegate-snapshot <file>', 'answer OneGate questions from this file (a state file of `oneke dev onegate`)')
    .option('--api-url <url>', 'with --step clean: the Kubernetes API to list the nodes from', 'https://127.0.0.1:6443')
    .action(async (opts: { step?: string; json?: boolean; showSecrets?: boolean; onegateSnapshot?: string; apiUrl?: string }, command: Command) =>
      (await import('./commands/plan.ts')).planCommand(await runtime(command), output, opts),
    );

  program
    .command('status')
    .description('print the appliance status: steps, times, role, last error')
    .option('--json', 'print the status record as JSON')
    .option('--service', 'print every VM of the service from one OneGate request: role, IP, node, READY, status, error, what it waits for')
    .action(async (opts: { json?: boolean; service?: boolean }, command: Command) => {
      const status = await import('./commands/status.ts');
      setExit(await (opts.service ? status.serviceStatusCommand : status.statusCommand)(await runtime(command), output, opts));
    });

  program
    .command('validate')
    .description('check the context: prints OK, or every problem on its own line (exit 2)')
    .action(async (_opts, command: Command) => setExit(await (await import('./commands/validate.ts')).validateCommand(await runtime(command), output)));

  program
    .command('clean')
    .description('masters: delete Kubernetes nodes oneke-ip-* that no VM of the service claims (run by a timer)')
    .option('--dry-run', 'say what would be deleted, delete nothing')
    .option('--api-url <url>', 'the Kubernetes API to use', 'https://127.0.0.1:6443')
    .action(async (opts: { dryRun?: boolean; apiUrl?: string }, command: Command) => setExit(await (await import('./commands/clean.ts')).cleanCommand(await runtime(command), output, opts)));

  program
    .command('vnf')
    .description('VNF tools')
    .command('sync')
    .description("keep HAProxy's backends equal to what the service's VMs publish (a daemon)")
    .option('--once', 'poll once and exit')
    .action(async (opts: { once?: boolean }, command: Command) => (await import('./commands/vnf.ts')).vnfSyncCommand(await runtime(command), opts));

  const dev = program.command('dev').description('tools for appliance developers');
  dev
    .command('onegate')
    .description('run a OneGate emulator that serves a service from a state file')
    .requiredOption('--state <file>', 'YAML or JSON state: `service` and `vms` (see README)')
    .option('--listen <addr>', 'host:port to listen on', '127.0.0.1:5030')
    .action(async (opts: { state: string; listen: string }) => (await import('./commands/dev.ts')).devOnegateCommand(output, opts));

  return program;
}

/** Runs the CLI and returns the exit code. The one place where errors become output. */
export async function runCli(argv: readonly string[], output: Output = processOutput): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(output, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
    }
    // Messages carry outside text (OneGate bodies, peers' values, commands' output): escaped here.
    if (error instanceof OnekeError) {
      for (const line of error.message.split('\n')) output.err(`oneke: ${safeText(line)}\n`);
      if (error.hint) output.err(`oneke: hint: ${safeText(error.hint)}\n`);
      if (error.exitCode === ExitCode.internal && error.stack) output.err(`${safeText(error.stack, { keepLines: true })}\n`);
      return error.exitCode;
    }
    if (isSystemError(error)) {
      // The machine said no (a full or read-only disk, a missing permission): a runtime failure, one line.
      output.err(`oneke: ${safeText(`${describeFsError(error)}: ${oneLine(error)}`)}\n`);
      return ExitCode.failure;
    }
    // Not one of ours: a bug. Show the stack, since nobody can act on one line here.
    output.err(`oneke: internal error: ${safeText(oneLine(error))}\n${error instanceof Error && error.stack ? `${safeText(error.stack, { keepLines: true })}\n` : ''}`);
    return ExitCode.internal;
  }
}
