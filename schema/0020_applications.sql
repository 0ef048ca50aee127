-- 0020_applications.sql - the application engine: graduation, exemption,
-- transfer and course registration are kinds of one model.
--
-- An application belongs to a candidate, a kind and the window instance it
-- was opened in; it is in one state of its kind's state machine, which is
-- data (application_states, application_transitions), per province where
-- the provinces differ ('*': every province). Every change of state goes
-- through application_transition(), in the caller's transaction, which
--   - finds the transition allowed from the current state and the actor
--     allowed to make it (candidate, staff, provider, system),
--   - refuses a candidate transition outside its window instance (staff,
--     provider and system transitions are never gated by a window),
--   - is idempotent: the same transition asked again once made returns the
--     application unchanged (a double click submits once),
--   - writes the timeline (application_events): every transition, who made
--     it, the reason the candidate reads.
-- The rules that differ by province (when the fee is paid, how many
-- applications a window allows, how many cancels, which reviews happen) are
-- application_rules; README shows them as a table.
--
-- Errors (SQLSTATE, MESSAGE; the server maps them to HTTP):
--   ZKA01 no such transition from this state (409)   DETAIL: the state
--   ZKA02 not this actor's transition (403)
--   ZKA03 the window is closed (403)                 DETAIL: JSON {starts_at, ends_at} of
--                                                     the current or next instance, or {}
--   ZKA04 the window's application limit is reached (409)  DETAIL: the limit
--   ZKA05 the application was changed meanwhile (409: a stale version)

CREATE TABLE application_kinds (
    kind        text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z_]{0,31}$'),
    window_kind text NOT NULL, -- shared/window_kinds.c: the window its candidate steps need
    title       text NOT NULL
);

CREATE TABLE application_rules (
    kind         text    NOT NULL REFERENCES application_kinds (kind),
    province     text    NOT NULL CHECK (province IN ('shanxi', 'tianjin')),
    pays         text    NOT NULL CHECK (pays IN ('none', 'submit', 'approval')),
    per_window   integer NOT NULL CHECK (per_window >= 1), -- applications (re-applications + 1)
    cancels      integer NOT NULL CHECK (cancels >= 0),    -- cancellations per window
    reviews      text[]  NOT NULL DEFAULT '{}',            -- in order: district, province, point...
    PRIMARY KEY (kind, province)
);

CREATE TABLE application_states (
    kind     text    NOT NULL REFERENCES application_kinds (kind),
    province text    NOT NULL DEFAULT '*',
    state    text    NOT NULL CHECK (state ~ '^[a-z][a-z_]{0,31}$'),
    title    text    NOT NULL, -- what the candidate sees: 草稿, 待审核 ...
    open     boolean NOT NULL, -- false: final (the application is over)
    next     text    NOT NULL, -- the next step, in words a candidate can act on
    PRIMARY KEY (kind, province, state)
);

CREATE TABLE application_transitions (
    kind       text    NOT NULL REFERENCES application_kinds (kind),
    province   text    NOT NULL DEFAULT '*',
    name       text    NOT NULL CHECK (name ~ '^[a-z][a-z_]{0,31}$'),
    from_state text    NOT NULL,
    to_state   text    NOT NULL,
    actor      text    NOT NULL CHECK (actor IN ('candidate', 'staff', 'provider', 'system')),
    title      text    NOT NULL, -- the button or the timeline's line: 提交, 撤销 ...
    PRIMARY KEY (kind, province, name, from_state)
);

CREATE TABLE applications (
    id           bigserial   PRIMARY KEY,
    kind         text        NOT NULL REFERENCES application_kinds (kind),
    province     text        NOT NULL CHECK (province IN ('shanxi', 'tianjin')),
    candidate_id bigint      NOT NULL REFERENCES candidates (id),
    window_id    bigint      NOT NULL REFERENCES windows (id),
    seq          integer     NOT NULL CHECK (seq >= 1), -- the candidate's nth in this window
    state        text        NOT NULL,
    open         boolean     NOT NULL DEFAULT true,
    data         jsonb       NOT NULL DEFAULT '{}',     -- the draft, then what was submitted
    version      integer     NOT NULL DEFAULT 1,        -- bumped by every change
    submitted_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (candidate_id, kind, window_id, seq)
);
-- At most one open application per candidate, kind and window.
CREATE UNIQUE INDEX applications_one_open ON applications (candidate_id, kind, window_id)
    WHERE open;
CREATE INDEX applications_candidate_idx ON applications (candidate_id, created_at DESC);
CREATE INDEX applications_window_idx ON applications (window_id, kind, state);

CREATE TABLE application_events (
    id             bigserial   PRIMARY KEY,
    application_id bigint      NOT NULL REFERENCES applications (id),
    transition     text        NOT NULL,
    from_state     text,
    to_state       text        NOT NULL,
    actor          text        NOT NULL,
    actor_id       bigint,      -- the candidate or the staff member; NULL for provider/system
    reason         text,        -- what the candidate reads (a refusal's reason)
    detail         jsonb,
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_events_app_idx ON application_events (application_id, id);

-- The row of the state machine for (kind, province): the province's own, else '*'.
CREATE FUNCTION application_state_row(p_kind text, p_province text, p_state text)
RETURNS application_states LANGUAGE sql STABLE AS $$
    SELECT * FROM application_states
     WHERE kind = p_kind AND state = p_state AND province IN (p_province, '*')
     ORDER BY province = '*' LIMIT 1
$$;

-- The window instance of a kind open now, or NULL.
CREATE FUNCTION window_open_now(p_window_kind text) RETURNS windows
LANGUAGE sql STABLE AS $$
    SELECT * FROM windows
     WHERE kind = p_window_kind AND starts_at <= now() AND ends_at > now()
     ORDER BY starts_at DESC LIMIT 1
$$;

-- ZKA03 with the dates a candidate needs: the open or next instance.
CREATE FUNCTION application_window_closed(p_window_kind text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    w windows;
BEGIN
    SELECT * INTO w FROM windows WHERE kind = p_window_kind AND ends_at > now()
     ORDER BY starts_at LIMIT 1;
    RAISE EXCEPTION USING ERRCODE = 'ZKA03', MESSAGE = 'window closed',
        DETAIL = CASE WHEN w.id IS NULL THEN '{}'
                      ELSE json_build_object('name', w.name, 'starts_at', zk_ts(w.starts_at),
                                             'ends_at', zk_ts(w.ends_at))::text END;
END
$$;

-- Opens the candidate's application of a kind in the window open now, or
-- returns the open one (idempotent). Counts the window's limit.
CREATE FUNCTION application_open(p_candidate bigint, p_kind text, p_province text)
RETURNS applications LANGUAGE plpgsql AS $$
DECLARE
    k    application_kinds;
    r    application_rules;
    w    windows;
    a    applications;
    v_n  integer;
BEGIN
    SELECT * INTO STRICT k FROM application_kinds WHERE kind = p_kind;
    SELECT * INTO STRICT r FROM application_rules WHERE kind = p_kind AND province = p_province;
    w := window_open_now(k.window_kind);
    IF w.id IS NULL THEN
        PERFORM application_window_closed(k.window_kind);
    END IF;
    -- One at a time per candidate: the count and the insert cannot interleave.
    PERFORM 1 FROM candidates WHERE id = p_candidate FOR UPDATE;
    SELECT * INTO a FROM applications
     WHERE candidate_id = p_candidate AND kind = p_kind AND window_id = w.id AND open;
    IF FOUND THEN
        RETURN a;
    END IF;
    SELECT count(*) INTO v_n FROM applications
     WHERE candidate_id = p_candidate AND kind = p_kind AND window_id = w.id;
    IF v_n >= r.per_window THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKA04', MESSAGE = 'application limit reached',
            DETAIL = r.per_window::text;
    END IF;
    INSERT INTO applications (kind, province, candidate_id, window_id, seq, state)
    VALUES (p_kind, p_province, p_candidate, w.id, v_n + 1, 'draft')
    RETURNING * INTO a;
    INSERT INTO application_events (application_id, transition, from_state, to_state, actor,
                                    actor_id)
    VALUES (a.id, 'create', NULL, 'draft', 'candidate', p_candidate);
    RETURN a;
END
$$;

-- Saves the draft's data (the candidate, in its window, in state draft, at
-- the version the candidate last read).
CREATE FUNCTION application_save_draft(p_app bigint, p_candidate bigint, p_version integer,
                                       p_data jsonb)
RETURNS applications LANGUAGE plpgsql AS $$
DECLARE
    a applications;
    k application_kinds;
BEGIN
    SELECT * INTO a FROM applications WHERE id = p_app AND candidate_id = p_candidate FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKA00', MESSAGE = 'no such application';
    END IF;
    IF a.state <> 'draft' THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKA01', MESSAGE = 'not a draft', DETAIL = a.state;
    END IF;
    SELECT * INTO k FROM application_kinds WHERE kind = a.kind;
    IF NOT EXISTS (SELECT 1 FROM windows WHERE id = a.window_id AND starts_at <= now()
                   AND ends_at > now()) THEN
        PERFORM application_window_closed(k.window_kind);
    END IF;
    IF p_version IS NOT NULL AND p_version <> a.version THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKA05', MESSAGE = 'changed meanwhile',
            DETAIL = a.version::text;
    END IF;
    UPDATE applications SET data = p_data, version = version + 1, updated_at = now()
     WHERE id = p_app RETURNING * INTO a;
    RETURN a;
END
$$;

-- Makes transition p_name of application p_app as p_actor (p_actor_id: the
-- candidate or staff member). See the head of this file.
CREATE FUNCTION application_transition(p_app bigint, p_name text, p_actor text,
                                       p_actor_id bigint, p_reason text, p_detail jsonb)
RETURNS applications LANGUAGE plpgsql AS $$
DECLARE
    a    applications;
    t    application_transitions;
    k    application_kinds;
    s    application_states;
    r    application_rules;
    v_n  integer;
    last application_events;
BEGIN
    SELECT * INTO a FROM applications WHERE id = p_app FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKA00', MESSAGE = 'no such application';
    END IF;
    SELECT * INTO t FROM application_transitions
     WHERE kind = a.kind AND province IN (a.province, '*') AND name = p_name
       AND from_state = a.state
     ORDER BY province = '*' LIMIT 1;
    IF NOT FOUND THEN
        -- Asked again once made (a double click, a provider's retry): unchanged.
        SELECT * INTO last FROM application_events WHERE application_id = p_app
         ORDER BY id DESC LIMIT 1;
        IF last.transition = p_name AND last.actor = p_actor THEN
            RETURN a;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'ZKA01', MESSAGE = 'no such transition from this state',
            DETAIL = a.state;
    END IF;
    IF t.actor <> p_actor THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKA02', MESSAGE = 'not this actor''s transition',
            DETAIL = t.actor;
    END IF;
    IF p_actor = 'candidate' AND NOT EXISTS (SELECT 1 FROM windows WHERE id = a.window_id
                                              AND starts_at <= now() AND ends_at > now()) THEN
        SELECT * INTO k FROM application_kinds WHERE kind = a.kind;
        PERFORM application_window_closed(k.window_kind);
    END IF;
    IF p_name = 'cancel' THEN -- cancellations per window are counted (application_rules)
        SELECT * INTO r FROM application_rules WHERE kind = a.kind AND province = a.province;
        SELECT count(*) INTO v_n FROM application_events e JOIN applications o
            ON o.id = e.application_id
         WHERE o.candidate_id = a.candidate_id AND o.kind = a.kind AND o.window_id = a.window_id
           AND e.transition = 'cancel';
        IF v_n >= r.cancels THEN
            RAISE EXCEPTION USING ERRCODE = 'ZKA04', MESSAGE = 'cancel limit reached',
                DETAIL = r.cancels::text;
        END IF;
    END IF;
    s := application_state_row(a.kind, a.province, t.to_state);
    UPDATE applications SET state = t.to_state, open = s.open, version = version + 1,
           updated_at = now(),
           submitted_at = CASE WHEN p_name = 'submit' THEN now() ELSE submitted_at END
     WHERE id = p_app RETURNING * INTO a;
    INSERT INTO application_events (application_id, transition, from_state, to_state, actor,
                                    actor_id, reason, detail)
    VALUES (p_app, p_name, t.from_state, t.to_state, p_actor, p_actor_id, p_reason, p_detail);
    RETURN a;
END
$$;

-- The application as the candidate reads it: state (with its title and next
-- step), the transitions the candidate may make now, the window, the timeline.
-- VOLATILE on purpose: called in the statement that opened or changed the
-- application, it must see that change (a STABLE function reads the
-- statement's starting snapshot).
CREATE FUNCTION application_json(p_app bigint) RETURNS json
LANGUAGE sql VOLATILE AS $$
    SELECT json_build_object(
        'id', a.id, 'kind', a.kind, 'title', k.title, 'seq', a.seq, 'version', a.version,
        'state', a.state, 'state_title', s.title, 'open', a.open, 'next_step', s.next,
        'data', a.data, 'submitted_at', zk_ts(a.submitted_at), 'created_at', zk_ts(a.created_at),
        'window', json_build_object('id', w.id, 'name', w.name, 'starts_at', zk_ts(w.starts_at),
                                    'ends_at', zk_ts(w.ends_at),
                                    'open', now() >= w.starts_at AND now() < w.ends_at),
        'actions', coalesce((SELECT json_agg(json_build_object('name', t.name, 'title', t.title)
                                             ORDER BY t.name)
                               FROM application_transitions t
                              WHERE t.kind = a.kind AND t.province IN (a.province, '*')
                                AND t.from_state = a.state AND t.actor = 'candidate'), '[]'),
        'timeline', coalesce((SELECT json_agg(json_build_object(
                                 'transition', e.transition, 'to_state', e.to_state,
                                 'title', coalesce((SELECT t.title FROM application_transitions t
                                                     WHERE t.kind = a.kind
                                                       AND t.province IN (a.province, '*')
                                                       AND t.name = e.transition LIMIT 1),
                                                   CASE e.transition WHEN 'create' THEN '创建'
                                                        ELSE e.transition END),
                                 'actor', e.actor, 'reason', e.reason, 'at', zk_ts(e.at))
                                 ORDER BY e.id)
                               FROM application_events e WHERE e.application_id = a.id), '[]'))
      FROM applications a
      JOIN application_kinds k ON k.kind = a.kind
      JOIN windows w ON w.id = a.window_id
      CROSS JOIN LATERAL application_state_row(a.kind, a.province, a.state) s
     WHERE a.id = p_app
$$;

-- What becomes of an application when its order is paid: the provider's
-- `pay` transition (order_purposes, 0012). Subject = the application id.
CREATE FUNCTION application_order_paid(p_subject text, p_order_no text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM application_transition(p_subject::bigint, 'pay', 'provider', NULL, NULL,
                                   jsonb_build_object('order_no', p_order_no));
END
$$;
UPDATE order_purposes SET on_paid = 'application_order_paid' WHERE purpose = 'graduation';

-- ---- graduation (毕业申请): the state machine of handbooks 001 and 004 ----------------------
INSERT INTO application_kinds (kind, window_kind, title) VALUES
    ('graduation', 'graduation', '毕业申请');

INSERT INTO application_rules (kind, province, pays, per_window, cancels, reviews) VALUES
    -- Shanxi (001): pay after approval; refused -> re-apply once in the window;
    -- automatic review when the audit passes, else the district's pre-review;
    -- the papers handed in at the district, then the province decides.
    ('graduation', 'shanxi', 'approval', 2, 1, '{district,province}'),
    -- Tianjin (004 十): submit and pay at once (no refunds); district, then province.
    ('graduation', 'tianjin', 'submit', 1, 1, '{district,province}');

INSERT INTO application_states (kind, province, state, title, open, next) VALUES
    ('graduation', '*', 'draft', '草稿', true,
     '填写并核对毕业申请，确认无误后提交；提交后不能再修改'),
    ('graduation', '*', 'cancelled', '已撤销', false,
     '申请已撤销；申请期内可重新申请（以本省规定的次数为限）'),
    ('graduation', '*', 'refused', '未通过', false,
     '审核未通过，原因见下方；申请期内可按原因修改后重新申请一次'),
    ('graduation', 'shanxi', 'reviewing', '审核中', true,
     '等待审核：课程审核通过的申请自动审核，其余由县区招办预审；结果会短信通知您'),
    ('graduation', 'shanxi', 'approved', '审核通过，待缴费', true,
     '请在申请期内缴纳毕业申请费；缴费后填写并打印《毕业生登记表》'),
    ('graduation', 'shanxi', 'paid', '已缴费', true,
     '请填写《毕业生登记表》，导出并打印两份，连同原始成绩卡片按时交到县区招办'),
    ('graduation', 'shanxi', 'papers_in', '纸质材料已交', true,
     '县区招办已收到纸质材料，等待省考试院审定'),
    ('graduation', 'shanxi', 'lapsed', '已失效', false,
     '未按时提交纸质原件，本次毕业申请无效'),
    ('graduation', 'shanxi', 'graduated', '审定通过', false,
     '毕业审定已通过，可在“毕业审定结果查询”中查看'),
    ('graduation', 'shanxi', 'not_graduated', '审定未通过', false,
     '毕业审定未通过，原因见下方'),
    ('graduation', 'tianjin', 'awaiting_payment', '待缴费', true,
     '请缴纳毕业申请费（不予退还）；未缴费的申请不予审核'),
    ('graduation', 'tianjin', 'district_review', '区县审核中', true,
     '等待考籍管理区县审核'),
    ('graduation', 'tianjin', 'province_review', '市考试院审核中', true,
     '区县审核已通过，等待市教育招生考试院审核'),
    ('graduation', 'tianjin', 'approved', '审核通过', false,
     '毕业申请审核通过');

INSERT INTO application_transitions (kind, province, name, from_state, to_state, actor, title)
VALUES
    ('graduation', 'shanxi', 'submit', 'draft', 'reviewing', 'candidate', '提交申请'),
    ('graduation', 'shanxi', 'cancel', 'draft', 'cancelled', 'candidate', '撤销申请'),
    ('graduation', 'shanxi', 'auto_approve', 'reviewing', 'approved', 'system', '系统审核通过'),
    ('graduation', 'shanxi', 'approve', 'reviewing', 'approved', 'staff', '县区招办预审通过'),
    ('graduation', 'shanxi', 'refuse', 'reviewing', 'refused', 'staff', '县区招办预审未通过'),
    ('graduation', 'shanxi', 'pay', 'approved', 'paid', 'provider', '缴费成功'),
    ('graduation', 'shanxi', 'receive_papers', 'paid', 'papers_in', 'staff', '县区招办收到纸质材料'),
    ('graduation', 'shanxi', 'lapse', 'paid', 'lapsed', 'system', '逾期未交纸质材料'),
    ('graduation', 'shanxi', 'graduate', 'papers_in', 'graduated', 'staff', '省考试院审定通过'),
    ('graduation', 'shanxi', 'reject', 'papers_in', 'not_graduated', 'staff', '省考试院审定未通过'),
    ('graduation', 'tianjin', 'submit', 'draft', 'awaiting_payment', 'candidate', '提交申请'),
    ('graduation', 'tianjin', 'cancel', 'draft', 'cancelled', 'candidate', '撤销申请'),
    ('graduation', 'tianjin', 'cancel', 'awaiting_payment', 'cancelled', 'candidate', '撤销申请'),
    ('graduation', 'tianjin', 'pay', 'awaiting_payment', 'district_review', 'provider', '缴费成功'),
    ('graduation', 'tianjin', 'approve', 'district_review', 'province_review', 'staff', '区县审核通过'),
    ('graduation', 'tianjin', 'refuse', 'district_review', 'refused', 'staff', '区县审核未通过'),
    ('graduation', 'tianjin', 'approve', 'province_review', 'approved', 'staff', '市考试院审核通过'),
    ('graduation', 'tianjin', 'refuse', 'province_review', 'refused', 'staff', '市考试院审核未通过');
