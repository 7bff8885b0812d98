'use client';
// API tokens (never their secrets): one's own, or every token for an admin; when each was
// last used, when it expires, whether it was revoked; Revoke; and a form to make one.
import { controlApi, type TokenInfo, type Whoami } from '@loadline/api/http';
import { useState } from 'react';
import { ListState, Problem } from '@/components/bits';
import { ListTable } from '@/components/list-table';
import { type ApiError, apiError, call, useApi } from '@/lib/api';
import { when } from '@/lib/format';
import { TokenForm } from './token-form';

function state(token: TokenInfo, now: number): string {
  if (token.revokedAt) return `revoked ${when(token.revokedAt)}`;
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return 'expired';
  return 'active';
}

export function TokensSection({ whoami }: { whoami: Whoami }) {
  const list = useApi(controlApi.listTokens);
  const tokens = list.data?.tokens ?? [];
  const everyone = whoami.permissions.includes('token.admin');
  const [error, setError] = useState<ApiError>();
  const [note, setNote] = useState<string>();
  const now = Date.now();

  const revoke = async (token: TokenInfo) => {
    setNote(undefined);
    try {
      await call(controlApi.revokeToken, { params: { id: token.id } });
      setError(undefined);
      setNote(`Revoked ${token.name} (${token.id}): it stops working now.`);
    } catch (failure) {
      setError(apiError(failure));
    } finally {
      list.reload();
    }
  };

  return (
    <section aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">{everyone ? 'API tokens (everyone’s)' : 'Your API tokens'}</h2>
      <p className="muted">
        For the CLI and CI: <code>LOADLINE_TOKEN=…</code> or <code>loadline login</code>.
      </p>
      <Problem error={error} />
      <ListState loaded={list} what="tokens" count={tokens.length} empty="No token yet.">
        <ListTable
          testId="tokens-table"
          heads={[
            'Token',
            ...(everyone ? ['Owner'] : []),
            'Role',
            'Created',
            'Last used',
            'Expires',
            'State',
            { skip: 'Actions' },
          ]}
        >
          {tokens.map((t) => {
            const shown = state(t, now);
            return (
              <tr
                key={t.id}
                data-testid={`token-${t.id}`}
                className={shown === 'active' ? '' : 'revoked'}
              >
                <td>
                  <strong>{t.name}</strong>
                  <br />
                  <code className="muted">{t.id}</code>
                </td>
                {everyone ? <td>{t.owner ?? '–'}</td> : null}
                <td>
                  {t.role}
                  {t.role === 'operator' ? ` of ${t.environments.join(', ')}` : ''}
                </td>
                <td>{when(t.createdAt)}</td>
                <td>{t.lastUsedAt ? when(t.lastUsedAt) : 'never'}</td>
                <td>{t.expiresAt ? when(t.expiresAt) : 'never'}</td>
                <td data-testid="token-state">{shown}</td>
                <td>
                  {t.revokedAt ? null : (
                    <button
                      type="button"
                      className="danger"
                      onClick={() => void revoke(t)}
                      aria-label={`Revoke ${t.name} ${t.id}`}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </ListTable>
      </ListState>
      {note ? (
        <p role="status" className="ok-note" data-testid="token-note">
          {note}
        </p>
      ) : null}
      <TokenForm whoami={whoami} onCreated={list.reload} />
    </section>
  );
}
