import type { Metadata } from 'next';
import { ControlBanner } from '@/components/control-banner';
import { Nav } from '@/components/nav';
import { SessionProvider } from '@/lib/session';
import './globals.css';
import './views.css';
import './scenario-form.css';
import './access.css';

export const metadata: Metadata = {
  title: 'Loadline console',
  description: 'Author scenarios, launch and watch load-test runs',
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a href="#main" className="skip">
          Skip to content
        </a>
        <SessionProvider>
          <header>
            <Nav />
          </header>
          <ControlBanner />
          <main id="main">{children}</main>
        </SessionProvider>
      </body>
    </html>
  );
}
