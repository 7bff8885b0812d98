#!/bin/sh
# Renders Redis's ACL file from users.acl.template: the key namespace and the passwords of
# the `control` and `agent` users come from the environment.
#
#   LOADLINE_NAMESPACE=loadline REDIS_CONTROL_PASSWORD=… REDIS_AGENT_PASSWORD=… \
#     sh infra/redis/render-acl.sh infra/redis/users.acl.template users.acl
#
# Passwords: at least 32 characters of A-Z a-z 0-9 _ - (`openssl rand -hex 32`), because
# they go into rediss:// URLs unescaped and an ACL rule ends at whitespace. The namespace
# becomes part of the users' key patterns, so glob characters (* ? [) are refused: they
# would widen what a user may touch. Placeholders (CHANGE_ME) are refused too. Any refusal
# is exit 2 naming the variable, and OUT is left as it was.
#
# Runs in compose's redis-init service and in the Kubernetes Redis pod's init container
# (infra/k8s/redis.yaml holds a copy that infra/check.mjs keeps equal to this file).
set -eu

fail() {
  echo "render-acl: $*" >&2
  exit 2
}

password() { # NAME VALUE
  case $2 in
  '') fail "$1 is not set (make one with: openssl rand -hex 32)" ;;
  *CHANGE_ME*) fail "$1 is still the placeholder CHANGE_ME" ;;
  *[!A-Za-z0-9_-]*) fail "$1 may hold only A-Z a-z 0-9 _ - (it goes into a rediss:// URL as is)" ;;
  esac
  [ "${#2}" -ge 32 ] || fail "$1 has ${#2} characters; use at least 32"
}

[ "$#" -eq 2 ] || fail "usage: render-acl.sh TEMPLATE OUT"
template=$1
out=$2
[ -r "$template" ] || fail "cannot read the template $template"

namespace=${LOADLINE_NAMESPACE:-loadline}
case $namespace in
*[!A-Za-z0-9_.-]*) fail "LOADLINE_NAMESPACE \"$namespace\" may hold only A-Z a-z 0-9 . _ -" ;;
esac
control=${REDIS_CONTROL_PASSWORD:-}
agent=${REDIS_AGENT_PASSWORD:-}
password REDIS_CONTROL_PASSWORD "$control"
password REDIS_AGENT_PASSWORD "$agent"
[ "$control" != "$agent" ] || fail "REDIS_CONTROL_PASSWORD and REDIS_AGENT_PASSWORD are the same: an agent could sign in as control"

# The file holds passwords in clear: for its owner only, and complete or not at all.
umask 077
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
sed -e 's/\${NAMESPACE}/'"$namespace"'/g' \
  -e 's/\${CONTROL_PASSWORD}/'"$control"'/g' \
  -e 's/\${AGENT_PASSWORD}/'"$agent"'/g' \
  "$template" >"$tmp"
if grep -n '\${' "$tmp" >&2; then
  fail "$template has a placeholder this script does not fill (above)"
fi
mv -f "$tmp" "$out"
trap - EXIT
