'use client';
// An environment's secrets (scenarios use them as ${secrets.NAME}): their names and when
// and by whom they were set. A value goes in through a password field and never comes
// back: control stores it encrypted and answers names only.
import { controlApi } from '@loadline/api/http';
import { useState } from 'react';
import { byField, FieldErrors, FormProblems, useSubmit } from '@/components/api-form';
import { ListState, Problem } from '@/components/bits';
import { type ApiError, apiError, call, useApi } from '@/lib/api';
import { when } from '@/lib/format';
import { useSession } from '@/lib/session';
import { GuardedButton } from './guarded-button';
import { ListTable } from './list-table';

type Field = 'name' | 'value';
const FIELDS: Field[] = ['name', 'value'];

export function EnvironmentSecrets({ environment }: { environment: string }) {
  const list = useApi(controlApi.listSecrets, { params: { name: environment } });
  const { needs } = useSession();
  const writeNeeds = needs('secret.write');
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [note, setNote] = useState<string>();
  const [removeError, setRemoveError] = useState<ApiError>();
  const secrets = list.data?.secrets ?? [];

  const { busy, error, submit } = useSubmit(async () => {
    setNote(undefined);
    const secret = name.trim();
    try {
      await call(controlApi.putSecret, {
        params: { name: environment, secret },
        body: { value },
      });
    } finally {
      // Typed once, sent once: a value is never kept in the page, refused or not.
      setValue('');
    }
    setNote(`Set ${secret} in ${environment}.`);
    setName('');
    list.reload();
  });
  // The path's name is `secret`, the body's field `value`: both land by their field.
  const messages = byField(
    FIELDS,
    (error?.errors ?? []).map((e) => (e.path === 'secret' ? { ...e, path: 'name' } : e)),
  );

  const remove = async (secret: string) => {
    setNote(undefined);
    try {
      await call(controlApi.deleteSecret, { params: { name: environment, secret } });
      setRemoveError(undefined);
      setNote(`Removed ${secret} from ${environment}.`);
    } catch (failure) {
      setRemoveError(apiError(failure));
    } finally {
      list.reload();
    }
  };

  return (
    <section aria-labelledby="secrets-heading" data-testid="environment-secrets">
      <h2 id="secrets-heading">Secrets of {environment}</h2>
      <p className="muted">
        Scenarios use them as <code>{'${secrets.NAME}'}</code>. Values are write-only: nobody can
        read one back, here or through the API.
      </p>
      <Problem error={removeError} />
      <ListState
        loaded={list}
        what="secrets"
        count={secrets.length}
        empty={`${environment} has no secret yet.`}
      >
        <ListTable testId="secrets-table" heads={['Name', 'Updated', 'By', { skip: 'Actions' }]}>
          {secrets.map((s) => (
            <tr key={s.name} data-testid={`secret-${s.name}`}>
              <td>
                <code>{s.name}</code>
              </td>
              <td>{when(s.updatedAt)}</td>
              <td>{s.updatedBy ?? '–'}</td>
              <td>
                <GuardedButton
                  needs={writeNeeds}
                  onClick={() => void remove(s.name)}
                  aria-label={`Remove secret ${s.name}`}
                >
                  Remove
                </GuardedButton>
              </td>
            </tr>
          ))}
        </ListTable>
      </ListState>
      {note ? (
        <p role="status" className="ok-note" data-testid="secret-note">
          {note}
        </p>
      ) : null}
      <form
        className="form"
        aria-label={`Set a secret of ${environment}`}
        data-testid="secret-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="field">
          <label htmlFor="secret-name">Secret name</label>
          <input
            id="secret-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            placeholder="API_TOKEN"
            aria-invalid={messages.name.length > 0}
          />
          <FieldErrors id="error-name" messages={messages.name} />
        </div>
        <div className="field">
          <label htmlFor="secret-value">Value</label>
          <input
            id="secret-value"
            type="password"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            // Not the user's own password: no browser should fill it in, or offer to save it.
            autoComplete="new-password"
            spellCheck={false}
            aria-invalid={messages.value.length > 0}
          />
          <p className="hint">Setting a name that exists replaces its value.</p>
          <FieldErrors id="error-value" messages={messages.value} />
        </div>
        <FormProblems error={error} messages={messages} failed="The secret was not set" />
        <div className="toolbar">
          <GuardedButton
            type="submit"
            className="primary"
            needs={writeNeeds}
            disabled={busy || !name.trim() || value === ''}
          >
            Set secret
          </GuardedButton>
        </div>
      </form>
    </section>
  );
}
