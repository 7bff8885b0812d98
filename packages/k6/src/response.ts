/** k6's Response: status, headers, body, timings, json() with gjson paths, html(), forms and links. */
import { type Cheerio, load as loadHtml } from 'cheerio';
import type { AnyNode } from 'domhandler';
import { gjson } from './gjson.js';
import type { HttpModule, RequestParams } from './http.js';

/** A request as sent, kept raw until `res.request` is read. */
export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  cookies: Record<string, string>;
}

const canonicalNames = new Map<string, string>();

/** `content-type` → `Content-Type`, as Go (and k6) show header names; remembered per name. */
export function canonicalHeader(name: string): string {
  let canonical = canonicalNames.get(name);
  if (canonical === undefined) {
    canonical = name
      .toLowerCase()
      .replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
    if (canonicalNames.size < 10_000) canonicalNames.set(name, canonical);
  }
  return canonical;
}

export class K6Response {
  status = 0;
  status_text = '';
  proto = 'HTTP/1.1';
  headers: Record<string, string> = {};
  body: string | ArrayBuffer | null = null;
  error = '';
  error_code = 0;
  remote_ip = '';
  remote_port = 0;
  url: string;
  cookies: Record<string, Array<Record<string, unknown>>> = {};
  timings = {
    blocked: 0,
    connecting: 0,
    tls_handshaking: 0,
    sending: 0,
    waiting: 0,
    receiving: 0,
    duration: 0,
  };
  #http: HttpModule | undefined;
  #json: unknown;
  #request: SentRequest;
  #requestView: K6Response['request'] | undefined;

  constructor(method: string, url: string, http?: HttpModule) {
    this.url = url;
    this.#request = { method, url, headers: {}, body: undefined, cookies: {} };
    this.#http = http;
  }

  /** What was sent, as k6's `res.request` shows it: built only when a script reads it. */
  get request(): {
    method: string;
    url: string;
    headers: Record<string, string[]>;
    body: string;
    cookies: Record<string, unknown>;
  } {
    const sent = this.#request;
    this.#requestView ??= {
      method: sent.method,
      url: sent.url,
      headers: Object.fromEntries(
        Object.entries(sent.headers).map(([k, v]) => [canonicalHeader(k), [v]]),
      ),
      body: sent.body?.toString('utf8') ?? '',
      cookies: sent.cookies,
    };
    return this.#requestView;
  }

  sent(request: SentRequest): void {
    this.#request = request;
    this.#requestView = undefined;
  }

  json(selector?: string): unknown {
    if (typeof this.body !== 'string') {
      throw new Error(
        `cannot parse the body of ${this.url} as JSON: it is ${this.body === null ? 'empty (responseType none?)' : 'binary'}`,
      );
    }
    this.#json ??= JSON.parse(this.body);
    return selector === undefined ? this.#json : gjson(this.#json, selector);
  }

  html(selector?: string): Cheerio<AnyNode> {
    const root: Cheerio<AnyNode> = loadHtml(typeof this.body === 'string' ? this.body : '').root();
    return selector === undefined ? root : root.find(selector);
  }

  async submitForm(
    options: {
      formSelector?: string;
      fields?: Record<string, string>;
      submitSelector?: string;
      params?: RequestParams;
    } = {},
  ): Promise<K6Response> {
    const form = this.html(options.formSelector ?? 'form').first();
    if (form.length === 0)
      throw new Error(`submitForm: no form matches "${options.formSelector ?? 'form'}"`);
    const fields: Record<string, string> = {};
    form.find('input[name], select[name], textarea[name]').each((_, element) => {
      const item = form.find(element);
      const type = (item.attr('type') ?? '').toLowerCase();
      if (
        type === 'submit' ||
        ((type === 'checkbox' || type === 'radio') && item.attr('checked') === undefined)
      )
        return;
      fields[item.attr('name') as string] = item.val()?.toString() ?? '';
    });
    if (options.submitSelector) {
      const submit = form.find(options.submitSelector).first();
      const name = submit.attr('name');
      if (name) fields[name] = submit.val()?.toString() ?? '';
    }
    Object.assign(fields, options.fields);
    const method = (form.attr('method') ?? 'GET').toUpperCase();
    const action = new URL(form.attr('action') ?? '', this.url).href;
    const http = this.#requireHttp();
    return method === 'GET'
      ? http.request(
          'GET',
          `${action.split('?')[0]}?${new URLSearchParams(fields)}`,
          null,
          options.params,
        )
      : http.request(method, action, fields, options.params);
  }

  async clickLink(
    options: { selector?: string; params?: RequestParams } = {},
  ): Promise<K6Response> {
    const link = this.html(options.selector ?? 'a[href]').first();
    const href = link.attr('href');
    if (href === undefined)
      throw new Error(`clickLink: no link matches "${options.selector ?? 'a[href]'}"`);
    return this.#requireHttp().request('GET', new URL(href, this.url).href, null, options.params);
  }

  #requireHttp(): HttpModule {
    if (!this.#http) throw new Error('this response cannot follow forms or links');
    return this.#http;
  }
}
