/**
 * Host allowlists: where an environment's runs may send traffic. An entry is a host —
 * an exact name (`localhost`), a wildcard (`*.shop.internal`: any name below shop.internal,
 * not shop.internal itself), an IP address (`10.0.0.7`, `::1`) or a CIDR block
 * (`127.0.0.0/8`, `fd00::/8`) — optionally followed by a port or an inclusive port range:
 * `127.0.0.1:8080`, `localhost:8000-8999`, `*.shop.internal:443`, `10.0.0.0/8:80`. IPv6
 * goes in brackets when a port follows (`[::1]:8080`, `[fd00::/8]:443`); unbracketed IPv6
 * has no port. An entry without a port allows every port. A URL's port is its effective
 * one: the scheme's default (80 for http/ws, 443 for https/wss) when none is written.
 * Matching is purely textual: nothing is resolved over DNS, so a name matches only name
 * entries and an IP literal only address/CIDR entries.
 */

type Host =
  | { kind: 'cidr'; bytes: Uint8Array; prefix: number }
  | { kind: 'name'; name: string }
  | { kind: 'suffix'; suffix: string };

/** A host and the ports allowed on it (undefined: every port). */
type Pattern = Host & { ports?: { from: number; to: number } };

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    // No leading zeros: "010" means 8 to a URL parser and 10 to a person.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  // A trailing dotted quad (::ffff:10.0.0.1) stands for the last two 16-bit groups.
  const lastColon = text.lastIndexOf(':');
  const lastGroup = text.slice(lastColon + 1);
  let v4: Uint8Array | undefined;
  if (lastGroup.includes('.')) {
    v4 = parseIpv4(lastGroup);
    if (!v4) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 1 || halves[1] === '' ? [] : halves[1]!.split(':');
  const given = head.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const groups = [...head, ...Array<string>(8 - given).fill('0'), ...tail];
  const bytes = new Uint8Array(16);
  for (const [i, group] of groups.entries()) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    const word = Number.parseInt(group, 16);
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  }
  if (v4) bytes.set(v4, 12);
  return bytes;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** The bytes of an IP literal (4 for IPv4, 16 for IPv6); IPv4-mapped IPv6 comes back as IPv4. */
export function parseIp(text: string): Uint8Array | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!bare.includes(':')) return parseIpv4(bare);
  const bytes = parseIpv6(bare);
  if (bytes && MAPPED_PREFIX.every((b, i) => bytes[i] === b)) return bytes.slice(12);
  return bytes;
}

const USAGE =
  'use a host name, "*.suffix", an IP address or a CIDR block like 10.0.0.0/8, optionally with :PORT or :FROM-TO';

function parseCidr(entry: string): Host | string {
  const [address = '', prefixText = '', ...rest] = entry.split('/');
  let bytes = parseIp(address);
  if (!bytes || rest.length > 0) return `"${address}" is not an IP address`;
  if (!/^[0-9]{1,3}$/.test(prefixText)) return `"/${prefixText}" is not a prefix length`;
  let prefix = Number(prefixText);
  // An IPv4-mapped block (::ffff:10.0.0.0/104) became 4 bytes; its prefix counts 96 bits fewer.
  if (bytes.length === 4 && address.includes(':')) {
    if (prefix < 96) {
      bytes = parseIpv6(address)!;
    } else {
      prefix -= 96;
    }
  }
  if (prefix > bytes.length * 8) {
    return `prefix /${prefixText} is longer than the ${bytes.length * 8} bits of the address`;
  }
  return { kind: 'cidr', bytes, prefix };
}

function parseName(name: string): string | undefined {
  const trimmed = name.toLowerCase().replace(/\.$/, '');
  if (trimmed.length === 0 || trimmed.length > 253) return undefined;
  const labels = trimmed.split('.');
  // A numeric last label makes a URL parser read the whole host as an IPv4 address.
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(labels.at(-1)!)) return undefined;
  return labels.every((label) => LABEL.test(label)) ? trimmed : undefined;
}

function parseHost(text: string): Host | string {
  if (text.includes('/')) return parseCidr(text);
  const ip = parseIp(text);
  if (ip) return { kind: 'cidr', bytes: ip, prefix: ip.length * 8 };
  if (text.startsWith('*.')) {
    const suffix = parseName(text.slice(2));
    return suffix ? { kind: 'suffix', suffix: `.${suffix}` } : `"${text}" is not a valid wildcard`;
  }
  if (text.includes('*')) return `"${text}": a wildcard is only allowed as a leading "*."`;
  const name = parseName(text);
  if (name) return { kind: 'name', name };
  return `"${text}" is not a host name, IP address or CIDR block; ${USAGE}`;
}

function parsePort(text: string): number | string {
  if (!/^[0-9]+$/.test(text)) return `port "${text}" is not a number`;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : `port ${text} is out of range (1-65535)`;
}

/** `8080` or `8000-8999`: the inclusive range of ports it allows. */
function parsePorts(text: string): { from: number; to: number } | string {
  if (text === '') return 'the port after ":" is missing';
  const [fromText = '', toText, ...rest] = text.split('-');
  if (rest.length > 0) return `"${text}" is not a port or a port range like 8000-8999`;
  const from = parsePort(fromText);
  if (typeof from === 'string') return from;
  if (toText === undefined) return { from, to: from };
  const to = parsePort(toText);
  if (typeof to === 'string') return to;
  if (to < from) return `range ${text} is reversed (write ${to}-${from})`;
  return { from, to };
}

/** Splits `[v6]:ports`, `[v6]`, `host:ports` and `host` (bare IPv6 has no port). */
function splitPort(text: string): { host: string; ports?: string } | string {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) return `"${text}" opens "[" without closing it`;
    const host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (!host.includes(':')) return `"${text}": brackets are for IPv6 addresses and blocks`;
    if (after === '') return { host };
    if (!after.startsWith(':')) return `"${text}": expected ":PORT" after "]"`;
    return { host, ports: after.slice(1) };
  }
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const [host = '', ports = ''] = text.split(':');
    return { host, ports };
  }
  return { host: text };
}

function parsePattern(entry: string): Pattern | string {
  const text = entry.trim();
  if (text === '') return `empty entry; ${USAGE}`;
  if (text.includes('://')) return `"${text}" has a scheme; ${USAGE}`;
  const split = splitPort(text);
  if (typeof split === 'string') return split;
  const host = parseHost(split.host);
  if (typeof host === 'string') {
    // `fd00::1:8080` is an IPv6 address (its last group is 8080), not an address and a port;
    // say so when the text before the last colon is an address on its own.
    const last = split.host.lastIndexOf(':');
    if (split.ports === undefined && split.host.includes(':') && last > 0) {
      const head = split.host.slice(0, last);
      if (parseIp(head) || typeof parseCidr(head) !== 'string') {
        return `${host}; an IPv6 address with a port goes in brackets: [${head}]${split.host.slice(last)}`;
      }
    }
    return host;
  }
  if (split.ports === undefined) return host;
  const ports = parsePorts(split.ports);
  if (typeof ports === 'string') return `"${text}": ${ports}`;
  return { ...host, ports };
}

/** Why `entry` is not a valid allowlist entry, or undefined when it is. */
export function hostPatternProblem(entry: string): string | undefined {
  const pattern = parsePattern(entry);
  return typeof pattern === 'string' ? pattern : undefined;
}

function inBlock(address: Uint8Array, block: { bytes: Uint8Array; prefix: number }): boolean {
  if (address.length !== block.bytes.length) return false;
  const full = block.prefix >> 3;
  for (let i = 0; i < full; i++) if (address[i] !== block.bytes[i]) return false;
  const bits = block.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (address[full]! & mask) === (block.bytes[full]! & mask);
}

/** The host of an absolute URL, lowercased, without IPv6 brackets or a trailing dot. */
export function hostOf(url: string | URL): string | undefined {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return undefined;
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  return host === '' ? undefined : host.toLowerCase();
}

const DEFAULT_PORTS: Record<string, number> = {
  'http:': 80,
  'ws:': 80,
  'https:': 443,
  'wss:': 443,
};

/** The port a client connects to: the URL's own, else its scheme's default (undefined if none). */
function effectivePort(url: URL): number | undefined {
  return url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
}

function hostMatches(pattern: Host, host: string, ip: Uint8Array | undefined): boolean {
  if (ip) return pattern.kind === 'cidr' && inBlock(ip, pattern);
  return (
    (pattern.kind === 'name' && pattern.name === host) ||
    (pattern.kind === 'suffix' &&
      host.endsWith(pattern.suffix) &&
      host.length > pattern.suffix.length)
  );
}

/**
 * A predicate for one allowlist, parsed once. Invalid entries never match (they are refused
 * when an environment is saved, so they only occur in hand-edited rows).
 */
export function hostMatcher(allowedHosts: readonly string[]): (url: string | URL) => boolean {
  const patterns = allowedHosts
    .map(parsePattern)
    .filter((p): p is Pattern => typeof p !== 'string');
  return (url) => {
    let parsed: URL;
    try {
      parsed = typeof url === 'string' ? new URL(url) : url;
    } catch {
      return false;
    }
    const host = hostOf(parsed);
    if (host === undefined) return false;
    const ip = parseIp(host);
    const port = effectivePort(parsed);
    return patterns.some(
      (p) =>
        hostMatches(p, host, ip) &&
        (p.ports === undefined ||
          (port !== undefined && port >= p.ports.from && port <= p.ports.to)),
    );
  };
}

/** Whether `url`'s host (and port) is on `environment`'s allowlist (see the top of this file). */
export function hostAllowed(
  environment: { readonly allowedHosts: readonly string[] },
  url: string | URL,
): boolean {
  return hostMatcher(environment.allowedHosts)(url);
}

/**
 * This machine, and nothing that merely resolves to it: the built-in `local` environment's
 * allowlist and what `loadline run --local` may load (any port).
 */
export const LOOPBACK_HOSTS: readonly string[] = Object.freeze(['127.0.0.0/8', '::1', 'localhost']);

/** Whether `url` points at this machine by LOOPBACK_HOSTS (the one loopback policy). */
export const isLoopback: (url: string | URL) => boolean = hostMatcher(LOOPBACK_HOSTS);
