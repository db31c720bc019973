import { describe, expect, it } from 'vitest';
import { TimelineRecorder, MAX_TIMELINE_ENTRIES_PER_KIND } from './timeline.ts';
import { TIMELINE_KINDS } from './runner.ts';
import { SERVICE_EVENT_GROUPS, SERVICE_EVENT_KINDS } from './service-events.ts';

describe('the JSON timeline', () => {
  it('takes every service event: discovery changes, breaker transitions, retries, saga steps and compensations, bus redeliveries, deploys', () => {
    for (const kind of SERVICE_EVENT_KINDS) expect(TIMELINE_KINDS).toContain(kind);
    expect(Object.keys(SERVICE_EVENT_GROUPS)).toEqual(['discovery', 'breaker', 'retry', 'saga', 'bus', 'deploy']);
    expect(SERVICE_EVENT_KINDS).toEqual(expect.arrayContaining(['discovery.register', 'breaker.state', 'retry.attempt', 'saga.step', 'saga.compensate', 'bus.redeliver', 'deploy']));
  });

  it('keeps at most a bounded number of entries per kind, so a chatty kind cannot crowd out a rare one', () => {
    const recorder = new TimelineRecorder();
    for (let index = 0; index < MAX_TIMELINE_ENTRIES_PER_KIND + 50; index++) recorder.sink({ atMs: index, kind: 'retry.attempt', node: 'api', detail: `attempt ${index}` });
    recorder.sink({ atMs: 5000, kind: 'breaker.state', node: 'api', detail: 'closed->open' });
    expect(recorder.entries).toHaveLength(MAX_TIMELINE_ENTRIES_PER_KIND + 1);
    expect(recorder.entries.at(-1)).toEqual({ atMs: 5000, kind: 'breaker.state', node: 'api', detail: 'closed->open' });
  });
});
