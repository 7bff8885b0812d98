/**
 * Syntax check for cron expressions as BullMQ repeatable jobs take them (cron-parser):
 * five fields (minute hour day-of-month month day-of-week) or six with seconds first,
 * each a list of `*`, values, ranges `a-b` and steps `x/n`; month and weekday names; `?`,
 * `L` and `n#k` where cron-parser allows them; and the macros @yearly … @hourly.
 * It checks syntax and ranges only; when a schedule fires is the scheduler's business.
 */

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Extra tokens the field allows besides numbers and names. */
  special?: RegExp;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const SECOND: Field = { name: 'second', min: 0, max: 59 };
const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, special: /^(\?|L)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS, special: /^(\?|[0-7]L|[0-7]#[1-5])$/ },
];
const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly']);

function value(text: string, field: Field): number | undefined {
  if (/^[0-9]{1,2}$/.test(text)) {
    const n = Number(text);
    return n >= field.min && n <= field.max ? n : undefined;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) return undefined;
  return field.names === MONTHS ? index + 1 : index;
}

function itemProblem(item: string, field: Field): string | undefined {
  if (field.special?.test(item.toUpperCase())) return undefined;
  const [range = '', step, ...extra] = item.split('/');
  if (extra.length > 0) return `"${item}" has more than one "/"`;
  if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) {
    return `step "/${step}" is not a positive number`;
  }
  if (range === '*') return undefined;
  const [low = '', high, ...more] = range.split('-');
  if (more.length > 0) return `"${range}" is not a range`;
  const lowValue = value(low, field);
  if (lowValue === undefined) return `"${low}" is not a ${field.name} (${field.min}-${field.max})`;
  if (high === undefined) return undefined;
  const highValue = value(high, field);
  if (highValue === undefined)
    return `"${high}" is not a ${field.name} (${field.min}-${field.max})`;
  return highValue < lowValue ? `range "${range}" runs backwards` : undefined;
}

/** Every problem with `expression`, empty when it is a valid cron expression. */
export function cronProblems(expression: string): string[] {
  const text = expression.trim();
  if (MACROS.has(text.toLowerCase())) return [];
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== 5 && parts.length !== 6) {
    return [
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got ${parts.length}`,
    ];
  }
  const fields = parts.length === 6 ? [SECOND, ...FIELDS] : FIELDS;
  const problems: string[] = [];
  parts.forEach((part, i) => {
    const field = fields[i]!;
    for (const item of part.split(',')) {
      const problem = item === '' ? `empty item in "${part}"` : itemProblem(item, field);
      if (problem) problems.push(`${field.name}: ${problem}`);
    }
  });
  return problems;
}

/** Whether `zone` is an IANA time zone this runtime knows (e.g. "Asia/Shanghai", "UTC"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
