import { describe, expect, it } from 'vitest';
import {
  ControlPayloadError,
  controlFunctionName,
  decodeStopRequest,
  encodeStopReply,
  encodeStopRequest,
  workerOfControlFunction,
} from '../../src/jobs/wire-control.js';

describe('the stop request', () => {
  it('round-trips, naming jobs with and without a handle', () => {
    const request = {
      run: 'r7',
      mode: 'drain' as const,
      jobs: [
        { unique: 'r7:0', handle: 'H:vm:1' },
        { unique: 'r7:1', handle: null },
      ],
    };
    const text = encodeStopRequest(request);
    expect(text).toBe('{"v":1,"stop":"r7","mode":"drain","jobs":[["r7:0","H:vm:1"],["r7:1",null]]}');
    expect(decodeStopRequest(Buffer.from(text))).toEqual(request);
  });

  it.each([
    ['not json', 'not JSON'],
    ['[]', 'expected a JSON object'],
    ['{"v":2,"stop":"r","mode":"drain","jobs":[]}', 'v: expected 1'],
    ['{"v":1,"mode":"drain","jobs":[]}', 'stop: expected the run id'],
    ['{"v":1,"stop":"r","mode":"later","jobs":[]}', 'mode: expected'],
    ['{"v":1,"stop":"r","mode":"abort","jobs":[["u"]]}', 'jobs: expected'],
    ['{"v":1,"stop":"r","mode":"abort","jobs":[["u",1]]}', 'jobs: expected'],
  ])('refuses %s, saying what is wrong', (payload, message) => {
    expect(() => decodeStopRequest(payload)).toThrow(ControlPayloadError);
    expect(() => decodeStopRequest(payload)).toThrow(message);
  });

  it("names each worker's control function after the id its records carry, and reads it back", () => {
    expect(controlFunctionName('web01/4711')).toBe('fanout.control.web01/4711');
    expect(workerOfControlFunction('fanout.control.web01/4711')).toBe('web01/4711');
    expect(workerOfControlFunction('fanout.http')).toBeNull();
    expect(workerOfControlFunction('fanout.control.')).toBeNull();
    expect(encodeStopReply(2)).toBe('{"stopped":2}\n');
  });
});
