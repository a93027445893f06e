#!/usr/bin/env bash
# Renders deploy/nginx/reos.conf.template into .state/nginx/conf/reos.conf,
# validates it with `nginx -t`, then starts nginx as our own daemon on
# 127.0.0.1:8000 (pid file .state/pids/nginx.pid) or, when ours is already
# running, reloads it. Part of `make up`; can be run on its own.
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_state_dirs

template="$REOS_ROOT/deploy/nginx/reos.conf.template"
static_root="$REOS_ROOT/frontend-placeholder"
conf_dir="$REOS_NGINX_PREFIX/conf"
conf="$conf_dir/reos.conf"
pidfile="$REOS_PIDS/nginx.pid"
mime_types=/etc/nginx/mime.types

command -v nginx >/dev/null 2>&1 || die "nginx is not installed (run scripts/dev/install-deps.sh)"
[[ -f "$mime_types" ]] || die "$mime_types not found (Debian's nginx-common provides it)"
[[ -f "$static_root/index.html" ]] || die "$static_root/index.html is missing"
mkdir -p "$conf_dir" "$REOS_NGINX_PREFIX"/tmp/{client_body,proxy,fastcgi,uwsgi,scgi} "$REOS_NGINX_PREFIX/logs"

# As root, nginx runs its workers as `nobody`; if nobody cannot read the
# static page (a repository under /root, say), run them as the repository's owner.
user_directive=""
if [[ $EUID -eq 0 ]] && ! runuser -u nobody -- test -r "$static_root/index.html" 2>/dev/null; then
	user_directive="user $(stat -c %U "$REOS_ROOT");"
fi

# sed replacement text: escape \, & and the | delimiter.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

sed -e "s|@USER_DIRECTIVE@|$(sed_escape "$user_directive")|" \
	-e "s|@PID_FILE@|$(sed_escape "$pidfile")|" \
	-e "s|@LOG_DIR@|$(sed_escape "$REOS_LOGS")|g" \
	-e "s|@MIME_TYPES@|$(sed_escape "$mime_types")|" \
	-e "s|@PREFIX@|$(sed_escape "$REOS_NGINX_PREFIX")|g" \
	-e "s|@GATEWAY@|127.0.0.1:${REOS_GATEWAY_PORT}|" \
	-e "s|@LISTEN@|127.0.0.1:${REOS_NGINX_PORT}|" \
	-e "s|@STATIC_ROOT@|$(sed_escape "$static_root")|" \
	"$template" >"$conf.new"
if grep -n '^[^#]*@[A-Z_]*@' "$conf.new"; then
	die "unreplaced placeholders in $conf.new (above)"
fi

if ! out="$(nginx -t -q -c "$conf.new" -p "$REOS_NGINX_PREFIX/" 2>&1)"; then
	printf '%s\n' "$out" >&2
	die "nginx rejected the generated config $conf.new"
fi
mv "$conf.new" "$conf"

if pid_alive "$pidfile" nginx; then
	kill -HUP "$(pid_of "$pidfile")"
	ok "nginx reloaded (pid $(pid_of "$pidfile"), http://127.0.0.1:${REOS_NGINX_PORT})"
	exit 0
fi
rm -f "$pidfile"
if port_open "$REOS_NGINX_PORT"; then
	die "port $REOS_NGINX_PORT is taken by a process we did not start: $(port_owner "$REOS_NGINX_PORT")"
fi
# `daemon on`: the master writes its own pid file once it has forked.
nginx -c "$conf" -p "$REOS_NGINX_PREFIX/" || die "nginx did not start; see $REOS_LOGS/nginx-error.log"
for ((i = 0; i < 50; i++)); do
	[[ -s "$pidfile" ]] && port_open "$REOS_NGINX_PORT" && break
	sleep 0.1
done
pid_alive "$pidfile" nginx || die "nginx did not start; see $REOS_LOGS/nginx-error.log"
ok "nginx running (pid $(pid_of "$pidfile"), http://127.0.0.1:${REOS_NGINX_PORT})"
