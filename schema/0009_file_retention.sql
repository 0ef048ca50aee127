-- 0009_file_retention.sql - files nothing refers to any more: a photo
-- replaced by a later upload of its kind before any verification attempt used
-- it. The upload that replaces it records it here; the workers' retention
-- deletes it [jobs] unreferenced_file_hours later if by then nothing refers to
-- it (a photo an attempt used stays with that attempt's checks for good).
CREATE TABLE files_unreferenced (
    file_id bigint      PRIMARY KEY,
    since   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_unreferenced_since_idx ON files_unreferenced (since);

-- Whether a file is still referred to is looked up from the file's side (by
-- the retention, and by PostgreSQL for every deleted files row).
CREATE INDEX identity_photos_file_idx ON identity_photos (file_id);
CREATE INDEX identity_photo_checks_file_idx ON identity_photo_checks (file_id);
CREATE INDEX documents_file_idx ON documents (file_id);
