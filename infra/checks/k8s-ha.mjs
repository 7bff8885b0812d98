// Checks of infra/k8s's availability and scaling: two controls that can reach each other,
// agents scaled on the shard queue or run as an Indexed Job per run, ClickHouse as the
// cluster schema expects it. `objects` are { file, doc }, as in k8s.mjs.
import { byKind, containersOf, matches, nameOf, sources } from './k8s.mjs';

const find = (objects, kind, name) => byKind(objects, kind).find((o) => o.metadata.name === name);
const podLabels = (w) => w.spec?.template?.metadata?.labels ?? {};
const selects = (selector, w) => matches(selector?.matchLabels, podLabels(w));

/** A required pod anti-affinity that keeps the workload's own pods off one node. */
function apartOnNodes(w) {
  const terms =
    w.spec?.template?.spec?.affinity?.podAntiAffinity
      ?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  return terms.some(
    (t) => t.topologyKey === 'kubernetes.io/hostname' && selects(t.labelSelector, w),
  );
}

/** Where a PDB lets voluntary disruptions take pods one at a time but never all. */
function pdbProblems(objects, w, where) {
  const pdbs = byKind(objects, 'PodDisruptionBudget').filter((p) => selects(p.spec?.selector, w));
  if (pdbs.length === 0) return [`${where}: no PodDisruptionBudget selects its pods`];
  const replicas = w.spec?.replicas ?? 1;
  return pdbs.flatMap((p) => {
    const min = p.spec?.minAvailable;
    if (typeof min !== 'number' || min < 1 || min >= replicas)
      return [
        `PodDisruptionBudget/${p.metadata.name}: minAvailable must be 1..${replicas - 1} (some pod always up, drains still possible)`,
      ];
    return [];
  });
}

/**
 * Control runs as active + standby: two or more replicas, a rolling update that never
 * needs a third node, the replicas on different nodes, a PDB, and each pod advertising
 * its own address (LOADLINE_ADVERTISE_URL from the pod's IP) over HTTPS with the
 * authority of its certificate trusted (NODE_EXTRA_CA_CERTS), so a standby can forward.
 */
export function k8sControlHaProblems(objects) {
  const control = find(objects, 'Deployment', 'loadline-control');
  if (!control) return ['k8s: no Deployment loadline-control'];
  const where = 'Deployment/loadline-control';
  const problems = [];
  if ((control.spec?.replicas ?? 1) < 2)
    problems.push(`${where}: needs replicas >= 2 (active + standby)`);
  const strategy = control.spec?.strategy ?? {};
  if (strategy.type === 'Recreate')
    problems.push(`${where}: strategy Recreate stops both controls at once`);
  else if (String(strategy.rollingUpdate?.maxUnavailable ?? '25%') === '0')
    problems.push(
      `${where}: maxUnavailable 0 with nodes kept apart needs a spare node to roll; use maxUnavailable 1, maxSurge 0`,
    );
  if (!apartOnNodes(control))
    problems.push(`${where}: needs a required pod anti-affinity on kubernetes.io/hostname`);
  problems.push(...pdbProblems(objects, control, where));
  const container = containersOf(control).find((c) => c.name === 'control');
  const env = new Map((container?.env ?? []).map((e) => [e.name, e]));
  const advertised = String(env.get('LOADLINE_ADVERTISE_URL')?.value ?? '');
  const own = [...env.values()].filter((e) =>
    ['status.podIP', 'metadata.name'].includes(e.valueFrom?.fieldRef?.fieldPath),
  );
  if (!own.some((e) => advertised.includes(`$(${e.name})`)))
    problems.push(
      `${where}: LOADLINE_ADVERTISE_URL must name the pod itself ($(POD_IP) from status.podIP), or a standby forwards to nobody`,
    );
  else if (!advertised.startsWith('https://'))
    problems.push(`${where}: LOADLINE_ADVERTISE_URL must be https:// (control serves TLS)`);
  const ca = env.get('NODE_EXTRA_CA_CERTS')?.value;
  const mounted = (container?.volumeMounts ?? []).some(
    (m) => typeof ca === 'string' && ca.startsWith(`${m.mountPath}/`),
  );
  if (!mounted)
    problems.push(
      `${where}: NODE_EXTRA_CA_CERTS must point into a mounted volume (the authority a standby checks the active control's certificate with)`,
    );
  return problems;
}

/** BullMQ's list keys of the shard queue: `keys(queueName)` gives { wait, active }. */
export function k8sAgentScalingProblems(objects, shardQueueKeys) {
  const problems = [];
  const agent = find(objects, 'Deployment', 'loadline-agent');
  const scalers = byKind(objects, 'ScaledObject').filter(
    (s) => s.spec?.scaleTargetRef?.kind === 'Deployment',
  );
  const scaler = scalers.find((s) => s.spec.scaleTargetRef.name === 'loadline-agent');
  if (!scaler) return ['k8s: no ScaledObject targets Deployment loadline-agent'];
  const where = `ScaledObject/${scaler.metadata.name}`;
  if (!agent) problems.push(`${where}: Deployment loadline-agent does not exist`);
  if (agent?.spec?.replicas !== undefined)
    problems.push(
      'Deployment/loadline-agent: sets replicas, which every apply would reset under the autoscaler',
    );
  const namespace = sources(objects).configMaps.get('loadline-config')?.LOADLINE_NAMESPACE;
  const keys = shardQueueKeys(namespace);
  const triggers = scaler.spec?.triggers ?? [];
  const named = {};
  for (const [role, key] of Object.entries({ waiting: keys.wait, running: keys.active })) {
    const trigger = triggers.find((t) => t.type === 'redis' && t.metadata?.listName === key);
    if (!trigger) problems.push(`${where}: no redis trigger on ${key} (shards ${role})`);
    else named[role] = trigger.name;
  }
  for (const t of triggers) {
    if (t.type === 'redis' && !Object.values(keys).includes(t.metadata?.listName))
      problems.push(`${where}: trigger on ${t.metadata?.listName}, not a list of the shard queue`);
  }
  // One agent per shard waiting or running: the HPA must follow their sum. With separate
  // metrics it follows the larger, and stops short as claimed shards leave the wait list.
  const modifiers = scaler.spec?.advanced?.scalingModifiers;
  const terms = String(modifiers?.formula ?? '')
    .split('+')
    .map((t) => t.trim());
  if (
    !named.waiting ||
    !named.running ||
    terms.length !== 2 ||
    !terms.includes(named.waiting) ||
    !terms.includes(named.running) ||
    String(modifiers?.target) !== '1'
  )
    problems.push(
      `${where}: scalingModifiers must be formula "${named.waiting ?? 'waiting'} + ${named.running ?? 'running'}" with target 1 (one agent per shard waiting or running)`,
    );
  const down = scaler.spec?.advanced?.horizontalPodAutoscalerConfig?.behavior?.scaleDown;
  if ((down?.stabilizationWindowSeconds ?? 300) < 900)
    problems.push(
      `${where}: scaleDown.stabilizationWindowSeconds under 900 s would remove agents soon after a run's queue empties; make it longer than a rehearsal`,
    );
  return problems;
}

/**
 * The per-run Job: Indexed, as many pods at once as completions, each `loadline agent`;
 * and a deadline, because an agent does not exit after its shard (the Job would run for
 * ever otherwise).
 */
export function k8sAgentJobProblems(objects) {
  const jobs = byKind(objects, 'Job');
  if (jobs.length === 0) return ['k8s: no agent Job template'];
  return jobs.flatMap((job) => {
    const where = `Job/${nameOf(job)}`;
    const spec = job.spec ?? {};
    const problems = [];
    if (spec.completionMode !== 'Indexed')
      problems.push(`${where}: completionMode must be Indexed`);
    if (!(spec.completions >= 1) || spec.parallelism !== spec.completions)
      problems.push(`${where}: parallelism must equal completions (all of a run's agents at once)`);
    if (!(spec.activeDeadlineSeconds > 0))
      problems.push(
        `${where}: needs activeDeadlineSeconds: \`loadline agent\` does not exit after its shard`,
      );
    const agent = containersOf(job).find((c) => c.name === 'agent');
    if (agent?.args?.[0] !== 'agent')
      problems.push(`${where}: its pods must run \`loadline agent\``);
    return problems;
  });
}

/** Macros the Altinity operator defines on every host of a ClickHouseInstallation. */
const OPERATOR_MACROS = new Set([
  'installation',
  'cluster',
  'shard',
  'replica',
  'all-sharded-shard',
]);

/**
 * ClickHouse as cluster-schema.sql expects it: one cluster of >= 2 shards x >= 2 replicas,
 * a Keeper of an odd number >= 3 of nodes that the installation points at, the macros the
 * schema uses defined by the operator and not overridden, and CLICKHOUSE_URL (Secret
 * loadline-control) naming one host's Service on the HTTPS port.
 */
/** Replicated* path placeholders ClickHouse fills in itself (not macros). */
const CLICKHOUSE_SUBSTITUTIONS = new Set(['database', 'table', 'uuid']);

export function k8sClickHouseProblems(objects, schemaSql) {
  const [chi] = byKind(objects, 'ClickHouseInstallation');
  if (!chi) return ['k8s: no ClickHouseInstallation'];
  const where = `ClickHouseInstallation/${chi.metadata.name}`;
  const problems = [];
  const clusters = chi.spec?.configuration?.clusters ?? [];
  if (clusters.length !== 1) problems.push(`${where}: needs exactly one cluster ({cluster})`);
  const [cluster] = clusters;
  const { shardsCount = 1, replicasCount = 1 } = cluster?.layout ?? {};
  if (shardsCount < 2 || replicasCount < 2)
    problems.push(
      `${where}: needs >= 2 shards x >= 2 replicas, has ${shardsCount} x ${replicasCount}`,
    );
  const used = new Set([...schemaSql.matchAll(/\{([a-z-]+)\}/g)].map((m) => m[1]));
  for (const macro of used) {
    // {database}, {table} and {uuid} are ClickHouse's own, filled in from the table itself.
    if (!OPERATOR_MACROS.has(macro) && !CLICKHOUSE_SUBSTITUTIONS.has(macro))
      problems.push(
        `${where}: cluster-schema.sql uses {${macro}}, which the operator does not define`,
      );
  }
  const settings = chi.spec?.configuration?.settings ?? {};
  const files = chi.spec?.configuration?.files ?? {};
  if (
    Object.keys(settings).some((k) => k.startsWith('macros')) ||
    JSON.stringify(files).includes('<macros>')
  )
    problems.push(`${where}: overrides the operator's macros, which cluster-schema.sql relies on`);
  const keeper = byKind(objects, 'ClickHouseKeeperInstallation')[0];
  const replicas = keeper?.spec?.configuration?.clusters?.[0]?.layout?.replicasCount ?? 0;
  if (!keeper || replicas < 3 || replicas % 2 === 0)
    problems.push('ClickHouseKeeperInstallation: needs an odd number >= 3 of Keeper nodes');
  const nodes = chi.spec?.configuration?.zookeeper?.nodes ?? [];
  if (!keeper || !nodes.some((n) => n.host === `keeper-${keeper.metadata.name}`))
    problems.push(`${where}: zookeeper.nodes must name the Keeper's Service keeper-<name>`);
  const url = sources(objects).secrets.get('loadline-control')?.CLICKHOUSE_URL ?? '';
  const hostPort = /https:\/\/[^@]*@([^/:]+):(\d+)/.exec(url);
  const hosts = [];
  for (let s = 0; s < shardsCount; s++) {
    for (let r = 0; r < replicasCount; r++)
      hosts.push(`chi-${chi.metadata.name}-${cluster?.name}-${s}-${r}`);
  }
  if (!hostPort || !hosts.includes(hostPort[1]) || hostPort[2] !== String(settings.https_port))
    problems.push(
      `Secret/loadline-control CLICKHOUSE_URL: must be https:// to ONE host's Service (${hosts[0]}) on https_port ${settings.https_port}`,
    );
  return problems;
}
