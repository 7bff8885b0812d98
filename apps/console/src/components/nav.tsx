'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS: Array<{ href: string; label: string; also?: string[] }> = [
  // Comparing runs is part of Runs: the nav says where you are.
  { href: '/runs', label: 'Runs', also: ['/compare'] },
  { href: '/scenarios', label: 'Scenarios' },
  { href: '/schedules', label: 'Schedules' },
  { href: '/corpora', label: 'Corpora' },
  { href: '/environments', label: 'Environments' },
  { href: '/agents', label: 'Agents' },
  { href: '/capacity', label: 'Capacity' },
];

export function Nav() {
  const path = usePathname();
  return (
    <nav aria-label="Main" className="nav">
      <Link href="/runs" className="brand">
        Loadline
      </Link>
      {LINKS.map((l) => (
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
    </nav>
  );
}
