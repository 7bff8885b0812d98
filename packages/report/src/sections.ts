import { type CapacityModel, type Plan, rampConcurrency, uslThroughput } from '@loadline/capacity';

export type Cell = string | number | boolean | null;

/** How a column's numbers read: each renderer maps a kind to its own formatting. */
export type ColumnKind = 'text' | 'int' | 'qps' | 'ratio' | 'percent' | 'ms' | 'bool';

export interface Column {
  header: string;
  kind: ColumnKind;
}

export const SECTION_NAMES = [
  'Summary',
  'Services',
  'Ratios',
  'What-ifs',
  'Unmet',
  'Measurements',
] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export interface Section {
  name: SectionName;
  columns: Column[];
  /** Raw values: numbers stay numbers, null is "unknown", never 0. */
  rows: Cell[][];
}

const col = (header: string, kind: ColumnKind): Column => ({ header, kind });

/**
 * The plan as the tables every format shows, in one place so Markdown, CSV and XLSX cannot
 * disagree about what a column means. Sections that need the model (ratios, measurements) are
 * empty without it.
 */
export function planSections(plan: Plan, model?: CapacityModel): Section[] {
  return [
    summary(plan, model),
    services(plan, model),
    ratios(model),
    whatIfs(plan),
    {
      name: 'Unmet',
      columns: [col('Service', 'text'), col('Reason', 'text')],
      rows: plan.unmet.map((u) => [u.service, u.reason]),
    },
    measurements(model),
  ];
}

function summary(plan: Plan, model: CapacityModel | undefined): Section {
  const { growth, zoneDown } = plan.whatIf;
  return {
    name: 'Summary',
    columns: [
      col('Total machines', 'int'),
      col('Services', 'int'),
      col('Bottleneck', 'text'),
      col('Bottleneck headroom', 'percent'),
      col('Unmet', 'int'),
      col('Growth factor', 'ratio'),
      col('Machines at growth', 'int'),
      col('Zones', 'int'),
      col('Survives one zone down', 'bool'),
      col('Model created', 'text'),
      col('Runs', 'text'),
    ],
    rows: [
      [
        plan.totalMachines,
        plan.services.length,
        plan.bottleneck?.service ?? null,
        plan.bottleneck?.headroom ?? null,
        plan.unmet.length,
        growth.factor,
        growth.totalMachines,
        zoneDown?.zones ?? null,
        zoneDown?.survives ?? null,
        model?.provenance.createdAt ?? null,
        model?.provenance.runs.join(', ') ?? null,
      ],
    ],
  };
}

function services(plan: Plan, model: CapacityModel | undefined): Section {
  const byName = new Map(model?.services.map((s) => [s.service, s.capacity]));
  return {
    name: 'Services',
    columns: [
      col('Service', 'text'),
      col('Required QPS', 'qps'),
      col('Capacity QPS per machine', 'qps'),
      col('Lower bound', 'bool'),
      col('Binding limit', 'text'),
      col('Spares', 'int'),
      col('Machines', 'int'),
      col('Headroom', 'percent'),
      col('Capacity range', 'text'),
      col('Quantile planned at', 'ratio'),
      col('Machines at the median', 'int'),
      col('Unmet', 'text'),
      col('Warnings', 'text'),
      // Last, so the columns before keep their places for readers of older reports.
      col('Runs out first', 'text'),
    ],
    rows: plan.services.map((s) => {
      const capacity = byName.get(s.service);
      return [
        s.service,
        s.requiredQps,
        s.capacityQps,
        capacity?.lowerBound ?? null,
        capacity?.binding ?? null,
        s.spares,
        s.machines,
        s.headroom,
        rangeText(s.capacityRange),
        s.quantile,
        s.medianMachines,
        s.unmet.join('; '),
        s.warnings.join('; '),
        s.bindingResource,
      ];
    }),
  };
}

/** "2,500–3,000 (bracket)": where a capacity lies, as a planner reads it. */
function rangeText(range: Plan['services'][number]['capacityRange']): string {
  if (!range) return '';
  const qps = (n: number) => Math.round(n).toLocaleString('en-US');
  const what =
    range.basis === 'bracket' ? 'between ramp levels' : `${(range.level ?? 0.95) * 100} % interval`;
  return `${qps(range.low)}–${qps(range.high)} (${what})`;
}

function ratios(model: CapacityModel | undefined): Section {
  const fits = Object.entries(model?.fanout.services ?? {});
  return {
    name: 'Ratios',
    columns: [
      col('Service', 'text'),
      col('Entry kind', 'text'),
      col('Calls per entry request', 'ratio'),
      col('R²', 'ratio'),
      col('Refused', 'bool'),
      col('Reason', 'text'),
    ],
    rows: fits.flatMap(([service, fit]) =>
      Object.entries(fit.ratios).map(([kind, ratio]) => [
        service,
        kind,
        ratio,
        fit.r2,
        fit.refused,
        fit.reason ?? null,
      ]),
    ),
  };
}

function whatIfs(plan: Plan): Section {
  const { growth, zoneDown } = plan.whatIf;
  const grown = new Map(growth.services.map((s) => [s.service, s.machines]));
  const zone = new Map(zoneDown?.services.map((s) => [s.service, s]));
  return {
    name: 'What-ifs',
    columns: [
      col('Service', 'text'),
      col('Machines planned', 'int'),
      col(`Machines at ×${growth.factor} forecast`, 'int'),
      col('Machines for one zone down', 'int'),
      col('Planned machines survive one zone down', 'bool'),
    ],
    rows: plan.services.map((s) => [
      s.service,
      s.machines,
      grown.get(s.service) ?? null,
      zone.get(s.service)?.machines ?? null,
      zone.get(s.service)?.survives ?? null,
    ]),
  };
}

function measurements(model: CapacityModel | undefined): Section {
  return {
    name: 'Measurements',
    columns: [
      col('Service', 'text'),
      col('QPS', 'qps'),
      col('p99 ms', 'ms'),
      col('CPU', 'percent'),
      col('Concurrency', 'ratio'),
      col('USL fitted QPS', 'qps'),
    ],
    rows: (model?.services ?? []).flatMap((s) =>
      s.ramp.map((p) => {
        const n = rampConcurrency(p);
        return [s.service, p.qps, p.p99Ms, p.cpu, n, s.usl ? uslThroughput(s.usl, n) : null];
      }),
    ),
  };
}
