import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Where process.env may be read: each process's entry point, and why the others may. */
const ALLOWED = new Map([
  ['apps/cli/src/main.ts', 'the CLI: CliEnv, once; the rest handed on for children and ${VAR}'],
  ['apps/demo-mall/src/main.ts', 'the demo mall: DemoMallEnv, once'],
  ['apps/demo-mall/src/payment-main.ts', 'the payment child: DemoPaymentEnv, once'],
  ['apps/demo-mall/src/payment-process.ts', 'hands the environment on to the payment child'],
  ['apps/console/src/lib/control-url.ts', 'the console server: ConsoleEnv, once'],
  ['packages/shadow/src/register.ts', "the shadow preload inside users' services: ShadowEnv"],
  ['packages/metadata/src/test-backends.ts', 'test helper: which Postgres the tests use'],
]);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'fixtures' || name.startsWith('.'))
      continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(path);
  }
  return out;
}

function readsEnv(text: string): boolean {
  return text
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .some((line) => /\bprocess\.env\b/.test(line));
}

describe('environment readers', () => {
  it('nothing but the entry points reads process.env (the rest gets parsed config)', () => {
    const readers = ['apps', 'packages']
      .flatMap((top) => readdirSync(join(ROOT, top)).map((name) => join(ROOT, top, name, 'src')))
      .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory())
      .flatMap((dir) => sources(dir))
      .filter((file) => readsEnv(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file).split('\\').join('/'));
    assert.deepEqual(
      readers.filter((file) => !ALLOWED.has(file)),
      [],
      'read the variable through its process schema in packages/config instead',
    );
  });
});
