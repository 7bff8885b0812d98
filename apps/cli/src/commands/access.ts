import { hostname } from 'node:os';
import type { Whoami } from '@loadline/api/http';
import type { ApiEnv } from '../api-env.js';
import { ApiProblem, ControlClient, controlApi } from '../control-client.js';
import { credentialsPath, saveCredential } from '../credentials.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { askHidden, readStdin } from '../secret-input.js';

// Who may do what, from the command line: sign in (a token stored per API URL), tokens for
// CI, users and roles, the audit log, four-eyes approvals and environment secrets.

export interface AccessIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

const print = (io: AccessIo, json: boolean | undefined, value: unknown, text: string) =>
  io.stdout.write(json ? `${JSON.stringify(value)}\n` : text);

/** A refusal from control as one line (exit 2), naming each refused field. */
async function refusedAs<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    const fields = (error.problem.errors ?? [])
      .map((e) => `${(e as { field?: string }).field ?? ''}: ${e.message}`)
      .join('; ');
    throw new UsageError(undefined, `${what}: ${error.message}${fields ? ` (${fields})` : ''}`);
  }
}

export async function runLogin(
  options: {
    api?: string;
    user?: string;
    passwordStdin?: boolean;
    token?: string;
    expires?: string;
    json?: boolean;
  },
  io: AccessIo,
  env: ApiEnv,
): Promise<number> {
  const api = (options.api ?? env.LOADLINE_API).replace(/\/+$/, '');
  const path = credentialsPath(env.XDG_CONFIG_HOME);
  let token: string;
  if (options.token !== undefined) {
    token = options.token;
  } else {
    const username = options.user ?? 'admin';
    const password = options.passwordStdin
      ? await readStdin(io.stdin)
      : await askHidden(
          `password for ${username} at ${api}: `,
          io,
          'pipe it with --password-stdin, or give an API token with --token',
        );
    const issued = await refusedAs('sign-in', () =>
      new ControlClient(api).call(controlApi.tokenSignIn, {
        body: {
          username,
          password,
          name: `loadline login on ${hostname()}`,
          ...(options.expires ? { expires: options.expires } : {}),
        },
      }),
    );
    token = issued.token;
  }
  const me = await refusedAs('the token', () =>
    new ControlClient(api, token).call(controlApi.whoami),
  );
  saveCredential(path, api, {
    token,
    ...(me.tokenId ? { tokenId: me.tokenId } : {}),
    user: me.name,
    role: me.role,
    savedAt: new Date().toISOString(),
  });
  print(
    io,
    options.json,
    { api, user: me.name, role: me.role, environments: me.environments, credentials: path },
    `signed in to ${api} as ${describe(me)}; token saved in ${path}\n`,
  );
  return ExitCode.passed;
}

export async function runLogout(options: { api?: string }, io: AccessIo, env: ApiEnv) {
  const api = options.api ?? env.LOADLINE_API;
  const client = ControlClient.for(api, env);
  // The token itself is revoked too, when control still knows it.
  const me = await client.call(controlApi.whoami).catch(() => undefined);
  if (me?.tokenId) {
    await client.call(controlApi.revokeToken, { params: { id: me.tokenId } }).catch(() => {});
  }
  saveCredential(credentialsPath(env.XDG_CONFIG_HOME), api, undefined);
  io.stdout.write(`signed out of ${api}\n`);
  return ExitCode.passed;
}

function describe(me: Whoami): string {
  const where =
    me.role === 'operator' ? ` of ${me.environments.join(', ') || 'no environment'}` : '';
  return `${me.name} (${me.role}${where}${me.kind === 'token' ? `, token ${me.tokenId}` : ''})`;
}

export async function runWhoami(
  options: { api?: string; json?: boolean },
  io: AccessIo,
  env: ApiEnv,
) {
  const me = await ControlClient.for(options.api, env).call(controlApi.whoami);
  print(io, options.json, me, `${describe(me)}\n`);
  return ExitCode.passed;
}

/** `--environment` values, repeatable and comma-separable. */
const environmentsOf = (values: string[] | undefined) =>
  values?.flatMap((v) =>
    v
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean),
  );

export async function runTokenCreate(
  options: {
    api?: string;
    role?: string;
    environment?: string[];
    expires?: string;
    name?: string;
    json?: boolean;
  },
  io: AccessIo,
  env: ApiEnv,
) {
  if (!options.role) throw new UsageError('--role', 'viewer, author, operator, admin or agent');
  const environments = environmentsOf(options.environment);
  const issued = await refusedAs('token', () =>
    ControlClient.for(options.api, env).call(controlApi.createToken, {
      body: {
        role: options.role as never,
        ...(environments ? { environments } : {}),
        ...(options.expires ? { expires: options.expires } : {}),
        ...(options.name ? { name: options.name } : {}),
      },
    }),
  );
  print(
    io,
    options.json,
    {
      id: issued.id,
      token: issued.token,
      role: issued.role,
      expiresAt: issued.expiresAt,
      environments: issued.environments,
      name: issued.name,
    },
    `${issued.token}\n`,
  );
  if (!options.json) {
    io.stderr.write(
      `token ${issued.id} (${issued.role}${issued.environments.length ? ` of ${issued.environments.join(', ')}` : ''}), expires ${issued.expiresAt ?? 'never'}: shown once, keep it in your CI's secrets\n`,
    );
  }
  return ExitCode.passed;
}

export async function runTokenList(
  options: { api?: string; json?: boolean },
  io: AccessIo,
  env: ApiEnv,
) {
  const { tokens } = await ControlClient.for(options.api, env).call(controlApi.listTokens);
  const text = tokens
    .map(
      (t) =>
        `${t.id}  ${t.role.padEnd(8)}  ${(t.revokedAt ? 'revoked' : t.expiresAt && new Date(t.expiresAt) < new Date() ? 'expired' : 'live').padEnd(7)}  ${t.owner ?? '-'}  ${t.name}  last used ${t.lastUsedAt ?? 'never'}\n`,
    )
    .join('');
  print(io, options.json, { tokens }, text || 'no tokens\n');
  return ExitCode.passed;
}

export async function runTokenRevoke(
  id: string,
  options: { api?: string; json?: boolean },
  io: AccessIo,
  env: ApiEnv,
) {
  await refusedAs(`token ${id}`, () =>
    ControlClient.for(options.api, env).call(controlApi.revokeToken, { params: { id } }),
  );
  print(io, options.json, { id, revoked: true }, `revoked ${id}\n`);
  return ExitCode.passed;
}

export async function runUserList(
  options: { api?: string; json?: boolean },
  io: AccessIo,
  env: ApiEnv,
) {
  const { users } = await ControlClient.for(options.api, env).call(controlApi.listUsers);
  const text = users
    .map(
      (u) =>
        `${u.name.padEnd(20)} ${u.role.padEnd(8)} ${u.role === 'operator' ? u.environments.join(',') : ''}${u.disabled ? ' (disabled)' : ''}  ${u.source}\n`,
    )
    .join('');
  print(io, options.json, { users }, text);
  return ExitCode.passed;
}

export async function runUserSet(
  name: string,
  options: {
    api?: string;
    role?: string;
    environment?: string[];
    passwordStdin?: boolean;
    disable?: boolean;
    json?: boolean;
  },
  io: AccessIo,
  env: ApiEnv,
) {
  if (!options.role) throw new UsageError('--role', 'viewer, author, operator or admin');
  const password = options.passwordStdin ? await readStdin(io.stdin) : undefined;
  const user = await refusedAs(`user ${name}`, () =>
    ControlClient.for(options.api, env).call(controlApi.putUser, {
      params: { name },
      body: {
        role: options.role as never,
        environments: environmentsOf(options.environment) ?? [],
        ...(password === undefined ? {} : { password }),
        disabled: options.disable === true,
      },
    }),
  );
  print(
    io,
    options.json,
    user,
    `${user.name}: ${user.role}${user.role === 'operator' ? ` of ${user.environments.join(', ')}` : ''}${user.disabled ? ' (disabled)' : ''}\n`,
  );
  return ExitCode.passed;
}

export async function runAudit(
  options: {
    api?: string;
    actor?: string;
    action?: string;
    outcome?: string;
    since?: string;
    limit?: string;
    json?: boolean;
  },
  io: AccessIo,
  env: ApiEnv,
) {
  const page = await refusedAs('audit', () =>
    ControlClient.for(options.api, env).call(controlApi.listAudit, {
      query: {
        actor: options.actor,
        action: options.action,
        outcome: options.outcome,
        from: options.since,
        limit: options.limit,
      },
    }),
  );
  const text = page.events
    .map(
      (e) =>
        `${e.at}  ${e.outcome.padEnd(7)}  ${e.action.padEnd(18)}  ${e.actor}  ${e.target ?? ''}  from ${e.source}\n`,
    )
    .join('');
  print(io, options.json, page, text || 'no events\n');
  return ExitCode.passed;
}

export async function runDecision(
  runId: string,
  decision: 'approve' | 'refuse',
  options: { api?: string; reason?: string; json?: boolean },
  io: AccessIo,
  env: ApiEnv,
) {
  if (decision === 'refuse' && !options.reason) throw new UsageError('--reason', 'say why');
  const client = ControlClient.for(options.api, env);
  const route = decision === 'approve' ? controlApi.approveRun : controlApi.refuseRun;
  const run = await refusedAs(`${decision} ${runId}`, () =>
    client.call(route, {
      params: { id: runId },
      body: (options.reason ? { reason: options.reason } : {}) as never,
    }),
  );
  print(
    io,
    options.json,
    run,
    `run ${run.id} ${run.status}${run.abortReason ? `: ${run.abortReason}` : ''}\n`,
  );
  return ExitCode.passed;
}

export async function runSecretSet(
  environment: string,
  name: string,
  options: { api?: string; json?: boolean },
  io: AccessIo,
  env: ApiEnv,
) {
  // The value comes on standard input (or the prompt), never as an argument: no `ps`, no
  // shell history.
  const value = io.stdin.isTTY
    ? await askHidden(`value of ${environment}/${name}: `, io, 'pipe the value on standard input')
    : await readStdin(io.stdin);
  const info = await refusedAs(`secret ${name}`, () =>
    ControlClient.for(options.api, env).call(controlApi.putSecret, {
      params: { name: environment, secret: name },
      body: { value },
    }),
  );
  print(io, options.json, info, `${environment}/${info.name} set\n`);
  return ExitCode.passed;
}

export async function runSecretList(
  environment: string,
  options: { api?: string; json?: boolean },
  io: AccessIo,
  env: ApiEnv,
) {
  const list = await refusedAs(`environment ${environment}`, () =>
    ControlClient.for(options.api, env).call(controlApi.listSecrets, {
      params: { name: environment },
    }),
  );
  print(
    io,
    options.json,
    list,
    list.secrets
      .map((s) => `${s.name}  updated ${s.updatedAt} by ${s.updatedBy ?? '-'}\n`)
      .join('') || 'no secrets\n',
  );
  return ExitCode.passed;
}

export async function runSecretRemove(
  environment: string,
  name: string,
  options: { api?: string; json?: boolean },
  io: AccessIo,
  env: ApiEnv,
) {
  await refusedAs(`secret ${name}`, () =>
    ControlClient.for(options.api, env).call(controlApi.deleteSecret, {
      params: { name: environment, secret: name },
    }),
  );
  print(io, options.json, { environment, name, removed: true }, `${environment}/${name} removed\n`);
  return ExitCode.passed;
}
