// Which outgoing hosts may receive the shadow tag. Anything else is egress: the tag is
// stripped, because an outside party would treat the call as real (and a third party
// echoing our tag back would be no better).
export type HostMatcher = (host: string, port?: string) => boolean;

/**
 * Patterns: `orders.internal` (exact), `orders.internal:8080` (exact host and port),
 * `*.svc.cluster.local` (any subdomain), `::1` or `[::1]` (any port), `[::1]:8080`.
 * Case-insensitive.
 */
export function hostMatcher(patterns: readonly string[]): HostMatcher {
  const exact = new Set<string>();
  const withPort = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of patterns) {
    const p = raw.trim().toLowerCase();
    const bracketed = /^\[([^\]]+)\]:([0-9]+)$/.exec(p); // [::1]:8080
    if (p.startsWith('*.')) suffixes.push(p.slice(1));
    else if (bracketed) withPort.add(`${bracketed[1]}:${bracketed[2]}`);
    else if (/:[0-9]+$/.test(p) && !p.startsWith('[') && p.indexOf(':') === p.lastIndexOf(':')) {
      withPort.add(p);
    } else exact.add(p.replace(/^\[|\]$/g, ''));
  }
  return (host, port) => {
    const h = host.toLowerCase().replace(/^\[|\]$/g, '');
    if (exact.has(h)) return true;
    if (port && withPort.has(`${h}:${port}`)) return true;
    return suffixes.some((s) => h.endsWith(s));
  };
}
