'use client';
// The form view of the scenario YAML: the common fields, each edit applied to the YAML
// document (comments and untouched text survive) and read back from it. The text stays the
// one source of truth; when it does not parse, the form says where to fix it.
import type { ScenarioError } from '@loadline/scenario';
import { useEffect, useMemo, useState } from 'react';
import {
  applyEdit,
  type FormEdit,
  type FormModel,
  fieldPath,
  LOAD_MODELS,
  type LoadModel,
  type PlacedProblems,
  placeProblems,
  readForm,
} from '@/lib/scenario-form';
import { asNumber, Field, ProblemNotes, RemoveButton } from './form-field';
import { FlowList, GuardrailList, ThresholdList } from './form-lists';

/** Applies one edit; returns why it could not be made, if it could not. */
export type Edit = (edit: FormEdit) => string | undefined;

/** Asks for focus to move to an element (by id) once the next render is on screen. */
export type FocusNext = (id: string) => void;

export interface SectionProps {
  model: FormModel;
  placed: PlacedProblems;
  edit: Edit;
  focusNext: FocusNext;
}

const MODEL_LABELS: Record<LoadModel, string> = {
  rate: 'Constant rate (open)',
  stages: 'Stages (open, ramping)',
  vus: 'Virtual users (closed)',
};

const at = (placed: PlacedProblems, ...path: Array<string | number>): ScenarioError[] =>
  placed.at.get(fieldPath(...path)) ?? [];

function General({ model, placed, edit }: SectionProps) {
  return (
    <fieldset className="form-section">
      <legend>Scenario</legend>
      <div className="form-row">
        <Field
          label="Name"
          value={model.name}
          problems={at(placed, 'name')}
          hint="Rename in YAML"
        />
        <Field
          label="Target URL"
          value={model.target}
          testId="form-target"
          inputMode="url"
          problems={at(placed, 'target')}
          onEdit={(value) => edit({ kind: 'top', field: 'target', value })}
        />
      </div>
      <div className="form-row">
        <Field
          label="Agents"
          value={model.agents}
          normalize={asNumber}
          inputMode="numeric"
          hint="Empty: 1"
          problems={at(placed, 'agents')}
          onEdit={(value) => edit({ kind: 'top', field: 'agents', value })}
        />
        <Field
          label="Environment"
          value={model.environment}
          hint="Empty: local"
          problems={at(placed, 'environment')}
          onEdit={(value) => edit({ kind: 'top', field: 'environment', value })}
        />
        <div className="field inline">
          <input
            id="form-shadow"
            type="checkbox"
            checked={model.shadow}
            onChange={(e) => edit({ kind: 'shadow', value: e.target.checked })}
          />
          <label htmlFor="form-shadow">Shadow traffic</label>
        </div>
      </div>
    </fieldset>
  );
}

function Stages({ model, placed, edit, focusNext }: SectionProps) {
  const stages = model.load.stages;
  const move = (index: number, by: -1 | 1) => {
    edit({ kind: 'stage-move', index, by });
    focusNext(`stage-${by < 0 ? 'up' : 'down'}-${index + by}`);
  };
  return (
    <>
      <Field
        label="Start rate (req/s)"
        value={model.load.startRate}
        normalize={asNumber}
        inputMode="decimal"
        hint="Empty: 0"
        problems={at(placed, 'load', 'startRate')}
        onEdit={(value) => edit({ kind: 'load', field: 'startRate', value })}
      />
      <ol className="form-rows" aria-label="Stages">
        {stages.map((stage, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions in the YAML list
          <li key={i} className="form-row" data-testid="form-stage-row">
            <Field
              label={`Stage ${i + 1} duration`}
              value={stage.duration}
              problems={at(placed, 'load', 'stages', i, 'duration')}
              onEdit={(value) => edit({ kind: 'stage', index: i, field: 'duration', value })}
              id={`stage-duration-${i}`}
            />
            <Field
              label={`Stage ${i + 1} target (req/s)`}
              value={stage.target}
              normalize={asNumber}
              inputMode="decimal"
              problems={[
                ...at(placed, 'load', 'stages', i),
                ...at(placed, 'load', 'stages', i, 'target'),
              ]}
              onEdit={(value) => edit({ kind: 'stage', index: i, field: 'target', value })}
            />
            <div className="row-actions">
              <button
                type="button"
                id={`stage-up-${i}`}
                aria-label={`Move stage ${i + 1} up`}
                disabled={i === 0}
                onClick={() => move(i, -1)}
              >
                ↑
              </button>
              <button
                type="button"
                id={`stage-down-${i}`}
                aria-label={`Move stage ${i + 1} down`}
                disabled={i === stages.length - 1}
                onClick={() => move(i, 1)}
              >
                ↓
              </button>
              <RemoveButton
                label={`Remove stage ${i + 1}`}
                disabled={stages.length === 1}
                onRemove={() => {
                  edit({ kind: 'stage-remove', index: i });
                  focusNext('stage-add');
                }}
              />
            </div>
          </li>
        ))}
      </ol>
      <ProblemNotes
        id="stages-errors"
        messages={at(placed, 'load', 'stages').map((p) => p.message)}
      />
      <button
        type="button"
        id="stage-add"
        onClick={() => {
          edit({ kind: 'stage-add' });
          focusNext(`stage-duration-${stages.length}`);
        }}
      >
        Add stage
      </button>
    </>
  );
}

function Load(props: SectionProps) {
  const { model, placed, edit } = props;
  const load = model.load;
  const [refused, setRefused] = useState<string>();
  const loadProblems = at(placed, 'load').map((p) => p.message);
  return (
    <fieldset className="form-section">
      <legend>Load</legend>
      <fieldset className="model-choice" aria-describedby="model-hint">
        <legend>Load model</legend>
        {LOAD_MODELS.map((m) => (
          <label key={m}>
            <input
              type="radio"
              name="load-model"
              value={m}
              checked={load.model === m}
              onChange={() => setRefused(edit({ kind: 'model', model: m }))}
            />
            {MODEL_LABELS[m]}
          </label>
        ))}
        <p className="hint" id="model-hint">
          Switching converts: stages become their peak over their total time; rate and VUs keep the
          number.
        </p>
      </fieldset>
      <ProblemNotes id="load-errors" messages={[...(refused ? [refused] : []), ...loadProblems]} />
      {load.model === 'stages' ? <Stages {...props} /> : null}
      {load.model === 'rate' || load.model === 'vus' ? (
        <div className="form-row">
          <Field
            label={load.model === 'rate' ? 'Rate (req/s)' : 'Virtual users'}
            value={load.model === 'rate' ? load.rate : load.vus}
            normalize={asNumber}
            inputMode={load.model === 'rate' ? 'decimal' : 'numeric'}
            problems={at(placed, 'load', load.model)}
            onEdit={(value) =>
              edit({ kind: 'load', field: load.model === 'vus' ? 'vus' : 'rate', value })
            }
          />
          <Field
            label="Duration"
            value={load.duration}
            hint="e.g. 30s, 1m30s"
            problems={at(placed, 'load', 'duration')}
            onEdit={(value) => edit({ kind: 'load', field: 'duration', value })}
          />
        </div>
      ) : null}
    </fieldset>
  );
}

function Elsewhere({ problems }: { problems: ScenarioError[] }) {
  if (problems.length === 0) return null;
  return (
    <div className="form-section" data-testid="form-elsewhere">
      <p className="problem">
        {problems.length} problem{problems.length === 1 ? '' : 's'} in parts the form does not show;
        fix {problems.length === 1 ? 'it' : 'them'} in the YAML view:
      </p>
      <ul className="problems">
        {problems.map((p) => (
          <li key={`${p.line}:${p.column}:${p.path}:${p.message}`}>
            line {p.line}:{p.column} {p.path ? `${p.path}: ` : ''}
            {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ScenarioForm({
  source,
  onChange,
}: {
  source: string;
  onChange: (source: string) => void;
}) {
  const read = useMemo(() => readForm(source), [source]);
  const [focusId, setFocusId] = useState<string>();

  useEffect(() => {
    if (!focusId) return;
    document.getElementById(focusId)?.focus();
    setFocusId(undefined);
  }, [focusId]);

  if (!read.ok) {
    const { line, column, message } = read.error;
    return (
      <div className="scenario-form" data-testid="scenario-form" data-state="unparseable">
        <p className="problem" role="alert" data-testid="form-unparseable">
          Fix the YAML first (line {line}:{column}): {message}
        </p>
        <p className="muted">The form shows the scenario again once the YAML parses.</p>
      </div>
    );
  }

  const placed = placeProblems(read.model, read.problems);
  const edit: Edit = (e) => {
    const result = applyEdit(source, e);
    if (!result.ok) return result.message;
    if (result.text !== source) onChange(result.text);
    return undefined;
  };
  const props: SectionProps = { model: read.model, placed, edit, focusNext: setFocusId };
  return (
    <div className="scenario-form" data-testid="scenario-form" data-state="ok">
      <General {...props} />
      {read.model.replay ? (
        <p className="hint" data-testid="form-replay">
          This scenario replays captured traffic: edit its replay settings in the YAML view.
        </p>
      ) : (
        <>
          <Load {...props} />
          <FlowList {...props} />
        </>
      )}
      <ThresholdList {...props} />
      <GuardrailList {...props} />
      <Elsewhere problems={placed.elsewhere} />
    </div>
  );
}
