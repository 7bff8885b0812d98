// `loadline import` of a 200 MB access log: read and written as streams, so the process
// stays far below what holding the log would take (the whole-file import died at 1.78 GB).
import assert from 'node:assert/strict';
import {
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli, root } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-import-stream-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'curl/8.5.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
];

/**
 * A combined log of at least `bytes`: 50 requests a second from 400,000 clients, each line
 * written up to 6 s after the one before it in time (logs are written when requests end).
 */
function writeLog(path: string, bytes: number): number {
  const fd = openSync(path, 'w');
  const start = Date.UTC(2024, 0, 2) / 1000;
  const two = (n: number) => String(n).padStart(2, '0');
  let written = 0;
  let lines = 0;
  try {
    while (written < bytes) {
      const chunk: string[] = [];
      for (let k = 0; k < 10_000; k++, lines++) {
        const t = new Date((start + Math.floor(lines / 50) - (lines % 7)) * 1000);
        const stamp = `${two(t.getUTCDate())}/Jan/2024:${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())} +0000`;
        const client = `10.${(lines >> 16) & 7}.${(lines >> 8) & 255}.${lines & 255}`;
        chunk.push(
          `${client} - - [${stamp}] "GET /api/products/${lines % 100_000}?page=${lines % 20} HTTP/1.1" 200 ${lines % 5000} "https://shop.example/c/${lines % 300}" "${AGENTS[lines % 3]}"\n`,
        );
      }
      written += writeSync(fd, chunk.join(''));
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    for (let i = (chunk as Buffer).indexOf(10); i !== -1; i = (chunk as Buffer).indexOf(10, i + 1))
      lines++;
  }
  return lines;
}

describe('loadline import of a 200 MB access log', () => {
  it('exits 0 with every request written, its peak memory under 600 MB', async () => {
    const log = join(dir, 'access.log');
    const requests = writeLog(log, 200 * 1024 * 1024);
    const out = join(dir, 'corpus.jsonl');
    const rssFile = join(dir, 'peak-rss');
    const result = await cli(['import', log, '--out', out, '--json'], {
      env: {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${join(root, 'test', 'peak-rss.mjs')}`,
        LOADLINE_PEAK_RSS_FILE: rssFile,
      },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).requests, requests);
    const peakMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
    assert.ok(peakMb < 600, `peak RSS ${Math.round(peakMb)} MB for a 200 MB log`);
    assert.equal(await countLines(out), requests + 1, 'a head line, then a line per request');
    const start = Buffer.alloc(4096);
    const fd = openSync(out, 'r');
    readSync(fd, start, 0, start.length, 0);
    closeSync(fd);
    const head = JSON.parse(start.toString('utf8').split('\n')[0] as string);
    assert.equal(head.meta.requests, requests);
    rmSync(log);
  });
});
