// The control API's contract: request and response schemas, the route table, the OpenAPI
// document generated from it, and the typed client. Browser-safe (no node: imports).
export * from './bodies.js';
export {
  ApiProblem,
  ApiUnreachable,
  type CallOptions,
  ContractViolation,
  ControlApiClient,
  parseResponse,
  pathOf,
} from './client.js';
export {
  type BodyOf,
  type ControlApi,
  controlApi,
  type Document,
  type EventStream,
  MAX_CORPUS_BYTES,
  Permission,
  type ResponseOf,
  type RouteContract,
  type RouteName,
} from './contract.js';
export { openApiDocument } from './openapi.js';
export * from './resources.js';
