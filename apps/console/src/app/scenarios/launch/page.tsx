'use client';
import { useSearchParams } from 'next/navigation';
import { Suspense } from 'react';
import { Loading } from '@/components/bits';
import { LaunchForm } from '@/components/launch-form';

/** A form per scenario: going from one scenario's launch page to another's starts afresh. */
function KeyedLaunchForm() {
  const name = useSearchParams().get('name') ?? '';
  return <LaunchForm key={name} />;
}

export default function LaunchPage() {
  return (
    <Suspense fallback={<Loading what="the launch form" />}>
      <KeyedLaunchForm />
    </Suspense>
  );
}
