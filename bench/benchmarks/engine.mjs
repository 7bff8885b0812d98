// 5. Engine choice ("measure, don't guess"): the same closed loop — 50 keep-alive
// connections sending back to back against nginx — driven by undici's Pool and by
// Loadline's raw-socket engine, each in a fresh pinned process.
import { join } from 'node:path';
import { startNginx } from '../lib/nginx.mjs';
import { run } from '../lib/proc.mjs';
import { fmt, ratio, verdict } from '../lib/table.mjs';
import { root } from '../lib/tools.mjs';

const script = join(root, 'bench', 'engine-choice.mjs');

async function measure(url, which, durationS) {
  const { code, stdout, stderr } = await run(
    'tool',
    process.execPath,
    [script, url, String(durationS), which],
    {
      timeoutMs: (durationS * 1.5 + 30) * 1000,
    },
  );
  if (code !== 0) throw new Error(`engine-choice ${which} exited ${code}: ${stderr.trim()}`);
  const result = JSON.parse(stdout);
  return which === 'undici' ? result.undiciRps : result.rawSocketRps;
}

export async function engineChoice({ quick }) {
  const durationS = quick ? 3 : 10;
  const nginx = await startNginx();
  try {
    console.log(`  nginx on ${nginx.url}`);
    const undici = await measure(nginx.url, 'undici', durationS);
    const raw = await measure(nginx.url, 'engine', durationS);
    const r = ratio(raw, undici);
    console.log(
      `  undici Pool ${fmt(undici)} rps, raw-socket engine ${fmt(raw)} rps, ratio ${fmt(r, 2)}`,
    );
    const row = {
      metric: 'closed c=50 rps, same loop',
      loadline: fmt(raw),
      peer: 'undici Pool',
      peerValue: fmt(undici),
      ratio: r,
      target: 'ratio > 1 (keeps raw sockets)',
      pass: r === null ? null : r > 1,
    };
    console.log(`  raw/undici = ${fmt(r, 2)}  ${verdict(row.pass)}`);
    return { durationS, runs: { loadline: { rps: raw }, undici: { rps: undici } }, rows: [row] };
  } finally {
    await nginx.stop();
  }
}
