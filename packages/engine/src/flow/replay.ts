import type { ReplayModel, ReplaySend } from '@loadline/api';
import { endpointOf } from '../request.js';
import type { CompiledPlan, CompiledStep } from './compile.js';
import { sendableRequest } from './sendable.js';

/**
 * Captured headers the replay does not send as they were: length and framing come from the
 * body as sent, the rest describe the original connection. (A captured `host`, shadow tag
 * or baggage is dropped at import; one still in a send refuses it, see sendableRequest.)
 */
const RECOMPUTED = new Set([
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
    secrets: {},
    intendedMix: Object.fromEntries(
      model.steps.map((step, i) => [step, total === 0 ? 0 : (counts[i] ?? 0) / total]),
    ),
    feeders: {},
  };
}

/**
 * The exact captured request for the target: method, path (under the target's base
 * path), headers and body as captured; framing recomputed; `extraHeaders` (the shadow tag)
 * added. Throws InvalidRequestError for a send that must not go out: a line break in its
 * path or a header, a path that leaves the target, a `host`, or a header of `extraHeaders`.
 */
export function replayRequest(
  send: ReplaySend,
  target: URL,
  extraHeaders: ReadonlyArray<readonly [string, string]>,
): Buffer {
  const headers = send.headers.filter(([header]) => !RECOMPUTED.has(header.toLowerCase()));
  const body =
    send.body === undefined ? undefined : Buffer.from(send.body, send.bodyEncoding ?? 'utf8');
  const basePath = target.pathname.replace(/\/$/, '');
  return sendableRequest({
    method: send.method,
    target: basePath + send.path,
    host: target.host,
    headers,
    extraHeaders,
    ...(body === undefined ? {} : { body }),
  });
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
