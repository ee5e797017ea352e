// The runner: one pull/push run from a RunConfig to an exit code. Plans the targets (validating every
// entry before anything is sent), picks the backend, and feeds each record to the sinks, the summary and
// the progress bar. Every exit path except a usage error leaves one record per input host.
import fs from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { planTargets, type TargetPlan } from '../hosts/host-source.js';
import { HostInputError } from '../hosts/host-input-error.js';
import { UrlTemplateError } from '../hosts/url-template.js';
import { ExpectParseError } from '../http/expect-status.js';
import type { Resolver } from '../http/resolver.js';
import { prepareSpec } from '../jobs/prepared-spec.js';
import { createNdjsonSink, createTextFailureSink, type RecordSink } from '../report/record-sink.js';
import { createProgress, shouldShowProgress } from '../report/progress.js';
import { renderSummary } from '../report/render-summary.js';
import { createSummaryBuilder, type Summary } from '../report/summary.js';
import { UsageError } from '../cli/usage-error.js';
import type { Backend } from './backend.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { createLocalBackend } from './local-backend.js';
import { openOutputFile, OutputOpenError } from './open-output.js';
import type { RunConfig } from './run-config.js';
import { dryRun } from './dry-run.js';

export interface TerminalStream extends Writable {
  isTTY?: boolean;
}

export interface RunIo {
  stdout: TerminalStream;
  stderr: TerminalStream;
  env: NodeJS.ProcessEnv;
  /** Registers the handler of the first interrupt (Ctrl-C, SIGTERM); returns its removal. */
  onInterrupt: (handler: () => void) => () => void;
  resolver?: Resolver | undefined;
  /** Gearman mode's backend, injected by the command so local runs never load it. */
  createGearmanBackend?: ((config: RunConfig) => Backend) | undefined;
}

const USAGE_ERRORS = [UsageError, HostInputError, UrlTemplateError, ExpectParseError];

function say(io: RunIo, message: string): void {
  io.stderr.write(`fanout: ${message}\n`);
}

/** Runs a pull or push; never throws for bad input or failing hosts, only returns the exit code. */
export async function runFanout(config: RunConfig, io: RunIo): Promise<ExitCode> {
  let plan: TargetPlan;
  if (config.gearman !== null && !io.createGearmanBackend) {
    say(io, '--gearman: gearman mode is not available in this build');
    return EXIT.usage;
  }
  try {
    prepareSpec(config.spec); // checks the URL template and --expect before any host is read
    plan = await planTargets(config.sources);
  } catch (err) {
    if (USAGE_ERRORS.some((type) => err instanceof type)) {
      say(io, (err as Error).message);
      return EXIT.usage;
    }
    throw err;
  }
  try {
    if (config.dryRun) return await dryRun(config, plan, io.stdout, wantsText(config, io));
    return await execute(config, plan, io);
  } finally {
    await plan.close();
  }
}

function wantsText(config: RunConfig, io: RunIo): boolean {
  return config.format === 'text' || (config.format === 'auto' && config.outputFile === null && io.stdout.isTTY === true);
}

async function execute(config: RunConfig, plan: TargetPlan, io: RunIo): Promise<ExitCode> {
  let output: Writable = io.stdout;
  if (config.outputFile !== null) {
    try {
      output = await openOutputFile(config.outputFile);
    } catch (err) {
      if (!(err instanceof OutputOpenError)) throw err;
      say(io, err.message);
      return EXIT.runFailure;
    }
  }
  const stop = new AbortController();
  let readerLeft = false;
  const showProgress = !config.quiet && shouldShowProgress({ flag: config.progress, isTTY: io.stderr.isTTY === true, term: io.env.TERM });
  const progress = createProgress({ total: plan.total, stream: io.stderr, enabled: showProgress });
  const sinkOptions = {
    end: config.outputFile !== null,
    beforeFlush: () => progress.clear(),
    onReaderClosed: () => {
      readerLeft = true;
      stop.abort();
    },
  };
  const sink: RecordSink = wantsText(config, io) ? createTextFailureSink(output, sinkOptions) : createNdjsonSink(output, sinkOptions);
  const summary = createSummaryBuilder({ startedAt: Date.now(), duplicates: plan.duplicates });
  const removeInterrupt = io.onInterrupt(() => {
    say(io, 'interrupted: finishing with a record for every host (Ctrl-C again to quit at once)');
    stop.abort();
  });
  const backend = chooseBackend(config, io);
  let sinkError: Error | null = null;
  try {
    for await (const chunk of backend.run(config.spec, plan, { concurrency: config.concurrency, signal: stop.signal })) {
      for (const result of chunk) {
        summary.add(result);
        if (sinkError !== null) continue;
        try {
          const wait = sink.write(result);
          if (wait) await wait;
        } catch (err) {
          sinkError = err as Error;
          stop.abort(); // records can no longer be delivered: stop sending, finish the accounting
        }
      }
      progress.update(summary.counts());
    }
    await sink.close().catch((err: unknown) => {
      sinkError ??= err as Error;
    });
  } finally {
    removeInterrupt();
    progress.stop();
    await backend.close();
  }
  const interrupted = stop.signal.aborted && sinkError === null;
  const final = summary.finish(Date.now(), { interrupted });
  if (readerLeft && !config.quiet) say(io, 'stdout was closed by its reader: the run stopped early');
  if (!config.quiet) io.stderr.write(renderSummary(final));
  const failures: string[] = [];
  if (sinkError !== null) failures.push(sinkError.message);
  if (backend.runFailure !== null) failures.push(backend.runFailure);
  if (config.summaryFile !== null) {
    const written = await writeSummary(config.summaryFile, final);
    if (written !== null) failures.push(written);
  }
  for (const failure of failures) say(io, failure);
  if (failures.length > 0) return EXIT.runFailure;
  if (interrupted) return EXIT.interrupted;
  return final.failed > 0 ? EXIT.someFailed : EXIT.ok;
}

function chooseBackend(config: RunConfig, io: RunIo): Backend {
  if (config.gearman !== null && io.createGearmanBackend) return io.createGearmanBackend(config);
  return createLocalBackend({ resolver: io.resolver });
}

async function writeSummary(path: string, summary: Summary): Promise<string | null> {
  try {
    await fs.writeFile(path, `${JSON.stringify(summary, null, 2)}\n`);
    return null;
  } catch (err) {
    return `cannot write --summary ${path}: ${(err as Error).message}`;
  }
}
