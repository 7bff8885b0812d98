import { z } from 'zod';

// What `loadline capacity validate --json` found: the plan run at the forecast, per service
// whether its SLO held and how far the plan's own predictions were off. One shape for the
// command that writes it and the console that shows it.

/** What validation found for one service. */
export const ServiceValidation = z.object({
  service: z.string(),
  instances: z.number().int().nonnegative(),
  /**
   * p99 of every request the service's instances answered in the window: from their
   * Prometheus histograms, buckets summed over instances and seconds (a percentile of
   * per-second percentiles would weigh a quiet second like a busy one)
   */
  p99Ms: z.number().nullable(),
  sloP99Ms: z.number().nullable(),
  /** mean CPU share of an instance's cores */
  cpu: z.number().nullable(),
  cpuCeiling: z.number().nullable(),
  held: z.boolean(),
  /** what the plan expected of each instance: the forecast's required QPS over the instances */
  predictedQpsPerInstance: z.number().nullable(),
  /** what each instance served, on average over the window */
  measuredQpsPerInstance: z.number().nullable(),
  /** CPU share the model's CPU-vs-QPS line gives at the predicted QPS */
  predictedCpu: z.number().nullable(),
  /** the plan's utilisation error: (measured − predicted) ÷ predicted CPU */
  cpuError: z.number().nullable(),
});
export type ServiceValidation = z.infer<typeof ServiceValidation>;

export const PlanValidation = z.object({
  /** every service held its SLO and under 1 % of requests failed */
  held: z.boolean(),
  /** instances run per service (the plan's machines) */
  instances: z.record(z.string(), z.number().int().nonnegative()),
  requests: z.number().nonnegative(),
  errorRate: z.number().min(0).max(1),
  services: z.array(ServiceValidation),
});
export type PlanValidation = z.infer<typeof PlanValidation>;
