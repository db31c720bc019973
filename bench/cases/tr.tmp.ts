import { Trace } from '../../sim/engine/trace.ts';
const tr = new Trace();
for (let r = 0; r < 4; r++) {
  let t = performance.now(); let now = r * 1e6;
  for (let i = 0; i < 1e6; i++) { now += 1.1; tr.recordSpan(i, i + 7, undefined, 'server', 'serve', now - 3.3, now, 'ok', undefined, 'ok'); }
  const a = performance.now() - t; t = performance.now();
  for (let i = 0; i < 1e6; i++) { now += 1.1; tr.emit(now, 'msg.delivered', 'server', 'client', i, 'serve'); }
  console.log('recordSpan ns', a.toFixed(0), 'emit ns', (performance.now() - t).toFixed(0));
}
