// Renders a Vega-Lite chart to an SVG string in Node, offline: vega-lite compiles it to Vega, Vega
// lays it out headless (text widths estimated, no `canvas` package) and writes SVG markup.
// Vega is imported on first use (it takes ~0.6 s to load), so importing the reports costs a
// command that draws no chart nothing.
import type { TopLevelSpec } from 'vega-lite';
import type { Loader } from 'vega';

/** A rendered chart and what Vega or Vega-Lite complained about while making it. */
export interface RenderedSvg {
  /** SVG markup with every element id prefixed, so several charts can share one HTML page. */
  svg: string;
  /** Warnings and errors logged during compile and render (empty for a correct spec). */
  warnings: string[];
}

/** A logger that keeps messages instead of printing them: reports must not write to the console. */
function collectingLogger(messages: string[]) {
  let level = 2;
  const keep = (prefix: string) =>
    function (this: unknown, ...args: unknown[]) {
      messages.push(`${prefix}: ${args.map(String).join(' ')}`);
      return logger;
    };
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error: keep('error'),
    warn: keep('warn'),
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

/** A loader that refuses every fetch: charts carry their data inline, and a report never touches the network. */
const offlineLoader: Loader = {
  load: (uri) => Promise.reject(new Error(`report charts load nothing; refused ${uri}`)),
  sanitize: (uri) => Promise.reject(new Error(`report charts load nothing; refused ${uri}`)),
  http: (uri) => Promise.reject(new Error(`report charts load nothing; refused ${uri}`)),
  file: (filename) => Promise.reject(new Error(`report charts load nothing; refused ${filename}`)),
};

/**
 * Gives every `id` in an SVG the prefix `${prefix}-` followed by its order of appearance, and
 * rewrites references to it. Inline SVGs share the page's id namespace, and Vega numbers clip
 * paths with a process-wide counter: without this two charts could collide, and the same result
 * rendered twice in one process would give different markup.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  const renamed = new Map<string, string>();
  svg.replace(/\sid="([^"]+)"/g, (match, id: string) => {
    if (!renamed.has(id)) renamed.set(id, `${prefix}-${renamed.size + 1}`);
    return match;
  });
  if (renamed.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (match, open: string, id: string, close: string) => `${open}${renamed.get(id) ?? id}${close}`)
    .replace(/url\(#([^)]+)\)/g, (match, id: string) => (renamed.has(id) ? `url(#${renamed.get(id)})` : match))
    .replace(/(href=")#([^"]+)(")/g, (match, open: string, id: string, close: string) => (renamed.has(id) ? `${open}#${renamed.get(id)}${close}` : match));
}

/** Compiles a Vega-Lite spec and renders it to SVG; `idPrefix` must be unique within the page. */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<RenderedSvg> {
  const [{ compile }, { View, parse }] = await Promise.all([import('vega-lite'), import('vega')]);
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const vegaSpec = compile(spec, { logger }).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none', loader: offlineLoader, logger, logLevel: 2 });
  try {
    const svg = await view.toSVG();
    return { svg: prefixSvgIds(svg, idPrefix), warnings };
  } finally {
    view.finalize();
  }
}
