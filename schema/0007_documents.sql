-- 0007_documents.sql - printable documents (PDF) rendered by the `pdf`
-- queue: what was asked for, for which subject, from which input, and the
-- file it produced.
--
-- A document is one rendering of one kind (receipt, graduate_form,
-- exemption_detail, transfer_detail) for one subject (('order', order_no)
-- now; ('graduation' | 'exemption' | 'transfer', application id) when those
-- flows exist) from one input. The input is the subject's data as
-- document_input() returns it plus the configuration part the server adds
-- (office name, province, fonts, template version) under "meta"; its
-- SHA-256 (input_hash, over jsonb's canonical text) identifies it, so asking
-- again with identical input finds the rendered file instead of rendering
-- again, and a changed input (a corrected name, another office name) gets
-- a new row. State: pending (a `pdf` job renders it), ready (file_id holds
-- the PDF), failed (error says why; the job ran out of attempts).

CREATE TABLE documents (
    id           bigserial   PRIMARY KEY,
    subject_type text        NOT NULL
                             CHECK (subject_type IN ('order', 'graduation', 'exemption', 'transfer')),
    subject_id   text        NOT NULL CHECK (subject_id ~ '^[A-Za-z0-9:_-]{1,64}$'),
    kind         text        NOT NULL
                             CHECK (kind IN ('receipt', 'graduate_form', 'exemption_detail',
                                             'transfer_detail')),
    candidate_id bigint      NOT NULL REFERENCES candidates (id),
    input_hash   char(64)    NOT NULL CHECK (input_hash ~ '^[0-9a-f]{64}$'),
    meta         jsonb       NOT NULL,   -- the configuration part of the input
    state        text        NOT NULL DEFAULT 'pending'
                             CHECK (state IN ('pending', 'ready', 'failed')),
    -- The job that renders it; jobs are purged after [jobs] retention_days.
    job_id       bigint      REFERENCES jobs (id) ON DELETE SET NULL,
    file_id      bigint      REFERENCES files (id),
    docno        text        CHECK (docno ~ '^[A-Z]{2}-[0-9]{8}-[0-9]{8}-[0-9X]$'),
    filename     text,                   -- suggested Chinese file name (UTF-8)
    pages        integer     CHECK (pages > 0),
    error        text,                   -- why it failed (names fields, never their values)
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    ready_at     timestamptz,
    UNIQUE (subject_type, subject_id, kind, input_hash),
    CHECK ((state = 'ready') = (file_id IS NOT NULL AND docno IS NOT NULL AND filename IS NOT NULL
                                AND ready_at IS NOT NULL))
);
-- A candidate's documents; the job's document (jobs purge sets job_id NULL).
CREATE INDEX documents_candidate_idx ON documents (candidate_id, created_at DESC);
CREATE INDEX documents_job_idx ON documents (job_id) WHERE job_id IS NOT NULL;

-- The subject's data a document is rendered from, as one jsonb value (NULL
-- when the subject does not exist or cannot have this document, e.g. an
-- order that is not paid). The server hashes it to find a rendered
-- document; the `pdf` worker renders from it. Times are Unix seconds (the
-- PDF's generated-at time comes from the data, never from the clock);
-- serial is the document number's sequence part. Only the receipt is
-- wired; the application flows add their kinds here when they exist.
CREATE FUNCTION document_input(p_kind text, p_subject_type text, p_subject_id text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_kind = 'receipt' AND p_subject_type = 'order' THEN (
            SELECT jsonb_build_object(
                       'order_no', o.order_no,
                       'candidate_id', o.candidate_id,
                       'purpose', o.description,
                       'payer_name', c.name,
                       'id_number', c.id_number,
                       'exam_id', (SELECT e.exam_id FROM exam_ids e
                                    WHERE e.candidate_id = c.id
                                    ORDER BY e.created_at, e.exam_id LIMIT 1),
                       'amount_fen', o.amount_fen,
                       'refundable', o.refundable,
                       'provider', o.provider,
                       'provider_trade_no', o.provider_trade_no,
                       'created_at', floor(extract(epoch FROM o.created_at))::bigint,
                       'paid_at', floor(extract(epoch FROM o.paid_at))::bigint,
                       'serial', o.id % 100000000)
              FROM orders o JOIN candidates c ON c.id = o.candidate_id
             WHERE o.order_no = p_subject_id AND o.state = 'paid')
    END
$$;

-- The full input of a document (subject data + meta) and its hash, as both
-- the server and the worker compute them.
CREATE FUNCTION document_input_hash(p_input jsonb) RETURNS char(64)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(p_input::text, 'UTF8')), 'hex')
$$;
