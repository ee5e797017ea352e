// fanout's version, from package.json (which ships beside dist/): what the User-Agent of every request says.
// Read here, in src/cli, so the layers below never learn where the package lives; they get it in RequestSpec.headers.
import { readFileSync } from 'node:fs';

let version: string | undefined;

/** `0.1.0`. src/cli/version.ts and dist/cli/version.js both sit two levels below package.json. */
export function fanoutVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

/** The User-Agent fanout sends unless -H sets one: `fanout/0.1.0`, so a host's logs can tell who is asking. */
export function userAgent(): string {
  return `fanout/${fanoutVersion()}`;
}
