// The shadow context lives in AsyncLocalStorage so that every await, timer and callback
// started while handling a tagged request sees it without threading it through calls.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ShadowContext {
  runId: string;
  /** The verified tag, forwarded unchanged on internal calls and jobs. */
  tag: string;
}

// One store per process even if two copies of this package get loaded (e.g. the
// preload's copy and the app's copy): the context must be shared or routing silently
// stops at the package boundary.
const KEY = Symbol.for('loadline.shadow.context');
const storage: AsyncLocalStorage<ShadowContext> =
  (Reflect.get(globalThis, KEY) as AsyncLocalStorage<ShadowContext> | undefined) ??
  new AsyncLocalStorage();
Reflect.set(globalThis, KEY, storage);

export function currentShadow(): ShadowContext | undefined {
  return storage.getStore();
}

export function runInShadow<T>(ctx: ShadowContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Runs `fn` as production traffic, e.g. housekeeping started from inside a tagged request. */
export function runOutsideShadow<T>(fn: () => T): T {
  return storage.exit(fn);
}
