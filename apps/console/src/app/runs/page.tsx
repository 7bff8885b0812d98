'use client';
import { RunStatus, TERMINAL_STATUSES } from '@loadline/api';
import { controlApi } from '@loadline/api/http';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { Suspense, useState } from 'react';
import { Empty, Loading, Problem, StatusBadge } from '@/components/bits';
import { CursorPager, useCursorPages } from '@/components/cursor-pages';
import { LabelledInput } from '@/components/labelled-input';
import { ListTable } from '@/components/list-table';
import { useApi } from '@/lib/api';
import { count, ms, when } from '@/lib/format';

const PAGE = 25;

export default function RunsPage() {
  return (
    <Suspense fallback={<Loading what="runs" />}>
      <RunsList />
    </Suspense>
  );
}

function RunsList() {
  const linked = useSearchParams().get('scenario') ?? '';
  const [scenario, setScenario] = useState(linked);
  const [status, setStatus] = useState('');
  // Days as the browser shows them (local midnight to midnight), sent as instants.
  const [fromDay, setFromDay] = useState('');
  const [toDay, setToDay] = useState('');
  // Finished runs picked for a comparison, in the order picked (the first is the baseline).
  const [picked, setPicked] = useState<string[]>([]);
  const router = useRouter();
  const toggle = (id: string, on: boolean) =>
    setPicked((p) => (on ? (p.includes(id) ? p : [...p, id]) : p.filter((x) => x !== id)));
  const pages = useCursorPages();
  const { cursor } = pages;
  const query = {
    limit: PAGE,
    scenario: scenario || undefined,
    status: status || undefined,
    from: fromDay ? localMidnight(fromDay, 0) : undefined,
    to: toDay ? localMidnight(toDay, 1) : undefined,
    cursor,
  };
  const page = useApi(controlApi.listRuns, { query }, 5000);
  // Whatever the filters show, runs waiting for a second operator are said first.
  const awaiting = useApi(
    controlApi.listRuns,
    { query: { status: 'awaiting-approval', limit: PAGE } },
    5000,
  );
  const waitingCount = awaiting.data?.runs.length ?? 0;
  const scenarios = useApi(controlApi.listScenarios);

  const filter =
    (set: (v: string) => void) => (e: React.ChangeEvent<HTMLSelectElement | HTMLInputElement>) => {
      set(e.target.value);
      pages.reset();
    };

  return (
    <>
      <h1>Runs</h1>
      {waitingCount > 0 && status !== 'awaiting-approval' ? (
        <div className="notice" role="status" data-testid="awaiting-runs">
          <p>
            <strong>
              {waitingCount}
              {awaiting.data?.nextCursor ? '+' : ''} run{waitingCount === 1 ? '' : 's'} awaiting
              approval
            </strong>{' '}
            in a protected environment: each starts once a second operator approves it.{' '}
            <button
              type="button"
              onClick={() => {
                setStatus('awaiting-approval');
                pages.reset();
              }}
            >
              Show them
            </button>
          </p>
        </div>
      ) : null}
      <div className="toolbar">
        <label>
          Scenario
          <select value={scenario} onChange={filter(setScenario)} name="scenario">
            <option value="">all scenarios</option>
            {scenarios.data?.scenarios.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={status} onChange={filter(setStatus)} name="status">
            <option value="">any status</option>
            {RunStatus.options.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <LabelledInput
          label="From"
          type="date"
          name="from"
          value={fromDay}
          max={toDay || undefined}
          onChange={filter(setFromDay)}
        />
        <LabelledInput
          label="To"
          type="date"
          name="to"
          value={toDay}
          min={fromDay || undefined}
          onChange={filter(setToDay)}
        />
      </div>
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          disabled={picked.length < 2}
          aria-describedby="compare-hint"
          onClick={() => router.push(`/compare?ids=${picked.map(encodeURIComponent).join(',')}`)}
        >
          Compare{picked.length > 0 ? ` (${picked.length})` : ''}
        </button>
        <span id="compare-hint" className="muted">
          {picked.length < 2
            ? 'Select two or more finished runs to compare; the first selected is the baseline.'
            : `Baseline: ${picked[0]}`}
        </span>
        {picked.length > 0 ? (
          <button type="button" onClick={() => setPicked([])}>
            Clear selection
          </button>
        ) : null}
      </div>
      <Problem error={page.error} />
      {page.loading && !page.data ? <Loading what="runs" /> : null}
      {page.data && page.data.runs.length === 0 ? (
        <Empty>
          {scenario || status || fromDay || toDay
            ? 'No run matches these filters.'
            : 'No runs yet. Open a scenario and launch it.'}{' '}
          <Link href="/scenarios">Scenarios</Link>
        </Empty>
      ) : null}
      {page.data && page.data.runs.length > 0 ? (
        <ListTable
          testId="runs-table"
          heads={[
            { skip: 'Select to compare' },
            'Run',
            'Scenario',
            'Status',
            'Launched by',
            'Created',
            { num: 'Requests' },
            { num: 'Errors' },
            { num: 'p99' },
          ]}
          caption={
            <>
              Page {pages.number}, newest first, {PAGE} per page
            </>
          }
        >
          {page.data.runs.map((run) => (
            <tr key={run.id} data-status={run.status}>
              <td>
                {TERMINAL_STATUSES.has(run.status) ? (
                  <input
                    type="checkbox"
                    aria-label={`Select ${run.id} to compare`}
                    checked={picked.includes(run.id)}
                    onChange={(e) => toggle(run.id, e.target.checked)}
                  />
                ) : null}
              </td>
              <td>
                <Link href={`/runs/${run.id}`}>{run.id}</Link>
              </td>
              <td>
                {run.scenario} v{run.scenarioVersion}
              </td>
              <td>
                <StatusBadge status={run.status} />
                {run.status === 'awaiting-approval' ? (
                  <span className="muted"> needs a second operator</span>
                ) : null}
              </td>
              <td>{run.launchedBy ?? '–'}</td>
              <td>{when(run.createdAt)}</td>
              <td className="num">{count(run.summary?.total.requests)}</td>
              <td className="num">{count(run.summary?.total.errors)}</td>
              <td className="num">{ms(run.summary?.total.latencyMs.p99)}</td>
            </tr>
          ))}
        </ListTable>
      ) : null}
      <CursorPager pages={pages} nextCursor={page.data?.nextCursor} />
    </>
  );
}

/** The instant of local midnight of day `yyyy-mm-dd` plus `plusDays` (the "to" day is inclusive). */
function localMidnight(day: string, plusDays: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d + plusDays).toISOString();
}
