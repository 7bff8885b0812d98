import type { CompiledFlow, CompiledPlan } from './compile.js';

/** Picks a plan's flows at random in proportion to their weights. */
export class FlowPicker {
  readonly #flows: ReadonlyArray<CompiledFlow>;
  readonly #cumulativeWeights: number[];
  readonly #totalWeight: number;

  constructor(flows: ReadonlyArray<CompiledFlow>) {
    this.#flows = flows;
    let sum = 0;
    this.#cumulativeWeights = flows.map((flow) => {
      sum += flow.weight;
      return sum;
    });
    this.#totalWeight = sum;
  }

  pick(): CompiledFlow {
    const point = Math.random() * this.#totalWeight;
    for (let i = 0; i < this.#cumulativeWeights.length; i++) {
      if (point < (this.#cumulativeWeights[i] as number)) return this.#flows[i] as CompiledFlow;
    }
    return this.#flows[this.#flows.length - 1] as CompiledFlow;
  }
}

/** Each flow's share of the iterations started (0 for all when none started). */
export function achievedMix(
  plan: CompiledPlan,
  started: ReadonlyMap<string, number>,
): Record<string, number> {
  const startedTotal = [...started.values()].reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    plan.flows.map((flow) => [
      flow.name,
      startedTotal === 0 ? 0 : (started.get(flow.name) ?? 0) / startedTotal,
    ]),
  );
}
