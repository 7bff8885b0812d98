import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { type Bundle, bundleScript } from './bundle.js';
import { type TransformedScript, transformModule } from './transform.js';

export interface CompiledScript extends TransformedScript {
  entry: string;
  /** what was compiled: esbuild's bundle (what the fleet ships to agents) */
  bundle: Bundle;
  /** Rewrites a stack's frames in the compiled script to the script's own files and lines. */
  mapStack(stack: string): string;
}

/** Bundles a k6 script (JS or TS) and makes it runnable without blocking. Throws ScriptError. */
export async function compileScript(
  entry: string,
  remoteCacheDir: string,
): Promise<CompiledScript> {
  return compileBundle(await bundleScript(entry, remoteCacheDir), entry);
}

/**
 * Makes a bundle runnable without blocking (an agent gets the bundle the CLI made). Throws
 * ScriptError naming the script's own file and line.
 */
export function compileBundle(bundle: Bundle, entry: string): CompiledScript {
  const map = new SourceMap(JSON.parse(bundle.map));
  const lineStarts = [0];
  for (let i = 0; i < bundle.code.length; i++) if (bundle.code[i] === '\n') lineStarts.push(i + 1);
  // Problems name the script's own file and line, not the bundle's.
  const where = (offset: number): string => {
    let line = 0;
    while (line + 1 < lineStarts.length && (lineStarts[line + 1] as number) <= offset) line++;
    return locate(line, offset - (lineStarts[line] as number));
  };
  const locate = (line: number, column: number): string => {
    const entry = map.findEntry(line, column) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
    };
    if (!entry.originalSource) return `line ${line + 1}`;
    const file = entry.originalSource.startsWith('file://')
      ? new URL(entry.originalSource).pathname
      : entry.originalSource;
    return `${relative(process.cwd(), file) || file}:${(entry.originalLine ?? 0) + 1}:${(entry.originalColumn ?? 0) + 1}`;
  };
  // The transform keeps the bundle's lines, so a frame's line maps through esbuild's map.
  const frame = new RegExp(`${escapeRegExp(entry)}:(\\d+):(\\d+)`, 'g');
  const mapStack = (stack: string) =>
    stack.replace(frame, (_, line: string, column: string) =>
      locate(Number(line) - 1, Number(column) - 1),
    );
  return { ...transformModule(bundle.code, where), entry, bundle, mapStack };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
