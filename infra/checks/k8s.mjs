// Checks of infra/k8s: the objects fit together (kustomization, namespaces, selectors,
// references), and Loadline's containers are configured as the code reads them.
// `objects` are { file, doc } for every document of every k8s/*.yaml.
import { controlListenProblems, envNameProblems, redisClientProblems } from './common.mjs';

export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'Job']);

/** An object's name, or the prefix of the names it is created under (a per-run Job). */
export const nameOf = (doc) => doc.metadata?.name ?? doc.metadata?.generateName;

// An object without a name is reported once (k8sStructureProblems); other checks skip it.
const named = (o) => o.doc.kind === 'Kustomization' || typeof nameOf(o.doc) === 'string';

export const byKind = (objects, kind) =>
  objects.filter((o) => o.doc.kind === kind && named(o)).map((o) => o.doc);

export const workloadsOf = (objects) =>
  objects.filter((o) => WORKLOAD_KINDS.has(o.doc.kind) && named(o)).map((o) => o.doc);

export const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

export const componentOf = (workload) =>
  workload.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'];

/** Every container of a workload's pods, init containers included. */
export const containersOf = (workload) => [
  ...(workload.spec?.template?.spec?.initContainers ?? []),
  ...(workload.spec?.template?.spec?.containers ?? []),
];

/** ConfigMap and Secret contents by name (a Secret's data decoded from base64). */
export function sources(objects) {
  const configMaps = new Map(
    byKind(objects, 'ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]),
  );
  const secrets = new Map(
    byKind(objects, 'Secret').map((s) => [
      s.metadata.name,
      {
        ...Object.fromEntries(
          Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
        ),
        ...s.stringData,
      },
    ]),
  );
  return { configMaps, secrets };
}

/** kustomization.yaml lists every file and only files that exist; every object in namespace loadline. */
export function k8sStructureProblems(objects, files) {
  const problems = [];
  const [kustomization] = byKind(objects, 'Kustomization');
  const listed = new Set(kustomization?.resources ?? []);
  for (const file of files) {
    if (file !== 'kustomization.yaml' && !listed.has(file))
      problems.push(`k8s: ${file} is not in kustomization.yaml`);
  }
  for (const resource of listed) {
    if (!files.includes(resource)) problems.push(`k8s: kustomization lists missing ${resource}`);
  }
  for (const { file, doc } of objects) {
    if (doc.kind === 'Kustomization') continue;
    if (!doc.apiVersion || !doc.kind || !nameOf(doc))
      problems.push(`${file}: apiVersion, kind, metadata.name required`);
    if (doc.kind !== 'Namespace' && doc.metadata?.namespace !== 'loadline')
      problems.push(`${file}: ${doc.kind}/${nameOf(doc)} is not in namespace loadline`);
  }
  const workloads = workloadsOf(objects);
  for (const w of workloads) {
    if (!matches(w.spec?.selector?.matchLabels, w.spec?.template?.metadata?.labels))
      problems.push(`${w.kind}/${nameOf(w)}: selector does not match template labels`);
  }
  for (const s of [...byKind(objects, 'Service'), ...byKind(objects, 'PodDisruptionBudget')]) {
    const selector = s.spec?.selector?.matchLabels ?? s.spec?.selector;
    if (!workloads.some((w) => matches(selector, w.spec.template.metadata.labels)))
      problems.push(`${s.kind}/${s.metadata.name}: selects no Deployment or StatefulSet`);
  }
  const control = byKind(objects, 'Service').find((s) => s.metadata.name === 'loadline-control');
  if (control?.spec?.ports?.[0]?.port !== 7700)
    problems.push('Service/loadline-control: control must serve 7700');
  return problems;
}

const REFERENCE = /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g;

/**
 * A container's environment as the kubelet makes it: name → value (undefined when its
 * source is missing), with $(VAR) in values expanded from earlier entries; and the
 * problems of references to what does not exist or is not yet defined.
 */
export function containerEnv(where, container, { configMaps, secrets }) {
  const env = new Map();
  const problems = [];
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const data = (from.configMapRef ? configMaps : secrets).get(ref?.name);
    if (!data) problems.push(`${where}: envFrom refers to missing ${ref?.name}`);
    for (const [name, value] of Object.entries(data ?? {})) env.set(name, value);
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
    if (ref) {
      const data = (e.valueFrom.configMapKeyRef ? configMaps : secrets).get(ref.name);
      if (!data || !(ref.key in data))
        problems.push(`${where}: ${e.name} refers to missing ${ref.name}/${ref.key}`);
      env.set(e.name, data?.[ref.key]);
      continue;
    }
    const value = String(e.value ?? '').replace(REFERENCE, (text, name) => {
      if (!env.has(name)) {
        problems.push(`${where}: ${e.name} uses $(${name}), which is not defined before it`);
        return text;
      }
      return env.get(name) ?? text;
    });
    env.set(e.name, value);
  }
  return { env, problems };
}

/** Variables that only build others' values: referenced as $(NAME) in another env value. */
export function composingNames(container) {
  const names = new Set();
  for (const e of container.env ?? []) {
    for (const m of String(e.value ?? '').matchAll(REFERENCE)) names.add(m[1]);
  }
  return names;
}

/** Probe problems of control: GET /health, by HTTPS when it serves TLS, with a Host it answers. */
function controlProbeProblems(where, container, env, tls) {
  const problems = [];
  const publicHosts = (env.get('LOADLINE_PUBLIC_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const probe = container[kind]?.httpGet;
    if (!probe) {
      if (kind === 'readinessProbe') problems.push(`${where}: readiness must be GET /health`);
      continue;
    }
    if (probe.path !== '/health' || !probe.port)
      problems.push(`${where}: ${kind} must be GET /health`);
    if (tls && probe.scheme !== 'HTTPS')
      problems.push(`${where}: ${kind} must use scheme HTTPS (control serves TLS)`);
    const host = (probe.httpHeaders ?? []).find((h) => h.name.toLowerCase() === 'host')?.value;
    if (
      publicHosts.length > 0 &&
      !['localhost', '127.0.0.1', '::1', ...publicHosts].includes(host ?? '')
    )
      problems.push(
        `${where}: ${kind} sends the pod's IP as Host, which control refuses (421): add an httpHeaders Host of localhost`,
      );
  }
  return problems;
}

/**
 * Every container: references resolve, $(VAR) in args is defined. Control and agent
 * containers: the variables the code reads (plus those composing another's value), the
 * right command, Redis as their own ACL user over TLS, control's listener and probes.
 */
export function k8sContainerProblems(objects, reads) {
  const problems = [];
  const found = sources(objects);
  for (const w of workloadsOf(objects)) {
    const component = componentOf(w);
    for (const c of containersOf(w)) {
      const where = `${w.kind}/${nameOf(w)} ${c.name}`;
      const { env, problems: envProblems } = containerEnv(where, c, found);
      problems.push(...envProblems);
      const args = [...(c.command ?? []), ...(c.args ?? [])].map(String);
      for (const arg of args) {
        for (const m of arg.matchAll(REFERENCE)) {
          if (!env.has(m[1]))
            problems.push(`${where}: args use $(${m[1]}), which is not in the environment`);
        }
      }
      if (component !== 'control' && component !== 'agent') continue;
      if (c.name !== component) continue;
      problems.push(...envNameProblems(where, env.keys(), reads[component], composingNames(c)));
      if (c.args?.[0] !== component)
        problems.push(`${where}: should run \`loadline ${component}\``);
      problems.push(...redisClientProblems(where, component, env.get('REDIS_URL'), env));
      if (component === 'control') {
        problems.push(...controlListenProblems(where, args, env));
        const tls = args.includes('--tls-cert') && args.includes('--tls-key');
        problems.push(...controlProbeProblems(where, c, env, tls));
      }
    }
  }
  return problems;
}
