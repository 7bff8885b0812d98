'use client';
// A plan's measured error: the JSON `loadline capacity validate --json` wrote (it ran the
// plan at the forecast on the demo mall), loaded here and shown per service: whether its
// SLO held, the QPS the plan expected of each instance and what each served, and the CPU
// the model predicted there against what was measured.
import { PlanValidation } from '@loadline/capacity';
import { useState } from 'react';
import { Problem } from '@/components/bits';
import { LabelledInput } from '@/components/labelled-input';
import { ApiError } from '@/lib/api';
import { qps } from '@/lib/capacity-form';

const share = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
const signed = (x: number | null) =>
  x === null ? '–' : `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;
const ms = (x: number | null) => (x === null ? '–' : `${x.toFixed(1)} ms`);

export function ValidationSection() {
  const [validation, setValidation] = useState<PlanValidation>();
  const [error, setError] = useState<ApiError>();
  const load = async (file: File | undefined) => {
    if (!file) return;
    setError(undefined);
    try {
      const parsed = PlanValidation.safeParse(JSON.parse(await file.text()));
      if (!parsed.success) throw new Error('not the JSON of `loadline capacity validate --json`');
      setValidation(parsed.data);
    } catch (e) {
      setValidation(undefined);
      setError(new ApiError(0, `${file.name}: ${(e as Error).message}`, undefined));
    }
  };
  return (
    <section aria-labelledby="validation-heading">
      <h2 id="validation-heading">Measured accuracy</h2>
      <p className="muted">
        Run the plan at the forecast with <code>loadline capacity validate --json</code> and load
        what it wrote: per service, whether its SLO held and how far the plan&apos;s predictions
        were from what was measured.
      </p>
      <LabelledInput
        label="Load a validation result"
        type="file"
        accept=".json,application/json"
        onChange={(e) => load(e.target.files?.[0])}
      />
      <Problem error={error} />
      {validation ? (
        <>
          <p data-testid="validation-headline">
            {validation.held ? 'Held' : 'NOT held'}: {validation.requests.toLocaleString('en-US')}{' '}
            requests, {share(validation.errorRate)} errors.
          </p>
          <table data-testid="validation-table">
            <thead>
              <tr>
                <th>Service</th>
                <th className="num">Instances</th>
                <th className="num">QPS expected / served</th>
                <th className="num">CPU predicted / measured</th>
                <th className="num">Utilisation error</th>
                <th className="num">p99 / SLO</th>
                <th>SLO</th>
              </tr>
            </thead>
            <tbody>
              {validation.services.map((s) => (
                <tr key={s.service} className={s.held ? undefined : 'regression'}>
                  <td>{s.service}</td>
                  <td className="num">{s.instances}</td>
                  <td className="num">
                    {s.predictedQpsPerInstance === null ? '–' : qps(s.predictedQpsPerInstance)} /{' '}
                    {s.measuredQpsPerInstance === null ? '–' : qps(s.measuredQpsPerInstance)}
                  </td>
                  <td className="num">
                    {share(s.predictedCpu)} / {share(s.cpu)}
                  </td>
                  <td className="num">{signed(s.cpuError)}</td>
                  <td className="num">
                    {ms(s.p99Ms)} / {ms(s.sloP99Ms)}
                  </td>
                  <td>{s.held ? 'held' : 'broken'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
