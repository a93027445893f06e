#!/usr/bin/env bash
# `make lint`: gofmt (no file may need formatting), go vet, staticcheck and
# the security linter gosec (pinned, REOS_GOSEC_VERSION in lib.sh) over every
# module in go.work. gosec runs per module with its defaults (test files
# excluded); an exception is made where the code is, as
# `// #nosec Gxxx -- reason`, never by excluding a rule or a path here.
# staticcheck and gosec are installed with `go install` when missing (gosec
# also when another version is installed); if that fails (no module proxy),
# lint says so and goes on without it.
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

gosec_ok=""
if ensure_gosec; then
	gosec_ok=1
else
	warn "could not install gosec $REOS_GOSEC_VERSION; linting without the security checks"
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
	if [[ -n "$gosec_ok" ]]; then
		log "gosec ($mod)"
		(cd "$REOS_ROOT/$mod" && gosec -quiet ./...) || problems+=("gosec:$mod")
	fi
done

if ((${#problems[@]} > 0)); then
	die "lint failed: ${problems[*]}"
fi
ok "lint clean"
