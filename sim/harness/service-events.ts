// The trace kinds that mark what the services did (not each message or request): discovery
// changes, breaker transitions, retries, saga steps and compensations, bus redeliveries, deploy
// events. Reports put them on timelines and in trace exports. The services emit them; this list only
// names them, so the engine stays free of service vocabulary.

/** Service events by what they are about, in display order. */
export const SERVICE_EVENT_GROUPS = {
  discovery: ['discovery.register', 'discovery.deregister', 'discovery.expire', 'discovery.healthy', 'discovery.unhealthy', 'discovery.failover'],
  breaker: ['breaker.state'],
  retry: ['retry.attempt', 'retry.budget-exhausted', 'retry.deadline'],
  saga: ['saga.start', 'saga.step', 'saga.compensate', 'saga.compensate-retry', 'saga.done', 'saga.failed', 'saga.deferred', 'saga.resume'],
  bus: ['bus.redeliver', 'bus.nack', 'bus.dead-letter'],
  deploy: [
    'deploy',
    'rollback',
    'scale',
    'hpa.decision',
    'pod.create',
    'pod.ready',
    'pod.unready',
    'pod.crash',
    'pod.restart',
    'pod.terminating',
    'pod.terminated',
    'pod.liveness-failed',
    'heal.crash',
    'heal.restart',
    'service.endpoint-add',
    'service.endpoint-remove',
  ],
} as const;

/** Every service event kind. */
export const SERVICE_EVENT_KINDS: readonly string[] = Object.values(SERVICE_EVENT_GROUPS).flat();
