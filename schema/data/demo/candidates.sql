-- demo candidates for scripts/run: enrolled, verified, ids 9000001.. matching the
-- academic demo data (schema/data/academic/scores.csv), with every exam ID
-- their passed courses are recorded under. ID numbers are made up but valid
-- (GB 11643 check characters). Idempotent.
INSERT INTO candidates (id, id_number, name, gender, birth_date, phone, district, kind, identity, verified_at) VALUES
(9000001, '140105199005120116', '王小明', '男', '1990-05-12', '13900000001', '140105', 'enrolled', 'verified', now()),
(9000002, '14010619880203022X', '李华', '女', '1988-02-03', '13900000002', '140106', 'enrolled', 'verified', now()),
(9000003, '140107199207150332', '张伟', '男', '1992-07-15', '13900000003', '140107', 'enrolled', 'verified', now()),
(9000004, '140108199501010441', '刘洋', '女', '1995-01-01', '13900000004', '140108', 'enrolled', 'verified', now()),
(9000005, '140109199311220620', '陈静', '女', '1993-11-22', '13900000005', '140109', 'enrolled', 'verified', now()),
(9000006, '14011019870930071X', '杨帆', '男', '1987-09-30', '13900000006', '140110', 'enrolled', 'verified', now()),
(9000007, '140121199604180823', '赵敏', '女', '1996-04-18', '13900000007', '140121', 'enrolled', 'verified', now()),
(9000008, '140202198912080914', '黄磊', '男', '1989-12-08', '13900000008', '140212', 'enrolled', 'verified', now()),
(9000009, '140302199406061024', '周婷', '女', '1994-06-06', '13900000009', '140302', 'enrolled', 'verified', now()),
(9000010, '140402199103211115', '吴昊', '男', '1991-03-21', '13900000010', '140403', 'enrolled', 'verified', now()),
(9000011, '14050219970809122X', '郑爽', '女', '1997-08-09', '13900000011', '140502', 'enrolled', 'verified', now())
ON CONFLICT (id) DO NOTHING;
INSERT INTO exam_ids (exam_id, candidate_id, source) VALUES
('010518000001', 9000001, 'imported'),
('010518000002', 9000002, 'imported'),
('010518000003', 9000003, 'imported'),
('010518000004', 9000004, 'imported'),
('010518000005', 9000005, 'imported'),
('010518000006', 9000006, 'imported'),
('010518000007', 9000007, 'imported'),
('010518000008', 9000008, 'imported'),
('010518000009', 9000009, 'imported'),
('010518000010', 9000010, 'imported'),
('010518000011', 9000011, 'imported')
ON CONFLICT (exam_id) DO NOTHING;
-- The exam IDs their passed courses are recorded under (schema/data/academic/
-- scores.csv): each belongs to one candidate, who sees it in GET /api/v1/me.
-- A statement of its own, so that these are created after the ones above,
-- which stay first (documents print a candidate's first exam ID).
INSERT INTO exam_ids (exam_id, candidate_id, source) VALUES
('080105408130', 9000001, 'imported'),
('010123100003', 9000001, 'imported'),
('010121100002', 9000002, 'imported'),
('140105190311', 9000003, 'imported'),
('140105240027', 9000003, 'imported'),
('140107190420', 9000004, 'imported'),
('140108190533', 9000005, 'imported'),
('140109190645', 9000006, 'imported'),
('140109240118', 9000006, 'imported'),
('140110190752', 9000007, 'imported'),
('140110240206', 9000007, 'imported'),
('140121190866', 9000008, 'imported'),
('010121100009', 9000009, 'imported'),
('140181190974', 9000010, 'imported'),
('140181980012', 9000010, 'imported'),
('140202191088', 9000011, 'imported')
ON CONFLICT (exam_id) DO NOTHING;
SELECT setval('candidates_id_seq', greatest((SELECT max(id) FROM candidates), 9000100));
