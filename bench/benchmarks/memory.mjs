// 4. Memory: a long open-model run at a high rate against nginx, sampling the generator's
// RSS once a second. Max RSS must stay low and the curve flat (no growth over the run).
import { startNginx } from '../lib/nginx.mjs';
import { sampleRss, summariseRss } from '../lib/rss.mjs';
import { describe, fmt, mb, pct, ratio, verdict } from '../lib/table.mjs';
import { attempt, autocannon, loadline } from '../lib/tools.mjs';

const rate = 20_000;
const maxRssMb = 150;

/** Runs `fn(onStart)` while sampling the RSS of the process it starts. */
async function withRss(fn, durationS) {
  let sampler = null;
  try {
    const result = await fn((child) => {
      sampler = sampleRss(child.pid);
    });
    const samples = sampler?.stop() ?? [];
    result.rss = { ...summariseRss(samples, durationS), series: samples };
    return result;
  } finally {
    sampler?.stop();
  }
}

function rssLine(r) {
  if (r.error || !r.rss) return `  ${r.tool.padEnd(22)} no RSS samples`;
  const s = r.rss;
  return (
    `  ${r.tool.padEnd(22)} max ${mb(s.maxMb)}  early ${mb(s.earlyMb)}  last ${mb(s.lateMb)}` +
    ` (${pct(s.growth === null ? null : s.growth * 100)})  slope ${fmt(s.slopeMbPerMin, 2)} MB/min`
  );
}

export async function memory({ quick }) {
  const durationS = quick ? 15 : 60;
  const nginx = await startNginx();
  try {
    console.log(
      `  nginx on ${nginx.url}; ${fmt(rate)}/s for ${durationS} s, RSS sampled every 1 s`,
    );
    // RSS from the tool's side, request count from nginx's side.
    const measure = (fn) => nginx.counted(() => withRss(fn, durationS));
    const runs = {
      loadline: await attempt('loadline', () =>
        measure((onStart) => loadline(nginx.url, ['--rate', String(rate)], durationS, { onStart })),
      ),
      autocannon: await attempt('autocannon', () =>
        measure((onStart) => autocannon(nginx.url, { connections: 200, durationS, rate, onStart })),
      ),
    };
    for (const r of Object.values(runs)) console.log(describe(r));
    for (const r of Object.values(runs)) console.log(rssLine(r));

    const ll = runs.loadline.rss ?? {};
    const ac = runs.autocannon.rss ?? {};
    const growth = (s) => (s.growth === null || s.growth === undefined ? null : s.growth * 100);
    const rows = [
      {
        metric: `memory max RSS @${fmt(rate)}/s`,
        loadline: mb(ll.maxMb),
        peer: runs.autocannon.tool,
        peerValue: mb(ac.maxMb),
        ratio: ratio(ll.maxMb, ac.maxMb),
        target: `< ${maxRssMb} MB`,
        pass: ll.maxMb === undefined ? null : ll.maxMb < maxRssMb,
      },
      {
        metric: 'memory last vs early RSS',
        loadline: pct(growth(ll)),
        peer: runs.autocannon.tool,
        peerValue: pct(growth(ac)),
        ratio: null,
        target: 'within ±10 %',
        pass: ll.flat ?? null,
      },
    ];
    for (const row of rows) console.log(`  ${row.metric}: ${row.loadline}  ${verdict(row.pass)}`);
    return { durationS, rate, runs, rows };
  } finally {
    await nginx.stop();
  }
}
