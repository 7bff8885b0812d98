'use client';
import { controlApi } from '@loadline/api/http';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { ListState } from '@/components/bits';
import { ListTable } from '@/components/list-table';
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
      <ListState loaded={agents} what="agents" count={list.length} empty="No agent is connected.">
        <ListTable
          testId="agents-table"
          heads={[
            'Agent',
            'Host',
            { num: 'PID' },
            { num: 'Heartbeat age' },
            'Current run',
            { num: 'Event-loop p99' },
            { num: 'Clock vs control' },
          ]}
        >
          {list.map((a) => (
            <tr key={a.agentId}>
              <td>{a.agentId}</td>
              <td>{a.host}</td>
              <td className="num">{a.pid}</td>
              <td className="num">{age(now - a.at)}</td>
              <td>{a.runId ? <Link href={`/runs/${a.runId}`}>{a.runId}</Link> : 'idle'}</td>
              <td className="num">{a.eventLoopDelayP99Ms.toFixed(1)} ms</td>
              <td
                className="num"
                title="control's clock minus this agent's: it starts runs on control's"
              >
                {a.clockOffsetMs === undefined
                  ? 'not measured'
                  : `${a.clockOffsetMs > 0 ? '+' : ''}${a.clockOffsetMs.toFixed(1)} ms ± ${(a.clockUncertaintyMs ?? 0).toFixed(1)}`}
              </td>
            </tr>
          ))}
        </ListTable>
      </ListState>
    </>
  );
}
