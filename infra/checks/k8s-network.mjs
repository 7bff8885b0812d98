// Checks of infra/k8s/network-policy.yaml: who may reach Redis and its proxy (ingress),
// and where agents, control and the console may go (egress). Peers are named by the
// pods' component label (app.kubernetes.io/component) within app.kubernetes.io/name
// loadline; the few peers outside the namespace are listed here by name.
import { byKind } from './k8s.mjs';

const NAME = 'app.kubernetes.io/name';
const COMPONENT = 'app.kubernetes.io/component';
const DNS = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const KEDA = { namespace: 'keda', labels: { app: 'keda-operator' } };

/** Ingress: the components (and outside peers) each guarded component admits. */
export const INGRESS = {
  redis: { from: ['control', 'agent', 'redis', 'redis-proxy'], outside: [] },
  'redis-proxy': { from: ['control', 'agent'], outside: [KEDA] },
};

/**
 * Egress: where each component may go (components, and address blocks other than the
 * whole Internet when `addresses`), and the component:port pairs it needs to work at all.
 */
export const EGRESS = {
  agent: {
    to: ['redis-proxy', 'redis', 'control'],
    addresses: true,
    needs: [
      ['redis-proxy', 6380],
      ['control', 7700],
    ],
  },
  control: {
    to: ['redis-proxy', 'redis', 'clickhouse', 'control'],
    addresses: true,
    needs: [
      ['redis-proxy', 6380],
      ['clickhouse', 8443],
      ['control', 7700],
    ],
  },
  console: { to: ['control'], addresses: false, needs: [['control', 7700]] },
};

const labelsEqual = (a = {}, b = {}) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([k, v]) => b[k] === v);

/** The component a pod selector names exactly (loadline's name and one component), or undefined. */
function componentOfSelector(selector) {
  const labels = selector?.matchLabels ?? {};
  if (selector?.matchExpressions || labels[NAME] !== 'loadline' || Object.keys(labels).length !== 2)
    return undefined;
  return labels[COMPONENT];
}

/** Whether a peer is exactly `outside` (a namespace by name and pods by labels in it). */
const isOutside = (peer, outside) =>
  labelsEqual(peer.namespaceSelector?.matchLabels, {
    'kubernetes.io/metadata.name': outside.namespace,
  }) && labelsEqual(peer.podSelector?.matchLabels, outside.labels);

const policiesFor = (objects, component, type) =>
  byKind(objects, 'NetworkPolicy').filter(
    (p) =>
      componentOfSelector(p.spec?.podSelector) === component &&
      (p.spec?.policyTypes ?? ['Ingress']).includes(type),
  );

/**
 * No ingress to the namespace's pods by default, and Redis's and the proxy's pods admit
 * only the components (and outside peers) of INGRESS: never a rule without `from`
 * (everyone), an address block, or a namespace beyond those listed.
 */
export function k8sNetworkPolicyProblems(objects) {
  const problems = [];
  const denyAll = byKind(objects, 'NetworkPolicy').some(
    (p) =>
      Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length === 0 &&
      !p.spec?.podSelector?.matchExpressions &&
      (p.spec?.policyTypes ?? []).includes('Ingress') &&
      (p.spec?.ingress ?? []).length === 0,
  );
  if (!denyAll) problems.push('NetworkPolicy: none denies ingress to every pod by default');
  for (const [component, allowed] of Object.entries(INGRESS)) {
    const policies = policiesFor(objects, component, 'Ingress');
    if (policies.length === 0) problems.push(`NetworkPolicy: none selects the ${component} pods`);
    const who = [...allowed.from, ...allowed.outside.map((o) => o.namespace)].join(', ');
    for (const p of policies) {
      for (const [i, rule] of (p.spec.ingress ?? []).entries()) {
        const where = `NetworkPolicy/${p.metadata.name} ingress[${i}]`;
        if ((rule.from ?? []).length === 0)
          problems.push(`${where}: admits every source to ${component}`);
        for (const peer of rule.from ?? []) {
          if (peer.ipBlock || peer.namespaceSelector) {
            if (!allowed.outside.some((o) => isOutside(peer, o)))
              problems.push(`${where}: admits pods beyond ${who} to ${component}`);
          } else if (!allowed.from.includes(componentOfSelector(peer.podSelector))) {
            problems.push(`${where}: admits pods other than ${who} to ${component}`);
          }
        }
      }
    }
  }
  return problems;
}

const WHOLE_INTERNET = new Set(['0.0.0.0/0', '::/0']);

/** Whether `rule` lets traffic reach `component` on `port`. */
const reaches = (rule, component, port) =>
  (rule.to ?? []).some((peer) => componentOfSelector(peer.podSelector) === component) &&
  ((rule.ports ?? []).length === 0 || rule.ports.some((p) => p.port === port));

const reachesDns = (rule) =>
  (rule.to ?? []).some((peer) => isOutside(peer, DNS)) &&
  (rule.ports ?? []).some((p) => p.port === 53 && (p.protocol ?? 'TCP') === 'UDP');

/**
 * Agents, control and the console may go only where EGRESS says (and DNS), and can reach
 * what they need: a policy limits each one's egress, no rule lets it go anywhere (no
 * `to`, 0.0.0.0/0, ::/0, another namespace), and nothing it needs is left out.
 */
export function k8sEgressProblems(objects) {
  const problems = [];
  for (const [component, allowed] of Object.entries(EGRESS)) {
    const policies = policiesFor(objects, component, 'Egress');
    if (policies.length === 0) {
      problems.push(`NetworkPolicy: none limits where ${component} pods may connect`);
      continue;
    }
    const rules = policies.flatMap((p) =>
      (p.spec.egress ?? []).map((rule, i) => ({
        rule,
        where: `NetworkPolicy/${p.metadata.name} egress[${i}]`,
      })),
    );
    for (const { rule, where } of rules) {
      if ((rule.to ?? []).length === 0) problems.push(`${where}: lets ${component} reach anywhere`);
      for (const peer of rule.to ?? []) {
        if (peer.ipBlock) {
          if (!allowed.addresses)
            problems.push(`${where}: lets ${component} reach addresses outside`);
          else if (WHOLE_INTERNET.has(peer.ipBlock.cidr))
            problems.push(`${where}: lets ${component} reach any address (${peer.ipBlock.cidr})`);
        } else if (peer.namespaceSelector) {
          if (!isOutside(peer, DNS))
            problems.push(`${where}: lets ${component} reach other namespaces`);
        } else {
          const target = componentOfSelector(peer.podSelector);
          if (!allowed.to.includes(target))
            problems.push(`${where}: lets ${component} reach ${target ?? 'pods of any component'}`);
        }
      }
    }
    if (!rules.some(({ rule }) => reachesDns(rule)))
      problems.push(
        `NetworkPolicy: ${component} pods cannot resolve names (DNS, UDP 53 to kube-dns)`,
      );
    for (const [target, port] of allowed.needs) {
      if (!rules.some(({ rule }) => reaches(rule, target, port)))
        problems.push(`NetworkPolicy: ${component} pods cannot reach ${target} on ${port}`);
    }
  }
  return problems;
}
