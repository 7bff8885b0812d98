export { makeCatalogue, type Product } from './catalogue.js';
export {
  BACKENDS,
  type BackendName,
  DEFAULT_COST_MS,
  type MallConfig,
  SERVICES,
  type ServiceName,
} from './config.js';
export type { RequestEvent } from './http.js';
export { type DemoMall, type DemoMallOptions, startDemoMall } from './server.js';
