-- 0012_extension_points.sql - where a new flow plugs in on the database
-- side, without editing the payment worker or the file retention:
--
--   order_purposes    what an order pays for, and what becomes of its
--                     subject when the order is paid or closed;
--   file_references   every column that refers to a stored file.

-- ---- what an order pays for ------------------------------------------------
--
-- A flow that charges registers its purpose here in its own migration, with
-- the functions (subject text, order_no text) its subject needs when the
-- order is paid, and when it is closed unpaid (cancelled, expired,
-- superseded). They run in the transaction that changes the order, wherever
-- that happens (the payment worker, reconciliation, a cancel through the
-- API), so the subject can never disagree with its order. NULL: nothing to do.
CREATE TABLE order_purposes (
    purpose     text    PRIMARY KEY CHECK (purpose ~ '^[a-z][a-z_]{0,31}$'),
    description text    NOT NULL,
    on_paid     regproc,
    on_closed   regproc
);

CREATE FUNCTION order_paid_demo(p_subject text, p_order_no text) RETURNS void
LANGUAGE sql AS $$
    UPDATE payment_demo_subjects SET paid_order = p_order_no, paid_at = now()
     WHERE subject = p_subject AND paid_at IS NULL
$$;

INSERT INTO order_purposes (purpose, description, on_paid, on_closed) VALUES
    ('demo', 'the demo order of scripts/run (no real subject)', 'order_paid_demo', NULL),
    ('graduation', '毕业申请费 (the graduation flow registers its hooks)', NULL, NULL),
    ('course_registration', '报考费 (the registration flow registers its hooks)', NULL, NULL);

ALTER TABLE orders DROP CONSTRAINT orders_purpose_check;
ALTER TABLE orders ADD CONSTRAINT orders_purpose_fkey
    FOREIGN KEY (purpose) REFERENCES order_purposes (purpose);

CREATE FUNCTION orders_subject_hook() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_fn regproc;
BEGIN
    IF NEW.state = 'paid' AND OLD.state <> 'paid' THEN
        SELECT on_paid INTO v_fn FROM order_purposes WHERE purpose = NEW.purpose;
    ELSIF NEW.state = 'closed' AND OLD.state <> 'closed' THEN
        SELECT on_closed INTO v_fn FROM order_purposes WHERE purpose = NEW.purpose;
    END IF;
    IF v_fn IS NOT NULL THEN
        EXECUTE format('SELECT %s($1, $2)', v_fn) USING NEW.subject, NEW.order_no;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER orders_subject_hook AFTER UPDATE OF state ON orders
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION orders_subject_hook();

-- ---- columns that refer to stored files ------------------------------------
--
-- The workers' retention deletes a file recorded in files_unreferenced only
-- when nothing here names it. A flow whose table refers to files adds its
-- branch (CREATE OR REPLACE VIEW in its migration, keeping the others) and
-- an index on the column, so each branch is one index probe. (Every photo an
-- identity attempt used is in identity_photo_checks, from the attempt's own
-- transaction.)
CREATE VIEW file_references (file_id) AS
          SELECT file_id FROM identity_photos
UNION ALL SELECT file_id FROM identity_photo_checks
UNION ALL SELECT file_id FROM documents;
