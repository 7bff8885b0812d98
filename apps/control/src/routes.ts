import { controlApi, openApiDocument } from '@loadline/api/http';
import { registerAgentRoutes } from './access/agents.js';
import { registerApprovalRoutes } from './access/approvals.js';
import { registerOidcRoutes } from './access/oidc.js';
import { registerAccessRoutes } from './access/routes.js';
import { registerSecretRoutes } from './access/secrets.js';
import { registerCatalogRoutes } from './api/catalog.js';
import type { RouteDeps } from './api/deps.js';
import { checkLaunch, launchRun } from './api/launch.js';
import { registerRunRoutes } from './api/runs.js';
import { registerCapacityRoutes } from './capacity-routes.js';
import { registerCorpusRoutes } from './corpora.js';
import { Router, type RouterAccess } from './http.js';

export { CreateRunBody } from '@loadline/api/http';
export type { Launcher } from './api/launch.js';
export { DISTRIBUTION_PERCENTILES } from './api/runs.js';
export { checkLaunch, launchRun, type RouteDeps };

/** The control API: every route of the contract (`@loadline/api/http`), served. */
export function buildRoutes(deps: RouteDeps, access: RouterAccess): Router {
  const { metadata, coordinator } = deps;
  const router = new Router(access);
  router.route(controlApi.health, async () => {
    const { active, leaderUrl } = deps.leadership();
    return {
      body: {
        ok: true as const,
        metadata: metadata.kind,
        activeRuns: coordinator.activeRuns.length,
        active,
        ...(leaderUrl === undefined ? {} : { activeControl: leaderUrl }),
      },
    };
  });
  const document = openApiDocument();
  router.route(controlApi.openApi, async () => ({ body: document }));
  registerCatalogRoutes(router, deps);
  registerRunRoutes(router, deps);
  registerCapacityRoutes(router, deps);
  registerCorpusRoutes(router, deps);
  registerAccessRoutes(router, deps);
  registerApprovalRoutes(router, deps);
  registerSecretRoutes(router, deps);
  registerAgentRoutes(router, deps);
  registerOidcRoutes(router, deps);
  return router;
}
