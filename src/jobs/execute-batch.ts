// The batch executor: runs one batch (a request spec + its hosts) with bounded concurrency and yields the
// hosts' records as they complete. Local mode and Gearman workers both run it, so it knows nothing of the
// CLI, terminals or processes: input is a spec, hosts and an AbortSignal; output is an async stream.
//
// Guarantees: every target pulled from the input yields exactly one record; the input is pulled only when
// a request slot is free (100,000 hosts never become 100,000 pending requests); records wait in a bounded
// buffer for the consumer. On abort, requests in flight end as `aborted` and hosts not yet started as
// `not_attempted`.
import type { Dispatcher } from 'undici';
import type { LimitFunction } from 'p-limit';
import type { Target } from '../hosts/target.js';
import type { HostResult, ResultCode } from '../record/host-result.js';
import { classifyError, OutcomeError } from '../http/classify-error.js';
import { DeadlineQueue } from '../http/deadline-queue.js';
import type { RunningExchange } from '../http/exchange.js';
import { startFollowingRedirects } from '../http/follow-redirects.js';
import { isRetryable, retryDelayMs } from '../http/retry-policy.js';
import { prepareSpec } from './prepared-spec.js';
import type { RequestSpec } from './request-spec.js';
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

export async function* executeBatch(
  spec: RequestSpec,
  targets: AsyncIterable<Target> | Iterable<Target>,
  options: BatchOptions,
): AsyncGenerator<HostResult[]> {
  const prepared = prepareSpec(spec);
  const deadlines = new DeadlineQueue(spec.timeoutMs);
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const limit = options.limit;
  const acquire = limit ? (start: Start): void => void limit(() => new Promise<void>(start)) : immediately;
  const inFlight = new Set<RunningExchange>();
  /** Retries waiting for their delay, each with what to do if the run stops first. */
  const retryTimers = new Map<NodeJS.Timeout, () => void>();
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
    for (const [timer, settle] of retryTimers) {
      clearTimeout(timer);
      settle();
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

  const context = (target: Target, url: string, attempts: number, started: number): HostContext => ({
    host: target.host,
    url,
    method: spec.method,
    attempts,
    durationMs: attempts === 0 ? 0 : performance.now() - started,
    worker: options.worker,
  });

  const finish = (result: HostResult): void => {
    options.hostsInFlight?.delete(result.host);
    active--;
    ready.push(result);
    wake();
  };

  const settleWithout = (target: Target, url: string, attempts: number, started: number, code: ResultCode, error: string): void =>
    finish(resultWithoutResponse(context(target, url, attempts, started), code, error));

  /** `previous`: the failure a retry follows, which stays the host's record if the retry never starts. */
  const attempt = (target: Target, url: string, attemptNo: number, started: number, previous: HostResult | null): void => {
    acquire((release) => {
      if (draining()) {
        release();
        if (previous !== null) finish(previous);
        else settleWithout(target, url, 0, started, 'not_attempted', notStartedReason());
        return;
      }
      let request;
      try {
        request = prepared.exchangeFor(target, url);
      } catch (err) {
        release();
        settleWithout(target, url, attemptNo - 1, started, 'invalid_target', classifyError(err).message);
        return;
      }
      let exchange: RunningExchange | null = null;
      const deadline = deadlines.add(() =>
        exchange?.abort(new OutcomeError('timeout', `no complete response within ${spec.timeoutMs} ms`)),
      );
      exchange = startFollowingRedirects(options.dispatcher, request, prepared.redirects, (outcome) => {
        release();
        deadlines.remove(deadline);
        if (exchange) inFlight.delete(exchange);
        const result = resultFromOutcome(context(target, url, attemptNo, started), outcome, prepared.isExpected);
        if (!result.ok && attemptNo <= spec.retries && isRetryable(result.code) && !draining()) {
          const timer = setTimeout(() => {
            retryTimers.delete(timer);
            attempt(target, url, attemptNo + 1, started, result);
          }, retryDelayMs(attemptNo));
          retryTimers.set(timer, () => finish(result));
          return;
        }
        finish(result);
      });
      inFlight.add(exchange);
    });
  };

  const startHost = (target: Target): void => {
    options.hostsInFlight?.add(target.host);
    active++;
    const started = performance.now();
    const { url, error } = prepared.urlOrHost(target);
    if (error !== null) settleWithout(target, url, 0, started, 'invalid_target', error);
    else if (draining()) settleWithout(target, url, 0, started, 'not_attempted', notStartedReason());
    else attempt(target, url, 1, started, null);
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
