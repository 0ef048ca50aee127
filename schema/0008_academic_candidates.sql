-- 0008_academic_candidates.sql - passed courses and current results belong to
-- candidates (0003): the foreign keys 0005 had to leave out.
ALTER TABLE passed_courses
    ADD CONSTRAINT passed_courses_candidate_fk FOREIGN KEY (candidate_id) REFERENCES candidates (id);
ALTER TABLE current_results
    ADD CONSTRAINT current_results_candidate_fk FOREIGN KEY (candidate_id) REFERENCES candidates (id);
