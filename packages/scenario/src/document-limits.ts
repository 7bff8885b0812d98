// Checks a parsed YAML document before it becomes data, in one pass over its nodes: keys
// unique per mapping (the `yaml` package compares each key with every earlier one, which is
// quadratic in a mapping's size), nesting bounded, and aliases neither too many nor
// expanding the document beyond MAX_EXPANDED_CHARS (a "billion laughs" is a few KB of
// text that expands to gigabytes). An anchored node's expanded size is computed once.
import { type ErrorCode, isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import { MAX_ALIASES, MAX_EXPANDED_CHARS, MAX_NESTING } from './limits.js';
import { formatPath } from './path.js';

type Located = { range?: [number, number, number] | null };

/** A problem of the document's shape: at which offset and path, and why. */
export interface DocumentProblem {
  offset: number;
  /** e.g. `flows[0].steps[2]`; empty for the whole document */
  path: string;
  message: string;
  /** As the `yaml` package would have classed it. */
  code: ErrorCode;
}

/** Bounds a walk checks; scenario text uses the defaults (see limits.ts). */
export interface DocumentLimits {
  /** The document's JSON form, aliases expanded, in characters. */
  maxExpandedChars?: number;
}

class DocumentWalk {
  readonly problems: DocumentProblem[] = [];
  /** Set when going on would only repeat the problem (or expand the bomb). */
  stopped = false;
  /** Characters of the document's JSON form, aliases expanded, so far. */
  expanded = 0;
  private aliases = 0;
  private deepReported = false;
  private readonly anchors = new Map<string, Node>();
  private readonly anchoredSizes = new Map<Node, number>();
  private readonly open = new Set<Node>();
  private readonly path: Array<string | number> = [];

  constructor(private readonly maxExpanded: number) {}

  /** The node's expanded size in characters; anchored nodes are remembered for aliases. */
  size(node: unknown, depth: number): number {
    if (this.stopped || node === null || node === undefined) return 4;
    if (isAlias(node)) return this.alias(node.source, node);
    if (depth > MAX_NESTING) {
      if (!this.deepReported) {
        this.fail(node, `nested deeper than ${MAX_NESTING} levels`, 'RESOURCE_EXHAUSTION', false);
      }
      this.deepReported = true;
      return 0;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) this.anchors.set(anchor, node as Node);
    this.open.add(node as Node);
    let size = 2;
    if (isScalar(node)) {
      size = String(node.value).length + 2;
      this.grow(size, node);
    } else if (isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        if (this.stopped) break;
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        this.path.push(key ?? '?');
        if (key !== undefined && keys.has(key)) {
          const shown = key.length > 80 ? `${key.slice(0, 80)}…` : key;
          this.fail(
            pair.key as Located,
            `duplicate key "${shown}": map keys must be unique`,
            'DUPLICATE_KEY',
            false,
          );
        }
        if (key !== undefined) keys.add(key);
        size += this.size(pair.key, depth + 1) + this.size(pair.value, depth + 1) + 2;
        this.path.pop();
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        this.path.push(index);
        size += this.size(item, depth + 1) + 1;
        this.path.pop();
      });
    }
    this.open.delete(node as Node);
    if (anchor) this.anchoredSizes.set(node as Node, size);
    return size;
  }

  private alias(name: string, node: Located): number {
    this.aliases++;
    if (this.aliases > MAX_ALIASES) {
      this.fail(node, `more than ${MAX_ALIASES} aliases`, 'RESOURCE_EXHAUSTION', true);
      return 0;
    }
    const target = this.anchors.get(name);
    // An unknown anchor is the parser's error, already reported.
    if (target === undefined) return 0;
    if (this.open.has(target)) {
      this.fail(node, `alias *${name} refers to a node that contains it`, 'BAD_ALIAS', true);
      return 0;
    }
    const size = this.anchoredSizes.get(target) ?? 0;
    this.grow(size, node);
    return size;
  }

  private grow(size: number, node: Located): void {
    this.expanded += size;
    if (this.expanded > this.maxExpanded) {
      this.fail(
        node,
        `aliases expand the document beyond ${Math.round(this.maxExpanded / (1024 * 1024))} MB; refused as an alias bomb`,
        'RESOURCE_EXHAUSTION',
        true,
      );
    }
  }

  private fail(
    node: Located | null | undefined,
    message: string,
    code: ErrorCode,
    stop: boolean,
  ): void {
    const offset = node?.range?.[0] ?? 0;
    this.problems.push({ offset, path: formatPath(this.path), message, code });
    if (stop) this.stopped = true;
  }
}

/** Every problem of the document's shape, each with its offset and path; [] if none. */
export function checkDocument(contents: unknown, limits: DocumentLimits = {}): DocumentProblem[] {
  const walk = new DocumentWalk(limits.maxExpandedChars ?? MAX_EXPANDED_CHARS);
  walk.size(contents, 1);
  return walk.problems;
}
