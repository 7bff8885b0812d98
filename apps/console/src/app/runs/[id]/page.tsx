'use client';
import { TERMINAL_STATUSES } from '@loadline/api';
import { controlApi } from '@loadline/api/http';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { Loading, Problem, StatusBadge } from '@/components/bits';
import { LiveRun } from '@/components/live-run';
import { RunOverTime } from '@/components/run-over-time';
import { RunSummaryView } from '@/components/run-summary';
import { useApi } from '@/lib/api';
import { when } from '@/lib/format';

export default function RunPage() {
  const { id } = useParams<{ id: string }>();
  const run = useApi(controlApi.getRun, { params: { id } });
  const data = run.data;
  // A run watched live keeps its live view (final counters, the stop note) above the summary.
  const [watched, setWatched] = useState(false);
  const terminal = data !== undefined && TERMINAL_STATUSES.has(data.status);
  useEffect(() => {
    if (data && !terminal) setWatched(true);
  }, [data, terminal]);
  return (
    <>
      <p>
        <Link href="/runs">← Runs</Link>
      </p>
      <h1>
        Run <code>{id}</code>
      </h1>
      <Problem error={run.error} />
      {run.loading && !data ? <Loading what="the run" /> : null}
      {data ? (
        <>
          <p>
            <StatusBadge status={data.status} /> {data.scenario} v{data.scenarioVersion} on{' '}
            {data.environment}, {data.agentsRequested} agent(s); created {when(data.createdAt)}
            {data.endedAt ? `, ended ${when(data.endedAt)}` : ''}
          </p>
          {data.abortReason ? <p className="muted">Reason: {data.abortReason}</p> : null}
          {watched || !terminal ? <LiveRun runId={data.id} onEnd={run.reload} /> : null}
          {terminal ? <RunSummaryView run={data} /> : null}
          {terminal ? <RunOverTime runId={data.id} /> : null}
        </>
      ) : null}
    </>
  );
}
