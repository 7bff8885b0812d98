'use client';
// The forecast form: peak entry rates, utilisation, redundancy and zones, and the what-if
// slider on the peak. The plan follows the form as it changes.
import { controlApi } from '@loadline/api/http';
import type { CapacityModel, Forecast } from '@loadline/capacity';
import { useMemo, useState } from 'react';
import { Problem } from '@/components/bits';
import { LabelledInput, NumberInput } from '@/components/labelled-input';
import { call } from '@/lib/api';
import { useDebouncedAsk } from '@/lib/use-debounced-ask';
import { PlanView } from './plan-view';

/** The plan of a forecast on a model, asked again as the forecast changes. */
function usePlan(model: CapacityModel, forecast: Forecast) {
  const request = useMemo(() => ({ model, forecast }), [model, forecast]);
  const { answer, error, setError } = useDebouncedAsk(
    request,
    (body) => call(controlApi.planCapacity, { body }),
    200, // a slider moves a lot
  );
  return { plan: answer, error, setError };
}

export function PlanSection({ model }: { model: CapacityModel }) {
  const kinds = model.fanout.entryKinds;
  const [entries, setEntries] = useState<Record<string, string>>({});
  const [utilisation, setUtilisation] = useState('0.6');
  const [redundancy, setRedundancy] = useState('2');
  const [zones, setZones] = useState('3');
  const [factor, setFactor] = useState(1);
  const forecast = useMemo(
    (): Forecast => ({
      entries: Object.fromEntries(kinds.map((k) => [k, Number(entries[k] ?? 0) * factor])),
      utilisation: Number(utilisation),
      redundancy: { default: Number(redundancy) },
      ...(zones ? { zones: Number(zones) } : {}),
    }),
    [kinds, entries, factor, utilisation, redundancy, zones],
  );
  const { plan, error, setError } = usePlan(model, forecast);

  return (
    <section aria-labelledby="plan-heading">
      <h2 id="plan-heading">Forecast and plan</h2>
      <div className="form-grid">
        {kinds.map((k) => (
          <NumberInput
            key={k}
            label={`Peak ${k} (req/s)`}
            name={`entry-${k}`}
            min={0}
            value={entries[k] ?? ''}
            onValue={(text) => setEntries((all) => ({ ...all, [k]: text }))}
          />
        ))}
        <NumberInput
          label="Target utilisation"
          name="utilisation"
          min={0.05}
          max={1}
          step="any"
          value={utilisation}
          onValue={setUtilisation}
        />
        <NumberInput
          label="Redundancy (N+k)"
          name="redundancy"
          min={0}
          value={redundancy}
          onValue={setRedundancy}
        />
        <NumberInput label="Zones" name="zones" min={1} value={zones} onValue={setZones} />
        <LabelledInput
          label={`What if the peak is × ${factor.toFixed(1)}`}
          name="factor"
          type="range"
          min={0.5}
          max={3}
          step={0.1}
          value={factor}
          onChange={(e) => setFactor(Number(e.target.value))}
        />
      </div>
      <Problem error={error} />
      {plan ? <PlanView plan={plan} model={model} forecast={forecast} onError={setError} /> : null}
    </section>
  );
}
