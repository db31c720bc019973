// An error keeps its kind when it crosses between two copies of dsim's modules (a CommonJS
// scenario requiring the installed package gets its own copy beside the CLI's ES modules).
import { describe, expect, it, vi } from 'vitest';

describe('error kinds across copies of the modules', () => {
  it('instanceof knows an error made by another copy of errors.ts', async () => {
    const mine = await import('./errors.ts');
    vi.resetModules();
    // A second module instance: the query makes the loader treat it as another file.
    const specifier = './errors.ts?second-copy';
    const copy = (await import(specifier)) as typeof mine;
    expect(copy.RpcError).not.toBe(mine.RpcError);
    const foreign = new copy.ServiceError('declined', 'card declined');
    expect(foreign instanceof mine.ServiceError).toBe(true);
    expect(foreign instanceof mine.RpcError).toBe(true);
    expect(mine.isDeliberateError(foreign)).toBe(true);
    expect(new copy.ConfigError('bad') instanceof mine.ConfigError).toBe(true);
    expect(new TypeError('x') instanceof mine.SimulatedError).toBe(false);
    expect(new copy.RpcError('timeout', 'late') instanceof mine.ServiceError).toBe(false);
  });
});
