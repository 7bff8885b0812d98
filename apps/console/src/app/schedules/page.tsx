'use client';
import { controlApi } from '@loadline/api/http';
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
import { SCHEDULE_HEADS, ScheduleRow } from '@/components/schedule-row';
import { type ApiError, apiError, call, useApi } from '@/lib/api';
import { useSession } from '@/lib/session';

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
  const { needs } = useSession();

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
  return (
    <>
      <h1>Schedules</h1>
      <p className="muted">
        Cron schedules that launch runs of a scenario. In a protected environment a schedule fires
        only once a second operator has approved it.
      </p>
      <Problem error={actionError} />
      <ListState
        loaded={list}
        what="schedules"
        count={schedules.length}
        empty="No schedule yet. Create one below."
      >
        <ListTable testId="schedules-table" heads={SCHEDULE_HEADS}>
          {schedules.map((s) => (
            <ScheduleRow key={s.id} schedule={s} act={act} reload={list.reload} />
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
        submitNeeds={needs('schedule.write')}
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
