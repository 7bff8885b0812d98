import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Corpus, corpusFromJson, corpusToJson } from './corpus.js';
import { ImportError } from './errors.js';
import { importCorpus } from './import.js';

/** A HAR of one GET per `[url, headers]`, one entry per line group. */
function har(entries: Array<[url: string, headers: Array<[string, string]>]>): string {
  const items = entries.map(([url, headers]) =>
    JSON.stringify({
      startedDateTime: '2024-01-01T00:00:00.000Z',
      request: {
        method: 'GET',
        url,
        headers: headers.map(([name, value]) => ({ name, value })),
      },
      response: { status: 200 },
    }),
  );
  return `{ "log": { "entries": [\n${items.join(',\n')}\n] } }`;
}

const importHar = (text: string, options = {}) =>
  importCorpus(text, { format: 'har', source: 'trace.har', ...options });

function importError(text: string): ImportError {
  try {
    importHar(text);
  } catch (error) {
    if (error instanceof ImportError) return error;
    throw error;
  }
  assert.fail('expected an ImportError');
}

describe('what a corpus may hold', () => {
  it('drops a captured Host, shadow tag and baggage, even when asked to keep them', () => {
    const { corpus } = importHar(
      har([
        [
          'http://shop.example/a',
          [
            ['Host', 'other.example'],
            ['X-Loadline-Shadow', 'run_old.1.sig'],
            ['baggage', 'loadline-shadow=run_old.1.sig'],
            ['Content-Length', '0'],
            ['X-Keep', 'yes'],
          ],
        ],
      ]),
      { keepHeaders: ['host', 'x-loadline-shadow', 'baggage', 'content-length'] },
    );
    assert.deepEqual(corpus.requests[0]?.headers, [['X-Keep', 'yes']]);
  });

  it('refuses a request that would inject, smuggle or leave the target, at its line', () => {
    const text = har([
      ['http://shop.example/ok', []],
      ['http://shop.example/a', [['x-a', 'v\r\nX-Injected: 1']]],
      ['http://shop.example//other.example/stolen', []],
      ['http://shop.example/b', [['x a', 'v']]],
      ['http://shop.example/c', [['x-a', '\u010aX-Injected: 1']]],
    ]);
    const error = importError(text);
    assert.equal(error.total, 4);
    assert.deepEqual(
      error.issues.map((issue) => issue.line),
      [3, 4, 5, 6],
    );
    assert.match(
      error.issues[0]?.message ?? '',
      /header "x-a": the value contains a carriage return/,
    );
    assert.match(error.issues[1]?.message ?? '', /may not start with "\/\/"/);
    assert.match(error.issues[2]?.message ?? '', /not an HTTP token/);
    assert.match(error.issues[3]?.message ?? '', /U\+010A/);
    const { corpus, summary } = importHar(text, { skipBad: true });
    assert.deepEqual(
      corpus.requests.map((r) => r.path),
      ['/ok'],
    );
    assert.equal(summary.skipped, 4);
  });

  it('refuses a stored corpus holding what an import would not write', () => {
    const { corpus } = importHar(har([['http://shop.example/ok', [['x-a', 'v']]]]));
    assert.deepEqual(corpusFromJson(corpusToJson(corpus)), corpus);
    const cases: Array<[string, (c: Corpus) => void, RegExp]> = [
      [
        'host',
        (c) => c.requests[0]?.headers.push(['Host', 'other.example']),
        /"Host" may not be set/,
      ],
      ['shadow', (c) => c.requests[0]?.headers.push(['x-loadline-shadow', 'x']), /shadow tag/],
      ['baggage', (c) => c.requests[0]?.headers.push(['Baggage', 'x']), /shadow baggage/],
      ['line break', (c) => c.requests[0]?.headers.push(['x-b', 'v\nX-Injected: 1']), /line feed/],
      ['protocol-relative', (c) => Object.assign(c.requests[0]!, { path: '//other/x' }), /"\/\/"/],
      [
        'absolute',
        (c) => Object.assign(c.requests[0]!, { path: 'http://other/x' }),
        /start(s)? with "\/"/,
      ],
      ['method', (c) => Object.assign(c.requests[0]!, { method: 'GET / HTTP/1.1\r\n' }), /method/],
    ];
    for (const [what, spoil, why] of cases) {
      const bad = corpusFromJson(corpusToJson(corpus));
      spoil(bad);
      const result = Corpus.safeParse(bad);
      assert.equal(result.success, false, what);
      assert.match(result.error?.issues[0]?.message ?? '', why, what);
      assert.equal(result.error?.issues[0]?.path[0], 'requests', what);
    }
  });
});
