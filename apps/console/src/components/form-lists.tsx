'use client';
// The list sections of the scenario form: flows (name and weight; steps stay in the YAML),
// thresholds (selector → conditions) and guardrails (metric, condition, for, step).
import { METRICS, type ScenarioError } from '@loadline/scenario';
import { useId, useState } from 'react';
import { fieldPath } from '@/lib/scenario-form';
import { asNumber, Field, ProblemNotes, RemoveButton } from './form-field';
import type { SectionProps } from './scenario-form';

const conditionList = (text: string): string =>
  text
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '')
    .join(', ');

function useRefusal() {
  const [refused, setRefused] = useState<string>();
  return { refused: refused ? [refused] : [], setRefused };
}

export function FlowList({ model, placed, edit }: SectionProps) {
  return (
    <fieldset className="form-section">
      <legend>Flows</legend>
      <p className="hint">Steps, and adding or removing flows, are edited in the YAML view.</p>
      <ol className="form-rows" aria-label="Flows">
        {model.flows.map((flow, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions in the YAML list
          <li key={i} className="form-row" data-testid="form-flow-row">
            <Field
              label={`Flow ${i + 1} name`}
              value={flow.name}
              problems={placed.at.get(fieldPath('flows', i, 'name'))}
              onEdit={(value) => edit({ kind: 'flow', index: i, field: 'name', value })}
            />
            <Field
              label={`Flow ${i + 1} weight`}
              value={flow.weight}
              normalize={asNumber}
              inputMode="decimal"
              hint={`Empty: 1 · ${flow.steps} step${flow.steps === 1 ? '' : 's'}`}
              problems={placed.at.get(fieldPath('flows', i, 'weight'))}
              onEdit={(value) => edit({ kind: 'flow', index: i, field: 'weight', value })}
            />
          </li>
        ))}
      </ol>
      <ProblemNotes
        id="flows-errors"
        messages={(placed.at.get('flows') ?? []).map((p) => p.message)}
      />
    </fieldset>
  );
}

export function ThresholdList({ model, placed, edit, focusNext }: SectionProps) {
  const { refused, setRefused } = useRefusal();
  const id = useId();
  return (
    <fieldset className="form-section">
      <legend>Thresholds</legend>
      <p className="hint">
        Metric selector, e.g. latency{'{step:detail}'}, and its conditions, comma-separated, e.g.
        p(95)&lt;300, p(99)&lt;500.
      </p>
      <ol className="form-rows" aria-label="Thresholds">
        {model.thresholds.map((t, i) => {
          const row = placed.at.get(fieldPath('thresholds', t.selector)) ?? [];
          const path = fieldPath('thresholds', t.selector);
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: a selector changes as it is typed
            <li key={i} className="form-row" data-testid="form-threshold-row">
              <Field
                id={`${id}-selector-${i}`}
                label={`Threshold ${i + 1} metric`}
                value={t.selector}
                problems={row.filter((p) => p.path === path)}
                onEdit={(value) =>
                  edit({ kind: 'threshold-selector', selector: t.selector, value })
                }
              />
              <Field
                label={`Threshold ${i + 1} conditions`}
                value={t.conditions.join(', ')}
                normalize={conditionList}
                problems={row.filter((p) => p.path !== path)}
                onEdit={(value) =>
                  edit({ kind: 'threshold-conditions', selector: t.selector, value })
                }
              />
              <div className="row-actions">
                <RemoveButton
                  label={`Remove threshold ${i + 1} (${t.selector})`}
                  onRemove={() => {
                    edit({ kind: 'threshold-remove', selector: t.selector });
                    focusNext(`${id}-add`);
                  }}
                />
              </div>
            </li>
          );
        })}
      </ol>
      <ProblemNotes
        id={`${id}-errors`}
        messages={[...refused, ...(placed.at.get('thresholds') ?? []).map((p) => p.message)]}
      />
      <button
        type="button"
        id={`${id}-add`}
        onClick={() => {
          const why = edit({ kind: 'threshold-add' });
          setRefused(why);
          if (!why) focusNext(`${id}-selector-${model.thresholds.length}`);
        }}
      >
        Add threshold
      </button>
    </fieldset>
  );
}

function GuardrailRow({
  index,
  rail,
  problems,
  edit,
  onRemove,
  metricId,
}: {
  index: number;
  rail: SectionProps['model']['guardrails'][number];
  problems: ScenarioError[];
  edit: SectionProps['edit'];
  onRemove: () => void;
  metricId: string;
}) {
  const base = fieldPath('guardrails', index);
  const of = (key: string) => problems.filter((p) => p.path === `${base}.${key}`);
  const condition = problems.filter(
    (p) => !['metric', 'for', 'step'].some((k) => p.path === `${base}.${k}`),
  );
  const n = index + 1;
  const metricErrors = of('metric').map((p) => p.message);
  return (
    <li className="form-row" data-testid="form-guardrail-row">
      <div className="field">
        <label htmlFor={metricId}>Guardrail {n} metric</label>
        <select
          id={metricId}
          value={rail.metric}
          aria-invalid={metricErrors.length > 0 || undefined}
          aria-describedby={metricErrors.length > 0 ? `${metricId}-errors` : undefined}
          onChange={(e) =>
            edit({ kind: 'guardrail', index, field: 'metric', value: e.target.value })
          }
        >
          {(METRICS as readonly string[]).includes(rail.metric) ? null : (
            <option value={rail.metric}>{rail.metric || '(none)'}</option>
          )}
          {METRICS.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <ProblemNotes id={`${metricId}-errors`} messages={metricErrors} />
      </div>
      <Field
        label={`Guardrail ${n} condition`}
        value={rail.condition}
        hint="e.g. rate>0.2, p(99)>2000"
        problems={condition}
        onEdit={(value) => edit({ kind: 'guardrail', index, field: 'condition', value })}
      />
      <Field
        label={`Guardrail ${n} for`}
        value={rail.for}
        hint="Empty: 1s"
        problems={of('for')}
        onEdit={(value) => edit({ kind: 'guardrail', index, field: 'for', value })}
      />
      <Field
        label={`Guardrail ${n} step`}
        value={rail.step}
        hint="Empty: any step"
        problems={of('step')}
        onEdit={(value) => edit({ kind: 'guardrail', index, field: 'step', value })}
      />
      <div className="row-actions">
        <RemoveButton label={`Remove guardrail ${n}`} onRemove={onRemove} />
      </div>
    </li>
  );
}

export function GuardrailList({ model, placed, edit, focusNext }: SectionProps) {
  const id = useId();
  return (
    <fieldset className="form-section">
      <legend>Guardrails</legend>
      <p className="hint">A breached guardrail aborts the run.</p>
      <ol className="form-rows" aria-label="Guardrails">
        {model.guardrails.map((rail, i) => (
          <GuardrailRow
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions in the YAML list
            key={i}
            index={i}
            rail={rail}
            metricId={`${id}-metric-${i}`}
            problems={placed.at.get(fieldPath('guardrails', i)) ?? []}
            edit={edit}
            onRemove={() => {
              edit({ kind: 'guardrail-remove', index: i });
              focusNext(`${id}-add`);
            }}
          />
        ))}
      </ol>
      <ProblemNotes
        id={`${id}-errors`}
        messages={(placed.at.get('guardrails') ?? []).map((p) => p.message)}
      />
      <button
        type="button"
        id={`${id}-add`}
        onClick={() => {
          edit({ kind: 'guardrail-add' });
          focusNext(`${id}-metric-${model.guardrails.length}`);
        }}
      >
        Add guardrail
      </button>
    </fieldset>
  );
}
