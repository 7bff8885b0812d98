'use client';
// Replay corpora stored in control (`loadline import FILE --api URL --name NAME`): what each
// holds and its request mix, the shares a replay will send.
import { controlApi } from '@loadline/api/http';
import Link from 'next/link';
import { useState } from 'react';
import { ListState, Loading, Problem } from '@/components/bits';
import { ListTable } from '@/components/list-table';
import { useApi } from '@/lib/api';
import { count, when } from '@/lib/format';

const seconds = (ms: number) =>
  `${(ms / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s`;
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

function Mix({ name }: { name: string }) {
  const corpus = useApi(controlApi.getCorpus, { params: { name } });
  const data = corpus.data;
  return (
    <section aria-labelledby="mix-heading" data-testid="corpus-mix">
      <h2 id="mix-heading">
        {name} v{data?.version ?? '…'}
      </h2>
      <Problem error={corpus.error} />
      {corpus.loading && !data ? <Loading what="the request mix" /> : null}
      {data ? (
        <>
          <p className="muted">
            {count(data.requests)} requests in {count(data.sessions)} sessions over{' '}
            {seconds(data.durationMs)}, imported from {data.source ?? 'a capture'} ({data.format}){' '}
            {when(data.createdAt)}
            {data.meta.skipped ? `; ${count(data.meta.skipped)} bad records skipped` : ''}.
          </p>
          <table>
            <caption className="muted">
              Request mix: {count(data.mix.distinct)} distinct method and path templates
            </caption>
            <thead>
              <tr>
                <th>Method</th>
                <th>Path template</th>
                <th className="num">Requests</th>
                <th className="num">Share</th>
                <th>
                  <span className="skip">Share bar</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.mix.entries.map((e) => (
                <tr key={`${e.method} ${e.template}`}>
                  <td>{e.method}</td>
                  <td>
                    <code>{e.template}</code>
                  </td>
                  <td className="num">{count(e.count)}</td>
                  <td className="num">{percent(e.share)}</td>
                  <td aria-hidden="true">
                    <span className="flow-mix-track">
                      <span className="flow-mix-bar" style={{ width: `${e.share * 100}%` }} />
                    </span>
                  </td>
                </tr>
              ))}
              {data.mix.other.count > 0 ? (
                <tr>
                  <td colSpan={2} className="muted">
                    {count(data.mix.other.templates)} other templates
                  </td>
                  <td className="num">{count(data.mix.other.count)}</td>
                  <td className="num">{percent(data.mix.other.share)}</td>
                  <td />
                </tr>
              ) : null}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

export default function CorporaPage() {
  const corpora = useApi(controlApi.listCorpora);
  const [open, setOpen] = useState<string>();
  const list = corpora.data?.corpora ?? [];
  return (
    <>
      <h1>Replay corpora</h1>
      <p className="muted">
        Captured traffic to replay: <code>loadline import access.log --api URL --name NAME</code>{' '}
        stores one (HAR, nginx/Apache access logs, GoReplay); a scenario with{' '}
        <code>
          replay: {'{'} corpus: NAME, speed: 2 {'}'}
        </code>{' '}
        replays it. <Link href="/scenarios/edit">New scenario</Link>
      </p>
      <ListState loaded={corpora} what="corpora" count={list.length} empty="No corpus stored yet.">
        <ListTable
          testId="corpora-table"
          heads={[
            'Corpus',
            { num: 'Version' },
            { num: 'Requests' },
            { num: 'Sessions' },
            { num: 'Span' },
            'Format',
            'Imported',
          ]}
        >
          {list.map((c) => (
            <tr key={c.name}>
              <td>
                <button
                  type="button"
                  className="link"
                  aria-expanded={open === c.name}
                  onClick={() => setOpen(open === c.name ? undefined : c.name)}
                >
                  {c.name}
                </button>
              </td>
              <td className="num">v{c.latestVersion ?? c.version}</td>
              <td className="num">{count(c.requests)}</td>
              <td className="num">{count(c.sessions)}</td>
              <td className="num">{seconds(c.durationMs)}</td>
              <td>{c.format}</td>
              <td>{when(c.createdAt)}</td>
            </tr>
          ))}
        </ListTable>
      </ListState>
      {open ? <Mix key={open} name={open} /> : null}
    </>
  );
}
