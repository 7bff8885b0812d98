// Values that reach the SDK's logs and errors come from requests (tags, hosts), from SQL
// and Redis keys built from request data, and from leak reports. Control characters —
// CR/LF above all — would let such a value start a line of its own in a text log and
// forge an entry, so every one of them is escaped before any log, error or report sees it.

/** C0 controls, DEL, C1 controls (NEL among them) and the Unicode line/paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Longest value kept whole; a log line is not the place for a megabyte of key. */
export const LOG_VALUE_MAX = 500;

/** `value` on one line: control characters as `\n`, `\r`, `\t` or `\uXXXX`, long values cut. */
export function logText(value: string): string {
  const cut = value.length > LOG_VALUE_MAX ? `${value.slice(0, LOG_VALUE_MAX)}…` : value;
  return cut.replace(
    CONTROL,
    (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Every string in `fields` (nested too) through logText; other values unchanged. */
export function logFields(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [logText(k), logValue(v)]));
}

function logValue(value: unknown): unknown {
  if (typeof value === 'string') return logText(value);
  if (Array.isArray(value)) return value.map(logValue);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return logFields(value as Record<string, unknown>);
  }
  return value;
}
