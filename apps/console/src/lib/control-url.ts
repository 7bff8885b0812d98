import { ConsoleEnv, listItems, parseEnv } from '@loadline/config';

let env: ConsoleEnv | undefined;

/**
 * The console server's environment (ConsoleEnv), parsed once on the server at the first
 * request (when the console runs, not when it is built), never in the browser.
 */
function consoleEnv(): ConsoleEnv {
  env ??= parseEnv(ConsoleEnv, process.env);
  return env;
}

/** Where the control API answers: LOADLINE_API. */
export function controlUrl(): string {
  return consoleEnv().LOADLINE_API.replace(/\/+$/, '');
}

/** Host names the console answers to besides loopback: LOADLINE_PUBLIC_HOSTS. */
export function publicHosts(): string[] {
  return listItems(consoleEnv().LOADLINE_PUBLIC_HOSTS);
}
