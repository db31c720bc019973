// The thread that runs `sim run` under the watchdog (bin/run-watchdog.ts): the whole command runs
// here, printing as it would in the main thread, and tells the parent which variant run is in
// progress, so a run that never returns can be stopped and named.
import { guardStdout } from './output.ts';
import { parentPort, workerData } from 'node:worker_threads';
import { runCommand, type RunCommandOptions } from './commands/run.ts';
import type { ShrinkCommandOptions } from './commands/shrink.ts';

/** The commands that run under the watchdog. */
export type WatchedCommand = 'run' | 'shrink';
import { EXIT, InternalRunError, UsageError, reportError } from './cli-errors.ts';
import { ConfigError, NondeterminismError } from '../sim/engine/errors.ts';
import { replayCommand } from './replay-command.ts';
import { replayFileCommand } from './replay-file.ts';
import { watchVariantStarts, type VariantStart } from '../sim/harness/run-progress.ts';
import { RejectionTrap, escapedMessage } from './rejection-trap.ts';

/** What the parent gives the thread. */
export interface RunWorkerData {
  file: string;
  /** The command run in this thread: `sim run` or `sim shrink` (whose candidate runs are watched too). */
  command: WatchedCommand;
  options: RunCommandOptions & ShrinkCommandOptions;
  /** The parent's terminal, which this thread's output reaches (a thread's own streams are pipes). */
  terminal: { stdoutIsTTY: boolean; stderrIsTTY: boolean; columns: number | undefined };
}

/** A variant run that starts, with the command that replays it (the parent loads no replay code). */
export interface WatchedStart extends VariantStart {
  replay: string;
}

/** Thread → parent: a variant run starts, or the command ended with an exit code. */
export type RunWorkerMessage = ({ type: 'variant' } & WatchedStart) | { type: 'done'; exitCode: number };

/** The command that replays one variant run of this command. */
function replayLine(file: string, options: RunWorkerData['options'], start: VariantStart): string {
  return options.replay !== undefined ? replayFileCommand(file, options.replay) : replayCommand(file, start.seed, start.variant, options.swarm ? ['--swarm'] : []);
}

/**
 * An exception that is no input error and escaped a variant run is dsim's own bug: it is reported
 * (exit 4) with the run's seed, variant and replay line. Other errors are returned as they are.
 */
export function placed(error: unknown, run: WatchedStart | undefined): unknown {
  const known = error instanceof UsageError || error instanceof ConfigError || error instanceof NondeterminismError;
  return !known && run ? new InternalRunError(error, run) : error;
}

/** Runs the command in this thread (no watchdog), still naming the seed of an internal error. */
export async function runUnwatched(file: string, command: WatchedCommand, options: RunWorkerData['options']): Promise<number> {
  let last: WatchedStart | undefined;
  watchVariantStarts((start) => (last = { ...start, replay: replayLine(file, options, start) }));
  try {
    return command === 'shrink' ? await (await import('./commands/shrink.ts')).shrinkCommand(file, options) : await runCommand(file, options);
  } catch (error) {
    throw placed(error, last);
  }
}

async function serve(port: NonNullable<typeof parentPort>, data: RunWorkerData): Promise<void> {
  // Colour and table width follow the terminal the output ends up on.
  Object.assign(process.stdout, { isTTY: data.terminal.stdoutIsTTY, columns: data.terminal.columns });
  Object.assign(process.stderr, { isTTY: data.terminal.stderrIsTTY });
  // This thread writes the run's report: control characters are stripped here too.
  guardStdout();
  const { file, options } = data;
  const replayOf = (start: VariantStart): string => replayLine(file, options, start);
  let last: WatchedStart | undefined;
  watchVariantStarts((start) => {
    last = { ...start, replay: replayOf(start) };
    port.postMessage({ type: 'variant', ...last } satisfies RunWorkerMessage);
  });
  const trap = new RejectionTrap();
  let exitCode: number;
  try {
    exitCode = data.command === 'shrink' ? await (await import('./commands/shrink.ts')).shrinkCommand(file, options) : await runCommand(file, options);
  } catch (error) {
    exitCode = reportError(placed(error, last));
  }
  if (exitCode === EXIT.internal) {
    port.postMessage({ type: 'done', exitCode } satisfies RunWorkerMessage);
    return;
  }
  const escaped = await trap.take();
  if (escaped && last) {
    // The run's report is printed already: the escaped rejection fails it after the fact.
    const message = escapedMessage(escaped.reason);
    if (!options.json) process.stdout.write(`✗ ${last.scenario} seed=${last.seed} variant=${last.variant}: crash 'uncaught-error': ${message}\nreplay: ${last.replay}\n`);
    process.stderr.write(`sim: seed ${last.seed}, variant ${last.variant}: ${message}\n`);
    exitCode = Math.max(exitCode, 1);
  }
  port.postMessage({ type: 'done', exitCode } satisfies RunWorkerMessage);
}

if (parentPort) await serve(parentPort, workerData as RunWorkerData);
