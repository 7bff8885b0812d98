// Checks of infra/ files read as text: no plain-text Redis URL anywhere, the Redis ACL
// template, the Dockerfile, and the ClickHouse cluster schema against the store's.

/**
 * No `redis://` (plain-text Redis) in any file of infra/ (`files`: path → text): control
 * and agents go through TLS, and an example with a plain URL is one someone copies.
 */
export function plainRedisUrlProblems(files) {
  const problems = [];
  for (const [path, text] of Object.entries(files)) {
    for (const [i, line] of text.split('\n').entries()) {
      if (/(^|[^s])redis:\/\//i.test(line.replace(/rediss:\/\//gi, '')))
        problems.push(`${path}:${i + 1}: plain-text redis:// URL (use rediss://): ${line.trim()}`);
    }
  }
  return problems;
}

/**
 * The Redis ACL template: `user` lines only (Redis's ACL files take no comments), the
 * default user off, and the two users the code connects as.
 */
export function aclTemplateProblems(text, where) {
  const problems = [];
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  for (const [i, line] of lines.entries()) {
    if (!line.startsWith('user ')) problems.push(`${where}:${i + 1}: not a user line: ${line}`);
  }
  if (!lines.includes('user default off')) problems.push(`${where}: needs "user default off"`);
  for (const user of ['control', 'agent']) {
    const line = lines.find((l) => l.startsWith(`user ${user} `));
    if (!line) problems.push(`${where}: no user ${user}`);
    else if (/\snopass(\s|$)/.test(line) || !/\s>\S/.test(line))
      problems.push(`${where}: user ${user} must have a password`);
    else if (
      /\s(allkeys|~\*|allcommands)(\s|$)/.test(line) ||
      (/\s\+@all(\s|$)/.test(line) && !/\s-@dangerous(\s|$)/.test(line))
    )
      problems.push(`${where}: user ${user} may touch every key or run every command`);
  }
  return problems;
}

/**
 * The image: its last stage runs as an unprivileged user, and it sets no listening address
 * or secret (the deployment decides; an image default of 0.0.0.0 is a public listener).
 */
export function dockerfileProblems(text, where) {
  const problems = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const lastStage = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  const users = lines.slice(lastStage).filter((l) => /^USER\s/i.test(l));
  const user = users.at(-1)?.split(/\s+/)[1];
  if (!user || /^(root|0)(:|$)/.test(user))
    problems.push(`${where}: the runtime stage must end with USER <unprivileged user>`);
  for (const line of lines.filter((l) => /^(ENV|ARG)\s/i.test(l))) {
    if (/LOADLINE_API=\S*(0\.0\.0\.0|\[::\])/.test(line))
      problems.push(`${where}: sets a wildcard LOADLINE_API; leave the listener to the deployment`);
    for (const name of [
      'LOADLINE_SHADOW_SECRET',
      'LOADLINE_ADMIN_PASSWORD',
      'LOADLINE_AGENT_TOKEN',
      'REDIS_URL',
    ])
      if (new RegExp(`\\b${name}[= ]`).test(line))
        problems.push(`${where}: bakes ${name} into the image`);
  }
  return problems;
}
