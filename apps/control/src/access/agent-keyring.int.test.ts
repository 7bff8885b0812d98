import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { agentKey, hmac } from '@loadline/access';
import { type AccessStore, MetadataStore } from '@loadline/metadata';
import { AgentKeyring } from './agent-keyring.js';

const MASTER = 'keyring-test-master-secret-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AgentKeyring (embedded Postgres)', () => {
  let metadata: MetadataStore;
  /** the real store, its reads counted */
  let access: AccessStore;
  const reads = { all: 0, one: 0 };

  const enroll = (id: string, enrollment: string) =>
    metadata.access.enrollAgent({
      id,
      enrollment,
      host: 'h',
      version: '0',
      tokenId: null,
      enrolledBy: 'test',
    });
  const signed = (id: string, enrollment: string, text: string) =>
    hmac(agentKey(MASTER, id, enrollment), text);

  before(async () => {
    metadata = await MetadataStore.open();
    await metadata.migrate();
    const real = metadata.access;
    access = new Proxy(real, {
      get(target, name, receiver) {
        if (name === 'listEnrolledAgents') reads.all++;
        if (name === 'findEnrolledAgent') reads.one++;
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    for (let i = 0; i < 200; i++) await enroll(`agent-${i}`, `nonce-${i}`);
  });
  after(() => metadata.close());

  it('checks a fleet with one read of every enrollment, not one per agent or message', async () => {
    const keyring = new AgentKeyring(access, MASTER);
    reads.all = reads.one = 0;
    for (let round = 0; round < 3; round++) {
      const checks = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          keyring.verify(
            `agent-${i}`,
            `m${round}`,
            signed(`agent-${i}`, `nonce-${i}`, `m${round}`),
          ),
        ),
      );
      assert.ok(checks.every(Boolean));
    }
    assert.deepEqual(reads, { all: 1, one: 0 });
    // Signed with another key, or by an id nobody enrolled: no.
    assert.equal(await keyring.verify('agent-1', 'x', signed('agent-1', 'nonce-2', 'x')), false);
    assert.equal(await keyring.verify('ghost', 'x', signed('ghost', 'n', 'x')), false);
  });

  it('sees a new enrollment at once, a re-enrollment at once, a revocation within two seconds', async () => {
    const keyring = new AgentKeyring(access, MASTER);
    assert.equal(await keyring.verify('agent-0', 'a', signed('agent-0', 'nonce-0', 'a')), true);
    await enroll('newcomer', 'n1');
    assert.equal(await keyring.verify('newcomer', 'a', signed('newcomer', 'n1', 'a')), true);
    // Enrolled again: the old key is retired, the new one works (after the 250 ms recheck).
    await enroll('agent-0', 'nonce-0b');
    await sleep(300);
    assert.equal(await keyring.verify('agent-0', 'b', signed('agent-0', 'nonce-0b', 'b')), true);
    assert.equal(await keyring.verify('agent-0', 'c', signed('agent-0', 'nonce-0', 'c')), false);
    await metadata.access.revokeAgent('agent-5');
    await sleep(2100);
    assert.equal(await keyring.verify('agent-5', 'e', signed('agent-5', 'nonce-5', 'e')), false);
  });
});
