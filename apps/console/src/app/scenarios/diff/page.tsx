'use client';
import { Suspense } from 'react';
import { Loading } from '@/components/bits';
import { VersionDiff } from '@/components/version-diff';

export default function DiffPage() {
  return (
    <Suspense fallback={<Loading what="the versions" />}>
      <VersionDiff />
    </Suspense>
  );
}
