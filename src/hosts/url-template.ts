// The `-u/--url` template: which URL to request on each host.
// Compiled once (checked, split into literal and placeholder parts); rendering is a join, since it runs per host.
//
// Placeholders:
//   {host}      the entry as given: `web01:8080`, `[::1]:8080`
//   {hostname}  the name or address alone: `web01`, `[::1]` (IPv6 keeps its brackets so the URL stays valid)
//   {port}      the entry's port, or the template scheme's default (80 for http, 443 for https) when it has none
//   {index}     the target's 0-based position in the deduplicated input
// An entry that is itself a full URL is requested as is: the template does not apply to it.
// A rendered URL is not re-validated here (it would cost a URL parse per host). The one way a valid template and
// a valid entry make a broken URL is a port after `{host}` (`http://{host}:9000/` with `web01:8080`:
// `http://web01:8080:9000/`): `check` finds it while the hosts are planned, before anything is sent.

import { HostEntryError, quoted } from './host-input-error.js';
import { parseEntry, type ParsedEntry } from './parse-entry.js';
import type { Target } from './target.js';

export const DEFAULT_URL_TEMPLATE = 'http://{host}/';

const PLACEHOLDERS = ['host', 'hostname', 'port', 'index'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
type Part = { literal: string } | { placeholder: Placeholder };

const TEMPLATE_SCHEME = /^(https?):\/\//i;
const DEFAULT_PORTS = { http: 80, https: 443 } as const;
const SAMPLE_ENTRY: ParsedEntry = { host: 'example.com', hostname: 'example.com', port: null, url: null };

/** A bad `--url` template: a usage error, nothing is sent. */
export class UrlTemplateError extends Error {
  override readonly name = 'UrlTemplateError';
}

export interface UrlTemplate {
  /** The URL for one target. Throws HostEntryError when the target's host is not a valid entry. */
  render(target: Target): string;
  /**
   * Throws HostEntryError for a valid entry this template cannot make a URL of: one with a port of its own where
   * the template puts a port after `{host}`. A property, not a method: it is handed around as a callback.
   */
  readonly check: (entry: ParsedEntry) => void;
}

export function compileUrlTemplate(source: string = DEFAULT_URL_TEMPLATE): UrlTemplate {
  const scheme = TEMPLATE_SCHEME.exec(source)?.[1]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    throw new UrlTemplateError(`URL template ${quoted(source)} must start with http:// or https://`);
  }
  const parts = splitTemplate(source);
  const defaultPort = DEFAULT_PORTS[scheme];
  const fill = (entry: ParsedEntry, index: number): string => {
    let url = '';
    for (const part of parts) {
      url += 'literal' in part ? part.literal : value(part.placeholder, entry, index, defaultPort);
    }
    return url;
  };
  if (!URL.canParse(fill(SAMPLE_ENTRY, 0))) {
    throw new UrlTemplateError(`URL template ${quoted(source)} does not make a valid URL (tried with host ${SAMPLE_ENTRY.host})`);
  }
  const portAfterHost = portAfterHostFix(source);
  return {
    render(target) {
      const entry = parseEntry(target.host);
      return entry.url ?? fill(entry, target.index);
    },
    check(entry) {
      if (portAfterHost === null || entry.url !== null || entry.port === null) return;
      throw new HostEntryError(
        `${quoted(entry.host)} already has a port and -u puts another after {host}: use {hostname} (${portAfterHost})`,
      );
    },
  };
}

/**
 * For a template with `{host}:` in its authority (`http://{host}:8080/`), the same template with `{hostname}:`
 * there instead, which entries with a port of their own need; null for a template that has none.
 */
function portAfterHostFix(source: string): string | null {
  const start = source.indexOf('://') + '://'.length;
  const length = source.slice(start).search(/[/?#]/);
  const end = length === -1 ? source.length : start + length;
  const authority = source.slice(start, end);
  if (!authority.includes('{host}:')) return null;
  return `${source.slice(0, start)}${authority.replaceAll('{host}:', '{hostname}:')}${source.slice(end)}`;
}

function value(placeholder: Placeholder, entry: ParsedEntry, index: number, defaultPort: number): string {
  switch (placeholder) {
    case 'host':
      return entry.host;
    case 'hostname':
      return entry.hostname;
    case 'port':
      return String(entry.port ?? defaultPort);
    case 'index':
      return String(index);
  }
}

function splitTemplate(source: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    if (open === -1) {
      parts.push({ literal: source.slice(i) });
      break;
    }
    if (open > i) parts.push({ literal: source.slice(i, open) });
    const close = source.indexOf('}', open);
    if (close === -1) throw new UrlTemplateError(`unclosed "{" in URL template ${quoted(source)}`);
    const name = source.slice(open + 1, close);
    if (!isPlaceholder(name)) {
      const known = PLACEHOLDERS.map((p) => `{${p}}`).join(', ');
      throw new UrlTemplateError(`unknown placeholder {${name}} in URL template ${quoted(source)} (known: ${known})`);
    }
    parts.push({ placeholder: name });
    i = close + 1;
  }
  return parts;
}

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}
