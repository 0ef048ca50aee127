-- 0021_graduation.sql - the graduation application's own parts (handbooks
-- 001 and 004 十) on the application engine of 0020.
--
-- Shanxi (001 六.4-5): after the submit the candidate uploads the graduation
-- photo (毕业证书电子注册图像); once the photo worker passes it, the review is
-- automatic when the audit at submit needed nobody (the submit's timeline
-- detail says review = 'auto'), else the district pre-reviews. A candidate
-- whose photo keeps failing asks the district to check it by hand: the
-- pre-review then includes the photo. Tianjin (004 十) reuses the identity
-- registration photo (480x640 spec) as the graduation photo.
--
-- application_photos: the graduation photo of an application (one; a new
-- upload replaces it while the application waits for it).
-- graduation_photo_checked(): what the photo worker's commit calls.

CREATE TABLE application_photos (
    application_id bigint      PRIMARY KEY REFERENCES applications (id),
    file_id        bigint      NOT NULL REFERENCES files (id),
    state          text        NOT NULL DEFAULT 'checking'
                               CHECK (state IN ('checking', 'passed', 'failed', 'by_hand')),
    reused         boolean     NOT NULL DEFAULT false, -- the identity photo (Tianjin)
    rules          jsonb       NOT NULL DEFAULT '[]',  -- the photo worker's verdicts
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    checked_at     timestamptz
);
CREATE INDEX application_photos_file_idx ON application_photos (file_id);

CREATE OR REPLACE VIEW file_references (file_id) AS
          SELECT file_id FROM identity_photos
UNION ALL SELECT file_id FROM identity_photo_checks
UNION ALL SELECT file_id FROM documents
UNION ALL SELECT file_id FROM application_photos;

-- ---- Shanxi: the photo between the submit and the review ---------------------------------
INSERT INTO application_states (kind, province, state, title, open, next) VALUES
    ('graduation', 'shanxi', 'photo', '待上传毕业照片', true,
     '请上传毕业照片（近一年内正面免冠彩色头像，浅蓝、白或浅灰背景，png/jpg，小于 2MB）；'
     '系统认证通过后进入审核。多次不通过可申请由县区招办人工审核');

UPDATE application_transitions SET to_state = 'photo'
 WHERE kind = 'graduation' AND province = 'shanxi' AND name = 'submit';
DELETE FROM application_transitions
 WHERE kind = 'graduation' AND province = 'shanxi' AND name = 'auto_approve';

INSERT INTO application_transitions (kind, province, name, from_state, to_state, actor, title)
VALUES
    ('graduation', 'shanxi', 'auto_approve', 'photo', 'approved', 'system',
     '毕业照片认证通过，系统审核通过'),
    ('graduation', 'shanxi', 'photo_passed', 'photo', 'reviewing', 'system',
     '毕业照片认证通过，等待县区招办预审'),
    ('graduation', 'shanxi', 'photo_by_hand', 'photo', 'reviewing', 'candidate',
     '申请县区招办人工审核照片');

-- The photo worker's verdict on application p_app's photo p_file (ignored
-- when the photo was replaced meanwhile or is no longer awaited). A pass
-- moves the application on: auto_approve when the submit needed nobody,
-- else photo_passed (the district pre-reviews). Returns the transition
-- made, or NULL.
CREATE FUNCTION graduation_photo_checked(p_app bigint, p_file bigint, p_passed boolean,
                                         p_rules jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    a      applications;
    review text;
    step   text;
BEGIN
    SELECT * INTO a FROM applications WHERE id = p_app FOR UPDATE;
    UPDATE application_photos SET state = CASE WHEN p_passed THEN 'passed' ELSE 'failed' END,
           rules = p_rules, checked_at = now()
     WHERE application_id = p_app AND file_id = p_file AND state = 'checking';
    IF NOT FOUND OR NOT p_passed OR a.state <> 'photo' THEN
        RETURN NULL;
    END IF;
    SELECT e.detail->>'review' INTO review FROM application_events e
     WHERE e.application_id = p_app AND e.transition = 'submit' ORDER BY e.id DESC LIMIT 1;
    step := CASE WHEN review = 'auto' THEN 'auto_approve' ELSE 'photo_passed' END;
    PERFORM application_transition(p_app, step, 'system', NULL, NULL, NULL);
    RETURN step;
END
$$;
