// The runner: one pull/push run from a RunConfig to a RunOutcome. Plans the targets (validating every entry
// before anything is sent), opens the backend, and feeds each record to the sinks, the summary and the
// progress bar. Bad input throws (nothing was sent); every other way a run can end is an outcome, and leaves
// one record per input host. Which exit code an outcome is, is src/cli's business.
import fs from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { BackoffOptions } from '../gearman/server-pool.js';
import { planTargets, type TargetPlan } from '../hosts/host-source.js';
import type { Resolver } from '../http/resolver.js';
import { prepareSpec } from '../jobs/prepared-spec.js';
import { createNdjsonSink, createTextFailureSink, type RecordSink } from '../report/record-sink.js';
import { createProgress, shouldShowProgress } from '../report/progress.js';
import { renderSummary } from '../report/render-summary.js';
import { createSummaryBuilder, type Summary } from '../report/summary.js';
import type { Backend } from './backend.js';
import { describeDryRun, dryRun } from './dry-run.js';
import { openBackend } from './open-backend.js';
import { openOutputFile } from './open-output.js';
import type { RunConfig } from './run-config.js';
import type { ListingOutcome, RunOutcome } from './run-outcome.js';

export interface TerminalStream extends Writable {
  isTTY?: boolean;
  /** A terminal's width. */
  columns?: number;
}

export interface RunIo {
  stdout: TerminalStream;
  stderr: TerminalStream;
  env: NodeJS.ProcessEnv;
  /** Registers the handler of the first interrupt (Ctrl-C, SIGTERM); returns its removal. */
  onInterrupt: (handler: () => void) => () => void;
  resolver?: Resolver | undefined;
  /** Reconnect back-off to job servers (tests shorten it). */
  gearmanBackoff?: Partial<BackoffOptions> | undefined;
}

function say(io: RunIo, message: string): void {
  io.stderr.write(`fanout: ${message}\n`);
}

/**
 * Runs a pull or push (or lists it, with --dry-run). Throws only for bad input, before anything is sent
 * (HostInputError, UrlTemplateError, ExpectParseError) or when --output cannot be opened (OutputOpenError).
 */
export async function runFanout(config: RunConfig, io: RunIo): Promise<RunOutcome | ListingOutcome> {
  const prepared = prepareSpec(config.spec); // checks the URL template and --expect before any host is read
  // Each entry is checked against the template too: a port after an entry's own port would fail every such host.
  const plan = await planTargets(config.sources, { checkEntry: prepared.checkEntry });
  try {
    if (config.dryRun) {
      if (!config.quiet) say(io, describeDryRun(config.spec, plan.total));
      return { kind: 'listing', complete: await dryRun(prepared, plan, io.stdout, wantsText(config, io)) };
    }
    return await execute(config, plan, io);
  } finally {
    await plan.close();
  }
}

function wantsText(config: RunConfig, io: RunIo): boolean {
  return config.format === 'text' || (config.format === 'auto' && config.outputFile === null && io.stdout.isTTY === true);
}

async function execute(config: RunConfig, plan: TargetPlan, io: RunIo): Promise<RunOutcome> {
  const output: Writable = config.outputFile === null ? io.stdout : await openOutputFile(config.outputFile);
  const stop = new AbortController();
  let readerGone = false;
  const showProgress = !config.quiet && shouldShowProgress({ flag: config.progress, isTTY: io.stderr.isTTY === true, term: io.env.TERM });
  let backend: Backend | null = null;
  const progress = createProgress({
    total: plan.total,
    concurrency: config.concurrency,
    hostsInFlight: () => backend?.hostsInFlight?.() ?? [],
    stream: io.stderr,
    enabled: showProgress,
  });
  const sinkOptions = {
    end: config.outputFile !== null,
    // The bar shares stderr's terminal: only lines written to that same terminal must erase it first. Into a file
    // or a pipe, clearing it before each flush made it vanish within a millisecond of every draw.
    beforeFlush: output === io.stdout && io.stdout.isTTY === true ? () => progress.clear() : () => undefined,
    onReaderClosed: () => {
      readerGone = true;
      stop.abort();
    },
  };
  const sink: RecordSink = wantsText(config, io)
    ? createTextFailureSink(output, { ...sinkOptions, bodies: config.spec.captureBody })
    : createNdjsonSink(output, sinkOptions);
  const summary = createSummaryBuilder({ startedAt: Date.now(), duplicates: plan.duplicates, runId: config.runId });
  const removeInterrupt = io.onInterrupt(() => {
    say(io, 'interrupted: finishing with a record for every host (Ctrl-C again to quit at once)');
    stop.abort();
  });
  const log = config.quiet ? () => undefined : (line: string) => say(io, line);
  let sinkError: Error | null = null;
  const failures: string[] = [];
  try {
    backend = await openBackend(config, plan.total, { resolver: io.resolver, log, gearmanBackoff: io.gearmanBackoff });
    for await (const event of backend.run(config.spec, plan, { concurrency: config.concurrency, signal: stop.signal })) {
      if (event.type === 'failure') {
        failures.push(event.message);
        continue;
      }
      if (event.type === 'dropped') {
        summary.addDropped(event.malformed, event.repeats);
        continue;
      }
      for (const result of event.records) {
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
    await backend?.close();
  }
  const interrupted = stop.signal.aborted && sinkError === null && !readerGone;
  const final = summary.finish(Date.now(), { interrupted: interrupted || readerGone });
  if (readerGone && !config.quiet) say(io, 'stdout was closed by its reader: the run stopped early');
  if (!config.quiet) io.stderr.write(renderSummary(final, { summaryFile: config.summaryFile, width: io.stderr.columns }));
  if (sinkError !== null) failures.unshift(sinkError.message);
  if (config.summaryFile !== null) {
    const written = await writeSummary(config.summaryFile, final);
    if (written !== null) failures.push(written);
  }
  for (const failure of failures) say(io, failure);
  return { kind: 'run', summary: final, failures, interrupted, readerGone };
}

async function writeSummary(path: string, summary: Summary): Promise<string | null> {
  try {
    await fs.writeFile(path, `${JSON.stringify(summary, null, 2)}\n`);
    return null;
  } catch (err) {
    return `cannot write --summary ${path}: ${(err as Error).message}`;
  }
}
