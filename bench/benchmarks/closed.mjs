// 1. Closed-model throughput: 50 connections, each sending its next request as soon as the
// previous answer arrives, against nginx. Loadline against autocannon (and wrk if present).
import { startNginx } from '../lib/nginx.mjs';
import { describe, fmt, ratio, verdict } from '../lib/table.mjs';
import { attempt, autocannon, hasWrk, loadline, wrk } from '../lib/tools.mjs';

const connections = 50;
const target = 1.2;

export async function closed({ quick }) {
  const durationS = quick ? 3 : 10;
  const nginx = await startNginx();
  try {
    console.log(`  nginx on ${nginx.url}; warm-up`);
    await autocannon(nginx.url, { connections, durationS: quick ? 1 : 3 });
    const runs = {
      loadline: await attempt('loadline', () =>
        loadline(nginx.url, ['--connections', String(connections)], durationS),
      ),
      autocannon: await attempt('autocannon', () =>
        autocannon(nginx.url, { connections, durationS }),
      ),
      wrk: hasWrk()
        ? await attempt('wrk', () => wrk(nginx.url, { connections, durationS }))
        : { tool: 'wrk', error: 'wrk not installed' },
    };
    for (const r of Object.values(runs)) console.log(describe(r));

    const ll = runs.loadline;
    const clean = !ll.error && ll.errors === 0;
    const rows = ['autocannon', 'wrk'].map((peer) => {
      const r = ratio(ll.rps, runs[peer].rps);
      const pass = peer === 'autocannon' && r !== null ? r >= target && clean : null;
      return {
        metric: `closed c=${connections} rps`,
        loadline: fmt(ll.rps),
        peer,
        peerValue: fmt(runs[peer].rps),
        ratio: r,
        target: peer === 'autocannon' ? `ratio >= ${target}, 0 errors` : '-',
        pass,
      };
    });
    for (const row of rows) {
      console.log(`  loadline/${row.peer} = ${fmt(row.ratio, 2)}  ${verdict(row.pass)}`);
    }
    return { durationS, connections, runs, rows };
  } finally {
    await nginx.stop();
  }
}
