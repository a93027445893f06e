#!/usr/bin/env bash
# `make build`: builds every tool and service binary into .state/bin/.
# A service whose cmd directory does not exist yet is skipped with a warning
# (the binaries land one by one); one that exists and fails to build fails the
# build. Under CI the skipped ones are listed again at the end.
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_go
ensure_state_dirs

failed=()
skipped=()
built=()
for line in "${REOS_TOOLS[@]}" "${REOS_SERVICES[@]}"; do
	name="$(svc_field "$line" 0)"
	mod="$(svc_field "$line" 1)"
	cmd="$(svc_field "$line" 2)"
	if ! svc_present "$line"; then
		warn "skipping $name: no Go code in $mod/${cmd#./} yet"
		skipped+=("$name")
		continue
	fi
	printf '   go build %-10s (%s/%s)\n' "$name" "$mod" "${cmd#./}"
	if build_one "$name" "$mod" "$cmd"; then
		built+=("$name")
	else
		failed+=("$name")
	fi
done

if ((${#skipped[@]} > 0)) && is_ci; then
	warn "not built (cmd directory missing): ${skipped[*]}"
fi
if ((${#failed[@]} > 0)); then
	die "build failed: ${failed[*]}"
fi
ok "built into ${REOS_BIN#"$REOS_ROOT"/}: ${built[*]:-nothing}"
