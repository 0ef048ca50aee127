-- 0029_transfer.sql - transfer applications (转考, handbook 003) on the
-- application engine of 0020, and their review queues.
--
-- Two kinds, each in its own window:
--   transfer      省内转考 (window transfer_in_province): the origin city is
--                 the candidate's management district's; the draft names the
--                 destination city and, within it, the district that will
--                 manage the candidate: {"city": "140200", "district": "140212",
--                 "remarks": "..."} (remarks optional, 200 characters).
--                 The origin district approves or refuses with a reason; on
--                 approval the management district changes (the staff trail
--                 records before and after), the new district's staff see the
--                 candidate, the exam IDs stay the same.
--   transfer_out  省际转出 (window transfer_out): {"province": "110000",
--                 "reason": "..."}; the province office approves or refuses;
--                 an approved one prints the transfer certificate (passed
--                 courses with scores, credits and dates).
-- States: draft -> submitted -> approved | refused; withdrawn by the candidate
-- before a decision. One open transfer at a time (either kind), and none while
-- another application of the candidate (graduation, exemption, course
-- registration) is under way: transfer_refusal() names it.

INSERT INTO application_kinds (kind, window_kind, title) VALUES
    ('transfer', 'transfer_in_province', '省内转考申请'),
    ('transfer_out', 'transfer_out', '省际转出申请');

INSERT INTO application_rules (kind, province, pays, per_window, cancels, reviews) VALUES
    ('transfer', 'shanxi', 'none', 3, 0, '{district}'),
    ('transfer', 'tianjin', 'none', 3, 0, '{district}'),
    ('transfer_out', 'shanxi', 'none', 3, 0, '{province}'),
    ('transfer_out', 'tianjin', 'none', 3, 0, '{province}');

INSERT INTO application_states (kind, province, state, title, open, next) VALUES
    ('transfer', '*', 'draft', '草稿', true,
     '选择转入市和转入后的考籍管理区县，核对无误后提交'),
    ('transfer', '*', 'submitted', '已提交，待原属区县审核', true,
     '原属考籍管理区县招办审核您的申请；审核前可撤回'),
    ('transfer', '*', 'approved', '审核通过', false,
     '转考已办结：您的考籍管理区县已变更，准考证号不变；此后的业务请到新的区县招办办理'),
    ('transfer', '*', 'refused', '未通过', false,
     '转考申请未通过，原因见下方；如有疑问请联系原属区县招办'),
    ('transfer', '*', 'withdrawn', '已撤回', false, '申请已撤回'),
    ('transfer_out', '*', 'draft', '草稿', true, '选择转入省份，写明转出原因，核对无误后提交'),
    ('transfer_out', '*', 'submitted', '已提交，待省考试机构审核', true,
     '省考试机构审核您的申请；审核前可撤回'),
    ('transfer_out', '*', 'approved', '审核通过', false,
     '省际转出已批准：请打印《省际转出证明》（列有全部合格课程），到转入省份的自考机构办理转入'),
    ('transfer_out', '*', 'refused', '未通过', false,
     '省际转出申请未通过，原因见下方；如有疑问请联系省考试机构'),
    ('transfer_out', '*', 'withdrawn', '已撤回', false, '申请已撤回');

INSERT INTO application_transitions (kind, province, name, from_state, to_state, actor, title)
SELECT k, '*', t.name, t.from_state, t.to_state, t.actor, t.title
  FROM unnest(ARRAY['transfer', 'transfer_out']) k,
       (VALUES ('submit', 'draft', 'submitted', 'candidate', '提交申请'),
               ('withdraw', 'draft', 'withdrawn', 'candidate', '撤回申请'),
               ('withdraw', 'submitted', 'withdrawn', 'candidate', '撤回申请'),
               ('approve', 'submitted', 'approved', 'staff', '审核通过'),
               ('refuse', 'submitted', 'refused', 'staff', '审核未通过'))
       t (name, from_state, to_state, actor, title);
UPDATE application_transitions SET title = '原属区县招办审核通过'
 WHERE kind = 'transfer' AND name = 'approve';
UPDATE application_transitions SET title = '原属区县招办审核未通过'
 WHERE kind = 'transfer' AND name = 'refuse';
UPDATE application_transitions SET title = '省考试机构审核通过'
 WHERE kind = 'transfer_out' AND name = 'approve';
UPDATE application_transitions SET title = '省考试机构审核未通过'
 WHERE kind = 'transfer_out' AND name = 'refuse';

-- The region code of a province profile.
CREATE FUNCTION province_region(p_province text) RETURNS char(6) LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_province WHEN 'tianjin' THEN '120000' ELSE '140000' END::char(6)
$$;

-- Refuses (zk_refuse) the candidate's submit of transfer application p_app
-- when the draft is incomplete or untrue, another transfer is open, or
-- another application of the candidate is under way. Returns nothing.
CREATE FUNCTION transfer_refusal(p_app bigint, p_action text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    a      applications;
    c      candidates;
    o      record;
    v_city regions;
    v_dist regions;
BEGIN
    SELECT * INTO STRICT a FROM applications WHERE id = p_app;
    IF p_action <> 'submit' OR a.state <> 'draft' THEN
        RETURN; -- the engine answers a step the state does not allow
    END IF;
    SELECT * INTO STRICT c FROM candidates WHERE id = a.candidate_id;
    SELECT o2.id, k.title, s.title AS state_title INTO o
      FROM applications o2 JOIN application_kinds k ON k.kind = o2.kind
      CROSS JOIN LATERAL application_state_row(o2.kind, o2.province, o2.state) s
     WHERE o2.candidate_id = a.candidate_id AND o2.id <> a.id AND o2.open
       AND o2.kind IN ('transfer', 'transfer_out')
     ORDER BY o2.id LIMIT 1;
    IF FOUND THEN
        PERFORM zk_refuse(409, 'TRANSFER_OPEN', NULL,
            format('您已有一份%s（%s）尚未办结，同一时间只能办理一项转考；可先撤回那一份',
                   o.title, o.state_title));
    END IF;
    SELECT o2.id, k.title, s.title AS state_title INTO o
      FROM applications o2 JOIN application_kinds k ON k.kind = o2.kind
      CROSS JOIN LATERAL application_state_row(o2.kind, o2.province, o2.state) s
     WHERE o2.candidate_id = a.candidate_id AND o2.open AND o2.state <> 'draft'
       AND o2.kind NOT IN ('transfer', 'transfer_out')
     ORDER BY o2.id LIMIT 1;
    IF FOUND THEN
        PERFORM zk_refuse(409, 'APPLICATION_OPEN', NULL,
            format('您的%s（%s）尚未办结，办结前不能申请转考', o.title, o.state_title));
    END IF;
    IF a.kind = 'transfer' THEN
        SELECT * INTO v_city FROM regions
         WHERE code = a.data ->> 'city' AND level = 'city' AND parent = province_region(a.province);
        IF NOT FOUND THEN
            PERFORM zk_refuse(422, 'CITY_INVALID', 'city', '请选择本省的转入市');
        END IF;
        SELECT * INTO v_dist FROM regions
         WHERE code = a.data ->> 'district' AND level = 'district' AND parent = v_city.code;
        IF NOT FOUND THEN
            PERFORM zk_refuse(422, 'DISTRICT_INVALID', 'district',
                              '请选择转入市' || v_city.name || '内的考籍管理区县');
        END IF;
        IF v_dist.code = c.district THEN
            PERFORM zk_refuse(422, 'DISTRICT_SAME', 'district',
                              '转入的区县就是您现在的考籍管理区县，请选择另一个区县');
        END IF;
        IF length(a.data ->> 'remarks') > 200 THEN
            PERFORM zk_refuse(422, 'FIELD_TOO_LONG', 'remarks', '备注最多 200 个字');
        END IF;
    ELSE
        IF NOT EXISTS (SELECT 1 FROM regions WHERE code = a.data ->> 'province'
                        AND level = 'province' AND code <> province_region(a.province)) THEN
            PERFORM zk_refuse(422, 'PROVINCE_INVALID', 'province', '请选择转入的省份（本省以外）');
        END IF;
        IF coalesce(btrim(a.data ->> 'reason'), '') = '' THEN
            PERFORM zk_refuse(422, 'FIELD_REQUIRED', 'reason', '请写明转出原因');
        END IF;
        IF length(a.data ->> 'reason') > 200 THEN
            PERFORM zk_refuse(422, 'FIELD_TOO_LONG', 'reason', '转出原因最多 200 个字');
        END IF;
    END IF;
END
$$;

-- ---- the review queues ------------------------------------------------------------------------
INSERT INTO review_kinds (kind, title) VALUES
    ('transfer', '省内转考审核'), ('transfer_out', '省际转出审核');
CREATE INDEX review_items_transfer_list ON review_items (state, created_at, id)
    WHERE kind IN ('transfer', 'transfer_out');
CREATE INDEX review_items_transfer_district_list
    ON review_items (office_district, state, created_at, id) WHERE kind = 'transfer';

-- An item per submit: in-province at the origin district (the management
-- district when submitted), out of the province at the province office; a
-- withdrawal closes the open item (withdrawn).
CREATE FUNCTION transfer_review_on_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'submitted' THEN
        INSERT INTO review_items (kind, subject, candidate_id, office_district, checks_passed,
                                  summary)
        SELECT NEW.kind, NEW.id, NEW.candidate_id,
               CASE WHEN NEW.kind = 'transfer' THEN c.district END, true,
               NEW.data || jsonb_build_object('from_district', c.district)
          FROM candidates c WHERE c.id = NEW.candidate_id;
    ELSIF NEW.state = 'withdrawn' THEN
        UPDATE review_items SET state = 'withdrawn', closed_at = now(), claimed_by = NULL,
               claimed_until = NULL
         WHERE kind = NEW.kind AND subject = NEW.id AND state = 'open';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER transfer_review_on_state AFTER UPDATE OF state ON applications
    FOR EACH ROW WHEN (NEW.kind IN ('transfer', 'transfer_out')
                       AND NEW.state IN ('submitted', 'withdrawn')
                       AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION transfer_review_on_state();

-- The decision hook: approve or refuse (with the reason); staff do not
-- return a transfer. Approving an in-province transfer moves the
-- candidate's management district, recorded in the staff trail (p_request:
-- X-Request-Id); exam IDs are not touched.
CREATE FUNCTION transfer_review_apply(p_item bigint, p_decision text, p_staff bigint,
                                      p_request text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v      review_items;
    a      applications;
    v_from char(6);
BEGIN
    SELECT * INTO STRICT v FROM review_items WHERE id = p_item;
    SELECT * INTO STRICT a FROM applications WHERE id = v.subject FOR UPDATE;
    IF p_decision = 'return' THEN
        PERFORM zk_refuse(422, 'DECISION_INVALID', 'decision',
                          '转考申请审核通过（approve）或不通过（refuse，写明原因）');
    END IF;
    PERFORM application_transition(a.id, CASE p_decision WHEN 'approve' THEN 'approve'
                                                        ELSE 'refuse' END,
                                   'staff', p_staff, v.reason, NULL);
    IF p_decision <> 'approve' OR a.kind <> 'transfer' THEN
        RETURN json_build_object('application_id', a.id, 'state',
                                 CASE p_decision WHEN 'approve' THEN 'approved' ELSE 'refused' END);
    END IF;
    SELECT district INTO STRICT v_from FROM candidates WHERE id = a.candidate_id FOR UPDATE;
    UPDATE candidates SET district = (a.data ->> 'district')::char(6), updated_at = now()
     WHERE id = a.candidate_id;
    PERFORM staff_audit_add(p_staff, 'transfer.district', 'candidate', a.candidate_id::text,
                            jsonb_build_object('district', v_from, 'application', a.id),
                            jsonb_build_object('district', a.data ->> 'district',
                                               'application', a.id),
                            p_request);
    RETURN json_build_object('application_id', a.id, 'state', 'approved',
                             'from_district', v_from, 'to_district', a.data ->> 'district');
END
$$;

-- What the deciding office needs: the candidate, the exam IDs, where from
-- and where to, the remarks or reason, the timeline.
CREATE FUNCTION transfer_review_detail(p_item bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'application', json_build_object('id', a.id, 'kind', a.kind, 'state', a.state,
                                         'submitted_at', zk_ts(a.submitted_at), 'data', a.data),
        'candidate', application_review_candidate(a.candidate_id),
        'from', (SELECT json_build_object('district', d.code, 'district_name', d.name,
                                          'city', cy.code, 'city_name', cy.name)
                   FROM regions d LEFT JOIN regions cy ON cy.code = d.parent
                  WHERE d.code = (i.summary ->> 'from_district')),
        'to', CASE a.kind WHEN 'transfer' THEN
                (SELECT json_build_object('district', d.code, 'district_name', d.name,
                                          'city', cy.code, 'city_name', cy.name)
                   FROM regions d LEFT JOIN regions cy ON cy.code = d.parent
                  WHERE d.code = a.data ->> 'district')
              ELSE (SELECT json_build_object('province', p.code, 'province_name', p.name)
                      FROM regions p WHERE p.code = a.data ->> 'province') END,
        'timeline', (application_json(a.id) -> 'timeline'))
      FROM review_items i JOIN applications a ON a.id = i.subject
     WHERE i.id = p_item
$$;

-- ---- the printable detail (省内转考申请信息详情, handbook 003 step 2) ----------------------------
-- The input of the transfer_detail document of a submitted in-province
-- transfer: type, origin city (the management district when it was
-- submitted), time, destination, remarks, state; dated and numbered by the
-- last step, as the exemption detail.
CREATE FUNCTION transfer_detail_input(p_subject_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT application_document_person(a.candidate_id) || jsonb_build_object(
               'application_id', a.id,
               'kind', '省内转考',
               'from_city', (SELECT cy.name FROM regions d JOIN regions cy ON cy.code = d.parent
                              WHERE d.code = coalesce(
                                  (SELECT i.summary ->> 'from_district' FROM review_items i
                                    WHERE i.kind = 'transfer' AND i.subject = a.id
                                    ORDER BY i.id DESC LIMIT 1), c.district)),
               'to_city', (SELECT cy.name || d.name FROM regions d
                             JOIN regions cy ON cy.code = d.parent
                            WHERE d.code = a.data ->> 'district'),
               'remarks', a.data ->> 'remarks',
               'status', s.title,
               'applied_at', floor(extract(epoch FROM a.submitted_at))::bigint,
               'generated_at', floor(extract(epoch FROM ev.at))::bigint,
               'serial', ev.id % 100000000)
      FROM applications a
      JOIN candidates c ON c.id = a.candidate_id
      CROSS JOIN LATERAL application_state_row(a.kind, a.province, a.state) s
      CROSS JOIN LATERAL application_last_event(a.id) ev
     WHERE p_subject_id ~ '^[0-9]{1,18}$' AND a.id = p_subject_id::bigint
       AND a.kind = 'transfer' AND a.state <> 'draft'
$$;

INSERT INTO document_inputs (kind, subject_type, input_fn) VALUES
    ('transfer_detail', 'transfer', 'transfer_detail_input');

-- ---- the transfer-out certificate (省际转出证明) -------------------------------------------------
-- Documents of subject 'transfer_out': the certificate of an approved
-- transfer out of the province, listing every passed course with its score,
-- credits and date (what the destination province takes over) as the
-- records held them at the approval, which dates and numbers it.
ALTER TABLE documents DROP CONSTRAINT documents_subject_type_check;
ALTER TABLE documents ADD CONSTRAINT documents_subject_type_check
    CHECK (subject_type IN ('order', 'graduation', 'exemption', 'transfer', 'transfer_out'));
ALTER TABLE documents DROP CONSTRAINT documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('receipt', 'graduate_form', 'exemption_detail', 'transfer_detail',
                    'transfer_certificate'));

CREATE FUNCTION transfer_certificate_input(p_subject_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT application_document_person(a.candidate_id) || jsonb_build_object(
               'application_id', a.id,
               'to_province', (SELECT p.name FROM regions p WHERE p.code = a.data ->> 'province'),
               'reason', a.data ->> 'reason',
               'approved_at', floor(extract(epoch FROM ev.at))::bigint,
               'courses', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                              'exam_id', pc.exam_id, 'code', pc.course_code,
                                              'name', pc.course_name, 'score', pc.score,
                                              'credits', pc.credits,
                                              'passed_on', to_char(pc.passed_on, 'YYYY-MM-DD'))
                                          ORDER BY pc.passed_on, pc.exam_id, pc.course_code)
                                      FROM passed_courses pc WHERE pc.candidate_id = c.id
                                       AND pc.imported_at <= ev.at),
                                   '[]'),
               'generated_at', floor(extract(epoch FROM ev.at))::bigint,
               'serial', ev.id % 100000000)
      FROM applications a
      JOIN candidates c ON c.id = a.candidate_id
      JOIN LATERAL (SELECT e.id, e.at FROM application_events e WHERE e.application_id = a.id
                       AND e.transition = 'approve' ORDER BY e.id DESC LIMIT 1) ev ON true
     WHERE p_subject_id ~ '^[0-9]{1,18}$' AND a.id = p_subject_id::bigint
       AND a.kind = 'transfer_out' AND a.state = 'approved'
$$;

INSERT INTO document_inputs (kind, subject_type, input_fn) VALUES
    ('transfer_certificate', 'transfer_out', 'transfer_certificate_input');
