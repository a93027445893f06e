#!/usr/bin/env bash
# `make lint`: gofmt (no file may need formatting), go vet and staticcheck over
# every module in go.work. staticcheck is installed with `go install` when
# missing; if that fails (no module proxy), lint says so and goes on with vet.
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_go

mapfile -t modules < <(go_modules)
problems=()

log "gofmt"
unformatted="$(cd "$REOS_ROOT" && gofmt -l "${modules[@]}" 2>&1)" || true
if [[ -n "$unformatted" ]]; then
	printf '%s\n' "$unformatted" | sed 's/^/   needs gofmt: /'
	problems+=(gofmt)
else
	ok "gofmt clean"
fi

staticcheck_ok=""
if command -v staticcheck >/dev/null 2>&1; then
	staticcheck_ok=1
else
	log "installing staticcheck (go install honnef.co/go/tools/cmd/staticcheck@latest)"
	if go install honnef.co/go/tools/cmd/staticcheck@latest && command -v staticcheck >/dev/null 2>&1; then
		staticcheck_ok=1
	else
		warn "could not install staticcheck; linting with gofmt and go vet only"
	fi
fi

for mod in "${modules[@]}"; do
	if module_empty "$mod"; then
		warn "module $mod has no packages yet; skipped"
		continue
	fi
	log "go vet ($mod)"
	(cd "$REOS_ROOT/$mod" && go vet ./...) || problems+=("vet:$mod")
	if [[ -n "$staticcheck_ok" ]]; then
		log "staticcheck ($mod)"
		(cd "$REOS_ROOT/$mod" && staticcheck ./...) || problems+=("staticcheck:$mod")
	fi
done

if ((${#problems[@]} > 0)); then
	die "lint failed: ${problems[*]}"
fi
ok "lint clean"
