// Every object of infra/k8s (the files kustomization.yaml lists, and the per-run Job
// template) validated against its kind's schema (test/k8s-schemas.ts says which), offline:
// there is no Kubernetes API server on the build machines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flags, type Json, jobFiles, k8s } from './infra-fixtures.js';
import { schemaProblems } from './k8s-schemas.js';

const problemsOf = (objects: Json[]) =>
  objects.flatMap(({ file, doc }: Json) =>
    doc.kind === 'Kustomization' ? [] : schemaProblems(file, doc),
  );

describe('k8s schemas', () => {
  it('every listed object and the Job template fit their schemas', () => {
    const { objects } = k8s();
    const kustomization = objects.find((o: Json) => o.doc.kind === 'Kustomization').doc;
    const listed = new Set([...kustomization.resources, ...jobFiles]);
    const validated = objects.filter((o: Json) => listed.has(o.file));
    assert.equal(
      validated.length,
      objects.length - 1,
      'every file is listed, or is a Job template',
    );
    assert.deepEqual(problemsOf(validated), []);
    // Kinds of each source of schemas are there: a file dropped from the list would show.
    const kinds = new Set(validated.map((o: Json) => o.doc.kind));
    for (const kind of [
      'Deployment',
      'StatefulSet',
      'Job',
      'Certificate',
      'ScaledObject',
      'ClickHouseInstallation',
    ])
      assert.ok(kinds.has(kind), `${kind} validated`);
  });

  it('refuse Kubernetes objects of the wrong shape', () => {
    const k = k8s();
    k.find('Deployment', 'loadline-control').spec.replicas = 'two';
    k.container('StatefulSet', 'loadline-redis', 'sentinel').ports[0].containerPort = '26380';
    k.find('Job', 'loadline-run-agents-').spec.completionMode = 'indexed';
    k.find('NetworkPolicy', 'loadline-agent-egress').spec.policyTypes = 'Egress';
    const problems = problemsOf(k.objects);
    flags(problems, /Deployment\/loadline-control: data\/spec\/replicas must be integer/);
    flags(problems, /StatefulSet\/loadline-redis: .*containerPort must be integer/);
    flags(
      problems,
      /Job\/loadline-run-agents-: .*completionMode must be equal to one of the allowed values/,
    );
    flags(problems, /NetworkPolicy\/loadline-agent-egress: .*policyTypes must be array/);
  });

  it("refuse cert-manager's and KEDA's objects of the wrong shape", () => {
    const k = k8s();
    delete k.find('Certificate', 'loadline-control-tls').spec.secretName;
    k.find('Issuer', 'loadline-ca').spec.ca = {};
    delete k.find('ScaledObject', 'loadline-agent').spec.scaleTargetRef;
    k.find('TriggerAuthentication', 'loadline-queue-monitor').spec.secretTargetRef[0].key = 7;
    const problems = problemsOf(k.objects);
    flags(problems, /Certificate\/loadline-control-tls: .*must have required property secretName/);
    flags(problems, /Issuer\/loadline-ca: .*must have required property secretName/);
    flags(problems, /ScaledObject\/loadline-agent: .*must have required property scaleTargetRef/);
    flags(problems, /TriggerAuthentication\/loadline-queue-monitor: .*key must be string/);
  });

  it("refuse ClickHouse operator objects of the wrong shape, their templates' too", () => {
    const k = k8s();
    const chi = k.find('ClickHouseInstallation', 'loadline');
    chi.spec.configuration.clusters[0].layout.shardCount = 2;
    chi.spec.templates.podTemplates[0].spec.containers[0].resources.requests.cpu = [4];
    chi.spec.templates.volumeClaimTemplates[0].spec.accessModes = 'ReadWriteOnce';
    k.find(
      'ClickHouseKeeperInstallation',
      'loadline',
    ).spec.configuration.clusters[0].layout.replicasCount = '3';
    const problems = problemsOf(k.objects);
    flags(
      problems,
      /ClickHouseInstallation\/loadline: spec\.configuration\.clusters\.0\.layout: Unrecognized key: "shardCount"/,
    );
    flags(problems, /ClickHouseInstallation\/loadline podTemplates clickhouse: .*cpu/);
    flags(
      problems,
      /ClickHouseInstallation\/loadline volumeClaimTemplates data: .*accessModes must be array/,
    );
    flags(
      problems,
      /ClickHouseKeeperInstallation\/loadline: .*replicasCount: Invalid input: expected number/,
    );
  });

  it('refuse an object of a kind nothing here has a schema for', () => {
    const k = k8s();
    k.find('Service', 'loadline-control').apiVersion = 'v2';
    flags(problemsOf(k.objects), /Service\/loadline-control: no schema for v2\/Service/);
  });
});
