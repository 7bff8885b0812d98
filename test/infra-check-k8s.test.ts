// infra/check.mjs's checks of infra/k8s (infra/checks/k8s*.mjs), each shown to pass on
// the committed manifests and to fail on a copy made bad in the one way it guards against.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { k8sContainerProblems, k8sStructureProblems } from '../infra/checks/k8s.mjs';
import { k8sEgressProblems, k8sNetworkPolicyProblems } from '../infra/checks/k8s-network.mjs';
import {
  k8sRedisProblems,
  k8sSecretProblems,
  k8sSecurityContextProblems,
  k8sServiceProblems,
} from '../infra/checks/k8s-security.mjs';
import { flags, type Json, k8s, k8sFiles, reads, redisFiles, schemas } from './infra-fixtures.js';

describe('k8s checks', () => {
  it('pass on the committed manifests', () => {
    const { objects } = k8s();
    assert.deepEqual(
      [
        ...k8sStructureProblems(objects, k8sFiles),
        ...k8sContainerProblems(objects, reads),
        ...k8sSecurityContextProblems(objects),
        ...k8sServiceProblems(objects),
        ...k8sSecretProblems(objects, schemas),
        ...k8sRedisProblems(objects, redisFiles),
        ...k8sNetworkPolicyProblems(objects),
        ...k8sEgressProblems(objects),
      ],
      [],
    );
  });

  it('refuse a file kustomization.yaml does not list', () => {
    const { objects } = k8s();
    flags(k8sStructureProblems(objects, [...k8sFiles, 'extra.yaml']), /extra\.yaml is not in/);
  });

  it('refuse variables the code does not read, unless they compose another', () => {
    const k = k8s();
    k.container('Deployment', 'loadline-control', 'control').env.push({
      name: 'REDIS_PASSWORD',
      value: 'x',
    });
    flags(
      k8sContainerProblems(k.objects, reads),
      /sets REDIS_PASSWORD, which the code does not read/,
    );
  });

  it('refuse $(VAR) in a value before VAR is defined', () => {
    const k = k8s();
    const agent = k.container('Deployment', 'loadline-agent', 'agent');
    const url = k.env(agent, 'REDIS_URL');
    agent.env = [url, ...agent.env.filter((e: Json) => e !== url)];
    flags(
      k8sContainerProblems(k.objects, reads),
      /REDIS_URL uses \$\(REDIS_AGENT_PASSWORD\), which is not defined before it/,
    );
  });

  it('refuse plain-text Redis or the wrong ACL user', () => {
    const k = k8s();
    k.env(k.container('Deployment', 'loadline-agent', 'agent'), 'REDIS_URL').value =
      'redis://loadline-redis:6379';
    k.env(k.container('Deployment', 'loadline-control', 'control'), 'REDIS_URL').value =
      'rediss://agent:$(REDIS_CONTROL_PASSWORD)@loadline-redis:6380';
    const problems = k8sContainerProblems(k.objects, reads);
    flags(problems, /agent: REDIS_URL must be rediss:\/\//);
    flags(problems, /control: REDIS_URL signs in as "agent"/);
  });

  it('refuse control without TLS, insecure without public hosts, or probes it would refuse', () => {
    const plain = k8s();
    const control = plain.container('Deployment', 'loadline-control', 'control');
    control.args = ['control', '--namespace', '$(LOADLINE_NAMESPACE)'];
    flags(k8sContainerProblems(plain.objects, reads), /listens on 0\.0\.0\.0 without TLS/);
    control.args.push('--insecure-http');
    delete plain.find('ConfigMap', 'loadline-config').data.LOADLINE_PUBLIC_HOSTS;
    flags(
      k8sContainerProblems(plain.objects, reads),
      /--insecure-http without LOADLINE_PUBLIC_HOSTS/,
    );
    const probes = k8s();
    const probe = probes.container('Deployment', 'loadline-control', 'control').readinessProbe;
    delete probe.httpGet.httpHeaders;
    probe.httpGet.scheme = 'HTTP';
    const problems = k8sContainerProblems(probes.objects, reads);
    flags(problems, /readinessProbe must use scheme HTTPS/);
    flags(problems, /readinessProbe sends the pod's IP as Host/);
  });

  it('refuse a container that may run as root, write its root fs, or gain privileges', () => {
    const k = k8s();
    delete k.container('Deployment', 'loadline-agent', 'agent').securityContext
      .readOnlyRootFilesystem;
    k.container('StatefulSet', 'loadline-redis', 'render-acl').securityContext.capabilities = {};
    k.find('Deployment', 'loadline-control').spec.template.spec.securityContext.runAsNonRoot =
      false;
    delete k.container('Deployment', 'loadline-control', 'control').securityContext.runAsNonRoot;
    k.container('StatefulSet', 'loadline-redis', 'redis').ports[0].hostPort = 6380;
    k.find('Deployment', 'loadline-agent').spec.template.spec.hostNetwork = true;
    const problems = k8sSecurityContextProblems(k.objects);
    flags(problems, /loadline-agent agent: needs readOnlyRootFilesystem: true/);
    flags(problems, /render-acl: needs capabilities\.drop/);
    flags(problems, /loadline-control control: must run as non-root/);
    flags(problems, /hostPort 6380/);
    flags(problems, /loadline-agent: hostNetwork is on/);
  });

  it('refuse a Service beyond the cluster', () => {
    for (const type of ['NodePort', 'LoadBalancer']) {
      const k = k8s();
      k.find('Service', 'loadline-control').spec.type = type;
      flags(k8sServiceProblems(k.objects), new RegExp(`type ${type} exposes it`));
    }
  });

  it('refuse a Secret value that is not a placeholder, or one the code would accept', () => {
    const k = k8s();
    k.find('Secret', 'loadline-redis-users').stringData.REDIS_AGENT_PASSWORD = 'hunter2hunter2';
    k.find('Secret', 'loadline-control').stringData.LOADLINE_ADMIN_PASSWORD =
      'CHANGE_ME-before-you-apply';
    k.find('Secret', 'loadline-master-secret').data = {
      LOADLINE_SHADOW_SECRET: Buffer.from('a real master secret').toString('base64'),
    };
    const problems = k8sSecretProblems(k.objects, schemas);
    flags(problems, /loadline-redis-users REDIS_AGENT_PASSWORD: not a placeholder/);
    flags(problems, /LOADLINE_ADMIN_PASSWORD: the code would accept the placeholder/);
    flags(problems, /loadline-master-secret LOADLINE_SHADOW_SECRET: not a placeholder/);
  });

  it('refuse a Redis without ACL, or ACL copies that drifted from infra/redis', () => {
    const k = k8s();
    const args: string[] = k.container('StatefulSet', 'loadline-redis', 'redis').args;
    args.splice(args.indexOf('--aclfile'), 2);
    k.find('ConfigMap', 'loadline-redis-acl').data['users.acl.template'] += 'user extra on\n';
    const problems = k8sRedisProblems(k.objects, redisFiles);
    flags(problems, /needs --aclfile/);
    flags(problems, /users\.acl\.template differs from infra\/redis/);
  });

  it("refuse network policies that let anyone but Redis's clients reach Redis or its proxy", () => {
    const policies = (change: (k: ReturnType<typeof k8s>) => void) => {
      const k = k8s();
      change(k);
      return k8sNetworkPolicyProblems(k.objects);
    };
    const rule = (k: ReturnType<typeof k8s>, name: string) =>
      k.find('NetworkPolicy', name).spec.ingress[0];
    flags(
      policies((k) => {
        k.objects.splice(
          k.objects.findIndex(
            (o: Json) => o.doc.metadata?.name === 'loadline-default-deny-ingress',
          ),
          1,
        );
      }),
      /none denies ingress/,
    );
    flags(
      policies((k) => {
        rule(k, 'loadline-redis-clients').from.push({ namespaceSelector: {} });
      }),
      /redis-clients ingress\[0\]: admits pods beyond control, agent, redis, redis-proxy to redis/,
    );
    flags(
      policies((k) => {
        delete rule(k, 'loadline-redis-clients').from;
      }),
      /admits every source to redis/,
    );
    flags(
      policies((k) => {
        rule(k, 'loadline-redis-clients').from = [
          { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'loadline' } } },
        ];
      }),
      /admits pods other than control, agent, redis, redis-proxy to redis/,
    );
    flags(
      policies((k) => {
        k.find('NetworkPolicy', 'loadline-redis-clients').spec.podSelector.matchLabels[
          'app.kubernetes.io/component'
        ] = 'cache';
      }),
      /none selects the redis pods/,
    );
    // The proxy admits KEDA's operator from its namespace, and no one else from outside.
    flags(
      policies((k) => {
        rule(k, 'loadline-redis-proxy-clients').from[2].namespaceSelector.matchLabels[
          'kubernetes.io/metadata.name'
        ] = 'default';
      }),
      /proxy-clients ingress\[0\]: admits pods beyond control, agent, keda to redis-proxy/,
    );
    flags(
      policies((k) => {
        rule(k, 'loadline-redis-proxy-clients').from.push({
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/name': 'loadline',
              'app.kubernetes.io/component': 'redis',
            },
          },
        });
      }),
      /admits pods other than control, agent, keda to redis-proxy/,
    );
  });

  it('refuse egress that lets agents, control or the console go anywhere, or not where they must', () => {
    const egress = (change: (k: ReturnType<typeof k8s>) => void) => {
      const k = k8s();
      change(k);
      return k8sEgressProblems(k.objects);
    };
    const rules = (k: ReturnType<typeof k8s>, name: string) =>
      k.find('NetworkPolicy', name).spec.egress;
    flags(
      egress((k) => {
        rules(k, 'loadline-agent-egress').at(-1).to[0].ipBlock.cidr = '0.0.0.0/0';
      }),
      /agent-egress egress\[4\]: lets agent reach any address \(0\.0\.0\.0\/0\)/,
    );
    flags(
      egress((k) => {
        rules(k, 'loadline-agent-egress').push({ to: [{ namespaceSelector: {} }] });
      }),
      /lets agent reach other namespaces/,
    );
    flags(
      egress((k) => {
        rules(k, 'loadline-agent-egress').push({ ports: [{ port: 443 }] });
      }),
      /lets agent reach anywhere/,
    );
    flags(
      egress((k) => {
        rules(k, 'loadline-agent-egress')[0].to[0].podSelector.matchLabels[
          'app.kubernetes.io/component'
        ] = 'clickhouse';
      }),
      /lets agent reach clickhouse/,
    );
    flags(
      egress((k) => {
        rules(k, 'loadline-agent-egress').splice(2, 1);
      }),
      /agent pods cannot reach control on 7700/,
    );
    flags(
      egress((k) => {
        rules(k, 'loadline-control-egress').splice(2, 1);
      }),
      /control pods cannot reach clickhouse on 8443/,
    );
    flags(
      egress((k) => {
        rules(k, 'loadline-console-egress').push({ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] });
      }),
      /lets console reach addresses outside/,
    );
    flags(
      egress((k) => {
        rules(k, 'loadline-console-egress').splice(1, 1);
      }),
      /console pods cannot resolve names/,
    );
    flags(
      egress((k) => {
        k.objects.splice(
          k.objects.findIndex((o: Json) => o.doc.metadata?.name === 'loadline-console-egress'),
          1,
        );
      }),
      /none limits where console pods may connect/,
    );
  });
});
