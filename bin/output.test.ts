// Tests for terminal text: control characters from scenarios and result files never reach a terminal.
import { describe, expect, it } from 'vitest';
import { stripControl } from './output.ts';

describe('stripControl', () => {
  it('keeps plain text, newlines and tabs as they are', () => {
    expect(stripControl('a\tb\nc ✓ 99.5%')).toBe('a\tb\nc ✓ 99.5%');
  });

  it('removes escape, bell, carriage return, backspace and C1 characters', () => {
    expect(stripControl('x\u001b[2Jy\u001b]0;title\u0007z\r\b\u009bq')).toBe('x[2Jy]0;titlezq');
  });

  it('keeps colour sequences only when colour is on', () => {
    expect(stripControl('\u001b[31mred\u001b[39m', true)).toBe('\u001b[31mred\u001b[39m');
    expect(stripControl('\u001b[31mred\u001b[39m', false)).toBe('[31mred[39m');
    expect(stripControl('\u001b[2J\u001b[31m', true)).toBe('[2J\u001b[31m');
  });
});
