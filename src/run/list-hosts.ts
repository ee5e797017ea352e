// `fanout hosts`: the expanded, validated, deduplicated host list, one per line, sent nowhere.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { planTargets, type HostSource } from '../hosts/host-source.js';

export async function listHosts(sources: readonly HostSource[], out: Writable): Promise<{ total: number; duplicates: number }> {
  const plan = await planTargets(sources);
  try {
    for await (const target of plan.targets()) {
      if (!out.write(`${target.host}\n`)) await once(out, 'drain');
    }
    return { total: plan.total, duplicates: plan.duplicates };
  } finally {
    await plan.close();
  }
}
