import type { GeneratorCheck, StepResult, ThresholdResult, TotalResult } from '@loadline/api';
import { controlApi, type Run } from '@loadline/api/http';
import { ListTable } from '@/components/list-table';
import { hrefOf } from '@/lib/api';
import { count, ms, percent } from '@/lib/format';
import { DistributionChart } from './distribution-chart';

const FORMATS = [
  { format: 'json', label: 'JSON', ext: 'json' },
  { format: 'md', label: 'Markdown', ext: 'md' },
  { format: 'csv', label: 'CSV', ext: 'csv' },
  { format: 'hlog', label: 'HdrHistogram log', ext: 'hlog' },
  { format: 'junit', label: 'JUnit XML', ext: 'xml' },
];

export function Thresholds({ results, caption }: { results: ThresholdResult[]; caption?: string }) {
  if (results.length === 0) return <p className="muted">This scenario has no thresholds.</p>;
  return (
    <table data-testid="thresholds">
      {caption ? <caption className="muted">{caption}</caption> : null}
      <thead>
        <tr>
          <th>Threshold</th>
          <th className="num">Value</th>
          <th>Result</th>
        </tr>
      </thead>
      <tbody>
        {results.map((t) => (
          <tr key={t.expression}>
            <td>
              <code>{t.expression}</code>
            </td>
            <td className="num">{t.value === null ? '–' : Number(t.value.toFixed(4))}</td>
            <td className={t.passed ? 'pass' : 'fail'}>
              {t.passed ? 'pass' : 'FAIL'}
              {t.untrustworthy ? (
                <span className="muted" title="measured by a saturated load generator">
                  {' '}
                  (untrustworthy)
                </span>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A step's figures; the run's total counts no checks. */
function StepRow({ name, s }: { name: string; s: StepResult | TotalResult }) {
  return (
    <tr>
      <td>{name}</td>
      <td className="num">{count(s.requests)}</td>
      <td className="num">
        {count(s.errors)} ({percent(s.errors, s.requests)})
      </td>
      <td className="num">{count('checksFailed' in s ? s.checksFailed : undefined)}</td>
      <td className="num">{ms(s.latencyMs.p50)}</td>
      <td className="num">{ms(s.latencyMs.p90)}</td>
      <td className="num">{ms(s.latencyMs.p99)}</td>
      <td className="num">{ms(s.latencyMs.max)}</td>
    </tr>
  );
}

/** A saturated generator, first and loud: every figure below describes it, not the target. */
function SaturatedGenerators({ generator }: { generator: GeneratorCheck | undefined }) {
  if (!generator || generator.saturated.length === 0) return null;
  return (
    <div role="alert" className="banner" data-testid="generator-saturated">
      <strong>Invalid run: a load generator could not keep up.</strong> The figures below describe
      the generator, not the target; thresholds are shown but cannot be trusted.
      <ul>
        {generator.saturated.map((s) => (
          <li key={s.agentId}>
            <code>{s.agentId}</code>: {s.seconds} s saturated — {percent(s.lateShare, 1)} of sends
            late, event-loop delay p99 {ms(s.eventLoopDelayP99Ms)}, CPU {percent(s.cpu, 1)}, about{' '}
            {count(s.sentPerSecond)} sends/s
          </li>
        ))}
      </ul>
      {generator.hint ? <p>{generator.hint}</p> : null}
    </div>
  );
}

export function RunSummaryView({ run }: { run: Run }) {
  const summary = run.summary;
  if (!summary) return <p className="muted">The summary appears once the run ends.</p>;
  return (
    <section aria-labelledby="summary-heading" data-testid="run-summary">
      <h2 id="summary-heading">Summary</h2>
      <SaturatedGenerators generator={summary.generator} />
      <dl className="cards">
        <div className="card">
          <dt>Requests</dt>
          <dd>{count(summary.total.requests)}</dd>
        </div>
        <div className="card">
          <dt>Errors</dt>
          <dd>{percent(summary.total.errors, summary.total.requests)}</dd>
        </div>
        <div className="card">
          <dt>p99</dt>
          <dd>{ms(summary.total.latencyMs.p99)}</dd>
        </div>
        <div className="card">
          <dt>Duration</dt>
          <dd>{summary.durationS.toFixed(1)} s</dd>
        </div>
        <div className="card">
          <dt>Agents</dt>
          <dd>{summary.agents}</dd>
        </div>
      </dl>
      <ListTable
        testId="steps-table"
        heads={[
          'Step',
          { num: 'Requests' },
          { num: 'Errors' },
          { num: 'Checks failed' },
          { num: 'p50' },
          { num: 'p90' },
          { num: 'p99' },
          { num: 'max' },
        ]}
        caption="Per step (latency from merged histograms)"
      >
        {Object.entries(summary.steps).map(([name, s]) => (
          <StepRow key={name} name={name} s={s} />
        ))}
        <StepRow name="total" s={summary.total} />
      </ListTable>
      <h2>Latency distribution</h2>
      <DistributionChart runId={run.id} steps={Object.keys(summary.steps)} />
      <h2>Thresholds</h2>
      <Thresholds results={summary.thresholds} />
      <h2>Downloads</h2>
      <ul className="downloads" aria-label="Report downloads">
        {FORMATS.map((f) => (
          <li key={f.format}>
            <a
              href={hrefOf(controlApi.runReport, { id: run.id }, { format: f.format })}
              download={`${run.id}.${f.ext}`}
            >
              {f.label}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
