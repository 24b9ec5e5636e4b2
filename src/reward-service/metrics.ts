/** The service's Prometheus metrics (prom-client), in a registry of its own. */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ScoringPool } from './pool.ts';

export interface ServiceMetrics {
  registry: Registry;
  requests: Counter<'route' | 'status'>;
  items: Counter<'route'>;
  latency: Histogram<'route'>;
}

export function serviceMetrics(pool: ScoringPool, heldBytes: () => number): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rlvr_reward_' });
  // The pool keeps its own tallies; these read them at scrape time.
  const total = (name: string, help: string, read: () => number) => {
    let last = 0;
    return new Counter({ name, help, registers: [registry], collect() { const v = read(); this.inc(v - last); last = v; } });
  };
  const gauge = (name: string, help: string, read: () => number) => new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  total('rlvr_reward_item_timeouts_total', 'Items answered with the fallback score after running past the time limit.', () => pool.counters.timeouts);
  total('rlvr_reward_item_errors_total', 'Items answered with the fallback score because scoring failed.', () => pool.counters.errors);
  total('rlvr_reward_worker_restarts_total', 'Worker threads terminated (timeout) or crashed, and replaced.', () => pool.counters.workerRestarts);
  total('rlvr_reward_item_retries_total', 'Items retried after their worker crashed.', () => pool.counters.retries);
  gauge('rlvr_reward_queue_depth', 'Items waiting for a worker.', () => pool.queued);
  gauge('rlvr_reward_pending_items', 'Items accepted and not yet answered.', () => pool.pending);
  gauge('rlvr_reward_held_bytes', 'Request-body bytes held: bodies being read, parsed, or waiting for their answers.', heldBytes);
  return {
    registry,
    requests: new Counter({ name: 'rlvr_reward_requests_total', help: 'HTTP requests by route and status.', labelNames: ['route', 'status'], registers: [registry] }),
    items: new Counter({ name: 'rlvr_reward_items_total', help: 'Items scored by route.', labelNames: ['route'], registers: [registry] }),
    latency: new Histogram({
      name: 'rlvr_reward_request_duration_seconds',
      help: 'Request latency by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
