import { ConsoleEnv, parseEnv } from '@loadline/config';

let url: string | undefined;

/**
 * Where the control API answers: LOADLINE_API (ConsoleEnv), parsed once on the server at
 * the first request (when the console runs, not when it is built), never in the browser.
 */
export function controlUrl(): string {
  url ??= parseEnv(ConsoleEnv, process.env).LOADLINE_API.replace(/\/+$/, '');
  return url;
}
