import { controlApi, Name } from '@loadline/api/http';
import type { CorpusInfo, MetadataStore } from '@loadline/metadata';
import { Corpus, type CorpusLineIssue, CorpusLinesReader, type ReadCorpus } from '@loadline/replay';
import { formatPath, type Scenario } from '@loadline/scenario';
import { z } from 'zod';
import { guarded } from './api/errors.js';
import { HttpProblem, type Router } from './http.js';
import { planReplay } from './replay-shards.js';
import { readLines } from './request-body.js';

/** Problems listed in a 422; the detail gives the total. */
const MAX_LISTED_ERRORS = 50;

/** Lets other requests run: a corpus is checked a few hundred requests at a time. */
const breathe = () => new Promise((resolve) => setImmediate(resolve));

function refused(
  reader: CorpusLinesReader,
  field: (issue: CorpusLineIssue) => string,
): HttpProblem {
  const listed =
    reader.issues.length < reader.problems ? ` (the first ${reader.issues.length} are listed)` : '';
  return new HttpProblem(
    422,
    'invalid corpus',
    `${reader.problems} problem(s); nothing was stored${listed}`,
    {
      errors: reader.issues.map((issue) => ({
        field: field(issue),
        path: field(issue),
        line: issue.line,
        message: issue.message,
      })),
    },
  );
}

/**
 * A corpus sent as one JSON document, checked request by request with pauses between (a
 * 30 MB corpus never holds other requests for seconds): the form it is stored in.
 */
async function corpusOfBody(body: unknown): Promise<{ name: string; corpus: ReadCorpus }> {
  const shape = SaveCorpusShape.safeParse(body);
  if (!shape.success) throw problemOf(shape.error);
  const { name, corpus } = shape.data;
  const reader = new CorpusLinesReader(MAX_LISTED_ERRORS);
  reader.accept(JSON.stringify({ meta: corpus.meta, mix: corpus.mix }));
  for (const [i, request] of corpus.requests.entries()) {
    reader.accept(JSON.stringify(request));
    if (i % 500 === 499) await breathe();
  }
  const read = reader.finish();
  // Line 1 is { meta, mix }; line n + 2 is request n.
  const fieldOf = (issue: CorpusLineIssue) =>
    formatPath(
      issue.line === 1
        ? ['corpus', ...issue.path]
        : ['corpus', 'requests', issue.line - 2, ...issue.path],
    );
  if (!read) throw refused(reader, fieldOf);
  return { name, corpus: read };
}

/** The outer shape of POST /corpora: checked whole before its requests one by one. */
const SaveCorpusShape = z.strictObject({
  name: Name,
  corpus: z.object({
    meta: z.unknown(),
    mix: z.unknown(),
    requests: z.array(z.unknown()).max(1_000_000, 'at most 1,000,000 requests'),
  }),
});

function problemOf(error: z.ZodError): HttpProblem {
  return new HttpProblem(
    422,
    'invalid request body',
    error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
    {
      errors: error.issues
        .slice(0, MAX_LISTED_ERRORS)
        .map((i) => ({ field: i.path.join('.'), message: i.message })),
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
  const store = async (name: string, corpus: ReadCorpus) =>
    view(
      await metadata.saveCorpusVersion({
        name,
        meta: JSON.parse(JSON.stringify(corpus.meta)),
        mix: JSON.parse(JSON.stringify(corpus.mix)),
        requests: corpus.requestLines,
        requestCount: corpus.requestCount,
        durationMs: corpus.meta.durationMs,
      }),
    );
  router.route(controlApi.saveCorpus, async ({ body, audit }) =>
    guarded(async () => {
      const { name, corpus } = await corpusOfBody(body);
      audit.target = `corpus:${name}`;
      return { body: await store(name, corpus) };
    }),
  );
  router.route(controlApi.uploadCorpus, async ({ params, request, audit }) =>
    guarded(async () => {
      const name = Name.safeParse(params.name);
      if (!name.success)
        throw problemOf(new z.ZodError(name.error.issues.map((i) => ({ ...i, path: ['name'] }))));
      audit.target = `corpus:${name.data}`;
      const reader = new CorpusLinesReader(MAX_LISTED_ERRORS);
      await readLines(request, controlApi.uploadCorpus.maxBodyBytes, (line) => reader.accept(line));
      const read = reader.finish();
      if (!read) {
        throw refused(reader, (issue) =>
          issue.path.length > 0
            ? `line ${issue.line}: ${formatPath(issue.path)}`
            : `line ${issue.line}`,
        );
      }
      return { body: await store(name.data, read) };
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
