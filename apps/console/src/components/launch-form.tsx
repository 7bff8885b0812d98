'use client';
// Launch a scenario: pick its version and environment, agents and overrides. Control checks
// the launch as you choose (POST /runs/check): Launch is offered only when control would
// accept it, and a refusal says why (a target the environment does not allow, a shadow
// rule, a bad override) before anything is created. Nobody is offered a launch they may
// not make, and a protected environment says that the run will wait for a second operator.
import { type CreateRunBody, controlApi } from '@loadline/api/http';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useMemo, useState } from 'react';
import { type ApiError, apiError, call, useApi } from '@/lib/api';
import { when } from '@/lib/format';
import { useSession } from '@/lib/session';
import { useDebouncedAsk } from '@/lib/use-debounced-ask';
import { Loading, Problem } from './bits';
import { GuardedButton } from './guarded-button';
import { LabelledInput } from './labelled-input';

export interface LaunchChoice {
  scenario: string;
  version: string;
  environment: string;
  agents: string;
  duration: string;
  rateMultiplier: string;
}

/** The POST /runs body for a choice; empty fields mean "as the scenario says". */
export function launchBody(choice: LaunchChoice): CreateRunBody {
  return {
    scenario: choice.scenario,
    ...(choice.version ? { version: Number(choice.version) } : {}),
    ...(choice.environment ? { environment: choice.environment } : {}),
    ...(choice.agents ? { agents: Number(choice.agents) } : {}),
    overrides: {
      ...(choice.duration ? { duration: choice.duration } : {}),
      ...(choice.rateMultiplier ? { rateMultiplier: Number(choice.rateMultiplier) } : {}),
    },
  };
}

export function LaunchForm() {
  const params = useSearchParams();
  const scenario = params.get('name') ?? '';
  const router = useRouter();
  const versions = useApi(
    controlApi.scenarioVersions,
    scenario ? { params: { name: scenario } } : null,
  );
  const environments = useApi(controlApi.listEnvironments);
  const [choice, setChoice] = useState<LaunchChoice>({
    scenario,
    version: params.get('version') ?? '',
    environment: '',
    agents: '',
    duration: '',
    rateMultiplier: '',
  });
  const [launchError, setLaunchError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const { needs } = useSession();
  // Launching here at all: in the chosen environment, or anywhere when the scenario says.
  const launchNeeds = needs('run.launch', choice.environment || undefined);

  // Ask control about the choice as it changes (debounced: typing a duration is several
  // edits); not for someone who may not launch it, whom control would only refuse.
  const checked = useMemo(
    () => (scenario && !launchNeeds ? { scenario, choice } : null),
    [scenario, choice, launchNeeds],
  );
  const {
    answer: check,
    error: refusal,
    asking: checking,
  } = useDebouncedAsk(
    checked,
    (q) => call(controlApi.checkRun, { body: launchBody(q.choice) }),
    250,
  );

  if (!scenario) {
    return (
      <p className="problem" role="alert">
        No scenario named. <Link href="/scenarios">Pick one</Link>.
      </p>
    );
  }

  const set =
    (field: keyof LaunchChoice) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
      setChoice((c) => ({ ...c, [field]: e.target.value }));
  /** The name, value and change handler of the input for one field of the choice. */
  const bound = (field: keyof LaunchChoice) => ({
    name: field,
    value: choice[field],
    onChange: set(field),
  });

  const launch = async () => {
    setBusy(true);
    setLaunchError(undefined);
    try {
      const run = await call(controlApi.launchRun, { body: launchBody(choice) });
      router.push(`/runs/${run.id}`);
    } catch (e) {
      setLaunchError(apiError(e));
      setBusy(false);
    }
  };

  const list = versions.data?.versions ?? [];
  const latest = list.at(-1)?.version;
  const ready = !launchNeeds && check !== undefined && !checking;
  return (
    <>
      <h1>Launch {scenario}</h1>
      <Problem error={versions.error ?? environments.error} />
      {versions.loading && !versions.data ? <Loading what="versions" /> : null}
      <form
        className="form-grid"
        aria-describedby="launch-check"
        onSubmit={(e) => {
          e.preventDefault();
          if (ready) void launch();
        }}
      >
        <label>
          Version
          <select name="version" value={choice.version} onChange={set('version')}>
            <option value="">latest{latest ? ` (v${latest})` : ''}</option>
            {[...list].reverse().map((v) => (
              <option key={v.version} value={String(v.version)}>
                v{v.version} — {when(v.createdAt)}
                {v.createdBy ? ` by ${v.createdBy}` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Environment
          <select name="environment" value={choice.environment} onChange={set('environment')}>
            <option value="">as the scenario says</option>
            {environments.data?.environments.map((env) => (
              <option key={env.name} value={env.name}>
                {env.name} ({env.allowedHosts.join(', ') || 'no hosts allowed'})
                {env.protected ? ', protected' : ''}
              </option>
            ))}
          </select>
        </label>
        <LabelledInput
          label="Agents"
          type="number"
          min={1}
          inputMode="numeric"
          placeholder="as in scenario"
          {...bound('agents')}
        />
        <LabelledInput
          label="Duration override"
          type="text"
          placeholder="e.g. 5m"
          {...bound('duration')}
        />
        <LabelledInput
          label="Rate multiplier"
          type="number"
          min={0.01}
          step="any"
          placeholder="1"
          {...bound('rateMultiplier')}
        />
        <div className="toolbar">
          <GuardedButton
            type="submit"
            className="primary"
            needs={launchNeeds}
            disabled={!ready || busy}
          >
            {busy ? 'Launching…' : 'Launch'}
          </GuardedButton>
          <Link href={`/schedules?scenario=${encodeURIComponent(scenario)}`}>
            Schedule it instead
          </Link>
          <Link href={`/scenarios/diff?name=${encodeURIComponent(scenario)}`}>
            Compare versions
          </Link>
        </div>
      </form>
      <div id="launch-check" aria-live="polite" data-testid="launch-check">
        {launchNeeds && !launchNeeds.startsWith('checking') ? (
          <p className="problem" data-testid="launch-needs">
            You cannot launch {choice.environment ? `in ${choice.environment}` : 'runs'} (
            {launchNeeds}).
          </p>
        ) : null}
        {checking ? <p className="muted">Checking with control…</p> : null}
        {!launchNeeds && !checking && check ? (
          <p className="ok-note" role="status">
            Ready: v{check.version} against {check.target} in environment {check.environment},{' '}
            {check.agents} agent(s){check.shadow ? ', shadow-tagged' : ''}.
          </p>
        ) : null}
        {!launchNeeds && !checking && check?.awaitsApproval ? (
          <div className="notice" data-testid="launch-protected">
            <p>
              <strong>{check.environment} is protected.</strong> The run will wait, unstarted, until
              a second operator or admin of {check.environment} approves it (not you).
            </p>
          </div>
        ) : null}
        {!launchNeeds && !checking && refusal ? (
          <div role="alert" className="problem" data-testid="launch-refused">
            <p>
              Control would refuse this launch: {refusal.message}
              {refusal.errors.length > 0
                ? ` (${refusal.errors
                    .map((e) => e.path)
                    .filter(Boolean)
                    .join(', ')})`
                : ''}
            </p>
          </div>
        ) : null}
      </div>
      <Problem error={launchError} />
    </>
  );
}
