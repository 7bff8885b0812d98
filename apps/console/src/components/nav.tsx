'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS = [
  { href: '/runs', label: 'Runs' },
  { href: '/scenarios', label: 'Scenarios' },
  { href: '/schedules', label: 'Schedules' },
  { href: '/environments', label: 'Environments' },
  { href: '/agents', label: 'Agents' },
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
          aria-current={path.startsWith(l.href) ? 'page' : undefined}
        >
          {l.label}
        </Link>
      ))}
    </nav>
  );
}
