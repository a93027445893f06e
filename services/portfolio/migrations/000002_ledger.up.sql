-- portfolio's own data: portfolios, their holdings and the transaction
-- ledger. Money is integer cents (bigint) in the portfolio's one ISO 4217
-- currency; no float column anywhere. Tenant tables: org_id on every row,
-- RLS forced (NULLIF: on a pooled connection where an earlier transaction
-- set app.org_id locally, current_setting returns '' afterwards, which must
-- match nothing).

CREATE TABLE portfolios (
    org_id      uuid        NOT NULL,
    id          uuid        NOT NULL PRIMARY KEY,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    currency    char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_by  uuid,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX portfolios_name_idx ON portfolios (org_id, name);
CREATE INDEX portfolios_created_idx ON portfolios (org_id, created_at DESC, id DESC);

-- A holding is one property in one portfolio. Its figures are the summary
-- of its ledger entries, kept in the transaction that records each entry
-- (the sums performance and valuation read instead of the ledger);
-- reconciliation recomputes them from the ledger and records every
-- difference.
CREATE TABLE holdings (
    org_id           uuid        NOT NULL,
    id               uuid        NOT NULL PRIMARY KEY,
    portfolio_id     uuid        NOT NULL REFERENCES portfolios (id),
    property_id      uuid        NOT NULL,
    acquired_on      date        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('held', 'sold')),
    sold_on          date,
    -- Σ purchase + capital_improvement entries.
    cost_basis_cents bigint      NOT NULL DEFAULT 0,
    -- Σ sale entries.
    proceeds_cents   bigint      NOT NULL DEFAULT 0,
    -- Σ income and expense entries.
    income_cents     bigint      NOT NULL DEFAULT 0,
    expense_cents    bigint      NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK ((status = 'sold') = (sold_on IS NOT NULL))
);
CREATE UNIQUE INDEX holdings_property_idx ON holdings (portfolio_id, property_id);
CREATE INDEX holdings_portfolio_idx ON holdings (org_id, portfolio_id, id);

-- The ledger is append-only: the service role may read and insert, never
-- update or delete (grants below). A correction is a voiding entry (voids_id
-- names the entry it cancels, amount_cents its negation) plus a new entry.
-- Sums over the ledger are therefore plain sums of amount_cents.
CREATE TABLE transactions (
    org_id       uuid        NOT NULL,
    id           uuid        NOT NULL PRIMARY KEY,
    portfolio_id uuid        NOT NULL REFERENCES portfolios (id),
    holding_id   uuid        REFERENCES holdings (id),
    kind         text        NOT NULL CHECK (kind IN ('purchase', 'capital_improvement', 'sale', 'income', 'expense')),
    category     text        NOT NULL,
    amount_cents bigint      NOT NULL CHECK (amount_cents <> 0),
    currency     char(3)     NOT NULL,
    occurred_on  date        NOT NULL,
    -- Days since 1970-01-01: the keyset of the ledger's date order.
    occurred_day integer     GENERATED ALWAYS AS (occurred_on - DATE '1970-01-01') STORED,
    memo         text        NOT NULL DEFAULT '',
    voids_id     uuid        REFERENCES transactions (id),
    recorded_by  uuid,
    recorded_at  timestamptz NOT NULL,
    CHECK ((voids_id IS NULL) = (amount_cents > 0)),
    CHECK (kind IN ('income', 'expense') OR holding_id IS NOT NULL)
);
-- An entry is voided at most once.
CREATE UNIQUE INDEX transactions_voids_idx ON transactions (voids_id) WHERE voids_id IS NOT NULL;
CREATE INDEX transactions_ledger_idx ON transactions (org_id, portfolio_id, occurred_day DESC, id DESC);
CREATE INDEX transactions_recorded_idx ON transactions (org_id, portfolio_id, recorded_at DESC, id DESC);
CREATE INDEX transactions_holding_idx ON transactions (org_id, holding_id, kind) INCLUDE (amount_cents, occurred_on);

REVOKE UPDATE, DELETE, TRUNCATE ON TABLE transactions FROM portfolio_app;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['portfolios', 'holdings', 'transactions']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I
            USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
            WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)$p$, t || '_tenant', t);
    END LOOP;
END
$$;
