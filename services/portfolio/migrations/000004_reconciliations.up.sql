-- Reconciliations: each run compares every holding's summary (cost basis,
-- proceeds, income, expenses) with the sums of its ledger entries and
-- records every difference. A run of a large portfolio is a job in steps:
-- checkpoint_holding is the last holding (in id order) a committed step
-- checked, and the running totals are the sums so far.
CREATE TABLE reconciliations (
    org_id               uuid        NOT NULL,
    id                   uuid        NOT NULL PRIMARY KEY,
    portfolio_id         uuid        NOT NULL REFERENCES portfolios (id),
    status               text        NOT NULL CHECK (status IN ('running', 'passed', 'failed')),
    -- Pass when 10000 · abs_difference_cents ≤ tolerance_bp · ledger_cents.
    tolerance_bp         integer     NOT NULL,
    ledger_cents         bigint      NOT NULL DEFAULT 0,
    abs_difference_cents bigint      NOT NULL DEFAULT 0,
    holdings_total       integer     NOT NULL,
    holdings_checked     integer     NOT NULL DEFAULT 0,
    difference_count     integer     NOT NULL DEFAULT 0,
    checkpoint_holding   uuid,
    job_id               bigint,
    requested_by         uuid,
    created_at           timestamptz NOT NULL,
    completed_at         timestamptz
);
CREATE INDEX reconciliations_portfolio_idx ON reconciliations (org_id, portfolio_id, created_at DESC, id DESC);

CREATE TABLE reconciliation_differences (
    org_id            uuid   NOT NULL,
    reconciliation_id uuid   NOT NULL REFERENCES reconciliations (id),
    holding_id        uuid   NOT NULL,
    property_id       uuid   NOT NULL,
    measure           text   NOT NULL CHECK (measure IN ('cost_basis', 'proceeds', 'income', 'expenses')),
    expected_cents    bigint NOT NULL,
    actual_cents      bigint NOT NULL,
    delta_cents       bigint NOT NULL,
    PRIMARY KEY (reconciliation_id, holding_id, measure)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['reconciliations', 'reconciliation_differences']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I
            USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
            WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)$p$, t || '_tenant', t);
    END LOOP;
END
$$;
