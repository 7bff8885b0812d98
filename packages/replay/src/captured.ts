import type { Header } from './corpus.js';

/**
 * A request as a format parser reads it, before sanitising and remapping: absolute time,
 * and every header (credentials still there, so the session key can be derived from them).
 */
export interface CapturedRequest {
  /** 1-based line of the record in the source file. */
  line: number;
  /** Epoch milliseconds (fractional for sub-ms captures). */
  timeMs: number;
  method: string;
  path: string;
  host?: string;
  headers: Header[];
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
  sessionKey: string;
}

/** What every format parser returns; bad records go to the IssueLog it was given. */
export interface ParsedCapture {
  requests: CapturedRequest[];
  /** Good records not replayed, by reason. */
  excluded: Record<string, number>;
}

export function countExcluded(excluded: Record<string, number>, reason: string): void {
  excluded[reason] = (excluded[reason] ?? 0) + 1;
}

export function headerValue(headers: readonly Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of headers) if (key.toLowerCase() === lower) return value;
  return undefined;
}
