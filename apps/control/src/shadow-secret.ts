// The secret behind shadow tags. Control signs each shadow run's tag with its
// environment's secret; services verify with the same secret and treat anything else as
// production. One master secret per installation (LOADLINE_SHADOW_SECRET, or generated
// once into the data directory), and per environment a key derived from it, so a service
// in staging holds a key that cannot sign tags production services would trust.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'shadow-secret';

/** The master secret: as configured, else the one in `dataDir`, else a new one saved there. */
export function loadMasterSecret(configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) {
    if (configured.length < 16) throw new Error('LOADLINE_SHADOW_SECRET: at least 16 characters');
    return configured;
  }
  const path = join(dataDir, FILE);
  try {
    const stored = readFileSync(path, 'utf8').trim();
    if (stored.length >= 16) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // wx: two controls starting on one data directory must not overwrite each other's secret.
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(path, 'utf8').trim();
  }
}

/** The key services of environment `name` verify tags with (LOADLINE_SHADOW_SECRET there). */
export function environmentSecret(master: string, name: string): string {
  return createHmac('sha256', master)
    .update(`loadline-shadow-environment:${name}`)
    .digest('base64url');
}
