-- 0015_staff.sql - the staff side: offices, staff accounts, the audit trail,
-- review queues (and the first: manual identity verification), corrections
-- of candidates' records, candidates registered at the district with a
-- document other than a mainland ID card, and the retention of ID-card and
-- holding photos.
--
-- Rules the database enforces itself (README, "Staff"):
--   * scope: every staff statement joins staff_scope on the caller; a row
--     outside the caller's office is not found (the API answers 404);
--   * the trail (staff_audit) only grows: the application role has SELECT
--     and INSERT on it alone, and a trigger refuses UPDATE, DELETE and
--     TRUNCATE whoever asks;
--   * a review item is decided once: review_decide locks it, and the second
--     officer finds it no longer open (409).
--
-- Functions that refuse raise SQLSTATE ZKnnn (nnn: the HTTP status) with the
-- message 'CODE|field|中文说明'; the server answers exactly that.

-- ---- documents other than a mainland ID card ---------------------------------
--
-- District staff register, after seeing the document, candidates holding a
-- passport or a Hong Kong / Macao or Taiwan permit; each type has its own
-- number format (validate.c repeats these, a test proves they agree).
ALTER TABLE candidates DROP CONSTRAINT candidates_id_type_check;
ALTER TABLE candidates DROP CONSTRAINT candidates_id_number_check;
ALTER TABLE candidates ADD CONSTRAINT candidates_id_document CHECK (
       (id_type = 'id_card' AND id_number ~ '^[0-9]{17}[0-9X]$')
    OR (id_type = 'passport' AND id_number ~ '^[A-Z0-9]{5,17}$')
    OR (id_type = 'hk_macao_permit' AND id_number ~ '^[HM][0-9]{8}([0-9]{2})?$')
    OR (id_type = 'taiwan_permit' AND id_number ~ '^[0-9]{8}([0-9]{2})?$'));

-- Refusals the server answers as they are (see the head of this file).
CREATE FUNCTION zk_refuse(p_status int, p_code text, p_field text, p_message text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'ZK' || p_status::text,
        MESSAGE = p_code || '|' || coalesce(p_field, '') || '|' || p_message;
END
$$;

-- ---- offices and staff accounts ---------------------------------------------
--
-- An office is the province office, a district office (the district's
-- region code) or a confirmation point (免考确认点, a row here). Each staff
-- member belongs to one: province and auditor staff to the province,
-- district staff to a district, confirmation-point staff to a point.
CREATE TABLE confirmation_points (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    district   char(6)     NOT NULL REFERENCES regions (code),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- password_hash: argon2id. totp_secret: the 20-byte RFC 6238 key, NULL until
-- the person enrols at their first sign-in (after creation, or a reset of the
-- second factor); totp_last_step: the last step that signed them in (a code
-- is never accepted twice). cred_version: bumped when a session must end
-- (password or second factor reset, disabled).
CREATE TABLE staff (
    id                   bigserial   PRIMARY KEY,
    username             text        NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9._-]{2,31}$'),
    name                 text        NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    role                 text        NOT NULL
                                     CHECK (role IN ('province', 'district', 'confirmation_point',
                                                     'auditor')),
    district             char(6)     REFERENCES regions (code),
    point_id             bigint      REFERENCES confirmation_points (id),
    is_admin             boolean     NOT NULL DEFAULT false,
    password_hash        text        NOT NULL,
    password_must_change boolean     NOT NULL DEFAULT true,
    totp_secret          bytea       CHECK (totp_secret IS NULL OR length(totp_secret) = 20),
    totp_last_step       bigint      NOT NULL DEFAULT 0,
    cred_version         integer     NOT NULL DEFAULT 1,
    disabled_at          timestamptz,
    created_by           bigint      REFERENCES staff (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT staff_office CHECK (
           (role = 'district' AND district IS NOT NULL AND point_id IS NULL)
        OR (role = 'confirmation_point' AND point_id IS NOT NULL AND district IS NULL)
        OR (role IN ('province', 'auditor') AND district IS NULL AND point_id IS NULL)),
    CONSTRAINT staff_admin_is_province CHECK (NOT is_admin OR role = 'province')
);

-- The office as the trail names it: province, district:140105, point:3.
CREATE FUNCTION staff_office(p_role text, p_district char(6), p_point bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_role = 'district' THEN 'district:' || p_district
                WHEN p_role = 'confirmation_point' THEN 'point:' || p_point
                ELSE 'province' END
$$;

-- What a staff member may see: every office (province, auditor), or one
-- district, or one confirmation point. Disabled staff see nothing.
CREATE VIEW staff_scope AS
    SELECT s.id AS staff_id, s.role, s.role IN ('province', 'auditor') AS all_offices,
           s.district, s.point_id
      FROM staff s WHERE s.disabled_at IS NULL;

-- ---- the audit trail ---------------------------------------------------------
--
-- One row per staff action, sign-in (and failed sign-in), view of sensitive
-- personal data (photos, records, review items) and retention deletion:
-- who (staff_id, with username, role and office as they were), what
-- (action, e.g. review.approve), the item (item_kind, item_id), before and
-- after (JSON), when, and the request id (X-Request-Id). Rows written by the
-- workers have no staff_id.
CREATE TABLE staff_audit (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    staff_id   bigint      REFERENCES staff (id),
    username   text,
    role       text,
    office     text,
    action     text        NOT NULL CHECK (action ~ '^[a-z][a-z_.]{1,47}$'),
    item_kind  text,
    item_id    text,
    before     jsonb,
    after      jsonb,
    request_id text
);
CREATE INDEX staff_audit_staff_idx ON staff_audit (staff_id, id);
CREATE INDEX staff_audit_office_idx ON staff_audit (office, id);
CREATE INDEX staff_audit_action_idx ON staff_audit (action, id);
CREATE INDEX staff_audit_item_idx ON staff_audit (item_kind, item_id, id);
CREATE INDEX staff_audit_at_idx ON staff_audit (at);

CREATE FUNCTION staff_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'staff_audit is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER staff_audit_no_update BEFORE UPDATE OR DELETE ON staff_audit
    FOR EACH ROW EXECUTE FUNCTION staff_audit_append_only();
CREATE TRIGGER staff_audit_no_truncate BEFORE TRUNCATE ON staff_audit
    FOR EACH STATEMENT EXECUTE FUNCTION staff_audit_append_only();

DO $$
DECLARE
    v_app text := coalesce(nullif(current_setting('zikao.app_role', true), ''), 'zikao');
BEGIN
    IF v_app <> current_user AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_app) THEN
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON staff_audit FROM %I', v_app);
    END IF;
END
$$;

-- Appends one row of the trail for p_staff (NULL: the system) and returns
-- its id; the staff member's username, role and office are copied as they
-- are now.
CREATE FUNCTION staff_audit_add(p_staff bigint, p_action text, p_item_kind text, p_item_id text,
                                p_before jsonb, p_after jsonb, p_request text)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO staff_audit (staff_id, username, role, office, action, item_kind, item_id, before,
                             after, request_id)
    SELECT p_staff, s.username, s.role, staff_office(s.role, s.district, s.point_id), p_action,
           p_item_kind, p_item_id, p_before, p_after, nullif(p_request, '')
      FROM (SELECT 1) one LEFT JOIN staff s ON s.id = p_staff
    RETURNING id
$$;

-- ---- staff accounts: what the province administrators do -------------------

CREATE FUNCTION staff_json(s staff) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', s.id, 'username', s.username, 'name', s.name, 'role', s.role,
        'office', staff_office(s.role, s.district, s.point_id), 'district', s.district,
        'district_name', (SELECT r.name FROM regions r WHERE r.code = s.district),
        'point_id', s.point_id,
        'point_name', (SELECT p.name FROM confirmation_points p WHERE p.id = s.point_id),
        'is_admin', s.is_admin, 'enrolled', s.totp_secret IS NOT NULL,
        'password_must_change', s.password_must_change, 'disabled', s.disabled_at IS NOT NULL,
        'disabled_at', zk_ts(s.disabled_at), 'created_at', zk_ts(s.created_at))
$$;

-- A new staff member (p_by: the administrator; NULL from zikaoctl).
CREATE FUNCTION staff_create(p_by bigint, p_username text, p_name text, p_role text,
                             p_district text, p_point bigint, p_admin boolean, p_hash text,
                             p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v staff%ROWTYPE;
BEGIN
    IF p_role NOT IN ('province', 'district', 'confirmation_point', 'auditor') THEN
        PERFORM zk_refuse(422, 'ROLE_INVALID', 'role',
                          '角色应为 province、district、confirmation_point 或 auditor');
    END IF;
    IF p_username !~ '^[a-z][a-z0-9._-]{2,31}$' THEN
        PERFORM zk_refuse(422, 'USERNAME_INVALID', 'username',
                          '用户名为 3-32 位小写字母、数字或 . _ -，以字母开头');
    END IF;
    IF p_role = 'district' AND NOT EXISTS (SELECT 1 FROM regions WHERE code = p_district
                                                                   AND level = 'district') THEN
        PERFORM zk_refuse(422, 'DISTRICT_INVALID', 'district', '请填写区县的 6 位行政区划代码');
    END IF;
    IF p_role = 'confirmation_point'
       AND NOT EXISTS (SELECT 1 FROM confirmation_points WHERE id = p_point) THEN
        PERFORM zk_refuse(422, 'POINT_INVALID', 'point_id', '没有这个免考确认点');
    END IF;
    IF p_admin AND p_role <> 'province' THEN
        PERFORM zk_refuse(422, 'ADMIN_NOT_PROVINCE', 'is_admin', '只有省级工作人员可以是管理员');
    END IF;
    IF EXISTS (SELECT 1 FROM staff WHERE username = p_username) THEN
        PERFORM zk_refuse(409, 'USERNAME_TAKEN', 'username', '这个用户名已被使用');
    END IF;
    INSERT INTO staff (username, name, role, district, point_id, is_admin, password_hash,
                       created_by)
    VALUES (p_username, p_name, p_role, CASE WHEN p_role = 'district' THEN p_district END,
            CASE WHEN p_role = 'confirmation_point' THEN p_point END, p_admin, p_hash, p_by)
    RETURNING * INTO v;
    PERFORM staff_audit_add(p_by, 'staff.create', 'staff', v.id::text, NULL,
                            to_jsonb(staff_json(v)), p_request);
    RETURN staff_json(v);
END
$$;

-- What an administrator changes of another staff member: disable, enable,
-- reset_password (p_hash: the new temporary one), reset_totp. Ends the
-- person's sessions (cred_version) unless enabling. Refuses to leave the
-- service without an enabled administrator.
CREATE FUNCTION staff_change(p_by bigint, p_target bigint, p_what text, p_hash text,
                             p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_old staff%ROWTYPE;
    v     staff%ROWTYPE;
BEGIN
    SELECT * INTO v_old FROM staff WHERE id = p_target FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM zk_refuse(404, 'STAFF_NOT_FOUND', 'id', '没有这个工作人员');
    END IF;
    IF p_what = 'disable' AND p_by = p_target THEN
        PERFORM zk_refuse(409, 'CANNOT_DISABLE_SELF', NULL, '不能停用自己的账号');
    END IF;
    IF p_what = 'disable' AND v_old.is_admin AND v_old.disabled_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.is_admin AND s.disabled_at IS NULL
                                               AND s.id <> p_target) THEN
        PERFORM zk_refuse(409, 'LAST_ADMIN', NULL, '这是最后一位在用的管理员，不能停用');
    END IF;
    UPDATE staff s SET
        disabled_at = CASE p_what WHEN 'disable' THEN coalesce(s.disabled_at, now())
                                  WHEN 'enable' THEN NULL ELSE s.disabled_at END,
        password_hash = CASE WHEN p_what = 'reset_password' THEN p_hash ELSE s.password_hash END,
        password_must_change = s.password_must_change OR p_what = 'reset_password',
        totp_secret = CASE WHEN p_what = 'reset_totp' THEN NULL ELSE s.totp_secret END,
        cred_version = s.cred_version + CASE WHEN p_what = 'enable' THEN 0 ELSE 1 END,
        updated_at = now()
     WHERE s.id = p_target RETURNING * INTO v;
    PERFORM staff_audit_add(p_by, 'staff.' || p_what, 'staff', p_target::text,
                            to_jsonb(staff_json(v_old)), to_jsonb(staff_json(v)), p_request);
    RETURN staff_json(v);
END
$$;

-- ---- review queues -------------------------------------------------------------
--
-- The one mechanism every queue is (README, "Review queues"; the C side is
-- server/api/review.h). A queue is a kind of item, registered here by the
-- flow's migration; an item is one thing a person must decide:
--   kind, subject   the flow's row the item is about (one open item per
--                   subject), and the candidate it concerns;
--   state           open, then approved / returned / refused by staff, or
--                   withdrawn (what was asked was settled another way) or
--                   superseded (another claim or application took its
--                   place): closed items are never reopened;
--   office          office_district or office_point: the handling office,
--                   which the flow sets (NULL both: the province);
--   checks_passed   every automatic check on the subject passed: the only
--                   items bulk approval takes;
--   summary         what the list shows of the item (the flow's JSON);
--   claim           claimed_by until claimed_until: an officer holds the
--                   item; others cannot decide it meanwhile (409);
--   decision        decided_by, decided_at, reason and next_step, which the
--                   candidate reads (and receives by SMS).
-- Each queue adds an index per list order (its partial indexes below).
CREATE TABLE review_kinds (
    kind  text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z_]{1,31}$'),
    title text NOT NULL
);

CREATE TABLE review_items (
    id              bigserial   PRIMARY KEY,
    kind            text        NOT NULL REFERENCES review_kinds (kind),
    subject         bigint      NOT NULL,
    candidate_id    bigint      NOT NULL REFERENCES candidates (id),
    state           text        NOT NULL DEFAULT 'open'
                                CHECK (state IN ('open', 'approved', 'returned', 'refused',
                                                 'withdrawn', 'superseded')),
    office_district char(6)     REFERENCES regions (code),
    office_point    bigint      REFERENCES confirmation_points (id),
    checks_passed   boolean     NOT NULL DEFAULT false,
    summary         jsonb       NOT NULL DEFAULT '{}',
    claimed_by      bigint      REFERENCES staff (id),
    claimed_until   timestamptz,
    decided_by      bigint      REFERENCES staff (id),
    decided_at      timestamptz,
    reason          text        CHECK (reason IS NULL OR length(reason) <= 500),
    next_step       text        CHECK (next_step IS NULL OR length(next_step) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz
);
CREATE UNIQUE INDEX review_items_open_uq ON review_items (kind, subject) WHERE state = 'open';
CREATE INDEX review_items_candidate_idx ON review_items (candidate_id);

-- An item as lists and views show it.
CREATE FUNCTION review_item_json(i review_items) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', i.id, 'kind', i.kind, 'subject', i.subject,
        'state', i.state, 'office', CASE WHEN i.office_district IS NOT NULL
                                         THEN 'district:' || i.office_district
                                         WHEN i.office_point IS NOT NULL
                                         THEN 'point:' || i.office_point ELSE 'province' END,
        'office_district', i.office_district, 'office_point', i.office_point,
        'checks_passed', i.checks_passed, 'summary', i.summary,
        'candidate', (SELECT json_build_object('id', c.id, 'name', c.name, 'id_type', c.id_type,
                          'id_number', left(c.id_number, 4) || repeat('*', greatest(length(c.id_number) - 7, 0)) || right(c.id_number, 3),
                          'district', c.district)
                        FROM candidates c WHERE c.id = i.candidate_id),
        'claimed_by', CASE WHEN i.claimed_until > now() THEN
                          (SELECT json_build_object('id', s.id, 'name', s.name)
                             FROM staff s WHERE s.id = i.claimed_by) END,
        'claimed_until', CASE WHEN i.claimed_until > now() THEN zk_ts(i.claimed_until) END,
        'decided_by', (SELECT json_build_object('id', s.id, 'name', s.name)
                         FROM staff s WHERE s.id = i.decided_by),
        'decided_at', zk_ts(i.decided_at), 'reason', i.reason, 'next_step', i.next_step,
        'created_at', zk_ts(i.created_at), 'closed_at', zk_ts(i.closed_at))
$$;

-- The item p_item of queue p_kind as p_staff may see it, locked; refuses 404
-- outside the caller's scope (or when it does not exist).
CREATE FUNCTION review_lock(p_item bigint, p_kind text, p_staff bigint) RETURNS review_items
LANGUAGE plpgsql AS $$
DECLARE
    v review_items%ROWTYPE;
BEGIN
    SELECT i.* INTO v FROM review_items i JOIN staff_scope sc ON sc.staff_id = p_staff
     WHERE i.id = p_item AND i.kind = p_kind
       AND (sc.all_offices OR i.office_district = sc.district OR i.office_point = sc.point_id)
       FOR UPDATE OF i;
    IF NOT FOUND THEN
        PERFORM zk_refuse(404, 'ITEM_NOT_FOUND', 'id', '没有这一项');
    END IF;
    IF v.state <> 'open' THEN
        PERFORM zk_refuse(409, CASE v.state WHEN 'withdrawn' THEN 'ITEM_WITHDRAWN'
                                            WHEN 'superseded' THEN 'ITEM_SUPERSEDED'
                                            ELSE 'ITEM_DECIDED' END, NULL,
                          CASE v.state WHEN 'withdrawn' THEN '这一项已撤回（考生已通过其他途径办结），无需处理'
                                       WHEN 'superseded' THEN '这一项已被取代（同一证件号的另一申请已办结），无需处理'
                                       ELSE '这一项已由其他工作人员处理' END);
    END IF;
    IF v.claimed_by IS NOT NULL AND v.claimed_by <> p_staff AND v.claimed_until > now() THEN
        PERFORM zk_refuse(409, 'ITEM_CLAIMED', NULL,
                          '这一项正由' || (SELECT s.name FROM staff s WHERE s.id = v.claimed_by)
                          || '处理（至 ' || to_char(v.claimed_until AT TIME ZONE 'Asia/Shanghai',
                                                    'HH24:MI') || '）');
    END IF;
    RETURN v;
END
$$;

-- Takes (p_minutes > 0) or lets go of (0) an item for p_staff.
CREATE FUNCTION review_claim(p_item bigint, p_kind text, p_staff bigint, p_minutes int,
                             p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v review_items%ROWTYPE;
BEGIN
    v := review_lock(p_item, p_kind, p_staff);
    UPDATE review_items i SET
        claimed_by = CASE WHEN p_minutes > 0 THEN p_staff END,
        claimed_until = CASE WHEN p_minutes > 0 THEN now() + make_interval(mins => p_minutes) END
     WHERE i.id = p_item RETURNING * INTO v;
    PERFORM staff_audit_add(p_staff, CASE WHEN p_minutes > 0 THEN 'review.claim'
                                          ELSE 'review.release' END,
                            p_kind, p_item::text, NULL, NULL, p_request);
    RETURN review_item_json(v);
END
$$;

-- Records p_staff's decision (approve, return, refuse) on an open item
-- they may see and nobody else holds, with the reason and next step the
-- candidate reads; p_bulk: only an item whose automatic checks all passed.
-- The flow's decision hook runs next, in the same transaction.
CREATE FUNCTION review_decide(p_item bigint, p_kind text, p_staff bigint, p_decision text,
                              p_reason text, p_next text, p_bulk boolean, p_request text)
RETURNS review_items LANGUAGE plpgsql AS $$
DECLARE
    v_old review_items%ROWTYPE;
    v     review_items%ROWTYPE;
BEGIN
    IF p_decision NOT IN ('approve', 'return', 'refuse') THEN
        PERFORM zk_refuse(422, 'DECISION_INVALID', 'decision',
                          '处理结果应为 approve（通过）、return（退回）或 refuse（不通过）');
    END IF;
    v_old := review_lock(p_item, p_kind, p_staff);
    IF p_bulk AND NOT v_old.checks_passed THEN
        PERFORM zk_refuse(409, 'CHECKS_NOT_PASSED', NULL,
                          '这一项的自动检查没有全部通过，须逐项审核');
    END IF;
    UPDATE review_items i SET
        state = CASE p_decision WHEN 'approve' THEN 'approved' WHEN 'return' THEN 'returned'
                                ELSE 'refused' END,
        reason = nullif(p_reason, ''), next_step = nullif(p_next, ''), decided_by = p_staff,
        decided_at = now(), closed_at = now(), claimed_by = NULL, claimed_until = NULL
     WHERE i.id = p_item RETURNING * INTO v;
    PERFORM staff_audit_add(p_staff, 'review.' || p_decision, p_kind, p_item::text,
                            to_jsonb(review_item_json(v_old)), to_jsonb(review_item_json(v)),
                            p_request);
    RETURN v;
END
$$;

-- ---- SMS on decisions ------------------------------------------------------------
--
-- Every decision tells the candidate by SMS: a notice row written in the
-- decision's transaction together with its `sms` job (the outbox), sent by
-- the sms worker after COMMIT. At most p_quota notices per candidate and
-- Beijing day ([staff] decision_sms_per_day), separate from the SMS code
-- limits; one over the quota is kept (state over_quota) and not sent: the
-- portal shows the decision all the same.
CREATE TABLE review_notices (
    id           bigserial   PRIMARY KEY,
    item_id      bigint      NOT NULL REFERENCES review_items (id),
    candidate_id bigint      NOT NULL REFERENCES candidates (id),
    phone        text,
    body         text        NOT NULL,
    state        text        NOT NULL CHECK (state IN ('queued', 'sent', 'over_quota', 'no_phone')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);
CREATE INDEX review_notices_candidate_idx ON review_notices (candidate_id, created_at);

-- Writes the notice of item p_item's decision (p_title: the queue's name for
-- the candidate; p_next: the flow's next step when staff wrote none).
-- Returns its id when it is to be sent, NULL when not (over the quota, no
-- phone).
CREATE FUNCTION review_notify(p_item bigint, p_title text, p_next text, p_quota int)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v       review_items%ROWTYPE;
    v_phone text;
    v_body  text;
    v_state text := 'queued';
    v_id    bigint;
BEGIN
    SELECT * INTO STRICT v FROM review_items WHERE id = p_item;
    SELECT coalesce(c.phone, m.phone) INTO v_phone
      FROM candidates c LEFT JOIN candidates m ON m.id = c.merged_into WHERE c.id = v.candidate_id;
    v_body := '【自学考试】您的' || p_title
              || CASE v.state WHEN 'approved' THEN '已通过' WHEN 'returned' THEN '已退回'
                              ELSE '未通过' END
              || coalesce('，原因：' || v.reason, '') || '。'
              || coalesce(nullif(v.next_step, ''), p_next, '');
    IF v_phone IS NULL THEN
        v_state := 'no_phone';
    ELSIF (SELECT count(*) FROM review_notices n
            WHERE n.candidate_id = v.candidate_id AND n.state IN ('queued', 'sent')
              AND n.created_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai')
                                  AT TIME ZONE 'Asia/Shanghai') >= p_quota THEN
        v_state := 'over_quota';
    END IF;
    INSERT INTO review_notices (item_id, candidate_id, phone, body, state)
    VALUES (p_item, v.candidate_id, v_phone, v_body, v_state) RETURNING id INTO v_id;
    RETURN CASE WHEN v_state = 'queued' THEN v_id END;
END
$$;

-- ---- the first queue: manual identity verification -------------------------------
--
-- An item per claim (candidates row) that needs a person: an attempt that
-- ended in `review` (the faces neither clearly matched nor clearly
-- differed), or a claim whose attempts failed on 3 different (Beijing) days.
-- The handling office is the claim's management district. checks_passed:
-- every photo rule passed and no face pair failed (only the distance fell in
-- the review band). Approving does what `zikaoctl candidates verify` does
-- (account_verify(claim, 'manual'): the exam ID of a new candidate, the other
-- claims on the ID number lose); the item closes as withdrawn when the claim
-- is verified another way, superseded when another claim on its ID number
-- wins.
INSERT INTO review_kinds (kind, title) VALUES ('identity', '身份认证人工审核');
CREATE INDEX review_items_identity_list ON review_items (state, created_at, id)
    WHERE kind = 'identity';
CREATE INDEX review_items_identity_district_list
    ON review_items (office_district, state, created_at, id) WHERE kind = 'identity';

CREATE FUNCTION identity_review_open(p_candidate bigint, p_why text, p_attempt bigint,
                                     p_checks_passed boolean)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO review_items (kind, subject, candidate_id, office_district, checks_passed, summary)
    SELECT 'identity', c.id, c.id, c.district, p_checks_passed,
           jsonb_build_object('why', p_why, 'attempt_id', p_attempt, 'kind', c.kind)
      FROM candidates c
     WHERE c.id = p_candidate AND c.identity = 'unverified' AND c.superseded_at IS NULL
    ON CONFLICT (kind, subject) WHERE state = 'open' DO UPDATE
       SET checks_passed = EXCLUDED.checks_passed, summary = EXCLUDED.summary
$$;

CREATE FUNCTION identity_review_on_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'review' THEN
        PERFORM identity_review_open(NEW.candidate_id, 'review', NEW.id,
            NOT EXISTS (SELECT 1 FROM identity_photo_checks pc
                         WHERE pc.attempt_id = NEW.id AND pc.state <> 'passed')
            AND NOT EXISTS (SELECT 1 FROM identity_face_checks fc
                             WHERE fc.attempt_id = NEW.id AND fc.decision IS DISTINCT FROM 'pass'
                               AND fc.decision IS DISTINCT FROM 'review'));
    ELSIF NEW.state = 'failed'
          AND (SELECT count(DISTINCT (a.created_at AT TIME ZONE 'Asia/Shanghai')::date)
                 FROM identity_attempts a
                WHERE a.candidate_id = NEW.candidate_id AND a.state = 'failed') >= 3 THEN
        PERFORM identity_review_open(NEW.candidate_id, 'failing', NEW.id, false);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER identity_review_on_attempt AFTER UPDATE OF state ON identity_attempts
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION identity_review_on_attempt();

CREATE FUNCTION identity_review_on_candidate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE review_items i
       SET state = CASE WHEN NEW.merged_into IS NOT NULL OR NEW.identity <> 'unverified'
                        THEN 'withdrawn' ELSE 'superseded' END,
           closed_at = now(), claimed_by = NULL, claimed_until = NULL
     WHERE i.kind = 'identity' AND i.subject = NEW.id AND i.state = 'open';
    RETURN NULL;
END
$$;
CREATE TRIGGER identity_review_on_candidate AFTER UPDATE OF identity, superseded_at ON candidates
    FOR EACH ROW WHEN ((OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL)
                       OR (OLD.identity = 'unverified' AND NEW.identity <> 'unverified'))
    EXECUTE FUNCTION identity_review_on_candidate();

-- Attempts already waiting for staff.
SELECT identity_review_open(a.candidate_id, 'review', a.id, false)
  FROM identity_attempts a WHERE a.state = 'review' ORDER BY a.id;

-- The decision hook: approving verifies the claim by hand (NULL and 409
-- when another claim on its ID number was verified first). Returns the
-- account and, for a new candidate, the exam ID issued.
CREATE FUNCTION identity_review_apply(p_item bigint, p_decision text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    v_subject bigint;
    v_account bigint;
BEGIN
    SELECT subject INTO STRICT v_subject FROM review_items WHERE id = p_item;
    IF p_decision <> 'approve' THEN
        RETURN json_build_object('candidate_id', v_subject);
    END IF;
    v_account := account_verify(v_subject, 'manual');
    IF v_account IS NULL THEN
        PERFORM zk_refuse(409, 'ITEM_SUPERSEDED', NULL,
                          '同一证件号的另一注册已通过认证，这一项无法通过');
    END IF;
    RETURN json_build_object('candidate_id', v_subject, 'account_id', v_account,
        'exam_id', (SELECT e.exam_id FROM exam_ids e WHERE e.candidate_id = v_account
                     AND e.source = 'issued' ORDER BY e.created_at LIMIT 1));
END
$$;

-- What an officer needs to decide: the claim's ID data and phone, the other
-- claims on the ID number, and the last attempts with every rule's finding,
-- the face distances and the photos (their file ids, fetched through
-- GET /api/v1/staff/files/{id}, each fetch in the trail).
CREATE FUNCTION identity_review_detail(p_item bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'candidate', json_build_object('id', c.id, 'kind', c.kind, 'id_type', c.id_type,
            'id_number', c.id_number, 'name', c.name, 'gender', c.gender,
            'birth_date', c.birth_date, 'phone', c.phone, 'district', c.district,
            'district_name', (SELECT r.name FROM regions r WHERE r.code = c.district),
            'identity', c.identity, 'created_at', zk_ts(c.created_at),
            'claim_of', c.claim_of),
        'other_claims', coalesce((SELECT json_agg(json_build_object('id', o.id, 'kind', o.kind,
                'phone', o.phone, 'identity', o.identity, 'created_at', zk_ts(o.created_at))
                ORDER BY o.id)
              FROM candidates o WHERE o.id_number = c.id_number AND o.id <> c.id
               AND o.superseded_at IS NULL), '[]'),
        'attempts', coalesce((SELECT json_agg(x.j ORDER BY x.id DESC) FROM (
              SELECT a.id, json_build_object('attempt_id', a.id, 'state', a.state,
                  'created_at', zk_ts(a.created_at), 'reasons', a.reasons, 'photos', a.photos,
                  'checks', coalesce((SELECT json_agg(json_build_object('kind', pc.kind,
                        'file_id', pc.file_id, 'state', pc.state, 'rules', pc.rules)
                        ORDER BY pc.kind) FROM identity_photo_checks pc
                        WHERE pc.attempt_id = a.id), '[]'),
                  'faces', coalesce((SELECT json_agg(json_build_object('pair', fc.pair,
                        'distance', fc.distance, 'decision', fc.decision, 'reason', fc.reason)
                        ORDER BY fc.pair) FROM identity_face_checks fc
                        WHERE fc.attempt_id = a.id), '[]')) AS j
                FROM identity_attempts a WHERE a.candidate_id = c.id
               ORDER BY a.id DESC LIMIT 5) x), '[]'),
        'photos', coalesce((SELECT json_agg(json_build_object('kind', p.kind, 'file_id', p.file_id,
                'uploaded_at', zk_ts(p.uploaded_at)) ORDER BY p.kind)
              FROM identity_photos p WHERE p.candidate_id = c.id), '[]'))
      FROM review_items i JOIN candidates c ON c.id = i.subject WHERE i.id = p_item
$$;

-- ---- candidates at the district ---------------------------------------------------

-- Old and new values of every field staff corrected, with why and who.
CREATE TABLE candidate_corrections (
    id           bigserial   PRIMARY KEY,
    candidate_id bigint      NOT NULL REFERENCES candidates (id),
    field        text        NOT NULL,
    old_value    text,
    new_value    text,
    reason       text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    staff_id     bigint      NOT NULL REFERENCES staff (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX candidate_corrections_candidate_idx ON candidate_corrections (candidate_id, id);

-- The candidate p_candidate if p_staff's scope holds it (locked), else 404.
CREATE FUNCTION staff_candidate_lock(p_staff bigint, p_candidate bigint) RETURNS candidates
LANGUAGE plpgsql AS $$
DECLARE
    v candidates%ROWTYPE;
BEGIN
    SELECT c.* INTO v FROM candidates c JOIN staff_scope sc ON sc.staff_id = p_staff
     WHERE c.id = p_candidate AND c.superseded_at IS NULL
       AND (sc.all_offices OR sc.district = c.district)
       FOR UPDATE OF c;
    IF NOT FOUND THEN
        PERFORM zk_refuse(404, 'CANDIDATE_NOT_FOUND', 'id', '没有这位考生');
    END IF;
    RETURN v;
END
$$;

CREATE FUNCTION staff_candidate_json(p_candidate bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', c.id, 'kind', c.kind, 'id_type', c.id_type,
        'id_number', c.id_number, 'name', c.name, 'gender', c.gender,
        'birth_date', c.birth_date, 'ethnicity', c.ethnicity, 'hukou_type', c.hukou_type,
        'education', c.education, 'occupation', c.occupation,
        'political_status', c.political_status, 'phone', c.phone, 'email', c.email,
        'address', c.address, 'district', c.district,
        'district_name', (SELECT r.name FROM regions r WHERE r.code = c.district),
        'identity', c.identity, 'verified_at', zk_ts(c.verified_at),
        'exam_ids', coalesce((SELECT json_agg(e.exam_id ORDER BY e.exam_id) FROM exam_ids e
                              WHERE e.candidate_id = c.id), '[]'),
        'corrections', coalesce((SELECT json_agg(json_build_object('field', k.field,
                'old', k.old_value, 'new', k.new_value, 'reason', k.reason,
                'staff', (SELECT s.name FROM staff s WHERE s.id = k.staff_id),
                'at', zk_ts(k.created_at)) ORDER BY k.id)
              FROM candidate_corrections k WHERE k.candidate_id = c.id), '[]'),
        'created_at', zk_ts(c.created_at))
      FROM candidates c WHERE c.id = p_candidate
$$;

-- Corrects the record fields named in p_changes ({"name": "...", ...}) after
-- an in-person check; every change is kept with its old value (and the trail
-- has the whole record before and after).
CREATE FUNCTION staff_candidate_correct(p_staff bigint, p_candidate bigint, p_changes jsonb,
                                        p_reason text, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_before json;
    v_field  text;
    v_new    text;
    v_old    text;
    v_n      int := 0;
BEGIN
    PERFORM staff_candidate_lock(p_staff, p_candidate);
    IF coalesce(length(p_reason), 0) NOT BETWEEN 1 AND 500 THEN
        PERFORM zk_refuse(422, 'FIELD_REQUIRED', 'reason', '请填写更正原因（核对了哪份证件或材料）');
    END IF;
    IF jsonb_typeof(p_changes) <> 'object' OR p_changes = '{}' THEN
        PERFORM zk_refuse(422, 'FIELD_REQUIRED', 'changes', '请填写要更正的项目');
    END IF;
    v_before := staff_candidate_json(p_candidate);
    FOR v_field, v_new IN SELECT key, value #>> '{}' FROM jsonb_each(p_changes) LOOP
        IF v_field NOT IN ('name', 'gender', 'birth_date', 'ethnicity', 'hukou_type', 'education',
                           'occupation', 'political_status', 'address') THEN
            PERFORM zk_refuse(422, 'FIELD_NOT_CORRECTABLE', v_field,
                              '这一项不能在这里更正：' || v_field);
        END IF;
        IF v_field = 'name' AND (v_new IS NULL OR length(v_new) NOT BETWEEN 1 AND 40) THEN
            PERFORM zk_refuse(422, 'FIELD_INVALID', 'name', '姓名为 1-40 个字');
        END IF;
        IF v_field = 'gender' AND v_new NOT IN ('男', '女') THEN
            PERFORM zk_refuse(422, 'FIELD_INVALID', 'gender', '性别应为“男”或“女”');
        END IF;
        IF v_field = 'birth_date' AND v_new !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
            PERFORM zk_refuse(422, 'FIELD_INVALID', 'birth_date', '出生日期应写作 YYYY-MM-DD');
        END IF;
        IF v_new IS NOT NULL AND length(v_new) > 200 THEN
            PERFORM zk_refuse(422, 'FIELD_TOO_LONG', v_field, v_field || ' 过长');
        END IF;
        EXECUTE format('SELECT %I::text FROM candidates WHERE id = $1', v_field)
           INTO v_old USING p_candidate;
        IF v_old IS DISTINCT FROM v_new THEN
            BEGIN
                EXECUTE format('UPDATE candidates SET %I = $2::%s, updated_at = now() WHERE id = $1',
                               v_field, CASE WHEN v_field = 'birth_date' THEN 'date'
                                             ELSE 'text' END)
                   USING p_candidate, v_new;
            EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
                PERFORM zk_refuse(422, 'FIELD_INVALID', v_field, '出生日期不存在');
            END;
            INSERT INTO candidate_corrections (candidate_id, field, old_value, new_value, reason,
                                               staff_id)
            VALUES (p_candidate, v_field, v_old, v_new, p_reason, p_staff);
            v_n := v_n + 1;
        END IF;
    END LOOP;
    PERFORM staff_audit_add(p_staff, 'candidate.correct', 'candidate', p_candidate::text,
                            to_jsonb(v_before), to_jsonb(staff_candidate_json(p_candidate)),
                            p_request);
    RETURN staff_candidate_json(p_candidate);
END
$$;

-- A new phone for a person who lost their number (checked in person): the
-- candidate's sessions end (cred_version); the server also ends them in
-- Redis before answering. Returns the record.
CREATE FUNCTION staff_candidate_phone(p_staff bigint, p_candidate bigint, p_phone text,
                                      p_reason text, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v candidates%ROWTYPE;
BEGIN
    v := staff_candidate_lock(p_staff, p_candidate);
    IF p_phone !~ '^1[3-9][0-9]{9}$' THEN
        PERFORM zk_refuse(422, 'PHONE_INVALID', 'phone', '请填写 11 位手机号码');
    END IF;
    IF coalesce(length(p_reason), 0) NOT BETWEEN 1 AND 500 THEN
        PERFORM zk_refuse(422, 'FIELD_REQUIRED', 'reason', '请填写更换原因');
    END IF;
    UPDATE candidates SET phone = p_phone, cred_version = cred_version + 1, updated_at = now()
     WHERE id = p_candidate;
    INSERT INTO candidate_corrections (candidate_id, field, old_value, new_value, reason, staff_id)
    VALUES (p_candidate, 'phone', v.phone, p_phone, p_reason, p_staff);
    PERFORM staff_audit_add(p_staff, 'candidate.phone', 'candidate', p_candidate::text,
                            jsonb_build_object('phone', v.phone),
                            jsonb_build_object('phone', p_phone), p_request);
    RETURN staff_candidate_json(p_candidate);
END
$$;

-- Registers, after an in-person check of the document, a candidate whose
-- document is not a mainland ID card, in the staff member's district (404
-- outside it): verified by hand at once, with an exam ID and the password
-- hash of the temporary password the server hands the officer once.
CREATE FUNCTION staff_candidate_register(p_staff bigint, p_id_type text, p_id_number text,
                                         p_name text, p_gender text, p_birth text,
                                         p_district text, p_phone text, p_hash text,
                                         p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM staff_scope sc WHERE sc.staff_id = p_staff
                      AND (sc.all_offices OR sc.district = p_district))
       OR NOT EXISTS (SELECT 1 FROM regions WHERE code = p_district AND level = 'district') THEN
        PERFORM zk_refuse(404, 'DISTRICT_NOT_FOUND', 'district', '没有这个区县（或不归您所在的招办管理）');
    END IF;
    IF EXISTS (SELECT 1 FROM candidates WHERE id_number = p_id_number AND superseded_at IS NULL) THEN
        PERFORM zk_refuse(409, 'ID_NUMBER_REGISTERED', 'id_number', '这个证件号已有考生记录');
    END IF;
    BEGIN
        INSERT INTO candidates (id_type, id_number, name, gender, birth_date, phone, district,
                                kind, password_hash, password_changed_at, activated_at)
        VALUES (p_id_type, p_id_number, p_name, p_gender, p_birth::date, p_phone, p_district,
                'new', p_hash, now(), now())
        RETURNING id INTO v_id;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        PERFORM zk_refuse(422, 'FIELD_INVALID', 'birth_date', '出生日期不存在');
    END;
    PERFORM account_verify(v_id, 'manual');
    PERFORM staff_audit_add(p_staff, 'candidate.register', 'candidate', v_id::text, NULL,
                            to_jsonb(staff_candidate_json(v_id)), p_request);
    RETURN staff_candidate_json(v_id);
END
$$;

-- ---- retention of ID-card and holding photos ------------------------------------
--
-- p_days ([identity] photo_retention_days) after a verification succeeded
-- (online or by hand), the person's ID-card and holding photos are deleted:
-- the identity_photos rows, the files, and the attempts' references to them
-- (their findings stay, without the picture). The registration photo stays
-- (it is the candidate's photo for tickets and certificates). One trail row
-- per person. At most p_limit people per call; returns how many.
ALTER TABLE identity_photo_checks ALTER COLUMN file_id DROP NOT NULL;

CREATE FUNCTION identity_photo_retention(p_days int, p_limit int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    v_cand  bigint;
    v_files bigint[];
    v_n     int := 0;
BEGIN
    FOR v_cand IN
        SELECT c.id FROM candidates c
         WHERE c.identity <> 'unverified' AND c.superseded_at IS NULL
           AND c.verified_at < now() - make_interval(days => p_days)
           AND (EXISTS (SELECT 1 FROM identity_photos p WHERE p.candidate_id = c.id
                          AND p.kind IN ('idcard', 'holding'))
                OR EXISTS (SELECT 1 FROM identity_attempts a JOIN identity_photo_checks pc
                             ON pc.attempt_id = a.id
                            WHERE a.candidate_id = c.id AND pc.kind IN ('idcard', 'holding')
                              AND pc.file_id IS NOT NULL))
         ORDER BY c.verified_at LIMIT p_limit
         FOR UPDATE OF c SKIP LOCKED
    LOOP
        WITH p AS (DELETE FROM identity_photos p WHERE p.candidate_id = v_cand
                     AND p.kind IN ('idcard', 'holding') RETURNING p.file_id),
             k AS (UPDATE identity_photo_checks pc SET file_id = NULL
                     FROM identity_attempts a, identity_photo_checks old
                    WHERE a.id = pc.attempt_id AND a.candidate_id = v_cand
                      AND pc.kind IN ('idcard', 'holding') AND pc.file_id IS NOT NULL
                      AND old.attempt_id = pc.attempt_id AND old.kind = pc.kind
                   RETURNING old.file_id)
        SELECT array_agg(DISTINCT f) INTO v_files
          FROM (SELECT file_id FROM p UNION ALL SELECT file_id FROM k) x(f);
        DELETE FROM files_unreferenced u WHERE u.file_id = ANY (v_files);
        DELETE FROM files f WHERE f.id = ANY (v_files)
           AND NOT EXISTS (SELECT 1 FROM file_references r WHERE r.file_id = f.id);
        PERFORM staff_audit_add(NULL, 'retention.identity_photos', 'candidate', v_cand::text,
                                jsonb_build_object('files', to_jsonb(v_files)),
                                jsonb_build_object('files', '[]'::jsonb), NULL);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END
$$;
