// The batch executor: runs one batch (a request spec + its hosts) with bounded concurrency and yields the
// hosts' records as they complete. Local mode and Gearman workers both run it, so it knows nothing of the
// CLI, terminals or processes: input is a spec, hosts and an AbortSignal; output is an async stream.
//
// Guarantees: every target pulled from the input yields exactly one record; the input is pulled only when
// a request slot is free (100,000 hosts never become 100,000 pending requests); records wait in a bounded
// buffer for the consumer. On abort, requests in flight end as `aborted` and hosts not yet started as
// `not_attempted`.
//
// Retries (http/retry-policy.ts decides which failures may be sent again, and the wait): a retried host keeps one
// record, the last attempt's, with `attempts` = requests started. Every host has a deadline (hostDeadlineMs),
// counted from its first request, that no attempt and no back-off outlives: an attempt the deadline would cut is
// given the time left (and ends `timeout` naming the deadline), and a back-off that would end past it is not
// waited: the host ends at once with the failure it had, its message saying the deadline left no time for
// another attempt (better than waiting for nothing, or a record that hides why the retries stopped).
import type { Dispatcher } from 'undici';
import type { LimitFunction } from 'p-limit';
import type { Target } from '../hosts/target.js';
import type { HostResult, ResultCode } from '../record/host-result.js';
import { classifyError, OutcomeError } from '../http/classify-error.js';
import { DeadlineQueue } from '../http/deadline-queue.js';
import type { RunningExchange } from '../http/exchange.js';
import { startFollowingRedirects } from '../http/follow-redirects.js';
import { decideRetry, retryWaitMs, type RetrySafety } from '../http/retry-policy.js';
import { prepareSpec } from './prepared-spec.js';
import { hostDeadlineMs, type RequestSpec } from './request-spec.js';
import { resultFromOutcome, resultWithoutResponse, type HostContext } from './to-host-result.js';

export interface BatchOptions {
  /** Requests in flight for this batch at most. */
  concurrency: number;
  dispatcher: Dispatcher;
  signal?: AbortSignal | undefined;
  /** Stops starting hosts: those in flight finish normally, the rest end `not_attempted`. */
  drain?: AbortSignal | undefined;
  /** A cap shared by several batches running at once (a worker's own --concurrency). */
  limit?: LimitFunction | undefined;
  /** Tags each record (gearman mode: which worker did it). */
  worker?: string | undefined;
  /** Kept up to date with the hosts started and not yet recorded: what the progress line names at the end of a run. */
  hostsInFlight?: Set<string> | undefined;
}

/** Records ready but not yet taken by the consumer, beyond which the input is not pulled. */
const BUFFERED_RECORDS_MAX = 4096;

/** The error of a host a drain kept from starting (the runner's summary says why the run stopped starting hosts). */
const DRAINED = 'the run stopped starting hosts before this one';

type Start = (release: () => void) => void;
const immediately = (start: Start): void => start(() => undefined);

/** One host on its way to its record, carried from attempt to attempt. */
interface HostRun {
  readonly target: Target;
  readonly url: string;
  /** performance.now() when the host was started: its record's durationMs counts from here. */
  readonly started: number;
  /** performance.now() that no attempt outlives and no back-off ends after; set when its first request starts. */
  deadlineAt: number;
  /** Requests started. */
  attempts: number;
  /** The failure a retry follows, which stays the host's record if the retry never starts. */
  previous: HostResult | null;
}

export async function* executeBatch(
  spec: RequestSpec,
  targets: AsyncIterable<Target> | Iterable<Target>,
  options: BatchOptions,
): AsyncGenerator<HostResult[]> {
  const prepared = prepareSpec(spec);
  const deadlines = new DeadlineQueue(spec.timeoutMs);
  const hostDeadline = hostDeadlineMs(spec);
  const safety: RetrySafety = {
    method: spec.method,
    idempotencyKey: prepared.carriesIdempotencyKey,
    retryUnsafe: spec.retryUnsafe,
  };
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const limit = options.limit;
  const acquire = limit ? (start: Start): void => void limit(() => new Promise<void>(start)) : immediately;
  const inFlight = new Set<RunningExchange>();
  /** Retries waiting for their delay, each with the record it ends with if the run stops first. */
  const retryTimers = new Map<NodeJS.Timeout, HostResult>();
  let consumerGone = false;

  let ready: HostResult[] = [];
  let active = 0;
  let inputDone = false;
  /** What the target stream threw (HostInputError: a file that cannot be read), rethrown to the consumer. */
  const input: { error: Error | null } = { error: null };
  let wakeConsumer: (() => void) | null = null;
  let wakeProducer: (() => void) | null = null;
  const wake = (): void => {
    const c = wakeConsumer;
    const p = wakeProducer;
    wakeConsumer = wakeProducer = null;
    c?.();
    p?.();
  };
  /** A retry waiting for its delay is a request not started yet: a drain or a stop ends it with the failure it had. */
  const settleWaitingRetries = (): void => {
    for (const [timer, previous] of retryTimers) {
      clearTimeout(timer);
      finish(previous);
    }
    retryTimers.clear();
  };
  const draining = (): boolean => options.drain?.aborted === true || stop.signal.aborted;
  const notStartedReason = (): string => (stop.signal.aborted ? 'interrupted before the request started' : DRAINED);
  const onDrain = (): void => {
    settleWaitingRetries();
    wake();
  };
  options.drain?.addEventListener('abort', onDrain, { once: true });
  stop.signal.addEventListener('abort', () => {
    settleWaitingRetries();
    const reason = new OutcomeError('aborted', 'interrupted while in flight');
    for (const exchange of inFlight) exchange.abort(reason);
    wake();
  });

  const context = (run: HostRun): HostContext => ({
    host: run.target.host,
    url: run.url,
    method: spec.method,
    attempts: run.attempts,
    durationMs: run.attempts === 0 ? 0 : performance.now() - run.started,
    worker: options.worker,
  });

  const finish = (result: HostResult): void => {
    options.hostsInFlight?.delete(result.host);
    active--;
    ready.push(result);
    wake();
  };

  const settleWithout = (run: HostRun, code: ResultCode, error: string): void => finish(resultWithoutResponse(context(run), code, error));

  const noTimeLeft = (result: HostResult): HostResult => ({
    ...result,
    error: `${result.error}; not retried: the host's deadline (${hostDeadline} ms) leaves no time for another attempt`,
  });

  const attempt = (run: HostRun): void => {
    acquire((release) => {
      const previous = run.previous;
      if (draining()) {
        release();
        if (previous !== null) finish(previous);
        else settleWithout(run, 'not_attempted', notStartedReason());
        return;
      }
      const now = performance.now();
      // The first attempt has the whole deadline, exactly: (now + d) - now can come out a hair under d.
      let timeLeft = hostDeadline;
      if (run.attempts === 0) run.deadlineAt = now + hostDeadline;
      else timeLeft = run.deadlineAt - now;
      if (timeLeft <= 0 && previous !== null) {
        // The wait for a request slot (a worker's limit shared with other jobs) ate the time left.
        release();
        finish(noTimeLeft(previous));
        return;
      }
      let request;
      try {
        request = prepared.exchangeFor(run.target, run.url);
      } catch (err) {
        release();
        settleWithout(run, 'invalid_target', classifyError(err).message);
        return;
      }
      run.attempts++;
      const cut = timeLeft < spec.timeoutMs;
      let exchange: RunningExchange | null = null;
      const deadline = deadlines.add(
        () =>
          exchange?.abort(
            cut
              ? new OutcomeError('timeout', `no complete response before the host's deadline (${hostDeadline} ms, attempt ${run.attempts})`)
              : new OutcomeError('timeout', `no complete response within ${spec.timeoutMs} ms`),
          ),
        cut ? timeLeft : spec.timeoutMs,
      );
      exchange = startFollowingRedirects(options.dispatcher, request, prepared.redirects, (outcome) => {
        release();
        deadlines.remove(deadline);
        if (exchange) inFlight.delete(exchange);
        const result = resultFromOutcome(context(run), outcome, prepared.isExpected);
        if (result.ok || run.attempts > spec.retries || draining() || !decideRetry(result.code, result.status, safety).retry) {
          finish(result);
          return;
        }
        const wait = retryWaitMs(run.attempts, outcome, spec, Date.now());
        if (performance.now() + wait >= run.deadlineAt) {
          // An attempt the deadline cut short already says so.
          finish(cut && result.code === 'timeout' ? result : noTimeLeft(result));
          return;
        }
        run.previous = result;
        const timer = setTimeout(() => {
          retryTimers.delete(timer);
          attempt(run);
        }, wait);
        retryTimers.set(timer, result);
      });
      inFlight.add(exchange);
    });
  };

  const startHost = (target: Target): void => {
    options.hostsInFlight?.add(target.host);
    active++;
    const { url, error } = prepared.urlOrHost(target);
    const run: HostRun = { target, url, started: performance.now(), deadlineAt: Infinity, attempts: 0, previous: null };
    if (error !== null) settleWithout(run, 'invalid_target', error);
    else if (draining()) settleWithout(run, 'not_attempted', notStartedReason());
    else attempt(run);
  };

  const hasRoom = (): boolean => consumerGone || (ready.length < BUFFERED_RECORDS_MAX && (draining() || active < options.concurrency));

  const produce = async (): Promise<void> => {
    try {
      for await (const target of targets) {
        if (consumerGone) break;
        startHost(target);
        while (!hasRoom()) await new Promise<void>((resolve) => (wakeProducer = resolve));
      }
    } catch (err) {
      input.error = err instanceof Error ? err : new Error(`target stream failed: ${JSON.stringify(err)}`);
    } finally {
      inputDone = true;
      wake();
    }
  };

  const producing = produce();
  try {
    for (;;) {
      if (ready.length > 0) {
        const out = ready;
        ready = [];
        wake();
        yield out;
        continue;
      }
      if (inputDone && active === 0) break;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
    if (input.error !== null) throw input.error;
  } finally {
    // The consumer may leave early (stdout closed): end whatever is still running.
    consumerGone = true;
    stop.abort();
    options.signal?.removeEventListener('abort', onOuterAbort);
    options.drain?.removeEventListener('abort', onDrain);
    deadlines.clear();
    void producing; // it stops at its next target; a stalled input (stdin) must not hold the consumer
  }
}
