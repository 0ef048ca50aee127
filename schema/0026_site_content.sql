-- What the province office runs on the site (issue 17, item 6), through
-- /api/v1/staff/... (server/api/staff_site.c), every change in the trail:
--
--   notices        通知公告 (kind notice) and 报考简章 (kind guide): a title, a
--                  body of plain text, PDF attachments; a draft until
--                  published (published_at), and only then listed publicly
--                  (GET /api/v1/notices) for candidates and the home page;
--   notice_files   a notice's PDF attachments (sniffed by the server, at most
--                  [staff] notice_file_max_bytes each and notice_files_max per
--                  notice), served as downloads;
--   site_banner    the one optional banner every page shows (maintenance, or
--                  an opening), between its optional start and end;
--   windows        (0011) edited by province staff with the rules zikaoctl
--                  applies: kinds and terms from shared/window_kinds.c,
--                  overlaps and duplicates refused by 0011's constraints;
--   district_offices (0013) edited by their district's staff (province: any).
--
-- Refusals are zk_refuse() (0015): the server answers them as they are.

CREATE TABLE notices (
    id           bigserial   PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('notice', 'guide')),
    title        text        NOT NULL CHECK (length(title) BETWEEN 2 AND 100),
    body         text        NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    published_at timestamptz,
    created_by   bigint      REFERENCES staff (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- The public list: newest published first.
CREATE INDEX notices_published_idx ON notices (published_at DESC, id DESC)
    WHERE published_at IS NOT NULL;

CREATE TABLE notice_files (
    id         bigserial   PRIMARY KEY,
    notice_id  bigint      NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    name       text        NOT NULL CHECK (length(name) BETWEEN 5 AND 100 AND name ~ '\.pdf$'),
    size       integer     NOT NULL CHECK (size > 0),
    sha256     text        NOT NULL,
    data       bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notice_files_notice_idx ON notice_files (notice_id, id);

-- One row at most (id is always true).
CREATE TABLE site_banner (
    id         boolean     PRIMARY KEY DEFAULT true CHECK (id),
    kind       text        NOT NULL CHECK (kind IN ('maintenance', 'opening')),
    message    text        NOT NULL CHECK (length(message) BETWEEN 2 AND 200),
    link       text        CHECK (link IS NULL OR link ~ '^/[^/\\]*([^\\]*)$' AND length(link) <= 200),
    starts_at  timestamptz,
    ends_at    timestamptz,
    updated_by bigint      REFERENCES staff (id),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT site_banner_ends_after_start CHECK (ends_at IS NULL OR starts_at IS NULL
                                                   OR ends_at > starts_at)
);

-- ---- times as people type them -------------------------------------------------

-- p_text as a time: with an offset as given, without one in Beijing time
-- ("2026-09-01 09:00", "2026-09-01T09:00"); NULL for NULL or ''. Anything
-- else is refused (422 TIME_INVALID naming p_field).
CREATE FUNCTION site_time(p_text text, p_field text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v timestamptz;
BEGIN
    IF p_text IS NULL OR p_text = '' THEN
        RETURN NULL;
    END IF;
    BEGIN
        IF p_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?'
                     '(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$' THEN
            RAISE invalid_datetime_format;
        ELSIF p_text ~ '[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN
            v := p_text::timestamptz;
        ELSE
            v := p_text::timestamp AT TIME ZONE 'Asia/Shanghai';
        END IF;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        PERFORM zk_refuse(422, 'TIME_INVALID', p_field,
                          '时间应写作 YYYY-MM-DD HH:MM（北京时间），例如 2026-09-01 09:00');
    END;
    RETURN v;
END
$$;

-- ---- business windows ------------------------------------------------------------

CREATE FUNCTION site_window_json(w windows) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', w.id, 'kind', w.kind, 'term', w.term, 'name', w.name,
        'starts_at', zk_ts(w.starts_at), 'ends_at', zk_ts(w.ends_at),
        'state', CASE WHEN now() < w.starts_at THEN 'upcoming' WHEN now() < w.ends_at THEN 'open'
                      ELSE 'closed' END)
$$;

-- Creates (p_id NULL: p_kind, p_term, p_name, both times required) or edits
-- (what is given; NULL keeps) a window. The kind, its term and the default
-- name were checked by the caller against shared/window_kinds.c, as zikaoctl
-- does; 0011's constraints refuse the rest, each as a sentence.
CREATE FUNCTION staff_window_save(p_staff bigint, p_id bigint, p_kind text, p_term text,
                                  p_name text, p_starts text, p_ends text, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_old   windows%ROWTYPE;
    v_new   windows%ROWTYPE;
    v_s     timestamptz := site_time(p_starts, 'starts_at');
    v_e     timestamptz := site_time(p_ends, 'ends_at');
    v_other windows%ROWTYPE;
BEGIN
    IF p_id IS NOT NULL THEN
        SELECT * INTO v_old FROM windows WHERE id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM zk_refuse(404, 'WINDOW_NOT_FOUND', 'id', '没有这个业务时间窗口，请刷新列表');
        END IF;
        v_s := coalesce(v_s, v_old.starts_at);
        v_e := coalesce(v_e, v_old.ends_at);
    ELSIF v_s IS NULL THEN
        PERFORM zk_refuse(422, 'FIELD_REQUIRED', 'starts_at', '请填写开始时间');
    ELSIF v_e IS NULL THEN
        PERFORM zk_refuse(422, 'FIELD_REQUIRED', 'ends_at', '请填写结束时间');
    END IF;
    IF v_e <= v_s THEN
        PERFORM zk_refuse(422, 'WINDOW_ENDS_BEFORE_START', 'ends_at',
                          '结束时间须晚于开始时间（' || zk_ts(v_s) || '）');
    END IF;
    SELECT * INTO v_other FROM windows
     WHERE kind = coalesce(v_old.kind, p_kind) AND id IS DISTINCT FROM p_id
       AND tstzrange(starts_at, ends_at) && tstzrange(v_s, v_e)
     ORDER BY starts_at LIMIT 1;
    IF FOUND THEN
        PERFORM zk_refuse(409, 'WINDOW_OVERLAP', 'starts_at',
                          '同一业务的时间窗口不能重叠：与“' || v_other.name || '”（'
                          || zk_ts(v_other.starts_at) || ' 至 ' || zk_ts(v_other.ends_at)
                          || '）重叠；一个窗口可以在另一个结束时开始');
    END IF;
    BEGIN
        IF p_id IS NULL THEN
            INSERT INTO windows (kind, term, name, starts_at, ends_at)
            VALUES (p_kind, p_term, p_name, v_s, v_e) RETURNING * INTO v_new;
        ELSE
            UPDATE windows SET starts_at = v_s, ends_at = v_e, name = coalesce(p_name, name),
                   updated_at = now()
             WHERE id = p_id RETURNING * INTO v_new;
        END IF;
    EXCEPTION
        WHEN unique_violation THEN
            PERFORM zk_refuse(409, 'WINDOW_TERM_TAKEN', 'term',
                              '这个业务在这一期已有时间窗口，请修改那一个');
        WHEN exclusion_violation THEN -- a window written meanwhile
            PERFORM zk_refuse(409, 'WINDOW_OVERLAP', 'starts_at',
                              '同一业务的时间窗口不能重叠，请刷新列表后重试');
    END;
    PERFORM staff_audit_add(p_staff, CASE WHEN p_id IS NULL THEN 'window.create'
                                          ELSE 'window.edit' END,
                            'window', v_new.id::text,
                            CASE WHEN p_id IS NOT NULL THEN site_window_json(v_old)::jsonb END,
                            site_window_json(v_new)::jsonb, p_request);
    RETURN site_window_json(v_new);
END
$$;

-- Deletes a window nothing refers to (409 WINDOW_IN_USE otherwise).
CREATE FUNCTION staff_window_delete(p_staff bigint, p_id bigint, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_old windows%ROWTYPE;
BEGIN
    SELECT * INTO v_old FROM windows WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM zk_refuse(404, 'WINDOW_NOT_FOUND', 'id', '没有这个业务时间窗口，请刷新列表');
    END IF;
    BEGIN
        DELETE FROM windows WHERE id = p_id;
    EXCEPTION WHEN foreign_key_violation THEN
        PERFORM zk_refuse(409, 'WINDOW_IN_USE', 'id',
                          '已有申请或报名属于这个时间窗口，不能删除；可以修改它的时间');
    END;
    PERFORM staff_audit_add(p_staff, 'window.delete', 'window', p_id::text,
                            site_window_json(v_old)::jsonb, NULL, p_request);
    RETURN json_build_object('deleted', p_id);
END
$$;

-- ---- notices and the registration guide ----------------------------------------------

CREATE FUNCTION notice_json(n notices) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', n.id, 'kind', n.kind, 'title', n.title, 'body', n.body,
        'published', n.published_at IS NOT NULL, 'published_at', zk_ts(n.published_at),
        'updated_at', zk_ts(n.updated_at),
        'files', coalesce((SELECT json_agg(json_build_object('id', f.id, 'name', f.name,
                                   'size', f.size) ORDER BY f.id)
                             FROM notice_files f WHERE f.notice_id = n.id), '[]'))
$$;

CREATE FUNCTION staff_notice_lock(p_id bigint) RETURNS notices LANGUAGE plpgsql AS $$
DECLARE
    v notices%ROWTYPE;
BEGIN
    SELECT * INTO v FROM notices WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM zk_refuse(404, 'NOTICE_NOT_FOUND', 'id', '没有这条公告，请刷新列表');
    END IF;
    RETURN v;
END
$$;

-- Creates (p_id NULL) or edits a notice: kind, title and body (NULL keeps).
CREATE FUNCTION staff_notice_save(p_staff bigint, p_id bigint, p_kind text, p_title text,
                                  p_body text, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_old notices%ROWTYPE;
    v_new notices%ROWTYPE;
BEGIN
    IF p_kind IS NOT NULL AND p_kind NOT IN ('notice', 'guide') THEN
        PERFORM zk_refuse(422, 'FIELD_INVALID', 'kind',
                          '类别应为 notice（通知公告）或 guide（报考简章）');
    END IF;
    IF p_title IS NOT NULL AND length(btrim(p_title)) NOT BETWEEN 2 AND 100 THEN
        PERFORM zk_refuse(422, 'FIELD_INVALID', 'title', '标题应为 2 到 100 个字');
    END IF;
    IF p_body IS NOT NULL AND length(btrim(p_body)) NOT BETWEEN 1 AND 20000 THEN
        PERFORM zk_refuse(422, 'FIELD_INVALID', 'body', '正文应为 1 到 20000 个字');
    END IF;
    IF p_id IS NULL THEN
        INSERT INTO notices (kind, title, body, created_by)
        VALUES (p_kind, btrim(p_title), btrim(p_body), p_staff) RETURNING * INTO v_new;
    ELSE
        v_old := staff_notice_lock(p_id);
        UPDATE notices SET kind = coalesce(p_kind, kind), title = coalesce(btrim(p_title), title),
               body = coalesce(btrim(p_body), body), updated_at = now()
         WHERE id = p_id RETURNING * INTO v_new;
    END IF;
    PERFORM staff_audit_add(p_staff, CASE WHEN p_id IS NULL THEN 'notice.create'
                                          ELSE 'notice.edit' END, 'notice', v_new.id::text,
                            CASE WHEN p_id IS NOT NULL THEN
                                jsonb_build_object('kind', v_old.kind, 'title', v_old.title,
                                                   'body', v_old.body) END,
                            jsonb_build_object('kind', v_new.kind, 'title', v_new.title,
                                               'body', v_new.body), p_request);
    RETURN notice_json(v_new);
END
$$;

-- Publishes (p_publish) or withdraws a notice; twice the same is 409.
CREATE FUNCTION staff_notice_publish(p_staff bigint, p_id bigint, p_publish boolean,
                                     p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v notices%ROWTYPE := staff_notice_lock(p_id);
BEGIN
    IF p_publish AND v.published_at IS NOT NULL THEN
        PERFORM zk_refuse(409, 'NOTICE_ALREADY_PUBLISHED', NULL, '这条公告已经发布');
    ELSIF NOT p_publish AND v.published_at IS NULL THEN
        PERFORM zk_refuse(409, 'NOTICE_NOT_PUBLISHED', NULL, '这条公告尚未发布');
    END IF;
    UPDATE notices SET published_at = CASE WHEN p_publish THEN now() END, updated_at = now()
     WHERE id = p_id RETURNING * INTO v;
    PERFORM staff_audit_add(p_staff, CASE WHEN p_publish THEN 'notice.publish'
                                          ELSE 'notice.unpublish' END, 'notice', p_id::text,
                            NULL, jsonb_build_object('title', v.title), p_request);
    RETURN notice_json(v);
END
$$;

-- Deletes a notice that is not published (409 NOTICE_PUBLISHED: withdraw it first).
CREATE FUNCTION staff_notice_delete(p_staff bigint, p_id bigint, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v notices%ROWTYPE := staff_notice_lock(p_id);
BEGIN
    IF v.published_at IS NOT NULL THEN
        PERFORM zk_refuse(409, 'NOTICE_PUBLISHED', NULL,
                          '已发布的公告不能删除，请先撤回发布');
    END IF;
    PERFORM staff_audit_add(p_staff, 'notice.delete', 'notice', p_id::text,
                            jsonb_build_object('kind', v.kind, 'title', v.title, 'body', v.body,
                                               'files', (SELECT json_agg(f.name ORDER BY f.id)
                                                           FROM notice_files f
                                                          WHERE f.notice_id = p_id)),
                            NULL, p_request);
    DELETE FROM notices WHERE id = p_id;
    RETURN json_build_object('deleted', p_id);
END
$$;

-- Attaches a PDF (sniffed by the server) named p_name; at most p_max per notice.
CREATE FUNCTION staff_notice_file_add(p_staff bigint, p_id bigint, p_name text, p_data bytea,
                                      p_max int, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v    notices%ROWTYPE := staff_notice_lock(p_id);
    v_id bigint;
BEGIN
    IF (SELECT count(*) FROM notice_files WHERE notice_id = p_id) >= p_max THEN
        PERFORM zk_refuse(409, 'NOTICE_FILES_FULL', 'file',
                          '一条公告最多 ' || p_max || ' 个附件，请先删除不需要的附件');
    END IF;
    INSERT INTO notice_files (notice_id, name, size, sha256, data)
    VALUES (p_id, p_name, length(p_data), encode(sha256(p_data), 'hex'), p_data)
    RETURNING id INTO v_id;
    UPDATE notices SET updated_at = now() WHERE id = p_id RETURNING * INTO v;
    PERFORM staff_audit_add(p_staff, 'notice.file_add', 'notice', p_id::text, NULL,
                            jsonb_build_object('file', v_id, 'name', p_name,
                                               'size', length(p_data)), p_request);
    RETURN notice_json(v);
END
$$;

CREATE FUNCTION staff_notice_file_delete(p_staff bigint, p_id bigint, p_file bigint,
                                         p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v      notices%ROWTYPE := staff_notice_lock(p_id);
    v_name text;
BEGIN
    DELETE FROM notice_files WHERE id = p_file AND notice_id = p_id RETURNING name INTO v_name;
    IF NOT FOUND THEN
        PERFORM zk_refuse(404, 'FILE_NOT_FOUND', 'file', '没有这个附件，请刷新页面');
    END IF;
    UPDATE notices SET updated_at = now() WHERE id = p_id RETURNING * INTO v;
    PERFORM staff_audit_add(p_staff, 'notice.file_delete', 'notice', p_id::text,
                            jsonb_build_object('file', p_file, 'name', v_name), NULL, p_request);
    RETURN notice_json(v);
END
$$;

-- ---- the site banner ----------------------------------------------------------------

CREATE FUNCTION site_banner_json(b site_banner) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN b.id IS NOT NULL THEN json_build_object('kind', b.kind,
        'message', b.message, 'link', b.link, 'starts_at', zk_ts(b.starts_at),
        'ends_at', zk_ts(b.ends_at), 'updated_at', zk_ts(b.updated_at)) END
$$;

-- The banner pages show now: set, started (or no start), not ended; or NULL.
CREATE FUNCTION site_banner_now() RETURNS json LANGUAGE sql STABLE AS $$
    SELECT site_banner_json(b) FROM site_banner b
     WHERE (b.starts_at IS NULL OR b.starts_at <= now()) AND (b.ends_at IS NULL OR now() < b.ends_at)
$$;

CREATE FUNCTION staff_banner_set(p_staff bigint, p_kind text, p_message text, p_link text,
                                 p_starts text, p_ends text, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_old site_banner%ROWTYPE;
    v_new site_banner%ROWTYPE;
    v_s   timestamptz := site_time(p_starts, 'starts_at');
    v_e   timestamptz := site_time(p_ends, 'ends_at');
BEGIN
    IF p_kind NOT IN ('maintenance', 'opening') THEN
        PERFORM zk_refuse(422, 'FIELD_INVALID', 'kind',
                          '类别应为 maintenance（系统维护）或 opening（业务开放）');
    END IF;
    IF length(btrim(p_message)) NOT BETWEEN 2 AND 200 THEN
        PERFORM zk_refuse(422, 'FIELD_INVALID', 'message', '横幅文字应为 2 到 200 个字');
    END IF;
    IF p_link <> '' AND (p_link !~ '^/[^/\\]' OR p_link ~ '[\\[:space:]]' OR length(p_link) > 200) THEN
        PERFORM zk_refuse(422, 'FIELD_INVALID', 'link',
                          '链接应为本网站的路径，以 / 开头，例如 /me/');
    END IF;
    IF v_s IS NOT NULL AND v_e IS NOT NULL AND v_e <= v_s THEN
        PERFORM zk_refuse(422, 'BANNER_ENDS_BEFORE_START', 'ends_at', '结束时间须晚于开始时间');
    END IF;
    SELECT * INTO v_old FROM site_banner FOR UPDATE;
    INSERT INTO site_banner (kind, message, link, starts_at, ends_at, updated_by)
    VALUES (p_kind, btrim(p_message), nullif(p_link, ''), v_s, v_e, p_staff)
    ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, message = EXCLUDED.message,
        link = EXCLUDED.link, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
        updated_by = EXCLUDED.updated_by, updated_at = now()
    RETURNING * INTO v_new;
    PERFORM staff_audit_add(p_staff, 'banner.set', 'banner', NULL,
                            site_banner_json(v_old)::jsonb, site_banner_json(v_new)::jsonb,
                            p_request);
    RETURN site_banner_json(v_new);
END
$$;

CREATE FUNCTION staff_banner_clear(p_staff bigint, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_old site_banner%ROWTYPE;
BEGIN
    DELETE FROM site_banner RETURNING * INTO v_old;
    IF NOT FOUND THEN
        PERFORM zk_refuse(409, 'BANNER_NOT_SET', NULL, '现在没有横幅');
    END IF;
    PERFORM staff_audit_add(p_staff, 'banner.clear', 'banner', NULL,
                            site_banner_json(v_old)::jsonb, NULL, p_request);
    RETURN json_build_object('banner', NULL);
END
$$;

-- ---- district offices' contact details ---------------------------------------------------

CREATE FUNCTION site_office_json(p_district char(6)) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('district', json_build_object('code', d.code, 'name', d.name,
            'city', c.name),
        'office', CASE WHEN o.district IS NOT NULL THEN json_build_object('name', o.name,
            'address', o.address, 'phone', o.phone, 'hours', o.hours, 'note', o.note,
            'updated_at', zk_ts(o.updated_at)) END)
      FROM regions d LEFT JOIN regions c ON c.code = d.parent AND c.level = 'city'
      LEFT JOIN district_offices o ON o.district = d.code
     WHERE d.code = p_district
$$;

-- Writes the office of p_district (checked by the server with the rules of
-- `zikaoctl districts import`, shared/district_office.c): district staff
-- their own district, province staff any; another district is 404.
CREATE FUNCTION staff_office_save(p_staff bigint, p_district text, p_name text, p_address text,
                                  p_phone text, p_hours text, p_note text, p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_before json;
BEGIN
    PERFORM 1 FROM staff_scope sc JOIN regions r ON r.code = p_district AND r.level = 'district'
     WHERE sc.staff_id = p_staff AND (sc.all_offices OR sc.district = p_district);
    IF NOT FOUND THEN
        PERFORM zk_refuse(404, 'DISTRICT_NOT_FOUND', 'code', '没有这个考籍管理区县');
    END IF;
    PERFORM 1 FROM district_offices WHERE district = p_district FOR UPDATE;
    v_before := site_office_json(p_district) -> 'office';
    INSERT INTO district_offices (district, name, address, phone, hours, note)
    VALUES (p_district, p_name, p_address, p_phone, p_hours, nullif(p_note, ''))
    ON CONFLICT (district) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address,
        phone = EXCLUDED.phone, hours = EXCLUDED.hours, note = EXCLUDED.note, updated_at = now();
    PERFORM staff_audit_add(p_staff, 'office.edit', 'district', p_district,
                            v_before::jsonb, (site_office_json(p_district) -> 'office')::jsonb,
                            p_request);
    RETURN site_office_json(p_district);
END
$$;
