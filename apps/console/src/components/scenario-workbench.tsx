'use client';
import { controlApi } from '@loadline/api/http';
import { parseScenario } from '@loadline/scenario';
// Edit a scenario (new, or the latest version of ?name=), see every problem as you type,
// save it as a new version, launch it.
import dynamic from 'next/dynamic';
import { useRouter, useSearchParams } from 'next/navigation';
import { useMemo, useState } from 'react';
import { type ApiError, apiError, call, type FieldProblem, useApi } from '@/lib/api';
import { type FeederRows, feedersOf } from '@/lib/feeder-csv';
import { useSession } from '@/lib/session';
import { Loading, Problem } from './bits';
import { FeederFiles } from './feeder-files';
import { GuardedButton } from './guarded-button';
import { Tabs } from './tabs';

const ScenarioEditor = dynamic(() => import('./scenario-editor').then((m) => m.ScenarioEditor), {
  ssr: false,
  loading: () => <Loading what="the editor" />,
});

const ScenarioPreview = dynamic(() => import('./scenario-preview').then((m) => m.ScenarioPreview), {
  ssr: false,
  loading: () => <Loading what="the preview" />,
});

const ScenarioForm = dynamic(() => import('./scenario-form').then((m) => m.ScenarioForm), {
  ssr: false,
  loading: () => <Loading what="the form" />,
});

export const TEMPLATE = `name: new-scenario
target: http://127.0.0.1:8080
agents: 1
load: { rate: 10, duration: 30s }
flows:
  - name: browse
    steps:
      - name: list
        request: { path: /api/products }
        check: { status: 200 }
thresholds:
  errors: ["rate<0.01"]
`;

function ProblemList({ problems }: { problems: FieldProblem[] }) {
  if (problems.length === 0) {
    return (
      <p className="ok-note" role="status" data-testid="scenario-valid">
        Valid scenario.
      </p>
    );
  }
  return (
    <div role="status">
      <p className="problem">
        {problems.length} problem{problems.length === 1 ? '' : 's'}:
      </p>
      <ul className="problems" data-testid="scenario-problems">
        {problems.map((p) => (
          <li key={`${p.line}:${p.column}:${p.path}:${p.message}`}>
            {p.line === undefined ? '' : `line ${p.line}:${p.column} `}
            {p.path ? `${p.path}: ` : ''}
            {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ScenarioWorkbench() {
  const name = useSearchParams().get('name');
  const router = useRouter();
  const stored = useApi(controlApi.getScenario, name ? { params: { name } } : null);
  const [source, setSource] = useState<string>();
  // What the editor finds as you type (blocks saving), and what control answered to the
  // last save (shown until the next edit or feeder file: it may be fixed by either).
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [apiProblems, setApiProblems] = useState<FieldProblem[]>([]);
  const [saved, setSaved] = useState<{ name: string; version: number }>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [agents, setAgents] = useState('');
  const [duration, setDuration] = useState('');
  const [view, setView] = useState('yaml');
  const [feederRows, setFeederRows] = useState<Record<string, FeederRows>>({});
  const { needs } = useSession();
  const saveNeeds = needs('scenario.write');
  // The scenario names its environment; control says when this user may not launch there.
  const launchNeeds = (saved ? undefined : saveNeeds) ?? needs('run.launch');
  const text = source ?? stored.data?.source ?? TEMPLATE;
  const feeders = useMemo(() => {
    const parsed = parseScenario(text);
    return parsed.ok ? feedersOf(parsed.scenario) : [];
  }, [text]);

  if (name && !stored.data) {
    return stored.error ? <Problem error={stored.error} /> : <Loading what={`scenario ${name}`} />;
  }
  const initial = stored.data?.source ?? TEMPLATE;
  const current = source ?? initial;
  const edited = (text: string) => {
    setSource(text);
    setSaved(undefined);
    setApiProblems([]);
  };

  const save = async (): Promise<{ name: string; version: number } | undefined> => {
    setError(undefined);
    try {
      // Rows of the feeders the scenario still defines; control keeps the previous
      // version's rows for a feeder whose file did not change and that has none here.
      const rows = Object.fromEntries(
        feeders.flatMap((f) => {
          const read = feederRows[f.name];
          return read ? [[f.name, read] as const] : [];
        }),
      );
      const result = await call(controlApi.saveScenario, {
        body: { source: current, feederRows: rows },
      });
      setSaved(result);
      return result;
    } catch (e) {
      const failure = apiError(e);
      setError(failure);
      if (failure.errors.length > 0) setApiProblems(failure.errors);
      return undefined;
    }
  };

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    try {
      await action();
    } finally {
      setBusy(false);
    }
  };

  const launch = async () => {
    const version = saved ?? (await save());
    if (!version) return;
    try {
      const overrides = duration ? { duration } : {};
      const created = await call(controlApi.launchRun, {
        body: {
          scenario: version.name,
          version: version.version,
          ...(agents ? { agents: Number(agents) } : {}),
          overrides,
        },
      });
      router.push(`/runs/${created.id}`);
    } catch (e) {
      setError(apiError(e));
    }
  };

  return (
    <>
      <h1>{name ? `Scenario ${name}` : 'New scenario'}</h1>
      {stored.data ? (
        <p className="muted">Editing the latest version, v{stored.data.version}.</p>
      ) : null}
      <div className="editor-layout">
        <div>
          <Tabs
            label="Scenario views"
            selected={view}
            onSelect={setView}
            tabs={[
              {
                id: 'yaml',
                label: 'YAML',
                panel: (
                  <>
                    <p id="editor-label" className="muted">
                      Scenario YAML (problems are underlined as you type; Ctrl+Space suggests keys)
                    </p>
                    <ScenarioEditor
                      initial={initial}
                      value={current}
                      labelledBy="editor-label"
                      onChange={edited}
                      onProblems={setProblems}
                    />
                  </>
                ),
              },
              {
                id: 'form',
                label: 'Form',
                panel: <ScenarioForm source={current} onChange={edited} />,
              },
            ]}
          />
          <ProblemList problems={[...problems, ...apiProblems]} />
          <FeederFiles
            feeders={feeders}
            rows={feederRows}
            onRows={(feeder, rows) => {
              setFeederRows((all) => {
                const next = { ...all };
                if (rows) next[feeder] = rows;
                else delete next[feeder];
                return next;
              });
              setSaved(undefined);
              setApiProblems([]);
            }}
          />
        </div>
        <ScenarioPreview source={current} />
      </div>
      <div className="toolbar">
        <GuardedButton
          className="primary"
          needs={saveNeeds}
          disabled={busy || problems.length > 0}
          onClick={() => run(async () => void (await save()))}
        >
          Save version
        </GuardedButton>
        <label>
          Agents
          <input
            type="number"
            min={1}
            inputMode="numeric"
            placeholder="as in scenario"
            value={agents}
            onChange={(e) => setAgents(e.target.value)}
          />
        </label>
        <label>
          Duration override
          <input
            type="text"
            placeholder="e.g. 30s"
            value={duration}
            onChange={(e) => setDuration(e.target.value)}
          />
        </label>
        <GuardedButton
          needs={launchNeeds}
          disabled={busy || problems.length > 0}
          onClick={() => run(launch)}
        >
          {saved ? `Launch v${saved.version}` : 'Save and launch'}
        </GuardedButton>
      </div>
      {saved ? (
        <p role="status" className="ok-note" data-testid="saved-note">
          Saved {saved.name} v{saved.version}.
        </p>
      ) : null}
      <Problem error={error} />
    </>
  );
}
