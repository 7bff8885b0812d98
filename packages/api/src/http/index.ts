// The control API's contract: request and response schemas, the route table, the OpenAPI
// document generated from it, and the typed client. Browser-safe (no node: imports).
export * from './access.js';
export * from './account.js';
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
  type ControlApi,
  controlApi,
  MAX_CORPUS_BYTES,
  MAX_CORPUS_JSON_BYTES,
  type RouteName,
} from './contract.js';
export { openApiDocument } from './openapi.js';
export * from './resources.js';
export type {
  BodyOf,
  Document,
  EventStream,
  Redirect,
  ResponseOf,
  RouteContract,
} from './route.js';
