/**
 * Prometheus metrics of the webhook, on a registry of its own (one per server, so tests and
 * embedders can run several). prom-client does the exposition format and histogram bookkeeping.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface WebhookMetrics {
  registry: Registry;
  requests: Counter<'route' | 'operation' | 'kind' | 'decision'>;
  requestDuration: Histogram<'route' | 'operation' | 'kind' | 'decision'>;
  evaluationDuration: Histogram<'route'>;
  findings: Counter<'policy' | 'status'>;
  budgetExceeded: Counter<'route'>;
  tlsReloads: Counter<'result'>;
  /** Requests refused before evaluation: body too large, too many bytes in flight. */
  rejected: Counter<'reason'>;
  /** Evaluation threads stopped (at the budget, or lost) and replaced. */
  threadsReplaced: Counter<'reason'>;
  /** Request bytes held across all requests in flight. */
  inflightBytes: Gauge;
  /** 1 once the policies are compiled; summed over the workers of `serve --workers`. */
  ready: Gauge;
}

// Admission answers are expected in about a millisecond; the buckets resolve that and the tail up
// to the API server's timeout.
const latencyBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Creates the webhook's metrics; `processMetrics` adds prom-client's default process metrics. */
export function createMetrics(options: { processMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'parapet_' });
  return {
    registry,
    requests: new Counter({
      name: 'parapet_admission_requests_total',
      help: 'Admission requests answered, by route, operation, kind and decision.',
      labelNames: ['route', 'operation', 'kind', 'decision'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'parapet_admission_request_duration_seconds',
      help: 'Time to answer an admission request, by route, operation, kind and decision.',
      labelNames: ['route', 'operation', 'kind', 'decision'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    evaluationDuration: new Histogram({
      name: 'parapet_policy_evaluation_duration_seconds',
      help: 'Time spent evaluating policies for one admission request.',
      labelNames: ['route'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    findings: new Counter({
      name: 'parapet_findings_total',
      help: 'Findings raised at admission, by policy and status (dry runs excluded).',
      labelNames: ['policy', 'status'],
      registers: [registry],
    }),
    budgetExceeded: new Counter({
      name: 'parapet_evaluation_budget_exceeded_total',
      help: 'Admission requests answered with the failure decision because evaluation exceeded its budget.',
      labelNames: ['route'],
      registers: [registry],
    }),
    tlsReloads: new Counter({
      name: 'parapet_tls_reloads_total',
      help: 'TLS certificate reloads, by result (ok or error).',
      labelNames: ['result'],
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'parapet_requests_rejected_total',
      help: 'Requests refused before evaluation, by reason (body-too-large, inflight-bytes).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    threadsReplaced: new Counter({
      name: 'parapet_evaluation_threads_replaced_total',
      help: 'Evaluation threads stopped and replaced, by reason (budget-exceeded, crashed).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    inflightBytes: new Gauge({
      name: 'parapet_inflight_request_bytes',
      help: 'Request bytes held across all admission requests in flight.',
      registers: [registry],
    }),
    ready: new Gauge({
      name: 'parapet_ready_processes',
      help: 'Server processes whose policies are compiled and that answer admission requests (one per ready worker).',
      registers: [registry],
    }),
  };
}
