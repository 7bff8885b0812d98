import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawInsertFormat, Session } from 'chdb';

/**
 * ClickHouse's HTTP interface, served from embedded chdb: the real ClickHouse engine behind
 * the server code path (`@clickhouse/client` over HTTP, CLICKHOUSE_URL), for tests on
 * machines where no ClickHouse server new enough can be installed (Debian's is 18.16: no
 * DateTime64, no TTL). It answers what the official client sends: `GET /ping`; a query or
 * command in the body (`FORMAT X` at its end picks the output format); an INSERT in the
 * `query` parameter with its rows in the body; `param_*` values bound by the engine;
 * `database` as the current database. A test fixture, never a server for production: one
 * process, loopback only, no users, settings in the URL ignored.
 */
export interface ChdbHttp {
  url: string;
  close(): Promise<void>;
}

/** Parameters of the HTTP interface that are not query settings. */
const RESERVED = new Set([
  'query',
  'database',
  'query_id',
  'default_format',
  'session_id',
  'enable_http_compression',
  'wait_end_of_query',
]);

const FORMAT_AT_END = /\s+FORMAT\s+([A-Za-z]+)\s*;?\s*$/i;
const INSERT = /^\s*INSERT\s+INTO\s+([`"\w.]+)\s*(?:\(([^)]*)\))?\s*FORMAT\s+([A-Za-z]+)\s*$/i;

/** A ClickHouse string literal holding `text` exactly. */
const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const INSERT_FORMATS = new Set<string>([
  'JSONEachRow',
  'JSONCompactEachRow',
  'CSV',
  'TSV',
  'TabSeparated',
]);

const identifier = (name: string) => name.replace(/[`"]/g, '').split('.').pop() ?? name;

/**
 * `connectionArgs`: engine arguments at connect (chdb's `clickhouse local` command line),
 * e.g. `--config-file=` with a `<remote_servers>` cluster for Distributed tables.
 */
export async function serveChdbOverHttp(
  dataPath: string,
  port = 0,
  connectionArgs: string[] = [],
): Promise<ChdbHttp> {
  const session = new Session(dataPath, connectionArgs.length > 0 ? { connectionArgs } : {});
  // One request at a time: a request's USE and its query must not interleave with another's.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => {});
    return next;
  };

  const answer = async (url: URL, body: string): Promise<{ text: string; format?: string }> => {
    const database = url.searchParams.get('database');
    if (database) await session.queryAsync(`USE \`${identifier(database)}\``, { format: 'Null' });
    // Parameter values reach the engine as the server would get them: their text exactly,
    // parsed by the engine as their declared type (SET param_x, not a client-side binding).
    for (const [key, value] of url.searchParams) {
      if (!key.startsWith('param_') || RESERVED.has(key)) continue; // settings: ignored
      if (!PARAM_NAME.test(key.slice(6))) throw new Error(`bad parameter name ${key}`);
      await session.queryAsync(`SET ${key} = ${literal(value)}`, { format: 'Null' });
    }
    const inURL = url.searchParams.get('query');
    const insert = inURL === null ? null : INSERT.exec(inURL);
    if (insert) {
      const columns = insert[2]
        ?.split(',')
        .map((c) => identifier(c.trim()))
        .filter(Boolean);
      const format = insert[3] as string;
      if (!INSERT_FORMATS.has(format)) throw new Error(`inserts in ${format} are not served here`);
      await session.insert({
        table: identifier(insert[1] as string),
        values: Buffer.from(body),
        format: format as RawInsertFormat,
        ...(columns && columns.length > 0 ? { columns } : {}),
      });
      return { text: '' };
    }
    const sql = inURL === null ? body : `${inURL}\n${body}`;
    const format = FORMAT_AT_END.exec(sql)?.[1] ?? 'TabSeparated';
    const statement = sql.replace(FORMAT_AT_END, '');
    const result = await session.queryAsync(statement, { format });
    return { text: result.text(), format };
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://chdb');
    if (url.pathname === '/ping' || (req.method === 'GET' && !url.searchParams.has('query'))) {
      res.end('Ok.\n');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      serial(() => answer(url, Buffer.concat(chunks).toString('utf8'))).then(
        ({ text, format }) => {
          res.writeHead(200, {
            'content-type': 'text/plain; charset=UTF-8',
            ...(format ? { 'x-clickhouse-format': format } : {}),
            'x-clickhouse-summary': '{}',
          });
          res.end(text);
        },
        (error: Error) => {
          res.writeHead(500, { 'x-clickhouse-exception-code': '0' });
          res.end(`Code: 0. DB::Exception: ${error.message}\n`);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await chain;
      session.close();
    },
  };
}
