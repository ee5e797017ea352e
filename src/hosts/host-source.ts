// Host sources → Targets: positional arguments, `-f FILE` and stdin, read as streams line by line,
// ranges expanded lazily, every host validated, duplicates dropped, indexes assigned in output order.
// Owns the line rules (comments, blanks, CRLF), error locations and the two-pass plan; the entry syntax
// itself belongs to expand-ranges.ts and parse-entry.ts.
//
// Why two passes (planTargets): a run must send nothing when any line is malformed, and the progress bar
// needs the total, yet 100,000 hosts should not sit in memory as Targets. The first pass validates and
// counts (keeping only the dedupe Set); the second streams, trusting the first: it checks no entry again, and
// it keeps a dedupe Set of its own only when the first found duplicates. Files are simply read twice (a file
// edited between the passes is the operator's doing); stdin and a `-f` pipe (`-f <(grep web inventory)`) can
// be read only once, so they are spooled to a private temp file, whatever their size, and read from there.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expandRanges } from './expand-ranges.js';
import { HostEntryError, HostInputError } from './host-input-error.js';
import { parseEntry, type ParsedEntry } from './parse-entry.js';
import type { Target } from './target.js';

export type HostSource =
  | { kind: 'args'; entries: readonly string[] }
  /** `label` names the file in errors instead of `path`. */
  | { kind: 'file'; path: string; label?: string }
  /** `stream` defaults to process.stdin. */
  | { kind: 'stdin'; stream?: Readable };

/** Filled in while targets are read; final once the iteration has ended. */
export interface TargetStats {
  /** Targets handed out. */
  total: number;
  /** Hosts dropped because an earlier entry gave the same host string (exact match: `WEB01` ≠ `web01`). */
  duplicates: number;
}

/** What the validating pass checks beyond the entry syntax. */
export interface PlanOptions {
  /**
   * Called with each parsed entry; throws HostEntryError for one the run cannot use (a URL template's rule:
   * url-template.ts#check), which is then reported with its file and line like a malformed entry.
   */
  checkEntry?: (entry: ParsedEntry) => void;
}

export interface ReadOptions extends PlanOptions {
  stats?: TargetStats;
  /** The sources passed a full read before (planTargets): skip checking each entry again. */
  validated?: boolean;
  /**
   * That read found no duplicates: skip the dedupe set. It cost ~0.5 µs a host and held every host string for the
   * whole run, where most host lists have no duplicates at all.
   */
  unique?: boolean;
}

export interface TargetPlan {
  /** Targets `targets()` will yield, duplicates excluded. */
  readonly total: number;
  readonly duplicates: number;
  /** Streams the (already validated) targets; may be called again for another pass. */
  targets(): AsyncGenerator<Target>;
  /** Removes the stdin spool file; safe to call more than once. */
  close(): Promise<void>;
}

const STDIN_LABEL = '<stdin>';
const TARGETS_PER_BATCH = 1024;
// `#` opens a comment at the start of a line or after whitespace; `http://x/#frag` keeps its fragment.
const COMMENT = /(?:^|\s)#.*$/s;

/**
 * Validates every source completely, then returns the count and a way to stream the targets.
 * Throws HostInputError (with the file and line) for the first malformed entry or one `checkEntry` refuses, or
 * when there are no hosts.
 */
export async function planTargets(sources: readonly HostSource[], options: PlanOptions = {}): Promise<TargetPlan> {
  checkSources(sources);
  const spool = await spoolOneShotSources(sources);
  try {
    const stats: TargetStats = { total: 0, duplicates: 0 };
    for await (const _batch of readTargetBatches(spool.sources, { ...options, stats })) {
      // First pass: validation and counting only.
    }
    return {
      total: stats.total,
      duplicates: stats.duplicates,
      targets: () => readTargets(spool.sources, { validated: true, unique: stats.duplicates === 0 }),
      close: () => spool.close(),
    };
  } catch (error) {
    await spool.close();
    throw error;
  }
}

/**
 * One streaming pass: targets come out as lines are read, so a malformed line throws only after the targets
 * before it were handed out (use planTargets when nothing may be sent in that case).
 * `options.stats` is reset, then updated as targets are handed out (`total` is also the next index).
 */
export async function* readTargets(sources: readonly HostSource[], options: ReadOptions = {}): AsyncGenerator<Target> {
  for await (const batch of readTargetBatches(sources, options)) for (const target of batch) yield target;
}

/** readTargets a chunk of lines at a time: a resumption of an async generator per target is its main cost. */
async function* readTargetBatches(sources: readonly HostSource[], options: ReadOptions): AsyncGenerator<Target[]> {
  checkSources(sources);
  const stats = options.stats ?? { total: 0, duplicates: 0 };
  stats.total = 0;
  stats.duplicates = 0;
  const seen = options.unique === true ? null : new Set<string>();
  const checkEntry = options.checkEntry ?? (() => undefined);
  for (const source of sources) {
    let line = 0;
    for await (const texts of textBatches(source)) {
      const batch: Target[] = [];
      for (const text of texts) {
        line++;
        // Most lines are one plain host: no comment to strip, no range to expand (the regex and the generator
        // were a third of reading a 100,000-line file).
        const entry = (text.includes('#') ? text.replace(COMMENT, '') : text).trim();
        if (entry === '') continue;
        try {
          for (const host of hasRangeSyntax(entry) ? expandRanges(entry) : [entry]) {
            if (options.validated !== true) checkEntry(parseEntry(host));
            if (seen !== null) {
              if (seen.has(host)) {
                stats.duplicates++;
                continue;
              }
              seen.add(host);
            }
            batch.push({ host, index: stats.total++ });
            // `node[1-1000000]` is one line: it must still not become one array.
            if (batch.length >= TARGETS_PER_BATCH) yield batch.splice(0);
          }
        } catch (error) {
          if (batch.length > 0) yield batch.splice(0); // the targets before a bad line are still handed out first
          throw error instanceof HostEntryError ? new HostInputError(locate(source, line), error.reason, { cause: error }) : error;
        }
      }
      if (batch.length > 0) yield batch;
    }
  }
  if (stats.total === 0) throw noHosts(sources);
}

/** An entry without `[` has no range (nor IPv6 literal): expand-ranges.ts would hand it back unchanged. */
function hasRangeSyntax(entry: string): boolean {
  return entry.includes('[');
}

function checkSources(sources: readonly HostSource[]): void {
  if (sources.filter((source) => source.kind === 'stdin').length > 1) {
    throw new HostInputError(null, 'stdin ("-") given more than once');
  }
}

/** The source's entries, a chunk's worth of lines at a time: per-line work stays synchronous. */
async function* textBatches(source: HostSource): AsyncGenerator<readonly string[]> {
  switch (source.kind) {
    case 'args':
      yield source.entries;
      return;
    case 'file':
      yield* lineBatches(createReadStream(source.path), nameOf(source));
      return;
    case 'stdin':
      yield* lineBatches(source.stream ?? process.stdin, nameOf(source));
  }
}

function nameOf(source: HostSource): string {
  switch (source.kind) {
    case 'args':
      return 'the arguments';
    case 'file':
      return source.label ?? source.path;
    case 'stdin':
      return STDIN_LABEL;
  }
}

/** `hosts.txt:7`, `<stdin>:7`, `argument 7`: `line` counts from 1. */
function locate(source: HostSource, line: number): string {
  return source.kind === 'args' ? `argument ${line}` : `${nameOf(source)}:${line}`;
}

/**
 * Splits a byte or string stream on `\n` (the `\r` of CRLF goes with the trim of each entry; a UTF-8 BOM with
 * the decoder), one batch per chunk.
 * Reads a chunk only when the previous batch has been taken: the stream's backpressure holds.
 */
async function* lineBatches(stream: Readable, name: string): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      yield lines;
    }
  } catch (error) {
    throw readError(name, error);
  }
  pending += decoder.decode();
  if (pending !== '') yield [pending];
}

function readError(label: string, error: unknown): HostInputError {
  return new HostInputError(label, `cannot read (${error instanceof Error ? error.message : String(error)})`, { cause: error });
}

function noHosts(sources: readonly HostSource[]): HostInputError {
  if (sources.length === 0) return new HostInputError(null, 'no hosts given (pass hosts as arguments or with -f/--hosts-file)');
  return new HostInputError(null, `no hosts given (only blank lines and comments in ${sources.map(nameOf).join(', ')})`);
}

interface Spool {
  /** The sources with each one-shot stream replaced by its spool file, still named as given in errors. */
  sources: HostSource[];
  close(): Promise<void>;
}

/**
 * Copies what can be read only once to a private temp file: stdin, and a `-f` that is no regular file (a pipe,
 * `-f <(grep web inventory)`, `/dev/stdin`), whose second pass would otherwise find it empty.
 */
async function spoolOneShotSources(sources: readonly HostSource[]): Promise<Spool> {
  const oneShot = await Promise.all(sources.map(isOneShot));
  if (!oneShot.includes(true)) return { sources: [...sources], close: async () => {} };
  // mkdtemp makes the directory 0700: host lists can be sensitive.
  const dir = await mkdtemp(join(tmpdir(), 'fanout-stdin-'));
  const close = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const spooled = await Promise.all(
      sources.map(async (source, i): Promise<HostSource> => {
        if (!oneShot[i] || source.kind === 'args') return source;
        const path = join(dir, `hosts-${i}`);
        const input = source.kind === 'file' ? createReadStream(source.path) : (source.stream ?? process.stdin);
        try {
          await pipeline(input, createWriteStream(path));
        } catch (error) {
          throw readError(nameOf(source), error);
        }
        return { kind: 'file', path, label: nameOf(source) };
      }),
    );
    return { sources: spooled, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** stdin, or a file that is not a regular file. A file that cannot be stat'ed is left to the read to report. */
async function isOneShot(source: HostSource): Promise<boolean> {
  if (source.kind === 'stdin') return true;
  if (source.kind === 'args') return false;
  try {
    return !(await stat(source.path)).isFile();
  } catch {
    return false;
  }
}
