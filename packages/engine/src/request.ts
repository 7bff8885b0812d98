import { headerValueProblem } from '@loadline/scenario';

/** What to send: one HTTP request, serialised once and written as is on every send. */
export interface HttpTarget {
  url: URL;
  method: string;
  headers: Array<[name: string, value: string]>;
  body?: Buffer;
}

export interface Endpoint {
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
  servername: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VERSION = '0.1.0';

/** Why a target cannot be sent, or undefined when it can. */
export function validateTarget(target: HttpTarget): string | undefined {
  const { url } = target;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `unsupported scheme "${url.protocol}" (expected http: or https:)`;
  }
  if (!TOKEN.test(target.method)) return `method "${target.method}" is not an HTTP token`;
  for (const [name, value] of target.headers) {
    if (!TOKEN.test(name)) return `header name "${name}" is not an HTTP token`;
    const problem = headerValueProblem(value);
    if (problem) return `header "${name}": ${problem}`;
  }
  return undefined;
}

export function endpointOf(url: URL): Endpoint {
  const https = url.protocol === 'https:';
  // URL keeps IPv6 literals in brackets; sockets want them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    protocol: https ? 'https:' : 'http:',
    host,
    port: url.port ? Number(url.port) : https ? 443 : 80,
    servername: host,
  };
}

/**
 * Serialises one request: request line, Host, headers, Content-Length, body. Headers the
 * caller gives replace the defaults (Host, User-Agent, Accept).
 */
export function serializeRaw(
  method: string,
  requestTarget: string,
  host: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Buffer | undefined,
): Buffer {
  const lower = new Set(headers.map(([name]) => name.toLowerCase()));
  let head = `${method} ${requestTarget} HTTP/1.1\r\n`;
  if (!lower.has('host')) head += `Host: ${host}\r\n`;
  if (!lower.has('user-agent')) head += `User-Agent: loadline/${VERSION}\r\n`;
  if (!lower.has('accept')) head += 'Accept: */*\r\n';
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  const needsLength =
    body !== undefined || method === 'POST' || method === 'PUT' || method === 'PATCH';
  if (needsLength && !lower.has('content-length') && !lower.has('transfer-encoding')) {
    head += `Content-Length: ${body?.length ?? 0}\r\n`;
  }
  const headBuffer = Buffer.from(`${head}\r\n`, 'latin1');
  return body && body.length > 0 ? Buffer.concat([headBuffer, body]) : headBuffer;
}

/**
 * Serialises the request once (request line, Host, user headers, Content-Length, body)
 * so the hot path is a single socket.write of a shared buffer.
 */
export function serializeRequest(target: HttpTarget): Buffer {
  const { url } = target;
  return serializeRaw(
    target.method,
    `${url.pathname}${url.search}`,
    url.host,
    target.headers,
    target.body,
  );
}
