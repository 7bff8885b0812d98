/**
 * `text` with every occurrence of a secret value replaced by `***` (longest first, so a
 * secret that contains another is masked whole). What leaves a process that held secrets
 * (a log line, an abort reason) goes through this.
 */
export function maskSecrets(text: string, values: Iterable<string>): string {
  const secrets = [...new Set(values)]
    .filter((v) => v.length > 0)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}
