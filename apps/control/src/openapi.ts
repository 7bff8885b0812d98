import { z } from 'zod';
import { CreateRunBody, SaveScenarioBody } from './routes.js';

const problem = {
  description: 'RFC 9457 problem',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          instance: { type: 'string' },
          errors: { type: 'array', items: { type: 'object' } },
        },
      },
    },
  },
};

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ok = { description: 'OK', ...json({ type: 'object' }) };

/** The control API's OpenAPI 3.1 document; request schemas come from the zod schemas. */
export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'Loadline control API', version: '0.1.0' },
    servers: [{ url: 'http://127.0.0.1:7700' }],
    paths: {
      '/health': { get: { summary: 'Liveness', responses: { 200: ok } } },
      '/environments': { get: { summary: 'List environments', responses: { 200: ok } } },
      '/environments/{name}': {
        put: { summary: 'Create or replace an environment', responses: { 200: ok, 422: problem } },
      },
      '/scenarios': {
        get: { summary: 'List scenarios', responses: { 200: ok } },
        post: {
          summary: 'Save a new version of a scenario (YAML or JSON source)',
          requestBody: json(z.toJSONSchema(SaveScenarioBody)),
          responses: { 201: ok, 422: problem },
        },
      },
      '/scenarios/{name}/versions': {
        get: {
          summary:
            'Every version of a scenario, oldest first: { name, versions: [{ version, createdAt, createdBy }] }',
          responses: { 200: ok, 404: problem },
        },
      },
      '/scenarios/{name}': {
        get: {
          summary: 'A scenario version (latest or ?version=N)',
          responses: { 200: ok, 404: problem },
        },
      },
      '/runs': {
        get: {
          summary:
            'List runs, newest first (?scenario, ?status, ?from, ?to as ISO 8601 dates on the creation time, ?limit, ?cursor)',
          responses: { 200: ok, 422: problem },
        },
        post: {
          summary: 'Launch a run',
          requestBody: json(z.toJSONSchema(CreateRunBody)),
          responses: { 201: ok, 404: problem, 422: problem },
        },
      },
      '/runs/check': {
        post: {
          summary:
            'Check a launch without creating anything: 200 { ok, scenario, version, environment, target, agents, shadow }, or the problem POST /runs would answer',
          requestBody: json(z.toJSONSchema(CreateRunBody)),
          responses: { 200: ok, 404: problem, 422: problem },
        },
      },
      '/runs/{id}/series': {
        get: {
          summary:
            'Per-second points of a run (?by=total|step|agent, ?from and ?to epoch seconds): { runId, by, series: { KEY: [{ second, requests, errors, p50, p90, p99, max }] } }; percentiles of each second from its merged histogram',
          responses: { 200: ok, 404: problem, 422: problem },
        },
      },
      '/runs/{id}': {
        get: { summary: 'A run with its live totals', responses: { 200: ok, 404: problem } },
      },
      '/runs/{id}/events': {
        get: {
          summary:
            'Server-Sent Events: one `update` a second, then `end`. Each carries status, the merged live totals, thresholds so far, guardrail states, per-second points (with the target rate of each second) in total, per step and per agent: the first event the last 300 s, later ones the last 5 s',
          responses: { 200: { description: 'text/event-stream' }, 404: problem },
        },
      },
      '/runs/{id}/report': {
        get: {
          summary: 'Report of a finished run (?format=json|md|csv|hlog|junit)',
          responses: { 200: ok, 409: problem, 422: problem },
        },
      },
      '/runs/{id}/percentiles': {
        get: {
          summary:
            'Latency percentile distribution of a run from its merged histogram (?step=NAME for one step): { runId, step, count, curve: [{ percentile, ms }] } at 0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999 and 100; an empty curve when nothing was recorded',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'step', in: 'query', required: false, schema: { type: 'string' } },
          ],
          responses: {
            200: {
              description: 'OK',
              ...json({
                type: 'object',
                required: ['runId', 'step', 'count', 'curve'],
                properties: {
                  runId: { type: 'string' },
                  step: { type: ['string', 'null'] },
                  count: { type: 'integer' },
                  curve: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['percentile', 'ms'],
                      properties: { percentile: { type: 'number' }, ms: { type: 'number' } },
                    },
                  },
                },
              }),
            },
            404: problem,
          },
        },
      },
      '/schedules': {
        get: { summary: 'List schedules', responses: { 200: ok } },
        post: { summary: 'Create a cron schedule', responses: { 201: ok, 422: problem } },
      },
      '/schedules/{id}': {
        delete: {
          summary: 'Remove a schedule',
          responses: { 204: { description: 'removed' }, 404: problem },
        },
      },
      '/runs/{id}/leaks': {
        get: {
          summary: "A run's shadow leak reports: { runId, leaks: [...] }",
          responses: { 200: ok, 404: problem },
        },
        post: {
          summary:
            'A service reports a refused shadow write { kind: postgres|redis|queue|egress, target, service, detail, at }: recorded, and the run is stopped',
          responses: { 202: ok, 404: problem, 422: problem },
        },
      },
      '/runs/{id}/target-metrics': {
        get: {
          summary:
            "What control scraped from the environment's metricsTargets each second of the run: { runId, rows: [{ service, instance, second, intervalS, requests, cpuSeconds, p50Ms, p99Ms }] }",
          responses: { 200: ok, 404: problem },
        },
      },
      '/corpora': {
        get: {
          summary: 'Stored replay corpora with their latest version and mix',
          responses: { 200: ok },
        },
        post: {
          summary:
            'Store a corpus ({ name, corpus } as `loadline import --out` writes it) as a new version',
          responses: { 201: ok, 422: problem },
        },
      },
      '/corpora/{name}': {
        get: {
          summary: 'A corpus version (?version=N) with meta and mix; ?requests=1 adds the requests',
          responses: { 200: ok, 404: problem },
        },
      },
      '/capacity/model': {
        post: {
          summary:
            'Fit a capacity model from stored runs { runs, cores?, slo?, entrySteps?, levelSeconds? }: { model, measurements }',
          responses: { 200: ok, 404: problem, 422: problem },
        },
      },
      '/capacity/plan': {
        post: {
          summary:
            'Plan machines for { model, forecast } (?format=json|md|csv|xlsx|pdf|html): the plan, or the report',
          responses: { 200: ok, 422: problem, 503: problem },
        },
      },
      '/runs/{id}/stop': {
        post: {
          summary: 'Stop a run: every agent within a second',
          responses: { 202: ok, 409: problem },
        },
      },
      '/agents': {
        get: { summary: 'Connected agents and their heartbeats', responses: { 200: ok } },
      },
    },
  };
}
