import { open, seal } from '@loadline/access';
import { controlApi, SecretBody, SecretName } from '@loadline/api/http';
import type { RouteDeps } from '../api/deps.js';
import { guarded } from '../api/errors.js';
import { parseBody, type Router } from '../http.js';
import { HttpProblem } from '../problem.js';
import { actorOf } from './principal.js';

// Environment secrets (target auth headers, credentials of the stores `verify` reads):
// sealed at rest with a key derived from the master secret, bound to their environment and
// name, write-only through the API. Scenarios use them as ${secrets.NAME}.

const associated = (environment: string, name: string) => `${environment}/${name}`;

function secretName(text: string): string {
  const parsed = SecretName.safeParse(text);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'invalid';
  throw new HttpProblem(422, 'invalid secret name', `secret: ${message}`, {
    errors: [{ field: 'secret', message }],
  });
}

export function registerSecretRoutes(router: Router, deps: RouteDeps): void {
  const info = (row: { name: string; updatedAt: Date; updatedBy: string | null }) => ({
    name: row.name,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  });

  router.route(controlApi.listSecrets, async ({ params }) =>
    guarded(async () => {
      const environment = params.name as string;
      return {
        body: {
          environment,
          secrets: (await deps.metadata.access.listSecrets(environment)).map(info),
        },
      };
    }),
  );

  router.route(controlApi.putSecret, async (ctx) =>
    guarded(async () => {
      const environment = ctx.params.name as string;
      const name = secretName(ctx.params.secret as string);
      const { value } = parseBody(SecretBody, ctx.body);
      ctx.audit.target = `secret:${environment}/${name}`;
      const row = await deps.metadata.access.putSecret({
        environment,
        name,
        sealed: seal(deps.keys.secrets, value, associated(environment, name)),
        updatedBy: actorOf(ctx.principal).actor,
      });
      return { body: info(row) };
    }),
  );

  router.route(controlApi.deleteSecret, async (ctx) =>
    guarded(async () => {
      const environment = ctx.params.name as string;
      const name = secretName(ctx.params.secret as string);
      ctx.audit.target = `secret:${environment}/${name}`;
      await deps.metadata.access.deleteSecret(environment, name);
      return undefined;
    }),
  );
}

/** Every secret of an environment, opened: what a run's agents receive (sealed again). */
export async function openSecrets(
  deps: Pick<RouteDeps, 'metadata' | 'keys'>,
  environment: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const row of await deps.metadata.access.listSecrets(environment)) {
    out[row.name] = open(deps.keys.secrets, row.sealed, associated(environment, row.name));
  }
  return out;
}
