'use client';
import { controlApi, type Schedule } from '@loadline/api/http';
import { useEffect, useState } from 'react';
import { Empty, Loading, Problem } from '@/components/bits';
import { type ApiError, apiError, call, useApi } from '@/lib/api';
import { when } from '@/lib/format';

type Field = 'name' | 'scenario' | 'cron' | 'timezone';
const FIELDS: Field[] = ['name', 'scenario', 'cron', 'timezone'];

/** Sorts the API's problems by the form field they belong to; the rest are general. */
function byField(errors: ReadonlyArray<{ path: string; message: string }>) {
  const out: Record<Field | 'other', string[]> = {
    name: [],
    scenario: [],
    cron: [],
    timezone: [],
    other: [],
  };
  for (const e of errors) {
    const [head, ...rest] = e.path.split('.');
    const field = FIELDS.find((f) => f === head);
    if (field) out[field].push(rest.length > 0 ? `${rest.join('.')}: ${e.message}` : e.message);
    else out.other.push(e.path ? `${e.path}: ${e.message}` : e.message);
  }
  return out;
}

function FieldErrors({ id, messages }: { id: string; messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <ul id={id} className="field-errors" data-testid={id}>
      {messages.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

export default function SchedulesPage() {
  const list = useApi(controlApi.listSchedules);
  const scenarioList = useApi(controlApi.listScenarios);
  const scenarios = scenarioList.data?.scenarios ?? [];
  const [name, setName] = useState('');
  const [scenario, setScenario] = useState('');
  const [cron, setCron] = useState('');
  const [timezone, setTimezone] = useState('UTC');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [actionError, setActionError] = useState<ApiError>();
  const [note, setNote] = useState<string>();

  useEffect(() => {
    if (!scenario && scenarios[0]) setScenario(scenarios[0].name);
  }, [scenario, scenarios]);

  const schedules = list.data?.schedules ?? [];
  const fieldErrors = byField(error?.errors ?? []);
  const describedBy = (field: Field, hint?: string) =>
    [hint, fieldErrors[field].length > 0 ? `error-${field}` : undefined]
      .filter(Boolean)
      .join(' ') || undefined;
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setNote(undefined);
    setBusy(true);
    try {
      const created = await call(controlApi.createSchedule, {
        body: {
          name: name.trim(),
          scenario,
          cron: cron.trim(),
          timezone: timezone.trim() || 'UTC',
        },
      });
      setError(undefined);
      setNote(`Created schedule ${created.name}.`);
      setName('');
      setCron('');
      list.reload();
    } catch (failure) {
      setError(apiError(failure));
    } finally {
      setBusy(false);
    }
  };

  const act = async (what: string, fn: () => Promise<unknown>) => {
    setNote(undefined);
    try {
      await fn();
      setActionError(undefined);
      setNote(what);
    } catch (failure) {
      setActionError(apiError(failure));
    } finally {
      list.reload();
    }
  };
  const setPaused = (s: Schedule, paused: boolean) =>
    act(`${paused ? 'Paused' : 'Resumed'} schedule ${s.name}.`, () =>
      call(controlApi.pauseSchedule, { params: { id: s.id }, body: { paused } }),
    );
  const remove = (s: Schedule) =>
    act(`Removed schedule ${s.name}.`, () =>
      call(controlApi.deleteSchedule, { params: { id: s.id } }),
    );

  return (
    <>
      <h1>Schedules</h1>
      <p className="muted">Cron schedules that launch runs of a scenario.</p>
      <Problem error={list.error} />
      <Problem error={actionError} />
      {list.loading && !list.data ? <Loading what="schedules" /> : null}
      {list.data && schedules.length === 0 ? (
        <Empty>No schedule yet. Create one below.</Empty>
      ) : null}
      {schedules.length > 0 ? (
        <table data-testid="schedules-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Scenario</th>
              <th>Cron</th>
              <th>Time zone</th>
              <th className="num">Agents</th>
              <th>State</th>
              <th>
                <span className="skip">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {schedules.map((s) => (
              <tr key={s.id} data-testid={`schedule-${s.name}`} data-paused={s.paused}>
                <td>
                  <strong>{s.name}</strong>
                  <br />
                  <span className="muted">created {when(s.createdAt)}</span>
                </td>
                <td>
                  {s.scenario}
                  {s.scenarioVersion === null ? '' : ` v${s.scenarioVersion}`}
                </td>
                <td>
                  <code>{s.cron}</code>
                </td>
                <td>{s.timezone}</td>
                <td className="num">{s.agents}</td>
                <td data-testid="schedule-state">{s.paused ? 'paused' : 'active'}</td>
                <td>
                  <div className="toolbar">
                    <button
                      type="button"
                      onClick={() => setPaused(s, !s.paused)}
                      aria-label={`${s.paused ? 'Resume' : 'Pause'} ${s.name}`}
                    >
                      {s.paused ? 'Resume' : 'Pause'}
                    </button>
                    <button type="button" onClick={() => remove(s)} aria-label={`Remove ${s.name}`}>
                      Remove
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {note ? (
        <p role="status" className="ok-note" data-testid="schedule-note">
          {note}
        </p>
      ) : null}

      <h2 id="schedule-form-heading">Create a schedule</h2>
      <form
        className="form"
        aria-labelledby="schedule-form-heading"
        onSubmit={submit}
        noValidate
        data-testid="schedule-form"
      >
        <div className="field">
          <label htmlFor="schedule-name">Name</label>
          <input
            id="schedule-name"
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={fieldErrors.name.length > 0}
            aria-describedby={describedBy('name')}
            autoComplete="off"
          />
          <FieldErrors id="error-name" messages={fieldErrors.name} />
        </div>
        <div className="field">
          <label htmlFor="schedule-scenario">Scenario</label>
          <select
            id="schedule-scenario"
            name="scenario"
            value={scenario}
            onChange={(e) => setScenario(e.target.value)}
            aria-invalid={fieldErrors.scenario.length > 0}
            aria-describedby={describedBy('scenario')}
          >
            {scenarios.length === 0 ? <option value="">no scenario saved yet</option> : null}
            {scenarios.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name} (latest v{s.latestVersion})
              </option>
            ))}
          </select>
          <FieldErrors id="error-scenario" messages={fieldErrors.scenario} />
        </div>
        <div className="field">
          <label htmlFor="schedule-cron">Cron</label>
          <input
            id="schedule-cron"
            name="cron"
            value={cron}
            onChange={(e) => setCron(e.target.value)}
            aria-invalid={fieldErrors.cron.length > 0}
            aria-describedby={describedBy('cron', 'schedule-cron-hint')}
            autoComplete="off"
            spellCheck={false}
          />
          <p id="schedule-cron-hint" className="hint">
            Five fields: minute hour day-of-month month day-of-week, e.g. <code>0 3 * * 1</code>.
          </p>
          <FieldErrors id="error-cron" messages={fieldErrors.cron} />
        </div>
        <div className="field">
          <label htmlFor="schedule-timezone">Time zone</label>
          <input
            id="schedule-timezone"
            name="timezone"
            value={timezone}
            onChange={(e) => setTimezone(e.target.value)}
            aria-invalid={fieldErrors.timezone.length > 0}
            aria-describedby={describedBy('timezone', 'schedule-timezone-hint')}
            autoComplete="off"
          />
          <p id="schedule-timezone-hint" className="hint">
            An IANA name such as <code>Europe/Paris</code>.
          </p>
          <FieldErrors id="error-timezone" messages={fieldErrors.timezone} />
        </div>
        {error && fieldErrors.other.length > 0 ? (
          <FieldErrors id="error-other" messages={fieldErrors.other} />
        ) : null}
        {error && error.errors.length === 0 ? <Problem error={error} /> : null}
        {error && error.errors.length > 0 ? (
          <p role="alert" className="problem">
            The schedule was not created: {error.title}. See the fields above.
          </p>
        ) : null}
        <div className="toolbar">
          <button type="submit" className="primary" disabled={busy}>
            Create schedule
          </button>
        </div>
      </form>
    </>
  );
}
