import { hostMatcher } from '@loadline/api';
import type { CreateRunBody } from '@loadline/api/http';
import { parseDuration } from '@loadline/scenario';
import { loadReplayCorpus } from '../corpora.js';
import type { RouteDeps } from './deps.js';
import { fieldProblem } from './errors.js';
import { storedScenarioOf } from './views.js';

/**
 * Everything a launch checks, creating nothing: the scenario version, the environment's
 * allowlist and shadow rule, the overrides, a capacity probe's metrics, a replay's corpus.
 */
export async function checkLaunch(deps: Pick<RouteDeps, 'metadata'>, input: CreateRunBody) {
  const { metadata } = deps;
  const stored = await metadata.getScenario(input.scenario, input.version);
  const parsedForm = storedScenarioOf(stored.parsed);
  const { scenario } = parsedForm;
  const environmentName = input.environment ?? scenario.environment;
  const environment = await metadata.getEnvironment(environmentName);
  if (!hostMatcher(environment.allowedHosts)(scenario.target)) {
    throw fieldProblem(
      'target not allowed',
      'environment',
      `target ${new URL(scenario.target).host} is not on environment "${environmentName}"'s allowlist (${environment.allowedHosts.join(', ')})`,
      'target host not allowed',
    );
  }
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
  // A replay's corpus is loaded (and sized against the agents) here, so a check says what
  // the launch would say.
  const corpus = await loadReplayCorpus(metadata, scenario, agents, input.overrides.rateMultiplier);
  return { stored, scenario, parsedForm, environment, environmentName, agents, corpus };
}

/** Creates and launches a run once every check of `checkLaunch` passed. */
export async function launchRun(deps: RouteDeps, input: CreateRunBody, scheduleId?: string) {
  const { metadata, coordinator } = deps;
  const { stored, scenario, parsedForm, environment, environmentName, agents, corpus } =
    await checkLaunch(deps, input);
  const run = await metadata.createRun({
    scenario: input.scenario,
    version: stored.version,
    environment: environmentName,
    agents,
    options: { overrides: input.overrides },
    ...(scheduleId === undefined ? {} : { scheduleId }),
  });
  await coordinator.launch({
    run,
    scenario,
    feederRows: parsedForm.feederRows,
    allowedHosts: environment.allowedHosts,
    overrides: input.overrides,
    shadowSecret: deps.shadowSecretFor(environmentName),
    metricsTargets: environment.metricsTargets,
    ...(corpus ? { corpus } : {}),
  });
  return metadata.getRun(run.id);
}
