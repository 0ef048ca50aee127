-- 0024_graduate_forms.sql - the 毕业生登记表 (graduate registration form) of a
-- Shanxi graduation application (handbook 001 六.8-10): after paying, the
-- candidate fills in the form (personal details, the résumé as rows, the
-- self-assessment typed or left blank to write by hand), saves it as often
-- as wanted and exports it as PDF ("保存并导出 PDF") to print two copies and
-- hand them in at the chosen district office.
--
--   graduate_form_states   in which states of its application a form exists,
--                          and whether it may still be changed (data, per
--                          kind and province; a province without rows has no
--                          form: Tianjin)
--   graduate_forms         the form of an application: its data, a version
--                          for optimistic saves, the serial of its document
--                          number (renewed with every change of the data)
--   graduate_form_status() whether a candidate may read / change / export the
--                          form now, and if not, the answer to give
--   graduate_form_json()   the form as the candidate reads it: the fixed part
--                          from the records and the application, the data
--                          (prefilled from the records until the first save)
--   graduate_form_save()   a save at the version last read (nothing changes,
--                          not even the version, when the data is the same)
--   graduate_form_input()  the 毕业生登记表's document input (documents, 0007)
--
-- The application's draft fields read here (what the graduation flow
-- stores): data.major (major code), data.universities (array of university
-- codes, the chosen main universities; or data.university, one code),
-- data.district (the chosen district office's region code), data.address,
-- data.exam_id (optional; default the candidate's first exam ID).
--
-- Errors (SQLSTATE; MESSAGE is the Chinese sentence for the candidate, HINT
-- the API's error code):
--   ZKG00 no such application of the candidate's with a form (404)
--   ZKG09 not in a state that allows this (409)
--   ZKG05 the form was changed meanwhile (409: a stale version)   DETAIL: the version

-- ---- which states have a form ----------------------------------------------------------------
CREATE TABLE graduate_form_states (
    kind     text    NOT NULL REFERENCES application_kinds (kind),
    province text    NOT NULL CHECK (province IN ('shanxi', 'tianjin')),
    state    text    NOT NULL,
    editable boolean NOT NULL, -- false: read and exported, not changed
    PRIMARY KEY (kind, province, state)
);

-- Shanxi: filled in once paid (001 六.8); read-only once the district has
-- received the printed copies, still exported (the district may ask again).
-- Not after the application lapsed (it is void).
INSERT INTO graduate_form_states (kind, province, state, editable) VALUES
    ('graduation', 'shanxi', 'paid', true),
    ('graduation', 'shanxi', 'papers_in', false),
    ('graduation', 'shanxi', 'graduated', false),
    ('graduation', 'shanxi', 'not_graduated', false);

-- ---- the forms ------------------------------------------------------------------------------
-- The document number's sequence part (PP-YYYYMMDD-NNNNNNNN-C): every
-- change of a form's data takes the next one, so two printouts with
-- different content never share a number.
CREATE SEQUENCE graduate_form_serial;

CREATE TABLE graduate_forms (
    application_id bigint      PRIMARY KEY REFERENCES applications (id),
    data           jsonb       NOT NULL, -- as the API validated it (graduate_form.c)
    version        integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    serial         bigint      NOT NULL DEFAULT nextval('graduate_form_serial'),
    updated_at     timestamptz NOT NULL DEFAULT now() -- the last change of data: the PDF's date
);

-- ---- may the candidate read, change, export it now? ------------------------------------------
-- One row (no row: not the candidate's, not a graduation application, or a
-- province without a form): id; ok = the form exists in this state (and,
-- with p_need_saved, has been saved); the state and its title; editable;
-- when not ok, the error code and the sentence to answer. The documents' subject check reads it too.
CREATE FUNCTION graduate_form_status(p_app bigint, p_candidate bigint, p_need_saved boolean)
RETURNS TABLE (id text, ok boolean, state text, state_title text, editable boolean, code text,
               why text)
LANGUAGE sql STABLE AS $$
    SELECT a.id::text,
           s.state IS NOT NULL AND (f.application_id IS NOT NULL OR NOT p_need_saved),
           a.state,
           st.title,
           coalesce(s.editable, false),
           CASE WHEN s.state IS NULL THEN 'GRADUATE_FORM_NOT_AVAILABLE'
                WHEN f.application_id IS NULL AND p_need_saved THEN 'GRADUATE_FORM_NOT_SAVED' END,
           CASE WHEN s.state IS NULL THEN
                    format('缴纳毕业申请费后才能填写和导出《毕业生登记表》。申请目前的状态是“%s”：%s',
                           st.title, st.next)
                WHEN f.application_id IS NULL AND p_need_saved THEN
                    '请先填写《毕业生登记表》（个人简历至少一行）并保存，再导出 PDF' END
      FROM applications a
      CROSS JOIN LATERAL application_state_row(a.kind, a.province, a.state) st
      LEFT JOIN graduate_form_states s
             ON s.kind = a.kind AND s.province = a.province AND s.state = a.state
      LEFT JOIN graduate_forms f ON f.application_id = a.id
     WHERE a.id = p_app AND a.candidate_id = p_candidate
       AND EXISTS (SELECT 1 FROM graduate_form_states x
                    WHERE x.kind = a.kind AND x.province = a.province)
$$;

-- ---- the fixed part: from the records and the application -------------------------------------
-- Name, gender, ID number, birth month and exam ID as the records hold them
-- (corrected at the district office, never on the form); the major, level,
-- main universities and district office the application chose.
CREATE FUNCTION graduate_form_fixed(p_app bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'name', c.name,
        'gender', coalesce(c.gender, CASE WHEN substr(c.id_number, 17, 1)::int % 2 = 1
                                          THEN '男' ELSE '女' END),
        'id_number', c.id_number,
        'birth_date', coalesce(to_char(c.birth_date, 'YYYY-MM'),
                               substr(c.id_number, 7, 4) || '-' || substr(c.id_number, 11, 2)),
        'exam_id', coalesce((SELECT e.exam_id FROM exam_ids e
                              WHERE e.candidate_id = c.id AND e.exam_id = a.data->>'exam_id'),
                            (SELECT e.exam_id FROM exam_ids e WHERE e.candidate_id = c.id
                              ORDER BY e.created_at, e.exam_id LIMIT 1)),
        'major_code', m.code,
        'major_name', m.name,
        'level', m.level,
        'university', coalesce(
            (SELECT string_agg(u.name, '、' ORDER BY x.ord)
               FROM jsonb_array_elements_text(CASE jsonb_typeof(a.data->'universities')
                                                   WHEN 'array' THEN a.data->'universities'
                                                   ELSE '[]' END) WITH ORDINALITY x (code, ord)
               JOIN universities u ON u.code = x.code),
            (SELECT u.name FROM universities u WHERE u.code = a.data->>'university'),
            (SELECT u.name FROM major_universities mu JOIN universities u
                 ON u.code = mu.university_code
              WHERE mu.major_code = m.code ORDER BY mu.seq LIMIT 1)),
        'district_code', d.code,
        'district', CASE WHEN d.code IS NULL THEN NULL
                         WHEN d.level = 'district' AND p.level = 'city' THEN p.name || d.name
                         ELSE d.name END)
      FROM applications a
      JOIN candidates c ON c.id = a.candidate_id
      LEFT JOIN majors m ON m.code = a.data->>'major'
      LEFT JOIN regions d ON d.code = a.data->>'district'
      LEFT JOIN regions p ON p.code = d.parent
     WHERE a.id = p_app
$$;

-- The data before the first save: what the records and the application
-- know; the résumé and the self-assessment empty.
CREATE FUNCTION graduate_form_prefill(p_app bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'ethnicity', coalesce(c.ethnicity, ''),
        'political_status', coalesce(c.political_status, ''),
        'native_place', '',
        'work_unit', '',
        'address', coalesce(nullif(a.data->>'address', ''), c.address, ''),
        'postcode', '',
        'phone', coalesce(c.phone, ''),
        'email', coalesce(c.email, ''),
        'prior_level', '',
        'prior_school', '',
        'prior_major', '',
        'prior_graduated', '',
        'prior_cert_no', '',
        'resume', '[]'::jsonb,
        'self_assessment', '')
      FROM applications a JOIN candidates c ON c.id = a.candidate_id
     WHERE a.id = p_app
$$;

-- The form as GET answers it (the caller checked graduate_form_status).
-- VOLATILE: called in the statement that saved, it must see the save.
CREATE FUNCTION graduate_form_json(p_app bigint) RETURNS json
LANGUAGE sql VOLATILE AS $$
    SELECT json_build_object(
        'application_id', a.id,
        'state', a.state,
        'state_title', st.title,
        'editable', s.editable,
        'version', coalesce(f.version, 0),
        'saved', f.application_id IS NOT NULL,
        'updated_at', zk_ts(f.updated_at),
        'fixed', graduate_form_fixed(a.id),
        'data', coalesce(f.data, graduate_form_prefill(a.id)),
        'notice', '《毕业生登记表》导出 PDF 后打印一式两份，连同旧计划课程合格证（红卡/绿卡）、'
                  '实践课考核卡等原件，在规定时间内交到所选县（市、区）自考部门。'
                  '未按时提交纸质原件者，毕业申请无效。')
      FROM applications a
      CROSS JOIN LATERAL application_state_row(a.kind, a.province, a.state) st
      JOIN graduate_form_states s
        ON s.kind = a.kind AND s.province = a.province AND s.state = a.state
      LEFT JOIN graduate_forms f ON f.application_id = a.id
     WHERE a.id = p_app
$$;

-- Saves the form's data (already validated by the API) at the version the
-- candidate last read (0: never saved). Serialised per application by the
-- application's row lock, which the engine's transitions take too, so a
-- save never crosses the district's receipt of the papers. Identical data
-- changes nothing (the same version, the same document).
CREATE FUNCTION graduate_form_save(p_app bigint, p_candidate bigint, p_version integer,
                                   p_data jsonb)
RETURNS graduate_forms LANGUAGE plpgsql AS $$
DECLARE
    st record;
    f  graduate_forms;
BEGIN
    PERFORM 1 FROM applications WHERE id = p_app AND candidate_id = p_candidate FOR UPDATE;
    SELECT * INTO st FROM graduate_form_status(p_app, p_candidate, false);
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKG00', MESSAGE = '没有这份毕业申请的《毕业生登记表》',
            HINT = 'APPLICATION_NOT_FOUND';
    END IF;
    IF NOT st.ok THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKG09', MESSAGE = st.why, HINT = st.code;
    END IF;
    IF NOT st.editable THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKG09', HINT = 'GRADUATE_FORM_READ_ONLY',
            MESSAGE = format('申请目前的状态是“%s”，《毕业生登记表》不能再修改，仍可导出 PDF',
                             st.state_title);
    END IF;
    SELECT * INTO f FROM graduate_forms WHERE application_id = p_app;
    IF coalesce(f.version, 0) <> p_version THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKG05', HINT = 'GRADUATE_FORM_CHANGED',
            MESSAGE = '《毕业生登记表》已在别处保存（例如另一个浏览器窗口），请刷新页面后再修改',
            DETAIL = coalesce(f.version, 0)::text;
    END IF;
    IF f.application_id IS NULL THEN
        INSERT INTO graduate_forms (application_id, data) VALUES (p_app, p_data) RETURNING * INTO f;
    ELSIF f.data IS DISTINCT FROM p_data THEN
        UPDATE graduate_forms SET data = p_data, version = version + 1,
               serial = nextval('graduate_form_serial'), updated_at = now()
         WHERE application_id = p_app RETURNING * INTO f;
    END IF;
    RETURN f;
END
$$;

-- ---- the document ---------------------------------------------------------------------------
-- The 毕业生登记表's input (document_input('graduate_form', 'graduation', id)):
-- the fixed part, the form's data, the graduation photo (the file by id and
-- content hash: the worker reads its bytes, the hash makes a new photo a new
-- input), the date of the last change (never the clock) and the serial.
-- NULL when the application has no saved form in a state that has one.
CREATE FUNCTION graduate_form_input(p_subject_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT graduate_form_fixed(a.id) || f.data || jsonb_build_object(
               'application_id', a.id,
               'candidate_id', a.candidate_id,
               'photo', (SELECT jsonb_build_object('file_id', p.file_id, 'sha256', fl.sha256)
                           FROM application_photos p JOIN files fl ON fl.id = p.file_id
                          WHERE p.application_id = a.id AND p.state IN ('passed', 'by_hand')),
               'generated_at', floor(extract(epoch FROM f.updated_at))::bigint,
               'serial', f.serial % 100000000)
      FROM applications a
      JOIN graduate_forms f ON f.application_id = a.id
      JOIN graduate_form_states s
        ON s.kind = a.kind AND s.province = a.province AND s.state = a.state
     WHERE p_subject_id ~ '^[0-9]{1,18}$' AND a.id = p_subject_id::bigint
$$;

-- document_input() dispatches to each kind's function, registered as data
-- (as order_purposes does for paid orders): a flow that adds a document
-- kind adds its row here in its own migration instead of replacing
-- document_input. The receipt's branch of 0007 becomes its function,
-- unchanged.
CREATE TABLE document_inputs (
    kind         text    PRIMARY KEY,
    subject_type text    NOT NULL,
    input_fn     regproc NOT NULL -- fn(subject_id text) RETURNS jsonb (NULL: no document)
);

CREATE FUNCTION document_input_receipt(p_subject_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
               'order_no', o.order_no,
               'candidate_id', o.candidate_id,
               'purpose', o.description,
               'payer_name', c.name,
               'id_number', c.id_number,
               'exam_id', (SELECT e.exam_id FROM exam_ids e
                            WHERE e.candidate_id = c.id
                            ORDER BY e.created_at, e.exam_id LIMIT 1),
               'amount_fen', o.amount_fen,
               'refundable', o.refundable,
               'provider', o.provider,
               'provider_trade_no', o.provider_trade_no,
               'created_at', floor(extract(epoch FROM o.created_at))::bigint,
               'paid_at', floor(extract(epoch FROM o.paid_at))::bigint,
               'serial', o.id % 100000000)
      FROM orders o JOIN candidates c ON c.id = o.candidate_id
     WHERE o.order_no = p_subject_id AND o.state = 'paid'
$$;

INSERT INTO document_inputs (kind, subject_type, input_fn) VALUES
    ('receipt', 'order', 'document_input_receipt'),
    ('graduate_form', 'graduation', 'graduate_form_input');

CREATE OR REPLACE FUNCTION document_input(p_kind text, p_subject_type text, p_subject_id text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_fn    regproc;
    v_input jsonb;
BEGIN
    SELECT input_fn INTO v_fn FROM document_inputs
     WHERE kind = p_kind AND subject_type = p_subject_type;
    IF v_fn IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT %s($1)', v_fn) INTO v_input USING p_subject_id;
    RETURN v_input;
END
$$;
