// Tests for sim/engine/errors.ts: RPC error codes are the engine's own plus those services register.
import { describe, expect, it } from 'vitest';
import { ConfigError, RpcError, UNDESCRIBABLE_ERROR, errorMessage, isDeliberateError, isRegisteredErrorCode, isRpcError, registerErrorCode } from './errors.ts';

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

describe('errorMessage is total', () => {
  const poisoned = { toString(): string { throw new Error('no'); } };
  const proxy = new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); } });

  it('gives the message of an Error and the text of any other value', () => {
    expect(errorMessage(new TypeError('bad'))).toBe('bad');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  it('gives a placeholder for a value whose String() throws', () => {
    expect(errorMessage(poisoned)).toBe(UNDESCRIBABLE_ERROR);
    expect(errorMessage(Object.create(null))).toBe(UNDESCRIBABLE_ERROR);
  });

  it('gives a placeholder for a Proxy whose traps throw, and it is of no dsim kind', () => {
    expect(errorMessage(proxy)).toBe(UNDESCRIBABLE_ERROR);
    expect(proxy instanceof ConfigError).toBe(false);
    expect(isDeliberateError(proxy)).toBe(false);
  });
});
