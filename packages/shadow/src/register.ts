// Zero-code adoption: `node --import @loadline/shadow/register app.js` (or NODE_OPTIONS).
// Reads the LOADLINE_* environment once, patches node:http/https and fetch now, and hooks
// pg / ioredis / bullmq as they load — ESM imports through import-in-the-middle's loader
// (registered with module.register), CommonJS requires through require-in-the-middle —
// the way OpenTelemetry's auto-instrumentation does.
import { register } from 'node:module';
import { createAddHookMessageChannel, Hook as EsmHook } from 'import-in-the-middle';
import { Hook as CjsHook } from 'require-in-the-middle';
import { parseShadowEnv } from './config.js';
import { INSTRUMENTED_MODULES, instrumentModule, instrumentNode } from './instrument.js';
import { controlLeakReporter } from './leaks.js';
import { createShadow } from './shadow.js';

const config = parseShadowEnv(process.env);
const shadow = createShadow({
  secret: config.secret,
  tables: config.tables,
  internalHosts: config.internalHosts,
  service: config.service,
  leakReporter: config.controlUrl
    ? controlLeakReporter({ controlUrl: config.controlUrl, secret: config.secret })
    : undefined,
});

instrumentNode(shadow);

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

const modules = [...INSTRUMENTED_MODULES];
new CjsHook(modules, (exports, name) => {
  instrumentModule(shadow, name, exports);
  return exports;
});
new EsmHook(modules, (exports, name) => {
  instrumentModule(shadow, name, exports);
});

// The loader runs on its own thread: wait until it knows which modules to wrap, or the
// app's first static imports could slip past unwrapped.
await waitForAllMessagesAcknowledged();

export { shadow };
