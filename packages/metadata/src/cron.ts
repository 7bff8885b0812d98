/**
 * Check of cron expressions as BullMQ repeatable jobs take them (cron-parser): five fields
 * (minute hour day-of-month month day-of-week), each a list of `*`, values, ranges `a-b` and
 * steps `x/n`; month and weekday names; `?`, `L` and `n#k` where cron-parser allows them; and
 * the macros @yearly … @hourly. A seconds field is refused (a schedule launches load at most
 * once a minute), and so is a date that never comes (`0 0 31 2 *`).
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
  if (parts.length === 6) {
    return [
      'a seconds field is not allowed: a schedule fires at most once a minute (use 5 fields: minute hour day-of-month month day-of-week)',
    ];
  }
  if (parts.length !== 5) {
    return [`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`];
  }
  const problems: string[] = [];
  parts.forEach((part, i) => {
    const field = FIELDS[i]!;
    for (const item of part.split(',')) {
      const problem = item === '' ? `empty item in "${part}"` : itemProblem(item, field);
      if (problem) problems.push(`${field.name}: ${problem}`);
    }
  });
  if (problems.length === 0 && neverFires(parts[2]!, parts[3]!, parts[4]!)) {
    problems.push(
      `day of month ${parts[2]} never falls in month ${parts[3]}: the schedule would never fire`,
    );
  }
  return problems;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The values a field's list stands for (valid items only; `*` is every value). */
function valuesOf(part: string, field: Field): number[] {
  const out = new Set<number>();
  for (const item of part.split(',')) {
    const [range = '', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    const [lowText = '', highText] = range.split('-');
    const low = range === '*' ? field.min : value(lowText, field);
    const high =
      range === '*' || (stepText !== undefined && highText === undefined)
        ? field.max
        : highText === undefined
          ? low
          : value(highText, field);
    if (low === undefined || high === undefined) continue;
    for (let v = low; v <= high; v += step) out.add(v);
  }
  return [...out];
}

/**
 * Whether a day of month / month pair never exists (31 February). Only when the weekday is
 * unrestricted: with both set, cron fires on either.
 */
function neverFires(dayOfMonth: string, month: string, dayOfWeek: string): boolean {
  if (dayOfWeek !== '*' && dayOfWeek !== '?') return false;
  if (/[?L]/i.test(dayOfMonth)) return false;
  const days = valuesOf(dayOfMonth, FIELDS[2]!);
  const months = valuesOf(month, FIELDS[3]!);
  if (days.length === 0 || months.length === 0) return false;
  const first = Math.min(...days);
  return months.every((m) => first > (DAYS_IN_MONTH[m - 1] ?? 31));
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
