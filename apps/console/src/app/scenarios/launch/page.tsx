'use client';
import { Suspense } from 'react';
import { Loading } from '@/components/bits';
import { LaunchForm } from '@/components/launch-form';

export default function LaunchPage() {
  return (
    <Suspense fallback={<Loading what="the launch form" />}>
      <LaunchForm />
    </Suspense>
  );
}
