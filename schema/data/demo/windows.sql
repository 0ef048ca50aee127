-- Business windows for the demo (scripts/demo-data), placed around the day it
-- is loaded, so the portal shows something open whatever the date: this
-- half-year's exemption (免考申请) and graduation (毕业申请) windows open now,
-- and the next sitting's theory and practical registration, ticket printing
-- and results windows to come.
--
-- Idempotent and safe on any day and beside any windows already there: a
-- kind that has a window open now keeps it (and gets no open demo window); a
-- kind with a window to come gets no upcoming demo window; a demo window is
-- fitted between the kind's other windows, never over one (windows of one
-- kind never overlap). A demo window already there for its kind and term is
-- moved rather than repeated.
SET TIME ZONE 'Asia/Shanghai';

-- The name zikaoctl gives a window of this term (window_default_name()).
CREATE OR REPLACE FUNCTION pg_temp.demo_name(term text, kind_name text) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN length(term) = 7
                THEN left(term, 4) || '年' || substr(term, 6)::int || '月' || kind_name
                ELSE left(term, 4) || '年' || CASE right(term, 1) WHEN '1' THEN '上' ELSE '下' END
                     || '半年' || kind_name END
$$;

-- A window of kind k for term t open now, from want_s (or the end of the
-- kind's last window before now) to want_e (or the start of its next one),
-- unless a window of the kind is open already.
CREATE OR REPLACE FUNCTION pg_temp.demo_open(k text, t text, kind_name text, want_s timestamptz,
                                  want_e timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM windows WHERE kind = k AND starts_at <= now() AND ends_at > now()) THEN
        RETURN;
    END IF;
    INSERT INTO windows (kind, term, name, starts_at, ends_at)
    SELECT k, t, pg_temp.demo_name(t, kind_name),
           greatest(want_s, (SELECT max(ends_at) FROM windows
                              WHERE kind = k AND term <> t AND ends_at <= now())),
           least(want_e, (SELECT min(starts_at) FROM windows
                           WHERE kind = k AND term <> t AND starts_at > now()))
    ON CONFLICT (kind, term) DO UPDATE
        SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, updated_at = now();
END
$$;

-- A window of kind k for term t to come, from want_s (or the end of the
-- kind's last window) for as long as want_s .. want_e, unless a window of the
-- kind is to come already or the term has its window.
CREATE OR REPLACE FUNCTION pg_temp.demo_next(k text, t text, kind_name text, want_s timestamptz,
                                  want_e timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s timestamptz;
BEGIN
    IF EXISTS (SELECT 1 FROM windows WHERE kind = k AND (starts_at > now() OR term = t)) THEN
        RETURN;
    END IF;
    s := greatest(want_s, (SELECT max(ends_at) FROM windows WHERE kind = k));
    INSERT INTO windows (kind, term, name, starts_at, ends_at)
    VALUES (k, t, pg_temp.demo_name(t, kind_name), s, s + (want_e - want_s));
END
$$;

WITH today AS (
    SELECT current_date AS d
), terms AS (
    SELECT d,
           to_char(d, 'YYYY') || CASE WHEN extract(month FROM d) <= 6 THEN '-1' ELSE '-2' END AS half,
           -- the first April or October sitting at least two months away
           (SELECT s FROM (VALUES (make_date(extract(year FROM d)::int, 4, 1)),
                                  (make_date(extract(year FROM d)::int, 10, 1)),
                                  (make_date(extract(year FROM d)::int + 1, 4, 1))) v (s)
             WHERE s > d + 60 ORDER BY s LIMIT 1) AS sitting
      FROM today
)
SELECT pg_temp.demo_open('exemption', half, '免考申请',
                         d - 3 + time '09:00', d + 14 + time '17:00'),
       pg_temp.demo_open('graduation', half, '毕业申请',
                         d - 1 + time '09:00', d + 21 + time '17:00'),
       pg_temp.demo_next('theory_registration', to_char(sitting, 'YYYY-MM'), '理论课程报名',
                         d + 14 + time '09:00', d + 24 + time '17:00'),
       pg_temp.demo_next('practical_registration', to_char(sitting, 'YYYY-MM'), '实践课程报名',
                         d + 14 + time '09:00', d + 24 + time '17:00'),
       pg_temp.demo_next('ticket_printing', to_char(sitting, 'YYYY-MM'), '准考证打印',
                         sitting - 10 + time '09:00', sitting + 20 + time '17:00'),
       pg_temp.demo_next('results_publication', to_char(sitting, 'YYYY-MM'), '当次成绩查询',
                         sitting + 50 + time '09:00', sitting + 140 + time '17:00')
  FROM terms;
