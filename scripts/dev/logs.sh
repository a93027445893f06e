#!/usr/bin/env bash
# `make logs [S=name]`: follows the logs in .state/logs (all, or one component).
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ -n "${S:-}" ]]; then
	files=("$REOS_LOGS/$S"*.log)
else
	files=("$REOS_LOGS"/*.log)
fi
[[ -e "${files[0]}" ]] || die "no logs in ${REOS_LOGS#"$REOS_ROOT"/}${S:+ for $S} (has make up run?)"
exec tail -n "${N:-50}" -F "${files[@]}"
