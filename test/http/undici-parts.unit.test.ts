import * as undici from 'undici';
import { describe, expect, it } from 'vitest';
import { Agent, buildConnector } from '../../src/http/undici-parts.js';

describe('undici-parts', () => {
  it('loads the same Agent and buildConnector that undici exports', () => {
    expect(Agent).toBe(undici.Agent);
    expect(buildConnector).toBe(undici.buildConnector);
  });
});
