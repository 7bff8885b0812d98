'use client';
// Make an API token (POST /tokens) for the CLI or CI: a role no higher than one's own, an
// operator token's environments, how long it lives. The token is shown once, here.
import { controlApi, type IssuedToken, type TokenRole, type Whoami } from '@loadline/api/http';
import { useState } from 'react';
import {
  ApiForm,
  byField,
  describedBy,
  FieldErrors,
  TextField,
  useSubmit,
} from '@/components/api-form';
import { call } from '@/lib/api';
import { environmentList } from './user-form';

type Field = 'name' | 'role' | 'environments' | 'expires';
const FIELDS: Field[] = ['name', 'role', 'environments', 'expires'];

const ROLES: readonly TokenRole[] = ['viewer', 'author', 'operator', 'admin'];

/** The roles `whoami` may give a token: none above its own; `agent` tokens are an admin's. */
export function tokenRolesFor(whoami: Whoami): TokenRole[] {
  if (whoami.role === 'agent') return [];
  const mine = ROLES.slice(0, ROLES.indexOf(whoami.role) + 1);
  return whoami.role === 'admin' ? [...mine, 'agent'] : mine;
}

/** The new token, once: copy it now, it is stored only as a hash. */
function ShownOnce({ issued, onDone }: { issued: IssuedToken; onDone: () => void }) {
  const [copied, setCopied] = useState<string>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(issued.token);
      setCopied('Copied.');
    } catch {
      setCopied('The browser would not copy it: select it and copy it by hand.');
    }
  };
  return (
    <div className="token-once" role="status" data-testid="token-once">
      <p>
        <strong>Token {issued.name}</strong> ({issued.role}
        {issued.environments.length > 0 ? ` of ${issued.environments.join(', ')}` : ''}
        {issued.expiresAt ? `, expires ${issued.expiresAt.slice(0, 10)}` : ''}). Copy it now:
        Loadline keeps only its hash and cannot show it again.
      </p>
      <p>
        <code data-testid="token-value">{issued.token}</code>
      </p>
      <div className="toolbar">
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy token
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
        {copied ? <span aria-live="polite">{copied}</span> : null}
      </div>
    </div>
  );
}

export function TokenForm({ whoami, onCreated }: { whoami: Whoami; onCreated: () => void }) {
  const roles = tokenRolesFor(whoami);
  const [name, setName] = useState('');
  const [role, setRole] = useState<TokenRole>(roles[0] ?? 'viewer');
  const [environments, setEnvironments] = useState(whoami.environments.join(', '));
  const [expires, setExpires] = useState('30d');
  const [issued, setIssued] = useState<IssuedToken>();

  const { busy, error, submit } = useSubmit(async () => {
    setIssued(undefined);
    const token = await call(controlApi.createToken, {
      body: {
        role,
        expires: expires.trim(),
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(role === 'operator' ? { environments: environmentList(environments) } : {}),
      },
    });
    setIssued(token);
    setName('');
    onCreated();
  });
  const messages = byField(FIELDS, error?.errors ?? []);

  return (
    <>
      {issued ? <ShownOnce issued={issued} onDone={() => setIssued(undefined)} /> : null}
      <ApiForm
        headingId="token-form-heading"
        heading="Make an API token"
        testId="token-form"
        onSubmit={() => void submit()}
        error={error}
        messages={messages}
        failed="The token was not made"
        submitLabel="Make token"
        busy={busy}
      >
        <TextField
          id="token-name"
          field="name"
          label="Name"
          value={name}
          onValue={setName}
          messages={messages}
          hint="What it is for, e.g. nightly CI."
          autoComplete="off"
        />
        <div className="field">
          <label htmlFor="token-role">Role</label>
          <select
            id="token-role"
            name="role"
            value={role}
            onChange={(e) => setRole(e.target.value as TokenRole)}
            aria-describedby={describedBy(messages, 'role', 'token-role-hint')}
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <p id="token-role-hint" className="hint">
            A token never holds more than you do
            {whoami.role === 'admin' ? '; an agent token only enrolls load generators' : ''}.
          </p>
          <FieldErrors id="error-role" messages={messages.role} />
        </div>
        {role === 'operator' ? (
          <TextField
            id="token-environments"
            field="environments"
            label="Operator of environments"
            value={environments}
            onValue={setEnvironments}
            messages={messages}
            hint="Comma-separated; only environments you operate yourself."
            autoComplete="off"
            spellCheck={false}
          />
        ) : null}
        <TextField
          id="token-expires"
          field="expires"
          label="Expires after"
          value={expires}
          onValue={setExpires}
          messages={messages}
          hint={
            <>
              e.g. <code>90m</code>, <code>12h</code>, <code>30d</code>; at most 366 days.
            </>
          }
          autoComplete="off"
          spellCheck={false}
        />
      </ApiForm>
    </>
  );
}
