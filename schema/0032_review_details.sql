-- 0032_review_details.sql - what the staff console's item pages need beyond
-- 0025 and 0029's review details (the flows' part of
-- GET /api/v1/staff/queues/{queue}/items/{id}):
--   graduation  the chosen main universities with their names, and the
--               timeline with each step's title (as application_json says it);
--   transfer,   the candidate's passed courses (exam ID, course, score,
--   transfer_out  credits, date, source): what moves with the record, and
--               what the 省际转出 certificate will list.

CREATE OR REPLACE FUNCTION graduation_review_detail(p_item bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'candidate', json_build_object('id', c.id, 'id_number', c.id_number, 'name', c.name,
            'gender', c.gender, 'birth_date', c.birth_date, 'phone', c.phone,
            'district', c.district,
            'district_name', (SELECT r.name FROM regions r WHERE r.code = c.district),
            'exam_ids', coalesce((SELECT json_agg(e.exam_id ORDER BY e.created_at)
                                   FROM exam_ids e WHERE e.candidate_id = c.id), '[]')),
        'application', json_build_object('id', a.id, 'province', a.province,
            'state', a.state,
            'state_title', (application_state_row(a.kind, a.province, a.state)).title,
            'submitted_at', zk_ts(a.submitted_at), 'data', a.data,
            'major_name', (SELECT m.name FROM majors m WHERE m.code = a.data ->> 'major'),
            'level', (SELECT m.level FROM majors m WHERE m.code = a.data ->> 'major'),
            'chosen_district_name', (SELECT r.name FROM regions r
                                      WHERE r.code = a.data ->> 'district'),
            'universities', coalesce((SELECT json_agg(json_build_object('code', u.code,
                                                                        'name', un.name)
                                                      ORDER BY u.n)
                                        FROM jsonb_array_elements_text(
                                                 CASE jsonb_typeof(a.data -> 'universities')
                                                 WHEN 'array' THEN a.data -> 'universities'
                                                 ELSE '[]' END) WITH ORDINALITY u(code, n)
                                        LEFT JOIN universities un ON un.code = u.code), '[]')),
        'audit', (SELECT e.detail FROM application_events e WHERE e.application_id = a.id
                   AND e.transition = 'submit' ORDER BY e.id DESC LIMIT 1),
        'photo', (SELECT json_build_object('file_id', p.file_id, 'state', p.state,
                      'rules', p.rules, 'uploaded_at', zk_ts(p.uploaded_at))
                    FROM application_photos p WHERE p.application_id = a.id
                   ORDER BY p.uploaded_at DESC LIMIT 1),
        'files', coalesce((SELECT json_agg(json_build_object('slot', f.slot, 'seq', f.seq,
                      'file_id', f.file_id, 'state', f.state, 'reason', f.reason,
                      'detail', f.detail) ORDER BY f.slot, f.seq)
                    FROM application_files f WHERE f.application_id = a.id), '[]'),
        'papers_due', zk_ts(graduation_papers_due(a.window_id)),
        'timeline', (application_json(a.id) -> 'timeline'))
      FROM review_items i JOIN applications a ON a.id = i.subject
      JOIN candidates c ON c.id = a.candidate_id
     WHERE i.id = p_item
$$;

CREATE OR REPLACE FUNCTION transfer_review_detail(p_item bigint) RETURNS json
LANGUAGE sql STABLE AS $$
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
        'courses', coalesce((SELECT json_agg(json_build_object('exam_id', pc.exam_id,
                                 'code', pc.course_code, 'name', pc.course_name,
                                 'score', pc.score, 'credits', pc.credits,
                                 'passed_on', pc.passed_on, 'source', pc.source)
                               ORDER BY pc.passed_on, pc.course_code)
                               FROM passed_courses pc
                              WHERE pc.candidate_id = a.candidate_id), '[]'),
        'timeline', (application_json(a.id) -> 'timeline'))
      FROM review_items i JOIN applications a ON a.id = i.subject
     WHERE i.id = p_item
$$;
