import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import { decodeJobPayload, encodeJobPayload, JobPayloadError } from '../../src/jobs/wire-payload.js';

describe('job payload', () => {
  it('round-trips what the client sends', () => {
    const spec = { ...DEFAULT_SPEC, method: 'POST', headers: [['x-a', '1']] as Array<[string, string]>, idempotencyKeyPrefix: 'r1' };
    const targets = [
      { host: 'web01:8080', index: 7 },
      { host: '[::1]:80', index: 9 },
    ];
    expect(decodeJobPayload(encodeJobPayload(spec, targets, 25))).toEqual({ spec, targets, concurrency: 25 });
  });

  it('fills a hand-written job with the defaults of fanout pull, indexing hosts by position', () => {
    const decoded = decodeJobPayload('{"v":1,"hosts":["a:1","b:2"],"spec":{"url":"http://{host}/status"}}');
    expect(decoded).toEqual({
      spec: { ...DEFAULT_SPEC, url: 'http://{host}/status' },
      targets: [
        { host: 'a:1', index: 0 },
        { host: 'b:2', index: 1 },
      ],
      concurrency: 100,
    });
  });

  it.each([
    ['not json', /not JSON/],
    ['[1,2]', /must be a JSON object/],
    ['{"v":2,"hosts":["a"]}', /unsupported payload version 2/],
    ['{"hosts":["a"]}', /unsupported payload version undefined/],
    ['{"v":1}', /non-empty "hosts"/],
    ['{"v":1,"hosts":[]}', /non-empty "hosts"/],
    ['{"v":1,"hosts":["web[01-"]}', /hosts\[0\]/],
    ['{"v":1,"hosts":[42]}', /hosts\[0\]: expected a host string/],
    ['{"v":1,"hosts":["a"],"concurrency":0}', /concurrency/],
    ['{"v":1,"hosts":["a"],"spec":{"timeoutMs":"soon"}}', /spec.timeoutMs: expected a positive integer, got a string/],
    ['{"v":1,"hosts":["a"],"spec":{"url":"ftp://{host}/"}}', /spec: URL template/],
    ['{"v":1,"hosts":["a"],"spec":{"expect":"abc"}}', /spec: invalid status "abc"/],
  ])('refuses %s with a message that says what is wrong', (payload, message) => {
    expect(() => decodeJobPayload(payload)).toThrow(JobPayloadError);
    expect(() => decodeJobPayload(payload)).toThrow(message);
  });

  it('never echoes header values (they may be secrets) in its errors', () => {
    const payload = JSON.stringify({
      v: 1,
      hosts: ['a'],
      spec: {
        headers: [
          ['Authorization', 'Bearer s3cret'],
          ['x', 1],
        ],
      },
    });
    expect(() => decodeJobPayload(payload)).toThrow(/spec.headers/);
    try {
      decodeJobPayload(payload);
    } catch (err) {
      expect((err as Error).message).not.toContain('s3cret');
    }
  });
});
