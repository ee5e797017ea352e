import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC, type RequestSpec } from '../../src/jobs/request-spec.js';
import { describeDryRun } from '../../src/run/dry-run.js';

const push: RequestSpec = {
  ...DEFAULT_SPEC,
  method: 'POST',
  headers: [
    ['content-type', 'application/json'],
    ['user-agent', 'fanout/0.1.0'],
    ['Authorization', 'Bearer s3cret'],
  ],
  bodyBase64: Buffer.alloc(4096, 'x').toString('base64'),
};

describe('describeDryRun', () => {
  it('gives the host count, method, body size and type, and the headers with secrets redacted', () => {
    expect(describeDryRun(push, 2000)).toBe(
      'dry run: 2,000 hosts · POST · body 4,096 bytes (application/json) · ' +
        'headers: content-type: application/json, user-agent: fanout/0.1.0, authorization: [redacted]',
    );
  });

  it.each(['Authorization', 'proxy-authorization', 'COOKIE', 'Set-Cookie'])('redacts the value of %s', (name) => {
    const line = describeDryRun({ ...DEFAULT_SPEC, headers: [[name, 'secret-value']] }, 1);
    expect(line).toContain(`${name.toLowerCase()}: [redacted]`);
    expect(line).not.toContain('secret-value');
  });

  it('shows the Idempotency-Key each host gets, a pull without a body, an unlabelled body, and one host', () => {
    expect(describeDryRun({ ...DEFAULT_SPEC, headers: [['user-agent', 'fanout/0.1.0']] }, 1)).toBe(
      'dry run: 1 host · GET · no body · headers: user-agent: fanout/0.1.0',
    );
    const unlabelled = { ...DEFAULT_SPEC, method: 'PUT', bodyBase64: Buffer.from('a=1').toString('base64'), idempotencyKeyPrefix: 'r42' };
    expect(describeDryRun(unlabelled, 3)).toBe(
      'dry run: 3 hosts · PUT · body 3 bytes (no content-type) · headers: idempotency-key: r42-{host}',
    );
    expect(describeDryRun({ ...DEFAULT_SPEC, bodyBase64: '' }, 2)).toBe(
      'dry run: 2 hosts · GET · body 0 bytes (no content-type) · headers: none',
    );
  });
});
