import { type CapacityModel, type ServiceModel, uslThroughput } from '@loadline/capacity';

/** One service's chart, in uPlot's column layout: x ascending, one y array per series. */
export interface ServiceChart {
  service: string;
  title: string;
  /** Concurrency N. */
  x: number[];
  /** Measured QPS at the measured N, null elsewhere (drawn as points only). */
  measured: (number | null)[];
  /** The fitted USL curve X(N). */
  fitted: number[];
  /** The SLO-limited QPS, constant: where the fitted curve crosses it the SLO binds. */
  slo: number[];
  sloLabel: string;
}

const SAMPLES = 80;

/**
 * Chart data for every service with a fitted curve, computed here so the page only draws:
 * the curve is sampled from 0 to 1.5× the highest concurrency measured, far enough to show
 * where it bends without drawing a model's guess as if it were data.
 */
export function serviceCharts(model: CapacityModel): ServiceChart[] {
  return model.services.flatMap((s) => (s.usl ? [serviceChart(s, s.usl)] : []));
}

function serviceChart(s: ServiceModel, usl: NonNullable<ServiceModel['usl']>): ServiceChart {
  const measured = new Map(usl.points.map((p) => [p.concurrency, p.throughput]));
  const top = Math.max(...measured.keys()) * 1.5;
  const samples = Array.from({ length: SAMPLES + 1 }, (_, i) => (top * i) / SAMPLES).slice(1);
  const x = [...new Set([...samples, ...measured.keys()])].sort((a, b) => a - b);
  const { slo } = s.capacity.limits;
  return {
    service: s.service,
    title: `${s.service}: QPS per machine against concurrency (USL σ=${usl.sigma.toPrecision(3)} κ=${usl.kappa.toPrecision(3)} R²=${usl.r2.toFixed(3)})`,
    x,
    measured: x.map((n) => measured.get(n) ?? null),
    fitted: x.map((n) => uslThroughput(usl, n)),
    slo: x.map(() => slo.qps),
    sloLabel: slo.breached
      ? `SLO limit (${slo.by} breached at ${Math.round(slo.qps)} QPS)`
      : `SLO never breached (highest load ${Math.round(slo.qps)} QPS)`,
  };
}

/**
 * Runs in the page: draws each chart with uPlot and sets `window.__loadlineChartsReady` once
 * every one has drawn, which the PDF renderer waits for before printing.
 */
export const CHART_SCRIPT = `
(() => {
  const charts = JSON.parse(document.getElementById('loadline-charts').textContent);
  let drawn = 0;
  const done = () => { window.__loadlineChartsReady = drawn === charts.length; };
  done();
  charts.forEach((c, i) => {
    let counted = false;
    const opts = {
      title: c.title,
      width: 720,
      height: 300,
      scales: { x: { time: false } },
      legend: { live: false },
      axes: [{ label: 'concurrency N' }, { label: 'QPS' }],
      series: [
        { label: 'N' },
        { label: 'measured', stroke: '#1f4e99', fill: '#1f4e99', paths: () => null,
          points: { show: true, size: 8, width: 1, fill: '#1f4e99' } },
        { label: 'USL fit', stroke: '#e67e22', width: 2, points: { show: false } },
        { label: c.sloLabel, stroke: '#c0392b', width: 1.5, dash: [6, 4], points: { show: false } },
      ],
      hooks: { draw: [() => { if (!counted) { counted = true; drawn++; done(); } }] },
    };
    new uPlot(opts, [c.x, c.measured, c.fitted, c.slo], document.getElementById('chart-' + i));
  });
})();
`;
