/** Longer keys are shortened in paths: a message must not repeat a megabyte-long key. */
const MAX_KEY_IN_PATH = 256;

/** `flows[1].steps[0].request.path`; keys that are not identifiers as `["a b"]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const whole of path) {
    const key =
      typeof whole === 'string' && whole.length > MAX_KEY_IN_PATH
        ? `${whole.slice(0, MAX_KEY_IN_PATH)}…`
        : whole;
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key)))
      out += out === '' ? String(key) : `.${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
