import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { AgentMessage, IntervalRow } from '@loadline/api';
import { createLatencyHistogram, encodeHistogram, recordLatencyUs } from '@loadline/histogram';
import { HistogramAccumulator, pointOf } from '@loadline/store';
import {
  asBuffer,
  type DecodedEntries,
  decodeEntries,
  type PreparedRows,
  prepareRows,
  type SignedText,
} from './ingest-decode.js';
import { IngestThreads, startWorker } from './ingest-threads.js';

/** A row with a histogram of `latenciesUs` (none: no histogram, as a shard's late-only row). */
function row(
  runId: string,
  agent: number,
  second: number,
  step: string,
  statusClass: IntervalRow['statusClass'],
  latenciesUs: number[],
): IntervalRow {
  const h = createLatencyHistogram();
  for (const v of latenciesUs) recordLatencyUs(h, v);
  return {
    runId,
    agentId: `a${agent}`,
    step,
    statusClass,
    second,
    requests: latenciesUs.length,
    errors: statusClass === '5xx' ? latenciesUs.length : 0,
    checks: 0,
    checksFailed: 0,
    late: agent % 2,
    dropped: second % 2,
    histogram: latenciesUs.length === 0 ? '' : encodeHistogram(h),
  };
}

// Two runs, three agents, two seconds, two steps, two status classes, and the step-less
// rows of late and dropped sends, in the order agents' messages interleave.
const rows: IntervalRow[] = ['run_a', 'run_b'].flatMap((runId, r) =>
  [100, 101].flatMap((second) =>
    [1, 2, 3].flatMap((agent) => [
      ...['home', 'buy'].flatMap((step) =>
        (['2xx', '5xx'] as const).map((statusClass) =>
          row(runId, agent, second, step, statusClass, [
            agent * 1000 + r,
            second * 37,
            statusClass === '5xx' ? 90_000 : 20_000 + agent * step.length,
          ]),
        ),
      ),
      row(runId, agent, second, '', 'none', []),
    ]),
  ),
);

/** The reference: every row's histogram added one by one. */
function accumulated(of: readonly IntervalRow[]): HistogramAccumulator {
  const h = new HistogramAccumulator();
  for (const r of of) h.addEncoded(r.histogram);
  return h;
}

const encoded = (plain: Uint8Array | undefined) => {
  const h = new HistogramAccumulator();
  if (plain) h.addPlain(asBuffer(plain));
  return h.toEncoded();
};

test('prepareRows merges each run per cell and per agent second, exactly', () => {
  const prepared = prepareRows(rows);
  assert.deepEqual(
    prepared.map((p) => p.runId),
    ['run_a', 'run_b'],
  );
  for (const part of prepared) {
    const mine = rows.filter((r) => r.runId === part.runId);
    assert.deepEqual(part.rows, mine);
    // a cell per (second, step, class) with samples; none for the step-less rows
    assert.equal(part.cells.length, 2 * 2 * 2);
    for (const cell of part.cells) {
      const of = mine.filter(
        (r) =>
          r.second === cell.second && r.step === cell.step && r.statusClass === cell.statusClass,
      );
      assert.equal(of.length, 3);
      assert.equal(encoded(cell.plain), accumulated(of).toEncoded());
    }
    assert.equal(part.agentSeconds.length, 3 * 2);
    for (const agentSecond of part.agentSeconds) {
      const of = mine.filter(
        (r) => r.agentId === agentSecond.agentId && r.second === agentSecond.second,
      );
      const sum = (key: 'requests' | 'errors' | 'late' | 'dropped') =>
        of.reduce((n, r) => n + r[key], 0);
      const counters = {
        requests: sum('requests'),
        errors: sum('errors'),
        late: sum('late'),
        dropped: sum('dropped'),
      };
      assert.deepEqual(
        { ...agentSecond, plain: undefined },
        {
          agentId: agentSecond.agentId,
          second: agentSecond.second,
          ...counters,
          plain: undefined,
          point: pointOf(agentSecond.second, { ...counters, latency: accumulated(of) }),
        },
      );
      assert.equal(encoded(agentSecond.plain), accumulated(of).toEncoded());
    }
  }
});

const enrolled = (message: AgentMessage): SignedText => ({
  agentId: message.agentId,
  text: JSON.stringify(message),
});
const intervals = (of: IntervalRow[]): AgentMessage => ({
  type: 'intervals',
  runId: of[0]?.runId as string,
  agentId: of[0]?.agentId as string,
  shard: 0,
  rows: of,
});
const entries: SignedText[] = [
  ...[1, 2, 3].map((agent) => enrolled(intervals(rows.filter((r) => r.agentId === `a${agent}`)))),
  { agentId: 'a1', text: 'not json' },
  // signed by a2, speaking for a1
  { agentId: 'a2', text: JSON.stringify(intervals(rows.filter((r) => r.agentId === 'a1'))) },
  enrolled(intervals([{ ...(rows[0] as IntervalRow), histogram: 'bm90IGhkcg==' }])),
  enrolled({ type: 'claimed', runId: 'run_a', agentId: 'a3', shard: 2 }),
  // its header right (the store takes it), its compressed counts garbage
  enrolled(
    intervals([{ ...(rows[0] as IntervalRow), histogram: garbled(rows[0] as IntervalRow) }]),
  ),
];

/** A histogram whose V2 header is intact and whose deflated counts are not deflate. */
function garbled(row: IntervalRow): string {
  const bytes = Buffer.from(row.histogram, 'base64');
  bytes.fill(0xff, 8);
  return bytes.toString('base64');
}

test('decodeEntries keeps what an agent may say and says why it drops the rest', () => {
  const { outcomes, prepared } = decodeEntries(entries);
  assert.deepEqual(
    outcomes.map((o) => o.kind),
    ['message', 'message', 'message', 'malformed', 'foreign', 'invalid', 'message', 'invalid'],
  );
  const garbage = outcomes[7];
  assert.ok(garbage?.kind === 'invalid', JSON.stringify(garbage));
  assert.match(garbage.reason, /a histogram does not decode/);
  const invalid = outcomes[5];
  assert.ok(invalid?.kind === 'invalid' && invalid.runId === 'run_a', JSON.stringify(invalid));
  assert.match(invalid.reason, /histogram/);
  // the kept intervals' rows, and only theirs
  assert.deepEqual(
    prepared.flatMap((p) => p.rows),
    prepareRows(
      [1, 2, 3].flatMap((agent) => rows.filter((r) => r.agentId === `a${agent}`)),
    ).flatMap((p) => p.rows),
  );
});

const threads = new IngestThreads(2, (line) => assert.fail(line));
after(() => threads.close());

/** A decoded batch with its plains as base64, as comparable across threads. */
function comparable({ outcomes, prepared }: DecodedEntries) {
  const plain = (p: Uint8Array | undefined) => (p ? asBuffer(p).toString('base64') : undefined);
  return {
    outcomes,
    prepared: prepared.map((part: PreparedRows) => ({
      ...part,
      cells: part.cells.map((c) => ({ ...c, plain: plain(c.plain) })),
      agentSeconds: part.agentSeconds.map((a) => ({ ...a, plain: plain(a.plain) })),
    })),
  };
}

test('ingest threads decode batches side by side, as the main thread does', async () => {
  const batches = [entries, entries.slice(0, 2), entries.slice(3), []];
  const decoded = await Promise.all(batches.map((batch) => threads.decode(batch)));
  batches.forEach((batch, i) => {
    assert.deepEqual(comparable(decoded[i] as DecodedEntries), comparable(decodeEntries(batch)));
  });
});

test('a thread that dies fails its batch; the main thread decodes until another runs', async () => {
  const logs: string[] = [];
  // The first thread dies on its first batch; the ones after it are real.
  let spawned = 0;
  const spawn = () =>
    spawned++ === 0
      ? new Worker(
          "require('node:worker_threads').parentPort.on('message', () => process.exit(7))",
          {
            eval: true,
          },
        )
      : startWorker();
  const dying = new IngestThreads(1, (line) => logs.push(line), spawn);
  try {
    await assert.rejects(dying.decode(entries), /ingest thread exited \(code 7\)/);
    assert.equal(dying.size, 0);
    assert.deepEqual(comparable(await dying.decode(entries)), comparable(decodeEntries(entries)));
    const deadline = Date.now() + 5000;
    while (dying.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(dying.size, 1, 'another thread started');
    assert.deepEqual(comparable(await dying.decode(entries)), comparable(decodeEntries(entries)));
    assert.equal(spawned, 2);
    assert.match(logs.join('\n'), /ingest thread exited \(code 7\); another starts in 1 s/);
  } finally {
    await dying.close();
  }
});
