// Tests for reports/terminal.ts: the side-by-side table, colour only on request, failures ending
// with their replay command, shared fault lines shown once, long variant names wrapped.
import { describe, expect, it } from 'vitest';
import { renderTerminal, wrapName } from './terminal.ts';
import { syntheticResult } from './fixtures.ts';
import type { ScenarioResult } from '../sim/harness/result.ts';

const ANSI = /\u001b\[[0-9;]*m/;
const replayCommand = (variant: string): string => `sim run scenarios/payment-outage.ts --seed 42 --variant ${variant}`;

/** Table rows as label → cells (borders stripped), first occurrence of each label. */
function tableRows(text: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('│')) continue;
    const [label, ...cells] = line.split('│').slice(1, -1).map((cell) => cell.trim());
    if (label !== undefined && !rows.has(label)) rows.set(label, cells);
  }
  return rows;
}

describe('renderTerminal', () => {
  it('starts with the scenario, the seed and the verdict', () => {
    const text = renderTerminal(syntheticResult(), { color: false });
    const [first, second] = text.split('\n');
    expect(first).toBe('payment-outage  seed=42  ✗ 2 failures  2 variants, trace aaaabbbbccccdddd');
    expect(second).toBe('Payments crashes for 10 s; inventory slows down. Does the shop stay up?');
  });

  it('puts the variants side by side with every figure formatted', () => {
    const rows = tableRows(renderTerminal(syntheticResult(), { color: false }));
    expect(rows.get('')).toEqual(['monolith', 'microservices-sync+breaker']);
    expect(rows.get('requests')).toEqual(['6,000', '6,000']);
    expect(rows.get('failed')).toEqual(['1,000', '6']);
    expect(rows.get('availability')).toEqual(['83.33%', '99.90%']);
    expect(rows.get('throughput req/s')).toEqual(['83.3', '99.9']);
    expect(rows.get('p50 ms (all)')).toEqual(['4.13', '0.875']);
    expect(rows.get('p90 ms (all)')).toEqual(['9.50', '2.25']);
    expect(rows.get('p99 ms (all)')).toEqual(['1,000', '38.5']);
    expect(rows.get('p99.9 ms (all)')).toEqual(['1,000', '251']);
    expect(rows.get('max ms (all)')).toEqual(['1,000', '2,000']);
    expect(rows.get('cost instance-s')).toEqual(['130', '396']);
  });

  it('lists consistency figures as the union of keys in first-seen order, with a dash where missing', () => {
    const text = renderTerminal(syntheticResult(), { color: false });
    const rows = tableRows(text);
    expect(rows.get('ordersNonFinal')).toEqual(['3', '0']);
    expect(rows.get('timeToFinalP50Ms')).toEqual(['12.5', '35.8']);
    expect(rows.get('staleReads')).toEqual(['–', '17']);
    const order = ['ordersNonFinal', 'timeToFinalP50Ms', 'timeToFinalP99Ms', 'staleReads'].map((key) => text.indexOf(`│ ${key} `));
    expect(order.every((position, index) => position > 0 && (index === 0 || position > order[index - 1]!))).toBe(true);
  });

  it('shows errors by code for each variant', () => {
    const rows = tableRows(renderTerminal(syntheticResult(), { color: false }));
    expect(rows.get('error timeout')).toEqual(['700', '0']);
    expect(rows.get('error refused')).toEqual(['300', '0']);
    expect(rows.get('error circuit-open')).toEqual(['0', '6']);
  });

  it('shows check results with a count, each failed check, and sometimes-coverage', () => {
    const rows = tableRows(renderTerminal(syntheticResult(), { color: false }));
    expect(rows.get('checks')).toEqual(['✗ 2 failed', '✓ all hold']);
    expect(rows.get('money conserved')).toEqual(['✗ correctness', '✓']);
    expect(rows.get('every order final')).toEqual(['✗ liveness', '✓']);
    expect(rows.get('sometimes: a breaker half-opened')).toEqual(['not reached', '✓ reached']);
  });

  it('prints identical fault schedules once, below the table', () => {
    const text = renderTerminal(syntheticResult(), { color: false });
    expect(text).toContain('faults (every variant): @20000ms for 10000ms: crash payments\n  @40000ms for 5000ms: slow inventory x4\n');
    expect(text.split('crash payments').length - 1).toBe(1);
  });

  it('prints different fault schedules per variant, in the table', () => {
    const result = syntheticResult();
    result.variants[1]!.faults = ['@1000ms: heal'];
    const text = renderTerminal(result, { color: false });
    expect(tableRows(text).get('faults')).toEqual(['@20000ms for 10000ms: crash payments', '@1000ms: heal']);
    expect(text).not.toContain('every variant');
  });

  it('ends each failure with its replay command', () => {
    const text = renderTerminal(syntheticResult(), { color: false, replayCommand });
    const failures = text.slice(text.indexOf('\nFailures\n'));
    expect(failures).toBe(
      [
        '\nFailures',
        '✗ monolith: correctness failure of money conserved at 24,500 ms',
        '  ledger total 9990 != 10000',
        '  replay: sim run scenarios/payment-outage.ts --seed 42 --variant monolith',
        '',
        '✗ monolith: liveness failure of every order final at 65,000 ms',
        '  not reached 5000 ms after faults healed: 3 orders pending',
        '  replay: sim run scenarios/payment-outage.ts --seed 42 --variant monolith',
        '',
      ].join('\n'),
    );
  });

  it('indents every line of a multi-line message (a history timeline) under its failure', () => {
    const result = syntheticResult();
    result.variants[0]!.failures = [{ kind: 'correctness', check: 'linearizable', atMs: 500, message: 'key "k": operations #0, #1 cannot be ordered\nlinearizable register, key "k": 2 operations\n#0 s1 k write 1  ├─┤' }];
    const text = renderTerminal(result, { color: false, replayCommand });
    expect(text.slice(text.indexOf('\nFailures\n')).split('\n').slice(2, 7)).toEqual([
      '✗ monolith: correctness failure of linearizable at 500 ms',
      '  key "k": operations #0, #1 cannot be ordered',
      '  linearizable register, key "k": 2 operations',
      '  #0 s1 k write 1  ├─┤',
      '  replay: sim run scenarios/payment-outage.ts --seed 42 --variant monolith',
    ]);
  });

  it('has no failure section when every check holds', () => {
    const result: ScenarioResult = { ...syntheticResult(), ok: true };
    result.variants = result.variants.map((variant) => ({ ...variant, ok: true, failures: [] }));
    const text = renderTerminal(result, { color: false, replayCommand });
    expect(text).not.toContain('Failures');
    expect(text).not.toContain('replay:');
    expect(text.split('\n')[0]).toContain('✓ all checks hold');
  });

  it('uses ANSI colour only when asked', () => {
    expect(renderTerminal(syntheticResult(), { color: false })).not.toMatch(ANSI);
    expect(renderTerminal(syntheticResult(), { color: true })).toMatch(ANSI);
  });

  it('fits 140 columns with three variants and wraps long variant names instead of cutting them', () => {
    const result = syntheticResult();
    result.variants.push({ ...result.variants[1]!, name: 'microservices-async-with-outbox-and-a-very-long-name' });
    const text = renderTerminal(result, { color: false, widthColumns: 120 });
    const tableLines = text.split('\n').filter((line) => /^[│┌└├]/.test(line));
    expect(Math.max(...tableLines.map((line) => line.length))).toBeLessThanOrEqual(120);
    expect(text).not.toContain('…');
    const headerLines = tableLines.slice(1, tableLines.findIndex((line) => line.startsWith('├')));
    expect(headerLines.length).toBeGreaterThan(1);
    const header = headerLines.map((line) => line.split('│')[4]!.trim()).join('');
    expect(header).toBe('microservices-async-with-outbox-and-a-very-long-name');
  });
});

describe('wrapName', () => {
  it('breaks after separators, and inside a word only when it must', () => {
    expect(wrapName('microservices-sync+breaker', 20)).toBe('microservices-sync+\nbreaker');
    expect(wrapName('monolith', 20)).toBe('monolith');
    expect(wrapName('abcdefghij', 4)).toBe('abcd\nefgh\nij');
  });
});
