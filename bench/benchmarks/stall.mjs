// 3. Stall: a target that stalls 500 ms every 5 s. An open-model tool sees the stall in its
// tail latency (true p99 ~450 ms); a closed-model tool mostly waits it out and hides it
// (coordinated omission).
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sleep, start, stop } from '../lib/proc.mjs';
import { describe, ms, ratio, verdict } from '../lib/table.mjs';
import { attempt, autocannon, loadline, root } from '../lib/tools.mjs';

const rate = 2000;
const connections = 50;
const tolerance = 0.1;

/** Starts bench/stall-server.mjs on the target CPU; resolves to its JSON announcement. */
async function startStallServer() {
  const child = start('target', process.execPath, [join(root, 'bench/stall-server.mjs')]);
  const lines = createInterface({ input: child.stdout });
  let info;
  try {
    info = await Promise.race([
      new Promise((resolve) => lines.once('line', (line) => resolve(JSON.parse(line)))),
      new Promise((_, reject) =>
        child.once('exit', (code) => reject(new Error(`stall server exited ${code}`))),
      ),
      sleep(10_000).then(() => {
        throw new Error('stall server did not announce its port');
      }),
    ]);
  } catch (err) {
    await stop(child);
    throw err;
  }
  return { ...info, url: `http://127.0.0.1:${info.port}/`, stop: () => stop(child) };
}

/**
 * Waits until 1 s after the end of a stall, so that a run lasting a whole number of periods
 * sees whole stalls only, none cut by the start or the end of the run.
 */
async function alignToPeriod({ epochMs, periodMs }) {
  const phase = (Date.now() - epochMs) % periodMs;
  await sleep((1000 - phase + periodMs) % periodMs);
}

export async function stall({ quick }) {
  const server = await startStallServer();
  // A whole number of periods: every run then spends exactly stallMs/periodMs of its time stalled.
  const durationS = (quick ? 1 : 4) * (server.periodMs / 1000);
  const stalled = server.stallMs / server.periodMs;
  // Requests are uniform in time, so a fraction `stalled` of them wait U(0, stallMs); the
  // slowest 1 % are then the top 1/(100*stalled) of that uniform range.
  const trueP99 = server.stallMs * (1 - 0.01 / stalled);
  try {
    console.log(
      `  stall server on ${server.url}: ${server.stallMs} ms stall every ${server.periodMs} ms; true p99 ~${trueP99} ms`,
    );
    const runs = {};
    await alignToPeriod(server);
    runs.loadline = await attempt('loadline', () =>
      loadline(server.url, ['--rate', String(rate), '--max-in-flight', '4000'], durationS),
    );
    await alignToPeriod(server);
    runs.autocannon = await attempt('autocannon', () =>
      autocannon(server.url, { connections, durationS }),
    );
    await alignToPeriod(server);
    runs.autocannonRate = await attempt(`autocannon -R ${rate}`, () =>
      autocannon(server.url, { connections, durationS, rate }),
    );
    for (const r of Object.values(runs)) console.log(describe(r));

    const p99 = (r) => (r.error ? null : r.latencyMs.p99);
    const pass =
      p99(runs.loadline) === null ? null : Math.abs(p99(runs.loadline) / trueP99 - 1) <= tolerance;
    console.log(
      `  p99: true ~${ms(trueP99)}, loadline ${ms(p99(runs.loadline))}, autocannon ${ms(p99(runs.autocannon))}, ` +
        `autocannon -R ${ms(p99(runs.autocannonRate))}  ${verdict(pass)}`,
    );
    const rows = [runs.autocannon, runs.autocannonRate].map((peer) => ({
      metric: `stall p99 (true ~${trueP99} ms)`,
      loadline: ms(p99(runs.loadline)),
      peer: peer.tool,
      peerValue: ms(p99(peer)),
      ratio: ratio(p99(runs.loadline), p99(peer)),
      target: peer === runs.autocannon ? `${trueP99} ms ±${tolerance * 100} %` : '-',
      pass: peer === runs.autocannon ? pass : null,
    }));
    return {
      durationS,
      rate,
      connections,
      trueP99Ms: trueP99,
      server: { ...server, stop: undefined },
      runs,
      rows,
    };
  } finally {
    await server.stop();
  }
}
