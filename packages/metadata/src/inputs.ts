import { z } from 'zod';
import type { JsonObject as JsonObjectType } from './schema.js';

export { Name } from '@loadline/api/http';

/** Ids of agents and coordinators: whatever the process calls itself, printable, no spaces. */
export const ProcessId = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'at most 200 characters')
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const JsonObject: z.ZodType<JsonObjectType> = z.record(z.string(), z.json()) as z.ZodType<
  JsonObjectType,
  unknown
>;
export type JsonObject = JsonObjectType;

export const RunId = z
  .string()
  .regex(/^run_[A-Za-z0-9]{1,64}$/, 'a run id is "run_" followed by letters and digits');
