import { hostOf, isLoopback } from '@loadline/api';

// Loadline's own servers are never a target, whatever an allowlist says: an environment
// that allows 127.0.0.1 must not let a run flood control's API, its Redis or its Postgres.

const DEFAULT_PORTS: Record<string, number> = {
  'http:': 80,
  'https:': 443,
  'redis:': 6379,
  'rediss:': 6379,
  'postgres:': 5432,
  'postgresql:': 5432,
};

function authorityOf(url: string): { host: string; port: number; loopback: boolean } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = hostOf(parsed);
  if (host === undefined) return undefined;
  const port = parsed.port ? Number(parsed.port) : (DEFAULT_PORTS[parsed.protocol] ?? 0);
  return { host, port, loopback: isLoopback(`http://${host.includes(':') ? `[${host}]` : host}`) };
}

/**
 * Why `target` is one of Loadline's own servers (`infrastructure`: their URLs), or
 * undefined. Loopback names and addresses count as one host: 127.0.0.1 is localhost.
 */
export function infrastructureProblem(
  target: string,
  infrastructure: readonly string[],
): string | undefined {
  const aim = authorityOf(target);
  if (!aim) return undefined;
  for (const url of infrastructure) {
    const own = authorityOf(url);
    if (!own || own.port !== aim.port) continue;
    if (own.host === aim.host || (own.loopback && aim.loopback)) {
      const scheme = new URL(url).protocol.replace(':', '');
      return `target ${new URL(target).host} is Loadline's own ${scheme} server (port ${aim.port}); runs may not load it`;
    }
  }
  return undefined;
}
