// W3C baggage (https://www.w3.org/TR/baggage/) is a comma-separated list of
// `key=value;prop` members shared with other tools (OpenTelemetry puts its own entries
// there), so we only ever add, read or remove our own member and keep the rest verbatim.
import { BAGGAGE_KEY } from './tag.js';

function members(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
}

function keyOf(member: string): string {
  const eq = member.indexOf('=');
  return (eq < 0 ? member : member.slice(0, eq)).trim();
}

function memberValue(member: string): string {
  const eq = member.indexOf('=');
  const rest = eq < 0 ? '' : member.slice(eq + 1);
  const semi = rest.indexOf(';');
  const raw = (semi < 0 ? rest : rest.slice(0, semi)).trim();
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Our member's value, or undefined when absent. */
export function readShadowBaggage(header: string | undefined): string | undefined {
  const ours = members(header).filter((m) => keyOf(m) === BAGGAGE_KEY);
  // Two different loadline-shadow members is ambiguous: hand back both so the verifier
  // rejects the result as malformed rather than picking one.
  if (ours.length === 0) return undefined;
  return ours.map(memberValue).join(',');
}

/** The header without our member; undefined when nothing else was in it. */
export function removeShadowBaggage(header: string | undefined): string | undefined {
  const rest = members(header).filter((m) => keyOf(m) !== BAGGAGE_KEY);
  return rest.length > 0 ? rest.join(',') : undefined;
}

/** The header with our member set to `tag` (replacing any previous one). */
export function mergeShadowBaggage(header: string | undefined, tag: string): string {
  const rest = removeShadowBaggage(header);
  const ours = `${BAGGAGE_KEY}=${tag}`;
  return rest ? `${rest},${ours}` : ours;
}
