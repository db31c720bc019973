// Tests for sim/engine/errors.ts: RPC error codes are the engine's own plus those services register.
import { describe, expect, it } from 'vitest';
import { RpcError, isRpcError, registerErrorCode } from './errors.ts';

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

  it('a code no service registered fails loudly; once registered it is an ordinary operating error', () => {
    expect(() => new RpcError('test-refusal', 'no')).toThrow("unknown RPC error code 'test-refusal': register it with registerErrorCode() in the service that uses it");
    registerErrorCode('test-refusal');
    registerErrorCode('test-refusal');
    const error = new RpcError('test-refusal', 'no', 'svc');
    expect(isRpcError(error, 'test-refusal')).toBe(true);
    expect(error.source).toBe('svc');
  });
});
