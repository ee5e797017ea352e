// `fanout hosts`: the expanded, validated, deduplicated host list, one per line, sent nowhere.
import type { Writable } from 'node:stream';
import { planTargets, type HostSource } from '../hosts/host-source.js';
import { writeLines } from '../report/record-sink.js';

export interface HostList {
  total: number;
  duplicates: number;
  /** False when the reader of the output went away before the end (`fanout hosts … | head`). */
  complete: boolean;
}

export async function listHosts(sources: readonly HostSource[], out: Writable): Promise<HostList> {
  const plan = await planTargets(sources);
  try {
    const complete = await writeLines(plan.targets(), out, (target) => target.host);
    return { total: plan.total, duplicates: plan.duplicates, complete };
  } finally {
    await plan.close();
  }
}
