/** Where the control API answers; read once per request on the server, never in the browser. */
export function controlUrl(): string {
  return (process.env.LOADLINE_API ?? 'http://127.0.0.1:7700').replace(/\/+$/, '');
}
