// Checks of infra/compose.yaml, parsed but not interpolated (${VAR…} stays as written).
import {
  controlListenProblems,
  envNameProblems,
  redisClientProblems,
  redisServerProblems,
} from './common.mjs';

/** Compose interpolates $VAR and ${VAR…}; a literal $ must be written $$. */
export function composeInterpolationProblems(text, where) {
  const problems = [];
  for (const [i, line] of text.split('\n').entries()) {
    const code = line.replace(/^\s*#.*$/, '');
    for (const m of code.matchAll(/\$(?!\$)(?!\{[A-Z_][A-Z0-9_]*(:?[-?+][^}]*)?\})/g)) {
      if (code[m.index - 1] !== '$') problems.push(`${where}:${i + 1}: bare "$": ${line.trim()}`);
    }
  }
  return problems;
}

/**
 * A value as compose would make it, with stand-ins: ${VAR:-default} its default, any
 * other ${VAR…} the text "VAR" (enough to check a URL's shape).
 */
export function interpolated(value) {
  return String(value).replace(
    /\$\{([A-Z_][A-Z0-9_]*)(?::?([-?+])([^}]*))?\}/g,
    (_, name, op, rest) => (op === '-' ? rest : name),
  );
}

/** A service's environment as a map (compose allows a mapping or a NAME=value list). */
export function environmentOf(service) {
  const env = service?.environment ?? {};
  if (!Array.isArray(env)) return new Map(Object.entries(env).map(([k, v]) => [k, v]));
  return new Map(
    env.map((entry) => {
      const [name, ...value] = String(entry).split('=');
      return [name, value.length > 0 ? value.join('=') : undefined];
    }),
  );
}

/** Image, depends_on and volume references that compose would refuse or mis-start. */
export function composeServiceProblems(compose, where) {
  const problems = [];
  const services = compose?.services ?? {};
  for (const [name, service] of Object.entries(services)) {
    if (!service.image && !service.build) problems.push(`${where}: service ${name} has no image`);
    for (const dep of Object.keys(service.depends_on ?? {})) {
      const condition = service.depends_on[dep].condition;
      if (!services[dep]) problems.push(`${where}: ${name} depends on unknown service ${dep}`);
      else if (condition === 'service_healthy' && !services[dep].healthcheck)
        problems.push(`${where}: ${name} waits for ${dep} to be healthy, which has no healthcheck`);
    }
    for (const volume of service.volumes ?? []) {
      const source = String(volume).split(':')[0];
      if (
        !source.startsWith('.') &&
        !source.startsWith('/') &&
        !(source in (compose.volumes ?? {}))
      )
        problems.push(`${where}: ${name} mounts undeclared volume ${source}`);
    }
  }
  return problems;
}

const LOOPBACK_PUBLISH = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|::1)$/;

/**
 * Published ports name a loopback address ("127.0.0.1:7700:7700"): without one, Docker
 * publishes on every interface of the host, past its firewall.
 */
export function composePortProblems(compose, where) {
  const problems = [];
  for (const [name, service] of Object.entries(compose?.services ?? {})) {
    for (const port of service.ports ?? []) {
      const hostIp =
        typeof port === 'object'
          ? port.host_ip
          : /^(\[[^\]]*\]|[^:]*):[^:]+:[^:]+$/.exec(interpolated(port))?.[1];
      if (hostIp === undefined || !LOOPBACK_PUBLISH.test(hostIp)) {
        problems.push(
          `${where}: ${name} publishes ${JSON.stringify(port)} on every interface; write "127.0.0.1:HOST:CONTAINER"`,
        );
      }
    }
    if (service.network_mode === 'host') {
      problems.push(`${where}: ${name} uses the host's network: every port it opens is public`);
    }
  }
  return problems;
}

/** A password, secret or token with a default is a published credential. */
export function composeDefaultSecretProblems(text, where) {
  const problems = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (/^\s*#/.test(line)) continue;
    for (const m of line.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:?-)[^}]*\}/g)) {
      if (/PASSWORD|SECRET|TOKEN/.test(m[1])) {
        problems.push(`${where}:${i + 1}: ${m[1]} has a default; require it with \${${m[1]}:?…}`);
      }
    }
  }
  return problems;
}

/** `${NAME:?message}`: compose stops with the message when NAME is unset or empty. */
const required = (value, name) => new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`).test(String(value));

/**
 * Control and agents: the variables the code reads and nothing else; `loadline control` and
 * `loadline agent` with --namespace; Redis as their own ACL user over TLS; control's
 * listener secured; secrets from .env, required, with no default.
 */
export function composeLoadlineProblems(compose, where, reads) {
  const problems = [];
  const services = compose?.services ?? {};
  for (const role of ['control', 'agent']) {
    const service = services[role];
    const at = `${where} ${role}`;
    if (!service) {
      problems.push(`${where}: no ${role} service`);
      continue;
    }
    const env = environmentOf(service);
    problems.push(...envNameProblems(at, env.keys(), reads[role]));
    const command = (service.command ?? []).map(String);
    if (command[0] !== role) problems.push(`${at}: should run \`loadline ${role}\``);
    if (!command.includes('--namespace')) problems.push(`${at}: should pass --namespace`);
    const url = env.get('REDIS_URL');
    problems.push(
      ...redisClientProblems(at, role, url === undefined ? undefined : interpolated(url), env),
    );
    const secrets =
      role === 'control'
        ? ['LOADLINE_ADMIN_PASSWORD', 'LOADLINE_SHADOW_SECRET']
        : ['LOADLINE_AGENT_TOKEN'];
    for (const name of secrets) {
      if (!required(env.get(name), name)) {
        problems.push(`${at}: ${name} must come from .env as \${${name}:?message}`);
      }
    }
  }
  if (services.control) {
    const env = new Map(
      [...environmentOf(services.control)].map(([k, v]) => [k, v && interpolated(v)]),
    );
    const command = (services.control.command ?? []).map(String);
    problems.push(...controlListenProblems(`${where} control`, command, env));
  }
  return problems;
}

/** The redis service: TLS only with the ACL file, and no port of it published. */
export function composeRedisProblems(compose, where) {
  const redis = compose?.services?.redis;
  if (!redis) return [`${where}: no redis service`];
  const problems = redisServerProblems(`${where} redis`, (redis.command ?? []).map(String));
  if ((redis.ports ?? []).length > 0) problems.push(`${where}: redis publishes a port`);
  return problems;
}

/** Which services share a network with `name` (compose's default network when none is listed). */
function neighbours(services, name) {
  const networksOf = (service) =>
    service.network_mode === 'none'
      ? []
      : Array.isArray(service.networks)
        ? service.networks
        : Object.keys(service.networks ?? { default: null });
  const mine = new Set(networksOf(services[name]));
  return Object.entries(services)
    .filter(([other, s]) => other !== name && networksOf(s).some((n) => mine.has(n)))
    .map(([other]) => other);
}

/**
 * Only control reaches Postgres and ClickHouse; only control and agents reach Redis. The
 * networks they share must be internal (no way out, no published port).
 */
export function composeNetworkProblems(compose, where) {
  const problems = [];
  const services = compose?.services ?? {};
  const allowed = { postgres: ['control'], clickhouse: ['control'], redis: ['control', 'agent'] };
  for (const [store, clients] of Object.entries(allowed)) {
    if (!services[store]) continue;
    for (const other of neighbours(services, store)) {
      if (!clients.includes(other) && !(other in allowed)) {
        problems.push(`${where}: ${other} shares a network with ${store} (only ${clients} may)`);
      }
    }
    const networks = services[store].networks ?? ['default'];
    for (const network of Array.isArray(networks) ? networks : Object.keys(networks)) {
      if (!compose.networks?.[network]?.internal) {
        problems.push(`${where}: ${store} is on network ${network}, which is not internal`);
      }
    }
  }
  return problems;
}
