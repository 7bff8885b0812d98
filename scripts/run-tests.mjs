#!/usr/bin/env node
// Runs the test tiers with Node's own test runner (TypeScript through tsx):
//   unit  src/**/*.test.ts (not .int.)   fast, no I/O beyond memory
//   int   src/**/*.int.test.ts           real servers, sockets, files
//   e2e   test/**/*.test.ts              real processes end to end
// `node scripts/run-tests.mjs [unit|int|e2e]...` picks tiers; default is all, in that order.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tiers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = tiers.length > 0 ? tiers : ['unit', 'int', 'e2e'];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const sourceTests = ['apps', 'packages'].flatMap((d) => walk(join(root, d)));
const byTier = {
  unit: sourceTests.filter((f) => !f.endsWith('.int.test.ts')),
  int: sourceTests.filter((f) => f.endsWith('.int.test.ts')),
  e2e: walk(join(root, 'test')),
};
const files = [];
for (const tier of selected) {
  if (!byTier[tier]) {
    console.error(`unknown test tier "${tier}" (expected unit, int or e2e)`);
    process.exit(2);
  }
  files.push(...byTier[tier].sort());
}
console.error(`running ${files.length} test files: ${selected.join(', ')}`);
for (const f of files) console.error(`  ${relative(root, f)}`);

// One file at a time: integration tests measure rates and latencies, and on a 2-core
// machine two of them at once would measure each other.
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
