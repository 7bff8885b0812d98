import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Grant, permissionsOf, type Whoami } from '@loadline/api/http';
import { CHECKING, missing } from './permissions';

const whoami = (grant: Grant): Whoami => ({
  kind: 'user',
  name: 'someone',
  role: grant.role,
  environments: [...grant.environments],
  permissions: permissionsOf(grant),
  via: 'session',
  tokenId: null,
  expiresAt: null,
});

describe('missing', () => {
  const operator = whoami({ role: 'operator', environments: ['staging'] });

  it('names the permission, and the environment for an environment permission', () => {
    assert.equal(missing(operator, 'run.launch', 'staging'), undefined);
    assert.equal(missing(operator, 'run.launch', 'production'), 'needs run.launch in production');
    assert.equal(missing(operator, 'run.launch'), undefined, 'held somewhere');
    assert.equal(missing(operator, 'environment.write', 'staging'), 'needs environment.write');
  });

  it('lets an admin do everything, everywhere, and a viewer only read', () => {
    const admin = whoami({ role: 'admin', environments: [] });
    assert.equal(missing(admin, 'run.approve', 'production'), undefined);
    assert.equal(missing(admin, 'audit.read'), undefined);
    const viewer = whoami({ role: 'viewer', environments: [] });
    assert.equal(missing(viewer, 'read'), undefined);
    assert.equal(missing(viewer, 'run.launch'), 'needs run.launch');
    assert.equal(missing(viewer, 'scenario.write'), 'needs scenario.write');
  });

  it('offers nothing before it knows who is signed in', () => {
    assert.equal(missing(undefined, 'read'), CHECKING);
  });
});
