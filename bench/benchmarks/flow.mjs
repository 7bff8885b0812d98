// 6. Flow throughput: a one-step flow in the open model through the scenario engine
// (`loadline run FILE --local`), pinned to one core, nginx on the other. Held: at least
// 10,000 iterations/s within 1 % of the asked rate. Over capacity: the run must still end
// on time and say how many sends were late or dropped instead of stretching the test
// (Artillery, asked for 5,000 arrivals/s on this machine, stretched 15 s into 65 s).
// No scenario-level peer runs here: k6 is not installable offline and Artillery's npm
// package pulls a browser; the figures are compared with the targets instead.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx } from '../lib/nginx.mjs';
import { run } from '../lib/proc.mjs';
import { fmt, pct, verdict } from '../lib/table.mjs';
import { config } from '../lib/tools.mjs';

async function flowRun(url, rate, durationS) {
  const dir = mkdtempSync(join(tmpdir(), 'loadline-flow-bench-'));
  const file = join(dir, 'flow.yaml');
  writeFileSync(
    file,
    `name: flow-bench\ntarget: ${url}\nload: { rate: ${rate}, duration: ${durationS}s, maxInFlight: 20000 }\n` +
      'flows: [{ name: f, steps: [{ name: hit, request: { path: / }, check: { status: 200 } }] }]\n',
  );
  const started = Date.now();
  const res = await run(
    'tool',
    process.execPath,
    [config.loadlineBin, 'run', file, '--local', '--json'],
    {
      timeoutMs: (durationS * 2 + 30) * 1000,
    },
  );
  const wallS = (Date.now() - started) / 1000;
  const out = JSON.parse(res.stdout.trim().split('\n').at(-1));
  return { ...out, wallS, exitCode: res.code };
}

export async function flow({ quick }) {
  const durationS = quick ? 3 : 10;
  const heldRate = 10_000;
  const overRate = 60_000;
  const nginx = await startNginx();
  try {
    console.log(
      `  nginx on ${nginx.url}; one-step flow, ${heldRate}/s then ${overRate}/s for ${durationS} s`,
    );
    const held = await flowRun(nginx.url, heldRate, durationS);
    const intended = heldRate * durationS;
    const iterations = held.iterations.completed + held.iterations.failed;
    const errorPct = (iterations / intended - 1) * 100;
    // Held means on time, too: a generator that kept up is not `invalid`.
    const heldPass = Math.abs(errorPct) <= 1 && held.total.errors === 0 && held.status === 'passed';
    console.log(
      `  held: ${fmt(iterations)} iterations of ${fmt(intended)} (${pct(errorPct)}), late ${fmt(held.late)}, dropped ${fmt(held.dropped)}, p99 ${held.total.latencyMs.p99} ms, wall ${held.wallS.toFixed(1)} s, ${held.status}  ${verdict(heldPass)}`,
    );
    const over = await flowRun(nginx.url, overRate, durationS);
    const overIterations = over.iterations.started;
    const onTime = over.durationS <= durationS * 1.05;
    // Past what one core sends, the run must say so: late and dropped counted, and the run
    // `invalid` (exit 5) unless the generator still kept within its limits.
    const lateShare = over.late / Math.max(over.generator?.agents[0]?.sent ?? 1, 1);
    const said =
      over.late + over.dropped > 0 &&
      (over.status === 'invalid' ? over.exitCode === 5 : lateShare <= 0.01);
    console.log(
      `  over capacity: asked ${fmt(overRate * durationS)}, started ${fmt(overIterations)} (${fmt(overIterations / durationS)}/s), late ${fmt(over.late)}, dropped ${fmt(over.dropped)}, load phase ${over.durationS} s, wall ${over.wallS.toFixed(1)} s, ${over.status} (exit ${over.exitCode})  ${verdict(said && onTime)}`,
    );
    return {
      durationS,
      runs: { loadline: held, over },
      rows: [
        {
          metric: `flow ${fmt(heldRate)}/s iterations`,
          loadline: `${fmt(iterations)} (${pct(errorPct)})`,
          peer: 'target',
          peerValue: `${fmt(intended)} ±1 %`,
          ratio: null,
          target: '≥ 10,000/s within ±1 %',
          pass: heldPass,
        },
        {
          metric: `flow asked ${fmt(overRate)}/s`,
          loadline: `${fmt(overIterations / durationS)}/s, late ${fmt(over.late)}, dropped ${fmt(over.dropped)}, ${over.durationS} s, ${over.status}`,
          peer: 'target',
          peerValue: `ends in ${durationS} s, says late/dropped, invalid`,
          ratio: null,
          target: 'no stretching; counted',
          pass: said && onTime,
        },
      ],
    };
  } finally {
    await nginx.stop();
  }
}
