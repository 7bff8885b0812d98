/**
 * k6's small modules, built per VU over the run's shared state: k6 (check, group, sleep,
 * fail), k6/metrics, k6/execution, k6/encoding, k6/crypto, k6/data and k6/html. k6/http is
 * in http.ts.
 */
import { createHash, createHmac, getHashes, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { load as loadHtml } from 'cheerio';
import { bytesOf, toArrayBuffer } from './bytes.js';
import type { Tags } from './metrics.js';
import type { Vu } from './vu.js';

/** Thrown by `exec.test.abort()`: ends the whole run (exit 108). */
export class TestAbort extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestAbort';
  }
}

/** Ends the iteration because the run or the VU's share of it is stopping. */
export class IterationInterrupted extends Error {
  constructor() {
    super('iteration interrupted');
    this.name = 'IterationInterrupted';
  }
}

function toBytes(input: unknown): Buffer {
  const bytes =
    bytesOf(input) ?? (Array.isArray(input) ? Buffer.from(input as number[]) : undefined);
  if (!bytes) throw new TypeError(`expected a string or ArrayBuffer, got ${typeof input}`);
  return bytes;
}

export function k6Module(vu: Vu) {
  const runtime = vu.runtime;
  const check = (value: unknown, sets: Record<string, unknown>, tags?: Tags): boolean => {
    let all = true;
    for (const [name, predicate] of Object.entries(sets ?? {})) {
      const passed = Boolean(typeof predicate === 'function' ? predicate(value) : predicate);
      all &&= passed;
      runtime.metric('checks', passed ? 1 : 0, { ...vu.tagsNow(), ...tags, check: name });
      runtime.recordCheck(vu.groupPath, name, passed);
    }
    return all;
  };
  const group = async (name: string, fn: () => unknown): Promise<unknown> => {
    if (typeof fn !== 'function') throw new TypeError('group() needs a function');
    if (name.includes('::')) throw new Error(`group name "${name}" cannot contain "::"`);
    const outer = vu.groupPath;
    vu.groupPath = `${outer}::${name}`;
    runtime.recordGroup(vu.groupPath);
    const started = performance.now();
    try {
      return await fn();
    } finally {
      runtime.metric('group_duration', performance.now() - started, vu.tagsNow());
      vu.groupPath = outer;
    }
  };
  const sleep = async (seconds: number): Promise<void> => {
    vu.assertInVuCode('sleep');
    vu.pending = 'sleep';
    const ms = Number(seconds) * 1000;
    if (!(ms > 0)) return;
    try {
      await delay(ms, undefined, { signal: vu.signal });
    } catch {
      throw new IterationInterrupted();
    }
  };
  const fail = (message = ''): never => {
    throw new Error(message);
  };
  const module = { check, group, sleep, fail, randomSeed: (_seed: number) => undefined };
  return module;
}

export function metricsModule(vu: Vu) {
  const runtime = vu.runtime;
  const make = (type: 'counter' | 'gauge' | 'rate' | 'trend') =>
    class {
      readonly name: string;
      constructor(name: string, isTime = false) {
        if (vu.phase !== 'init') {
          throw new Error('metrics must be declared in the init context');
        }
        this.name = name;
        runtime.registry.define(name, type, type === 'trend' && isTime ? 'time' : 'default');
      }
      add(value: number | boolean, tags?: Tags): boolean {
        const number = typeof value === 'boolean' ? Number(value) : Number(value);
        if (!Number.isFinite(number)) {
          throw new TypeError(`${this.name}.add(): "${value}" is not a number`);
        }
        runtime.metric(this.name, number, { ...vu.tagsNow(), ...tags });
        return true;
      }
    };
  return {
    Counter: make('counter'),
    Gauge: make('gauge'),
    Rate: make('rate'),
    Trend: make('trend'),
  };
}

export function executionModule(vu: Vu) {
  const runtime = vu.runtime;
  return {
    get vu() {
      return {
        idInInstance: vu.idInInstance,
        idInTest: vu.id,
        iterationInInstance: vu.iterationInInstance,
        iterationInScenario: vu.iteration,
        tags: vu.tags,
        metrics: { tags: vu.tags, metadata: {} },
      };
    },
    get scenario() {
      const scenario = vu.scenario;
      if (!scenario) throw new Error('exec.scenario is only available inside VU code');
      return {
        name: scenario.name,
        executor: scenario.executor,
        startTime: scenario.startedAt,
        progress: scenario.progress(),
        iterationInInstance: vu.scenarioIteration,
        iterationInTest: vu.scenarioIteration,
      };
    },
    get instance() {
      return {
        vusActive: runtime.vusActive,
        vusInitialized: runtime.vusInitialized,
        iterationsCompleted: runtime.iterationsCompleted,
        iterationsInterrupted: runtime.iterationsInterrupted,
        currentTestRunDuration: runtime.elapsedMs(),
      };
    },
    test: {
      abort(message = 'test aborted') {
        runtime.abortTest(message);
        throw new TestAbort(message);
      },
      fail(message = 'test failed') {
        runtime.failTest(message);
      },
      get options() {
        return runtime.scriptOptions;
      },
    },
  };
}

type Encoding = 'std' | 'rawstd' | 'url' | 'rawurl';

export const encodingModule = {
  b64encode(input: unknown, encoding: Encoding = 'std'): string {
    const text = toBytes(input).toString(encoding.includes('url') ? 'base64url' : 'base64');
    const raw = encoding.startsWith('raw') || encoding === 'url';
    if (encoding === 'url') return text.padEnd(Math.ceil(text.length / 4) * 4, '=');
    return raw ? text.replace(/=+$/, '') : text;
  },
  b64decode(input: string, encoding: Encoding = 'std', format?: 's'): string | ArrayBuffer {
    const bytes = Buffer.from(input, encoding.includes('url') ? 'base64url' : 'base64');
    return format === 's' ? bytes.toString('utf8') : toArrayBuffer(bytes);
  },
};

const HASHES: Record<string, string> = {
  md4: 'md4',
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha512_224: 'sha512-224',
  sha512_256: 'sha512-256',
  ripemd160: 'ripemd160',
};

function algorithmOf(name: string): string {
  const algorithm = HASHES[name] ?? name;
  if (!getHashes().includes(algorithm)) throw new Error(`crypto: unsupported hash "${name}"`);
  return algorithm;
}

function encodeDigest(bytes: Buffer, encoding: string): string | ArrayBuffer {
  switch (encoding) {
    case 'hex':
      return bytes.toString('hex');
    case 'base64':
      return bytes.toString('base64');
    case 'base64url':
      return bytes.toString('base64url').padEnd(Math.ceil(bytes.length / 3) * 4, '=');
    case 'base64rawurl':
      return bytes.toString('base64url');
    case 'binary':
      return toArrayBuffer(bytes);
    default:
      throw new Error(`crypto: unsupported output encoding "${encoding}"`);
  }
}

function hasher(update: (data: Buffer) => void, digest: () => Buffer) {
  return {
    update(data: unknown) {
      update(toBytes(data));
    },
    digest(encoding = 'hex') {
      return encodeDigest(digest(), encoding);
    },
  };
}

export const cryptoModule = {
  ...Object.fromEntries(
    Object.keys(HASHES).map((name) => [
      name,
      (input: unknown, encoding = 'hex') =>
        encodeDigest(createHash(algorithmOf(name)).update(toBytes(input)).digest(), encoding),
    ]),
  ),
  hmac(algorithm: string, secret: unknown, data: unknown, encoding = 'hex') {
    return encodeDigest(
      createHmac(algorithmOf(algorithm), toBytes(secret)).update(toBytes(data)).digest(),
      encoding,
    );
  },
  createHash(algorithm: string) {
    const hash = createHash(algorithmOf(algorithm));
    return hasher(
      (d) => hash.update(d),
      () => hash.digest(),
    );
  },
  createHMAC(algorithm: string, secret: unknown) {
    const hmac = createHmac(algorithmOf(algorithm), toBytes(secret));
    return hasher(
      (d) => hmac.update(d),
      () => hmac.digest(),
    );
  },
  randomBytes(size: number) {
    return toArrayBuffer(randomBytes(size));
  },
};

export function dataModule(vu: Vu) {
  const runtime = vu.runtime;
  /** One frozen copy per process however many VUs: k6's SharedArray. */
  function SharedArray(name: string, load: () => unknown[]) {
    if (vu.phase !== 'init') throw new Error('SharedArray can only be created in the init context');
    if (typeof load !== 'function')
      throw new TypeError('SharedArray needs a function returning an array');
    return runtime.sharedArray(name, load);
  }
  return { SharedArray };
}

/** k6/html's parseHTML over cheerio: jQuery-style selections, as goquery's are. */
export function parseHTML(source: string) {
  const $ = loadHtml(source);
  return $.root();
}
