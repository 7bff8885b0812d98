import type { ReplayModel, ReplaySend } from '@loadline/api';
import { endpointOf, serializeRaw } from '../request.js';
import type { CompiledPlan, CompiledStep } from './compile.js';

/**
 * Captured headers the replay must not send as they were: `host` comes from the target,
 * length and framing from the body as sent, the rest describe the original connection.
 */
const RECOMPUTED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

function replayStep(name: string): CompiledStep {
  return {
    name,
    flow: name,
    method: name.split(' ')[0] ?? 'GET',
    extract: [],
    check: undefined,
    thinkMs: 0,
    capture: false,
    dynamic: true,
    render: () => {
      // Every replay send carries its own serialised request (see replayRequest).
      throw new Error(`replay step "${name}" has no template to render`);
    },
  };
}

/**
 * What the runner executes for a replay shard: one single-step flow per step name (the
 * request's method and path template), so per-endpoint figures come out as steps.
 */
export function compileReplay(
  name: string,
  target: string | URL,
  model: Pick<ReplayModel, 'steps' | 'sends'>,
): CompiledPlan {
  const url = new URL(target);
  const counts = new Array<number>(model.steps.length).fill(0);
  for (const send of model.sends) counts[send.step] = (counts[send.step] ?? 0) + 1;
  const total = model.sends.length;
  return {
    name,
    target: url,
    endpoint: endpointOf(url),
    flows: model.steps.map((step) => ({
      name: step,
      weight: 1,
      steps: [replayStep(step)],
      feeders: [],
    })),
    intendedMix: Object.fromEntries(
      model.steps.map((step, i) => [step, total === 0 ? 0 : (counts[i] ?? 0) / total]),
    ),
    feeders: {},
  };
}

/**
 * The exact captured request for the target: method, path (under the target's base
 * path), headers and body as captured; `host` and framing recomputed; `extraHeaders`
 * (the shadow tag) replace captured headers of the same name.
 */
export function replayRequest(
  send: ReplaySend,
  target: URL,
  extraHeaders: ReadonlyArray<readonly [string, string]>,
): Buffer {
  const extra = new Set(extraHeaders.map(([header]) => header.toLowerCase()));
  const headers: Array<readonly [string, string]> = send.headers.filter(([header]) => {
    const lower = header.toLowerCase();
    return !RECOMPUTED.has(lower) && !extra.has(lower);
  });
  headers.push(...extraHeaders);
  const body =
    send.body === undefined ? undefined : Buffer.from(send.body, send.bodyEncoding ?? 'utf8');
  const basePath = target.pathname.replace(/\/$/, '');
  return serializeRaw(send.method, basePath + send.path, target.host, headers, body);
}

/** The sends of a shard as an arrival source: offsets in order, and the send now due. */
export class ReplayArrivals {
  readonly totalMs: number;
  readonly #sends: ReadonlyArray<ReplaySend>;
  #index = 0;
  /** The send whose offset next() returned last. */
  current: ReplaySend | undefined;

  constructor(sends: ReadonlyArray<ReplaySend>) {
    this.#sends = sends;
    this.totalMs = sends.reduce((max, send) => Math.max(max, send.at), 0);
  }

  next(): number | undefined {
    this.current = this.#sends[this.#index++];
    return this.current?.at;
  }
}
