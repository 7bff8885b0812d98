'use client';
// Capacity: from measured runs to a machine plan. Fit a model from stored runs (what control
// scraped from the targets' /metrics, next to the agents' per-step seconds) or load a model
// file from `loadline capacity fit`; see each service's per-machine capacity with its
// fitted curve over the measured points and the fan-out ratios with their fit quality;
// enter a forecast, read the plan, slide the forecast for what-ifs, export it.
import type { CapacityModel, Plan } from '@loadline/capacity';
import { useEffect, useMemo, useState } from 'react';
import { Empty, Loading, Problem } from '@/components/bits';
import { UslChart } from '@/components/usl-chart';
import { API, ApiError, apiCall, useApi } from '@/lib/api';
import { count, when } from '@/lib/format';
import { type RunPage, TERMINAL } from '@/lib/types';

interface FitResult {
  model: CapacityModel;
}

const qps = (value: number) => Math.round(value).toLocaleString('en-US');

function capacityText(c: CapacityModel['services'][number]['capacity']): string {
  return c.lowerBound ? `> ${qps(c.qps)}` : qps(c.qps);
}

/** "cart=4, payment=2" → { cart: 4, payment: 2 }; a bad entry is an error naming it. */
function parseCores(text: string): Record<string, number> | string {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9_.-]+)\s*=\s*(\d+)$/.exec(part);
    if (!match || Number(match[2]) < 1) return `"${part}" is not SERVICE=CORES`;
    out[match[1] as string] = Number(match[2]);
  }
  return out;
}

function ModelSection({ onModel }: { onModel: (model: CapacityModel) => void }) {
  const runs = useApi<RunPage>('/runs?limit=50');
  const finished = (runs.data?.runs ?? []).filter((r) => TERMINAL.has(r.status));
  const [picked, setPicked] = useState<string[]>([]);
  const [cores, setCores] = useState('');
  const [p99, setP99] = useState('500');
  const [ceiling, setCeiling] = useState('');
  const [levelSeconds, setLevelSeconds] = useState('5');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const coresParsed = parseCores(cores);

  const fit = async () => {
    if (typeof coresParsed === 'string') return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await apiCall<FitResult>('POST', '/capacity/model', {
        runs: picked,
        cores: coresParsed,
        slo: { p99Ms: Number(p99), ...(ceiling ? { cpuCeiling: Number(ceiling) } : {}) },
        levelSeconds: Number(levelSeconds),
      });
      onModel(result.model);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, String(e), undefined));
    } finally {
      setBusy(false);
    }
  };

  const load = async (file: File | undefined) => {
    if (!file) return;
    setError(undefined);
    try {
      const model = JSON.parse(await file.text()) as CapacityModel;
      if (model.version !== 1 || !Array.isArray(model.services)) {
        throw new Error('not a capacity model (version 1) from `loadline capacity fit`');
      }
      onModel(model);
    } catch (e) {
      setError(new ApiError(0, `${file.name}: ${(e as Error).message}`, undefined));
    }
  };

  return (
    <section aria-labelledby="model-heading">
      <h2 id="model-heading">Model</h2>
      <p className="muted">
        Fit from runs whose environment lists its targets&apos; /metrics (a single-machine ramp for
        capacities, a mixed run for fan-out ratios), or load a model file.
      </p>
      <Problem error={runs.error} />
      {runs.loading && !runs.data ? <Loading what="runs" /> : null}
      {runs.data && finished.length === 0 ? <Empty>No finished run yet.</Empty> : null}
      {finished.length > 0 ? (
        <fieldset className="run-picker">
          <legend>Runs to fit</legend>
          {finished.slice(0, 20).map((r) => (
            <label key={r.id} className="check">
              <input
                type="checkbox"
                checked={picked.includes(r.id)}
                onChange={(e) =>
                  setPicked((p) => (e.target.checked ? [...p, r.id] : p.filter((x) => x !== r.id)))
                }
              />
              {r.id} — {r.scenario} v{r.scenarioVersion}, {r.status}, {when(r.createdAt)},{' '}
              {count(r.summary?.total.requests)} requests
            </label>
          ))}
        </fieldset>
      ) : null}
      <div className="form-grid">
        <label>
          Cores per machine
          <input
            name="cores"
            placeholder="cart=4, payment=2 (default 1)"
            value={cores}
            aria-invalid={typeof coresParsed === 'string' ? true : undefined}
            aria-describedby="cores-hint"
            onChange={(e) => setCores(e.target.value)}
          />
          <span id="cores-hint" className={typeof coresParsed === 'string' ? 'problem' : 'muted'}>
            {typeof coresParsed === 'string' ? coresParsed : 'SERVICE=CORES, comma-separated'}
          </span>
        </label>
        <label>
          SLO p99 (ms)
          <input
            name="p99"
            type="number"
            min={1}
            value={p99}
            onChange={(e) => setP99(e.target.value)}
          />
        </label>
        <label>
          CPU ceiling (0–1)
          <input
            name="cpuCeiling"
            type="number"
            min={0.05}
            max={1}
            step="any"
            placeholder="none"
            value={ceiling}
            onChange={(e) => setCeiling(e.target.value)}
          />
        </label>
        <label>
          Seconds per load level
          <input
            name="levelSeconds"
            type="number"
            min={1}
            value={levelSeconds}
            onChange={(e) => setLevelSeconds(e.target.value)}
          />
        </label>
        <div className="toolbar">
          <button
            type="button"
            className="primary"
            disabled={busy || picked.length === 0 || typeof coresParsed === 'string'}
            onClick={fit}
          >
            {busy ? 'Fitting…' : `Fit model${picked.length ? ` (${picked.length} run(s))` : ''}`}
          </button>
          <label>
            Or load a model file
            <input
              type="file"
              accept=".json,application/json"
              onChange={(e) => load(e.target.files?.[0])}
            />
          </label>
        </div>
      </div>
      <Problem error={error} />
    </section>
  );
}

function ModelView({ model }: { model: CapacityModel }) {
  const kinds = model.fanout.entryKinds;
  return (
    <section aria-labelledby="fitted-heading" data-testid="capacity-model">
      <h2 id="fitted-heading">Per-machine capacity</h2>
      <p className="muted">
        From {model.provenance.source}, {when(model.provenance.createdAt)}. The usable capacity is
        the lowest of the SLO-limited load, the USL peak and the queueing knee for the cores; a ramp
        that never breached its SLO gives a lower bound (&gt; X).
      </p>
      <table data-testid="capacity-services">
        <thead>
          <tr>
            <th>Service</th>
            <th className="num">QPS per machine</th>
            <th>Binds</th>
            <th className="num">Cores</th>
            <th className="num">Highest measured</th>
            <th>Warnings</th>
          </tr>
        </thead>
        <tbody>
          {model.services.map((s) => (
            <tr key={s.service}>
              <td>{s.service}</td>
              <td className="num">{capacityText(s.capacity)}</td>
              <td>{s.capacity.binding}</td>
              <td className="num">{s.cores}</td>
              <td className="num">{qps(s.capacity.maxMeasuredQps)}</td>
              <td>{s.capacity.warnings.join('; ') || '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="charts">
        {model.services
          .filter((s) => s.usl)
          .map((s) => (
            <UslChart
              key={s.service}
              service={s.service}
              curve={s.usl as NonNullable<typeof s.usl>}
            />
          ))}
      </div>
      <h2>Fan-out ratios</h2>
      <p className="muted">
        Calls to each service per entry request, by non-negative least squares over{' '}
        {model.fanout.seconds} seconds; a poor fit is refused, not used.
      </p>
      <table data-testid="capacity-ratios">
        <thead>
          <tr>
            <th>Service</th>
            {kinds.map((k) => (
              <th key={k} className="num">
                per {k}
              </th>
            ))}
            <th className="num">R²</th>
            <th>Fit</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(model.fanout.services).map(([service, f]) => (
            <tr key={service}>
              <td>{service}</td>
              {kinds.map((k) => (
                <td key={k} className="num">
                  {(f.ratios[k] ?? 0).toFixed(3)}
                </td>
              ))}
              <td className="num">{f.r2.toFixed(3)}</td>
              <td className={f.refused ? 'fail' : 'pass'}>
                {f.refused ? `refused: ${f.reason}` : 'used'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

async function download(model: CapacityModel, forecast: object, format: string) {
  const response = await fetch(`${API}/capacity/plan?format=${format}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, forecast }),
  });
  if (!response.ok) throw new Error(`${format}: HTTP ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `capacity-plan.${format}`;
  a.click();
  // Revoked after the browser has started the download, not before.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function PlanSection({ model }: { model: CapacityModel }) {
  const kinds = model.fanout.entryKinds;
  const [entries, setEntries] = useState<Record<string, string>>({});
  const [utilisation, setUtilisation] = useState('0.6');
  const [redundancy, setRedundancy] = useState('2');
  const [zones, setZones] = useState('3');
  const [factor, setFactor] = useState(1);
  const [plan, setPlan] = useState<Plan>();
  const [error, setError] = useState<ApiError>();
  const forecast = useMemo(
    () => ({
      entries: Object.fromEntries(kinds.map((k) => [k, Number(entries[k] ?? 0) * factor])),
      utilisation: Number(utilisation),
      redundancy: { default: Number(redundancy) },
      ...(zones ? { zones: Number(zones) } : {}),
    }),
    [kinds, entries, factor, utilisation, redundancy, zones],
  );

  // The plan follows the form and the what-if slider (debounced: a slider moves a lot).
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      apiCall<Plan>('POST', '/capacity/plan', { model, forecast })
        .then((p) => {
          if (!live) return;
          setPlan(p);
          setError(undefined);
        })
        .catch((e: unknown) => {
          if (!live) return;
          // No stale plan beside the error: its numbers are not this forecast's.
          setPlan(undefined);
          setError(e instanceof ApiError ? e : new ApiError(0, String(e), undefined));
        });
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [model, forecast]);

  return (
    <section aria-labelledby="plan-heading">
      <h2 id="plan-heading">Forecast and plan</h2>
      <div className="form-grid">
        {kinds.map((k) => (
          <label key={k}>
            Peak {k} (req/s)
            <input
              name={`entry-${k}`}
              type="number"
              min={0}
              value={entries[k] ?? ''}
              onChange={(e) => setEntries((all) => ({ ...all, [k]: e.target.value }))}
            />
          </label>
        ))}
        <label>
          Target utilisation
          <input
            name="utilisation"
            type="number"
            min={0.05}
            max={1}
            step="any"
            value={utilisation}
            onChange={(e) => setUtilisation(e.target.value)}
          />
        </label>
        <label>
          Redundancy (N+k)
          <input
            name="redundancy"
            type="number"
            min={0}
            value={redundancy}
            onChange={(e) => setRedundancy(e.target.value)}
          />
        </label>
        <label>
          Zones
          <input
            name="zones"
            type="number"
            min={1}
            value={zones}
            onChange={(e) => setZones(e.target.value)}
          />
        </label>
        <label>
          What if the peak is × {factor.toFixed(1)}
          <input
            name="factor"
            type="range"
            min={0.5}
            max={3}
            step={0.1}
            value={factor}
            onChange={(e) => setFactor(Number(e.target.value))}
          />
        </label>
      </div>
      <Problem error={error} />
      {plan ? (
        <>
          <p role="status" data-testid="plan-headline">
            {plan.totalMachines} machines
            {plan.bottleneck
              ? `; first bottleneck ${plan.bottleneck.service} (headroom ${(plan.bottleneck.headroom * 100).toFixed(1)}%)`
              : ''}
            {plan.whatIf.zoneDown
              ? plan.whatIf.zoneDown.survives
                ? `; survives one of ${plan.whatIf.zoneDown.zones} zones down`
                : `; does NOT survive one of ${plan.whatIf.zoneDown.zones} zones down`
              : ''}
            {`; peak × ${plan.whatIf.growth.factor} needs ${plan.whatIf.growth.totalMachines}`}.
          </p>
          <table data-testid="plan-table">
            <thead>
              <tr>
                <th>Service</th>
                <th className="num">Required QPS</th>
                <th className="num">Per machine</th>
                <th className="num">Machines</th>
                <th className="num">Headroom</th>
                <th>Not satisfied</th>
              </tr>
            </thead>
            <tbody>
              {plan.services.map((s) => (
                <tr key={s.service} className={s.unmet.length > 0 ? 'regression' : undefined}>
                  <td>{s.service}</td>
                  <td className="num">{qps(s.requiredQps)}</td>
                  <td className="num">{s.capacityQps === null ? '–' : qps(s.capacityQps)}</td>
                  <td className="num">{s.machines ?? '–'}</td>
                  <td className="num">
                    {s.headroom === null ? '–' : `${(s.headroom * 100).toFixed(1)}%`}
                  </td>
                  <td>{s.unmet.join('; ') || '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {plan.unmet.length > 0 ? (
            <div role="alert" className="problem" data-testid="plan-unmet">
              <p>The plan cannot be met as it stands:</p>
              <ul>
                {plan.unmet.map((u) => (
                  <li key={`${u.service}:${u.reason}`}>
                    {u.service ? `${u.service}: ` : ''}
                    {u.reason}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          <fieldset className="toolbar">
            <legend className="skip">Export the plan</legend>
            {['md', 'csv', 'xlsx', 'pdf'].map((format) => (
              <button
                key={format}
                type="button"
                onClick={() =>
                  download(model, forecast, format).catch((e: unknown) =>
                    setError(new ApiError(0, String((e as Error).message), undefined)),
                  )
                }
              >
                Export {format.toUpperCase()}
              </button>
            ))}
          </fieldset>
        </>
      ) : null}
    </section>
  );
}

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
        </>
      ) : null}
    </>
  );
}
