-- 0002_jobs.sql - the job outbox: PostgreSQL is the truth, Redis streams the
-- transport.
--
-- A handler that creates work inserts a row here in the same transaction as
-- its business change; after COMMIT the job id is added to the queue's stream
-- (and to the queue's "published" set in Redis: publication costs PostgreSQL
-- nothing). Workers claim a job by moving it to 'running' under a lease
-- (locked_by, locked_until), do the work, and in ONE transaction write the
-- result and mark it 'done'. A failure puts it back to 'queued' with a later
-- not_before (exponential backoff), or 'dead' after the queue's maximum
-- attempts, with the last error kept. The sweeper in every worker publishes
-- due jobs that Redis does not know as published: never published (the
-- server died after COMMIT, or Redis was down), lost by Redis, or waiting for
-- a retry.

CREATE TABLE jobs (
    id           bigserial   PRIMARY KEY,
    queue        text        NOT NULL CHECK (queue ~ '^[a-z][a-z0-9_-]{0,31}$'),
    payload      jsonb       NOT NULL DEFAULT '{}',
    state        text        NOT NULL DEFAULT 'queued'
                             CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    not_before   timestamptz NOT NULL DEFAULT now(),
    locked_by    text,
    locked_until timestamptz,
    started_at   timestamptz,
    finished_at  timestamptz,
    result       jsonb,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The sweeper's and the stats' working set: only unfinished jobs, walked by id.
CREATE INDEX jobs_pending_idx ON jobs (queue, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_dead_idx ON jobs (queue, updated_at) WHERE state = 'dead';
-- Retention purges finished jobs by age.
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE state = 'done';

-- The side effect of the `noop` queue (tests and benchmarks): one row per
-- job, written in the transaction that marks the job done. The primary key
-- makes a second application impossible to miss.
CREATE TABLE job_noop_effects (
    job_id     bigint      PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    worker     text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
