// infra/check.mjs's availability and scaling checks of infra/k8s (infra/checks/k8s-ha.mjs),
// each shown to pass on the committed manifests and to fail on a copy made bad in the one
// way it guards against.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  k8sAgentJobProblems,
  k8sAgentScalingProblems,
  k8sClickHouseProblems,
  k8sControlHaProblems,
} from '../infra/checks/k8s-ha.mjs';
import { clusterSchema, flags, type Json, k8s, shardQueueKeys } from './infra-fixtures.js';

describe('k8s availability and scaling checks', () => {
  it('pass on the committed manifests', () => {
    const { objects } = k8s();
    assert.deepEqual(
      [
        ...k8sControlHaProblems(objects),
        ...k8sAgentScalingProblems(objects, shardQueueKeys),
        ...k8sAgentJobProblems(objects),
        ...k8sClickHouseProblems(objects, clusterSchema),
      ],
      [],
    );
  });

  it('refuse a single control, one that stops both at once, or both on one node', () => {
    const k = k8s();
    const control = k.find('Deployment', 'loadline-control');
    control.spec.replicas = 1;
    control.spec.strategy = { type: 'Recreate' };
    delete control.spec.template.spec.affinity;
    const problems = k8sControlHaProblems(k.objects);
    flags(problems, /needs replicas >= 2/);
    flags(problems, /strategy Recreate stops both/);
    flags(problems, /needs a required pod anti-affinity/);
    flags(problems, /PodDisruptionBudget\/loadline-control: minAvailable must be 1\.\.0/);
  });

  it('refuse a rolling update that needs a spare node, or no PDB', () => {
    const k = k8s();
    k.find('Deployment', 'loadline-control').spec.strategy.rollingUpdate = {
      maxUnavailable: 0,
      maxSurge: 1,
    };
    k.find('PodDisruptionBudget', 'loadline-control').spec.selector.matchLabels[
      'app.kubernetes.io/component'
    ] = 'agent';
    const problems = k8sControlHaProblems(k.objects);
    flags(problems, /maxUnavailable 0 with nodes kept apart needs a spare node/);
    flags(problems, /no PodDisruptionBudget selects its pods/);
  });

  it("refuse controls that advertise no address of their own, or can't trust each other", () => {
    const k = k8s();
    const control = k.container('Deployment', 'loadline-control', 'control');
    k.env(control, 'LOADLINE_ADVERTISE_URL').value = 'https://loadline-control:7700';
    control.env = control.env.filter((e: Json) => e.name !== 'NODE_EXTRA_CA_CERTS');
    let problems = k8sControlHaProblems(k.objects);
    flags(problems, /LOADLINE_ADVERTISE_URL must name the pod itself/);
    flags(problems, /NODE_EXTRA_CA_CERTS must point into a mounted volume/);
    k.env(control, 'LOADLINE_ADVERTISE_URL').value = 'http://$(POD_IP):7700';
    problems = k8sControlHaProblems(k.objects);
    flags(problems, /LOADLINE_ADVERTISE_URL must be https:\/\//);
  });

  it('refuse an agent autoscaler on the wrong lists, the larger of two metrics, or quick scale-down', () => {
    const k = k8s();
    const scaler = k.find('ScaledObject', 'loadline-agent');
    scaler.spec.triggers[0].metadata.listName = 'bull:loadline-schedules:wait';
    delete scaler.spec.advanced.scalingModifiers;
    scaler.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds = 60;
    const problems = k8sAgentScalingProblems(k.objects, shardQueueKeys);
    flags(problems, /no redis trigger on bull:loadline-shards:wait \(shards waiting\)/);
    flags(problems, /trigger on bull:loadline-schedules:wait, not a list of the shard queue/);
    flags(problems, /scalingModifiers must be formula/);
    flags(problems, /scaleDown\.stabilizationWindowSeconds under 900 s/);
  });

  it("refuse keys of another namespace, or a Deployment that fights the autoscaler's replicas", () => {
    const k = k8s();
    k.find('ConfigMap', 'loadline-config').data.LOADLINE_NAMESPACE = 'staging';
    k.find('Deployment', 'loadline-agent').spec.replicas = 4;
    const problems = k8sAgentScalingProblems(k.objects, shardQueueKeys);
    flags(problems, /no redis trigger on bull:staging-shards:active/);
    flags(problems, /loadline-agent: sets replicas/);
    const none = k8s();
    none.find('ScaledObject', 'loadline-agent').spec.scaleTargetRef.name = 'loadline-control';
    flags(k8sAgentScalingProblems(none.objects, shardQueueKeys), /no ScaledObject targets/);
  });

  it('refuse a per-run Job that is not Indexed, starts its agents in waves, or never ends', () => {
    const k = k8s();
    const job = k.find('Job', 'loadline-run-agents-');
    job.spec.completionMode = 'NonIndexed';
    job.spec.parallelism = 2;
    delete job.spec.activeDeadlineSeconds;
    k.container('Job', 'loadline-run-agents-', 'agent').args = ['control'];
    const problems = k8sAgentJobProblems(k.objects);
    flags(problems, /completionMode must be Indexed/);
    flags(problems, /parallelism must equal completions/);
    flags(problems, /needs activeDeadlineSeconds/);
    flags(problems, /must run `loadline agent`/);
  });

  it('refuse a ClickHouse the cluster schema does not fit', () => {
    const k = k8s();
    const chi = k.find('ClickHouseInstallation', 'loadline');
    chi.spec.configuration.clusters[0].layout.replicasCount = 1;
    chi.spec.configuration.settings['macros/replica'] = 'r1';
    chi.spec.configuration.zookeeper.nodes[0].host = 'zookeeper';
    k.find(
      'ClickHouseKeeperInstallation',
      'loadline',
    ).spec.configuration.clusters[0].layout.replicasCount = 2;
    k.find('Secret', 'loadline-control').stringData.CLICKHOUSE_URL =
      'CHANGE_ME: https://loadline:PASSWORD@clickhouse-loadline:8443/';
    const problems = k8sClickHouseProblems(k.objects, `${clusterSchema}\n-- {layer}`);
    flags(problems, /needs >= 2 shards x >= 2 replicas, has 2 x 1/);
    flags(problems, /overrides the operator's macros/);
    flags(problems, /zookeeper\.nodes must name the Keeper's Service/);
    flags(problems, /needs an odd number >= 3 of Keeper nodes/);
    flags(problems, /CLICKHOUSE_URL: must be https:\/\/ to ONE host's Service/);
    flags(problems, /uses \{layer\}, which the operator does not define/);
  });
});
