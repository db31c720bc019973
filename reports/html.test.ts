// Tests for reports/html.ts: the page's sections and charts, escaping of scenario text, no
// external resources, deterministic output, and the atomic file write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml, renderHtmlFile } from './html.ts';
import { toJsonText } from './json.ts';
import { syntheticResult } from './fixtures.ts';
import type { ScenarioResult } from '../sim/harness/result.ts';

const replayCommand = (variant: string): string => `sim run scenarios/payment-outage.ts --seed 42 --variant ${variant}`;

/** The inner HTML of `<section id="…">`. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  if (start === -1) return '';
  return html.slice(start, html.indexOf('</section>', start));
}

let page = '';
beforeAll(async () => {
  // Rendered once and shared: Vega takes a few hundred ms per page.
  page = await renderHtml(syntheticResult(), { replayCommand });
});

describe('renderHtml', () => {
  it('is one self-contained page with a header naming scenario, description, seed and verdict', () => {
    expect(page.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<title>payment-outage — seed 42</title>');
    const header = page.slice(page.indexOf('<header>'), page.indexOf('</header>'));
    expect(header).toContain('<h1>payment-outage<span class="verdict fail">✗ 2 failures</span></h1>');
    expect(header).toContain('<p class="description">Payments crashes for 10 s; inventory slows down. Does the shop stay up?</p>');
    expect(header).toContain('<dt>seed</dt><dd>42</dd>');
  });

  it('shows the summary table with the same strings as the terminal', () => {
    const summary = section(page, 'summary');
    expect(summary).toContain('<th scope="col">monolith</th><th scope="col">microservices-sync+breaker</th>');
    expect(summary).toContain('<th scope="row">p99 ms (all)</th><td class="plain">1,000</td><td class="plain">38.5</td>');
    expect(summary).toContain('<th scope="row">availability</th><td class="plain">83.33%</td><td class="plain">99.90%</td>');
    expect(summary).toContain('<th scope="row">staleReads</th><td class="muted">–</td><td class="plain">17</td>');
    expect(summary).toContain('<td class="spanning plain" colspan="2"><pre>@20000ms for 10000ms: crash payments\n@40000ms for 5000ms: slow inventory x4</pre></td>');
  });

  it('lists failures with their replay commands', () => {
    const failures = section(page, 'failures');
    expect(failures.match(/class="failure"/g)).toHaveLength(2);
    expect(failures).toContain('<strong>money conserved</strong> at 24,500 ms');
    expect(failures).toContain('<code>sim run scenarios/payment-outage.ts --seed 42 --variant monolith</code>');
  });

  it('draws a failure that carries a history witness as a chart, with the summary line of its message', async () => {
    const result = syntheticResult();
    result.variants[0]!.failures = [
      {
        kind: 'correctness',
        check: 'linearizable',
        atMs: 500,
        message: 'key "k": operations #0, #1 cannot be ordered\nlinearizable register, key "k": 2 operations\n#0 s1 k write 1  ├─┤',
        witness: {
          model: 'linearizable register, key "k"',
          operations: [
            { id: 0, process: 's1', kind: 'write', key: 'k', text: 'write 1 @v1', invokeMs: 0, completeMs: 10, outcome: 'ok' },
            { id: 1, process: 's2', kind: 'read', key: 'k', text: 'read → nil @v0', invokeMs: 20, completeMs: 30, outcome: 'ok' },
          ],
        },
      },
    ];
    const failures = section(await renderHtml(result, { replayCommand }), 'failures');
    expect(failures).toContain('<div class="message">key &quot;k&quot;: operations #0, #1 cannot be ordered</div><div class="chart"><svg xmlns="http://www.w3.org/2000/svg"');
    expect(failures).toMatch(/<text[^>]*>#1 s2 k read → nil @v0<\/text>/);
    expect(failures).not.toContain('├─┤');
    expect(failures).not.toContain('could not be drawn');
  });

  it('draws every chart as inline SVG', () => {
    for (const id of ['latency', 'throughput', 'breakers', 'consistency', 'comparison']) {
      const content = section(page, id);
      expect({ id, svg: content.includes('<div class="chart"><svg xmlns="http://www.w3.org/2000/svg"') }).toEqual({ id, svg: true });
      expect({ id, failed: content.includes('could not be drawn') }).toEqual({ id, failed: false });
    }
    expect(page.match(/<svg /g)).toHaveLength(5);
  });

  it('shows the data in the charts: variant names, fault labels, breaker states, consistency figures', () => {
    expect(section(page, 'latency')).toContain('<li><strong>F1</strong> @20000ms for 10000ms: crash payments</li>');
    expect(section(page, 'latency')).toMatch(/<text[^>]*>F2<\/text>/);
    expect(section(page, 'breakers')).toMatch(/<text[^>]*>microservices-sync\+breaker · orders<\/text>/);
    expect(section(page, 'breakers')).toMatch(/<text[^>]*>half-open<\/text>/);
    expect(section(page, 'consistency')).toMatch(/<text[^>]*>timeToFinalP99Ms<\/text>/);
    expect(section(page, 'consistency')).toMatch(/<text[^>]*>2,890 ms<\/text>/);
    expect(section(page, 'comparison')).toMatch(/<text[^>]*>99\.90%<\/text>/);
  });

  it('loads nothing from outside: no scripts, links, external images, fonts or imports', () => {
    expect(page).not.toMatch(/<script|<link|<iframe|<img|@import|@font-face|url\(\s*['"]?(https?:)?\/\//i);
    expect(page).not.toMatch(/\s(src|href)="(?!#)/);
  });

  it('gives chart element ids a per-chart prefix, so no id repeats on the page', () => {
    const ids = [...page.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]!);
    expect(new Set(ids).size).toBe(ids.length);
    for (const match of page.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(match[1]);
  });

  it('renders the same result to the same page every time', async () => {
    expect(await renderHtml(syntheticResult(), { replayCommand })).toBe(page);
  });

  it('escapes every string that comes from the scenario', async () => {
    const result = syntheticResult({ scenario: '<script>alert(1)</script>', variantNames: ['<img src=x onerror=alert(2)>', 'a&b"c\'d'] });
    result.description = '<b>bold</b> & "quoted"';
    result.variants[0]!.failures[0] = { kind: 'correctness', check: '<i>check</i>', atMs: 1, message: '</section><script>alert(3)</script>' };
    result.variants[0]!.faults = ['@0ms: crash <payments>'];
    result.variants[0]!.metrics.consistency = { '<key>': 1 };
    result.variants[1]!.timeline = [{ atMs: 1, kind: 'breaker.state', node: '<node>', detail: 'closed->open' }];
    const html = await renderHtml(result, { replayCommand: (variant) => `sim run x.ts --variant '${variant}'` });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>bold');
    expect(html).not.toContain('<i>check');
    expect(html).not.toContain('<payments>');
    expect(html).not.toContain('<key>');
    expect(html).not.toContain('<node>');
    expect(html).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;<span');
    expect(html).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt; — seed 42</title>');
    expect(html).toContain('<p class="description">&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;</p>');
    expect(html).toContain('<th scope="col">a&amp;b&quot;c&#39;d</th>');
    expect(html).toContain('&lt;/section&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(html).toContain('<code>sim run x.ts --variant &#39;&lt;img src=x onerror=alert(2)&gt;&#39;</code>');
    // The charts carry the names too; Vega escapes SVG text.
    expect(html).toMatch(/<text[^>]*>&lt;img src=x onerror=alert\(2\)&gt;<\/text>/);
    expect(html.match(/<section id="/g)).toHaveLength(7);
  });

  it('says so in a note when no breaker changed state and no time to consistency was reported', async () => {
    const result = syntheticResult({ breakerTimeline: false });
    for (const variant of result.variants) variant.metrics.consistency = { ordersNonFinal: 0 };
    const html = await renderHtml(result);
    expect(section(html, 'breakers')).toContain('<p class="note">No circuit breaker changed state in this run');
    expect(section(html, 'breakers')).not.toContain('<svg');
    expect(section(html, 'consistency')).toContain('<p class="note">No variant reported a time-to-consistency figure');
    expect(section(html, 'consistency')).not.toContain('<svg');
  });

  it('renders a result read back from its JSON (as `sim report` does) and a passing result without failures', async () => {
    const result = syntheticResult();
    result.ok = true;
    for (const variant of result.variants) {
      variant.ok = true;
      variant.failures = [];
    }
    const html = await renderHtml(JSON.parse(toJsonText(result)) as ScenarioResult);
    expect(html).toContain('<span class="verdict pass">✓ all checks hold</span>');
    expect(html).not.toContain('<section id="failures">');
    expect(html.match(/<svg /g)).toHaveLength(5);
  });
});

describe('renderHtmlFile', () => {
  let directory = '';
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'dsim-html-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes the page to the path and leaves no temporary file', async () => {
    const path = join(directory, 'report.html');
    await renderHtmlFile(syntheticResult(), path, { replayCommand });
    expect(await readFile(path, 'utf8')).toBe(page);
    expect(await readdir(directory)).toEqual(['report.html']);
  });
});
