// Pure helpers of the capacity page: how its numbers read and how its inputs parse.
import { CapacityModel } from '@loadline/capacity';

export const qps = (value: number) => Math.round(value).toLocaleString('en-US');

export function capacityText(c: CapacityModel['services'][number]['capacity']): string {
  return c.lowerBound ? `> ${qps(c.qps)}` : qps(c.qps);
}

/** "cart=4, payment=2" → { cart: 4, payment: 2 }; a bad entry is an error naming it. */
export function parseCores(text: string): Record<string, number> | string {
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

/** A model file's text (`loadline capacity fit --out`) as a model, or why it is not one. */
export function parseModelFile(text: string): CapacityModel {
  const parsed = CapacityModel.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error('not a capacity model (version 1) from `loadline capacity fit`');
  }
  return parsed.data;
}
