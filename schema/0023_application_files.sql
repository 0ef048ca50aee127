-- 0023_application_files.sql - files a candidate attaches to an application,
-- in slots that are data: Shanxi's zip of old-plan card scans (handbook 001,
-- graduation step 3), Tianjin's supporting material per item (004 十.7), and
-- later kinds' own (exemption certificates ...).
--
--   application_slots   what a kind asks for, per province and level: the
--                       title and hint a candidate reads, zip or jpeg, how
--                       many files, their size range, whether the submit
--                       needs one, and for a jpeg slot the photo
--                       specification ([PROVINCE.SPEC] of photo_specs.ini)
--                       the photo worker checks it against;
--   application_files   the files uploaded into a slot: 'checking' until
--                       the archive worker (zip) or the photo worker (jpeg)
--                       decided 'accepted' or 'refused' with a reason a
--                       candidate can act on, and detail (a zip's entries).
--
-- A slot's level is a level of majors (专科, 本科, 专升本), or NULL for every
-- level; the application's level is its draft's major's (data->>'major').
-- Where a slot has a row for the level and one for NULL, the level's wins.
--
-- The server adds and deletes files through application_file_add() and
-- application_file_delete(): the candidate's own application, while it is
-- a draft and inside its window (the engine's ZKA00, ZKA01 and ZKA03 of
-- 0020), and
--   ZKF01 no such slot for this application (404)
--   ZKF02 the slot takes another type (415)        DETAIL: zip | jpeg
--   ZKF03 larger than the slot takes (413)         DETAIL: max_bytes
--   ZKF04 the slot is full (409)                   DETAIL: max_files
--   ZKF05 no such file (404)
-- The workers write their verdict with application_file_checked(). The
-- submit asks application_files_status(): a required slot without an
-- accepted file, or any file still being checked, blocks it.

CREATE TABLE application_slots (
    kind      text    NOT NULL REFERENCES application_kinds (kind),
    province  text    NOT NULL CHECK (province IN ('shanxi', 'tianjin')),
    slot      text    NOT NULL CHECK (slot ~ '^[a-z][a-z0-9_]{0,31}$'),
    level     text    CHECK (level IN ('专科', '本科', '专升本')), -- NULL: every level
    title     text    NOT NULL,                                   -- what the candidate reads
    hint      text    NOT NULL DEFAULT '',                        -- one line: what to upload
    accepts   text    NOT NULL CHECK (accepts IN ('zip', 'jpeg')),
    spec      text    CHECK (spec ~ '^[a-z][a-z_]{0,31}$'),       -- jpeg: photo_specs.ini kind
    max_files integer NOT NULL CHECK (max_files BETWEEN 1 AND 20),
    min_bytes integer NOT NULL DEFAULT 0 CHECK (min_bytes >= 0),
    max_bytes integer NOT NULL CHECK (max_bytes > min_bytes),     -- zip: also [attachments]
    required  boolean NOT NULL,
    seq       integer NOT NULL,                                   -- display order
    CHECK ((accepts = 'jpeg') = (spec IS NOT NULL))
);
CREATE UNIQUE INDEX application_slots_key
    ON application_slots (kind, province, slot, coalesce(level, ''));

CREATE TABLE application_files (
    id             bigserial   PRIMARY KEY,
    application_id bigint      NOT NULL REFERENCES applications (id),
    slot           text        NOT NULL,
    seq            integer     NOT NULL CHECK (seq >= 1), -- the n of .../files/{slot}/{n}
    file_id        bigint      NOT NULL REFERENCES files (id),
    state          text        NOT NULL DEFAULT 'checking'
                               CHECK (state IN ('checking', 'accepted', 'refused')),
    reason         text,                                  -- refused: what to do about it
    detail         jsonb       NOT NULL DEFAULT '{}',     -- zip: entries; jpeg: the rules
    created_at     timestamptz NOT NULL DEFAULT now(),
    checked_at     timestamptz,
    UNIQUE (application_id, slot, seq)
);
CREATE INDEX application_files_file_idx ON application_files (file_id);

-- The stored files an application's attachments keep. The view's other
-- branches are kept as they are whatever migrations added them before
-- this one (their order is not fixed while flows land side by side).
DO $$
BEGIN
    EXECUTE 'CREATE OR REPLACE VIEW file_references (file_id) AS '
         || rtrim(pg_get_viewdef('file_references'::regclass), E'; \n')
         || ' UNION ALL SELECT file_id FROM application_files';
END
$$;

-- ---- the slots -------------------------------------------------------------------------------
INSERT INTO application_slots (kind, province, slot, level, title, hint, accepts, spec, max_files,
                               min_bytes, max_bytes, required, seq) VALUES
    -- 001 毕业申请 step 3: old-plan passes on red/green cards or practical assessment
    -- cards not in the records, proven by their scans. The flow requires the zip only
    -- when the draft claims such passes.
    ('graduation', 'shanxi', 'old_cards', NULL,
     '旧计划课程合格证（红卡/绿卡）或实践课考核卡扫描件压缩包',
     '把卡片正反面的扫描件（JPG、PNG 或 PDF）打包成一个 .zip 文件上传；只在填报了成绩记录中没有的'
     '卡片成绩时需要',
     'zip', NULL, 1, 22, 20971520, false, 1),
    -- 004 十.7 上传证明材料: 前置学历证明材料 for bachelor applicants (本科, 专升本);
    -- up to 4 JPEGs of 50-500 KB each, checked by the photo worker.
    ('graduation', 'tianjin', 'prior_education', '本科', '前置学历证明材料',
     '申报本科：上传专科以上毕业证及电子注册备案表照片；若现用名与原学历姓名不一致，上传公安机关出具的'
     '姓名更改证明。最多 4 张，JPG 格式，每张 50–500 KB',
     'jpeg', 'material', 4, 51200, 512000, true, 1),
    ('graduation', 'tianjin', 'prior_education', '专升本', '前置学历证明材料',
     '申报本科：上传专科以上毕业证及电子注册备案表照片；若现用名与原学历姓名不一致，上传公安机关出具的'
     '姓名更改证明。最多 4 张，JPG 格式，每张 50–500 KB',
     'jpeg', 'material', 4, 51200, 512000, true, 1),
    -- 004 十.7 says each candidate's material differs with their situation: an
    -- optional item for what the district asks for besides (every level).
    ('graduation', 'tianjin', 'other', NULL, '其他证明材料',
     '考籍管理区县要求的其他证明材料（没有可不上传）。最多 4 张，JPG 格式，每张 50–500 KB',
     'jpeg', 'material', 4, 51200, 512000, false, 2);

-- The slots that apply to application p_app (its kind, province and level).
CREATE FUNCTION application_slots_of(p_app bigint) RETURNS SETOF application_slots
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (s.slot) s.*
      FROM applications a
      LEFT JOIN majors m ON m.code = a.data ->> 'major'
      JOIN application_slots s ON s.kind = a.kind AND s.province = a.province
                              AND (s.level IS NULL OR s.level = m.level)
     WHERE a.id = p_app
     ORDER BY s.slot, s.level IS NULL
$$;

-- What the submit needs to know: per slot of the application, whether it is
-- required and how many of its files are accepted, being checked, refused.
CREATE FUNCTION application_files_status(p_app bigint)
RETURNS TABLE (slot text, title text, required boolean, accepted integer, checking integer,
               refused integer)
LANGUAGE sql STABLE AS $$
    SELECT s.slot, s.title, s.required,
           count(f.id) FILTER (WHERE f.state = 'accepted')::int,
           count(f.id) FILTER (WHERE f.state = 'checking')::int,
           count(f.id) FILTER (WHERE f.state = 'refused')::int
      FROM application_slots_of(p_app) s
      LEFT JOIN application_files f ON f.application_id = p_app AND f.slot = s.slot
     GROUP BY s.slot, s.title, s.required, s.seq
     ORDER BY s.seq, s.slot
$$;

-- The candidate's application, locked, while its files may change: a draft
-- inside its window (the engine's errors otherwise).
CREATE FUNCTION application_files_lock(p_app bigint, p_candidate bigint) RETURNS applications
LANGUAGE plpgsql AS $$
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
    IF NOT EXISTS (SELECT 1 FROM windows WHERE id = a.window_id AND starts_at <= now()
                   AND ends_at > now()) THEN
        SELECT * INTO k FROM application_kinds WHERE kind = a.kind;
        PERFORM application_window_closed(k.window_kind);
    END IF;
    RETURN a;
END
$$;

-- Adds a file (p_accepts: what its bytes are, zip or jpeg) to slot p_slot of
-- the candidate's application, in the lowest free place; stores the bytes in
-- files. Returns the new row's id and place, and what its check needs.
CREATE FUNCTION application_file_add(p_app bigint, p_candidate bigint, p_slot text,
                                     p_accepts text, p_content_type text, p_data bytea,
                                     OUT id bigint, OUT seq integer, OUT spec text,
                                     OUT min_bytes integer, OUT max_bytes integer)
LANGUAGE plpgsql AS $$
DECLARE
    s      application_slots;
    v_file bigint;
BEGIN
    PERFORM application_files_lock(p_app, p_candidate);
    SELECT * INTO s FROM application_slots_of(p_app) x WHERE x.slot = p_slot;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKF01', MESSAGE = 'no such slot';
    END IF;
    IF s.accepts <> p_accepts THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKF02', MESSAGE = 'wrong type', DETAIL = s.accepts;
    END IF;
    IF length(p_data) > s.max_bytes THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKF03', MESSAGE = 'too large', DETAIL = s.max_bytes::text;
    END IF;
    SELECT min(n) INTO seq FROM generate_series(1, s.max_files) n
     WHERE NOT EXISTS (SELECT 1 FROM application_files f WHERE f.application_id = p_app
                       AND f.slot = p_slot AND f.seq = n);
    IF seq IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKF04', MESSAGE = 'slot full', DETAIL = s.max_files::text;
    END IF;
    INSERT INTO files (candidate_id, content_type, size, sha256, data)
    VALUES (p_candidate, p_content_type, length(p_data), encode(sha256(p_data), 'hex'), p_data)
    RETURNING files.id INTO v_file;
    INSERT INTO application_files (application_id, slot, seq, file_id)
    VALUES (p_app, p_slot, seq, v_file) RETURNING application_files.id INTO id;
    spec := s.spec;
    min_bytes := s.min_bytes;
    max_bytes := s.max_bytes;
END
$$;

-- Deletes file p_seq of slot p_slot; its stored bytes go to the retention.
CREATE FUNCTION application_file_delete(p_app bigint, p_candidate bigint, p_slot text,
                                        p_seq integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_file bigint;
BEGIN
    PERFORM application_files_lock(p_app, p_candidate);
    DELETE FROM application_files WHERE application_id = p_app AND slot = p_slot AND seq = p_seq
    RETURNING file_id INTO v_file;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'ZKF05', MESSAGE = 'no such file';
    END IF;
    INSERT INTO files_unreferenced (file_id) VALUES (v_file) ON CONFLICT (file_id) DO NOTHING;
END
$$;

-- A worker's verdict on application file p_id; ignored once decided or
-- deleted (a second delivery, a file the candidate removed meanwhile).
-- Returns whether it was written.
CREATE FUNCTION application_file_checked(p_id bigint, p_accepted boolean, p_reason text,
                                         p_detail jsonb) RETURNS boolean
LANGUAGE sql AS $$
    WITH u AS (
        UPDATE application_files
           SET state = CASE WHEN p_accepted THEN 'accepted' ELSE 'refused' END,
               reason = CASE WHEN p_accepted THEN NULL ELSE p_reason END,
               detail = coalesce(p_detail, '{}'), checked_at = now()
         WHERE id = p_id AND state = 'checking' RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM u)
$$;
