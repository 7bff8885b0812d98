#!/usr/bin/env node
// Static checks of infra/ that need neither Docker nor Kubernetes (none on the build
// machines). The checks themselves are functions in infra/checks/ (tested, each against a
// file made bad, by test/infra-check.test.ts); this reads the files and reports.
//   Fit: every YAML file parses; the environment variables the deployments set are the
//   ones the code reads (found in the code, not listed here); selectors match labels;
//   references resolve; the ClickHouse cluster schema keeps the store's columns; the demo
//   scenario validates (with the built CLI).
//   Security: nothing published beyond loopback (compose) or the cluster (k8s); control
//   with TLS, or --insecure-http and LOADLINE_PUBLIC_HOSTS; Redis TLS-only with its ACL
//   users, and no plain redis:// anywhere; only control and agents reach Redis, only
//   control the stores; Secrets hold placeholders the code refuses; every container runs
//   unprivileged on a read-only root file system.
// Run from the repo root after `npm install` and the build:
//   node infra/check.mjs [INFRA_DIR]     (default: the infra/ this file is in)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { QueueKeys } from 'bullmq';
import { parseYamlText } from './checks/common.mjs';
import {
  composeDefaultSecretProblems,
  composeInterpolationProblems,
  composeLoadlineProblems,
  composeNetworkProblems,
  composePortProblems,
  composeRedisProblems,
  composeServiceProblems,
} from './checks/compose.mjs';
import { aclTemplateProblems, dockerfileProblems, plainRedisUrlProblems } from './checks/files.mjs';
import { k8sContainerProblems, k8sStructureProblems } from './checks/k8s.mjs';
import {
  k8sAgentJobProblems,
  k8sAgentScalingProblems,
  k8sClickHouseProblems,
  k8sControlHaProblems,
} from './checks/k8s-ha.mjs';
import { k8sEgressProblems, k8sNetworkPolicyProblems } from './checks/k8s-network.mjs';
import {
  k8sRedisProblems,
  k8sSecretProblems,
  k8sSecurityContextProblems,
  k8sServiceProblems,
} from './checks/k8s-security.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const infra = resolve(process.argv[2] ?? here);
const root = join(here, '..');
const problems = [];
const read = (path) => readFileSync(join(infra, path), 'utf8');

// Environment variables the code reads: each process parses its environment once with its
// schema in packages/config (built before this check runs), so the schemas are the list.
const { AgentEnv, ControlEnv } = await import(
  pathToFileURL(join(root, 'packages/config/dist/index.js')).href
);
const reads = {
  control: new Set(Object.keys(ControlEnv.shape)),
  agent: new Set(Object.keys(AgentEnv.shape)),
};
const schemas = new Map([...Object.entries(AgentEnv.shape), ...Object.entries(ControlEnv.shape)]);
// The shard queue's Redis lists, as the code names them (RedisNames) and BullMQ lays them out.
const { RedisNames } = await import(pathToFileURL(join(root, 'packages/queue/dist/index.js')).href);
const shardQueueKeys = (namespace) => new QueueKeys().getKeys(new RedisNames(namespace).shardQueue);

// ---- compose ----
const composeText = read('compose.yaml');
const parsedCompose = parseYamlText(composeText, 'compose.yaml');
const [compose] = parsedCompose.docs;
problems.push(
  ...parsedCompose.problems,
  ...composeInterpolationProblems(composeText, 'compose.yaml'),
  ...composeDefaultSecretProblems(composeText, 'compose.yaml'),
  ...composeServiceProblems(compose, 'compose.yaml'),
  ...composePortProblems(compose, 'compose.yaml'),
  ...composeLoadlineProblems(compose, 'compose.yaml', reads),
  ...composeRedisProblems(compose, 'compose.yaml'),
  ...composeNetworkProblems(compose, 'compose.yaml'),
);

// ---- k8s ----
// Everything kustomization.yaml lists, plus the per-run Job template of k8s/jobs/ (not
// listed: created once per run), which must fit and be as secure as the rest.
const k8sFiles = readdirSync(join(infra, 'k8s')).filter((f) => f.endsWith('.yaml'));
const jobFiles = readdirSync(join(infra, 'k8s/jobs')).map((f) => join('jobs', f));
const objects = [];
for (const file of [...k8sFiles, ...jobFiles]) {
  const parsed = parseYamlText(read(join('k8s', file)), file);
  problems.push(...parsed.problems);
  for (const doc of parsed.docs) objects.push({ file, doc });
}
const redisFiles = {
  'users.acl.template': read('redis/users.acl.template'),
  'render-acl.sh': read('redis/render-acl.sh'),
};
problems.push(
  ...k8sStructureProblems(objects, k8sFiles),
  ...k8sContainerProblems(objects, reads),
  ...k8sSecurityContextProblems(objects),
  ...k8sServiceProblems(objects),
  ...k8sSecretProblems(objects, schemas),
  ...k8sRedisProblems(objects, redisFiles),
  ...k8sNetworkPolicyProblems(objects),
  ...k8sEgressProblems(objects),
  ...k8sControlHaProblems(objects),
  ...k8sAgentScalingProblems(objects, shardQueueKeys),
  ...k8sAgentJobProblems(objects),
  ...k8sClickHouseProblems(objects, read('clickhouse/cluster-schema.sql')),
);

// ---- everything else ----
// The demo scenario validates as its header (and README's "Try it") runs it.
const demo = spawnSync(
  process.execPath,
  [
    join(root, 'apps/cli/bin/loadline.js'),
    'validate',
    join(infra, 'demo-browse-buy.compose.yaml'),
    '--allow-path',
    join(root, 'scenarios/data'),
  ],
  { encoding: 'utf8' },
);
if (demo.status !== 0) problems.push(`demo-browse-buy.compose.yaml: ${demo.stderr.trim()}`);
problems.push(...aclTemplateProblems(redisFiles['users.acl.template'], 'users.acl.template'));
problems.push(...dockerfileProblems(read('Dockerfile'), 'Dockerfile'));
const textFiles = {};
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (!path.startsWith(join(infra, 'checks')) && name !== 'check.mjs')
      textFiles[relative(infra, path)] = readFileSync(path, 'utf8');
  }
})(infra);
problems.push(...plainRedisUrlProblems(textFiles));
if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`infra check: ${p}\n`);
  process.exit(1);
}
process.stdout.write(
  `infra check: compose (${Object.keys(compose.services).length} services), k8s (${objects.length} objects), Redis ACL, Dockerfile: ok\n`,
);
