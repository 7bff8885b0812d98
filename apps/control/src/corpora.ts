import { controlApi, SaveCorpusBody } from '@loadline/api/http';
import type { CorpusInfo, MetadataStore } from '@loadline/metadata';
import { Corpus } from '@loadline/replay';
import { formatPath, type Scenario } from '@loadline/scenario';
import type { z } from 'zod';
import { guarded } from './api/errors.js';
import { HttpProblem, type Router } from './http.js';
import { planReplay } from './replay-shards.js';

/** Problems listed in a 422; the detail gives the total. */
const MAX_LISTED_ERRORS = 50;

function parseCorpusBody(body: unknown): z.infer<typeof SaveCorpusBody> {
  const result = SaveCorpusBody.safeParse(body);
  if (result.success) return result.data;
  const { issues } = result.error;
  throw new HttpProblem(
    422,
    'invalid corpus',
    `${issues.length} problem(s); nothing was stored${issues.length > MAX_LISTED_ERRORS ? ` (the first ${MAX_LISTED_ERRORS} are listed)` : ''}`,
    {
      errors: issues
        .slice(0, MAX_LISTED_ERRORS)
        .map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    },
  );
}

/** A stored version as the API shows it: figures, meta and mix, no request list. */
function view(info: CorpusInfo & { latestVersion?: number }) {
  const meta = info.meta as { sessions?: number; format?: string; source?: string };
  return {
    name: info.name,
    version: info.version,
    ...(info.latestVersion === undefined ? {} : { latestVersion: info.latestVersion }),
    requests: info.requestCount,
    sessions: meta.sessions ?? 0,
    durationMs: info.durationMs,
    format: meta.format,
    source: meta.source,
    createdAt: info.createdAt,
    createdBy: info.createdBy,
  };
}

/** The top of a mix, for lists: the biggest templates and how many there are. */
function mixSummary(mix: CorpusInfo['mix'], top = 5) {
  const { distinct, entries } = mix as { distinct?: number; entries?: unknown[] };
  return { distinct: distinct ?? 0, top: (entries ?? []).slice(0, top) };
}

/**
 * `POST /corpora` stores a corpus as a new version of NAME (nothing is stored when it does
 * not validate), `GET /corpora` lists them, `GET /corpora/:name?version=N[&requests=1]`
 * shows one (with `requests=1`, the whole corpus as `loadline import --out` writes it).
 */
export function registerCorpusRoutes(router: Router, deps: { metadata: MetadataStore }): void {
  const { metadata } = deps;
  router.route(controlApi.saveCorpus, async ({ body }) =>
    guarded(async () => {
      const { name, corpus } = parseCorpusBody(body);
      const stored = await metadata.saveCorpusVersion({
        name,
        meta: JSON.parse(JSON.stringify(corpus.meta)),
        mix: JSON.parse(JSON.stringify(corpus.mix)),
        requests: JSON.stringify(corpus.requests),
        requestCount: corpus.requests.length,
        durationMs: corpus.meta.durationMs,
      });
      return { body: view(stored) };
    }),
  );
  router.route(controlApi.listCorpora, async () =>
    guarded(async () => ({
      body: {
        corpora: (await metadata.listCorpora()).map((info) => ({
          ...view(info),
          mix: mixSummary(info.mix),
        })),
      },
    })),
  );
  router.route(controlApi.getCorpus, async ({ params, query }) =>
    guarded(async () => {
      const text = query.get('version');
      const version = text === null || text === '' ? undefined : Number(text);
      const withRequests = query.get('requests') === '1';
      const info = await metadata.getCorpus(params.name as string, {
        ...(version === undefined ? {} : { version }),
        requests: withRequests,
      });
      // Stored meta and mix are read back through the corpus schema, not cast.
      const meta = Corpus.shape.meta.parse(info.meta);
      const mix = Corpus.shape.mix.parse(info.mix);
      return {
        body: {
          ...view(info),
          meta,
          mix,
          ...(withRequests
            ? { corpus: Corpus.parse({ meta, mix, requests: JSON.parse(info.requests ?? '[]') }) }
            : {}),
        },
      };
    }),
  );
}

/**
 * The corpus a replay scenario names, checked before a run is created: stored (404 when
 * not), still valid, and small enough per agent for its shard jobs. Undefined for flows.
 */
export async function loadReplayCorpus(
  metadata: MetadataStore,
  scenario: Scenario,
  agents: number,
  rateMultiplier?: number,
): Promise<Corpus | undefined> {
  const { replay } = scenario;
  if (replay === undefined) return undefined;
  if (replay.corpus === undefined) {
    throw new HttpProblem(
      422,
      'corpus not stored',
      'replay.file is for `loadline run --local`; store the corpus with `loadline import FILE --api URL --name NAME` and name it in replay.corpus',
      { errors: [{ path: 'replay.file', message: 'name a stored corpus (replay.corpus)' }] },
    );
  }
  const stored = await metadata.getCorpus(replay.corpus, {
    ...(replay.version === undefined ? {} : { version: replay.version }),
    requests: true,
  });
  const corpus = Corpus.parse({
    meta: stored.meta,
    mix: stored.mix,
    requests: JSON.parse(stored.requests ?? '[]'),
  });
  planReplay(corpus, replay, agents, rateMultiplier);
  return corpus;
}
