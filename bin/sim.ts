// The `sim` command line (commander): parses arguments, runs one command, maps errors to exit
// codes (0 ok, 1 check failed, 2 bad input, 3 nondeterminism, 4 internal error).
import { Command, CommanderError } from 'commander';
import { reportError, EXIT, oneLine } from './cli-errors.ts';
import { runCommand } from './commands/run.ts';
import { listCommand } from './commands/list.ts';
import { compareCommand } from './commands/compare.ts';
import { reportCommand } from './commands/report.ts';

/** Builds the program; `setExitCode` receives each command's exit code. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name('sim')
    .description('A deterministic distributed-systems simulator: run microservice scenarios under latency, partitions and crashes.')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeErr: (text) => {
        // Commander's own errors ("unknown option…"): one line, with the way out.
        if (text.startsWith('error:')) process.stderr.write(`sim: ${oneLine(text.replace(/^error:\s*/, ''))} (see sim --help)\n`);
        else process.stderr.write(text);
      },
    });

  program
    .command('run')
    .description('run a scenario on one seed: every variant side by side (or one with --variant)')
    .argument('<scenario>', 'scenario file (.ts)')
    .option('--seed <n>', 'seed (a whole number); a random one is chosen and printed when absent')
    .option('--variant <name>', 'run only this variant')
    .option('--json', 'print exactly one JSON object on stdout')
    .option('--check-determinism', 'run the seed twice and name the first trace event that differs (exit 3)')
    .option('--report <dir>', 'write <dir>/report.html and <dir>/result.json')
    .option('--trace <file>', 'write a Chrome trace (open it in Perfetto)')
    .option('--otlp <file>', 'write the spans as OTLP JSON (import it into Jaeger)')
    .action(async (file: string, options) => setExitCode(await runCommand(file, options)));

  program
    .command('list')
    .description('list the scenario files in a folder')
    .argument('[dir]', 'folder of scenario files', 'scenarios')
    .action(async (dir: string) => setExitCode(await listCommand(dir)));

  program
    .command('compare')
    .description('run every variant on one seed and say which does best on each headline figure')
    .argument('<scenario>', 'scenario file (.ts)')
    .option('--seed <n>', 'seed (a whole number); a random one is chosen and printed when absent')
    .option('--json', 'print exactly one JSON object on stdout')
    .action(async (file: string, options) => setExitCode(await compareCommand(file, options)));

  program
    .command('report')
    .description('render the HTML report again from a saved result.json')
    .argument('<result>', 'result file written by sim run --json or --report')
    .option('--html <file>', 'the HTML page to write')
    .action(async (file: string, options) => setExitCode(await reportCommand(file, options)));

  return program;
}

/** Runs the CLI with `argv` and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      return EXIT.badInput;
    }
    return reportError(error);
  }
}

process.exitCode = await main(process.argv);
