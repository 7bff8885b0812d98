import { hostMatcher, hostPatternProblem } from '@loadline/api';
import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './db.js';
import {
  ConflictError,
  FOREIGN_KEY_VIOLATION,
  sqlState,
  UnknownEnvironmentError,
  validate,
} from './errors.js';
import { Name } from './inputs.js';
import { environments, type MetricsTarget } from './schema.js';

export type Environment = typeof environments.$inferSelect;

/**
 * A target an environment lists (a subset of what the scraper takes: service, URL and the
 * CPU counter's name), checked against @loadline/metrics' MetricsTarget at compile time.
 */
const MetricsTargetInput = z.strictObject({
  service: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "-" and "."'),
  url: z.url({ protocol: /^https?$/, error: 'expected an absolute http(s):// URL' }),
  /** counter of the instance's CPU seconds; default process_cpu_seconds_total */
  cpuMetric: z
    .string()
    .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'not a Prometheus metric name')
    .optional(),
}) satisfies z.ZodType<MetricsTarget>;

const HostPattern = z
  .string()
  .trim()
  .superRefine((entry, ctx) => {
    const problem = hostPatternProblem(entry);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const EnvironmentInput = z
  .strictObject({
    name: Name,
    /** Named base URLs, e.g. `{ gateway: "https://gw.shop.internal" }`. */
    baseUrls: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "-" and "."'),
        z.url({ protocol: /^(https?|wss?)$/, error: 'expected an absolute http(s):// URL' }),
      )
      .default({}),
    /** Hosts runs may target: names, `*.suffix`, IP addresses and CIDR blocks. */
    allowedHosts: z.array(HostPattern).default([]),
    /** Whether every run against this environment must carry the shadow tag. */
    requiresShadow: z.boolean().default(true),
    /** Prometheus endpoints of the target's instances, scraped every second during runs. */
    metricsTargets: z.array(MetricsTargetInput).max(1000).default([]),
  })
  .superRefine((env, ctx) => {
    const allowed = hostMatcher(env.allowedHosts);
    for (const [key, url] of Object.entries(env.baseUrls)) {
      if (!allowed(url)) {
        ctx.addIssue({
          code: 'custom',
          path: ['baseUrls', key],
          message: `${url} is not covered by allowedHosts`,
        });
      }
    }
    // Scraping is traffic too: only hosts the environment allows.
    env.metricsTargets.forEach((target, i) => {
      if (!allowed(target.url)) {
        ctx.addIssue({
          code: 'custom',
          path: ['metricsTargets', i, 'url'],
          message: `${target.url} is not covered by allowedHosts`,
        });
      }
    });
  });
export type EnvironmentInput = z.input<typeof EnvironmentInput>;

/** Creates or replaces an environment; `createdAt` survives a replace. */
export async function upsertEnvironment(db: Db, input: EnvironmentInput): Promise<Environment> {
  const env = validate('environment', EnvironmentInput, input);
  const allowedHosts = [...new Set(env.allowedHosts)];
  const [row] = await db
    .insert(environments)
    .values({ ...env, allowedHosts })
    .onConflictDoUpdate({
      target: environments.name,
      set: {
        baseUrls: env.baseUrls,
        allowedHosts,
        requiresShadow: env.requiresShadow,
        metricsTargets: env.metricsTargets,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  return row!;
}

/** The environment called `name`, or UnknownEnvironmentError. */
export async function getEnvironment(db: Db, name: string): Promise<Environment> {
  const [row] = await db.select().from(environments).where(eq(environments.name, name));
  if (!row) throw new UnknownEnvironmentError(name);
  return row;
}

/** Throws UnknownEnvironmentError unless an environment called `name` exists. */
export async function requireEnvironment(db: Db, name: string): Promise<void> {
  const [row] = await db
    .select({ name: environments.name })
    .from(environments)
    .where(eq(environments.name, name));
  if (!row) throw new UnknownEnvironmentError(name);
}

export async function listEnvironments(db: Db): Promise<Environment[]> {
  return db.select().from(environments).orderBy(asc(environments.name));
}

/** Deletes an environment; false when there was none. Refused while runs or schedules use it. */
export async function deleteEnvironment(db: Db, name: string): Promise<boolean> {
  try {
    const deleted = await db
      .delete(environments)
      .where(eq(environments.name, name))
      .returning({ name: environments.name });
    return deleted.length > 0;
  } catch (error) {
    if (sqlState(error) === FOREIGN_KEY_VIOLATION) {
      throw new ConflictError(
        `environment "${name}" is used by runs or schedules; it cannot be deleted`,
        { cause: error },
      );
    }
    throw error;
  }
}
