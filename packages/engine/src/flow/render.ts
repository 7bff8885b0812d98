import { randomUUID } from 'node:crypto';
import type { TemplatePart } from '@loadline/scenario';
import type { FeederRow } from './feeders.js';

/** What one flow iteration knows: extracted variables, its feeder rows, the run's secrets. */
export interface IterationContext {
  vars: Map<string, string>;
  rows: Record<string, FeederRow>;
  /** the environment's secrets the scenario uses (`${secrets.NAME}`) */
  secrets: Readonly<Record<string, string>>;
  iteration: number;
  runId: string;
}

export class RenderError extends Error {}

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/** Renders a parsed template for one iteration. */
export function renderTemplate(parts: readonly TemplatePart[], context: IterationContext): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    switch (part.kind) {
      case 'variable': {
        const value = context.vars.get(part.name);
        if (value === undefined) throw new RenderError(`variable "${part.name}" has no value`);
        out += value;
        break;
      }
      case 'feeder': {
        const value = context.rows[part.feeder]?.[part.column];
        if (value === undefined) {
          throw new RenderError(`feeder "${part.feeder}" has no column "${part.column}"`);
        }
        out += value;
        break;
      }
      case 'secret': {
        const value = context.secrets[part.name];
        if (value === undefined)
          throw new RenderError(`secret "${part.name}" was not given to this run`);
        out += value;
        break;
      }
      case 'random':
        out += String(randomInt(part.min, part.max));
        break;
      case 'uuid':
        out += randomUUID();
        break;
      case 'iteration':
        out += String(context.iteration);
        break;
      case 'runId':
        out += context.runId;
        break;
    }
  }
  return out;
}
