'use client';
import { TERMINAL_STATUSES } from '@loadline/api';
import { controlApi } from '@loadline/api/http';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { Loading, Problem, StatusBadge } from '@/components/bits';
import { LiveRun } from '@/components/live-run';
import { RunApproval } from '@/components/run-approval';
import { RunOverTime } from '@/components/run-over-time';
import { RunSummaryView } from '@/components/run-summary';
import { useApi } from '@/lib/api';
import { when } from '@/lib/format';

export default function RunPage() {
  const { id } = useParams<{ id: string }>();
  // A run awaiting approval is looked at again every 2 s: another operator decides it.
  const [awaiting, setAwaiting] = useState(false);
  const run = useApi(controlApi.getRun, { params: { id } }, awaiting ? 2000 : undefined);
  const data = run.data;
  // A run watched live keeps its live view (final counters, the stop note) above the summary.
  const [watched, setWatched] = useState(false);
  const terminal = data !== undefined && TERMINAL_STATUSES.has(data.status);
  const waiting = data?.status === 'awaiting-approval';
  // Refused, or expired while it waited: it never ran, there is nothing to summarize.
  const neverRan = data?.approval != null && data.approval.state !== 'approved';
  useEffect(() => {
    setAwaiting(waiting);
    if (data && !terminal && !waiting) setWatched(true);
  }, [data, terminal, waiting]);
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
          <p className="muted" data-testid="launched-by">
            Launched by {data.launchedBy ?? 'someone unknown (before sign-in was required)'}
          </p>
          {data.abortReason ? <p className="muted">Reason: {data.abortReason}</p> : null}
          <RunApproval run={data} onDecided={run.reload} />
          {!waiting && (watched || !terminal) ? (
            <LiveRun runId={data.id} environment={data.environment} onEnd={run.reload} />
          ) : null}
          {terminal && !neverRan ? <RunSummaryView run={data} /> : null}
          {terminal && !neverRan ? <RunOverTime runId={data.id} /> : null}
        </>
      ) : null}
    </>
  );
}
