/**
 * Prometheus metrics per service instance: request counts and a latency histogram by
 * route and status, the CPU its cost work used, plus the process metrics (CPU, memory,
 * event loop) every instance of this process shares. Request and job metrics carry
 * `traffic="production"|"shadow"` (the SDK's label): production dashboards filter on
 * `traffic="production"`. No SDK import here: the zero-code payment process uses it too.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The values of the `traffic` label (as `@loadline/shadow`'s TRAFFIC_LABEL). */
export type Traffic = 'production' | 'shadow';

export interface InstanceMetrics {
  registry: Registry;
  observe(method: string, route: string, status: number, seconds: number, traffic: Traffic): void;
  countJob(queue: string, outcome: 'completed' | 'failed', traffic: Traffic): void;
}

let processRegistry: Registry | undefined;

/** Default metrics are collected once per process, however many instances it runs. */
function sharedProcessRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createMetrics(
  service: string,
  instance: number,
  cpuSeconds: () => number,
): InstanceMetrics {
  sharedProcessRegistry();
  const registry = new Registry();
  registry.setDefaultLabels({ service, instance: String(instance) });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status', 'traffic'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request arrival to the end of the response',
    labelNames: ['method', 'route', 'status', 'traffic'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const jobs = new Counter({
    name: 'queue_jobs_total',
    help: 'Queue jobs this instance processed, by queue and outcome',
    labelNames: ['queue', 'outcome', 'traffic'],
    registers: [registry],
  });
  new Counter({
    name: 'demo_cost_cpu_seconds_total',
    help: 'Seconds the CPU worker of this instance was busy with the per-request cost',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cpuSeconds());
    },
  });
  return {
    registry,
    observe(method, route, status, seconds, traffic) {
      const labels = { method, route, status: String(status), traffic };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    countJob(queue, outcome, traffic) {
      jobs.inc({ queue, outcome, traffic });
    },
  };
}

export async function metricsText(
  metrics: InstanceMetrics,
): Promise<{ contentType: string; body: string }> {
  const shared = sharedProcessRegistry();
  const [own, process] = await Promise.all([metrics.registry.metrics(), shared.metrics()]);
  return { contentType: metrics.registry.contentType, body: `${own}\n${process}` };
}
