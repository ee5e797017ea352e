// The two pieces of undici a run uses, loaded from their own files. undici's index loads everything it has
// (fetch, WebSocket, caches, mocks): 140 ms of a cold start on the reference machine, against about 25 ms
// for the Agent and the connector alone. undici 7 has no `exports` map, so these paths are reachable; the
// unit test undici-parts.unit.test.ts checks that they are the very classes undici exports, so an upgrade
// that moves them fails the suite instead of a run.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;
export const buildConnector = require('undici/lib/core/connect.js') as typeof Undici.buildConnector;
