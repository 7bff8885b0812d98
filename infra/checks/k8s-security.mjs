// Security checks of infra/k8s: least privilege for every container, nothing exposed
// beyond the cluster, placeholder-only Secrets, Redis locked to control and agents.
import { redisServerProblems } from './common.mjs';
import { byKind, componentOf, containersOf, nameOf, workloadsOf } from './k8s.mjs';

/**
 * Every container: not root, no privilege escalation, a read-only root file system, no
 * Linux capabilities, not privileged; no pod on the host's network, PIDs or IPC, no host
 * ports.
 */
export function k8sSecurityContextProblems(objects) {
  const problems = [];
  for (const w of workloadsOf(objects)) {
    const pod = w.spec?.template?.spec ?? {};
    const podContext = pod.securityContext ?? {};
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (pod[field]) problems.push(`${w.kind}/${nameOf(w)}: ${field} is on`);
    }
    for (const c of containersOf(w)) {
      const where = `${w.kind}/${nameOf(w)} ${c.name}`;
      const context = c.securityContext ?? {};
      const runAsNonRoot = context.runAsNonRoot ?? podContext.runAsNonRoot;
      const runAsUser = context.runAsUser ?? podContext.runAsUser;
      if (runAsNonRoot !== true || runAsUser === 0)
        problems.push(`${where}: must run as non-root (runAsNonRoot: true)`);
      if (context.allowPrivilegeEscalation !== false)
        problems.push(`${where}: needs allowPrivilegeEscalation: false`);
      if (context.readOnlyRootFilesystem !== true)
        problems.push(`${where}: needs readOnlyRootFilesystem: true`);
      if (!(context.capabilities?.drop ?? []).includes('ALL'))
        problems.push(`${where}: needs capabilities.drop: ["ALL"]`);
      if ((context.capabilities?.add ?? []).length > 0)
        problems.push(`${where}: adds capabilities ${context.capabilities.add}`);
      if (context.privileged) problems.push(`${where}: is privileged`);
      for (const port of c.ports ?? []) {
        if (port.hostPort !== undefined)
          problems.push(`${where}: hostPort ${port.hostPort} opens the node's interfaces`);
      }
    }
  }
  return problems;
}

/** Services stay inside the cluster: ClusterIP only (no NodePort, LoadBalancer, external IPs). */
export function k8sServiceProblems(objects) {
  const problems = [];
  for (const s of byKind(objects, 'Service')) {
    const type = s.spec?.type ?? 'ClusterIP';
    if (type !== 'ClusterIP')
      problems.push(`Service/${s.metadata.name}: type ${type} exposes it beyond the cluster`);
    if ((s.spec?.externalIPs ?? []).length > 0)
      problems.push(`Service/${s.metadata.name}: externalIPs expose it beyond the cluster`);
  }
  return problems;
}

export const PLACEHOLDER = 'CHANGE_ME';

/**
 * Every Secret value is a placeholder (holds CHANGE_ME), and where the code reads it, the
 * code refuses it (its zod schema in `schemas` does not accept it): a forgotten
 * placeholder stops the process instead of running with a value published in the
 * repository.
 */
export function k8sSecretProblems(objects, schemas) {
  const problems = [];
  for (const s of byKind(objects, 'Secret')) {
    const entries = [
      ...Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
      ...Object.entries(s.stringData ?? {}),
    ];
    for (const [key, value] of entries) {
      const where = `Secret/${s.metadata.name} ${key}`;
      if (!String(value).includes(PLACEHOLDER)) {
        problems.push(
          `${where}: not a placeholder: a real secret does not belong in the repository`,
        );
        continue;
      }
      if (schemas.has(key) && schemas.get(key).safeParse(value).success) {
        problems.push(
          `${where}: the code would accept the placeholder "${value}" and run with it; make it one the code refuses`,
        );
      }
    }
  }
  return problems;
}

/**
 * Redis: TLS only with the ACL file, and the ConfigMap the pod renders its ACL file from
 * holds the same template and script as infra/redis (`files`: name → text).
 */
export function k8sRedisProblems(objects, files) {
  const problems = [];
  const redis = workloadsOf(objects).filter((w) => componentOf(w) === 'redis');
  if (redis.length === 0) problems.push('k8s: no Redis workload (component redis)');
  for (const w of redis) {
    const container = w.spec.template.spec.containers.find((c) => c.name === 'redis');
    const args = [...(container?.command ?? []), ...(container?.args ?? [])].map(String);
    problems.push(...redisServerProblems(`${w.kind}/${nameOf(w)}`, args));
  }
  const configMap = byKind(objects, 'ConfigMap').find(
    (c) => c.metadata.name === 'loadline-redis-acl',
  );
  for (const [name, text] of Object.entries(files)) {
    if (configMap?.data?.[name] !== text)
      problems.push(`ConfigMap/loadline-redis-acl: ${name} differs from infra/redis/${name}`);
  }
  return problems;
}
