'use client';
// Create or change a user (PUT /users/:name): role, an operator's environments, a new
// password, disabled. A lowered role or a disabled user loses their sessions at once.
import { controlApi, Role, type User } from '@loadline/api/http';
import { useEffect, useState } from 'react';
import {
  ApiForm,
  byField,
  describedBy,
  FieldErrors,
  TextField,
  useSubmit,
} from '@/components/api-form';
import { ApiError, call } from '@/lib/api';

type Field = 'name' | 'role' | 'environments' | 'password' | 'disabled';
const FIELDS: Field[] = ['name', 'role', 'environments', 'password', 'disabled'];

/** "staging, prod" or one per line → ["staging", "prod"]. */
export function environmentList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

export function UserForm({ editing, onSaved }: { editing: User | undefined; onSaved: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [environments, setEnvironments] = useState('');
  const [password, setPassword] = useState('');
  const [disabled, setDisabled] = useState(false);
  const [saved, setSaved] = useState<string>();

  useEffect(() => {
    if (!editing) return;
    setName(editing.name);
    setRole(editing.role);
    setEnvironments(editing.environments.join(', '));
    setPassword('');
    setDisabled(editing.disabled);
    setSaved(undefined);
    document.getElementById('user-name')?.focus();
  }, [editing]);

  const { busy, error, setError, submit } = useSubmit(async () => {
    const user = await call(controlApi.putUser, {
      params: { name: name.trim() },
      body: {
        role,
        environments: role === 'operator' ? environmentList(environments) : [],
        ...(password ? { password } : {}),
        disabled,
      },
    });
    setSaved(`Saved ${user.name} (${user.role}${user.disabled ? ', disabled' : ''}).`);
    setPassword('');
    onSaved();
  });
  const messages = byField(FIELDS, error?.errors ?? []);

  return (
    <ApiForm
      headingId="user-form-heading"
      heading="Create or change a user"
      testId="user-form"
      onSubmit={() => {
        setSaved(undefined);
        if (!name.trim()) {
          setError(
            new ApiError(422, 'invalid input', undefined, [
              { path: 'name', message: 'a user name is required' },
            ]),
          );
          return;
        }
        void submit();
      }}
      error={error}
      messages={messages}
      failed="The user was not saved"
      submitLabel="Save user"
      busy={busy}
      after={
        saved ? (
          <p role="status" className="ok-note" data-testid="user-saved">
            {saved}
          </p>
        ) : null
      }
    >
      <TextField
        id="user-name"
        field="name"
        label="User name"
        value={name}
        onValue={setName}
        messages={messages}
        hint="Saving under an existing name changes that user."
        autoComplete="off"
        spellCheck={false}
      />
      <div className="field">
        <label htmlFor="user-role">Role</label>
        <select
          id="user-role"
          name="role"
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          aria-describedby={describedBy(messages, 'role', 'user-role-hint')}
        >
          {Role.options.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <p id="user-role-hint" className="hint">
          viewer reads; author also writes scenarios and corpora; operator also launches, stops,
          schedules and approves in its environments; admin does everything.
        </p>
        <FieldErrors id="error-role" messages={messages.role} />
      </div>
      {role === 'operator' ? (
        <TextField
          id="user-environments"
          field="environments"
          label="Operator of environments"
          value={environments}
          onValue={setEnvironments}
          messages={messages}
          hint={
            <>
              Comma-separated names; <code>*</code> for every environment.
            </>
          }
          autoComplete="off"
          spellCheck={false}
        />
      ) : null}
      <div className="field">
        <label htmlFor="user-password">{editing ? 'New password' : 'Password'}</label>
        <input
          id="user-password"
          name="password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={messages.password.length > 0}
          aria-describedby={describedBy(messages, 'password', 'user-password-hint')}
        />
        <p id="user-password-hint" className="hint">
          At least 12 characters. Leave it empty to keep a user's current password.
        </p>
        <FieldErrors id="error-password" messages={messages.password} />
      </div>
      <div className="field inline">
        <input
          id="user-disabled"
          type="checkbox"
          name="disabled"
          checked={disabled}
          onChange={(e) => setDisabled(e.target.checked)}
        />
        <label htmlFor="user-disabled">
          Disabled (cannot sign in; their sessions and tokens stop working)
        </label>
      </div>
    </ApiForm>
  );
}
