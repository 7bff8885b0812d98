import type { Cell, ColumnKind } from './sections.js';

/** A cell as a person reads it: QPS to whole requests, shares as percentages, unknown as "—". */
export function formatCell(value: Cell, kind: ColumnKind): string {
  if (value === null || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  switch (kind) {
    case 'percent':
      return `${(value * 100).toFixed(1)}%`;
    case 'ratio':
      return Number(value.toPrecision(4)).toString();
    case 'ms':
      return value.toFixed(1);
    case 'qps':
      return Math.round(value).toLocaleString('en-US');
    default:
      return String(value);
  }
}
