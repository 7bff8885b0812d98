import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Message, type Plugin } from 'esbuild';

/** The k6 modules Loadline implements; scripts import them as in k6. */
export const SUPPORTED_MODULES: ReadonlySet<string> = new Set([
  'k6',
  'k6/http',
  'k6/metrics',
  'k6/data',
  'k6/execution',
  'k6/encoding',
  'k6/crypto',
  'k6/html',
]);

/** Every problem found before the script ran, each naming the file and line. */
export class ScriptError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ScriptError';
    this.problems = problems;
  }
}

export interface Bundle {
  /** one ES module: imports of k6 modules at the top, the script and its local imports inlined */
  code: string;
  /** esbuild's source map of `code` back to the script's files */
  map: string;
}

/** Where a remote module (`https://jslib.k6.io/k6-utils/1.4.0/index.js`) is looked for. */
export function remoteModulePath(cacheDir: string, url: string): string {
  const parsed = new URL(url);
  return join(cacheDir, parsed.host, ...parsed.pathname.split('/').filter(Boolean));
}

function moduleResolver(remoteCacheDir: string): Plugin {
  return {
    name: 'k6-modules',
    setup(build) {
      build.onResolve({ filter: /^k6(\/|$)/ }, (args) =>
        SUPPORTED_MODULES.has(args.path)
          ? { path: args.path, external: true }
          : {
              errors: [
                {
                  text: `module "${args.path}" is not supported by Loadline's k6 runner (it supports ${[...SUPPORTED_MODULES].join(', ')})`,
                },
              ],
            },
      );
      build.onResolve({ filter: /^https?:\/\// }, (args) => ({
        path: args.path,
        namespace: 'remote',
      }));
      // Relative imports inside a remote module stay remote: resolve them against its URL.
      build.onResolve({ filter: /^\.\.?\//, namespace: 'remote' }, (args) => ({
        path: new URL(args.path, args.importer).href,
        namespace: 'remote',
      }));
      build.onLoad({ filter: /.*/, namespace: 'remote' }, async (args) => {
        const file = remoteModulePath(remoteCacheDir, args.path);
        try {
          return { contents: await readFile(file, 'utf8'), loader: 'js' };
        } catch {
          return {
            errors: [
              {
                text: `${args.path} is a remote module and agents have no internet: put a copy at ${file} (the k6 module cache, LOADLINE_K6_MODULES)`,
              },
            ],
          };
        }
      });
    },
  };
}

function describe(message: Message): string {
  const where = message.location
    ? `${message.location.file}:${message.location.line}:${message.location.column + 1}: `
    : '';
  return `${where}${message.text}`;
}

/**
 * Bundles the script and its local (and cached remote) imports into one ES module with
 * esbuild, TypeScript included; k6's own modules stay imports for the runner to provide.
 */
export async function bundleScript(entry: string, remoteCacheDir: string): Promise<Bundle> {
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      mainFields: ['module', 'main'],
      sourcemap: 'external',
      outfile: 'script.js',
      logLevel: 'silent',
      plugins: [moduleResolver(remoteCacheDir)],
    });
    const code = result.outputFiles.find((f) => f.path.endsWith('.js'));
    const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
    if (!code || !map) throw new ScriptError([`${entry}: esbuild produced no output`]);
    return { code: code.text, map: map.text };
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) throw new ScriptError(errors.map(describe));
    throw error;
  }
}
