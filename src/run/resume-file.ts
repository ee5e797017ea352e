// --resume FILE: the NDJSON records of earlier runs say which hosts are done; the run skips those and appends the
// records of the others to the same file, so FILE grows into the full account of one job over several runs.
//
// Choices:
// - Identity is the record's `host`, which is the entry after range expansion exactly as the run's own Targets
//   carry it (hosts/host-source.ts, where duplicates are dropped by the same exact match): a re-sorted, edited or
//   differently ranged list (`web[01-03]` then `web02`) matches, `WEB01` and `web01` stay two hosts.
// - A host is done once any of its records is ok. Records fanout appends never follow an ok one (the host is
//   skipped from then on), so this is "the latest record wins" for fanout's own files; a later failure in a file
//   put together by hand (two full runs concatenated) does not undo a success: for a push, that host has it.
// - Only the last line may be broken, and only the way a run killed mid-write leaves it: no newline, not JSON,
//   and the start of a record as fanout writes one (`{"host":`). It is reported and cut off before the append, so
//   the file stays NDJSON for the next --resume. Anything else that is not a record is a usage error naming the
//   line: a file that is not fanout's must never be appended to, let alone cut.
// - A missing FILE is a fresh start (the same command line works for the first run and every later one); the
//   runner says so.
import { createReadStream } from 'node:fs';
import { truncate } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { TargetPlan } from '../hosts/host-source.js';
import { isHostResult } from '../record/host-result.js';
import { openOutputFile, OutputOpenError } from './open-output.js';

/** The resume file is not (only) fanout records: a usage error, nothing sent. */
export class ResumeFileError extends Error {
  override readonly name = 'ResumeFileError';
}

export interface ResumeState {
  path: string;
  /** False when FILE does not exist yet: nothing to skip, and the run creates it. */
  exists: boolean;
  /** Hosts with at least one ok record: not run again. */
  okHosts: ReadonlySet<string>;
  /** Records read. */
  records: number;
  /** A last line cut short by a run killed mid-write: its number (from 1) and its first byte, where the append starts. */
  cut: { line: number; offset: number } | null;
  /** The last line is a whole record without its newline (an edited file): the append starts with one. */
  needsNewline: boolean;
}

/** How every record fanout writes begins (to-host-result.ts puts `host` first): what a cut-short line must start as. */
const RECORD_START = '{"host":';
const NEWLINE = 0x0a;

/** Reads FILE through once, keeping only the ok hosts. Throws ResumeFileError for a file --resume must not use. */
export async function readResumeFile(path: string): Promise<ResumeState> {
  const okHosts = new Set<string>();
  let records = 0;
  let line = 0;
  /** Bytes of the whole lines read so far: where a cut-short last line starts. */
  let offset = 0;
  let pending: Buffer[] = [];
  const wholeLine = (bytes: Buffer): void => {
    line += 1;
    offset += bytes.length + 1;
    const text = bytes.toString('utf8');
    if (text.trim() === '') return;
    const value = parseJson(text);
    if (value === undefined) throw lineError(path, line, 'not JSON, so not a file of fanout records');
    if (!isHostResult(value)) throw lineError(path, line, 'not a fanout record (one needs host, ok and code)');
    records += 1;
    if (value.ok) okHosts.add(value.host);
  };
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
        const piece = chunk.subarray(start, end);
        wholeLine(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
        pending = [];
        start = end + 1;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
  } catch (error) {
    if (error instanceof ResumeFileError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { path, exists: false, okHosts, records: 0, cut: null, needsNewline: false };
    throw new ResumeFileError(`--resume ${path}: cannot read (${error instanceof Error ? error.message : String(error)})`);
  }
  const last = Buffer.concat(pending);
  const text = last.toString('utf8');
  let cut: ResumeState['cut'] = null;
  let needsNewline = false;
  if (text !== '') {
    if (text.trim() === '' || parseJson(text) !== undefined) {
      wholeLine(last); // whole, but for its newline: the same rules as any line
      needsNewline = true;
    } else if (text.startsWith(RECORD_START) || RECORD_START.startsWith(text)) {
      cut = { line: line + 1, offset };
    } else {
      throw lineError(path, line + 1, 'not a fanout record, nor one cut short by a run killed mid-write');
    }
  }
  return { path, exists: true, okHosts, records, cut, needsNewline };
}

/** The resume file, ready for the records of this run: its cut-short last line removed, on a new line. */
export async function openResumeOutput(state: ResumeState): Promise<Writable> {
  if (state.cut !== null) {
    try {
      await truncate(state.path, state.cut.offset);
    } catch (error) {
      throw new OutputOpenError(`cannot write --resume ${state.path}: ${(error as Error).message}`);
    }
  }
  const stream = await openOutputFile(state.path, { append: true, flag: '--resume' });
  if (state.needsNewline) stream.write('\n');
  return stream;
}

export interface ResumeCounts {
  /** Hosts of the run's list. */
  hosts: number;
  /** Those not ok in the file. */
  toRun: number;
  dryRun: boolean;
}

/** What a person is told on stderr before the run: a fresh start, a line cut short, how many hosts are skipped. */
export function resumeNotes(state: ResumeState, { hosts, toRun, dryRun }: ResumeCounts): string[] {
  const name = `--resume ${state.path}`;
  if (!state.exists) return [`${name} does not exist yet: ${dryRun ? 'every host would run' : 'starting fresh, the records go to it'}`];
  const notes: string[] = [];
  if (state.cut !== null) {
    const removed = dryRun ? '' : ', and removed before the new records are appended';
    notes.push(`${name}:${state.cut.line}: a record cut short (a run killed mid-write): ignored${removed}`);
  }
  const left = toRun === 0 ? 'nothing left to run' : `${toRun} to run`;
  notes.push(`${name}: ${hosts - toRun} of ${hosts} hosts already ok, skipped; ${left}`);
  return notes;
}

/** A plan without the hosts already ok: a second pass counts them, so the total (and the progress bar) is right. */
export interface ResumedPlan extends TargetPlan {
  /** Hosts of the plan left out. */
  readonly skipped: number;
}

export async function skipOkHosts(plan: TargetPlan, okHosts: ReadonlySet<string>): Promise<ResumedPlan> {
  let skipped = 0;
  if (okHosts.size > 0) for await (const target of plan.targets()) if (okHosts.has(target.host)) skipped += 1;
  return {
    total: plan.total - skipped,
    duplicates: plan.duplicates,
    skipped,
    // Indexes stay those of the full list: `{index}` in a URL names the same host in every run.
    targets: skipped === 0 ? () => plan.targets() : () => withoutHosts(plan.targets(), okHosts),
    close: () => plan.close(),
  };
}

async function* withoutHosts<T extends { host: string }>(targets: AsyncIterable<T>, hosts: ReadonlySet<string>): AsyncGenerator<T> {
  for await (const target of targets) if (!hosts.has(target.host)) yield target;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function lineError(path: string, line: number, reason: string): ResumeFileError {
  return new ResumeFileError(`--resume ${path}:${line}: ${reason}`);
}
