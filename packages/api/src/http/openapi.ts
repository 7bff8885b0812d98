import { DEFAULT_API_URL } from '@loadline/config/defaults';
import { z } from 'zod';
import { controlApi } from './contract.js';
import { Problem } from './resources.js';
import type { Body, RouteContract } from './route.js';

// The OpenAPI 3.1 document of the control API, generated from the route contracts: a route
// cannot be served without being documented, nor documented with a shape it does not have.

type JsonSchema = Record<string, unknown>;

const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    // a Date in a request body (coerced from a string) is a string on the wire
    unrepresentable: 'any',
    override: (ctx) => {
      if ((ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def?.type === 'date') {
        ctx.jsonSchema.type = 'string';
        ctx.jsonSchema.format = 'date-time';
      }
    },
  }) as JsonSchema;
  return rest;
};

const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function responseOf(body: Body): JsonSchema {
  if (body === 'empty') return { description: 'No content' };
  if (body instanceof z.ZodType) {
    return {
      description: 'OK',
      content: { 'application/json': { schema: schemaOf(body, 'output') } },
    };
  }
  if (body.kind === 'redirect') {
    return {
      description: 'Found: the browser goes on to `Location`',
      headers: { Location: { schema: { type: 'string' } } },
    };
  }
  if (body.kind === 'event-stream') {
    return {
      description: "Server-Sent Events; each event's data is the JSON schema given here",
      content: { 'text/event-stream': { schema: schemaOf(body.event, 'output') } },
    };
  }
  const content: Record<string, JsonSchema> = {};
  for (const [format, type] of Object.entries(body.formats)) {
    const key = type.split(';')[0] as string;
    content[key] =
      format === 'json' && body.json
        ? { schema: schemaOf(body.json, 'output') }
        : { schema: { type: 'string', format: 'binary' } };
  }
  return {
    description: `OK, in the format asked for (${Object.keys(body.formats).join(', ')})`,
    content,
  };
}

function operationOf(name: string, route: RouteContract): JsonSchema {
  const parameters = [
    ...[...route.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...Object.entries(route.query ?? {}).map(([param, q]) => ({
      name: param,
      in: 'query',
      required: q.required ?? false,
      description: q.description,
      schema: { type: 'string' },
    })),
  ];
  const problem = { $ref: '#/components/responses/Problem' };
  return {
    operationId: name,
    summary: route.summary,
    'x-permission': route.permission,
    ...(route.permission === 'public' ? { security: [] } : {}),
    ...(route.audit ? { 'x-audit': route.audit } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
          },
        }
      : {}),
    ...(route.lines
      ? {
          requestBody: {
            required: true,
            description: route.lines.description,
            content: Object.fromEntries(
              route.lines.mediaTypes.map((type) => [type, { schema: { type: 'string' } }]),
            ),
          },
        }
      : {}),
    responses: {
      [route.success.status]: responseOf(route.success.body),
      ...Object.fromEntries(route.problems.map((status) => [status, problem])),
      ...(route.body || route.lines ? { 400: problem, 413: problem, 415: problem } : {}),
      // anonymous callers are turned away, and callers without the route's permission
      ...(route.permission === 'public' ? {} : { 401: problem, 403: problem }),
      // every route reads storage: a database that does not answer is a 503
      ...(route.permission === 'public' ? {} : { 503: problem }),
      500: problem,
    },
  };
}

/** The control API's OpenAPI 3.1 document. */
export function openApiDocument(
  routes: Readonly<Record<string, RouteContract>> = controlApi,
  serverUrl = DEFAULT_API_URL,
): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const [name, route] of Object.entries(routes)) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    (paths[path] as Record<string, JsonSchema>)[route.method.toLowerCase()] = operationOf(
      name,
      route,
    );
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Loadline control API',
      version: '0.2.0',
      description:
        'Every error is an RFC 9457 problem (application/problem+json) naming the fields it refused. `x-permission` names what a caller must be allowed to do: anonymous callers get 401, callers without the permission 403 naming it.',
    },
    servers: [{ url: serverUrl }],
    paths,
    // API tokens as bearer tokens (CLI, CI); the console signs in with a session cookie
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token (llt_…)' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'loadline_session',
          description: 'a console session; writes also need the x-loadline-csrf header',
        },
      },
      responses: {
        Problem: {
          description: 'RFC 9457 problem',
          content: { 'application/problem+json': { schema: schemaOf(Problem, 'output') } },
        },
      },
    },
  };
}
