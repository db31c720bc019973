// Trace exports as streaming collectors: a sink that watches a run's trace events and keeps only
// the spans (and a few instants) it needs, and a `finish()` that writes the export file's text.
// The formats live in chrome-trace.ts (Perfetto) and otlp-trace.ts (Jaeger); this file ties them.
import type { TraceExportCollector } from './trace-collector.ts';
import { createChromeTraceCollector, type ChromeTraceOptions } from './chrome-trace.ts';
import { createOtlpCollector, type OtlpOptions } from './otlp-trace.ts';

/** Export formats: `chrome` (Chrome trace event format, for Perfetto) and `otlp` (OTLP JSON, for Jaeger). */
export type TraceExportFormat = 'chrome' | 'otlp';

/** Options for either format; each reads its own. */
export type TraceExportOptions = ChromeTraceOptions & OtlpOptions;

/** Creates a collector for `format`. */
export function createTraceCollector(format: TraceExportFormat, options: TraceExportOptions = {}): TraceExportCollector {
  return format === 'chrome' ? createChromeTraceCollector(options) : createOtlpCollector(options);
}

export { createChromeTraceCollector, createOtlpCollector, type TraceExportCollector };
