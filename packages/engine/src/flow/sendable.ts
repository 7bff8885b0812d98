import {
  headerNameProblem,
  headerValueProblem,
  methodProblem,
  requestTargetProblem,
} from '@loadline/scenario';
import { serializeRaw } from '../request.js';

/**
 * A request a scenario or corpus asked for that is never sent: it would not be one request
 * to the target with loadline's own headers as loadline set them (see @loadline/scenario's
 * request rules). Counted as a transport error of its step, INVALID_REQUEST.
 */
export class InvalidRequestError extends Error {}

/** The transport error kind a refused send is counted under. */
export const INVALID_REQUEST = 'EINVALID_REQUEST';

/** Reserved headers the engine itself may add from the shard job: the shadow tag and baggage. */
const ENGINE_HEADERS = new Set(['x-loadline-shadow', 'baggage']);

export interface RequestParts {
  method: string;
  /** path and query as sent: the target's base path, then the request's path */
  target: string;
  /** the scenario target's host[:port], for the Host header */
  host: string;
  /** headers from the scenario or the corpus, rendered */
  headers: ReadonlyArray<readonly [string, string]>;
  /**
   * The engine's own headers (the shadow tag and baggage from the shard job). They always
   * win: a same-named header among `headers` refuses the send, so none is ever sent twice.
   */
  extraHeaders: ReadonlyArray<readonly [string, string]>;
  body?: Buffer;
}

function headerProblem(name: string, value: string, own: boolean): string | undefined {
  const problem =
    (own && ENGINE_HEADERS.has(name.toLowerCase()) ? undefined : headerNameProblem(name)) ??
    headerValueProblem(value);
  return problem === undefined ? undefined : `header "${name}": ${problem}`;
}

/** Why `parts` must not be sent, or undefined when it may. */
export function requestProblem(parts: RequestParts): string | undefined {
  const methodIssue = methodProblem(parts.method);
  if (methodIssue) return methodIssue;
  const targetIssue = requestTargetProblem(parts.target);
  if (targetIssue) return targetIssue;
  const own = new Set(parts.extraHeaders.map(([name]) => name.toLowerCase()));
  for (const [name, value] of parts.headers) {
    if (own.has(name.toLowerCase())) {
      return `header "${name}" is set by loadline on this run and may not be set again`;
    }
    const problem = headerProblem(name, value, false);
    if (problem) return problem;
  }
  for (const [name, value] of parts.extraHeaders) {
    const problem = headerProblem(name, value, true);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The request serialised for the wire, or InvalidRequestError when it must not be sent:
 * nothing of it reaches a socket.
 */
export function sendableRequest(parts: RequestParts): Buffer {
  const problem = requestProblem(parts);
  if (problem) throw new InvalidRequestError(problem);
  return serializeRaw(
    parts.method,
    parts.target,
    parts.host,
    [...parts.headers, ...parts.extraHeaders],
    parts.body,
  );
}
