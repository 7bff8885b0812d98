// Authorities (`host:port`) in one canonical form, so that the target a run was signed for
// and the Host header a request arrives with can be compared: lower case (and IDNA,
// IPv4 numeric forms, IPv6 compression as WHATWG URL does them), IPv6 in brackets, the
// port always explicit.

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** A host and an optional port, as in a Host header; no userinfo, path or spaces. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/?#@[\]\\]+)(?::([0-9]{0,5}))?$/;

/** The canonical host of `raw`, or undefined when it is not a host. */
function canonicalHost(raw: string): string | undefined {
  try {
    const host = new URL(`http://${raw}/`).hostname;
    return host.length > 0 ? host : undefined;
  } catch {
    return undefined;
  }
}

function canonicalPort(raw: string): string | undefined {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 65_535 ? String(n) : undefined;
}

/**
 * `host:port` of a run's target: an http(s) URL (`https://Shop.example` →
 * `shop.example:443`) or an authority with its port (`[::1]:8080`).
 * @throws TypeError naming what was wrong with `target`
 */
export function targetAuthority(target: string): string {
  if (target.includes('://')) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new TypeError(`target is not a URL: "${target}"`);
    }
    const fallback = DEFAULT_PORTS[url.protocol];
    if (fallback === undefined) {
      throw new TypeError(`target must be an http:// or https:// URL: got "${url.protocol}"`);
    }
    return `${url.hostname}:${url.port || fallback}`;
  }
  const candidates = hostAuthorities(target);
  if (candidates.length !== 1) {
    throw new TypeError(`target must be a URL or host:port (with its port): got "${target}"`);
  }
  return candidates[0]!;
}

/**
 * The authorities a Host header can stand for: one when it names its port; without a
 * port the client used its scheme's default, which the server cannot tell behind a
 * TLS-terminating proxy, so both `:80` and `:443`. Empty when it is not a host at all.
 */
export function hostAuthorities(header: string | undefined): string[] {
  const match = HOST_PORT.exec(header?.trim() ?? '');
  if (!match) return [];
  const host = canonicalHost(match[1]!);
  if (host === undefined) return [];
  const port = match[2];
  if (port === undefined || port === '') return [`${host}:80`, `${host}:443`];
  const canonical = canonicalPort(port);
  return canonical === undefined ? [] : [`${host}:${canonical}`];
}

/** Splits a canonical authority into host (brackets kept) and port. */
export function splitAuthority(authority: string): { host: string; port: string } {
  const colon = authority.lastIndexOf(':');
  return { host: authority.slice(0, colon), port: authority.slice(colon + 1) };
}
