'use client';
import { controlApi, type Permission } from '@loadline/api/http';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useState } from 'react';
import { call } from '@/lib/api';
import { useSession } from '@/lib/session';
import { leaveAfterSignOut } from '@/lib/session-fetch';

const LINKS: Array<{ href: string; label: string; also?: string[]; needs?: Permission }> = [
  // Comparing runs is part of Runs: the nav says where you are.
  { href: '/runs', label: 'Runs', also: ['/compare'] },
  { href: '/scenarios', label: 'Scenarios' },
  { href: '/schedules', label: 'Schedules' },
  { href: '/corpora', label: 'Corpora' },
  { href: '/environments', label: 'Environments' },
  { href: '/agents', label: 'Agents' },
  { href: '/capacity', label: 'Capacity' },
  // An admin's: everyone else sees only their own tokens, behind their name.
  { href: '/audit', label: 'Audit', needs: 'audit.read' },
  { href: '/access', label: 'Access', needs: 'user.admin' },
];

/** The signed-in user, their role, and Sign out (the session ends in control, then here). */
function Account() {
  const { whoami } = useSession();
  const [leaving, setLeaving] = useState(false);
  if (!whoami) return null;
  const signOut = async () => {
    setLeaving(true);
    try {
      await call(controlApi.signOut);
    } catch {
      // Already gone (expired, ended elsewhere): signing out has nothing left to end.
    }
    leaveAfterSignOut();
  };
  return (
    <div className="account" data-testid="account">
      <Link href="/access" title="Your API tokens">
        <span data-testid="account-name">{whoami.name}</span>
      </Link>
      <span className="badge" data-testid="account-role">
        {whoami.role}
        {whoami.role === 'operator' ? ` of ${whoami.environments.join(', ') || 'nothing'}` : ''}
      </span>
      <button type="button" onClick={signOut} disabled={leaving}>
        {leaving ? 'Signing out…' : 'Sign out'}
      </button>
    </div>
  );
}

export function Nav() {
  const path = usePathname();
  const { whoami } = useSession();
  if (path === '/login') {
    return (
      <nav aria-label="Main" className="nav">
        <span className="brand">Loadline</span>
      </nav>
    );
  }
  return (
    <nav aria-label="Main" className="nav">
      <Link href="/runs" className="brand">
        Loadline
      </Link>
      {LINKS.filter((l) => !l.needs || whoami?.permissions.includes(l.needs)).map((l) => (
        <Link
          key={l.href}
          href={l.href}
          aria-current={
            [l.href, ...(l.also ?? [])].some((p) => path.startsWith(p)) ? 'page' : undefined
          }
        >
          {l.label}
        </Link>
      ))}
      <Account />
    </nav>
  );
}
