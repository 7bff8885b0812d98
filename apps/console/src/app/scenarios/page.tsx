'use client';
import { controlApi } from '@loadline/api/http';
import Link from 'next/link';
import { ListState } from '@/components/bits';
import { ListTable } from '@/components/list-table';
import { useApi } from '@/lib/api';
import { when } from '@/lib/format';

export default function ScenariosPage() {
  const list = useApi(controlApi.listScenarios);
  const scenarios = list.data?.scenarios ?? [];
  return (
    <>
      <h1>Scenarios</h1>
      <p>
        <Link href="/scenarios/edit" className="button-link">
          New scenario
        </Link>
      </p>
      <ListState
        loaded={list}
        what="scenarios"
        count={scenarios.length}
        empty="No scenario yet. Create one, or save one with `loadline run FILE`."
      >
        <ListTable
          testId="scenarios-table"
          heads={['Scenario', { num: 'Latest version' }, 'Updated', 'Actions']}
        >
          {scenarios.map((s) => (
            <tr key={s.name}>
              <td>
                <Link href={`/scenarios/edit?name=${encodeURIComponent(s.name)}`}>{s.name}</Link>
              </td>
              <td className="num">v{s.latestVersion}</td>
              <td>{when(s.updatedAt)}</td>
              <td>
                <Link href={`/runs?scenario=${encodeURIComponent(s.name)}`}>runs</Link>
                {' · '}
                <Link href={`/scenarios/launch?name=${encodeURIComponent(s.name)}`}>launch…</Link>
                {' · '}
                <Link href={`/scenarios/diff?name=${encodeURIComponent(s.name)}`}>versions</Link>
              </td>
            </tr>
          ))}
        </ListTable>
      </ListState>
    </>
  );
}
