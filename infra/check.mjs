#!/usr/bin/env node
// Static checks of infra/ that need neither Docker nor Kubernetes (none on the build
// machines): every YAML file parses; the environment variables the deployments set are
// the ones the code reads (found in the code, not listed here); selectors match labels;
// $(VAR) references in args are defined; the ClickHouse cluster schema keeps the store's
// columns. Run from the repo root after `npm install` and the build: node infra/check.mjs
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';

const infra = dirname(fileURLToPath(import.meta.url));
const root = join(infra, '..');
const problems = [];
const problem = (where, what) => problems.push(`${where}: ${what}`);

function parseYaml(file) {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true, uniqueKeys: true });
  const out = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const e of [...doc.errors, ...doc.warnings]) problem(file, e.message);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

// Environment variables the code reads: each process parses its environment once with its
// schema in packages/config (built before this check runs), so the schemas are the list.
const { AgentEnv, ControlEnv } = await import(
  pathToFileURL(join(root, 'packages/config/dist/index.js')).href
);
const controlReads = new Set(Object.keys(ControlEnv.shape));
const agentReads = new Set(Object.keys(AgentEnv.shape));
// Read by the runtimes or images, not by Loadline's code.
const platform = new Set(['NODE_ENV', 'NODE_OPTIONS']);

function checkEnv(where, names, reads) {
  for (const name of names) {
    if (!reads.has(name) && !platform.has(name)) {
      problem(
        where,
        `sets ${name}, which the code does not read (reads: ${[...reads].join(', ')})`,
      );
    }
  }
}

// ---- compose.yaml ----
const composeFile = join(infra, 'compose.yaml');
const composeText = readFileSync(composeFile, 'utf8');
for (const [i, line] of composeText.split('\n').entries()) {
  const code = line.replace(/^\s*#.*$/, '');
  // Compose interpolates $VAR and ${VAR…}; a literal $ must be written $$.
  for (const m of code.matchAll(/\$(?!\$)(?!\{[A-Z_][A-Z0-9_]*(:?[-?+][^}]*)?\})/g)) {
    if (code[m.index - 1] !== '$') problem(`${composeFile}:${i + 1}`, `bare "$": ${line.trim()}`);
  }
}
const [compose] = parseYaml(composeFile);
const services = compose?.services ?? {};
for (const [name, service] of Object.entries(services)) {
  if (!service.image && !service.build) problem(composeFile, `service ${name} has no image`);
  for (const dep of Object.keys(service.depends_on ?? {})) {
    if (!services[dep]) problem(composeFile, `${name} depends on unknown service ${dep}`);
    else if (service.depends_on[dep].condition === 'service_healthy' && !services[dep].healthcheck)
      problem(composeFile, `${name} waits for ${dep} to be healthy, which has no healthcheck`);
  }
  for (const volume of service.volumes ?? []) {
    const source = String(volume).split(':')[0];
    if (!source.startsWith('.') && !source.startsWith('/') && !(source in (compose.volumes ?? {})))
      problem(composeFile, `${name} mounts undeclared volume ${source}`);
  }
}
checkEnv(`${composeFile} control`, Object.keys(services.control?.environment ?? {}), controlReads);
checkEnv(`${composeFile} agent`, Object.keys(services.agent?.environment ?? {}), agentReads);
for (const name of ['control', 'agent']) {
  const command = services[name]?.command ?? [];
  if (command[0] !== name) problem(composeFile, `${name} should run \`loadline ${name}\``);
  if (!command.includes('--namespace')) problem(composeFile, `${name} should pass --namespace`);
}

// ---- k8s/ ----
const k8sDir = join(infra, 'k8s');
const objects = [];
for (const file of readdirSync(k8sDir).filter((f) => f.endsWith('.yaml'))) {
  for (const doc of parseYaml(join(k8sDir, file))) objects.push({ file, doc });
}
const byKind = (kind) => objects.filter((o) => o.doc.kind === kind).map((o) => o.doc);
const [kustomization] = byKind('Kustomization');
const listed = new Set(kustomization?.resources ?? []);
for (const file of readdirSync(k8sDir).filter((f) => f.endsWith('.yaml'))) {
  if (file !== 'kustomization.yaml' && !listed.has(file))
    problem(k8sDir, `${file} is not in kustomization.yaml`);
}
for (const resource of listed) {
  if (!readdirSync(k8sDir).includes(resource))
    problem(k8sDir, `kustomization lists missing ${resource}`);
}
for (const { file, doc } of objects) {
  if (doc.kind === 'Kustomization') continue;
  if (!doc.apiVersion || !doc.kind || !doc.metadata?.name)
    problem(file, 'apiVersion, kind, metadata.name required');
  if (doc.kind !== 'Namespace' && doc.metadata?.namespace !== 'loadline')
    problem(file, `${doc.kind}/${doc.metadata?.name} is not in namespace loadline`);
}
const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const configMaps = new Map(byKind('ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));
const secrets = new Map(
  byKind('Secret').map((s) => [s.metadata.name, { ...s.data, ...s.stringData }]),
);
const deployments = byKind('Deployment');
for (const d of deployments) {
  const where = `Deployment/${d.metadata.name}`;
  const labels = d.spec.template.metadata.labels;
  if (!matches(d.spec.selector.matchLabels, labels))
    problem(where, 'selector does not match template labels');
  for (const c of d.spec.template.spec.containers) {
    const env = new Set();
    for (const e of c.env ?? []) {
      env.add(e.name);
      const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
      const source = e.valueFrom?.configMapKeyRef ? configMaps : secrets;
      if (ref && !(ref.key in (source.get(ref.name) ?? {})))
        problem(where, `${e.name} refers to missing ${ref.name}/${ref.key}`);
    }
    for (const from of c.envFrom ?? []) {
      const ref = from.configMapRef ?? from.secretRef;
      const source = from.configMapRef ? configMaps : secrets;
      const data = source.get(ref.name);
      if (!data) problem(where, `envFrom refers to missing ${ref.name}`);
      for (const name of Object.keys(data ?? {})) env.add(name);
    }
    for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
      for (const m of String(arg).matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
        if (!env.has(m[1])) problem(where, `args use $(${m[1]}), which is not in the environment`);
      }
    }
    const component = labels['app.kubernetes.io/component'];
    checkEnv(
      where,
      env,
      component === 'agent' ? new Set([...agentReads, 'LOADLINE_NAMESPACE']) : controlReads,
    );
    if (c.args?.[0] !== component) problem(where, `should run \`loadline ${component}\``);
    const probe = c.readinessProbe?.httpGet;
    if (component === 'control' && (probe?.path !== '/health' || !probe?.port))
      problem(where, 'readiness must be GET /health');
  }
}
for (const s of [...byKind('Service'), ...byKind('PodDisruptionBudget')]) {
  const selector = s.spec.selector?.matchLabels ?? s.spec.selector;
  if (!deployments.some((d) => matches(selector, d.spec.template.metadata.labels)))
    problem(`${s.kind}/${s.metadata.name}`, 'selects no Deployment');
}
const controlService = byKind('Service').find((s) => s.metadata.name === 'loadline-control');
if (controlService?.spec.ports?.[0]?.port !== 7700) problem('Service', 'control must serve 7700');

// ---- the demo scenario ----
parseYaml(join(infra, 'demo-browse-buy.compose.yaml'));

// ---- ClickHouse cluster schema: same columns as the store's migrations ----
const strip = (sql) => sql.replace(/--.*$/gm, '');
const columnsOf = (sql, table) => {
  const m = new RegExp(
    `CREATE TABLE IF NOT EXISTS (?:loadline\\.)?${table}\\b[^(]*\\(([^;]*?)\\)\\s*ENGINE`,
    's',
  ).exec(strip(sql));
  return m
    ? m[1]
        .split(',\n')
        .map((c) => c.trim().split(/\s+/)[0])
        .filter(Boolean)
    : undefined;
};
const migrations = join(root, 'packages/store/migrations/clickhouse');
const migrationSql = readdirSync(migrations)
  .sort()
  .map((f) => readFileSync(join(migrations, f), 'utf8'))
  .join('\n');
const clusterSql = readFileSync(join(infra, 'clickhouse/cluster-schema.sql'), 'utf8');
for (const table of ['intervals', 'interval_minutes', 'interval_ingests']) {
  const base = columnsOf(migrationSql, table);
  const added = [
    ...strip(migrationSql).matchAll(
      new RegExp(`ALTER TABLE ${table}\\s+ADD COLUMN IF NOT EXISTS (\\w+) .*? AFTER (\\w+)`, 'g'),
    ),
  ];
  for (const [, column, after] of added) base.splice(base.indexOf(after) + 1, 0, column);
  const cluster = columnsOf(clusterSql, `${table}_local`);
  if (JSON.stringify(base) !== JSON.stringify(cluster))
    problem(
      'cluster-schema.sql',
      `${table}_local columns ${cluster} differ from the store's ${base}`,
    );
  if (
    !new RegExp(
      `CREATE TABLE IF NOT EXISTS loadline\\.${table} ON CLUSTER[^;]*Distributed\\(`,
      's',
    ).test(strip(clusterSql))
  )
    problem('cluster-schema.sql', `no Distributed table ${table}`);
}

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`infra check: ${p}\n`);
  process.exit(1);
}
process.stdout.write(
  `infra check: compose (${Object.keys(services).length} services), k8s (${objects.length} objects), cluster schema: ok\n`,
);
