-- The side effects jobs have already had, keyed by the job (ARCHITECTURE
-- rule 4): a worker claims its effect's key in the transaction that applies
-- the effect and completes the job, so a retried or replayed job finds the
-- key taken and does not repeat the effect.
CREATE TABLE job_effects (
    effect_key  text        PRIMARY KEY CHECK (length(effect_key) BETWEEN 1 AND 400),
    job_id      bigint      NOT NULL,
    kind        text        NOT NULL,
    org_id      uuid,
    result      jsonb,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
