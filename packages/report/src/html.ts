import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bindingText, type CapacityModel, formatCapacity, type Plan } from '@loadline/capacity';
import { CHART_SCRIPT, serviceCharts } from './charts.js';
import { formatCell } from './format.js';
import { planSections, type Section } from './sections.js';

const require = createRequire(import.meta.url);

/** uPlot's own files, read once: inlined so the page draws with no network at all. */
let uplotAssets: { js: string; css: string } | undefined;
function uplot(): { js: string; css: string } {
  uplotAssets ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return uplotAssets;
}

/**
 * The Content-Security-Policy a report page is rendered under: no script but the report's
 * own two (uPlot and the chart script, by their SHA-256), nothing fetched (images and fonts
 * only as data: URLs), no frames, forms or base URL. A page built from hostile names can
 * then neither run script of its own nor reach the network.
 */
export function reportContentSecurityPolicy(): string {
  const hash = (script: string) =>
    `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
  return [
    "default-src 'none'",
    `script-src ${hash(uplot().js)} ${hash(CHART_SCRIPT)}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    'font-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON inside <script> must not be able to close it. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function table(section: Section): string {
  if (section.rows.length === 0) return '<p class="none">None.</p>';
  const head = section.columns.map((c) => `<th>${escapeHtml(c.header)}</th>`).join('');
  const rows = section.rows.map((row) => {
    const cells = row.map((v, i) => {
      const { kind } = section.columns[i]!;
      const numeric = typeof v === 'number' ? ' class="num"' : '';
      return `<td${numeric}>${escapeHtml(formatCell(v, kind))}</td>`;
    });
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const STYLE = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1f24; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 16px; margin: 24px 0 8px; }
table { border-collapse: collapse; margin-bottom: 8px; }
th, td { border: 1px solid #c9d1d9; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #dde4ee; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.unmet { color: #a40e26; font-weight: 600; } .none { color: #57606a; }
.chart { margin: 12px 0; break-inside: avoid; }
@media print { body { margin: 0; } }
`;

function summary(plan: Plan, model: CapacityModel | undefined): string {
  const items = [`<b>${plan.totalMachines} machines</b> across ${plan.services.length} services`];
  if (plan.bottleneck) {
    items.push(
      `bottleneck <b>${escapeHtml(plan.bottleneck.service)}</b> (headroom ${formatCell(plan.bottleneck.headroom, 'percent')})`,
    );
  }
  items.push(
    plan.unmet.length === 0
      ? 'nothing unmet'
      : `<span class="unmet">${plan.unmet.length} unmet: machine counts are not firm</span>`,
  );
  for (const s of model?.services ?? []) {
    items.push(
      `${escapeHtml(s.service)}: ${escapeHtml(formatCapacity(s.capacity))} QPS per machine (${escapeHtml(bindingText(s.capacity))})`,
    );
  }
  if (model) {
    items.push(
      `model of ${escapeHtml(model.provenance.createdAt)} from run(s) ${escapeHtml(model.provenance.runs.join(', '))}`,
    );
  }
  return `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

/**
 * A self-contained report page: the plan's tables and, per service, the fitted USL curve over
 * the measured points with the SLO line. Works offline (uPlot is inlined); `planToPdf` prints it.
 */
export function planToHtml(plan: Plan, model?: CapacityModel): string {
  const charts = model ? serviceCharts(model) : [];
  const { js, css } = uplot();
  const sections = planSections(plan, model)
    .filter((s) => s.name !== 'Summary')
    .map((s) => `<h2>${s.name}</h2>${table(s)}`)
    .join('\n');
  const chartDivs = charts.map((_, i) => `<div class="chart" id="chart-${i}"></div>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Capacity plan</title>
<style>${css}</style><style>${STYLE}</style></head>
<body>
<h1>Capacity plan</h1>
${summary(plan, model)}
${charts.length > 0 ? `<h2>Per-machine capacity</h2>\n${chartDivs}` : ''}
${sections}
<script type="application/json" id="loadline-charts">${scriptJson(charts)}</script>
<script>${js}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
