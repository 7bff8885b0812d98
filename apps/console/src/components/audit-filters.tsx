'use client';
// The audit log's filters, edited here and applied together (Enter or Filter): who, what
// (an action, or a family of them as `run.*`), how it ended, and between when.
import { AuditOutcome } from '@loadline/api/http';
import { useState } from 'react';
import { LabelledInput } from './labelled-input';

export interface AuditFilter {
  actor: string;
  action: string;
  outcome: string;
  /** datetime-local text, the browser's own time zone */
  from: string;
  to: string;
}

export const NO_FILTER: AuditFilter = { actor: '', action: '', outcome: '', from: '', to: '' };

/** The query GET /audit takes for a filter; times go as instants. */
export function auditQuery(filter: AuditFilter): Record<string, string | undefined> {
  const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);
  return {
    actor: filter.actor.trim() || undefined,
    action: filter.action.trim() || undefined,
    outcome: filter.outcome || undefined,
    from: instant(filter.from),
    to: instant(filter.to),
  };
}

export function AuditFilters({
  applied,
  onApply,
}: {
  applied: AuditFilter;
  onApply: (filter: AuditFilter) => void;
}) {
  const [draft, setDraft] = useState(applied);
  const bind = (field: keyof AuditFilter) => ({
    name: field,
    value: draft[field],
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
      setDraft((d) => ({ ...d, [field]: e.target.value })),
  });
  return (
    <form
      className="toolbar"
      aria-label="Audit filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <LabelledInput label="Actor" placeholder="user:alice" spellCheck={false} {...bind('actor')} />
      <LabelledInput
        label="Action"
        placeholder="run.launch or run.*"
        spellCheck={false}
        {...bind('action')}
      />
      <label>
        Outcome
        <select {...bind('outcome')}>
          <option value="">any outcome</option>
          {AuditOutcome.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      <LabelledInput
        label="From"
        type="datetime-local"
        max={draft.to || undefined}
        {...bind('from')}
      />
      <LabelledInput
        label="To"
        type="datetime-local"
        min={draft.from || undefined}
        {...bind('to')}
      />
      <button type="submit" className="primary">
        Filter
      </button>
      <button
        type="button"
        onClick={() => {
          setDraft(NO_FILTER);
          onApply(NO_FILTER);
        }}
      >
        Clear
      </button>
    </form>
  );
}
