# shellcheck shell=bash disable=SC2034 # settings used by the scripts that source this file
# Shared functions and settings for the local stack scripts (make up / down /
# test / lint / build / bench). Source it; it does not run anything by itself.
#
# Everything the stack creates lives under .state/ in the repository:
#   .state/bin    built binaries          .state/pids   pid files of what WE started
#   .state/logs   one log per process     .state/keys   JWT signing key (dev only)
#   .state/nginx  nginx prefix (config, temp dirs)
#   .state/storage/<service>  uploaded files (pkg/storage's disk store)
# A pid file exists only for a process these scripts started, so `make down`
# never stops a Postgres, Redis or broker that was already running.

REOS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REOS_STATE="${REOS_STATE_DIR:-$REOS_ROOT/.state}"
REOS_BIN="$REOS_STATE/bin"
REOS_PIDS="$REOS_STATE/pids"
REOS_LOGS="$REOS_STATE/logs"
REOS_KEYS="$REOS_STATE/keys"
REOS_NGINX_PREFIX="$REOS_STATE/nginx"

# Ports can be overridden from the environment (the e2e harness runs nginx.sh
# with its own REOS_STATE_DIR, REOS_NGINX_PORT and REOS_GATEWAY_PORT).
#
# Dev-only credentials. The owner role `reos` is a SUPERUSER with password
# `reos`, and each service logs in as `<name>_svc` with password `<name>_svc`.
# Never reuse these outside this machine.
REOS_PG_HOST=127.0.0.1
REOS_PG_PORT="${REOS_PG_PORT:-5432}"
REOS_PG_OWNER_URL="postgres://reos:reos@${REOS_PG_HOST}:${REOS_PG_PORT}/reos?sslmode=disable"
REOS_PG_ADMIN_URL="postgres://reos:reos@${REOS_PG_HOST}:${REOS_PG_PORT}/postgres?sslmode=disable"
REOS_REDIS_PORT="${REOS_REDIS_PORT:-6379}"
REOS_REDIS_URL="redis://127.0.0.1:${REOS_REDIS_PORT}/0"
REOS_BROKER_PORT="${REOS_BROKER_PORT:-19092}"
REOS_KAFKA_BROKERS="127.0.0.1:${REOS_BROKER_PORT}"
REOS_NGINX_PORT="${REOS_NGINX_PORT:-8000}"
REOS_GATEWAY_PORT="${REOS_GATEWAY_PORT:-8080}"
REOS_IDENTITY_PORT="${REOS_IDENTITY_PORT:-8101}"
REOS_JWT_KEY="$REOS_KEYS/jwt-signing.pem"
REOS_JWKS_URL="http://127.0.0.1:${REOS_IDENTITY_PORT}/.well-known/jwks.json"
# The demo organisation identity's seed creates (a fixed id: app.DemoOrgID);
# the other services seed their demo data into it (SEED_ORG_ID).
REOS_DEMO_ORG_ID=01900000-0000-7000-8000-000000000001

# The services, in start order (identity first: everyone else fetches its JWKS;
# the gateway last: it fronts the others). One line per service:
#   name|module dir|cmd path (relative to the module)|port|extra env (space separated KEY=VALUE)
# The name doubles as the Postgres login role `<name>_svc`, the group role
# `<name>_app` (created by the service's first migration), the binary name in
# .state/bin and the pid/log file name. Every service also gets the common
# environment from service_env. Adding a service is one line here.
REOS_SERVICES=(
	"identity|services/identity|./cmd/identity|${REOS_IDENTITY_PORT}|JWT_PRIVATE_KEY_PATH=${REOS_JWT_KEY}"
	"property|services/property|./cmd/property|8102|STORAGE_DIR=${REOS_STATE}/storage/property"
	"crm|services/crm|./cmd/crm|8103|"
	"outreach|services/outreach|./cmd/outreach|8104|PUBLIC_BASE_URL=http://127.0.0.1:${REOS_NGINX_PORT}"
	# "portfolio|services/portfolio|./cmd/portfolio|8105|"
	# "platform|services/platform|./cmd/platform|8106|"
	"gateway|gateway|./cmd/gateway|${REOS_GATEWAY_PORT}|GATEWAY_UPSTREAMS=identity=http://127.0.0.1:${REOS_IDENTITY_PORT},property=http://127.0.0.1:8102,crm=http://127.0.0.1:8103,outreach=http://127.0.0.1:8104"
)

# Binaries that are tools rather than services (built by `make build` too).
#   name|module dir|cmd path
REOS_TOOLS=(
	"devbroker|tools/devbroker|."
	"smtpsink|tools/smtpsink|."
)

# ---------------------------------------------------------------------------
# Output

if [[ -t 1 ]]; then
	_c_bold=$'\e[1m' _c_red=$'\e[31m' _c_yel=$'\e[33m' _c_grn=$'\e[32m' _c_off=$'\e[0m'
else
	_c_bold='' _c_red='' _c_yel='' _c_grn='' _c_off=''
fi

log() { printf '%s==>%s %s\n' "$_c_bold" "$_c_off" "$*"; }
ok() { printf '%s ok%s %s\n' "$_c_grn" "$_c_off" "$*"; }
warn() { printf '%sWARN%s %s\n' "$_c_yel" "$_c_off" "$*" >&2; }
die() {
	printf '%sERROR%s %s\n' "$_c_red" "$_c_off" "$*" >&2
	exit 1
}

# ---------------------------------------------------------------------------
# Environment

# ensure_go puts Go on PATH (the machine has it at /usr/local/go) together with
# GOPATH/bin (staticcheck), or fails with a clear message.
ensure_go() {
	if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
		PATH="/usr/local/go/bin:$PATH"
	fi
	command -v go >/dev/null 2>&1 ||
		die "Go is not installed (expected /usr/local/go/bin/go or go on PATH); install Go $(sed -n 's/^go //p' "$REOS_ROOT/go.work") first"
	local gobin
	gobin="$(go env GOPATH)/bin"
	case ":$PATH:" in *":$gobin:"*) ;; *) PATH="$PATH:$gobin" ;; esac
	export PATH
}

ensure_state_dirs() {
	mkdir -p "$REOS_BIN" "$REOS_PIDS" "$REOS_LOGS" "$REOS_KEYS" "$REOS_NGINX_PREFIX"
	chmod 700 "$REOS_KEYS"
}

# is_ci is true under CI (.ci/run exports CI=1).
is_ci() { [[ -n "${CI:-}" ]]; }

# as_root runs a command as root: directly when we are root, through sudo when
# it is available, otherwise fails.
as_root() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -- "$@"
	else
		die "need root for: $* (run as root or install sudo)"
	fi
}

# as_postgres runs a command as the postgres OS user (peer authentication).
as_postgres() {
	if [[ $EUID -eq 0 ]]; then
		runuser -u postgres -- "$@"
	elif [[ "$(id -un)" == postgres ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -u postgres -- "$@"
	else
		return 1
	fi
}

# ---------------------------------------------------------------------------
# Service table

# svc_field LINE INDEX prints one |-separated field of a REOS_SERVICES line.
svc_field() {
	local IFS='|'
	# shellcheck disable=SC2206 # split on | on purpose
	local f=($1)
	printf '%s' "${f[$2]:-}"
}

svc_names() {
	local line
	for line in "${REOS_SERVICES[@]}"; do svc_field "$line" 0; echo; done
}

# svc_line NAME prints the table line of a service (empty if unknown).
svc_line() {
	local line
	for line in "${REOS_SERVICES[@]}"; do
		[[ "$(svc_field "$line" 0)" == "$1" ]] && { printf '%s' "$line"; return 0; }
	done
	return 1
}

# svc_cmd_dir LINE prints the absolute cmd directory of a service/tool line.
svc_cmd_dir() {
	local mod cmd
	mod="$(svc_field "$1" 1)"
	cmd="$(svc_field "$1" 2)"
	(cd "$REOS_ROOT/$mod" 2>/dev/null && cd "$cmd" 2>/dev/null && pwd) || printf '%s/%s/%s' "$REOS_ROOT" "$mod" "${cmd#./}"
}

# svc_present LINE is true when the service's cmd directory holds Go code, i.e.
# the binary can be built. A missing one is skipped with a warning (other
# helpers add services over time); one that exists is never skipped.
svc_present() {
	local dir
	dir="$(svc_cmd_dir "$1")"
	[[ -d "$dir" ]] && compgen -G "$dir/*.go" >/dev/null
}

# svc_db_url NAME prints the connection string of the service's login role.
svc_db_url() {
	printf 'postgres://%s_svc:%s_svc@%s:%s/reos?sslmode=disable' "$1" "$1" "$REOS_PG_HOST" "$REOS_PG_PORT"
}

# service_env LINE prints the environment of a service, one KEY=VALUE a line:
# the common variables, then the line's own (which win).
service_env() {
	local line="$1" name port extra kv
	name="$(svc_field "$line" 0)"
	port="$(svc_field "$line" 3)"
	extra="$(svc_field "$line" 4)"
	echo "MODE=mock"
	echo "LOG_LEVEL=${LOG_LEVEL:-info}"
	echo "HTTP_ADDR=127.0.0.1:${port}"
	echo "DATABASE_URL=$(svc_db_url "$name")"
	echo "REDIS_URL=${REOS_REDIS_URL}"
	echo "KAFKA_BROKERS=${REOS_KAFKA_BROKERS}"
	# identity signs the tokens and serves the JWKS; everyone else fetches it.
	[[ "$name" != identity ]] && echo "JWKS_URL=${REOS_JWKS_URL}"
	echo "SEED_ORG_ID=${REOS_DEMO_ORG_ID}"
	for kv in $extra; do echo "$kv"; done
}

# ---------------------------------------------------------------------------
# Processes

# pid_of FILE prints the pid in a pid file (nothing if missing/empty).
pid_of() {
	[[ -s "$1" ]] && tr -dc '0-9' <"$1"
}

# pid_alive FILE [NAME] is true when the pid file names a live process whose
# command line mentions NAME (guards against a recycled pid).
pid_alive() {
	local pid
	pid="$(pid_of "$1")"
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
	[[ -z "${2:-}" ]] && return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

# port_open PORT is true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# port_owner PORT describes the process listening on PORT (best effort).
port_owner() {
	if command -v ss >/dev/null 2>&1; then
		ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:(\(.*\))/\1/p' | head -n1
	fi
}

# start_daemon NAME LOGFILE ENVFILE CMD... starts CMD in its own session, in the
# background, detached from the terminal, with the environment lines of ENVFILE
# added ("-" for none). The pid file is written by the process itself just
# before it execs CMD, so it names CMD and not a wrapper shell (see TOOLING.md).
start_daemon() {
	local name="$1" logfile="$2" envfile="$3"
	shift 3
	local pidfile="$REOS_PIDS/$name.pid"
	rm -f "$pidfile"
	local -a envs=()
	if [[ "$envfile" != - ]]; then
		mapfile -t envs <"$envfile"
	fi
	# shellcheck disable=SC2016 # $$ and $@ expand in the child shell
	setsid nohup env "${envs[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
		>>"$logfile" 2>&1 </dev/null &
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -s "$pidfile" ]] && return 0
		sleep 0.1
	done
	die "$name did not start (no pid file); see $logfile"
}

# stop_pidfile FILE [NAME]: SIGTERM the process the pid file names, wait up to
# 10 s, then SIGKILL; removes the pid file. A stale file is just removed.
stop_pidfile() {
	local file="$1" name="${2:-$(basename "$1" .pid)}" pid i
	pid="$(pid_of "$file")"
	if [[ -z "$pid" ]] || ! pid_alive "$file" "$name"; then
		[[ -e "$file" ]] && echo "   $name: not running (removing stale pid file)"
		rm -f "$file"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		warn "$name (pid $pid) did not stop within 10 s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$file"
	echo "   $name: stopped (pid $pid)"
}

# wait_http NAME URL LOGFILE [TIMEOUT] [PIDFILE]: waits until URL answers 2xx
# (giving up early if PIDFILE names a process that has exited); on failure
# prints the last answer and the last log lines of the component and fails.
wait_http() {
	local name="$1" url="$2" logfile="$3" timeout="${4:-${REOS_READY_TIMEOUT:-90}}" pidfile="${5:-}"
	local deadline=$((SECONDS + timeout)) body="" why="not ready after ${timeout}s"
	while ((SECONDS < deadline)); do
		if body="$(curl -fsS --max-time 3 "$url" 2>&1)"; then
			ok "$name ready ($url)"
			return 0
		fi
		if [[ -n "$pidfile" ]] && ! pid_alive "$pidfile"; then
			why="exited before it was ready"
			break
		fi
		sleep 0.5
	done
	printf '%sERROR%s %s %s (%s)\n' "$_c_red" "$_c_off" "$name" "$why" "$url" >&2
	printf '   last answer: %s\n' "$body" >&2
	if [[ -n "$logfile" && -f "$logfile" ]]; then
		printf '   last lines of %s:\n' "$logfile" >&2
		# Only this run's part of the log: from the last "--- <name> <cmd>" marker.
		awk '/^--- / { n = 0 } { buf[n++] = $0 } END { for (i = 0; i < n; i++) print buf[i] }' "$logfile" |
			tail -n 40 | sed 's/^/   | /' >&2
	fi
	return 1
}

# go_modules prints the module directories of go.work, one a line, relative to
# the repository root.
go_modules() {
	(cd "$REOS_ROOT" && go work edit -json | jq -r '.Use[].DiskPath' | sed 's|^\./||')
}

# build_one NAME MODULE_DIR CMD_PATH builds one binary into .state/bin/NAME.
# Inside the workspace, so local changes to pkg/ are picked up.
# REOS_BUILD_COVER=1 (make test sets it) builds them instrumented for coverage
# of every workspace package they link: a binary started with GOCOVERDIR set
# writes its counters there when it exits, so the end-to-end suite counts too.
build_one() {
	local name="$1" mod="$2" cmd="$3" flags=()
	if [[ -n "${REOS_BUILD_COVER:-}" ]]; then
		flags=(-cover -coverpkg=reos.dev/...)
	fi
	(cd "$REOS_ROOT/$mod" && go build "${flags[@]}" -o "$REOS_BIN/$name" "$cmd")
}

# module_empty DIR is true when a go.work module holds no packages yet (a new
# module with only go.mod); go vet/test would fail on it with "matched no packages".
module_empty() {
	(cd "$REOS_ROOT/$1" && go list -e ./... 2>&1) | grep -q 'matched no packages'
}

# REOS_GOTESTSUM_VERSION is the gotestsum that make test runs the suites with.
REOS_GOTESTSUM_VERSION=v1.13.0

# ensure_gotestsum installs the pinned gotestsum into GOPATH/bin (on PATH after
# ensure_go) when it is missing or another version.
ensure_gotestsum() {
	if command -v gotestsum >/dev/null 2>&1 &&
		[[ "$(gotestsum --version 2>/dev/null)" == *"${REOS_GOTESTSUM_VERSION#v}"* ]]; then
		return 0
	fi
	log "installing gotestsum $REOS_GOTESTSUM_VERSION"
	(cd / && GOWORK=off go install "gotest.tools/gotestsum@$REOS_GOTESTSUM_VERSION") ||
		die "go install gotest.tools/gotestsum@$REOS_GOTESTSUM_VERSION failed"
}

# REOS_GOSEC_VERSION is the security linter make lint runs on every module.
REOS_GOSEC_VERSION=v2.30.0

# ensure_gosec installs the pinned gosec into GOPATH/bin (on PATH after
# ensure_go) when it is missing or another version, and fails when it
# cannot. A `go install` build reports its version as "dev", so the version
# is read from the module information in the binary.
ensure_gosec() {
	local bin
	if bin="$(command -v gosec 2>/dev/null)" &&
		[[ "$(go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3 }')" == "$REOS_GOSEC_VERSION" ]]; then
		return 0
	fi
	log "installing gosec $REOS_GOSEC_VERSION (go install github.com/securego/gosec/v2/cmd/gosec@$REOS_GOSEC_VERSION)"
	(cd / && GOWORK=off go install "github.com/securego/gosec/v2/cmd/gosec@$REOS_GOSEC_VERSION") || return 1
	bin="$(command -v gosec 2>/dev/null)" &&
		[[ "$(go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3 }')" == "$REOS_GOSEC_VERSION" ]]
}

# ensure_spectral installs the pinned Spectral CLI (tools/spectral) that the
# end-to-end tests use to lint the merged OpenAPI document, when its
# node_modules is missing or older than the lock file.
ensure_spectral() {
	local dir="$REOS_ROOT/tools/spectral"
	command -v npm >/dev/null 2>&1 || die "npm is missing: Node.js 20 with npm is needed for the OpenAPI lint"
	if [[ ! -x "$dir/node_modules/.bin/spectral" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
		log "installing the Spectral CLI (tools/spectral)"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in tools/spectral failed"
	fi
}
