/**
 * What a request written in a scenario or captured in a corpus may carry. Checked when the
 * scenario or corpus validates (literals) and again on every send (values rendered from
 * feeders or extracted from the target's responses): a request is one request, goes to
 * the scenario's target and nowhere else, and carries loadline's own headers only as
 * loadline sets them.
 */

/** RFC 9110 token: methods and header names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Header names a scenario or corpus may not set, and why. */
export const RESERVED_HEADERS: ReadonlyMap<string, string> = new Map([
  ['host', 'the scenario target is the only origin requests go to'],
  ['x-loadline-shadow', 'loadline adds the shadow tag itself on shadow runs'],
  ['baggage', 'loadline adds the shadow baggage itself on shadow runs'],
  ['content-length', 'loadline frames the body itself'],
  ['transfer-encoding', 'loadline frames the body itself'],
]);

function describeCharacter(code: number): string {
  if (code === 0x0d) return 'a carriage return (CR)';
  if (code === 0x0a) return 'a line feed (LF)';
  if (code === 0x00) return 'a NUL';
  if (code === 0x20) return 'a space';
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  // Heads are written as Latin-1: U+010A would go out as the byte 0x0A, a line feed.
  if (code > 0xff) return `U+${hex}, which is not one byte on the wire (beyond Latin-1)`;
  return `the control character U+${hex}`;
}

function firstForbidden(text: string, allowed: (code: number) => boolean): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!allowed(code)) return describeCharacter(code);
  }
  return undefined;
}

/** field-value: tab, visible characters, spaces, and the Latin-1 upper half (obs-text). */
const isFieldCharacter = (code: number) =>
  code === 0x09 || (code >= 0x20 && code <= 0xff && code !== 0x7f);

/** request-target: no spaces or controls, one byte each (as Node's own client allows). */
const isTargetCharacter = (code: number) => code >= 0x21 && code <= 0xff && code !== 0x7f;

/** Why `method` cannot be sent, or undefined when it can. */
export function methodProblem(method: string): string | undefined {
  return TOKEN.test(method) ? undefined : `method ${JSON.stringify(method)} is not an HTTP token`;
}

/** Why `name` cannot be a header a scenario or corpus sets, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  if (!TOKEN.test(name)) {
    return `header name ${JSON.stringify(name)} is not an HTTP token (letters, digits and !#$%&'*+-.^_\`|~)`;
  }
  const reserved = RESERVED_HEADERS.get(name.toLowerCase());
  return reserved === undefined ? undefined : `header "${name}" may not be set: ${reserved}`;
}

/** Why `value` cannot be sent as a header value (one line, one byte per character). */
export function headerValueProblem(value: string): string | undefined {
  const bad = firstForbidden(value, isFieldCharacter);
  return bad === undefined ? undefined : `the value contains ${bad}`;
}

/** Why literal text cannot be part of a request target (the path and query sent). */
export function targetTextProblem(text: string): string | undefined {
  const bad = firstForbidden(text, isTargetCharacter);
  return bad === undefined ? undefined : `the path contains ${bad}`;
}

/** Why a path cannot begin this way: it starts with one "/", never "//" or a scheme. */
export function targetStartProblem(start: string): string | undefined {
  if (!start.startsWith('/')) {
    return `a path starts with "/" (the target holds scheme and host), got ${JSON.stringify(start.slice(0, 40))}`;
  }
  if (start.startsWith('//')) {
    return `a path may not start with "//" (that names another host), got ${JSON.stringify(start.slice(0, 40))}`;
  }
  return undefined;
}

/** Why `target` (path and query, as sent) is not an origin-form target on the scenario's target. */
export function requestTargetProblem(target: string): string | undefined {
  return targetStartProblem(target) ?? targetTextProblem(target);
}
