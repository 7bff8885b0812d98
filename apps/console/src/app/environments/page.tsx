'use client';
import { controlApi, type Environment, type MetricsTarget } from '@loadline/api/http';
import { useState } from 'react';
import {
  ApiForm,
  byField,
  describedBy,
  FieldErrors,
  TextField,
  useSubmit,
} from '@/components/api-form';
import { ListState } from '@/components/bits';
import { EnvironmentSecrets } from '@/components/environment-secrets';
import { GuardedButton } from '@/components/guarded-button';
import { ListTable } from '@/components/list-table';
import { ApiError, call, useApi } from '@/lib/api';
import { useSession } from '@/lib/session';

type Field = 'name' | 'allowedHosts' | 'baseUrls' | 'requiresShadow' | 'protected';
const FIELDS: Field[] = ['name', 'allowedHosts', 'baseUrls', 'requiresShadow', 'protected'];

/** "key=url" lines to a record; a line without "=" is kept under its own text so the API names it. */
function parseBaseUrls(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf('=');
    if (at < 0) out[line] = '';
    else out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** An allowed host's problem names the host it is about. */
function describe(field: Field, key: string, message: string, hosts: string[]): string {
  if (field === 'allowedHosts' && /^\d+$/.test(key)) {
    const entry = hosts[Number(key)];
    if (entry !== undefined && message.includes(`"${entry}"`)) return message;
    return `${entry === undefined ? `entry ${key}` : `"${entry}"`}: ${message}`;
  }
  return key ? `${key}: ${message}` : message;
}

export default function EnvironmentsPage() {
  const list = useApi(controlApi.listEnvironments);
  const [name, setName] = useState('');
  const [hosts, setHosts] = useState('');
  const [baseUrls, setBaseUrls] = useState('');
  const [requiresShadow, setRequiresShadow] = useState(true);
  const [guarded, setGuarded] = useState(false);
  // What the form does not edit is kept: saving replaces the whole environment.
  const [kept, setKept] = useState<{
    name: string;
    metricsTargets: MetricsTarget[];
    weightDrivers: Environment['weightDrivers'];
    controlGraceS: number | null;
    maxRate: number | null;
  }>();
  const [saved, setSaved] = useState<string>();
  const [secretsOf, setSecretsOf] = useState<string>();
  const { needs } = useSession();
  const writeNeeds = needs('environment.write');

  const environments = list.data?.environments ?? [];
  const hostList = lines(hosts);
  const {
    busy,
    error,
    setError,
    submit: save,
  } = useSubmit(async () => {
    const env = await call(controlApi.putEnvironment, {
      params: { name: name.trim() },
      body: {
        allowedHosts: hostList,
        baseUrls: parseBaseUrls(baseUrls),
        requiresShadow,
        protected: guarded,
        ...(kept?.name === name.trim()
          ? {
              metricsTargets: kept.metricsTargets,
              weightDrivers: kept.weightDrivers,
              controlGraceS: kept.controlGraceS,
              maxRate: kept.maxRate,
            }
          : {}),
      },
    });
    setSaved(env.name);
    list.reload();
  });
  const fieldErrors = byField(FIELDS, error?.errors ?? [], (field, key, message) =>
    describe(field, key, message, hostList),
  );

  const submit = () => {
    setSaved(undefined);
    if (!name.trim()) {
      setError(
        new ApiError(422, 'invalid input', undefined, [
          { path: 'name', message: 'a name is required' },
        ]),
      );
      return;
    }
    void save();
  };

  const edit = (env: Environment) => {
    setName(env.name);
    setHosts(env.allowedHosts.join('\n'));
    setBaseUrls(
      Object.entries(env.baseUrls)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
    setRequiresShadow(env.requiresShadow);
    setGuarded(env.protected);
    setKept({
      name: env.name,
      metricsTargets: env.metricsTargets,
      weightDrivers: env.weightDrivers,
      controlGraceS: env.controlGraceS,
      maxRate: env.maxRate,
    });
    setError(undefined);
    setSaved(undefined);
    document.getElementById('env-name')?.focus();
  };

  return (
    <>
      <h1>Environments</h1>
      <p className="muted">
        Where runs may go: a run's target must match the environment's allowed hosts. In a protected
        environment a launch or schedule waits for a second operator's approval.
      </p>
      <ListState
        loaded={list}
        what="environments"
        count={environments.length}
        empty="No environment yet. Create one below."
      >
        <ListTable
          testId="environments-table"
          heads={[
            'Name',
            'Allowed hosts',
            'Base URLs',
            'Requires shadow',
            'Protected',
            { skip: 'Actions' },
          ]}
        >
          {environments.map((env) => (
            <tr key={env.name} data-testid={`environment-${env.name}`}>
              <td>
                <strong>{env.name}</strong>
              </td>
              <td>
                {env.allowedHosts.length === 0 ? (
                  <span className="muted">none (no run can target it)</span>
                ) : (
                  <ul className="plain-list">
                    {env.allowedHosts.map((h) => (
                      <li key={h}>
                        <code>{h}</code>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>
                {Object.keys(env.baseUrls).length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  <ul className="plain-list">
                    {Object.entries(env.baseUrls).map(([k, v]) => (
                      <li key={k}>
                        {k}: <code>{v}</code>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>{env.requiresShadow ? 'yes' : 'no'}</td>
              <td data-testid="environment-protected">
                {env.protected ? <strong>yes: four eyes</strong> : 'no'}
              </td>
              <td>
                <div className="toolbar">
                  <GuardedButton
                    needs={writeNeeds}
                    onClick={() => edit(env)}
                    aria-label={`Edit ${env.name}`}
                  >
                    Edit
                  </GuardedButton>
                  <button
                    type="button"
                    onClick={() => setSecretsOf(env.name)}
                    aria-label={`Secrets of ${env.name}`}
                    aria-pressed={secretsOf === env.name}
                  >
                    Secrets
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </ListTable>
      </ListState>

      {secretsOf ? <EnvironmentSecrets key={secretsOf} environment={secretsOf} /> : null}

      <ApiForm
        headingId="env-form-heading"
        heading="Create or replace an environment"
        testId="environment-form"
        onSubmit={submit}
        error={error}
        messages={fieldErrors}
        failed="The environment was not saved"
        submitLabel="Save environment"
        submitNeeds={writeNeeds}
        busy={busy}
        after={
          saved ? (
            <p role="status" className="ok-note" data-testid="environment-saved">
              Saved environment {saved}.
            </p>
          ) : null
        }
      >
        <TextField
          id="env-name"
          field="name"
          label="Name"
          value={name}
          onValue={setName}
          messages={fieldErrors}
          hint="Saving under an existing name replaces that environment."
          autoComplete="off"
        />
        <TextField
          id="env-hosts"
          field="allowedHosts"
          label="Allowed hosts"
          value={hosts}
          onValue={setHosts}
          messages={fieldErrors}
          hint={
            <>
              One per line: a host name, <code>*.suffix</code>, an IP address or a CIDR block.
            </>
          }
          multiline
          spellCheck={false}
        />
        <TextField
          id="env-urls"
          field="baseUrls"
          label="Base URLs"
          value={baseUrls}
          onValue={setBaseUrls}
          messages={fieldErrors}
          hint={
            <>
              One per line as <code>name=https://host</code>; each must be covered by the allowed
              hosts.
            </>
          }
          multiline
          spellCheck={false}
        />
        <div className="field inline">
          <input
            id="env-shadow"
            type="checkbox"
            name="requiresShadow"
            checked={requiresShadow}
            onChange={(e) => setRequiresShadow(e.target.checked)}
            aria-describedby={describedBy(fieldErrors, 'requiresShadow')}
          />
          <label htmlFor="env-shadow">Requires shadow (runs must set shadow: true)</label>
          <FieldErrors id="error-requiresShadow" messages={fieldErrors.requiresShadow} />
        </div>
        <div className="field inline">
          <input
            id="env-protected"
            type="checkbox"
            name="protected"
            checked={guarded}
            onChange={(e) => setGuarded(e.target.checked)}
            aria-describedby={describedBy(fieldErrors, 'protected')}
          />
          <label htmlFor="env-protected">
            Protected (a launch or schedule waits for a second operator's approval)
          </label>
          <FieldErrors id="error-protected" messages={fieldErrors.protected} />
        </div>
      </ApiForm>
    </>
  );
}
