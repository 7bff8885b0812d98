/** k6's cookie jar (per VU, emptied each iteration unless noCookiesReset) and Set-Cookie as k6 shows it. */
import { CookieJar as ToughJar } from 'tough-cookie';

/** k6's CookieJar over tough-cookie. */
export class CookieJar {
  #tough: ToughJar | undefined;

  /** tough-cookie's jar, made on the first cookie: most iterations of most scripts set none. */
  get jar(): ToughJar {
    this.#tough ??= new ToughJar(undefined, { looseMode: true });
    return this.#tough;
  }

  /** The cookies a request to `url` carries, by name (none without a lookup while empty). */
  cookiesFor(url: string): Array<{ key: string; value: string }> {
    return this.#tough ? this.#tough.getCookiesSync(url) : [];
  }

  /** A response's Set-Cookie line, kept as a browser (and k6) would. */
  store(line: string, url: string): void {
    this.jar.setCookieSync(line, url, { ignoreError: true });
  }

  set(url: string, name: string, value: string, options: Record<string, unknown> = {}): void {
    let text = `${name}=${value}`;
    if (options.domain) text += `; Domain=${options.domain}`;
    if (options.path) text += `; Path=${options.path}`;
    if (options.expires) text += `; Expires=${options.expires}`;
    if (options.max_age !== undefined) text += `; Max-Age=${options.max_age}`;
    if (options.secure) text += '; Secure';
    if (options.http_only) text += '; HttpOnly';
    this.jar.setCookieSync(text, url);
  }

  cookiesForURL(url: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const cookie of this.jar.getCookiesSync(url)) {
      out[cookie.key] = [...(out[cookie.key] ?? []), cookie.value];
    }
    return out;
  }

  clear(url: string): void {
    for (const cookie of this.jar.getCookiesSync(url)) {
      this.jar.setCookieSync(
        `${cookie.key}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=${cookie.path ?? '/'}`,
        url,
      );
    }
  }

  delete(url: string, name: string): void {
    for (const cookie of this.jar.getCookiesSync(url)) {
      if (cookie.key !== name) continue;
      this.jar.setCookieSync(
        `${cookie.key}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=${cookie.path ?? '/'}`,
        url,
      );
    }
  }
}

/** A Set-Cookie line as k6's `Response.cookies` shows it. */
export function parseSetCookie(line: string): Record<string, unknown> | undefined {
  const [pair, ...attributes] = line.split(';');
  const eq = pair?.indexOf('=') ?? -1;
  if (!pair || eq < 0) return undefined;
  const cookie: Record<string, unknown> = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    domain: '',
    path: '',
    http_only: false,
    secure: false,
    max_age: 0,
    expires: 0,
  };
  for (const attribute of attributes) {
    const [key = '', value = ''] = attribute.split('=').map((s) => s.trim());
    switch (key.toLowerCase()) {
      case 'domain':
        cookie.domain = value;
        break;
      case 'path':
        cookie.path = value;
        break;
      case 'httponly':
        cookie.http_only = true;
        break;
      case 'secure':
        cookie.secure = true;
        break;
      case 'max-age':
        cookie.max_age = Number(value);
        break;
      case 'expires':
        cookie.expires = Date.parse(value) || 0;
        break;
    }
  }
  return cookie;
}
