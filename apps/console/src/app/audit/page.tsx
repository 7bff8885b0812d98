'use client';
// The audit log (GET /audit): who did what, from where, to what, and how it ended, newest
// first, paged on the server. Only for those who hold audit.read.
import { type AuditEvent, controlApi } from '@loadline/api/http';
import { useState } from 'react';
import { type AuditFilter, AuditFilters, auditQuery, NO_FILTER } from '@/components/audit-filters';
import { Empty, Loading, Problem } from '@/components/bits';
import { CursorPager, useCursorPages } from '@/components/cursor-pages';
import { ListTable } from '@/components/list-table';
import { useApi } from '@/lib/api';
import { when } from '@/lib/format';
import { useSession } from '@/lib/session';

const PAGE = 50;

/** An event's detail as one line of JSON, cut short on the page (whole in its title). */
function Detail({ detail }: { detail: AuditEvent['detail'] }) {
  if (Object.keys(detail).length === 0) return <span className="muted">–</span>;
  const text = JSON.stringify(detail);
  return (
    <code title={text.length > 240 ? text : undefined}>
      {text.length > 240 ? `${text.slice(0, 240)}…` : text}
    </code>
  );
}

function AuditLog() {
  const [filter, setFilter] = useState<AuditFilter>(NO_FILTER);
  const pages = useCursorPages();
  const page = useApi(controlApi.listAudit, {
    query: { ...auditQuery(filter), limit: PAGE, cursor: pages.cursor },
  });
  const events = page.data?.events ?? [];
  const filtered = Object.values(auditQuery(filter)).some((v) => v !== undefined);
  return (
    <>
      <AuditFilters
        applied={filter}
        onApply={(next) => {
          setFilter(next);
          pages.reset();
        }}
      />
      <Problem error={page.error} />
      {page.loading && !page.data ? <Loading what="the audit log" /> : null}
      {page.data && events.length === 0 ? (
        <Empty>{filtered ? 'No event matches these filters.' : 'Nothing recorded yet.'}</Empty>
      ) : null}
      {events.length > 0 ? (
        <ListTable
          testId="audit-table"
          heads={['Time', 'Actor', 'Action', 'Target', 'Outcome', 'Source', 'Detail']}
          caption={`Page ${pages.number}, newest first, ${PAGE} per page`}
        >
          {events.map((e) => (
            <tr key={e.id} data-action={e.action} data-outcome={e.outcome}>
              <td>{when(e.at)}</td>
              <td data-testid="audit-actor">{e.actor}</td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>{e.target ?? '–'}</td>
              <td>
                <span className={`badge badge-${e.outcome}`}>{e.outcome}</span>
              </td>
              <td data-testid="audit-source">{e.source}</td>
              <td className="detail">
                <Detail detail={e.detail} />
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
      <CursorPager pages={pages} nextCursor={page.data?.nextCursor} />
    </>
  );
}

export default function AuditPage() {
  const { whoami, needs } = useSession();
  const missing = needs('audit.read');
  return (
    <>
      <h1>Audit log</h1>
      <p className="muted">
        Every sign-in, change and refusal, append-only: who (actor), from where (source: the
        browser's address, and the console it came through), to what, and how it ended.
      </p>
      {!whoami ? <Loading what="who you are" /> : null}
      {whoami && missing ? (
        <p className="problem" role="alert" data-testid="audit-forbidden">
          The audit log is for admins: your role ({whoami.role}) {missing.replace('needs', 'lacks')}
          .
        </p>
      ) : null}
      {whoami && !missing ? <AuditLog /> : null}
    </>
  );
}
