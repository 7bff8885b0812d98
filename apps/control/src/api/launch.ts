import { seal } from '@loadline/access';
import { hostMatcher } from '@loadline/api';
import type { CreateRunBody } from '@loadline/api/http';
import type { Run } from '@loadline/metadata';
import { listAgents } from '@loadline/queue';
import { type K6Script, parseDuration, secretsOf } from '@loadline/scenario';
import { type Actor, actorOf, type Principal, requirePermission } from '../access/principal.js';
import { openSecrets } from '../access/secrets.js';
import { loadReplayCorpus } from '../corpora.js';
import { K6OptionsProblem, k6JudgeOf } from '../k6-run.js';
import { HttpProblem } from '../problem.js';
import { fleetCapacityProblem, launchTarget, rateCapProblem } from '../shard-plan.js';
import type { RouteDeps } from './deps.js';
import { fieldProblem } from './errors.js';
import { infrastructureProblem } from './infrastructure.js';
import { storedScenarioOf } from './views.js';

/**
 * Everything a launch checks, creating nothing: the scenario version, the environment's
 * allowlist and shadow rule, the overrides, a capacity probe's metrics, a replay's corpus,
 * and (for a caller) the right to launch in that environment.
 */
export async function checkLaunch(
  deps: Pick<RouteDeps, 'metadata' | 'infrastructure' | 'keys' | 'redis' | 'names' | 'agents'>,
  input: CreateRunBody,
  principal?: Principal,
) {
  const { metadata } = deps;
  const stored = await metadata.getScenario(input.scenario, input.version);
  const parsedForm = storedScenarioOf(stored.parsed);
  const { scenario } = parsedForm;
  const environmentName = input.environment ?? scenario.environment;
  const environment = await metadata.getEnvironment(environmentName);
  if (principal) requirePermission(principal, 'run.launch', environmentName);
  if (!hostMatcher(environment.allowedHosts)(scenario.target)) {
    throw fieldProblem(
      'target not allowed',
      'environment',
      `target ${new URL(scenario.target).host} is not on environment "${environmentName}"'s allowlist (${environment.allowedHosts.join(', ')})`,
      'target host not allowed',
    );
  }
  const own = infrastructureProblem(scenario.target, deps.infrastructure);
  if (own) throw fieldProblem('target not allowed', 'target', own, 'is Loadline itself');
  if (environment.requiresShadow && !scenario.shadow) {
    throw fieldProblem(
      'shadow required',
      'environment',
      `environment "${environmentName}" requires shadow: true`,
      'requires shadow: true',
    );
  }
  const agents = input.agents ?? scenario.agents;
  if (
    input.overrides.duration !== undefined &&
    parseDuration(input.overrides.duration) === undefined
  ) {
    throw fieldProblem(
      'invalid override',
      'overrides.duration',
      `duration "${input.overrides.duration}" is not a duration (e.g. 30s, 5m)`,
      'not a duration',
    );
  }
  if (scenario.k6) checkK6Launch(scenario.k6, input);
  const probe = scenario.capacityProbe;
  if (probe && !environment.metricsTargets.some((t) => t.service === probe.service)) {
    // Without the service's /metrics nothing could end the ramp: refuse rather than overload.
    throw fieldProblem(
      'capacity probe without metrics',
      'capacityProbe.service',
      `environment "${environmentName}" lists no metricsTargets for service "${probe.service}": the probe could not see its SLO break`,
      "not among the environment's metricsTargets",
    );
  }
  // The environment's secrets the scenario uses: every one must be set there.
  const available = await openSecrets(deps, environmentName);
  const wanted = secretsOf(scenario);
  const missing = wanted.filter((name) => available[name] === undefined);
  if (missing.length > 0) {
    throw new HttpProblem(
      422,
      'secret not set',
      `environment "${environmentName}" has no secret ${missing.join(', ')}; set it with \`loadline secret set ${environmentName} ${missing[0]}\``,
      {
        errors: missing.map((name) => ({
          field: `secrets.${name}`,
          message: 'not set in the environment',
        })),
      },
    );
  }
  const secrets = Object.fromEntries(wanted.map((name) => [name, available[name] as string]));
  // A replay's corpus is loaded (and sized against the agents) here, so a check says what
  // the launch would say.
  const corpus = await loadReplayCorpus(metadata, scenario, agents, input.overrides.rateMultiplier);
  const target = launchTarget(scenario, input.overrides);
  const capped = rateCapProblem(environment, target);
  if (capped) throw fieldProblem('rate over the cap', 'environment', capped, 'over maxRate');
  const heartbeats = await listAgents(deps.redis, deps.names, deps.agents);
  const capacities = heartbeats.flatMap((h) =>
    h.capacityRps === undefined ? [] : [h.capacityRps],
  );
  const tooFew = fleetCapacityProblem(target, agents, capacities);
  if (tooFew) throw fieldProblem('too few agents', 'agents', tooFew, 'cannot carry the rate');
  return { stored, scenario, parsedForm, environment, environmentName, agents, corpus, secrets };
}

/** A k6 script's options as k6 would take them; run overrides belong to the script's own flags. */
function checkK6Launch(script: K6Script, input: CreateRunBody): void {
  try {
    k6JudgeOf(script);
  } catch (error) {
    if (!(error instanceof K6OptionsProblem)) throw error;
    throw fieldProblem('invalid k6 options', 'k6.options', error.message, 'k6 refuses them');
  }
  const override = Object.keys(input.overrides)[0];
  if (override !== undefined) {
    throw fieldProblem(
      'invalid override',
      `overrides.${override}`,
      "a k6 script's load is its options: give --vus, --iterations or --duration with the script",
      'not for a k6 script',
    );
  }
}

export type CheckedLaunch = Awaited<ReturnType<typeof checkLaunch>>;

/** Who is launching: a signed-in caller, or a schedule that fires. */
export type Launcher =
  | { principal: Principal }
  | { schedule: { id: string; name: string }; actor: Actor };

/**
 * Creates a run once every check of `checkLaunch` passed. In a protected environment a
 * caller's launch waits for a second operator's approval; otherwise it starts at once.
 */
export async function launchRun(deps: RouteDeps, input: CreateRunBody, launcher: Launcher) {
  const principal = 'principal' in launcher ? launcher.principal : undefined;
  const checked = await checkLaunch(deps, input, principal);
  const { metadata } = deps;
  const actor = principal ? actorOf(principal) : (launcher as { actor: Actor }).actor;
  // A schedule in a protected environment was approved before it could fire.
  const awaitingApproval = checked.environment.protected && principal !== undefined;
  const run = await metadata.createRun({
    scenario: input.scenario,
    version: checked.stored.version,
    environment: checked.environmentName,
    agents: checked.agents,
    options: { overrides: input.overrides },
    launchedBy: actor.actor,
    awaitingApproval,
    ...('schedule' in launcher ? { scheduleId: launcher.schedule.id } : {}),
  });
  if (awaitingApproval) {
    await metadata.access.requestApproval({
      subjectKind: 'run',
      subjectId: run.id,
      requestedBy: actor.actor,
      requesterUserId: principal?.userId ?? null,
      expiresAt: new Date(Date.now() + deps.approvalTtlMs),
    });
    deps.log?.(
      `run ${run.id}: environment "${checked.environmentName}" is protected; waiting for a second operator's approval`,
    );
    return metadata.getRun(run.id);
  }
  await startRun(deps, run, input, checked);
  return metadata.getRun(run.id);
}

/** Hands a created run to the coordinator: shards go out, agents claim them. */
export async function startRun(
  deps: RouteDeps,
  run: Run,
  input: CreateRunBody,
  checked: CheckedLaunch,
): Promise<void> {
  const { scenario, parsedForm, environment, environmentName, corpus, secrets } = checked;
  await deps.coordinator.launch({
    ...(Object.keys(secrets).length > 0
      ? { sealedSecrets: seal(deps.keys.jobs, JSON.stringify(secrets), run.id) }
      : {}),
    run,
    scenario,
    feederRows: parsedForm.feederRows,
    allowedHosts: environment.allowedHosts,
    overrides: input.overrides,
    shadowSecret: deps.shadowSecretFor(environmentName),
    metricsTargets: environment.metricsTargets,
    controlGraceMs: Math.min(
      deps.controlGraceMs,
      environment.controlGraceS === null
        ? Number.POSITIVE_INFINITY
        : environment.controlGraceS * 1000,
    ),
    ...(corpus ? { corpus } : {}),
  });
}

/**
 * Starts a stored queued run from the launch it was made from, the environment checked
 * again (it may have changed meanwhile). When it can no longer start, the run ends `error`
 * saying so (`because` says why it was starting now) and the error is thrown.
 */
export async function startStored(deps: RouteDeps, run: Run, because: string): Promise<void> {
  const input = launchInputOf(run);
  try {
    await startRun(deps, run, input, await checkLaunch(deps, input));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    await deps.metadata.transitionRun(run.id, ['queued'], 'error', {
      abortReason: `${because}, but it can no longer start: ${why}`,
    });
    throw error;
  }
}

/**
 * A queued run whose control went away before its shards went out is launched again (the
 * sweep's way of going on with it). True once it is handled: started, or ended `error`.
 */
export async function relaunch(deps: RouteDeps, run: Run): Promise<boolean> {
  try {
    await startStored(deps, run, 'its control went away while launching it');
    deps.log?.(`run ${run.id}: its control went away while launching it; launched again`);
  } catch (error) {
    deps.log?.(`run ${run.id}: could not launch it again: ${(error as Error).message}`);
  }
  return true;
}

/** The launch a stored run was made from (an approved run starts from it). */
export function launchInputOf(run: Run): CreateRunBody {
  const overrides = (run.options as { overrides?: CreateRunBody['overrides'] }).overrides ?? {};
  return {
    scenario: run.scenario,
    version: run.scenarioVersion,
    environment: run.environment,
    agents: run.agentsRequested,
    overrides,
  };
}

export { HttpProblem };
