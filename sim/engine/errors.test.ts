// Tests for sim/engine/errors.ts: RPC error codes are the engine's own plus those services register.
import { describe, expect, it } from 'vitest';
import { RpcError, isRegisteredErrorCode, isRpcError, registerErrorCode } from './errors.ts';

declare module './errors.ts' {
  interface RpcErrorCodes {
    'test-refusal': true;
  }
}

describe('RPC error codes', () => {
  it("the engine's own codes need no registration", () => {
    for (const code of ['timeout', 'refused', 'unavailable', 'overloaded', 'not-found', 'bad-request', 'application'] as const) {
      expect(new RpcError(code, 'x').code).toBe(code);
    }
  });

  it('a pattern registers its codes; a service may still throw its own ad-hoc code', () => {
    expect(isRegisteredErrorCode('test-refusal')).toBe(false);
    expect(new RpcError('declined', 'card declined').code).toBe('declined');
    registerErrorCode('test-refusal');
    expect(isRegisteredErrorCode('test-refusal')).toBe(true);
    registerErrorCode('test-refusal');
    const error = new RpcError('test-refusal', 'no', 'svc');
    expect(isRpcError(error, 'test-refusal')).toBe(true);
    expect(error.source).toBe('svc');
  });
});
