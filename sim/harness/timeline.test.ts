// Tests for the run's timeline: which kinds it keeps (the engine's own plus what services
// register), and the per-kind bound that keeps a chatty kind from crowding out a rare one.
import { describe, expect, it } from 'vitest';
import { registerTimelineKinds, timelineKinds } from './timeline.ts';
import { TimelineRecorder, MAX_TIMELINE_ENTRIES_PER_KIND } from './timeline-recorder.ts';
import '../../services/index.ts';

describe('the JSON timeline', () => {
  it('keeps node and fault events, and every service event the services registered: discovery, breaker, retries, sagas, bus, deploys', () => {
    expect(timelineKinds().slice(0, 6)).toEqual(['fault', 'fault.end', 'node.crash', 'node.restart', 'node.pause', 'node.resume']);
    expect(timelineKinds()).toEqual(expect.arrayContaining(['discovery.register', 'breaker.state', 'retry.attempt', 'saga.step', 'saga.compensate', 'bus.redeliver', 'deploy', 'pod.ready']));
  });

  it('adds a registered kind once, however often it is registered', () => {
    registerTimelineKinds('breaker.state', 'breaker.state');
    expect(timelineKinds().filter((kind) => kind === 'breaker.state')).toHaveLength(1);
  });

  it('keeps at most a bounded number of entries per kind, so a chatty kind cannot crowd out a rare one', () => {
    const recorder = new TimelineRecorder();
    for (let index = 0; index < MAX_TIMELINE_ENTRIES_PER_KIND + 50; index++) recorder.sink({ atMs: index, kind: 'retry.attempt', node: 'api', detail: `attempt ${index}` });
    recorder.sink({ atMs: 5000, kind: 'breaker.state', node: 'api', detail: 'closed->open' });
    expect(recorder.entries).toHaveLength(MAX_TIMELINE_ENTRIES_PER_KIND + 1);
    expect(recorder.entries.at(-1)).toEqual({ atMs: 5000, kind: 'breaker.state', node: 'api', detail: 'closed->open' });
  });
});
