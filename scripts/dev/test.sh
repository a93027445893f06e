#!/usr/bin/env bash
# `make test` (and so .ci/run): every Go test of every module in go.work,
# against the real local Postgres, Redis and devbroker.
#   install missing packages → infra-up.sh (infrastructure only: tests start the
#   services in-process, or the e2e harness starts the built binaries) → build
#   (instrumented for coverage) → go vet per module → one gotestsum run over
#   every module's packages (go test -count=1 -p 2) → coverage report.
# A binary that fails to build or a module that fails go vet also fails the run.
#
# Written to .state/test/: junit.xml (JUnit, one testcase per test function
# and subtest), go-test.json (go test -json), go-test.log (the readable run),
# coverage.txt (per package and the total; coverage.out is the merged
# profile), summary.txt. The last line counts tests, not packages:
# `N passed, N failed, N skipped`.
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dev="$REOS_ROOT/scripts/dev"
bash "$dev/install-deps.sh"
ensure_go
ensure_state_dirs
ensure_gotestsum
bash "$dev/infra-up.sh"

out_dir="$REOS_STATE/test"
cover_dir="$out_dir/covdata"
rm -rf "$out_dir"
mkdir -p "$out_dir" "$cover_dir"

# A binary that does not build is reported, but the tests still run (the
# package shows as [build failed] there too) so the summary is complete.
# Instrumented binaries write their coverage to GOCOVERDIR when they exit, so
# the end-to-end suite (which starts them) counts towards the coverage.
build_failed=""
REOS_BUILD_COVER=1 bash "$dev/build.sh" || build_failed=1
ensure_spectral

# What the tests read (pkg/testkit and the e2e harness).
export REOS_TEST_PG_URL="$REOS_PG_ADMIN_URL"
export REOS_TEST_REDIS_URL="$REOS_REDIS_URL"
export REOS_TEST_KAFKA_BROKERS="$REOS_KAFKA_BROKERS"
export REOS_STATE_DIR="$REOS_STATE"
export REOS_BIN_DIR="$REOS_BIN"
# The e2e harness hands this to the binaries it starts as their GOCOVERDIR.
export REOS_COVER_DIR="$cover_dir"

junit="$out_dir/junit.xml"
json="$out_dir/go-test.json"
test_log="$out_dir/go-test.log"
summary="$out_dir/summary.txt"

# MODULES="pkg gateway" limits the run; GO_TEST_FLAGS="-run TestX -v" adds flags.
if [[ -n "${MODULES:-}" ]]; then
	read -ra modules <<<"$MODULES"
else
	mapfile -t modules < <(go_modules)
fi
((${#modules[@]} > 0)) || die "no modules in go.work"
read -ra extra_flags <<<"${GO_TEST_FLAGS:-}"

vet_failed=()
patterns=()
for mod in "${modules[@]}"; do
	if module_empty "$mod"; then
		warn "module $mod has no packages yet; skipped"
		continue
	fi
	log "go vet ($mod)"
	if ! (cd "$REOS_ROOT/$mod" && go vet ./...); then
		vet_failed+=("$mod")
	fi
	patterns+=("./$mod/...")
done

# One run over every module (the workspace root resolves ./<module>/...), so
# there is one JUnit report and one count; -p 2 bounds the packages in flight
# on two cores. -coverpkg instruments every workspace package a test binary
# links, so a service's component tests count for its internal packages.
log "go test (gotestsum) over: ${patterns[*]}"
test_status=0
(cd "$REOS_ROOT" && gotestsum --format standard-quiet --junitfile "$junit" --jsonfile "$json" \
	--junitfile-testcase-classname relative --junitfile-project-name reos -- \
	-count=1 -p 2 -cover -coverpkg=reos.dev/... "${extra_flags[@]}" "${patterns[@]}" \
	-args -test.gocoverdir="$cover_dir") 2>&1 | tee "$test_log" || test_status=$?

# Test counts from go test -json: every test function and subtest that ended.
count() { jq -rs --arg a "$1" '[.[] | select(.Test != null and .Action == $a)] | length' "$json"; }
passed=$(count pass)
failed=$(count fail)
skipped=$(count skip)
# Packages that failed without a failing test (build failure, panic in
# TestMain, timeout) still fail the run.
failed_pkgs=$(jq -rs '[.[] | select(.Test == null and .Action == "fail") | .Package] | unique | .[]' "$json")

# Coverage: the unit tests' and the binaries' counters merged into one
# profile, reported per package with the total.
coverage_line="coverage: not measured"
if compgen -G "$cover_dir/covmeta.*" >/dev/null; then
	go tool covdata textfmt -i="$cover_dir" -o "$out_dir/coverage.out"
	go tool covdata percent -i="$cover_dir" | sed 's/^[[:space:]]*//' | sort >"$out_dir/coverage.txt"
	total=$(cd "$REOS_ROOT" && go tool cover -func="$out_dir/coverage.out" | awk '/^total:/ { print $NF }')
	echo "total: $total" >>"$out_dir/coverage.txt"
	coverage_line="coverage: $total of statements (per package: ${out_dir#"$REOS_ROOT"/}/coverage.txt)"
fi

{
	echo
	echo "==== test summary ===="
	if ((failed > 0)); then
		echo "failed tests:"
		jq -rs '.[] | select(.Test != null and .Action == "fail") | "  \(.Package) \(.Test)"' "$json"
	fi
	if [[ -n "$failed_pkgs" ]]; then
		echo "failed packages:"
		printf '  %s\n' $failed_pkgs
	fi
	if ((test_status != 0 && failed == 0)) && [[ -z "$failed_pkgs" ]]; then
		echo "go test failed outside any test (exit status $test_status; see ${test_log#"$REOS_ROOT"/})"
	fi
	if [[ -n "$build_failed" ]]; then
		echo "make build failed (see above)"
	fi
	if ((${#vet_failed[@]} > 0)); then
		echo "go vet failed in: ${vet_failed[*]}"
	fi
	echo "modules: ${modules[*]}"
	echo "$coverage_line"
	echo "JUnit: ${junit#"$REOS_ROOT"/}"
	echo "$passed passed, $failed failed, $skipped skipped"
} | tee "$summary"

if ((failed > 0 || test_status != 0 || ${#vet_failed[@]} > 0)) || [[ -n "$failed_pkgs" || -n "$build_failed" ]]; then
	exit 1
fi
