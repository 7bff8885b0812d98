export { Control, type ControlConfig, configFromEnv } from './control.js';
export { planShards } from './coordinator.js';
export {
  type MetricsTarget,
  type TargetMetricRow,
  TargetScraper,
} from './metrics/scraper.js';
