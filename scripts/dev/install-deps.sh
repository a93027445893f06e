#!/usr/bin/env bash
# Installs the Debian packages the local stack needs, and only those that are
# missing: `apt-get update` runs once, and only when something is missing.
# Go is not installed here: the machine must already have it.
# Services are never enabled or started by the packages: nginx and Redis are
# started by infra-up.sh / up.sh as our own processes, Postgres with pg_ctlcluster.
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_go

# package|command that proves it is there ("" = ask dpkg only)
REQUIRED=(
	"postgresql|"
	"postgresql-contrib|"
	"redis-server|redis-server"
	"nginx|nginx"
	"kcat|kcat"
	"wrk|wrk"
	"haproxy|haproxy"
	"curl|curl"
	"openssl|openssl"
	"ca-certificates|"
	"jq|jq"
	"nodejs|node"
	"npm|npm"
)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for entry in "${REQUIRED[@]}"; do
	pkg="${entry%%|*}"
	cmd="${entry#*|}"
	if command -v dpkg-query >/dev/null 2>&1; then
		installed "$pkg" && continue
	fi
	[[ -n "$cmd" ]] && command -v "$cmd" >/dev/null 2>&1 && continue
	missing+=("$pkg")
done

# PostgreSQL binaries must exist in Debian's layout (pg_ctlcluster needs them).
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
	[[ " ${missing[*]} " == *" postgresql "* ]] || missing+=(postgresql)
fi

if ((${#missing[@]} == 0)); then
	ok "system packages present"
	exit 0
fi

command -v apt-get >/dev/null 2>&1 ||
	die "missing: ${missing[*]}; this script installs them on Debian/Ubuntu only (apt-get not found)"

log "installing missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Keep package scripts from starting daemons (there is no systemd; we start
# what we need ourselves). Only if the machine has no policy yet, and removed
# again on exit.
created_policy=""
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	as_root sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
	created_policy=1
fi
cleanup() {
	if [[ -n "$created_policy" ]]; then as_root rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
ok "installed: ${missing[*]}"
