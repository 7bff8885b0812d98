'use client';
// Sign in: a user name and password (POST /auth/session starts a console session), or
// single sign-on when control has it configured. Afterwards, the page the user asked for.
import { controlApi } from '@loadline/api/http';
import { useSearchParams } from 'next/navigation';
import { Suspense, useState } from 'react';
import { Loading } from '@/components/bits';
import { type ApiError, apiError, call, hrefOf, rememberCsrf, useApi } from '@/lib/api';
import { safeNext } from '@/lib/next-path';

/** What a refused sign-in says: never which of the two was wrong. */
function refusal(error: ApiError): string {
  if (error.status === 401) return 'Wrong user name or password.';
  if (error.status === 429)
    return `Too many failed sign-ins from here: ${error.detail ?? 'try again later'}.`;
  if (error.status === 422)
    return 'Enter a user name (letters, digits, "_", "-", ".", "@") and a password.';
  return `Sign-in failed: ${error.message}`;
}

function SignIn() {
  const params = useSearchParams();
  const next = safeNext(params.get('next'));
  const ssoError = params.get('error');
  const providers = useApi(controlApi.authProviders);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const oidc = providers.data?.oidc;

  const signIn = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const whoami = await call(controlApi.signIn, {
        body: { username: username.trim(), password },
      });
      rememberCsrf(whoami.csrfToken);
      // A whole new page: everything it loads is loaded as the one who signed in.
      window.location.assign(next);
    } catch (failure) {
      setError(apiError(failure));
      setPassword('');
      setBusy(false);
    }
  };

  return (
    <div className="sign-in">
      <h1 id="sign-in-heading">Sign in</h1>
      {ssoError ? (
        <p role="alert" className="problem" data-testid="sso-error">
          Single sign-on did not sign you in: {ssoError.slice(0, 500)}
        </p>
      ) : null}
      <form
        className="form"
        aria-labelledby="sign-in-heading"
        data-testid="sign-in-form"
        onSubmit={(e) => {
          e.preventDefault();
          void signIn();
        }}
      >
        <div className="field">
          <label htmlFor="sign-in-user">User name</label>
          <input
            id="sign-in-user"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="sign-in-password">Password</label>
          <input
            id="sign-in-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        {error ? (
          <p role="alert" className="problem" data-testid="sign-in-error">
            {refusal(error)}
          </p>
        ) : null}
        <div className="toolbar">
          <button type="submit" className="primary" disabled={busy || !username || !password}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
      {oidc ? (
        <p>
          <a
            className="button-link"
            href={hrefOf(controlApi.oidcStart, {}, { returnTo: next })}
            data-testid="sso-link"
          >
            Sign in with single sign-on
          </a>{' '}
          <span className="muted">({oidc.name})</span>
        </p>
      ) : null}
    </div>
  );
}

export default function SignInPage() {
  return (
    <Suspense fallback={<Loading what="the sign-in page" />}>
      <SignIn />
    </Suspense>
  );
}
