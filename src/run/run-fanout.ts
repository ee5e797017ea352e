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
import { describeStop, renderSummary } from '../report/render-summary.js';
import { createSummaryBuilder, type FailureStop, type Summary } from '../report/summary.js';
import type { Backend } from './backend.js';
import { describeDryRun, dryRun } from './dry-run.js';
import { judgeFailures } from './failure-threshold.js';
import { openBackend } from './open-backend.js';
import { openOutputFile } from './open-output.js';
import { openResumeOutput, readResumeFile, resumeNotes, skipOkHosts, type ResumedPlan, type ResumeState } from './resume-file.js';
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
 * (HostInputError, UrlTemplateError, ExpectParseError, ResumeFileError) or when --output or the --resume file
 * cannot be opened (OutputOpenError).
 */
export async function runFanout(config: RunConfig, io: RunIo): Promise<RunOutcome | ListingOutcome> {
  const prepared = prepareSpec(config.spec); // checks the URL template and --expect before any host is read
  // Each entry is checked against the template too: a port after an entry's own port would fail every such host.
  const planned = await planTargets(config.sources, { checkEntry: prepared.checkEntry });
  try {
    // Hosts already ok in the --resume file are left out here, before any backend: both modes skip the same.
    const state = config.resumeFile === null ? null : await readResumeFile(config.resumeFile);
    const resumed = state === null ? null : { state, plan: await skipOkHosts(planned, state.okHosts) };
    const plan = resumed?.plan ?? planned;
    if (state !== null && !config.quiet) {
      for (const note of resumeNotes(state, { hosts: planned.total, toRun: plan.total, dryRun: config.dryRun })) say(io, note);
    }
    if (config.dryRun) {
      if (!config.quiet) say(io, describeDryRun(config.spec, plan.total));
      return { kind: 'listing', complete: await dryRun(prepared, plan, io.stdout, wantsText(config, io)) };
    }
    return await execute(config, plan, resumed, io);
  } finally {
    await planned.close();
  }
}

function wantsText(config: RunConfig, io: RunIo): boolean {
  const toStdout = config.outputFile === null && config.resumeFile === null;
  return config.format === 'text' || (config.format === 'auto' && toStdout && io.stdout.isTTY === true);
}

/** What --resume found: the file, and the plan without the hosts it has ok. */
interface Resumed {
  state: ResumeState;
  plan: ResumedPlan;
}

async function openOutput(config: RunConfig, resume: Resumed | null, io: RunIo): Promise<Writable> {
  if (resume !== null) return openResumeOutput(resume.state);
  return config.outputFile === null ? io.stdout : openOutputFile(config.outputFile);
}

async function execute(config: RunConfig, plan: TargetPlan, resume: Resumed | null, io: RunIo): Promise<RunOutcome> {
  const output = await openOutput(config, resume, io);
  const stop = new AbortController();
  /** Aborted once --max-failures is passed: no host starts after it, those in flight finish. */
  const drain = new AbortController();
  let stopped: FailureStop | undefined;
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
    end: output !== io.stdout,
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
  const summary = createSummaryBuilder({
    startedAt: Date.now(),
    duplicates: plan.duplicates,
    runId: config.runId,
    ...(resume === null ? {} : { skipped: resume.plan.skipped }),
  });
  const removeInterrupt = io.onInterrupt(() => {
    say(io, 'interrupted: finishing with a record for every host (Ctrl-C again to quit at once)');
    stop.abort();
  });
  const log = config.quiet ? () => undefined : (line: string) => say(io, line);
  let sinkError: Error | null = null;
  const failures: string[] = [];
  try {
    // Nothing left to run (--resume found every host ok): no backend, no job server to reach.
    if (plan.total > 0) backend = await openBackend(config, plan.total, { resolver: io.resolver, log, gearmanBackoff: io.gearmanBackoff });
    const events = backend?.run(config.spec, plan, { concurrency: config.concurrency, signal: stop.signal, drain: drain.signal }) ?? [];
    for await (const event of events) {
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
        if (config.maxFailures !== null && stopped === undefined) {
          stopped = judgeFailures(config.maxFailures, summary.counts()) ?? undefined;
          if (stopped !== undefined) {
            drain.abort();
            log(`stopping: ${describeStop(stopped)}; no new host starts, the ones in flight finish`);
          }
        }
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
  const final = summary.finish(Date.now(), { interrupted: interrupted || readerGone, stopped });
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
