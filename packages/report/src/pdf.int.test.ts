import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { samplePlan } from '@loadline/capacity/testing';
import { planToHtml } from './html.js';
import { DEFAULT_CHROMIUM, planToPdf, withReportPage } from './pdf.js';

const executablePath = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
const skip = existsSync(executablePath)
  ? false
  : `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`;

describe('the report page in Chromium', { skip }, () => {
  it('draws a chart per service: the measured points, the USL fit and the SLO line', async () => {
    const { model, plan } = await samplePlan();
    const drawn = await withReportPage(planToHtml(plan, model), { executablePath }, (page) =>
      page.evaluate(`[...document.querySelectorAll('.chart')].map((c) => ({
        canvases: c.querySelectorAll('canvas').length,
        width: c.querySelector('canvas')?.width ?? 0,
        legend: [...c.querySelectorAll('.u-legend .u-label')].map((l) => l.textContent),
        title: c.querySelector('.u-title')?.textContent,
      }))`),
    );
    const charts = drawn as { canvases: number; width: number; legend: string[]; title: string }[];
    assert.equal(charts.length, 2);
    for (const chart of charts) {
      assert.ok(chart.canvases >= 1 && chart.width > 0, JSON.stringify(chart));
      const legend = chart.legend.filter((l) => l !== 'N');
      assert.deepEqual(legend.slice(0, 2), ['measured', 'USL fit']);
      assert.match(legend[2]!, /^SLO limit \(p99 breached at \d+ QPS\)$/);
    }
    assert.match(charts[0]!.title, /^cart: /);
  });

  it('prints the page to a PDF of at least one page', async () => {
    const { model, plan } = await samplePlan();
    const started = Date.now();
    const pdf = await planToPdf(planToHtml(plan, model), { executablePath });
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? [];
    assert.ok(pages.length >= 1, `${pages.length} pages`);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });
});
