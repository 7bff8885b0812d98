// A small PostgreSQL lexer: enough to tell identifiers, keywords and punctuation apart
// from string literals, dollar-quoted bodies, comments and numbers — so a table name
// inside a string or a comment is never touched. Not a parser.
export type TokenKind =
  | 'word' // unquoted identifier or keyword (value is lower-cased, as Postgres folds it)
  | 'qident' // "quoted identifier" (value is the exact name)
  | 'dot'
  | 'comma'
  | 'lparen'
  | 'rparen'
  | 'semi'
  | 'star'
  | 'other' // operators, params, literals
  | 'skip'; // whitespace and comments

export interface Token {
  kind: TokenKind;
  text: string;
  value: string;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD = /[A-Za-z0-9_$\u0080-\uffff]*/y;
const NUMBER = /[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\.?/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y;
const PARAM = /\$[0-9]+/y;

function match(re: RegExp, sql: string, at: number): string | undefined {
  re.lastIndex = at;
  const m = re.exec(sql);
  return m ? m[0] : undefined;
}

/** End index (exclusive) of a quoted run starting at `at`; doubled quotes escape. */
function quotedEnd(sql: string, at: number, quote: string, backslash: boolean): number {
  let i = at + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslash && c === '\\') i += 2;
    else if (c === quote && sql[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return sql.length; // unterminated: let the server report it
}

function blockCommentEnd(sql: string, at: number): number {
  let depth = 0;
  let i = at;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

const SINGLE: Record<string, TokenKind> = {
  '.': 'dot',
  ',': 'comma',
  '(': 'lparen',
  ')': 'rparen',
  ';': 'semi',
  '*': 'star',
};

export function lex(sql: string): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, start: number, end: number, value?: string) => {
    const text = sql.slice(start, end);
    tokens.push({ kind, text, value: value ?? text });
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      push('skip', i, j);
      i = j;
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      const j = nl < 0 ? sql.length : nl;
      push('skip', i, j);
      i = j;
    } else if (c === '/' && next === '*') {
      const j = blockCommentEnd(sql, i);
      push('skip', i, j);
      i = j;
    } else if (c === "'") {
      const j = quotedEnd(sql, i, "'", false);
      push('other', i, j);
      i = j;
    } else if ((c === 'e' || c === 'E') && next === "'") {
      const j = quotedEnd(sql, i + 1, "'", true);
      push('other', i, j);
      i = j;
    } else if (c === '"') {
      const j = quotedEnd(sql, i, '"', false);
      push('qident', i, j, sql.slice(i + 1, j - 1).replaceAll('""', '"'));
      i = j;
    } else if (c === '$') {
      const param = match(PARAM, sql, i);
      const tag = param ? undefined : match(DOLLAR_TAG, sql, i);
      if (param) {
        push('other', i, i + param.length);
        i += param.length;
      } else if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        const j = close < 0 ? sql.length : close + tag.length;
        push('other', i, j);
        i = j;
      } else {
        push('other', i, i + 1);
        i++;
      }
    } else if (WORD_START.test(c)) {
      const j = i + 1 + (match(WORD, sql, i + 1)?.length ?? 0);
      push('word', i, j, sql.slice(i, j).toLowerCase());
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && next !== undefined && /[0-9]/.test(next))) {
      const n = match(NUMBER, sql, i) ?? c;
      push('other', i, i + n.length);
      i += n.length;
    } else {
      push(SINGLE[c] ?? 'other', i, i + 1);
      i++;
    }
  }
  return tokens;
}
