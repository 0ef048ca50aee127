-- 0028_exemption.sql - the exemption application (免考申请, handbook 002) on
-- the application engine of 0020, its catalogues and its review queue.
--
-- Catalogues (data, loaded with `zikaoctl exemption import --kind ...`):
--   confirmation_points (0015) gain what a candidate reads: address, phone,
--     hours, note. A point without them is not offered to candidates.
--   exemption_certificates      the certificate types a candidate chooses
--     from (学历证书, PETS-2 and above, NCRE-1 and above ...), with where the
--     rule comes from (source: a published document, or 示例数据).
--   exemption_certificate_courses  which courses a certificate type exempts
--     in which major (major_code NULL: in every major).
--
-- The draft (applications.data), as the pages write it:
--   {"point": 3, "majors": ["080702", "020204"],
--    "certificates": [{"type": "ncre1", "major": "080702", "exam_date": "2019-09",
--                      "subject": "一级计算机基础及MS Office应用",
--                      "courses": ["00018", "00019"], "photo": 1}]}
-- photo: the n of the certificate's photo in the application's slot
-- `certificates` (application_files, 0023: JPEGs the photo worker checks
-- against [shanxi.certificate], longer side > 800 px, shorter > 600 px,
-- under 3 MB; at most four).
--
-- States: draft -> submitted (the confirmation point checks it) ->
-- confirmed (final: the courses become passes with source 'exemption',
-- which the graduation audit counts) | returned (被退回, with the reason:
-- the point's permission to re-apply once) -> reapply -> draft -> submit ...
-- A second return is final (returned_final). One application per window
-- (per_window 1): the re-application is the same application again.
--
-- exemption_refusal(app, action): the flow's checks before a candidate's
-- step (server/api/exemption.c), raised as zk_refuse (0015).
-- The review queue `exemption`: an item per submit, handled by the chosen
-- confirmation point; exemption_review_apply() is its decision hook.

-- ---- catalogues ------------------------------------------------------------------------------
ALTER TABLE confirmation_points
    ADD COLUMN address    text CHECK (address IS NULL OR length(address) BETWEEN 4 AND 200),
    ADD COLUMN phone      text CHECK (phone IS NULL OR length(phone) BETWEEN 7 AND 60),
    ADD COLUMN hours      text CHECK (hours IS NULL OR length(hours) BETWEEN 2 AND 100),
    ADD COLUMN note       text CHECK (note IS NULL OR length(note) BETWEEN 1 AND 300),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX confirmation_points_name_uq ON confirmation_points (name);

CREATE TABLE exemption_certificates (
    code       text        PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,31}$'),
    title      text        NOT NULL CHECK (length(title) BETWEEN 2 AND 200),
    seq        integer     NOT NULL,                      -- display order
    source     text        NOT NULL CHECK (length(source) BETWEEN 2 AND 200),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE exemption_certificate_courses (
    certificate text    NOT NULL REFERENCES exemption_certificates (code) ON DELETE CASCADE,
    major_code  text    REFERENCES majors (code) ON DELETE CASCADE, -- NULL: every major
    course_code char(5) NOT NULL REFERENCES courses (code)
);
CREATE UNIQUE INDEX exemption_certificate_courses_uq
    ON exemption_certificate_courses (certificate, coalesce(major_code, ''), course_code);

-- The courses certificate p_cert exempts in major p_major, with names.
CREATE FUNCTION exemption_courses(p_cert text, p_major text)
RETURNS TABLE (code text, name text, credits smallint)
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT c.code::text, c.name, c.credits
      FROM exemption_certificate_courses x JOIN courses c ON c.code = x.course_code
     WHERE x.certificate = p_cert AND (x.major_code IS NULL OR x.major_code = p_major)
     ORDER BY 1
$$;

-- ---- the application kind ----------------------------------------------------------------------
INSERT INTO application_kinds (kind, window_kind, title) VALUES
    ('exemption', 'exemption', '免考申请');

INSERT INTO application_rules (kind, province, pays, per_window, cancels, reviews) VALUES
    ('exemption', 'shanxi', 'none', 1, 0, '{point}');

INSERT INTO application_states (kind, province, state, title, open, next) VALUES
    ('exemption', '*', 'draft', '草稿', true,
     '选择免考确认点和专业（最多两个），添加证书（最多四个）及其照片，核对无误后提交'),
    ('exemption', '*', 'submitted', '已提交，待确认点确认', true,
     '免考确认点审核您的申请；如发现信息有误，可携带本人身份证和打印的免考申请信息详情到确认点'
     '申请退回，退回后可重新申请一次'),
    ('exemption', '*', 'confirmed', '确认通过', false,
     '免考已确认，免考课程已记入您的合格成绩，毕业审核时按免考课程计算'),
    ('exemption', '*', 'returned', '被退回', true,
     '申请被退回（原因见下方）；申请期内可点击“重新申请”修改后再提交，重新申请机会仅限一次'),
    ('exemption', '*', 'returned_final', '被退回', false,
     '申请再次被退回（原因见下方）；重新申请机会已用过，本次申请期内不能再申请');

INSERT INTO application_transitions (kind, province, name, from_state, to_state, actor, title)
VALUES
    ('exemption', '*', 'submit', 'draft', 'submitted', 'candidate', '提交申请'),
    ('exemption', '*', 'confirm', 'submitted', 'confirmed', 'staff', '免考确认点确认'),
    ('exemption', '*', 'return', 'submitted', 'returned', 'staff', '免考确认点退回'),
    ('exemption', '*', 'return_final', 'submitted', 'returned_final', 'staff', '免考确认点再次退回'),
    ('exemption', '*', 'reapply', 'returned', 'draft', 'candidate', '重新申请');

-- The certificate photos (handbook 002 step 4: 分辨率大于 800*600，照片文件小于 3M).
INSERT INTO application_slots (kind, province, slot, level, title, hint, accepts, spec, max_files,
                               min_bytes, max_bytes, required, seq) VALUES
    ('exemption', 'shanxi', 'certificates', NULL, '免考证书照片',
     '每个证书一张清晰的照片，JPG 格式，分辨率大于 800×600（横竖均可），小于 3 MB；最多四张',
     'jpeg', 'certificate', 4, 0, 3145727, false, 1);

-- ---- the checks before a candidate's step ------------------------------------------------------

-- The length of a JSON array, -1 for anything else (missing, a string ...):
-- a draft is the candidate's JSON, checked before it is trusted.
CREATE FUNCTION zk_array_length(p jsonb) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(p) WHEN 'array' THEN jsonb_array_length(p) ELSE -1 END
$$;

-- Refuses (zk_refuse) the candidate's step p_action of exemption application
-- p_app when the draft is not complete and true (submit), or a re-application
-- the point has not permitted or that was used (reapply). Returns nothing.
CREATE FUNCTION exemption_refusal(p_app bigint, p_action text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    a       applications;
    d       jsonb;
    v_majors text[] := '{}';
    m       majors;
    c       jsonb;
    i       integer := 0;
    v_cert  exemption_certificates;
    v_code  text;
    v_file  application_files;
    v_date  text;
BEGIN
    SELECT * INTO STRICT a FROM applications WHERE id = p_app;
    IF p_action = 'reapply' THEN
        IF a.state = 'returned_final' THEN
            PERFORM zk_refuse(409, 'REAPPLY_USED', NULL,
                '重新申请机会仅限一次，您已经重新申请过；本次申请期内不能再申请');
        ELSIF a.state <> 'returned' THEN
            PERFORM zk_refuse(409, 'REAPPLY_NOT_PERMITTED', NULL,
                '重新申请须先携带本人身份证和打印的免考申请信息详情到所选免考确认点，'
                || '经工作人员审核退回后，才能点击“重新申请”');
        END IF;
        RETURN;
    END IF;
    IF p_action <> 'submit' OR a.state <> 'draft' THEN
        RETURN; -- the engine answers a step the state does not allow
    END IF;
    d := a.data;
    -- 免考确认点
    IF NOT EXISTS (SELECT 1 FROM confirmation_points p
                    WHERE p.id = CASE jsonb_typeof(d -> 'point') WHEN 'number'
                                      THEN (d ->> 'point')::numeric END
                      AND p.address IS NOT NULL) THEN
        PERFORM zk_refuse(422, 'POINT_REQUIRED', 'point', '请选择免考确认点');
    END IF;
    -- 专业: one or two different majors; a stopping one only with a passed course of its plan
    IF zk_array_length(d -> 'majors') < 1 THEN
        PERFORM zk_refuse(422, 'MAJORS_REQUIRED', 'majors', '请选择免考申请专业（最多两个）');
    END IF;
    IF zk_array_length(d -> 'majors') > 2 THEN
        PERFORM zk_refuse(422, 'MAJORS_TOO_MANY', 'majors',
                          '最多选择两个不同专业的课程申请免考，请去掉多选的专业');
    END IF;
    FOR c IN SELECT value FROM jsonb_array_elements(d -> 'majors') LOOP
        IF jsonb_typeof(c) IS DISTINCT FROM 'string' THEN
            PERFORM zk_refuse(422, 'MAJOR_NOT_FOUND', 'majors', '专业代码有误，请重新选择专业');
        END IF;
        IF (c #>> '{}') = ANY (v_majors) THEN
            PERFORM zk_refuse(422, 'MAJORS_REPEATED', 'majors',
                              '两个专业不能相同，请选择两个不同的专业');
        END IF;
        SELECT * INTO m FROM majors WHERE code = c #>> '{}';
        IF NOT FOUND THEN
            PERFORM zk_refuse(422, 'MAJOR_NOT_FOUND', 'majors', '没有这个专业，请重新选择专业');
        END IF;
        IF m.status = 'stopping' AND NOT EXISTS (
               SELECT 1 FROM passed_courses pc JOIN plan_courses x ON x.course_code = pc.course_code
                 JOIN plans p ON p.id = x.plan_id
                WHERE pc.candidate_id = a.candidate_id AND p.major_code = m.code) THEN
            PERFORM zk_refuse(422, 'MAJOR_STOPPING', 'majors',
                m.code || ' ' || m.name || '是预停考专业，仅限已有该专业课程合格成绩的考生申请');
        END IF;
        v_majors := v_majors || (c #>> '{}');
    END LOOP;
    -- 证书: one to four, each exempting courses of a chosen major, with its photo accepted
    IF zk_array_length(d -> 'certificates') < 1 THEN
        PERFORM zk_refuse(422, 'CERTIFICATES_REQUIRED', 'certificates',
                          '请添加用于申请免考的证书（最多四个）');
    END IF;
    IF zk_array_length(d -> 'certificates') > 4 THEN
        PERFORM zk_refuse(422, 'CERTIFICATES_TOO_MANY', 'certificates',
                          '最多使用四个证书申请免考，请删除多余的证书');
    END IF;
    FOR c IN SELECT value FROM jsonb_array_elements(d -> 'certificates') LOOP
        SELECT * INTO v_cert FROM exemption_certificates WHERE code = c ->> 'type';
        IF jsonb_typeof(c) IS DISTINCT FROM 'object' OR NOT FOUND THEN
            PERFORM zk_refuse(422, 'CERTIFICATE_TYPE_UNKNOWN', format('certificates[%s].type', i),
                              format('第 %s 个证书：请从列表中选择证书种类', i + 1));
        END IF;
        IF NOT (c ->> 'major') = ANY (v_majors) OR c ->> 'major' IS NULL THEN
            PERFORM zk_refuse(422, 'CERTIFICATE_MAJOR_INVALID', format('certificates[%s].major', i),
                              format('第 %s 个证书：请选择它用于哪个已选专业的免考', i + 1));
        END IF;
        v_date := c ->> 'exam_date';
        IF (CASE WHEN v_date ~ '^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$'
                 THEN to_date(v_date, 'YYYY-MM') > now() ELSE true END) THEN
            PERFORM zk_refuse(422, 'FIELD_INVALID', format('certificates[%s].exam_date', i),
                              format('第 %s 个证书：请填写考试时间（年-月，如 2019-09，不晚于本月）', i + 1));
        END IF;
        IF coalesce(btrim(c ->> 'subject'), '') = '' OR length(c ->> 'subject') > 60 THEN
            PERFORM zk_refuse(422, 'FIELD_INVALID', format('certificates[%s].subject', i),
                              format('第 %s 个证书：请填写考试科目（最多 60 个字）', i + 1));
        END IF;
        IF NOT EXISTS (SELECT 1 FROM exemption_courses(v_cert.code, c ->> 'major')) THEN
            PERFORM zk_refuse(422, 'CERTIFICATE_EXEMPTS_NOTHING', format('certificates[%s].type', i),
                format('第 %s 个证书：“%s”在 %s 专业不能免考任何课程，请换一个证书或专业',
                       i + 1, v_cert.title, c ->> 'major'));
        END IF;
        IF zk_array_length(c -> 'courses') < 1 THEN
            PERFORM zk_refuse(422, 'COURSES_REQUIRED', format('certificates[%s].courses', i),
                              format('第 %s 个证书：请选择要免考的课程', i + 1));
        END IF;
        FOR v_code IN SELECT value FROM jsonb_array_elements_text(c -> 'courses') LOOP
            IF NOT EXISTS (SELECT 1 FROM exemption_courses(v_cert.code, c ->> 'major') x
                            WHERE x.code = v_code) THEN
                PERFORM zk_refuse(422, 'COURSE_NOT_EXEMPTED', format('certificates[%s].courses', i),
                    format('第 %s 个证书：“%s”不能免考课程 %s，请只选择列出的课程',
                           i + 1, v_cert.title, v_code));
            END IF;
        END LOOP;
        SELECT * INTO v_file FROM application_files f
         WHERE f.application_id = p_app AND f.slot = 'certificates'
           AND f.seq = CASE jsonb_typeof(c -> 'photo') WHEN 'number'
                            THEN (c ->> 'photo')::numeric END;
        IF NOT FOUND THEN
            PERFORM zk_refuse(422, 'CERTIFICATE_PHOTO_REQUIRED', format('certificates[%s].photo', i),
                              format('第 %s 个证书：请上传证书照片', i + 1));
        ELSIF v_file.state = 'checking' THEN
            PERFORM zk_refuse(409, 'FILES_CHECKING', format('certificates[%s].photo', i),
                format('第 %s 个证书的照片还在检查中，请稍候片刻，检查完成后再提交', i + 1));
        ELSIF v_file.state = 'refused' THEN
            PERFORM zk_refuse(422, 'CERTIFICATE_PHOTO_REFUSED', format('certificates[%s].photo', i),
                format('第 %s 个证书的照片未通过检查：%s', i + 1, v_file.reason));
        END IF;
        i := i + 1;
    END LOOP;
END
$$;

-- ---- what the review details and printed documents say of the candidate -------------------
-- (shared by the flows of 0028 and 0029)

-- The candidate as an officer deciding an item reads them: ID data, phone,
-- management district, exam IDs.
CREATE FUNCTION application_review_candidate(p_candidate bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', c.id, 'name', c.name, 'gender', c.gender,
        'id_type', c.id_type, 'id_number', c.id_number, 'phone', c.phone,
        'district', c.district,
        'exam_ids', coalesce((SELECT json_agg(e.exam_id ORDER BY e.created_at, e.exam_id)
                                FROM exam_ids e WHERE e.candidate_id = c.id), '[]'))
      FROM candidates c WHERE c.id = p_candidate
$$;

-- The candidate as a printed document names them: name, gender, ID number,
-- the first exam ID and all of them ("、" between).
CREATE FUNCTION application_document_person(p_candidate bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('candidate_id', c.id, 'name', c.name, 'gender', c.gender,
        'id_number', c.id_number,
        'exam_id', (SELECT e.exam_id FROM exam_ids e WHERE e.candidate_id = c.id
                     ORDER BY e.created_at, e.exam_id LIMIT 1),
        'exam_ids', (SELECT string_agg(e.exam_id, '、' ORDER BY e.created_at, e.exam_id)
                       FROM exam_ids e WHERE e.candidate_id = c.id))
      FROM candidates c WHERE c.id = p_candidate
$$;

-- ---- the review queue: the chosen confirmation point confirms or returns ----------------------
INSERT INTO review_kinds (kind, title) VALUES ('exemption', '免考申请确认');
CREATE INDEX review_items_exemption_list ON review_items (state, created_at, id)
    WHERE kind = 'exemption';
CREATE INDEX review_items_exemption_point_list
    ON review_items (office_point, state, created_at, id) WHERE kind = 'exemption';

-- An item per submit, at the confirmation point the draft names.
CREATE FUNCTION exemption_review_on_submit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_items (kind, subject, candidate_id, office_point, checks_passed, summary)
    VALUES ('exemption', NEW.id, NEW.candidate_id, (NEW.data ->> 'point')::bigint, true,
            jsonb_build_object('seq', NEW.seq, 'majors', NEW.data -> 'majors',
                               'certificates', jsonb_array_length(NEW.data -> 'certificates'),
                               'reapplied', EXISTS (SELECT 1 FROM application_events e
                                                     WHERE e.application_id = NEW.id
                                                       AND e.transition = 'reapply')))
    ON CONFLICT (kind, subject) WHERE state = 'open' DO UPDATE
       SET office_point = EXCLUDED.office_point, summary = EXCLUDED.summary;
    RETURN NULL;
END
$$;
CREATE TRIGGER exemption_review_on_submit AFTER UPDATE OF state ON applications
    FOR EACH ROW WHEN (NEW.kind = 'exemption' AND NEW.state = 'submitted'
                       AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION exemption_review_on_submit();

-- The decision hook: approve confirms the application and records each
-- exempted course as a pass (score 免考, source exemption, under the
-- candidate's first exam ID) that the graduation audit counts; return sends
-- it back with the reason (the second time for good). Staff may not refuse
-- an exemption outright (the handbook has confirm and return).
CREATE FUNCTION exemption_review_apply(p_item bigint, p_decision text, p_staff bigint)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v      review_items;
    a      applications;
    v_exam text;
    v_step text;
    v_n    integer := 0;
BEGIN
    SELECT * INTO STRICT v FROM review_items WHERE id = p_item;
    SELECT * INTO STRICT a FROM applications WHERE id = v.subject FOR UPDATE;
    IF p_decision = 'refuse' THEN
        PERFORM zk_refuse(422, 'DECISION_INVALID', 'decision',
                          '免考申请由确认点确认（approve）或退回（return，写明原因）');
    END IF;
    IF p_decision = 'return' THEN
        v_step := CASE WHEN EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = a.id
                                      AND e.transition = 'reapply')
                       THEN 'return_final' ELSE 'return' END;
        PERFORM application_transition(a.id, v_step, 'staff', p_staff, v.reason, NULL);
        RETURN json_build_object('application_id', a.id, 'state',
                                 CASE v_step WHEN 'return' THEN 'returned' ELSE 'returned_final' END);
    END IF;
    SELECT e.exam_id INTO v_exam FROM exam_ids e WHERE e.candidate_id = a.candidate_id
     ORDER BY e.created_at, e.exam_id LIMIT 1;
    IF v_exam IS NULL THEN
        PERFORM zk_refuse(409, 'EXAM_ID_MISSING', NULL,
                          '这位考生还没有准考证号，免考课程无法记入成绩，请先核实考籍');
    END IF;
    PERFORM application_transition(a.id, 'confirm', 'staff', p_staff, v.reason, NULL);
    WITH x AS (
        SELECT DISTINCT ON (k.code) k.code, k.name, k.credits
          FROM jsonb_array_elements(a.data -> 'certificates') c
          CROSS JOIN LATERAL jsonb_array_elements_text(c -> 'courses') cc(code)
          JOIN LATERAL exemption_courses(c ->> 'type', c ->> 'major') k ON k.code = cc.code
         ORDER BY k.code),
    ins AS (
        INSERT INTO passed_courses (candidate_id, exam_id, course_code, course_name, score,
                                    credits, passed_on, source)
        SELECT a.candidate_id, v_exam, x.code, x.name, '免考', x.credits,
               (now() AT TIME ZONE 'Asia/Shanghai')::date, 'exemption'
          FROM x
        ON CONFLICT (candidate_id, exam_id, course_code) DO NOTHING RETURNING 1)
    SELECT count(*) INTO v_n FROM ins;
    RETURN json_build_object('application_id', a.id, 'state', 'confirmed', 'courses_added', v_n);
END
$$;

-- An application's certificates as pages, staff and the PDF read them: the
-- type with its title, exam time, subject, the courses (code, name), the
-- major, and the photo's place in the slot with its check.
CREATE FUNCTION exemption_certificates_json(p_app bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object(
               'type', c ->> 'type', 'title', x.title, 'major', c ->> 'major',
               'exam_date', c ->> 'exam_date', 'subject', c ->> 'subject',
               'courses', coalesce((SELECT json_agg(json_build_object('code', k.code,
                                                                      'name', k.name)
                                                    ORDER BY k.code)
                                      FROM exemption_courses(c ->> 'type', c ->> 'major') k
                                     WHERE k.code IN (SELECT jsonb_array_elements_text(
                                                                 CASE jsonb_typeof(c -> 'courses')
                                                                 WHEN 'array' THEN c -> 'courses'
                                                                 ELSE '[]' END))), '[]'),
               'photo', c -> 'photo',
               'photo_state', f.state, 'photo_file_id', f.file_id) ORDER BY o.n), '[]')
      FROM applications a
      CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(a.data -> 'certificates')
                                              WHEN 'array' THEN a.data -> 'certificates'
                                              ELSE '[]' END) WITH ORDINALITY o(c, n)
      LEFT JOIN exemption_certificates x ON x.code = c ->> 'type'
      LEFT JOIN application_files f ON f.application_id = a.id AND f.slot = 'certificates'
                                   AND f.seq = CASE jsonb_typeof(c -> 'photo') WHEN 'number'
                                                    THEN (c ->> 'photo')::numeric END
     WHERE a.id = p_app
$$;

-- What the point needs to decide: the candidate, the majors, every
-- certificate with its courses and its photo (the application file's id).
CREATE FUNCTION exemption_review_detail(p_item bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'application', json_build_object('id', a.id, 'seq', a.seq, 'state', a.state,
                                         'submitted_at', zk_ts(a.submitted_at)),
        'candidate', application_review_candidate(a.candidate_id),
        'point', (SELECT json_build_object('id', p.id, 'name', p.name)
                    FROM confirmation_points p WHERE p.id = (a.data ->> 'point')::bigint),
        'majors', coalesce((SELECT json_agg(json_build_object('code', m.code, 'name', m.name,
                                                              'level', m.level) ORDER BY o.n)
                              FROM jsonb_array_elements_text(a.data -> 'majors')
                                   WITH ORDINALITY o(code, n)
                              JOIN majors m ON m.code = o.code), '[]'),
        'certificates', exemption_certificates_json(a.id),
        'timeline', (application_json(a.id) -> 'timeline'))
      FROM review_items i JOIN applications a ON a.id = i.subject
     WHERE i.id = p_item
$$;

-- ---- the printable detail (免考申请信息详情, handbook 002 step 7) -------------------------------

-- The last line of an application's timeline (its id numbers the documents
-- of that state: unique, and the same for the same state).
CREATE FUNCTION application_last_event(p_app bigint) RETURNS application_events
LANGUAGE sql STABLE AS $$
    SELECT * FROM application_events WHERE application_id = p_app ORDER BY id DESC LIMIT 1
$$;
-- The input of the exemption_detail document of a submitted application: the
-- candidate, the majors and point, every certificate with its courses, the
-- state (with the return's reason); dated and numbered by the application's
-- last step (its timeline line: a new state is a new document number).
CREATE FUNCTION exemption_detail_input(p_subject_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT application_document_person(a.candidate_id) || jsonb_build_object(
               'application_id', a.id,
               'exam_area', (SELECT coalesce(cy.name, '') || d.name FROM regions d
                               LEFT JOIN regions cy ON cy.code = d.parent AND cy.level = 'city'
                              WHERE d.code = c.district),
               'mobile', c.phone,
               'majors', (SELECT jsonb_agg(m.code || ' ' || m.name ORDER BY o.n)
                            FROM jsonb_array_elements_text(a.data -> 'majors')
                                 WITH ORDINALITY o(code, n)
                            JOIN majors m ON m.code = o.code),
               'confirm_point', (SELECT p.name FROM confirmation_points p
                                  WHERE p.id = (a.data ->> 'point')::bigint),
               'certificates', (SELECT jsonb_agg(jsonb_build_object(
                                           'certificate', x ->> 'title',
                                           'exam_date', x ->> 'exam_date',
                                           'subject', x ->> 'subject',
                                           'courses', x -> 'courses'))
                                  FROM jsonb_array_elements(
                                           exemption_certificates_json(a.id)::jsonb) x),
               'status', s.title,
               'return_reason', CASE WHEN a.state IN ('returned', 'returned_final') THEN
                                    (SELECT e.reason FROM application_events e
                                      WHERE e.application_id = a.id ORDER BY e.id DESC LIMIT 1)
                                END,
               'submitted_at', floor(extract(epoch FROM a.submitted_at))::bigint,
               'generated_at', floor(extract(epoch FROM ev.at))::bigint,
               'serial', ev.id % 100000000)
      FROM applications a
      JOIN candidates c ON c.id = a.candidate_id
      CROSS JOIN LATERAL application_state_row(a.kind, a.province, a.state) s
      CROSS JOIN LATERAL application_last_event(a.id) ev
     WHERE p_subject_id ~ '^[0-9]{1,18}$' AND a.id = p_subject_id::bigint
       AND a.kind = 'exemption' AND a.state <> 'draft'
$$;

INSERT INTO document_inputs (kind, subject_type, input_fn) VALUES
    ('exemption_detail', 'exemption', 'exemption_detail_input');
