'use client';
// Beside the editor: what the scenario asks for, redrawn as you type whenever the YAML is
// valid (the last valid version stays on screen, marked, while it is not).
import { parseScenario, type Scenario } from '@loadline/scenario';
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { flowMix, formatPercent, type LoadProfile, loadProfile } from '@/lib/load-profile';

function ProfileChart({ profile }: { profile: LoadProfile }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useMemo(
    () => [profile.times, profile.values] as uPlot.AlignedData,
    [profile.times, profile.values],
  );
  const label = profile.unit === 'VUs' ? 'virtual users' : 'arrival rate';

  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt when the unit changes; data flows in below
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    plot.current = new uPlot(
      {
        width: el.clientWidth || 400,
        height: 180,
        legend: { show: false },
        cursor: { show: false },
        series: [
          {},
          {
            label,
            stroke: '#2f6fdf',
            fill: 'rgba(47,111,223,0.15)',
            width: 2,
            points: { show: true },
          },
        ],
        axes: [
          {
            stroke: 'currentColor',
            grid: { stroke: 'rgba(128,128,128,0.2)' },
            values: (_u, ticks) => ticks.map((t) => `${t}s`),
          },
          {
            stroke: 'currentColor',
            grid: { stroke: 'rgba(128,128,128,0.2)' },
            label: profile.unit,
            size: 50,
          },
        ],
        scales: {
          x: { time: false },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => {
      plot.current?.setSize({ width: el.clientWidth, height: 180 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [profile.unit]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  const peak = Math.max(...profile.values);
  const length = profile.times.at(-1) ?? 0;
  return (
    <figure className="chart" data-testid="load-profile" data-unit={profile.unit}>
      <figcaption>
        Load profile: {label} over {length}s (peak {peak} {profile.unit})
      </figcaption>
      <div
        ref={host}
        role="img"
        aria-label={`Load profile chart: ${profile.values.map((v, i) => `${v} ${profile.unit} at ${profile.times[i]}s`).join(', ')}`}
      />
    </figure>
  );
}

function FlowMix({ flows }: { flows: Scenario['flows'] }) {
  const mix = flowMix(flows);
  return (
    <figure className="flow-mix" data-testid="flow-mix">
      <figcaption>Flow mix (share of weight)</figcaption>
      <ul>
        {mix.map((f) => (
          <li key={f.name}>
            <span className="flow-mix-label">{`${f.name} ${formatPercent(f.percent)}`}</span>
            <span className="flow-mix-track" aria-hidden="true">
              <span className="flow-mix-bar" style={{ width: `${f.percent}%` }} />
            </span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

export function ScenarioPreview({ source }: { source: string }) {
  const last = useRef<Scenario | undefined>(undefined);
  const parsed = useMemo(() => parseScenario(source), [source]);
  if (parsed.ok) last.current = parsed.scenario;
  const scenario = last.current;
  const profile = useMemo(
    () => (scenario?.load ? loadProfile(scenario.load) : undefined),
    [scenario],
  );

  return (
    <section className="scenario-preview" aria-label="Preview" data-testid="scenario-preview">
      <h2>Preview</h2>
      {scenario?.k6 ? (
        <p className="muted" data-testid="preview-k6">
          Runs the k6 script {scenario.k6.entry} ({Math.round(scenario.k6.code.length / 1024)} kB
          bundled
          {Object.keys(scenario.k6.files).length > 0
            ? `, with ${Object.keys(scenario.k6.files).length} file(s) it opens`
            : ''}
          ): its load and thresholds are its own options. Launch it again with{' '}
          <code>loadline run {scenario.k6.entry}</code>.
        </p>
      ) : scenario?.replay ? (
        <p className="muted" data-testid="preview-replay">
          Replays {scenario.replay.corpus ?? scenario.replay.file}
          {scenario.replay.speed ? ` at ${scenario.replay.speed}× its original timing` : ''}
          {scenario.replay.rate ? ` re-rated to ${scenario.replay.rate} req/s` : ''}: its request
          mix is on the corpus.
        </p>
      ) : !scenario || !profile ? (
        <p className="muted">The preview appears once the scenario is valid.</p>
      ) : (
        <>
          {parsed.ok ? null : (
            <p className="muted" data-testid="preview-stale">
              Showing the last valid version.
            </p>
          )}
          <ProfileChart profile={profile} />
          <FlowMix flows={scenario.flows} />
        </>
      )}
    </section>
  );
}
