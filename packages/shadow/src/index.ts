// @loadline/shadow — signed shadow tags for agents, and the service-side SDK.
// Peer libraries (pg, ioredis, bullmq, undici) are only imported as types here, so a
// service pulls in nothing it does not use.

export { hostAuthorities, targetAuthority } from './authority.js';
export { mergeShadowBaggage, readShadowBaggage, removeShadowBaggage } from './baggage.js';
export { parseShadowEnv, type ShadowConfig, ShadowConfigError, ShadowEnv } from './config.js';
export { currentShadow, runInShadow, runOutsideShadow, type ShadowContext } from './context.js';
export { INSTRUMENTED_MODULES, instrumentModule, instrumentNode } from './instrument.js';
export {
  LEAK_SIGNATURE_HEADER,
  LEAK_SIGNATURE_WINDOW_S,
  type LeakSignatureRejection,
  type LeakSignatureVerdict,
  type SignLeakReportInput,
  signLeakReport,
  type VerifyLeakReportInput,
  verifyLeakReport,
} from './leak-signature.js';
export {
  type ControlLeakReporterOptions,
  controlLeakReporter,
  type LeakKind,
  type LeakReport,
  type LeakReporter,
  ShadowLeakError,
} from './leaks.js';
export {
  currentTraffic,
  TRAFFIC_LABEL,
  type Traffic,
  trafficLabels,
  withTrafficLabel,
} from './metrics.js';
export { shadowExpress } from './middleware/express.js';
export { type ShadowFastifyOptions, shadowFastify } from './middleware/fastify.js';
export { patchHttpServer, shadowListener } from './middleware/http.js';
export { shadowFetch, shadowInterceptor } from './propagation/fetch.js';
export { patchHttpClient, shadowGet, shadowRequest } from './propagation/node-http.js';
export {
  JOB_TAG_KEY,
  type ShadowWorkerSet,
  shadowPrefix,
  shadowProcessor,
  shadowQueue,
  shadowQueueFor,
  shadowWorkers,
  UntrustedShadowJobError,
} from './routing/bullmq.js';
export { type InstrumentBullmqOptions, instrumentBullmq } from './routing/bullmq-guard.js';
export { type PgRoutingOptions, type Queryable, shadowPg, shadowQueryable } from './routing/pg.js';
export { type InstrumentPgOptions, instrumentPg } from './routing/pg-guard.js';
export { shadowRedis } from './routing/redis.js';
export { type InstrumentRedisOptions, instrumentRedis } from './routing/redis-guard.js';
export { SHADOW_KEY_PREFIX } from './routing/redis-keys.js';
export {
  analyzeSql,
  parseTableName,
  SHADOW_TABLE_PREFIX,
  type SqlAnalysis,
} from './routing/sql.js';
export {
  createShadow,
  type EgressEvent,
  type Shadow,
  type ShadowCounters,
  type ShadowOptions,
  type TagArrival,
  type UntrustedEvent,
  type UntrustedReason,
} from './shadow.js';
export {
  authorityBinding,
  describeTag,
  SHADOW_HEADER,
  type SignTagInput,
  shadowHeaders,
  signShadowTag,
  type TagRejection,
  type TagVerdict,
  tagBoundToHost,
  verifyShadowTag,
} from './tag.js';
