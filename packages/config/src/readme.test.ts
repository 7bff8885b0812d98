import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ENV_SECTIONS } from './catalog.js';
import { BEGIN, END, envMarkdown, envRows, withEnvSection } from './docs.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

describe('README "Environment variables"', () => {
  const readme = readFileSync(README, 'utf8');

  it('lists every variable of every process schema', () => {
    const block = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END));
    const missing = ENV_SECTIONS.flatMap((section) =>
      envRows(section.schema)
        .filter((row) => !block.includes(`| \`${row.variable}\` |`))
        .map((row) => `${section.title}: ${row.variable}`),
    );
    assert.deepEqual(missing, [], 'missing from README: run `npm run env-docs`');
  });

  it('is the table generated from the schemas (npm run env-docs writes it)', () => {
    assert.equal(readme, withEnvSection(readme, envMarkdown(ENV_SECTIONS)));
  });

  it('every variable has a description and a shown default', () => {
    for (const section of ENV_SECTIONS) {
      for (const row of envRows(section.schema)) {
        assert.ok(row.description.length > 10, `${section.title} ${row.variable}`);
        assert.ok(row.default.length > 0, `${section.title} ${row.variable}`);
      }
    }
    const cli = envRows(ENV_SECTIONS[0]!.schema);
    assert.equal(cli.find((r) => r.variable === 'LOADLINE_API')?.default, 'http://127.0.0.1:7700');
    assert.equal(cli.find((r) => r.variable === 'LOADLINE_NAMESPACE')?.default, 'loadline');
  });
});
