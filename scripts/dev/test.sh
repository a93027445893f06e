#!/usr/bin/env bash
# `make test` (and so .ci/run): every Go test of every module in go.work,
# against the real local Postgres, Redis and devbroker.
#   install missing packages → infra-up.sh (infrastructure only: tests start the
#   services in-process, or the e2e harness starts the built binaries) → build
#   → per module, one after the other: go vet, then go test -count=1 -p 2.
# A binary that fails to build or a module that fails go vet also fails the run.
# Ends with a line `N passed, N failed` counting packages (also written to
# .state/test/summary.txt) and exits non-zero if anything failed.
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dev="$REOS_ROOT/scripts/dev"
bash "$dev/install-deps.sh"
ensure_go
ensure_state_dirs
bash "$dev/infra-up.sh"
# A binary that does not build is reported, but the tests still run (the
# package shows as [build failed] there too) so the summary is complete.
build_failed=""
bash "$dev/build.sh" || build_failed=1
ensure_spectral

# What the tests read (pkg/testkit and the e2e harness).
export REOS_TEST_PG_URL="$REOS_PG_ADMIN_URL"
export REOS_TEST_REDIS_URL="$REOS_REDIS_URL"
export REOS_TEST_KAFKA_BROKERS="$REOS_KAFKA_BROKERS"
export REOS_STATE_DIR="$REOS_STATE"
export REOS_BIN_DIR="$REOS_BIN"

out_dir="$REOS_STATE/test"
mkdir -p "$out_dir"
test_log="$out_dir/go-test.log"
summary="$out_dir/summary.txt"
: >"$test_log"
rm -f "$summary"

# MODULES="pkg gateway" limits the run; GO_TEST_FLAGS="-run TestX -v" adds flags.
if [[ -n "${MODULES:-}" ]]; then
	read -ra modules <<<"$MODULES"
else
	mapfile -t modules < <(go_modules)
fi
((${#modules[@]} > 0)) || die "no modules in go.work"
read -ra extra_flags <<<"${GO_TEST_FLAGS:-}"

vet_failed=()
test_failed_modules=()
for mod in "${modules[@]}"; do
	log "module $mod"
	if module_empty "$mod"; then
		warn "module $mod has no packages yet; skipped"
		continue
	fi
	if ! (cd "$REOS_ROOT/$mod" && go vet ./...); then
		vet_failed+=("$mod")
	fi
	# Plain go test output (the standard ok/FAIL lines), kept in a log to count.
	# Modules run one after the other and -p 2 bounds packages in flight, so two
	# cores are not oversubscribed.
	if ! (cd "$REOS_ROOT/$mod" && go test -count=1 -p 2 "${extra_flags[@]}" ./... 2>&1) |
		tee -a "$test_log"; then
		test_failed_modules+=("$mod")
	fi
done

# Package result lines: "ok  \t<pkg>\t…", "FAIL\t<pkg>…" (incl. [build failed]),
# "?   \t<pkg>\t[no test files]".
passed=$(grep -c $'^ok  \t' "$test_log" || true)
failed=$(grep -c $'^FAIL\t' "$test_log" || true)
notests=$(grep -c $'^?   \t' "$test_log" || true)

{
	echo
	echo "==== test summary ===="
	if ((failed > 0)); then
		echo "failed packages:"
		grep $'^FAIL\t' "$test_log" | sed 's/^/  /'
	fi
	if ((${#test_failed_modules[@]} > 0 && failed == 0)); then
		echo "go test failed outside any package in: ${test_failed_modules[*]}"
	fi
	if [[ -n "$build_failed" ]]; then
		echo "make build failed (see above)"
	fi
	if ((${#vet_failed[@]} > 0)); then
		echo "go vet failed in: ${vet_failed[*]}"
	fi
	echo "modules: ${modules[*]}; packages without tests: $notests"
	echo "$passed passed, $failed failed"
} | tee "$summary"

if ((failed > 0 || ${#test_failed_modules[@]} > 0 || ${#vet_failed[@]} > 0)) || [[ -n "$build_failed" ]]; then
	exit 1
fi
