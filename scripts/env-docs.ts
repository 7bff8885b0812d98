// `npm run env-docs`: writes README's "Environment variables" tables from the schemas in
// packages/config (packages/config/src/readme.test.ts fails when they drift).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENV_SECTIONS } from '../packages/config/src/catalog.js';
import { envMarkdown, withEnvSection } from '../packages/config/src/docs.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
writeFileSync(readme, withEnvSection(readFileSync(readme, 'utf8'), envMarkdown(ENV_SECTIONS)));
process.stdout.write('README.md: environment variables written\n');
