// The `sim` command line (commander): parses arguments, runs one command, maps errors to exit
// codes (0 ok, 1 check failed, 2 bad input, 3 nondeterminism, 4 internal error).
import { Command, CommanderError } from 'commander';
import { reportError, EXIT, oneLine } from './cli-errors.ts';
import { guardStdout } from './output.ts';
import { packageVersion } from './package-root.ts';
import { runWatched } from './run-watchdog.ts';
// Commands load when they run: `sim run` hands its work to a worker thread, so the main thread
// stays light (commander and the watchdog), and no command pays for the others' modules.
import { DEFAULT_SEED_TIMEOUT_MS, SLOWEST_RUN_MULTIPLE } from './watchdog.ts';

/** Builds the program; `setExitCode` receives each command's exit code. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name('sim')
    .description('A deterministic distributed-systems simulator: run microservice scenarios under latency, partitions and crashes.')
    .addHelpText('after', '\nScenario files are code: sim imports them and they run with your rights (sim list imports every file it lists). Run only files you trust.\nExit codes: 0 all checks hold, 1 a check failed, 2 bad usage or input, 3 nondeterminism, 4 internal error, 130/143 a sweep interrupted by SIGINT/SIGTERM (partial results written; --resume continues).')
    .version(packageVersion(), '-V, --version', 'print the version of dsim')
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
    .argument('<scenario>', 'scenario file (.ts) or model file (.yaml, .yml, .json)')
    .option('--seed <n>', 'seed (a whole number); a random one is chosen and printed when absent')
    .option('--variant <name>', 'run only this variant')
    .option('--json', 'print exactly one JSON object on stdout')
    .option('--check-determinism', 'run the seed twice and name the first trace event that differs (exit 3)')
    .option('--report <dir>', 'write <dir>/report.html and <dir>/result.json')
    .option('--trace <file>', 'write a Chrome trace (open it in Perfetto)')
    .option('--otlp <file>', 'write the spans as OTLP JSON (import it into Jaeger)')
    .option('--swarm', "draw the scenario's options from the seed, as sim sweep --swarm does")
    .option('--replay <file>', 'rerun a replay file written by sim shrink, exactly (it fixes seed, variant and plan)')
    .option('--seed-timeout <seconds>', `wall-clock limit of one variant run; past it the run is stopped and fails as liveness (default ${DEFAULT_SEED_TIMEOUT_MS / 1000}; 0: none, and the run stays in the main thread)`)
    .option('--max-heap-mb <n>', 'heap limit of the run; past it the run is stopped and fails as resource (default: half the memory, at most 4096)')
    .action(async (file: string, options) => setExitCode(await runWatched(file, options)));

  program
    .command('sweep')
    .description('run a range of seeds (every variant) on worker threads: a CI gate on the checks, with a replay line per failing seed')
    .argument('<scenario>', 'scenario file (.ts) or model file (.yaml, .yml, .json)')
    .option('--seeds <A..B>', 'the seeds to run, inclusive (example: 1..1000)')
    .option('--workers <n>', 'worker threads (default: the number of cores)')
    .option('--shard <I/N>', 'run only shard I of N (every N-th seed), e.g. one CI matrix job; default from JOB_COMPLETION_INDEX')
    .option('--shard-count <n>', 'shard count for a Kubernetes Indexed Job (with JOB_COMPLETION_INDEX; or set SIM_SHARD_COUNT)')
    .option('--variant <name>', 'run only this variant')
    .option('--swarm', "each seed draws its own values for the scenario's options")
    .option('--json', 'print exactly one JSON object on stdout')
    .option('--junit <file>', 'write JUnit XML: one testcase per seed and variant')
    .option('--out <file>', 'write the result JSON (for sim merge and --resume); checkpointed while the sweep runs, and the partial results on Ctrl-C or SIGTERM')
    .option('--checkpoint-every <seconds>', 'with --out: write the finished seeds at least this often, so a killed sweep resumes from there (default 10)')
    .option('--resume <file>', 'continue an interrupted sweep from its partial results')
    .option('--shrink', 'shrink the first failing seed of each failing check and write replay files')
    .option('--shrink-limit <n>', 'most failures --shrink shrinks (default 3)')
    .option('--replay-dir <dir>', 'folder for the replay files of --shrink (default: .dsim/replays)')
    .option('--seed-timeout <seconds>', `wall-clock limit of one variant run of a seed; past it the seed fails as liveness and the sweep goes on (default ${DEFAULT_SEED_TIMEOUT_MS / 1000}, or ${SLOWEST_RUN_MULTIPLE}x the slowest run so far if longer; 0: none)`)
    .option('--max-heap-mb <n>', 'heap limit of each worker; past it the seed fails as resource and the worker is replaced (default: half the memory shared by the workers, at most 4096)')
    .action(async (file: string, options) => setExitCode(await (await import('./commands/sweep.ts')).sweepCommand(file, options)));

  program
    .command('shrink')
    .description("shrink a failing seed's faults, workload and run length while the same check fails; writes a replay file")
    .argument('<scenario>', 'scenario file (.ts) or model file (.yaml, .yml, .json)')
    .option('--seed <n>', 'the failing seed')
    .option('--variant <name>', 'shrink this variant (default: the first that fails)')
    .option('--check <name>', 'keep this check failing (default: the first failure)')
    .option('--swarm', 'the seed failed in a sweep with --swarm')
    .option('--out <file>', 'replay file to write (default: .dsim/replays/<scenario>.seed<N>.<variant>.replay.json)')
    .option('--max-runs <n>', 'most candidate runs (default 300)')
    .option('--json', 'print exactly one JSON object on stdout')
    .option('--seed-timeout <seconds>', `wall-clock limit of one candidate run; past it the shrink stops and the run fails as liveness (default ${DEFAULT_SEED_TIMEOUT_MS / 1000}; 0: none)`)
    .option('--max-heap-mb <n>', 'heap limit of the shrink; past it the run fails as resource (default: half the memory, at most 4096)')
    .action(async (file: string, options) => setExitCode(await runWatched(file, options, 'shrink')));

  program
    .command('merge')
    .description('combine the result files of a sharded sweep into one summary')
    .argument('<files...>', 'result files written by sim sweep --out')
    .option('--json', 'print exactly one JSON object on stdout')
    .option('--out <file>', 'write the merged result JSON')
    .option('--junit <file>', 'write JUnit XML for the merged sweep')
    .option('--allow-partial', 'merge even when the files overlap or leave seeds of their ranges uncovered (warns instead of refusing)')
    .action(async (files: string[], options) => setExitCode(await (await import('./commands/merge.ts')).mergeCommand(files, options)));

  program
    .command('init')
    .description('write a starter into a project: a scenario, a vitest test over seeds, a CI workflow (never overwrites a file)')
    .argument('[dir]', 'the project folder', '.')
    .action(async (dir: string) => setExitCode(await (await import('./commands/init.ts')).initCommand(dir)));

  program
    .command('list')
    .description('list the scenario files in a folder (it imports each one: scenario files are code)')
    .argument('[dir]', 'folder of scenario files', 'scenarios')
    .action(async (dir: string) => setExitCode(await (await import('./commands/list.ts')).listCommand(dir)));

  program
    .command('compare')
    .description('run every variant on a range of seeds: each headline figure as a mean with its interval, and each variant minus the baseline, paired by seed, with a verdict')
    .argument('<scenario>', 'scenario file (.ts) or model file (.yaml, .yml, .json)')
    .option('--seeds <A..B>', 'the seeds to run, at least 2 (example: 1..30); with --precision, the most to run')
    .option('--workers <n>', 'worker threads (default: the number of cores)')
    .option('--baseline <variant>', 'the variant the others are compared with (default: the first)')
    .option('--confidence <c>', 'confidence of every interval, strictly between 0 and 1 (default 0.95)')
    .option('--precision <p>', 'add seeds in order until every half-width is within p (e.g. 0.05) of its mean, or --seeds runs out')
    .option('--json', 'print exactly one JSON object on stdout')
    .option('--report <dir>', 'write <dir>/compare.html (distributions and paired differences) and <dir>/compare.json')
    .option('--seed <n>', 'not accepted: a comparison needs --seeds (for one seed use sim run --seed N)')
    .action(async (file: string, options) => setExitCode(await (await import('./commands/compare.ts')).compareCommand(file, options)));

  program
    .command('report')
    .description('render the HTML report again from a saved result.json')
    .argument('<result>', 'result file written by sim run --json or --report')
    .option('--html <file>', 'the HTML page to write')
    .action(async (file: string, options) => setExitCode(await (await import('./commands/report.ts')).reportCommand(file, options)));

  program
    .command('model')
    .description('architecture as data: derive a model file (YAML) that sim run accepts')
    .command('from-traces')
    .description('derive services, operations, call graph, self times, error rates and arrival rate from an OTLP JSON trace export')
    .argument('<file>', 'OTLP JSON file (sim run --otlp writes one; Jaeger and Tempo export them)')
    .option('--out <file>', 'write the model here and print what was inferred (default: print the model)')
    .action(async (file: string, options) => setExitCode(await (await import('./commands/model.ts')).fromTracesCommand(file, options)));

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

guardStdout();
process.exitCode = await main(process.argv);
