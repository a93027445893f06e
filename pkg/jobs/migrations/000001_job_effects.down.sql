DROP TABLE IF EXISTS job_effects;
