'use client';
import { Suspense } from 'react';
import { ScenarioWorkbench } from '@/components/scenario-workbench';

export default function EditScenarioPage() {
  return (
    <Suspense fallback={<p className="muted">Loading the editor…</p>}>
      <ScenarioWorkbench />
    </Suspense>
  );
}
