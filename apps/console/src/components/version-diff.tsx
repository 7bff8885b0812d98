'use client';
import { controlApi } from '@loadline/api/http';
// Any two versions of a scenario, line by line: what changed between the run that passed
// and the one that did not.
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useMemo } from 'react';
import { useApi } from '@/lib/api';
import { when } from '@/lib/format';
import { diffStats, lineDiff } from '@/lib/line-diff';
import { Loading, Problem } from './bits';

export function VersionDiff() {
  const params = useSearchParams();
  const router = useRouter();
  const name = params.get('name') ?? '';
  const versions = useApi(controlApi.scenarioVersions, name ? { params: { name } } : null);
  const list = versions.data?.versions ?? [];
  const latest = list.at(-1)?.version ?? 0;
  const b = Number(params.get('b') ?? latest);
  const a = Number(params.get('a') ?? Math.max(1, b - 1));
  const at = (v: number) =>
    versions.data && name && v > 0 ? { params: { name }, query: { version: v } } : null;
  const older = useApi(controlApi.getScenario, at(a));
  const newer = useApi(controlApi.getScenario, at(b));
  const rows = useMemo(
    () => (older.data && newer.data ? lineDiff(older.data.source, newer.data.source) : []),
    [older.data, newer.data],
  );
  const stats = diffStats(rows);
  const pick = (which: 'a' | 'b') => (e: React.ChangeEvent<HTMLSelectElement>) => {
    const next = new URLSearchParams({ name, a: String(a), b: String(b), [which]: e.target.value });
    router.replace(`/scenarios/diff?${next}`);
  };
  const options = list.map((v) => (
    <option key={v.version} value={v.version}>
      v{v.version} — {when(v.createdAt)}
    </option>
  ));
  return (
    <>
      <p>
        <Link href={`/scenarios/edit?name=${encodeURIComponent(name)}`}>← {name}</Link>
      </p>
      <h1>Versions of {name}</h1>
      <Problem error={versions.error ?? older.error ?? newer.error} />
      {versions.loading && !versions.data ? <Loading what="versions" /> : null}
      {list.length > 0 ? (
        <div className="toolbar">
          <label>
            Older
            <select name="a" value={a} onChange={pick('a')}>
              {options}
            </select>
          </label>
          <label>
            Newer
            <select name="b" value={b} onChange={pick('b')}>
              {options}
            </select>
          </label>
          <span className="muted" data-testid="diff-stats">
            {rows.length === 0
              ? ''
              : stats.added + stats.removed === 0
                ? 'identical'
                : `+${stats.added} −${stats.removed} lines`}
          </span>
        </div>
      ) : null}
      {list.length === 1 ? <p className="muted">Only one version so far.</p> : null}
      {rows.length > 0 ? (
        <table className="diff" data-testid="version-diff">
          <caption className="skip">
            Lines of v{a} and v{b}; removed lines are marked −, added +
          </caption>
          <thead>
            <tr>
              <th className="num">v{a}</th>
              <th className="num">v{b}</th>
              <th>
                <span className="skip">change</span>
              </th>
              <th>Line</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional by nature
              <tr key={i} className={`diff-${row.kind}`}>
                <td className="num muted">{row.oldLine ?? ''}</td>
                <td className="num muted">{row.newLine ?? ''}</td>
                <td aria-label={row.kind}>
                  {row.kind === 'added' ? '+' : row.kind === 'removed' ? '−' : ''}
                </td>
                <td>
                  <code>{row.text || ' '}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
