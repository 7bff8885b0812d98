import type { Corpus } from './corpus.js';
import { pathTemplate } from './mix.js';
import { planReplay, type ReplayOptions, type ReplayPlan } from './schedule.js';

/** What an agent needs to send one request at its time (the wire form of a ShardJob). */
export interface PlannedSend {
  at: number;
  /** index into `steps` */
  step: number;
  /** the send's session, numbered within its shard: its sends go one after another */
  session: number;
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
}

export interface ReplayShards {
  plan: ReplayPlan;
  /** step names shared by every shard: `METHOD /template` from the mix, then `other` */
  steps: string[];
  /** per agent, its sends in time order (each session on one agent, in corpus order) */
  shards: PlannedSend[][];
}

/** Steps outside the mix's listed templates (its folded tail) share this name. */
export const OTHER_STEP = 'other';

/**
 * Plans a replay and names every send's step by its method and path template, as the
 * corpus mix lists them, so per-endpoint results come out as steps; the mix's tail is one
 * `other` step, which keeps the number of steps (and interval rows) bounded.
 */
export function replayShards(
  corpus: Pick<Corpus, 'requests' | 'mix'>,
  options: ReplayOptions,
): ReplayShards {
  const plan = planReplay(corpus, options);
  const steps = corpus.mix.entries.map((e) => `${e.method} ${e.template}`);
  const stepIndex = new Map(steps.map((name, i) => [name, i]));
  const other = () => {
    if (!stepIndex.has(OTHER_STEP)) {
      stepIndex.set(OTHER_STEP, steps.length);
      steps.push(OTHER_STEP);
    }
    return stepIndex.get(OTHER_STEP) as number;
  };
  const shards = plan.shards.map((shard) => {
    const sends: PlannedSend[] = [];
    const sessions = new Map<string, number>();
    for (const { at, request } of shard.sends()) {
      const step = stepIndex.get(`${request.method} ${pathTemplate(request.path)}`) ?? other();
      let session = sessions.get(request.sessionKey);
      if (session === undefined) {
        session = sessions.size;
        sessions.set(request.sessionKey, session);
      }
      sends.push({
        at,
        step,
        session,
        method: request.method,
        path: request.path,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        ...(request.bodyEncoding === undefined ? {} : { bodyEncoding: request.bodyEncoding }),
      });
    }
    return sends;
  });
  if (steps.length === 0) steps.push(OTHER_STEP);
  return { plan, steps, shards };
}
