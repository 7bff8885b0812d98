// What crosses Redis is signed, so that a writer with Redis access alone can neither
// command an agent (shard jobs and run signals carry control's signature) nor speak for one
// (agents sign what they push with their own key). The keys stay with the callers: this
// package only carries signatures and refuses what does not verify.

/** Control's side: signs what agents obey. */
export interface ControlSigner {
  sign(text: string): string;
}

/** An agent's side: checks that what it is told to do comes from control. */
export interface ControlVerifier {
  verify(text: string, signature: string): boolean;
}

/** An enrolled agent: its id and its own key. */
export interface AgentSigner {
  agentId: string;
  sign(text: string): string;
}

/** Control's side: whether `agentId` is enrolled and signed `text`. */
export interface AgentVerifier {
  verify(agentId: string, text: string, signature: string): Promise<boolean>;
}

/** A signed payload as stored in Redis: `{"p": <payload text>, "s": <signature>}`. */
export function seal(payload: string, signer: ControlSigner): string {
  return JSON.stringify({ p: payload, s: signer.sign(payload) });
}

/** The payload text of a sealed value, or undefined when it is not sealed or not signed right. */
export function unseal(raw: unknown, verifier: ControlVerifier): string | undefined {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object') return undefined;
  const { p, s } = value as { p?: unknown; s?: unknown };
  if (typeof p !== 'string' || typeof s !== 'string') return undefined;
  return verifier.verify(p, s) ? p : undefined;
}
