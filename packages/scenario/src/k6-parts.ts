/**
 * A k6 scenario's script (its bundle, source map and opened files: the bulk) travels
 * apart from the rest: stored once per run, not in every shard job. One split, one join.
 */
import type { Scenario } from './schema.js';

const SCRIPT_PARTS = ['code', 'map', 'files'] as const;

/** The scenario without its script's bulk, and that bulk as JSON text. */
export function splitK6Script(scenario: Scenario): {
  scenario: Record<string, unknown>;
  script: string;
} {
  if (!scenario.k6) throw new TypeError(`scenario ${scenario.name} has no k6 script`);
  const { code, map, files, ...rest } = scenario.k6;
  return {
    scenario: { ...scenario, k6: rest },
    script: JSON.stringify({ code, map, files }),
  };
}

/** Puts a script's bulk (as splitK6Script made it) back into a scenario's `k6`. */
export function joinK6Script(
  scenario: Record<string, unknown>,
  script: string,
): Record<string, unknown> {
  const parts = JSON.parse(script) as Record<string, unknown>;
  const k6 = { ...(scenario.k6 as Record<string, unknown> | undefined) };
  for (const part of SCRIPT_PARTS) k6[part] = parts[part];
  return { ...scenario, k6 };
}
