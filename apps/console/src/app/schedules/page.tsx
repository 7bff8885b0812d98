'use client';
import { controlApi, type Schedule } from '@loadline/api/http';
import { useEffect, useState } from 'react';
import {
  ApiForm,
  byField,
  describedBy,
  FieldErrors,
  TextField,
  useSubmit,
} from '@/components/api-form';
import { ListState, Problem } from '@/components/bits';
import { ListTable } from '@/components/list-table';
import { type ApiError, apiError, call, useApi } from '@/lib/api';
import { when } from '@/lib/format';

type Field = 'name' | 'scenario' | 'cron' | 'timezone';
const FIELDS: Field[] = ['name', 'scenario', 'cron', 'timezone'];

export default function SchedulesPage() {
  const list = useApi(controlApi.listSchedules);
  const scenarioList = useApi(controlApi.listScenarios);
  const scenarios = scenarioList.data?.scenarios ?? [];
  const [name, setName] = useState('');
  const [scenario, setScenario] = useState('');
  const [cron, setCron] = useState('');
  const [timezone, setTimezone] = useState('UTC');
  const [actionError, setActionError] = useState<ApiError>();
  const [note, setNote] = useState<string>();

  useEffect(() => {
    if (!scenario && scenarios[0]) setScenario(scenarios[0].name);
  }, [scenario, scenarios]);

  const schedules = list.data?.schedules ?? [];
  const { busy, error, submit } = useSubmit(async () => {
    setNote(undefined);
    const created = await call(controlApi.createSchedule, {
      body: {
        name: name.trim(),
        scenario,
        cron: cron.trim(),
        timezone: timezone.trim() || 'UTC',
      },
    });
    setNote(`Created schedule ${created.name}.`);
    setName('');
    setCron('');
    list.reload();
  });
  const fieldErrors = byField(FIELDS, error?.errors ?? []);

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
      <Problem error={actionError} />
      <ListState
        loaded={list}
        what="schedules"
        count={schedules.length}
        empty="No schedule yet. Create one below."
      >
        <ListTable
          testId="schedules-table"
          heads={[
            'Name',
            'Scenario',
            'Cron',
            'Time zone',
            { num: 'Agents' },
            'State',
            { skip: 'Actions' },
          ]}
        >
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
        </ListTable>
      </ListState>
      {note ? (
        <p role="status" className="ok-note" data-testid="schedule-note">
          {note}
        </p>
      ) : null}

      <ApiForm
        headingId="schedule-form-heading"
        heading="Create a schedule"
        testId="schedule-form"
        onSubmit={() => void submit()}
        error={error}
        messages={fieldErrors}
        failed="The schedule was not created"
        submitLabel="Create schedule"
        busy={busy}
      >
        <TextField
          id="schedule-name"
          field="name"
          label="Name"
          value={name}
          onValue={setName}
          messages={fieldErrors}
          autoComplete="off"
        />
        <div className="field">
          <label htmlFor="schedule-scenario">Scenario</label>
          <select
            id="schedule-scenario"
            name="scenario"
            value={scenario}
            onChange={(e) => setScenario(e.target.value)}
            aria-invalid={fieldErrors.scenario.length > 0}
            aria-describedby={describedBy(fieldErrors, 'scenario')}
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
        <TextField
          id="schedule-cron"
          field="cron"
          label="Cron"
          value={cron}
          onValue={setCron}
          messages={fieldErrors}
          hint={
            <>
              Five fields: minute hour day-of-month month day-of-week, e.g. <code>0 3 * * 1</code>.
            </>
          }
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          id="schedule-timezone"
          field="timezone"
          label="Time zone"
          value={timezone}
          onValue={setTimezone}
          messages={fieldErrors}
          hint={
            <>
              An IANA name such as <code>Europe/Paris</code>.
            </>
          }
          autoComplete="off"
        />
      </ApiForm>
    </>
  );
}
