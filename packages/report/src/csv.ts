import type { CapacityModel, Plan } from '@loadline/capacity';
import { type Cell, planSections } from './sections.js';

/** RFC 4180 quoting; numbers are written in full so a spreadsheet reads back what was planned. */
function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = typeof value === 'boolean' ? String(value) : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The plan as one CSV: each section is its name alone on a line, then a header row, then its
 * rows, with a blank line between sections. Unknown values are empty cells, never 0.
 */
export function planToCsv(plan: Plan, model?: CapacityModel): string {
  return planSections(plan, model)
    .map((section) =>
      [[section.name], section.columns.map((c) => c.header), ...section.rows]
        .map((row) => row.map(csvCell).join(','))
        .join('\r\n'),
    )
    .join('\r\n\r\n')
    .concat('\r\n');
}
