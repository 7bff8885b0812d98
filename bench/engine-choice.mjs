#!/usr/bin/env node
// Why the engine writes raw sockets: the same closed-model loop (50 keep-alive
// connections, back to back) with undici's Pool, and with Loadline's engine, against the
// same nginx on the other core. `node bench/engine-choice.mjs URL [seconds]`.
import { performance } from 'node:perf_hooks';
import { LoadEngine } from '../packages/engine/dist/index.js';

const url = new URL(process.argv[2] ?? 'http://127.0.0.1:8080/');
const seconds = Number(process.argv[3] ?? 5);
const connections = 50;

async function undiciClosedLoop() {
  const { Pool } = await import('undici');
  const pool = new Pool(url.origin, { connections, pipelining: 1 });
  let requests = 0;
  const deadline = performance.now() + seconds * 1000;
  async function worker() {
    while (performance.now() < deadline) {
      const { body } = await pool.request({ path: url.pathname, method: 'GET' });
      await body.dump();
      requests++;
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return requests / elapsed;
}

async function rawSocketEngine() {
  const engine = new LoadEngine({
    target: { url, method: 'GET', headers: [] },
    model: { kind: 'closed', connections, durationMs: seconds * 1000 },
  });
  const report = await engine.run();
  return report.achievedRps;
}

const which = process.argv[4] ?? 'both';
const result = {};
if (which !== 'engine') result.undiciRps = Math.round(await undiciClosedLoop());
if (which !== 'undici') result.rawSocketRps = Math.round(await rawSocketEngine());
console.log(JSON.stringify(result));
