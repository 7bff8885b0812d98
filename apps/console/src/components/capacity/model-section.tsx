'use client';
// Where a capacity model comes from: fitted by control from stored runs (what it scraped
// from the targets' /metrics, next to the agents' per-step seconds), or a model file.
import { TERMINAL_STATUSES } from '@loadline/api';
import { controlApi } from '@loadline/api/http';
import type { CapacityModel } from '@loadline/capacity';
import { type Dispatch, type SetStateAction, useState } from 'react';
import { ListState, Problem } from '@/components/bits';
import { LabelledInput, NumberInput } from '@/components/labelled-input';
import { ApiError, apiError, call, useApi } from '@/lib/api';
import { parseCores, parseModelFile } from '@/lib/capacity-form';
import { count, when } from '@/lib/format';

function RunPicker({
  picked,
  onPicked,
}: {
  picked: string[];
  onPicked: Dispatch<SetStateAction<string[]>>;
}) {
  const runs = useApi(controlApi.listRuns, { query: { limit: 50 } });
  const finished = (runs.data?.runs ?? []).filter((r) => TERMINAL_STATUSES.has(r.status));
  return (
    <ListState loaded={runs} what="runs" count={finished.length} empty="No finished run yet.">
      <fieldset className="run-picker">
        <legend>Runs to fit</legend>
        {finished.slice(0, 20).map((r) => (
          <label key={r.id} className="check">
            <input
              type="checkbox"
              checked={picked.includes(r.id)}
              onChange={(e) =>
                onPicked((p) => (e.target.checked ? [...p, r.id] : p.filter((x) => x !== r.id)))
              }
            />
            {r.id} — {r.scenario} v{r.scenarioVersion}, {r.status}, {when(r.createdAt)},{' '}
            {count(r.summary?.total.requests)} requests
          </label>
        ))}
      </fieldset>
    </ListState>
  );
}

export function ModelSection({ onModel }: { onModel: (model: CapacityModel) => void }) {
  const [picked, setPicked] = useState<string[]>([]);
  const [cores, setCores] = useState('');
  const [p99, setP99] = useState('500');
  const [ceiling, setCeiling] = useState('');
  const [levelSeconds, setLevelSeconds] = useState('5');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const coresParsed = parseCores(cores);
  const coresBad = typeof coresParsed === 'string';

  const fit = async () => {
    if (typeof coresParsed === 'string') return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await call(controlApi.fitCapacity, {
        body: {
          runs: picked,
          cores: coresParsed,
          slo: { p99Ms: Number(p99), ...(ceiling ? { cpuCeiling: Number(ceiling) } : {}) },
          levelSeconds: Number(levelSeconds),
        },
      });
      onModel(result.model);
    } catch (e) {
      setError(apiError(e));
    } finally {
      setBusy(false);
    }
  };

  const load = async (file: File | undefined) => {
    if (!file) return;
    setError(undefined);
    try {
      onModel(parseModelFile(await file.text()));
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
      <RunPicker picked={picked} onPicked={setPicked} />
      <div className="form-grid">
        <LabelledInput
          label="Cores per machine"
          name="cores"
          placeholder="cart=4, payment=2 (default 1)"
          value={cores}
          aria-invalid={coresBad ? true : undefined}
          aria-describedby="cores-hint"
          onChange={(e) => setCores(e.target.value)}
        >
          <span id="cores-hint" className={coresBad ? 'problem' : 'muted'}>
            {coresBad ? coresParsed : 'SERVICE=CORES, comma-separated'}
          </span>
        </LabelledInput>
        <NumberInput label="SLO p99 (ms)" name="p99" min={1} value={p99} onValue={setP99} />
        <NumberInput
          label="CPU ceiling (0–1)"
          name="cpuCeiling"
          min={0.05}
          max={1}
          step="any"
          placeholder="none"
          value={ceiling}
          onValue={setCeiling}
        />
        <NumberInput
          label="Seconds per load level"
          name="levelSeconds"
          min={1}
          value={levelSeconds}
          onValue={setLevelSeconds}
        />
        <div className="toolbar">
          <button
            type="button"
            className="primary"
            disabled={busy || picked.length === 0 || coresBad}
            onClick={fit}
          >
            {busy ? 'Fitting…' : `Fit model${picked.length ? ` (${picked.length} run(s))` : ''}`}
          </button>
          <LabelledInput
            label="Or load a model file"
            type="file"
            accept=".json,application/json"
            onChange={(e) => load(e.target.files?.[0])}
          />
        </div>
      </div>
      <Problem error={error} />
    </section>
  );
}
