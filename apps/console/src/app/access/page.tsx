'use client';
import { TokensSection } from '@/components/access/tokens-section';
// Who may do what: an admin manages users; everyone manages their own API tokens (an
// admin sees and revokes everyone's).
import { UsersSection } from '@/components/access/users-section';
import { Loading } from '@/components/bits';
import { useSession } from '@/lib/session';

export default function AccessPage() {
  const { whoami } = useSession();
  return (
    <>
      <h1>Access</h1>
      {whoami ? (
        <p className="muted" data-testid="access-whoami">
          Signed in as <strong>{whoami.name}</strong> ({whoami.role}
          {whoami.role === 'operator' ? ` of ${whoami.environments.join(', ') || 'nothing'}` : ''})
          {whoami.expiresAt
            ? `; this session ends ${whoami.expiresAt.slice(0, 16).replace('T', ' ')} UTC at the latest`
            : ''}
          .
        </p>
      ) : (
        <Loading what="who you are" />
      )}
      {whoami?.permissions.includes('user.admin') ? <UsersSection /> : null}
      {whoami ? <TokensSection whoami={whoami} /> : null}
    </>
  );
}
