#!/usr/bin/env bash
# The send engine's campaign benchmark: an email campaign of TARGETS
# (100,000) through the whole engine (targets frozen, the gate with the
# lists' facts, attempts under their keys, events, the real SMTP adapter)
# to the counting sink (tools/smtpsink, its own process), divided by the
# bare SMTP client loop sending as many messages to the same sink in the
# same run; 0 duplicates; the outreach process's peak RSS. It is the e2e
# test TestCampaignThroughputOverSMTP at full size (its own stack: gateway,
# identity, outreach, on the shared PostgreSQL and Redis).
#
#   TARGETS=100000 ROUNDS=1 scripts/bench/outreach/campaign.sh
#
# Results: .state/bench/outreach/campaign-<round>.json
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../dev/lib.sh"

TARGETS="${TARGETS:-100000}"
ROUNDS="${ROUNDS:-1}"
out="$REOS_STATE/bench/outreach"
mkdir -p "$out"
bash "$REOS_ROOT/scripts/dev/build.sh" >/dev/null
export REOS_TEST_PG_URL="$REOS_PG_ADMIN_URL" REOS_TEST_REDIS_URL="$REOS_REDIS_URL" REOS_STATE_DIR="$REOS_STATE" REOS_BIN_DIR="$REOS_BIN"
for r in $(seq 1 "$ROUNDS"); do
	(cd "$REOS_ROOT/tests/e2e" && REOS_BENCH_TARGETS="$TARGETS" REOS_BENCH_OUT="$out/campaign-$r.json" \
		go test -count=1 -timeout 60m -run '^TestCampaignThroughputOverSMTP$' -v ./... | grep -E 'campaign of|^(ok|FAIL|---)')
	cat "$out/campaign-$r.json"
done
