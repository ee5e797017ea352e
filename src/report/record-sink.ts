// Writes result records to a stream, one line each: NDJSON for stdout or --output, or the short failure
// line for a terminal. Owns batching, backpressure and the stream's errors; what a line says is the formatter's.
// A BatchFormatter sees a whole batch before it is written, so the terminal view can show the failures of one
// batch that read the same (2,000 job_lost hosts of a lost job server) as one entry.
//
// - Lines are batched into one write per ~64 KiB or per event-loop turn (setImmediate), so a hot loop of
//   completions costs a string append each, not a syscall each.
// - write() returns a promise only while the stream asked us to wait ('drain'); the caller awaits it before
//   starting more requests. Records that arrive meanwhile (in-flight requests finishing) are buffered here.
// - EPIPE (`fanout pull | head -1`) is the reader leaving, not a failure: the sink drops further records,
//   sets closedByReader and calls onReaderClosed, so the run can stop cleanly. Any other error (disk full on
//   --output) becomes a SinkWriteError, thrown from the next write() or close().

import type { Writable } from 'node:stream';
import type { HostResult } from '../record/host-result.js';
import { DEFAULT_WIDTH, failureKey, renderBodyLine, renderFailureGroup } from './render-summary.js';

/** The line for an item (a record, or a host of `fanout hosts`), without its newline; null writes nothing. */
export type RecordFormatter<T = HostResult> = (item: T) => string | null;

/** Formats a batch at a time: items are added as they come, and the batch's text is taken just before it is written. */
export interface BatchFormatter<T = HostResult> {
  /** Takes an item; returns about how many characters it adds to the batch's text (0 for none). */
  add(item: T): number;
  /** The text of the items added since the last call: lines, each ending with a newline; '' for none. */
  take(): string;
}

export interface RecordSinkOptions {
  /** End the stream on close: true for a file, false for process.stdout, which must stay open. */
  end: boolean;
  /** Called before each batch reaches the stream: e.g. to clear a progress bar sharing the terminal. */
  beforeFlush?: () => void;
  /** Called once when the reader went away (EPIPE). */
  onReaderClosed?: () => void;
  /** Buffered characters that trigger a write without waiting for the end of the event-loop turn. */
  flushAt?: number;
}

export interface TextSinkOptions extends RecordSinkOptions {
  /** Columns to wrap a group's host list to; default the stream's (a terminal's) width, else 80. */
  width?: number | undefined;
  /** --body: an ok host with a body gets a line with an excerpt of it (else ok hosts get none). */
  bodies?: boolean | undefined;
}

const DEFAULT_FLUSH_AT = 64 * 1024;

/** The output could not be written (other than the reader leaving): a run-level failure, exit 3. */
export class SinkWriteError extends Error {
  override readonly name = 'SinkWriteError';
  /** The system error code, e.g. `ENOSPC`, when there is one. */
  readonly code: string | undefined;

  constructor(cause: unknown) {
    super(`cannot write output: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.code = errorCode(cause);
  }
}

export class RecordSink<T = HostResult> {
  readonly #stream: Writable;
  readonly #format: BatchFormatter<T>;
  readonly #options: RecordSinkOptions;
  readonly #flushAt: number;
  /** Characters the formatter holds for the batch (its estimate), on top of #buffer. */
  #held = 0;
  #buffer = '';
  #scheduled: NodeJS.Immediate | null = null;
  /** The stream's write() returned false and 'drain' has not come yet. */
  #blocked = false;
  /** Made only when a caller asks to wait, so a rejection always has someone awaiting it. */
  #drain: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | null = null;
  #error: SinkWriteError | null = null;
  #readerClosed = false;
  #closing: Promise<void> | null = null;

  constructor(stream: Writable, format: RecordFormatter<T> | BatchFormatter<T>, options: RecordSinkOptions) {
    this.#stream = stream;
    this.#format = typeof format === 'function' ? lineByLine(format) : format;
    this.#options = options;
    this.#flushAt = options.flushAt ?? DEFAULT_FLUSH_AT;
    // Never removed: an error after close (a late EPIPE) must still not become an uncaught 'error' event.
    stream.on('error', (error) => this.#fail(error));
    stream.on('drain', () => this.#onDrain());
  }

  /** True once the reader went away; records written since were dropped. */
  get closedByReader(): boolean {
    return this.#readerClosed;
  }

  /** Queues one record. A returned promise means: wait for it before producing more. */
  write(item: T): Promise<void> | undefined {
    if (this.#error !== null) throw this.#error;
    if (this.#closing !== null) throw new Error('RecordSink.write() after close()');
    if (this.#readerClosed) return undefined;
    const added = this.#format.add(item);
    if (added > 0) {
      this.#held += added;
      if (this.#buffer.length + this.#held >= this.#flushAt) this.#flush();
      else this.#scheduled ??= setImmediate(() => this.#flush());
    }
    return this.#blocked ? this.#waitForDrain() : undefined;
  }

  /** Writes what is buffered and, with `end`, ends the stream and waits for 'finish'. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#cancelScheduled();
    if (this.#error !== null) throw this.#error;
    if (this.#readerClosed) return;
    // Past a 'drain' request too: the last batch is small, and waiting for it is what follows anyway.
    const chunk = this.#takeBuffer();
    await new Promise<void>((resolve) => {
      // A failed last write reaches these callbacks possibly before the 'error' event: take it from here too.
      const done = (error?: Error | null): void => {
        if (error) this.#fail(error);
        resolve();
      };
      if (this.#options.end) this.#stream.end(chunk, done);
      else if (chunk !== '') this.#stream.write(chunk, done);
      else if (this.#blocked) this.#waitForDrain().then(resolve, resolve);
      else resolve();
    });
    this.#throwIfFailed();
  }

  /** A method, not an inline check: the callbacks above may have set #error since the first check. */
  #throwIfFailed(): void {
    if (this.#error !== null) throw this.#error;
  }

  #flush(): void {
    this.#cancelScheduled();
    if (this.#blocked || this.#error !== null || this.#readerClosed) return;
    const chunk = this.#takeBuffer();
    if (chunk === '') return;
    try {
      if (!this.#stream.write(chunk)) this.#blocked = true;
    } catch (error) {
      // A synchronous stream (stdout redirected to a file) can throw from write() instead of emitting.
      this.#fail(error);
    }
  }

  #takeBuffer(): string {
    if (this.#held > 0) this.#buffer += this.#format.take();
    this.#held = 0;
    if (this.#buffer !== '') this.#options.beforeFlush?.();
    const chunk = this.#buffer;
    this.#buffer = '';
    return chunk;
  }

  #onDrain(): void {
    this.#blocked = false;
    // What piled up while blocked goes now; only if the stream takes it without asking to wait again are
    // the waiters released.
    if (this.#closing === null) this.#flush();
    if (!this.#blocked) this.#release();
  }

  #fail(reported: unknown): void {
    if (this.#error !== null || this.#readerClosed) return;
    // A write after the stream failed reports only "write after destroyed"; the failure itself (ENOSPC) is
    // in .errored, and it is what the user must see.
    const error = this.#stream.errored ?? reported;
    this.#buffer = '';
    this.#format.take();
    this.#held = 0;
    this.#cancelScheduled();
    if (errorCode(error) === 'EPIPE') {
      this.#readerClosed = true;
      this.#release();
      this.#options.onReaderClosed?.();
      return;
    }
    this.#error = new SinkWriteError(error);
    this.#drain?.reject(this.#error);
    this.#drain = null;
  }

  #waitForDrain(): Promise<void> {
    if (this.#drain === null) {
      let resolve: () => void = () => {};
      let reject: (error: Error) => void = () => {};
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#drain = { promise, resolve, reject };
    }
    return this.#drain.promise;
  }

  #release(): void {
    this.#drain?.resolve();
    this.#drain = null;
  }

  #cancelScheduled(): void {
    if (this.#scheduled === null) return;
    clearImmediate(this.#scheduled);
    this.#scheduled = null;
  }
}

/** One JSON record per line: the NDJSON contract of schema/host-result.schema.json. */
export function createNdjsonSink(stream: Writable, options: RecordSinkOptions): RecordSink {
  return new RecordSink(stream, (result) => JSON.stringify(result), options);
}

/**
 * The terminal view of stdout: a short line per failed or aborted host, nothing for the ok ones nor for hosts
 * never tried (not_attempted: a stopped run's thousands would scroll the failures away; the NDJSON has them).
 * The failures of one batch that read the same (failureKey) are one entry with their count and folded hosts.
 */
export function createTextFailureSink(stream: Writable, options: TextSinkOptions): RecordSink {
  // Read at each batch: a terminal can be resized during a run.
  const width = (): number => {
    const columns = options.width ?? (stream as { columns?: unknown }).columns;
    return typeof columns === 'number' && columns > 0 ? columns : DEFAULT_WIDTH;
  };
  return new RecordSink(stream, failureGroups(width, options.bodies === true), options);
}

/**
 * Holds a batch's failures by failureKey, and with `bodies` its ok hosts' bodies, in order of first appearance,
 * and renders each group once.
 */
function failureGroups(width: () => number, bodies: boolean): BatchFormatter {
  let groups = new Map<string, HostResult[]>();
  /** A failure group, or an ok host with a body: in the order they came. */
  let entries: Array<HostResult[] | HostResult> = [];
  return {
    add(result) {
      if (result.ok) {
        if (!bodies || result.body === undefined) return 0;
        entries.push(result);
        return 200;
      }
      if (result.code === 'not_attempted') return 0;
      const key = failureKey(result);
      const group = groups.get(key);
      if (group !== undefined) {
        // Its host mostly folds into the group's ranges: counted small, so a flush at flushAt does not cut a
        // group of thousands (a lost job server) into pieces.
        group.push(result);
        return 1;
      }
      const created = [result];
      groups.set(key, created);
      entries.push(created);
      return key.length + result.host.length + 24;
    },
    take() {
      if (entries.length === 0) return '';
      const columns = width();
      let text = '';
      for (const entry of entries)
        text += `${Array.isArray(entry) ? renderFailureGroup(entry, columns) : renderBodyLine(entry, columns)}\n`;
      groups = new Map();
      entries = [];
      return text;
    },
  };
}

function lineByLine<T>(format: RecordFormatter<T>): BatchFormatter<T> {
  let text = '';
  return {
    add(item) {
      const line = format(item);
      if (line === null) return 0;
      text += `${line}\n`;
      return line.length + 1;
    },
    take() {
      const taken = text;
      text = '';
      return taken;
    },
  };
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/**
 * Writes every item as a line through a RecordSink (batching, backpressure, EPIPE as the reader leaving) and
 * stops reading the items once the reader has gone. For the outputs that are a plain list (`fanout hosts`,
 * --dry-run). Resolves true when every item was written, false when the reader left first.
 */
export async function writeLines<T>(items: AsyncIterable<T>, stream: Writable, format: RecordFormatter<T>): Promise<boolean> {
  const sink = new RecordSink<T>(stream, format, { end: false });
  for await (const item of items) {
    if (sink.closedByReader) break;
    const wait = sink.write(item);
    if (wait) await wait;
  }
  await sink.close();
  return !sink.closedByReader;
}
