'use client';
import { controlApi } from '@loadline/api/http';
import Link from 'next/link';
import { Empty, Loading, Problem } from '@/components/bits';
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
      <Problem error={list.error} />
      {list.loading && !list.data ? <Loading what="scenarios" /> : null}
      {list.data && scenarios.length === 0 ? (
        <Empty>No scenario yet. Create one, or save one with `loadline run FILE`.</Empty>
      ) : null}
      {scenarios.length > 0 ? (
        <table data-testid="scenarios-table">
          <thead>
            <tr>
              <th>Scenario</th>
              <th className="num">Latest version</th>
              <th>Updated</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      ) : null}
    </>
  );
}
