import { randomBytes } from 'node:crypto';
import { agentKey } from '@loadline/access';
import { controlApi, EnrollAgentBody } from '@loadline/api/http';
import type { EnrolledAgent } from '@loadline/metadata';
import type { RouteDeps } from '../api/deps.js';
import { guarded } from '../api/errors.js';
import { parseBody, type Router } from '../http.js';
import { actorOf } from './principal.js';

// Load generators prove who they are: an agent enrolls once with an agent token and gets
// its own message key (it signs everything it pushes to Redis; control drops what is
// unsigned or from an unknown agent), control's public key (shard jobs and run signals are
// signed with it) and the key that opens secrets sealed into jobs.

export function registerAgentRoutes(router: Router, deps: RouteDeps): void {
  const view = (row: EnrolledAgent) => ({
    agentId: row.id,
    host: row.host,
    version: row.version,
    enrolledBy: row.enrolledBy,
    enrolledAt: row.enrolledAt,
    revokedAt: row.revokedAt,
  });

  router.route(controlApi.enrollAgent, async (ctx) =>
    guarded(async () => {
      const body = parseBody(EnrollAgentBody, ctx.body);
      const enrollment = randomBytes(16).toString('base64url');
      const row = await deps.metadata.access.enrollAgent({
        id: body.agentId,
        enrollment,
        host: body.host,
        version: body.version,
        tokenId: ctx.principal?.tokenId ?? null,
        enrolledBy: actorOf(ctx.principal).actor,
      });
      ctx.audit.target = `agent:${row.id}`;
      ctx.audit.detail = { host: row.host, version: row.version };
      return {
        body: {
          agentId: row.id,
          key: agentKey(deps.keys.master, row.id, enrollment).toString('base64url'),
          controlKey: deps.keys.signing.publicKeyText,
          jobKey: deps.keys.jobs.toString('base64url'),
          enrolledAt: row.enrolledAt,
        },
      };
    }),
  );

  router.route(controlApi.enrolledAgents, async () =>
    guarded(async () => ({
      body: { agents: (await deps.metadata.access.listEnrolledAgents()).map(view) },
    })),
  );

  router.route(controlApi.revokeAgent, async (ctx) =>
    guarded(async () => {
      await deps.metadata.access.revokeAgent(ctx.params.id as string);
      ctx.audit.target = `agent:${ctx.params.id}`;
      return undefined;
    }),
  );
}
