import net from 'node:net';

/**
 * The built-in `local` environment: loopback only. A scenario run in this process may
 * only load this machine (127.0.0.0/8, ::1, localhost); anything else needs the control
 * plane and an environment whose allowlist names it.
 */
export function loopbackOnly(url: URL): boolean {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (net.isIPv4(host)) return host.split('.')[0] === '127';
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./.test(host);
  return false;
}
