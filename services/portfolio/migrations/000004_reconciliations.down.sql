DROP TABLE IF EXISTS reconciliation_differences;
DROP TABLE IF EXISTS reconciliations;
