'use client';
import { controlApi } from '@loadline/api/http';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { Empty, Loading, Problem } from '@/components/bits';
import { useApi } from '@/lib/api';
import { age } from '@/lib/format';

export default function AgentsPage() {
  const agents = useApi(controlApi.listAgents, {}, 2000);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const list = agents.data?.agents ?? [];
  return (
    <>
      <h1>Agents</h1>
      <p className="muted">
        Agents with a live heartbeat. Add one with <code>loadline agent --redis URL</code>.
      </p>
      <Problem error={agents.error} />
      {agents.loading && !agents.data ? <Loading what="agents" /> : null}
      {agents.data && list.length === 0 ? <Empty>No agent is connected.</Empty> : null}
      {list.length > 0 ? (
        <table data-testid="agents-table">
          <thead>
            <tr>
              <th>Agent</th>
              <th>Host</th>
              <th className="num">PID</th>
              <th className="num">Heartbeat age</th>
              <th>Current run</th>
              <th className="num">Event-loop p99</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={a.agentId}>
                <td>{a.agentId}</td>
                <td>{a.host}</td>
                <td className="num">{a.pid}</td>
                <td className="num">{age(now - a.at)}</td>
                <td>{a.runId ? <Link href={`/runs/${a.runId}`}>{a.runId}</Link> : 'idle'}</td>
                <td className="num">{a.eventLoopDelayP99Ms.toFixed(1)} ms</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
