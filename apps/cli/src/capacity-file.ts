import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/**
 * What one agent on this machine carries, as `loadline bench --save-capacity` measured it:
 * `loadline agent` reports it in its heartbeats, and control refuses a run its agents could
 * not carry, naming how many it needs.
 */
export const AgentCapacity = z.object({
  /** requests per second one agent process sent while keeping up */
  requestsPerSecond: z.number().positive(),
  measuredAt: z.string(),
  /** what was measured: the bench's target and load */
  measuredWith: z.string(),
  /** share of sends that left late (open model): what "keeping up" was judged on */
  lateShare: z.number().min(0).max(1),
});
export type AgentCapacity = z.infer<typeof AgentCapacity>;

/** Sends late past this share: the machine did not carry the rate (control's saturation rule). */
export const MAX_LATE_SHARE = 0.01;

/** `$XDG_CONFIG_HOME/loadline/agent-capacity.json`, else under `~/.config`. */
export function capacityPath(xdgConfigHome: string | undefined): string {
  return join(xdgConfigHome || join(homedir(), '.config'), 'loadline', 'agent-capacity.json');
}

export function saveCapacity(path: string, capacity: AgentCapacity): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(AgentCapacity.parse(capacity), null, 2)}\n`);
}

/** The saved capacity, undefined when none was saved; a file that does not parse is an error. */
export function readCapacity(path: string): AgentCapacity | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = AgentCapacity.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`${path} is not a capacity saved by \`loadline bench --save-capacity\``);
  }
  return parsed.data;
}
