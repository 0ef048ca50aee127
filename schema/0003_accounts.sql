-- 0003_accounts.sql - candidates, their exam IDs, SMS outbox, business
-- windows, stored files and identity verification.
--
-- Personal data: id_number, name and phone are stored whole (the office needs
-- them) but never logged whole (shared/mask.h). Passwords only as argon2id
-- hashes (libsodium crypto_pwhash_str), never recoverable.

-- Timestamps as the API prints them: ISO 8601 in Beijing time.
CREATE FUNCTION zk_ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')
$$;

-- A candidate. kind 'new' registered online; 'enrolled' came from the records
-- (imported) and activates the account by setting a password. identity:
-- 'unverified' until an identity-verification attempt passes (then
-- 'verified'), or 'manual' when district staff verified the person by hand.
CREATE TABLE candidates (
    id               bigserial   PRIMARY KEY,
    id_type          text        NOT NULL DEFAULT 'id_card' CHECK (id_type = 'id_card'),
    id_number        text        NOT NULL UNIQUE CHECK (id_number ~ '^[0-9]{17}[0-9X]$'),
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    gender           text        CHECK (gender IN ('男', '女')),
    birth_date       date,
    ethnicity        text,
    hukou_type       text,
    education        text,
    occupation       text,
    political_status text,
    phone            text        CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    email            text        CHECK (email IS NULL OR length(email) <= 254),
    address          text        CHECK (address IS NULL OR length(address) <= 200),
    district         char(6)     NOT NULL REFERENCES regions (code),
    kind             text        NOT NULL CHECK (kind IN ('new', 'enrolled')),
    identity         text        NOT NULL DEFAULT 'unverified'
                                 CHECK (identity IN ('unverified', 'verified', 'manual')),
    password_hash    text,
    password_changed_at timestamptz,
    activated_at     timestamptz,
    verified_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX candidates_phone_idx ON candidates (phone);

-- Exam IDs (准考证号): 12 digits, several per person possible. Issued ones
-- are CCDDYYNNNNNN: CC city and DD district (digits 3-4 and 5-6 of the
-- management district's code), YY the year, NNNNNN a sequence per CCDDYY.
CREATE TABLE exam_ids (
    exam_id      char(12)    PRIMARY KEY CHECK (exam_id ~ '^[0-9]{12}$'),
    candidate_id bigint      NOT NULL REFERENCES candidates (id),
    source       text        NOT NULL CHECK (source IN ('issued', 'imported')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exam_ids_candidate_idx ON exam_ids (candidate_id);

CREATE TABLE exam_id_counters (
    prefix char(6) PRIMARY KEY CHECK (prefix ~ '^[0-9]{6}$'),
    last   integer NOT NULL CHECK (last BETWEEN 1 AND 999999)
);

-- Issues the next exam ID for a candidate (atomically: the counter row is
-- locked by the upsert) and returns it. Idempotent per candidate: a candidate
-- who already has an issued exam ID gets that one back.
CREATE FUNCTION issue_exam_id(p_candidate bigint) RETURNS char(12)
LANGUAGE plpgsql AS $$
DECLARE
    v_district char(6);
    v_prefix   char(6);
    v_seq      integer;
    v_id       char(12);
BEGIN
    SELECT exam_id INTO v_id FROM exam_ids
     WHERE candidate_id = p_candidate AND source = 'issued' ORDER BY created_at LIMIT 1;
    IF FOUND THEN
        RETURN v_id;
    END IF;
    SELECT district INTO STRICT v_district FROM candidates WHERE id = p_candidate;
    v_prefix := substr(v_district, 3, 4) || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YY');
    INSERT INTO exam_id_counters AS c (prefix, last) VALUES (v_prefix, 1)
        ON CONFLICT (prefix) DO UPDATE SET last = c.last + 1
        RETURNING last INTO v_seq;
    v_id := v_prefix || lpad(v_seq::text, 6, '0');
    INSERT INTO exam_ids (exam_id, candidate_id, source) VALUES (v_id, p_candidate, 'issued');
    RETURN v_id;
END
$$;

-- Messages to candidates' phones. The default provider writes here (and
-- operators or tests read them); a gateway provider sends and records here.
CREATE TABLE sms_outbox (
    id         bigserial   PRIMARY KEY,
    phone      text        NOT NULL,
    purpose    text        NOT NULL,
    body       text        NOT NULL,
    sent_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_outbox_phone_idx ON sms_outbox (phone, created_at DESC);

-- Business windows (报名, 转考, 免考, 毕业申请 ...): data, edited with
-- `zikaoctl windows set KIND START END`.
CREATE TABLE windows (
    kind       text        PRIMARY KEY,
    name       text        NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL CHECK (ends_at > starts_at),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO windows (kind, name, starts_at, ends_at) VALUES
('theory_registration',    '理论课程报名',   '2026-03-01 09:00+08', '2026-03-10 17:00+08'),
('practical_registration', '实践课程报名',   '2026-03-15 09:00+08', '2026-03-25 17:00+08'),
('transfer_in_province',   '省内转考',       '2026-05-06 09:00+08', '2026-05-15 17:00+08'),
('transfer_out',           '转出省外',       '2026-05-06 09:00+08', '2026-05-15 17:00+08'),
('exemption',              '免考申请',       '2026-09-01 09:00+08', '2026-09-10 17:00+08'),
('graduation',             '毕业申请',       '2026-11-16 09:00+08', '2026-11-30 17:00+08');

-- Stored files (photos, PDFs): the bytes live in PostgreSQL, the truth.
CREATE TABLE files (
    id           bigserial   PRIMARY KEY,
    candidate_id bigint      REFERENCES candidates (id),
    content_type text        NOT NULL,
    size         integer     NOT NULL CHECK (size >= 0),
    sha256       char(64)    NOT NULL,
    data         bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_candidate_idx ON files (candidate_id);

-- The photos a candidate has uploaded for identity verification, per kind
-- (registration, idcard, holding): the latest upload of each kind.
CREATE TABLE identity_photos (
    candidate_id bigint      NOT NULL REFERENCES candidates (id),
    kind         text        NOT NULL CHECK (kind IN ('registration', 'idcard', 'holding')),
    file_id      bigint      NOT NULL REFERENCES files (id),
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (candidate_id, kind)
);

-- One verification attempt: the photos it used, and its state. 'pending'
-- until the photo and face workers have written their results; never
-- 'passed' before they have.
CREATE TABLE identity_attempts (
    id           bigserial   PRIMARY KEY,
    candidate_id bigint      NOT NULL REFERENCES candidates (id),
    state        text        NOT NULL DEFAULT 'pending'
                             CHECK (state IN ('pending', 'passed', 'failed', 'review')),
    photos       jsonb       NOT NULL, -- {"registration": file_id, "idcard": ..., ...}
    reasons      jsonb       NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now(),
    decided_at   timestamptz
);
CREATE INDEX identity_attempts_candidate_idx ON identity_attempts (candidate_id, created_at DESC);

-- Each photo's checks within an attempt (written by the photo worker): every
-- rule's verdict, measured value and required range.
CREATE TABLE identity_photo_checks (
    attempt_id bigint      NOT NULL REFERENCES identity_attempts (id),
    kind       text        NOT NULL,
    file_id    bigint      NOT NULL REFERENCES files (id),
    state      text        NOT NULL DEFAULT 'pending'
                           CHECK (state IN ('pending', 'passed', 'failed')),
    rules      jsonb       NOT NULL DEFAULT '[]',
    checked_at timestamptz,
    PRIMARY KEY (attempt_id, kind)
);

-- Face comparisons within an attempt (written by the face worker).
CREATE TABLE identity_face_checks (
    attempt_id    bigint      NOT NULL REFERENCES identity_attempts (id),
    pair          text        NOT NULL, -- e.g. 'registration~idcard'
    distance      real,
    decision      text        CHECK (decision IN ('pass', 'review', 'fail')),
    reason        text,
    model_version text,
    checked_at    timestamptz,
    PRIMARY KEY (attempt_id, pair)
);
