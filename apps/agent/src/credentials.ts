import type { KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import { hmac, publicKeyFromText, signatureMatches } from '@loadline/access';
import { ControlApiClient, controlApi } from '@loadline/api/http';
import type { AgentSigner, ControlVerifier } from '@loadline/queue';

/** What an enrolled agent holds: who it is, and the keys it works with. */
export interface AgentCredentials {
  agentId: string;
  /** signs what it pushes to Redis (HMAC) */
  key: Buffer;
  /** control's public key: shard jobs and signals must carry its signature */
  controlKey: KeyObject;
  /** opens secrets sealed into shard jobs */
  jobKey: Buffer;
}

/**
 * Enrolls with control over its API (`POST /agents/enroll`, an agent token): control
 * records this agent and hands it its keys. The agent id is kept: a new enrollment of the
 * same id retires the old key.
 */
export async function enrollAgent(
  api: string,
  token: string,
  agentId: string,
  version: string,
): Promise<AgentCredentials> {
  const client = new ControlApiClient(api.replace(/\/+$/, ''), {
    headers: { authorization: `Bearer ${token}` },
  });
  const enrollment = await client.call(controlApi.enrollAgent, {
    body: { agentId, host: hostname().slice(0, 255), version },
  });
  return {
    agentId: enrollment.agentId,
    key: Buffer.from(enrollment.key, 'base64url'),
    controlKey: publicKeyFromText(enrollment.controlKey),
    jobKey: Buffer.from(enrollment.jobKey, 'base64url'),
  };
}

export function agentSigner(credentials: AgentCredentials): AgentSigner {
  return { agentId: credentials.agentId, sign: (text) => hmac(credentials.key, text) };
}

export function controlVerifier(credentials: AgentCredentials): ControlVerifier {
  return {
    verify: (text, signature) => signatureMatches(credentials.controlKey, text, signature),
  };
}
