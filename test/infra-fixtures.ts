// What the infra/ check tests share: the committed files, fresh parsed copies of them to
// break, the variables the code reads, and an assertion on a list of problems.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentEnv, ControlEnv } from '@loadline/config';
import { QueueKeys } from 'bullmq';
import { parseYamlText } from '../infra/checks/common.mjs';
import { RedisNames } from '../packages/queue/src/names.js';
import { root } from './support.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, changed freely to make it bad
export type Json = any;

export const infra = join(root, 'infra');
export const text = (path: string) => readFileSync(join(infra, path), 'utf8');
export const reads = {
  control: new Set(Object.keys(ControlEnv.shape)),
  agent: new Set(Object.keys(AgentEnv.shape)),
};
export const schemas = new Map([
  ...Object.entries(AgentEnv.shape),
  ...Object.entries(ControlEnv.shape),
]);
export const composeText = text('compose.yaml');
export const k8sFiles = readdirSync(join(infra, 'k8s')).filter((f) => f.endsWith('.yaml'));
/** The per-run Job template(s), beside the files kustomization.yaml lists. */
export const jobFiles = readdirSync(join(infra, 'k8s/jobs')).map((f) => join('jobs', f));
export const clusterSchema = text('clickhouse/cluster-schema.sql');
/** The shard queue's Redis lists, as the code names them and BullMQ lays them out. */
export const shardQueueKeys = (namespace: string) =>
  new QueueKeys().getKeys(new RedisNames(namespace).shardQueue);
export const redisFiles = {
  'users.acl.template': text('redis/users.acl.template'),
  'render-acl.sh': text('redis/render-acl.sh'),
};

/** A fresh copy of the committed compose file, to break. */
export const compose = (): Json => parseYamlText(composeText, 'compose.yaml').docs[0];

/**
 * Fresh copies of the committed k8s objects (kustomization.yaml's files and the Job
 * template), and ways to find the one to break.
 */
export function k8s() {
  const objects = [...k8sFiles, ...jobFiles].flatMap((file) =>
    parseYamlText(text(join('k8s', file)), file).docs.map((doc: Json) => ({ file, doc })),
  );
  const find = (kind: string, name: string): Json =>
    objects.find(
      (o: Json) =>
        o.doc.kind === kind && (o.doc.metadata?.name ?? o.doc.metadata?.generateName) === name,
    )?.doc;
  const container = (kind: string, name: string, container: string): Json =>
    [
      ...(find(kind, name).spec.template.spec.initContainers ?? []),
      ...find(kind, name).spec.template.spec.containers,
    ].find((c: Json) => c.name === container);
  const env = (c: Json, name: string): Json => c.env.find((e: Json) => e.name === name);
  return { objects, find, container, env };
}

/** Asserts that `problems` has one matching `pattern` (and shows them all when not). */
export function flags(problems: string[], pattern: RegExp) {
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`,
  );
}
