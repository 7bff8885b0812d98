'use client';
// Capacity: from measured runs to a machine plan. Fit a model from stored runs or load a
// model file from `loadline capacity fit`; see each service's per-machine capacity with its
// fitted curve over the measured points and the fan-out ratios with their fit quality;
// enter a forecast, read the plan, slide the forecast for what-ifs, export it; load what
// `loadline capacity validate` measured of a plan, to see its error.
import type { CapacityModel } from '@loadline/capacity';
import { useState } from 'react';
import { ModelSection } from '@/components/capacity/model-section';
import { ModelView } from '@/components/capacity/model-view';
import { PlanSection } from '@/components/capacity/plan-section';
import { ValidationSection } from '@/components/capacity/validation-section';

export default function CapacityPage() {
  const [model, setModel] = useState<CapacityModel>();
  return (
    <>
      <h1>Capacity</h1>
      <ModelSection onModel={setModel} />
      {model ? (
        <>
          <ModelView model={model} />
          <PlanSection
            key={`${model.provenance.source}@${model.provenance.createdAt}`}
            model={model}
          />
          <ValidationSection />
        </>
      ) : null}
    </>
  );
}
