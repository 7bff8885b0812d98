// Schema validation of infra/k8s objects, offline (no API server on the build machines).
// Kubernetes kinds: the `kubernetes-models` classes, generated from Kubernetes' OpenAPI
// schemas (types, enums, formats, required fields; like the API server's schema, they do
// not refuse unknown fields). cert-manager and KEDA: `@kubernetes-models/cert-manager`
// and `@kubernetes-models/keda` (from their CRDs; KEDA's from 2.10, which predates
// ScaledObject's advanced.scalingModifiers: that field is checked by k8sAgentScalingProblems).
// The Altinity operator's ClickHouseInstallation and ClickHouseKeeperInstallation have no
// such package: the zod schemas below cover the fields these manifests use, strictly
// (an unknown field is refused), and their pod and volume templates are validated as a
// Pod's spec and a PersistentVolumeClaim's spec by kubernetes-models.
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Pod,
  Secret,
  Service,
} from 'kubernetes-models/v1';
import { z } from 'zod';

type Json = Record<string, unknown>;
interface Model {
  validate(): void;
}

const MODELS: Record<string, new (data: Json) => Model> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'cert-manager.io/v1/Certificate': Certificate,
  'cert-manager.io/v1/Issuer': Issuer,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

/** Why a kubernetes-models object does not validate, or undefined. */
function modelProblem(make: () => Model): string | undefined {
  try {
    make().validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const Metadata = z.object({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  namespace: z.string(),
  labels: z.record(z.string(), z.string()).optional(),
});
const PodTemplate = z.strictObject({
  name: z.string(),
  metadata: z.strictObject({ labels: z.record(z.string(), z.string()) }).optional(),
  spec: z.record(z.string(), z.unknown()),
});
const VolumeClaimTemplate = z.strictObject({
  name: z.string(),
  spec: z.record(z.string(), z.unknown()),
});
const Templates = z.strictObject({
  podTemplates: z.array(PodTemplate).optional(),
  volumeClaimTemplates: z.array(VolumeClaimTemplate).optional(),
});
const Defaults = z.strictObject({
  templates: z
    .strictObject({
      podTemplate: z.string().optional(),
      dataVolumeClaimTemplate: z.string().optional(),
      logVolumeClaimTemplate: z.string().optional(),
      serviceTemplate: z.string().optional(),
    })
    .optional(),
});
const Layout = z.strictObject({
  shardsCount: z.number().int().min(1).optional(),
  replicasCount: z.number().int().min(1).optional(),
});
// Settings, users, profiles and files: the operator's "path/to/setting: value" maps.
const SettingsMap = z.record(
  z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/),
  z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]),
);

export const ClickHouseInstallation = z.strictObject({
  apiVersion: z.literal('clickhouse.altinity.com/v1'),
  kind: z.literal('ClickHouseInstallation'),
  metadata: Metadata,
  spec: z.strictObject({
    defaults: Defaults.optional(),
    configuration: z.strictObject({
      zookeeper: z
        .strictObject({
          nodes: z.array(
            z.strictObject({ host: z.string(), port: z.number().int().min(1).max(65535) }),
          ),
        })
        .optional(),
      users: SettingsMap.optional(),
      profiles: SettingsMap.optional(),
      settings: SettingsMap.optional(),
      files: z.record(z.string(), z.string()).optional(),
      clusters: z.array(
        z.strictObject({
          name: z.string().regex(/^[a-z0-9-]{1,15}$/),
          secret: z.strictObject({ auto: z.enum(['true', 'false']) }).optional(),
          layout: Layout,
        }),
      ),
    }),
    templates: Templates.optional(),
  }),
});

export const ClickHouseKeeperInstallation = z.strictObject({
  apiVersion: z.literal('clickhouse-keeper.altinity.com/v1'),
  kind: z.literal('ClickHouseKeeperInstallation'),
  metadata: Metadata,
  spec: z.strictObject({
    defaults: Defaults.optional(),
    configuration: z.strictObject({
      settings: SettingsMap.optional(),
      clusters: z.array(z.strictObject({ name: z.string(), layout: Layout })),
    }),
    templates: Templates.optional(),
  }),
});

const OPERATOR_SCHEMAS: Record<string, z.ZodType> = {
  'clickhouse.altinity.com/v1/ClickHouseInstallation': ClickHouseInstallation,
  'clickhouse-keeper.altinity.com/v1/ClickHouseKeeperInstallation': ClickHouseKeeperInstallation,
};

/** An operator object's embedded pod and volume templates, as Kubernetes validates them. */
function templateProblems(where: string, doc: Json): string[] {
  const templates =
    (doc.spec as { templates?: z.infer<typeof Templates> } | undefined)?.templates ?? {};
  const metadata = { name: 'template', namespace: 'loadline' };
  return [
    ...(templates.podTemplates ?? []).map((t) => [
      `podTemplates ${t.name}`,
      modelProblem(() => new Pod({ metadata, spec: t.spec })),
    ]),
    ...(templates.volumeClaimTemplates ?? []).map((t) => [
      `volumeClaimTemplates ${t.name}`,
      modelProblem(() => new PersistentVolumeClaim({ metadata, spec: t.spec })),
    ]),
  ]
    .filter(([, problem]) => problem !== undefined)
    .map(([what, problem]) => `${where} ${what}: ${problem}`);
}

/** Every way `doc` does not fit its kind's schema ([] when it does). */
export function schemaProblems(file: string, doc: Json): string[] {
  const metadata = doc.metadata as Json | undefined;
  const type = `${doc.apiVersion}/${doc.kind}`;
  const where = `${file}: ${doc.kind}/${metadata?.name ?? metadata?.generateName}`;
  const Model = MODELS[type];
  if (Model) {
    const problem = modelProblem(() => new Model(doc));
    return problem ? [`${where}: ${problem}`] : [];
  }
  const schema = OPERATOR_SCHEMAS[type];
  if (!schema) return [`${where}: no schema for ${type}`];
  const parsed = schema.safeParse(doc);
  return [
    ...(parsed.error?.issues ?? []).map((i) => `${where}: ${i.path.join('.')}: ${i.message}`),
    ...templateProblems(where, doc),
  ];
}
