-- 0022_prior_education.sql - the prior-education authorisation (学信网 学历验证授权,
-- handbooks 001 五 and 004 十.4) that a bachelor's (本科, 专升本) graduation
-- application needs, through the CHSI adapter (shared/chsi, server/api/
-- prior_education.c, the `chsi` queue).
--
-- A candidate asks for a QR code: a request with a random token (only its
-- SHA-256 is kept) that lives [chsi] token_minutes. The provider's app
-- scans it and the provider calls back, signed: first `scanned`, then
-- `authorised` with the record it verified. Each verified callback is stored
-- here before the provider is answered (once per notify_id, so a replay
-- stores nothing new), and the `chsi` worker applies it exactly once
-- (prior_education_apply, in its done transaction): the record's name, ID
-- number and gender must equal the candidate's exactly, else the request is
-- a mismatch naming the fields and the district handles it by hand.
-- Callbacks that fail verification, name no request, or arrive after their
-- token expired are refused and store nothing.
--
-- prior_education_verified(candidate) is what the graduation submit asks.

CREATE TABLE prior_education_requests (
    id           bigserial   PRIMARY KEY,
    candidate_id bigint      NOT NULL REFERENCES candidates (id),
    provider     text        NOT NULL DEFAULT 'chsi' CHECK (provider IN ('chsi')),
    token_hash   bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32), -- sha256(token)
    -- As stored; a waiting or scanned request past expires_at reads as
    -- 'expired' (prior_education_state). A newer request of the candidate
    -- expires the older one at once (stored 'expired').
    state        text        NOT NULL DEFAULT 'waiting'
                             CHECK (state IN ('waiting', 'scanned', 'verified', 'mismatch',
                                              'expired')),
    -- Which of the candidate's details the provider's record contradicts.
    mismatch     text[]      CHECK (mismatch <@ ARRAY['name', 'id_number', 'gender']),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    scanned_at   timestamptz,
    decided_at   timestamptz,
    CHECK ((state = 'mismatch') = (coalesce(cardinality(mismatch), 0) > 0)),
    CHECK ((state IN ('verified', 'mismatch')) = (decided_at IS NOT NULL))
);
CREATE INDEX prior_education_requests_candidate_idx
    ON prior_education_requests (candidate_id, id DESC);

-- The provider's notifications, as received, once each (provider,
-- notify_id). Only notifications whose signature verified are stored;
-- key_serial names the key that verified it (SHA-256 fingerprint of its
-- public half, so a rotated key shows). record is the parsed `record` of an
-- `authorised` notification (raw is the body byte for byte).
CREATE TABLE prior_education_callbacks (
    id          bigserial   PRIMARY KEY,
    provider    text        NOT NULL CHECK (provider IN ('chsi')),
    notify_id   text        NOT NULL CHECK (notify_id ~ '^[A-Za-z0-9_-]{8,64}$'),
    request_id  bigint      NOT NULL REFERENCES prior_education_requests (id),
    event       text        NOT NULL CHECK (event IN ('scanned', 'authorised')),
    raw         text        NOT NULL,
    signature   text        NOT NULL,
    key_serial  text        NOT NULL,
    record      jsonb       CHECK ((record IS NOT NULL) = (event = 'authorised')),
    received_at timestamptz NOT NULL DEFAULT now(),
    applied_at  timestamptz,
    -- scanned / verified / mismatch: what it did to its request; ignored:
    -- the request was decided already (or the event came too late for it).
    outcome     text        CHECK (outcome IN ('scanned', 'verified', 'mismatch', 'ignored')),
    UNIQUE (provider, notify_id),
    CHECK ((outcome IS NULL) = (applied_at IS NULL))
);
CREATE INDEX prior_education_callbacks_request_idx ON prior_education_callbacks (request_id);

-- The record the provider verified, one per candidate (a later verification
-- replaces it), with the callback it came from.
CREATE TABLE prior_education_records (
    candidate_id   bigint      PRIMARY KEY REFERENCES candidates (id),
    name           text        NOT NULL,
    id_number      text        NOT NULL,
    gender         text        NOT NULL CHECK (gender IN ('男', '女')),
    school         text        NOT NULL,
    level          text        NOT NULL,
    major          text        NOT NULL,
    graduated_on   date        NOT NULL,
    certificate_no text        NOT NULL,
    verified_at    timestamptz NOT NULL DEFAULT now(),
    callback_id    bigint      NOT NULL REFERENCES prior_education_callbacks (id)
);

-- The built-in simulator's books ([chsi] simulator): every notification it
-- made, so that it can deliver one again (a replay). Delivered by `chsi`
-- jobs of kind sim_notify.
CREATE TABLE chsi_sim_notices (
    notify_id    text        PRIMARY KEY,
    event        text        NOT NULL,
    body         text        NOT NULL,
    notify_url   text        NOT NULL,
    deliveries   integer     NOT NULL DEFAULT 0,
    last_status  integer,     -- what our callback endpoint answered last
    delivered_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- A request's state as the candidate reads it.
CREATE FUNCTION prior_education_state(p_state text, p_expires_at timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_state IN ('waiting', 'scanned') AND p_expires_at <= now()
                THEN 'expired' ELSE p_state END
$$;

-- The candidate's gender: as the records hold it, else as the ID number
-- says (GB 11643: the 17th digit is odd for men).
CREATE FUNCTION prior_education_candidate_gender(p_gender text, p_id_number text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(p_gender,
                    CASE WHEN substr(p_id_number, 17, 1) ~ '^[13579]$' THEN '男' ELSE '女' END)
$$;

-- The fields of a record (name, ID number, gender) that differ from the
-- candidate's, compared exactly: {} when they all agree.
CREATE FUNCTION prior_education_mismatch(p_candidate bigint, p_name text, p_id_number text,
                                         p_gender text) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT array_remove(ARRAY[
                        CASE WHEN c.name IS DISTINCT FROM p_name THEN 'name' END,
                        CASE WHEN c.id_number IS DISTINCT FROM p_id_number THEN 'id_number' END,
                        CASE WHEN prior_education_candidate_gender(c.gender, c.id_number)
                                  IS DISTINCT FROM p_gender THEN 'gender' END], NULL)
                     FROM candidates c WHERE c.id = p_candidate),
                    ARRAY['name', 'id_number', 'gender'])
$$;

-- True when the candidate has a verified record whose name, ID number and
-- gender equal the candidate's exactly (now: a name corrected at the
-- district after the verification makes it false again). The graduation
-- submit of a bachelor's major calls this; keep its name and signature.
CREATE FUNCTION prior_education_verified(p_candidate bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM prior_education_records r
                    WHERE r.candidate_id = p_candidate
                      AND cardinality(prior_education_mismatch(p_candidate, r.name, r.id_number,
                                                               r.gender)) = 0)
$$;

-- Applies one stored callback, exactly once (the `chsi` worker calls it in
-- the transaction that marks its job done). Returns the outcome, or
-- 'already' when it was applied before.
CREATE FUNCTION prior_education_apply(p_callback bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    cb  prior_education_callbacks;
    rq  prior_education_requests;
    mis text[];
    v_outcome text;
BEGIN
    SELECT * INTO cb FROM prior_education_callbacks WHERE id = p_callback FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no prior-education callback %', p_callback;
    END IF;
    IF cb.applied_at IS NOT NULL THEN
        RETURN 'already';
    END IF;
    SELECT * INTO rq FROM prior_education_requests WHERE id = cb.request_id FOR UPDATE;
    IF rq.state IN ('verified', 'mismatch') OR cb.received_at > rq.expires_at THEN
        v_outcome := 'ignored';
    ELSIF cb.event = 'scanned' THEN
        IF rq.state = 'waiting' THEN
            UPDATE prior_education_requests SET state = 'scanned', scanned_at = cb.received_at
             WHERE id = rq.id;
            v_outcome := 'scanned';
        ELSE
            v_outcome := 'ignored';
        END IF;
    ELSE
        mis := prior_education_mismatch(rq.candidate_id, cb.record->>'name',
                                        cb.record->>'id_number', cb.record->>'gender');
        IF cardinality(mis) = 0 THEN
            INSERT INTO prior_education_records AS r (candidate_id, name, id_number, gender,
                                                      school, level, major, graduated_on,
                                                      certificate_no, callback_id)
            VALUES (rq.candidate_id, cb.record->>'name', cb.record->>'id_number',
                    cb.record->>'gender', cb.record->>'school', cb.record->>'level',
                    cb.record->>'major', (cb.record->>'graduated_on')::date,
                    cb.record->>'certificate_no', cb.id)
            ON CONFLICT (candidate_id) DO UPDATE
               SET name = EXCLUDED.name, id_number = EXCLUDED.id_number,
                   gender = EXCLUDED.gender, school = EXCLUDED.school, level = EXCLUDED.level,
                   major = EXCLUDED.major, graduated_on = EXCLUDED.graduated_on,
                   certificate_no = EXCLUDED.certificate_no, verified_at = now(),
                   callback_id = EXCLUDED.callback_id;
            UPDATE prior_education_requests
               SET state = 'verified', decided_at = now(),
                   scanned_at = coalesce(scanned_at, cb.received_at)
             WHERE id = rq.id;
            v_outcome := 'verified';
        ELSE
            UPDATE prior_education_requests
               SET state = 'mismatch', mismatch = mis, decided_at = now(),
                   scanned_at = coalesce(scanned_at, cb.received_at)
             WHERE id = rq.id;
            v_outcome := 'mismatch';
        END IF;
    END IF;
    UPDATE prior_education_callbacks SET applied_at = now(), outcome = v_outcome
     WHERE id = cb.id;
    RETURN v_outcome;
END
$$;
