// What compose and Kubernetes checks share: YAML parsing, the environment rule, and the
// security rules for control's listener and the Redis URLs and server. Every check is a
// function from parsed files to a list of problems ("where: what"); none reads a file.
import { parseAllDocuments } from 'yaml';

/** Every document of a YAML text, and its parse errors and warnings as problems. */
export function parseYamlText(text, where) {
  const docs = [];
  const problems = [];
  for (const doc of parseAllDocuments(text, { merge: true, uniqueKeys: true })) {
    for (const e of [...doc.errors, ...doc.warnings]) problems.push(`${where}: ${e.message}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) docs.push(value);
  }
  return { docs, problems };
}

/** Read by the runtimes or images, not by Loadline's code. */
export const PLATFORM_VARIABLES = new Set(['NODE_ENV', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS']);

/**
 * Variables set for a Loadline process that its code does not read: a typo, or a setting
 * the code dropped, would otherwise be silently ignored. `composing` are variables that
 * only serve to build another one's value ($(VAR) in Kubernetes).
 */
export function envNameProblems(where, names, reads, composing = new Set()) {
  const problems = [];
  for (const name of names) {
    if (!reads.has(name) && !PLATFORM_VARIABLES.has(name) && !composing.has(name)) {
      problems.push(
        `${where}: sets ${name}, which the code does not read (reads: ${[...reads].join(', ')})`,
      );
    }
  }
  return problems;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** The host a URL names, without IPv6 brackets; undefined when it is not a URL. */
function hostOf(url) {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

/**
 * Control beyond loopback must speak TLS (--tls-cert and --tls-key), or say
 * --insecure-http and then name the hosts it answers to (LOADLINE_PUBLIC_HOSTS): the code
 * refuses to start otherwise, and without public hosts a wildcard listener answers any
 * Host. `env` maps names to values (undefined when they come from elsewhere).
 */
export function controlListenProblems(where, args, env) {
  const problems = [];
  const listen = env.get('LOADLINE_API');
  const host = listen === undefined ? '127.0.0.1' : hostOf(listen);
  if (host === undefined) return [`${where}: LOADLINE_API "${listen}" is not a URL`];
  if (LOOPBACK.test(host)) return problems;
  const tls = args.includes('--tls-cert') && args.includes('--tls-key');
  const insecure = args.includes('--insecure-http');
  if (!tls && !insecure) {
    problems.push(
      `${where}: control listens on ${host} without TLS: give --tls-cert and --tls-key, or --insecure-http behind a TLS-terminating proxy`,
    );
  }
  if (insecure && !tls && !(env.get('LOADLINE_PUBLIC_HOSTS') ?? '').trim()) {
    problems.push(
      `${where}: control runs --insecure-http without LOADLINE_PUBLIC_HOSTS: name the hosts it answers to`,
    );
  }
  if (tls && listen?.startsWith('http://')) {
    problems.push(`${where}: control serves TLS, so LOADLINE_API should say https://`);
  }
  return problems;
}

/**
 * A Loadline process's Redis: TLS (rediss://) as its own ACL user (`control` or `agent`,
 * infra/redis/users.acl.template), with the authority it trusts (LOADLINE_REDIS_CA).
 */
export function redisClientProblems(where, user, url, env) {
  if (url === undefined) return [`${where}: no REDIS_URL (it would use a local plain-text Redis)`];
  const problems = [];
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return [`${where}: REDIS_URL is not a URL`];
  }
  if (parsed.protocol !== 'rediss:') {
    problems.push(`${where}: REDIS_URL must be rediss:// (TLS), not ${parsed.protocol}//`);
  }
  if (parsed.username !== user) {
    problems.push(
      `${where}: REDIS_URL signs in as "${parsed.username}"; this process's ACL user is "${user}"`,
    );
  }
  if (!parsed.password) problems.push(`${where}: REDIS_URL has no password`);
  if (!env.has('LOADLINE_REDIS_CA')) {
    problems.push(`${where}: no LOADLINE_REDIS_CA (the authority of Redis's certificate)`);
  }
  return problems;
}

/** The value of `--flag value` in an argument list, or undefined. */
export function flagValue(args, flag) {
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
}

/**
 * redis-server's arguments: TLS only (a TLS port, certificate and key, and --port 0 so no
 * plain-text port listens; the default is 6379) and an ACL file; never a shared
 * requirepass.
 */
export function redisServerProblems(where, args) {
  const problems = [];
  const words = args.map(String);
  if (flagValue(words, '--port') !== '0') {
    problems.push(`${where}: redis-server must run with --port 0 (no plain-text port)`);
  }
  for (const flag of ['--tls-port', '--tls-cert-file', '--tls-key-file', '--aclfile']) {
    if (flagValue(words, flag) === undefined) problems.push(`${where}: redis-server needs ${flag}`);
  }
  if (words.includes('--requirepass')) {
    problems.push(`${where}: --requirepass is one password for everyone; use the ACL users`);
  }
  if (flagValue(words, '--maxmemory-policy') !== 'noeviction') {
    problems.push(`${where}: BullMQ needs --maxmemory-policy noeviction`);
  }
  return problems;
}
