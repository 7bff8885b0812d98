import { followJsonPath } from '@loadline/scenario';
import type { CapturedResponse } from '../response-parser.js';
import type { CompiledStep } from './compile.js';

export interface StepOutcome {
  checks: number;
  checksFailed: number;
  /** a variable a later step needs could not be extracted: the iteration stops */
  extractionFailed: string | undefined;
}

function headerValue(head: string, name: string): string | undefined {
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) {
      return line.slice(colon + 1).trim();
    }
  }
  return undefined;
}

/** Runs a step's checks and extractions on its response; writes variables into `vars`. */
export function evaluateResponse(
  step: CompiledStep,
  statusCode: number,
  latencyUs: number,
  captured: CapturedResponse | undefined,
  vars: Map<string, string>,
): StepOutcome {
  let checks = 0;
  let checksFailed = 0;
  const check = step.check;
  if (check) {
    if (check.status) {
      checks++;
      if (!check.status.includes(statusCode)) checksFailed++;
    }
    if (check.maxLatencyUs !== undefined) {
      checks++;
      if (latencyUs > check.maxLatencyUs) checksFailed++;
    }
    if (check.bodyContains !== undefined) {
      checks++;
      if (!captured?.body.includes(check.bodyContains)) checksFailed++;
    }
  }
  let extractionFailed: string | undefined;
  if (step.extract.length > 0) {
    let json: unknown;
    let jsonParsed = false;
    for (const [variable, spec] of step.extract) {
      let value: unknown;
      if (captured) {
        if (spec.from === 'json') {
          if (!jsonParsed) {
            jsonParsed = true;
            try {
              json = JSON.parse(captured.body.toString('utf8'));
            } catch {
              json = undefined;
            }
          }
          value = followJsonPath(json, spec.path);
        } else if (spec.from === 'header') {
          value = headerValue(captured.head, spec.name);
        } else {
          value = new RegExp(spec.pattern).exec(captured.body.toString('utf8'))?.[1];
        }
      }
      if (value === undefined || value === null || typeof value === 'object') {
        extractionFailed ??= `${variable} (${spec.source})`;
        vars.delete(variable);
      } else {
        vars.set(variable, String(value));
      }
    }
  }
  return { checks, checksFailed, extractionFailed };
}
