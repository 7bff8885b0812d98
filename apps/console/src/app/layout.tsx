import type { Metadata } from 'next';
import { ControlBanner } from '@/components/control-banner';
import { Nav } from '@/components/nav';
import './globals.css';
import './views.css';
import './scenario-form.css';

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
        <header>
          <Nav />
        </header>
        <ControlBanner />
        <main id="main">{children}</main>
      </body>
    </html>
  );
}
