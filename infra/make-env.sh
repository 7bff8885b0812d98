#!/bin/sh
# Writes infra/.env for infra/compose.yaml: the first admin's password, the master secret,
# the Redis users' passwords and the Postgres and ClickHouse passwords, each random.
#
#   sh infra/make-env.sh [FILE]        # default: .env next to this script
#
# Refuses to overwrite FILE (exit 2): LOADLINE_SHADOW_SECRET must never change once control
# has started (environment secrets and agent keys are sealed with keys derived from it),
# and the database passwords are set when their volumes are first made.
# LOADLINE_AGENT_TOKEN is left for the second step of the first start (see compose.yaml).
set -eu

file=${1:-$(dirname "$0")/.env}
if [ -e "$file" ]; then
  echo "make-env: $file exists; not overwriting it (the master secret in it must never change)" >&2
  exit 2
fi

# 32 random bytes as 64 hex digits: safe unescaped in URLs and in Redis ACL rules.
random() {
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

umask 077
cat >"$file" <<EOF
# Made by infra/make-env.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Secrets: keep this file out of
# version control and backups you would not trust with the data itself.

# The first admin (user "admin"): \`loadline login --api http://127.0.0.1:7700\`.
LOADLINE_ADMIN_PASSWORD=$(random | cut -c1-24)

# Control's master secret. NEVER change it: stored environment secrets, agent keys and
# control's signing key are derived from it; a new one makes them unreadable.
LOADLINE_SHADOW_SECRET=$(random)

# Redis ACL users (infra/redis/users.acl.template).
LOADLINE_REDIS_CONTROL_PASSWORD=$(random)
LOADLINE_REDIS_AGENT_PASSWORD=$(random)

# Postgres and ClickHouse (used when their volumes are first made).
LOADLINE_PG_PASSWORD=$(random)
LOADLINE_CH_PASSWORD=$(random)

# Second step of the first start: an admin makes it once control runs,
#   npx loadline token create --api http://127.0.0.1:7700 --role agent --name compose-agents --expires 366d
# LOADLINE_AGENT_TOKEN=llt_…
EOF
echo "make-env: wrote $file (the admin password is in it)" >&2
