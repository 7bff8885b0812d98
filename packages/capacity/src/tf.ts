import type * as TfModule from '@tensorflow/tfjs';

export type Tf = typeof TfModule;

export interface TfRuntime {
  tf: Tf;
  /** 'tensorflow' with the native binding, 'cpu' for plain tfjs. */
  backend: string;
  /** Why the native binding is not in use, when it was found but failed to load. */
  note?: string;
}

let runtime: Promise<TfRuntime> | undefined;

/**
 * TensorFlow.js, loaded on first use (the import alone costs ~0.4 s, which commands that never
 * fit anything should not pay). The native binding `@tensorflow/tfjs-node` is used when it
 * resolves; it is optional and not a dependency, so plain tfjs on its CPU backend is the norm.
 */
export function loadTf(): Promise<TfRuntime> {
  runtime ??= load();
  return runtime;
}

async function load(): Promise<TfRuntime> {
  // A variable specifier keeps TypeScript from requiring the optional package's types.
  const nativeName = '@tensorflow/tfjs-node';
  let note: string | undefined;
  try {
    const native = (await import(nativeName)) as Tf;
    await native.ready();
    return { tf: native, backend: native.getBackend() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND') note = `${nativeName} failed to load: ${String(error)}`;
  }
  const tf = await import('@tensorflow/tfjs');
  // The CPU backend greets Node users with an "install tfjs-node" banner on stderr; the
  // binding cannot be installed everywhere, and the banner would pollute CLI output.
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  await tf.ready();
  return note === undefined ? { tf, backend: 'cpu' } : { tf, backend: 'cpu', note };
}
