package tests

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/testkit"
	"reos.dev/services/portfolio/internal/server"
)

type reconciliationJSON struct {
	ID                 string  `json:"id"`
	Status             string  `json:"status"`
	LedgerCents        int64   `json:"ledger_cents"`
	AbsDifferenceCents int64   `json:"abs_difference_cents"`
	DifferenceRate     *string `json:"difference_rate"`
	HoldingsTotal      int     `json:"holdings_total"`
	HoldingsChecked    int     `json:"holdings_checked"`
	DifferenceCount    int     `json:"difference_count"`
	JobID              *int64  `json:"job_id"`
	Differences        []struct {
		HoldingID     string  `json:"holding_id"`
		Measure       string  `json:"measure"`
		ExpectedCents int64   `json:"expected_cents"`
		ActualCents   int64   `json:"actual_cents"`
		DeltaCents    int64   `json:"delta_cents"`
		Percentage    *string `json:"percentage"`
	} `json:"differences"`
}

func (e *env) reconcile(u user, portfolioID string, status int) reconciliationJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/portfolio/"+portfolioID+"/reconcile", u, nil)
	expect(e.t, r, status, "reconcile")
	return decode[reconciliationJSON](e.t, r)
}

// drift moves a holding's recorded cost basis behind the API's back (a
// bad restore, a manual fix): what reconciliation exists to catch.
func (e *env) drift(holdingID string, costBasis int64) {
	e.t.Helper()
	if _, err := e.admin.Exec(e.t.Context(), `UPDATE portfolio.holdings SET cost_basis_cents = $2 WHERE id = $1`, holdingID, costBasis); err != nil {
		e.t.Fatal(err)
	}
}

// TestReconciliationTolerance: a holding whose cost basis is off by 0.49 %
// of the ledger passes, by 0.50 % passes, by 0.51 % fails; each run is
// recorded with its difference, and listed.
func TestReconciliationTolerance(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Reconcile")
	h := e.holding(admin, p.ID, e.knownProperty(org), "2024-01-01", 100_000_00)
	clean := e.reconcile(admin, p.ID, http.StatusCreated)
	if clean.Status != "passed" || clean.DifferenceCount != 0 || clean.LedgerCents != 100_000_00 || len(clean.Differences) != 0 {
		t.Fatalf("clean %+v", clean)
	}
	for _, c := range []struct {
		actual int64
		status string
		pct    string
	}{
		{100_490_00, "passed", "0.0049"},
		{100_500_00, "passed", "0.005"},
		{100_510_00, "failed", "0.0051"},
		{99_490_00, "failed", "-0.0051"},
	} {
		e.drift(h.ID, c.actual)
		rec := e.reconcile(admin, p.ID, http.StatusCreated)
		if rec.Status != c.status || rec.DifferenceCount != 1 || len(rec.Differences) != 1 {
			t.Fatalf("at %d: %+v", c.actual, rec)
		}
		d := rec.Differences[0]
		if d.HoldingID != h.ID || d.Measure != "cost_basis" || d.ExpectedCents != 100_000_00 || d.ActualCents != c.actual ||
			d.DeltaCents != c.actual-100_000_00 || str(d.Percentage) != c.pct {
			t.Fatalf("at %d: difference %+v (%s)", c.actual, d, str(d.Percentage))
		}
		r := e.call(http.MethodGet, "/api/v1/portfolio/"+p.ID+"/reconciliations/"+rec.ID, admin, nil)
		expect(t, r, http.StatusOK, "get")
		if got := decode[reconciliationJSON](t, r); got.Status != c.status || len(got.Differences) != 1 {
			t.Fatalf("recorded %+v", got)
		}
	}
	r := e.call(http.MethodGet, "/api/v1/portfolio/"+p.ID+"/reconciliations", admin, nil)
	expect(t, r, http.StatusOK, "list")
	if list := decode[listJSON[reconciliationJSON]](t, r).Items; len(list) != 5 || list[0].Status != "failed" || list[4].Status != "passed" {
		t.Fatalf("list %+v", list)
	}
	if n := scalar[int](e, `SELECT count(*) FROM portfolio.outbox WHERE payload::jsonb->>'type' = 'reos.portfolio.reconciliation.failed'`); n != 2 {
		t.Fatalf("%d failed events, want 2", n)
	}
}

// TestReconciliationJob: a portfolio over the inline bound is reconciled by
// a job in steps (a step ends after each batch here), with progress in the
// jobs API; the chain checks every holding once and records the drift.
func TestReconciliationJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *server.Options) {
		o.App.InlineReconcileHoldings, o.App.ReconcileBatch = 2, 2
		o.Jobs = jobs.Settings{StepTime: time.Nanosecond, PollInterval: 50 * time.Millisecond, RetryBase: 10 * time.Millisecond}
	})
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Large")
	var ids []string
	for range 5 {
		ids = append(ids, e.holding(admin, p.ID, e.knownProperty(org), "2024-01-01", 10_000_00).ID)
	}
	e.drift(ids[3], 10_100_00) // 1 % of the holding, 0.2 % of the ledger
	rec := e.reconcile(admin, p.ID, http.StatusAccepted)
	if rec.Status != "running" || rec.JobID == nil || rec.HoldingsTotal != 5 {
		t.Fatalf("accepted %+v", rec)
	}
	testkit.RunInBackground(t, "jobs", func(ctx context.Context) error {
		if err := e.srv.Queue.Run(ctx); !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	var got reconciliationJSON
	testkit.Eventually(t, 60*time.Second, func() bool {
		got = decode[reconciliationJSON](t, e.call(http.MethodGet, "/api/v1/portfolio/"+p.ID+"/reconciliations/"+rec.ID, admin, nil))
		return got.Status != "running"
	}, func() string { return "the reconciliation job never ended" })
	if got.Status != "passed" || got.HoldingsChecked != 5 || got.LedgerCents != 50_000_00 || got.DifferenceCount != 1 ||
		got.Differences[0].HoldingID != ids[3] || got.Differences[0].DeltaCents != 100_00 || str(got.DifferenceRate) != "0.002" {
		t.Fatalf("ended %+v", got)
	}
	r := e.call(http.MethodGet, jobs.APIPath(server.ServiceName)+"?limit=50", admin, nil)
	expect(t, r, http.StatusOK, "jobs")
	chain := decode[listJSON[jobs.Job]](t, r).Items
	// 5 holdings in batches of 2: three batches, each its own step.
	if len(chain) != 3 {
		t.Fatalf("%d jobs, want one step per batch: %+v", len(chain), chain)
	}
	progressed := 0
	for _, j := range chain {
		if j.State != "completed" {
			t.Errorf("job %d is %s", j.ID, j.State)
		}
		if len(j.Progress) > 0 {
			progressed++
		}
	}
	if progressed != len(chain) {
		t.Errorf("%d of %d steps recorded progress", progressed, len(chain))
	}
}
