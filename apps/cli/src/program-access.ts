import type { Command } from 'commander';
import { API_ENV } from './api-env.js';
import type { CliEnvReader } from './env.js';

// The access commands: login, logout, whoami, token, user, audit, approve, refuse, secret.
// Their module loads only when one of them runs.

const load = () => import('./commands/access.js');

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function addAccessCommands(
  program: Command,
  setExit: (code: number) => void,
  env: CliEnvReader,
): void {
  const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  const apiEnv = () => env(...API_ENV);

  program
    .command('login')
    .description(
      'Sign in to a control API: asks for the password (or takes --token) and stores an API token for it in ~/.config/loadline/credentials.json',
    )
    .option('--api <url>', 'control API (default $LOADLINE_API)')
    .option('--user <name>', 'user name (default admin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--token <token>', 'store this API token instead of signing in with a password')
    .option('--expires <lifetime>', 'how long the stored token lives (default 30d, at most 366d)')
    .option('--json', 'print { api, user, role, environments, credentials }')
    .action(async (options) => setExit(await (await load()).runLogin(options, io, await apiEnv())));

  program
    .command('logout')
    .description('Revoke the stored token for a control API and forget it')
    .option('--api <url>', 'control API (default $LOADLINE_API)')
    .action(async (options) =>
      setExit(await (await load()).runLogout(options, io, await apiEnv())),
    );

  program
    .command('whoami')
    .description('Who control takes you for: user, role, environments')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (options) =>
      setExit(await (await load()).runWhoami(options, io, await apiEnv())),
    );

  const token = program.command('token').description('API tokens (for CI and agents)');
  token
    .command('create')
    .description('Make a token; it is printed once (stored as a hash)')
    .option('--role <role>', 'viewer | author | operator | admin | agent')
    .option('--environment <name>', "an operator token's environment (repeatable)", collect)
    .option('--expires <lifetime>', 'e.g. 30d (default), 12h; at most 366d')
    .option('--name <name>', 'what the token is for')
    .option('--api <url>', 'control API')
    .option('--json', 'print { id, token, role, expiresAt }')
    .action(async (options) =>
      setExit(await (await load()).runTokenCreate(options, io, await apiEnv())),
    );
  token
    .command('list')
    .description('Your tokens (every token, for an admin): never their secrets')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (options) =>
      setExit(await (await load()).runTokenList(options, io, await apiEnv())),
    );
  token
    .command('revoke')
    .description('Revoke a token')
    .argument('<id>', 'token id (tok_…)')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (id: string, options) =>
      setExit(await (await load()).runTokenRevoke(id, options, io, await apiEnv())),
    );

  const user = program.command('user').description('Users and their roles (admins)');
  user
    .command('list')
    .description('Users, roles and environments')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (options) =>
      setExit(await (await load()).runUserList(options, io, await apiEnv())),
    );
  user
    .command('set')
    .description('Create or change a user (a new one needs --password-stdin)')
    .argument('<name>', 'user name')
    .option('--role <role>', 'viewer | author | operator | admin')
    .option('--environment <name>', "an operator's environment (repeatable; * for all)", collect)
    .option('--password-stdin', 'read a new password from standard input')
    .option('--disable', 'disable the user: sessions end, tokens stop working')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (name: string, options) =>
      setExit(await (await load()).runUserSet(name, options, io, await apiEnv())),
    );

  program
    .command('audit')
    .description('The audit log, newest first (admins)')
    .option('--actor <actor>', 'e.g. user:alice')
    .option('--action <action>', 'e.g. run.launch, or run.*')
    .option('--outcome <outcome>', 'ok | denied | invalid | failed')
    .option('--since <time>', 'ISO 8601 date or instant')
    .option('--limit <n>', 'at most this many (default 100, at most 500)')
    .option('--api <url>', 'control API')
    .option('--json', 'print { events, nextCursor }')
    .action(async (options) => setExit(await (await load()).runAudit(options, io, await apiEnv())));

  for (const decision of ['approve', 'refuse'] as const) {
    program
      .command(decision)
      .description(
        decision === 'approve'
          ? 'Approve a launch waiting in a protected environment (a second operator, never the one who asked)'
          : 'Refuse a launch waiting for approval',
      )
      .argument('<run>', 'run id')
      .option('--reason <text>', decision === 'approve' ? 'why (optional)' : 'why (required)')
      .option('--api <url>', 'control API')
      .option('--json', 'print the run as JSON')
      .action(async (runId: string, options) =>
        setExit(await (await load()).runDecision(runId, decision, options, io, await apiEnv())),
      );
  }

  const secret = program
    .command('secret')
    .description("An environment's secrets, used in scenarios as ${secrets.NAME} (write-only)");
  secret
    .command('set')
    .description('Set a secret: its value is read from standard input (or asked for)')
    .argument('<environment>', 'environment name')
    .argument('<name>', 'secret name, e.g. API_TOKEN')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (environment: string, name: string, options) =>
      setExit(await (await load()).runSecretSet(environment, name, options, io, await apiEnv())),
    );
  secret
    .command('list')
    .description("An environment's secret names (never values)")
    .argument('<environment>', 'environment name')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (environment: string, options) =>
      setExit(await (await load()).runSecretList(environment, options, io, await apiEnv())),
    );
  secret
    .command('rm')
    .description('Remove a secret')
    .argument('<environment>', 'environment name')
    .argument('<name>', 'secret name')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (environment: string, name: string, options) =>
      setExit(await (await load()).runSecretRemove(environment, name, options, io, await apiEnv())),
    );
}
