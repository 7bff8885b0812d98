import { readFileSync } from 'node:fs';
import { fitUsl } from './src/usl.js';
for (const f of ['cisco','specsdm91','specsdm91-rounded','raytracer','raytracer-first6','oracledb','r-usl-coef-test']) {
  const lines = readFileSync(`/work/shared/data/usl/${f}.csv`,'utf8').trim().split('\n').slice(1);
  const pts = lines.map(l => { const [c,t] = l.split(',').map(Number); return {concurrency:c!, throughput:t!}; });
  for (const bounded of [true,false]) {
  const t0 = performance.now();
  const fit = await fitUsl(pts, {bounded});
  console.log(f, bounded, fit.sigma, fit.kappa, fit.lambda, fit.r2.toFixed(5), fit.iterations, fit.converged, (performance.now()-t0).toFixed(0)+'ms', JSON.stringify(fit.peak), fit.warnings);
  }
}
