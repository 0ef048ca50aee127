-- Business windows become instances. 0003 kept one row per kind, so the next
-- half-year's window overwrote this one's; now a window is a row of its own
-- with an id (kind, term, name, start, end), and applications and
-- registrations refer to the window they were made in (REFERENCES windows).
-- Edited with `zikaoctl windows create | edit | delete`.
--
-- kind: one of the list in shared/window_kinds.c; the CHECK windows_kind_term
--   repeats that list (tests/e2e/test_windows.py proves the two agree).
-- term: the exam sitting or half-year the window belongs to, as the office's
--   notices name them ("山西省2020年10月高等教育自学考试报名公告",
--   "2020年下半年…免考申请的公告", "2020年上半年…申报毕业的公告"):
--     'YYYY-MM', the month of the sitting (2027-04: the April 2027 sitting),
--       for theory_registration, practical_registration, ticket_printing and
--       results_publication;
--     'YYYY-1' (上半年) or 'YYYY-2' (下半年), the half-year, for
--       transfer_in_province, transfer_out, exemption and graduation.
--   One window per kind and term.
-- starts_at, ends_at: the window is open from starts_at up to, not including,
--   ends_at. Two windows of one kind never overlap (windows_no_overlap), so
--   one may start the moment the previous one ends; windows of different
--   kinds may (transfers in and out share their dates).
CREATE EXTENSION IF NOT EXISTS btree_gist; -- "kind WITH =" in a GiST index

ALTER TABLE windows RENAME TO windows_0003;
ALTER TABLE windows_0003 RENAME CONSTRAINT windows_pkey TO windows_0003_pkey;

CREATE TABLE windows (
    id         bigserial   PRIMARY KEY,
    kind       text        NOT NULL,
    term       text        NOT NULL,
    name       text        NOT NULL CHECK (name <> ''),
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT windows_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT windows_kind_term CHECK (
        (kind IN ('theory_registration', 'practical_registration', 'ticket_printing',
                  'results_publication')
         AND term ~ '^20[0-9]{2}-(0[1-9]|1[0-2])$')
        OR (kind IN ('transfer_in_province', 'transfer_out', 'exemption', 'graduation')
            AND term ~ '^20[0-9]{2}-[12]$')),
    CONSTRAINT windows_kind_term_key UNIQUE (kind, term),
    CONSTRAINT windows_no_overlap EXCLUDE USING gist (kind WITH =,
                                                      tstzrange(starts_at, ends_at) WITH &&)
);
-- The current window of a kind is the last to start by now (if it has not
-- ended), the next one the first to start after now: one index probe each.
CREATE INDEX windows_kind_starts_idx ON windows (kind, starts_at);

-- The rows of 0003 become the windows of their terms, in Beijing time:
--   half-year kinds: the half-year in which the window starts;
--   sitting kinds: the sitting registered for, the first April or October
--     sitting in a month after the window ends (the seeded March
--     registrations: 2026-04).
-- A row still named as its kind (0003's seed) is named after its term as
-- zikaoctl names new windows ("2026年下半年毕业申请"); a name an operator gave
-- is kept. Rows of kinds not in the list, which the API never showed and
-- `zikaoctl windows list` marked for deletion, are dropped with a warning.
DO $$
DECLARE
    dropped text;
BEGIN
    SELECT string_agg(format('%s (%s, %s .. %s)', kind, name, starts_at, ends_at), '; ')
      INTO dropped
      FROM windows_0003
     WHERE kind NOT IN ('theory_registration', 'practical_registration', 'transfer_in_province',
                        'transfer_out', 'exemption', 'graduation');
    IF dropped IS NOT NULL THEN
        RAISE WARNING 'windows of kinds not in the list are dropped: %', dropped;
    END IF;
END
$$;

INSERT INTO windows (kind, term, name, starts_at, ends_at, created_at, updated_at)
SELECT o.kind, t.term,
       CASE WHEN o.name IN ('', k.name) THEN
           CASE WHEN k.sitting THEN left(t.term, 4) || '年' || substr(t.term, 6)::int || '月'
                ELSE left(t.term, 4) || '年' || CASE right(t.term, 1) WHEN '1' THEN '上' ELSE '下' END
                     || '半年' END || k.name
            ELSE o.name END,
       o.starts_at, o.ends_at, o.updated_at, o.updated_at
  FROM windows_0003 o
  JOIN (VALUES ('theory_registration', '理论课程报名', true),
               ('practical_registration', '实践课程报名', true),
               ('transfer_in_province', '省内转考', false),
               ('transfer_out', '转出省外', false),
               ('exemption', '免考申请', false),
               ('graduation', '毕业申请', false)) AS k (kind, name, sitting) ON k.kind = o.kind
 CROSS JOIN LATERAL (
       SELECT o.starts_at AT TIME ZONE 'Asia/Shanghai' AS s,
              o.ends_at AT TIME ZONE 'Asia/Shanghai' AS e) b
 CROSS JOIN LATERAL (
       SELECT CASE
           WHEN NOT k.sitting THEN
               to_char(b.s, 'YYYY') || '-' || CASE WHEN extract(month FROM b.s) <= 6 THEN '1' ELSE '2' END
           WHEN extract(month FROM b.e) < 4 THEN to_char(b.e, 'YYYY') || '-04'
           WHEN extract(month FROM b.e) < 10 THEN to_char(b.e, 'YYYY') || '-10'
           ELSE (extract(year FROM b.e)::int + 1)::text || '-04' END AS term) t
 ORDER BY o.starts_at, o.kind;

DROP TABLE windows_0003;
