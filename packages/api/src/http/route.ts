import type { z } from 'zod';
import type { Permission } from './access.js';

export { Permission } from './access.js';

/** A success body that is not JSON: a report or export in one of several formats. */
export interface Document {
  kind: 'document';
  /** format name (`?format=`) → content type */
  formats: Readonly<Record<string, string>>;
  /** the JSON format's body, when there is one */
  json?: z.ZodType;
}

/** A success body that is a stream of Server-Sent Events, each `data` one `event`. */
export interface EventStream {
  kind: 'event-stream';
  event: z.ZodType;
}

/** A success that sends the browser elsewhere (single sign-on): `Location`, no body. */
export interface Redirect {
  kind: 'redirect';
}

export type Body = z.ZodType | Document | EventStream | Redirect | 'empty';

/** One route of the control API, declared once: docs, client and server all read it. */
export interface RouteContract {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/runs/:id/stop`: `:name` segments are path parameters */
  path: string;
  summary: string;
  permission: Permission;
  /**
   * The audit log's name for what the route changes (`run.launch`); every call of a route
   * that has one is recorded with its actor, target and outcome. Reads have none.
   */
  audit?: string;
  /** query parameters: each a string in the URL, documented with its meaning */
  query?: Readonly<Record<string, { description: string; required?: boolean }>>;
  body?: z.ZodType;
  /**
   * A body read as a stream of lines (JSON Lines), not parsed whole: its media types, and
   * what each line is. The handler reads it; `maxBodyBytes` still bounds it.
   */
  lines?: { mediaTypes: readonly string[]; description: string };
  /** the largest request body the route takes (default 10 MB) */
  maxBodyBytes?: number;
  /** success status → body; errors are always problems */
  success: { status: 200 | 201 | 202 | 204 | 302; body: Body };
  /** the problem statuses the route answers besides 400/401/403/413/415/5xx */
  problems: readonly number[];
}

export const route = <const R extends RouteContract>(contract: R): R => contract;

/** The JSON success body a route answers with. */
export type ResponseOf<R extends RouteContract> = R['success']['body'] extends z.ZodType
  ? z.output<R['success']['body']>
  : R['success']['body'] extends { json: z.ZodType }
    ? z.output<R['success']['body']['json']>
    : undefined;

/** The body a caller sends (defaults may be left out). */
export type BodyOf<R extends RouteContract> = R['body'] extends z.ZodType
  ? z.input<R['body']>
  : undefined;
