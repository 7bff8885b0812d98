// What a scenario's `load` asks for over time: the intended arrival rate (open model) or
// the number of virtual users (closed model), as points joined by straight lines.
import { planLoad, type Scenario } from '@loadline/scenario';

export interface LoadProfile {
  unit: 'req/s' | 'VUs';
  /** seconds since the start */
  times: number[];
  values: number[];
}

export function loadProfile(load: NonNullable<Scenario['load']>): LoadProfile {
  const plan = planLoad(load);
  if (plan.kind === 'closed') {
    const end = plan.durationMs / 1000;
    return { unit: 'VUs', times: [0, end], values: [plan.vus, plan.vus] };
  }
  const times = [0];
  const values = [plan.startRate];
  let t = 0;
  for (const stage of plan.stages) {
    t += stage.durationMs / 1000;
    times.push(t);
    values.push(stage.target);
  }
  return { unit: 'req/s', times, values };
}

export interface FlowShare {
  name: string;
  weight: number;
  /** 0..100 */
  percent: number;
}

export function flowMix(flows: Scenario['flows']): FlowShare[] {
  const total = flows.reduce((sum, f) => sum + (f.weight ?? 1), 0);
  return flows.map((f) => ({
    name: f.name,
    weight: f.weight ?? 1,
    percent: total > 0 ? ((f.weight ?? 1) / total) * 100 : 0,
  }));
}

/** "100%", "33.3%", "0.5%": whole numbers when exact, else one decimal. */
export function formatPercent(percent: number): string {
  const rounded = Math.round(percent * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)}%`;
}
