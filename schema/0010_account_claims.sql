-- 0010_account_claims.sql - registrations and activations that reserve
-- nothing until the person's photo verification passes.
--
-- Knowing someone's ID number and name must not be enough to take their
-- account. So every online registration (kind 'new') and every activation of
-- an enrolled record is a claim of its own row: its password, its phone, its
-- photos and attempts. Several claims on one ID number may wait side by side;
-- none of them can do business. The first whose verification passes (or whom
-- district staff verify by hand) becomes the account, and every other claim
-- on that ID number is superseded: its phone and password are dropped and its
-- sessions end at their next request (cred_version changes).
--
--   claim_of       an activation claim: the enrolled record it claims. When
--                  it wins, its password, phone, photos and attempts move to
--                  the record (merged_into = the record) and the record is
--                  the account: the exam IDs and results stay where they are.
--   merged_into    set on an activation claim that won (see above).
--   superseded_at  the claim lost, or was merged; it can no longer log in.
--   cred_version   bumped whenever the credentials a session was made with
--                  stop being valid (password changed or reset, claim
--                  superseded, another claim merged into the record).
ALTER TABLE candidates DROP CONSTRAINT candidates_id_number_key;
ALTER TABLE candidates
    ADD COLUMN claim_of      bigint      REFERENCES candidates (id),
    ADD COLUMN merged_into   bigint      REFERENCES candidates (id),
    ADD COLUMN superseded_at timestamptz,
    ADD COLUMN cred_version  integer     NOT NULL DEFAULT 1,
    ADD CONSTRAINT candidates_claim_kind CHECK (claim_of IS NULL OR kind = 'enrolled');

-- One enrolled record per ID number (zikaoctl candidates import upserts on it).
CREATE UNIQUE INDEX candidates_record_uq ON candidates (id_number)
    WHERE kind = 'enrolled' AND claim_of IS NULL;
-- At most one verified account per ID number, whatever the race.
CREATE UNIQUE INDEX candidates_account_uq ON candidates (id_number)
    WHERE identity <> 'unverified' AND superseded_at IS NULL;
CREATE INDEX candidates_id_number_idx ON candidates (id_number);
CREATE INDEX candidates_claim_of_idx ON candidates (claim_of) WHERE claim_of IS NOT NULL;
CREATE INDEX candidates_merged_into_idx ON candidates (merged_into) WHERE merged_into IS NOT NULL;

-- The rows of one person that may log in: live (not superseded) and with a
-- password; a verified account first, then claims, newest first.
CREATE FUNCTION account_logins(p_id_number text)
RETURNS TABLE (id bigint, password_hash text, name text, identity text, cred_version integer)
LANGUAGE sql STABLE AS $$
    SELECT c.id, c.password_hash, c.name, c.identity, c.cred_version
      FROM candidates c
     WHERE c.id_number = p_id_number AND c.superseded_at IS NULL AND c.password_hash IS NOT NULL
     ORDER BY (c.identity <> 'unverified') DESC, c.id DESC
     LIMIT 3
$$;

-- Records that p_candidate's identity has been verified (p_how: 'verified'
-- by the online checks, 'manual' by district staff) and settles the claims on
-- its ID number. Returns the account that is now verified (the enrolled
-- record for an activation claim, else the row itself), or NULL when the
-- claim lost: another claim on the same ID number was verified first (the
-- late claim is then superseded). Idempotent for an account already verified.
-- A new candidate (kind 'new') gets its exam ID here.
CREATE FUNCTION account_verify(p_candidate bigint, p_how text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_row    candidates%ROWTYPE;
    v_target bigint;
    v_idn    text;
BEGIN
    IF p_how NOT IN ('verified', 'manual') THEN
        RAISE EXCEPTION 'account_verify: how must be verified or manual, not %', p_how;
    END IF;
    SELECT c.id_number INTO v_idn FROM candidates c WHERE c.id = p_candidate;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- One settlement per person at a time: lock every row of the ID number.
    PERFORM 1 FROM candidates c WHERE c.id_number = v_idn ORDER BY c.id FOR UPDATE;
    SELECT * INTO v_row FROM candidates c WHERE c.id = p_candidate;
    IF v_row.merged_into IS NOT NULL THEN
        RETURN v_row.merged_into;
    END IF;
    IF v_row.superseded_at IS NOT NULL THEN
        RETURN NULL;
    END IF;
    IF v_row.identity <> 'unverified' THEN
        RETURN v_row.id;
    END IF;
    v_target := coalesce(v_row.claim_of, v_row.id);
    IF EXISTS (SELECT 1 FROM candidates c
                WHERE c.id_number = v_idn AND c.identity <> 'unverified'
                  AND c.superseded_at IS NULL) THEN
        -- Someone else's verification came first: this claim loses.
        UPDATE candidates c SET superseded_at = now(), phone = NULL, password_hash = NULL,
               cred_version = c.cred_version + 1, updated_at = now()
         WHERE c.id = p_candidate;
        RETURN NULL;
    END IF;
    IF v_target <> v_row.id THEN
        -- An activation claim wins: the record becomes the account. Photos an
        -- earlier claimant uploaded to the record itself are let go.
        INSERT INTO files_unreferenced (file_id)
             SELECT p.file_id FROM identity_photos p WHERE p.candidate_id = v_target
        ON CONFLICT (file_id) DO NOTHING;
        DELETE FROM identity_photos p WHERE p.candidate_id = v_target;
        UPDATE identity_photos p SET candidate_id = v_target WHERE p.candidate_id = v_row.id;
        UPDATE identity_attempts a SET candidate_id = v_target WHERE a.candidate_id = v_row.id;
        UPDATE files f SET candidate_id = v_target WHERE f.candidate_id = v_row.id;
        UPDATE candidates c SET password_hash = v_row.password_hash, phone = v_row.phone,
               password_changed_at = v_row.password_changed_at,
               activated_at = coalesce(v_row.activated_at, now()), identity = p_how,
               verified_at = now(), cred_version = c.cred_version + 1, updated_at = now()
         WHERE c.id = v_target;
        -- The claim's sessions follow it to the record (cred_version kept).
        UPDATE candidates c SET merged_into = v_target, superseded_at = now(), phone = NULL,
               password_hash = NULL, updated_at = now()
         WHERE c.id = v_row.id;
    ELSE
        UPDATE candidates c SET identity = p_how, verified_at = now(), updated_at = now()
         WHERE c.id = v_target;
    END IF;
    -- Every other claim on this ID number loses.
    UPDATE candidates c SET superseded_at = now(), phone = NULL, password_hash = NULL,
           cred_version = c.cred_version + 1, updated_at = now()
     WHERE c.id_number = v_idn AND c.id <> v_target AND c.id <> v_row.id
       AND c.superseded_at IS NULL AND c.identity = 'unverified'
       AND (c.kind = 'new' OR c.claim_of IS NOT NULL);
    IF (SELECT c.kind FROM candidates c WHERE c.id = v_target) = 'new' THEN
        PERFORM issue_exam_id(v_target);
    END IF;
    RETURN v_target;
END
$$;
