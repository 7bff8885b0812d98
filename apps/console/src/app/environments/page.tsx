'use client';
import { controlApi, type Environment } from '@loadline/api/http';
import { useState } from 'react';
import { Empty, Loading, Problem } from '@/components/bits';
import { ApiError, apiError, call, type FieldProblem, useApi } from '@/lib/api';

type Field = 'name' | 'allowedHosts' | 'baseUrls' | 'requiresShadow';
const FIELDS: Field[] = ['name', 'allowedHosts', 'baseUrls', 'requiresShadow'];

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

/** Sorts the API's problems by the form field they belong to; the rest are general. */
function byField(errors: readonly FieldProblem[], hosts: string[]) {
  const out: Record<Field | 'other', string[]> = {
    name: [],
    allowedHosts: [],
    baseUrls: [],
    requiresShadow: [],
    other: [],
  };
  for (const e of errors) {
    const [head, ...rest] = e.path.split('.');
    const field = FIELDS.find((f) => f === head);
    if (!field) {
      out.other.push(e.path ? `${e.path}: ${e.message}` : e.message);
      continue;
    }
    const key = rest.join('.');
    if (field === 'allowedHosts' && /^\d+$/.test(key)) {
      const entry = hosts[Number(key)];
      const named = entry !== undefined && e.message.includes(`"${entry}"`);
      out.allowedHosts.push(
        named ? e.message : `${entry === undefined ? `entry ${key}` : `"${entry}"`}: ${e.message}`,
      );
    } else {
      out[field].push(key ? `${key}: ${e.message}` : e.message);
    }
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

export default function EnvironmentsPage() {
  const list = useApi(controlApi.listEnvironments);
  const [name, setName] = useState('');
  const [hosts, setHosts] = useState('');
  const [baseUrls, setBaseUrls] = useState('');
  const [requiresShadow, setRequiresShadow] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [saved, setSaved] = useState<string>();

  const environments = list.data?.environments ?? [];
  const hostList = lines(hosts);
  const fieldErrors = byField(error?.errors ?? [], hostList);
  const describedBy = (field: Field, hint?: string) =>
    [hint, fieldErrors[field].length > 0 ? `error-${field}` : undefined]
      .filter(Boolean)
      .join(' ') || undefined;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setSaved(undefined);
    const trimmed = name.trim();
    if (!trimmed) {
      setError(
        new ApiError(422, 'invalid input', undefined, [
          { path: 'name', message: 'a name is required' },
        ]),
      );
      return;
    }
    setBusy(true);
    try {
      const env = await call(controlApi.putEnvironment, {
        params: { name: trimmed },
        body: { allowedHosts: hostList, baseUrls: parseBaseUrls(baseUrls), requiresShadow },
      });
      setError(undefined);
      setSaved(env.name);
      list.reload();
    } catch (failure) {
      setError(apiError(failure));
    } finally {
      setBusy(false);
    }
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
    setError(undefined);
    setSaved(undefined);
    document.getElementById('env-name')?.focus();
  };

  return (
    <>
      <h1>Environments</h1>
      <p className="muted">
        Where runs may go: a run's target must match the environment's allowed hosts.
      </p>
      <Problem error={list.error} />
      {list.loading && !list.data ? <Loading what="environments" /> : null}
      {list.data && environments.length === 0 ? (
        <Empty>No environment yet. Create one below.</Empty>
      ) : null}
      {environments.length > 0 ? (
        <table data-testid="environments-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Allowed hosts</th>
              <th>Base URLs</th>
              <th>Requires shadow</th>
              <th>
                <span className="skip">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
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
                <td>
                  <button type="button" onClick={() => edit(env)} aria-label={`Edit ${env.name}`}>
                    Edit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <h2 id="env-form-heading">Create or replace an environment</h2>
      <form
        className="form"
        aria-labelledby="env-form-heading"
        onSubmit={submit}
        noValidate
        data-testid="environment-form"
      >
        <div className="field">
          <label htmlFor="env-name">Name</label>
          <input
            id="env-name"
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={fieldErrors.name.length > 0}
            aria-describedby={describedBy('name', 'env-name-hint')}
            autoComplete="off"
          />
          <p id="env-name-hint" className="hint">
            Saving under an existing name replaces that environment.
          </p>
          <FieldErrors id="error-name" messages={fieldErrors.name} />
        </div>
        <div className="field">
          <label htmlFor="env-hosts">Allowed hosts</label>
          <textarea
            id="env-hosts"
            name="allowedHosts"
            value={hosts}
            onChange={(e) => setHosts(e.target.value)}
            aria-invalid={fieldErrors.allowedHosts.length > 0}
            aria-describedby={describedBy('allowedHosts', 'env-hosts-hint')}
            spellCheck={false}
          />
          <p id="env-hosts-hint" className="hint">
            One per line: a host name, <code>*.suffix</code>, an IP address or a CIDR block.
          </p>
          <FieldErrors id="error-allowedHosts" messages={fieldErrors.allowedHosts} />
        </div>
        <div className="field">
          <label htmlFor="env-urls">Base URLs</label>
          <textarea
            id="env-urls"
            name="baseUrls"
            value={baseUrls}
            onChange={(e) => setBaseUrls(e.target.value)}
            aria-invalid={fieldErrors.baseUrls.length > 0}
            aria-describedby={describedBy('baseUrls', 'env-urls-hint')}
            spellCheck={false}
          />
          <p id="env-urls-hint" className="hint">
            One per line as <code>name=https://host</code>; each must be covered by the allowed
            hosts.
          </p>
          <FieldErrors id="error-baseUrls" messages={fieldErrors.baseUrls} />
        </div>
        <div className="field inline">
          <input
            id="env-shadow"
            type="checkbox"
            name="requiresShadow"
            checked={requiresShadow}
            onChange={(e) => setRequiresShadow(e.target.checked)}
            aria-describedby={describedBy('requiresShadow')}
          />
          <label htmlFor="env-shadow">Requires shadow (runs must set shadow: true)</label>
          <FieldErrors id="error-requiresShadow" messages={fieldErrors.requiresShadow} />
        </div>
        {error && fieldErrors.other.length > 0 ? (
          <FieldErrors id="error-other" messages={fieldErrors.other} />
        ) : null}
        {error && error.errors.length === 0 ? <Problem error={error} /> : null}
        {error && error.errors.length > 0 ? (
          <p role="alert" className="problem">
            The environment was not saved: {error.title}. See the fields above.
          </p>
        ) : null}
        <div className="toolbar">
          <button type="submit" className="primary" disabled={busy}>
            Save environment
          </button>
        </div>
        {saved ? (
          <p role="status" className="ok-note" data-testid="environment-saved">
            Saved environment {saved}.
          </p>
        ) : null}
      </form>
    </>
  );
}
