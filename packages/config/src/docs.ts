// The README's "Environment variables" tables, generated from the schemas.
import type { z } from 'zod';

export interface EnvSection {
  /** heading, e.g. "control" */
  title: string;
  /** one line under the heading: which command or process this is */
  about: string;
  schema: z.ZodObject;
}

export interface EnvRow {
  variable: string;
  default: string;
  description: string;
}

function defaultOf(schema: z.ZodType, meta: Record<string, unknown>): string {
  if (typeof meta.default === 'string') return meta.default;
  const unset = schema.safeParse(undefined);
  if (!unset.success) return 'required';
  return unset.data === undefined ? '—' : String(unset.data);
}

/** One row per variable of `schema`; a variable without a description is an error. */
export function envRows(schema: z.ZodObject): EnvRow[] {
  return Object.entries(schema.shape).map(([variable, field]) => {
    const meta = (field as z.ZodType).meta() ?? {};
    if (typeof meta.description !== 'string' || meta.description === '') {
      throw new Error(`${variable}: no description (add .meta({ description }))`);
    }
    return {
      variable,
      default: defaultOf(field as z.ZodType, meta),
      description: meta.description,
    };
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

function code(text: string): string {
  return /^(—|required)$/.test(text) || /\s/.test(text) ? text : `\`${text}\``;
}

/** Markdown: a heading and a table per section. */
export function envMarkdown(sections: EnvSection[]): string {
  return sections
    .map((section) =>
      [
        `### ${section.title}`,
        '',
        section.about,
        '',
        '| Variable | Default | Meaning |',
        '|---|---|---|',
        ...envRows(section.schema).map(
          (row) =>
            `| \`${row.variable}\` | ${cell(code(row.default))} | ${cell(row.description)} |`,
        ),
      ].join('\n'),
    )
    .join('\n\n');
}

export const BEGIN = '<!-- env:begin (generated from packages/config: npm run env-docs) -->';
export const END = '<!-- env:end -->';

/** `readme` with the text between the markers replaced by `generated`. */
export function withEnvSection(readme: string, generated: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README has no ${BEGIN} … ${END} block`);
  return `${readme.slice(0, begin + BEGIN.length)}\n${generated}\n${readme.slice(end)}`;
}
