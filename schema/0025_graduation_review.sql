-- 0025_graduation_review.sql - the graduation application's staff side:
-- its review queue (review.h's mechanism, kind 'graduation'), the paper
-- originals the district receives by a deadline, and the lapse of those
-- that never came (handbook 001 六.6-8; 004 十: district then 市考试院).
--
--   queue      an item opens whenever an application enters a state staff
--              decide (graduation_review_states: Shanxi 'reviewing' at the
--              district the candidate chose, 'papers_in' at the province;
--              Tianjin 'district_review' then 'province_review'), and closes
--              as 'withdrawn' if the application leaves it another way.
--              Approving or refusing makes the state's staff transition
--              (graduation_review_apply); returning is not a graduation
--              decision (a refused Shanxi candidate may apply again once
--              inside the window: application_rules).
--   papers     Shanxi: after payment the candidate hands in the 毕业生登记表
--              (two copies) and the cards' originals at the district by the
--              window's papers deadline (graduation_papers_due: set per
--              window, else the window's end + 30 days); the district
--              records it (receive_papers), else a keeper task lapses the
--              application (graduation_lapse: "未按时提交纸质原件者，毕业申请无效").

INSERT INTO review_kinds (kind, title) VALUES ('graduation', '毕业申请审核');
CREATE INDEX review_items_graduation_list ON review_items (state, created_at, id)
    WHERE kind = 'graduation';
CREATE INDEX review_items_graduation_district_list
    ON review_items (office_district, state, created_at, id) WHERE kind = 'graduation';

-- The states staff decide, whose office decides, and the transition each
-- decision makes.
CREATE TABLE graduation_review_states (
    province   text NOT NULL CHECK (province IN ('shanxi', 'tianjin')),
    state      text NOT NULL,
    office     text NOT NULL CHECK (office IN ('district', 'province')),
    approve    text NOT NULL,
    refuse     text NOT NULL,
    -- every automatic check has passed by the time an application is here
    -- (bulk approval allowed), or a person must look at something
    checks     boolean NOT NULL,
    PRIMARY KEY (province, state)
);
INSERT INTO graduation_review_states VALUES
    -- reached only when something needs a person: old-plan cards or a
    -- photo the system refused (photo_by_hand)
    ('shanxi', 'reviewing', 'district', 'approve', 'refuse', false),
    -- the papers are in: the province's final decision (毕业审定)
    ('shanxi', 'papers_in', 'province', 'graduate', 'reject', true),
    -- submitted with the audit met and every material file accepted
    ('tianjin', 'district_review', 'district', 'approve', 'refuse', true),
    ('tianjin', 'province_review', 'province', 'approve', 'refuse', true);

-- ---- the papers and their deadline ---------------------------------------------------------

-- A window's papers deadline when the province set one (zikaoctl
-- graduation papers-due), else the window's end + 30 days.
CREATE TABLE graduation_papers_deadlines (
    window_id bigint      PRIMARY KEY REFERENCES windows (id),
    due_at    timestamptz NOT NULL
);

CREATE FUNCTION graduation_papers_due(p_window bigint) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT d.due_at FROM graduation_papers_deadlines d
                      WHERE d.window_id = p_window),
                    (SELECT w.ends_at + interval '30 days' FROM windows w WHERE w.id = p_window))
$$;

-- What a list shows of an application.
CREATE FUNCTION graduation_review_summary(a applications) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('application_id', a.id, 'state', a.state,
        'state_title', (application_state_row(a.kind, a.province, a.state)).title,
        'name', c.name, 'major', a.data ->> 'major',
        'major_name', (SELECT m.name FROM majors m WHERE m.code = a.data ->> 'major'),
        'level', (SELECT m.level FROM majors m WHERE m.code = a.data ->> 'major'),
        'district', a.data ->> 'district',
        'old_cards', coalesce(jsonb_array_length(a.data -> 'old_cards'), 0),
        'photo', (SELECT p.state FROM application_photos p WHERE p.application_id = a.id
                   ORDER BY p.uploaded_at DESC LIMIT 1))
      FROM candidates c WHERE c.id = a.candidate_id
$$;

CREATE FUNCTION graduation_review_on_state() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s graduation_review_states;
BEGIN
    UPDATE review_items SET state = 'withdrawn', closed_at = now()
     WHERE kind = 'graduation' AND subject = NEW.id AND state = 'open';
    SELECT * INTO s FROM graduation_review_states
     WHERE province = NEW.province AND state = NEW.state;
    IF FOUND THEN
        INSERT INTO review_items (kind, subject, candidate_id, office_district, checks_passed,
                                  summary)
        VALUES ('graduation', NEW.id, NEW.candidate_id,
                CASE WHEN s.office = 'district' THEN (NEW.data ->> 'district')::char(6) END,
                s.checks, graduation_review_summary(NEW));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER graduation_review_on_state AFTER UPDATE OF state ON applications
    FOR EACH ROW WHEN (NEW.kind = 'graduation' AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION graduation_review_on_state();

-- The decision hook (review.h): the item was recorded decided (its reason
-- and officer) in this transaction; make the state's transition. A photo
-- the system refused and the district accepted becomes 'by_hand'.
CREATE FUNCTION graduation_review_apply(p_item bigint, p_decision text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    i review_items;
    a applications;
    s graduation_review_states;
BEGIN
    SELECT * INTO STRICT i FROM review_items WHERE id = p_item;
    SELECT * INTO STRICT a FROM applications WHERE id = i.subject FOR UPDATE;
    SELECT * INTO s FROM graduation_review_states
     WHERE province = a.province AND state = a.state;
    IF NOT FOUND THEN
        PERFORM zk_refuse(409, 'ITEM_WITHDRAWN', NULL, '这份毕业申请已不在审核中');
    END IF;
    IF p_decision = 'return' THEN
        PERFORM zk_refuse(422, 'DECISION_INVALID', 'decision',
            '毕业申请只能审核通过或不通过；需要考生改正的，请选择不通过并写明原因');
    END IF;
    IF p_decision = 'approve' AND a.state = 'reviewing' THEN
        UPDATE application_photos SET state = 'by_hand', checked_at = now()
         WHERE application_id = a.id AND state = 'failed';
    END IF;
    a := application_transition(a.id, CASE WHEN p_decision = 'approve' THEN s.approve
                                          ELSE s.refuse END,
                                'staff', i.decided_by, i.reason, NULL);
    RETURN json_build_object('application_id', a.id, 'state', a.state,
                             'state_title', (application_state_row(a.kind, a.province,
                                                                   a.state)).title);
END
$$;

-- What an officer needs to decide: the candidate, what was applied for and
-- submitted (universities, major, the audit recorded at submit, the
-- old-plan cards claimed), the photo with every rule's verdict, the
-- attached files with their checks, and the timeline. Files are fetched
-- through GET /api/v1/staff/files/{id} (each fetch in the trail).
CREATE FUNCTION graduation_review_detail(p_item bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'candidate', json_build_object('id', c.id, 'id_number', c.id_number, 'name', c.name,
            'gender', c.gender, 'birth_date', c.birth_date, 'phone', c.phone,
            'district', c.district,
            'district_name', (SELECT r.name FROM regions r WHERE r.code = c.district),
            'exam_ids', coalesce((SELECT json_agg(e.exam_id ORDER BY e.created_at)
                                   FROM exam_ids e WHERE e.candidate_id = c.id), '[]')),
        'application', json_build_object('id', a.id, 'province', a.province,
            'state', a.state,
            'state_title', (application_state_row(a.kind, a.province, a.state)).title,
            'submitted_at', zk_ts(a.submitted_at), 'data', a.data,
            'major_name', (SELECT m.name FROM majors m WHERE m.code = a.data ->> 'major'),
            'level', (SELECT m.level FROM majors m WHERE m.code = a.data ->> 'major'),
            'chosen_district_name', (SELECT r.name FROM regions r
                                      WHERE r.code = a.data ->> 'district')),
        'audit', (SELECT e.detail FROM application_events e WHERE e.application_id = a.id
                   AND e.transition = 'submit' ORDER BY e.id DESC LIMIT 1),
        'photo', (SELECT json_build_object('file_id', p.file_id, 'state', p.state,
                      'rules', p.rules, 'uploaded_at', zk_ts(p.uploaded_at))
                    FROM application_photos p WHERE p.application_id = a.id
                   ORDER BY p.uploaded_at DESC LIMIT 1),
        'files', coalesce((SELECT json_agg(json_build_object('slot', f.slot, 'seq', f.seq,
                      'file_id', f.file_id, 'state', f.state, 'reason', f.reason,
                      'detail', f.detail) ORDER BY f.slot, f.seq)
                    FROM application_files f WHERE f.application_id = a.id), '[]'),
        'papers_due', zk_ts(graduation_papers_due(a.window_id)),
        'timeline', coalesce((SELECT json_agg(json_build_object('transition', e.transition,
                      'to_state', e.to_state, 'actor', e.actor, 'reason', e.reason,
                      'at', zk_ts(e.at)) ORDER BY e.id)
                    FROM application_events e WHERE e.application_id = a.id), '[]'))
      FROM review_items i JOIN applications a ON a.id = i.subject
      JOIN candidates c ON c.id = a.candidate_id
     WHERE i.id = p_item
$$;

-- Lapses up to p_limit paid Shanxi applications whose papers deadline has
-- passed (the keeper task; SKIP LOCKED: every worker may run it). Returns
-- how many.
CREATE FUNCTION graduation_lapse(p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_n  integer := 0;
BEGIN
    FOR v_id IN
        SELECT a.id FROM applications a
         WHERE a.kind = 'graduation' AND a.state = 'paid'
           AND graduation_papers_due(a.window_id) < now()
         ORDER BY a.id LIMIT p_limit FOR UPDATE SKIP LOCKED
    LOOP
        PERFORM application_transition(v_id, 'lapse', 'system', NULL,
                                       '未在规定时间内交回纸质材料，毕业申请无效', NULL);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END
$$;
CREATE INDEX applications_graduation_paid_idx ON applications (window_id, id)
    WHERE kind = 'graduation' AND state = 'paid';

-- The district records the papers received (staff transition receive_papers):
-- the application of the caller's scope (the district the candidate chose),
-- paid and before its deadline. Refusals as zk_refuse.
CREATE FUNCTION graduation_receive_papers(p_staff bigint, p_app bigint, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    a applications;
BEGIN
    SELECT ap.* INTO a FROM applications ap JOIN staff_scope sc ON sc.staff_id = p_staff
     WHERE ap.id = p_app AND ap.kind = 'graduation'
       AND (sc.all_offices OR sc.district = ap.data ->> 'district')
       FOR UPDATE OF ap;
    IF NOT FOUND THEN
        PERFORM zk_refuse(404, 'APPLICATION_NOT_FOUND', 'id', '没有这份毕业申请（或不归您所在的招办）');
    END IF;
    IF a.state = 'papers_in' THEN -- recorded already: unchanged
        RETURN json_build_object('application_id', a.id, 'state', a.state);
    END IF;
    IF a.state <> 'paid' OR a.province <> 'shanxi' THEN
        PERFORM zk_refuse(409, 'APPLICATION_WRONG_STATE', NULL,
            '这份申请当前状态为“' || (application_state_row(a.kind, a.province, a.state)).title
            || '”，不能登记纸质材料（只有已缴费、尚未逾期的山西毕业申请可以登记）');
    END IF;
    IF graduation_papers_due(a.window_id) < now() THEN
        PERFORM zk_refuse(409, 'PAPERS_DEADLINE_PASSED', NULL,
            '纸质材料交回截止时间已过（' || to_char(graduation_papers_due(a.window_id)
            AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') || '），毕业申请已失效');
    END IF;
    a := application_transition(a.id, 'receive_papers', 'staff', p_staff, NULL, NULL);
    PERFORM staff_audit_add(p_staff, 'graduation.papers', 'application', a.id::text,
                            jsonb_build_object('state', 'paid'),
                            jsonb_build_object('state', a.state), p_request);
    RETURN json_build_object('application_id', a.id, 'state', a.state);
END
$$;

-- ---- files staff may see ----------------------------------------------------------------------

-- What file p_file is to staff member p_staff (the kind of photo or the
-- attachment's slot), when they may see it: an identity photo of a
-- candidate of their district, or a graduation photo or attached file of
-- an application their office handles (the district the candidate chose).
-- NULL otherwise. GET /api/v1/staff/files/{id} serves it (in the trail).
CREATE FUNCTION staff_file_kind(p_staff bigint, p_file bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT k.kind
      FROM files f LEFT JOIN candidates c ON c.id = f.candidate_id
      JOIN staff_scope sc ON sc.staff_id = p_staff
      CROSS JOIN LATERAL (
            SELECT kind, c.district AS office FROM identity_photos WHERE file_id = f.id
            UNION ALL
            SELECT kind, c.district FROM identity_photo_checks WHERE file_id = f.id
            UNION ALL
            SELECT 'graduation_photo', a.data ->> 'district' FROM application_photos p
              JOIN applications a ON a.id = p.application_id WHERE p.file_id = f.id
            UNION ALL
            SELECT af.slot, a.data ->> 'district' FROM application_files af
              JOIN applications a ON a.id = af.application_id WHERE af.file_id = f.id) k
     WHERE f.id = p_file AND (sc.all_offices OR sc.district = k.office)
     LIMIT 1
$$;

-- ---- the graduates for 电子注册 -------------------------------------------------------------

-- Exports of a window's approved graduates for the graduates' electronic
-- registration (学信网 电子注册: the list and each graduate's photo named by
-- the ID number), made by the `archive` worker as a zip kept in files.
CREATE TABLE graduation_exports (
    id           bigserial   PRIMARY KEY,
    window_id    bigint      NOT NULL REFERENCES windows (id),
    requested_by bigint      NOT NULL REFERENCES staff (id),
    state        text        NOT NULL DEFAULT 'queued'
                             CHECK (state IN ('queued', 'done', 'failed')),
    graduates    integer,
    missing      integer,                   -- graduates without a usable photo
    file_id      bigint      REFERENCES files (id),
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz
);
CREATE INDEX graduation_exports_recent ON graduation_exports (created_at DESC, id DESC);

DO $$
BEGIN
    EXECUTE 'CREATE OR REPLACE VIEW file_references (file_id) AS '
         || rtrim(pg_get_viewdef('file_references'::regclass), E'; \n')
         || ' UNION ALL SELECT file_id FROM graduation_exports WHERE file_id IS NOT NULL';
END
$$;

-- The graduates of window p_window as 电子注册 takes them: Shanxi's
-- applications the province approved (graduated), Tianjin's approved ones;
-- each with the photo for the registration (Shanxi: the graduation photo
-- that passed or the district accepted; Tianjin: the identity photo).
CREATE FUNCTION graduation_export_rows(p_window bigint)
RETURNS TABLE (application_id bigint, name text, gender text, birth_date date, id_number text,
               exam_id text, major_code text, major_name text, level text, university text,
               decided_at timestamptz, photo_file_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT a.id, c.name, c.gender, c.birth_date, c.id_number,
           (SELECT e.exam_id FROM exam_ids e WHERE e.candidate_id = c.id
             ORDER BY e.created_at LIMIT 1),
           a.data ->> 'major', m.name, m.level,
           (SELECT u.name FROM universities u WHERE u.code = a.data -> 'universities' ->> 0),
           (SELECT max(e.at) FROM application_events e WHERE e.application_id = a.id),
           CASE WHEN a.province = 'shanxi'
                THEN (SELECT p.file_id FROM application_photos p WHERE p.application_id = a.id
                         AND p.state IN ('passed', 'by_hand') ORDER BY p.uploaded_at DESC LIMIT 1)
                ELSE (SELECT ip.file_id FROM identity_photos ip WHERE ip.candidate_id = c.id
                         AND ip.kind = 'registration') END
      FROM applications a JOIN candidates c ON c.id = a.candidate_id
      LEFT JOIN majors m ON m.code = a.data ->> 'major'
     WHERE a.kind = 'graduation' AND a.window_id = p_window
       AND ((a.province = 'shanxi' AND a.state = 'graduated')
         OR (a.province = 'tianjin' AND a.state = 'approved'))
     ORDER BY a.data ->> 'major', c.id_number
$$;

-- An export asked for by province staff p_staff: the window must be a
-- graduation window. Returns the row as JSON (its job is the caller's).
CREATE FUNCTION graduation_export_request(p_staff bigint, p_window bigint, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    x graduation_exports;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM windows WHERE id = p_window AND kind = 'graduation') THEN
        PERFORM zk_refuse(422, 'WINDOW_NOT_FOUND', 'window_id', '没有这个毕业申请批次（窗口）');
    END IF;
    INSERT INTO graduation_exports (window_id, requested_by) VALUES (p_window, p_staff)
    RETURNING * INTO x;
    PERFORM staff_audit_add(p_staff, 'graduation.export', 'graduation_export', x.id::text, NULL,
                            jsonb_build_object('window_id', p_window), p_request);
    RETURN graduation_export_json(x);
END
$$;

CREATE FUNCTION graduation_export_json(x graduation_exports) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', x.id, 'window_id', x.window_id,
        'window_name', (SELECT w.name FROM windows w WHERE w.id = x.window_id),
        'state', x.state, 'graduates', x.graduates, 'missing_photos', x.missing,
        'error', x.error, 'created_at', zk_ts(x.created_at), 'done_at', zk_ts(x.done_at),
        'download', CASE WHEN x.file_id IS NOT NULL
                         THEN '/api/v1/staff/graduation/exports/' || x.id || '/file' END)
$$;
