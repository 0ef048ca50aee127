-- 0006_payments.sql - orders, the fee catalogue, provider notifications and
-- their outcomes, payment alerts, and the books of the built-in provider
-- simulator.
--
-- Money is an integer number of fen everywhere. An order moves
-- created -> paying -> paid, or to closed (cancelled, expired, superseded);
-- paid is final (no refunds for graduation fees). At most one order per
-- purpose and subject is open or paid (orders_one_per_subject), so asking
-- again returns the existing order and a subject is never charged twice by
-- us. Provider notifications are stored raw, once per provider transaction
-- and status (payment_events), and applied to their order by the payment
-- worker exactly once (processed_at / outcome in the same transaction).

-- Fees per province profile ([profile] province). Data, not code: the
-- office edits amounts here (zikaoctl payments fees lists them).
CREATE TABLE fee_catalogue (
    province   text    NOT NULL CHECK (province IN ('shanxi', 'tianjin')),
    fee_type   text    NOT NULL CHECK (fee_type ~ '^[a-z][a-z_]{0,31}$'),
    name       text    NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    amount_fen bigint  NOT NULL CHECK (amount_fen > 0 AND amount_fen <= 100000000),
    refundable boolean NOT NULL DEFAULT false,
    PRIMARY KEY (province, fee_type)
);
INSERT INTO fee_catalogue (province, fee_type, name, amount_fen, refundable) VALUES
    ('shanxi', 'graduation', '毕业申请费', 5000, false),
    ('shanxi', 'course_registration', '课程报考费', 3000, false),
    ('shanxi', 'demo', '演示费用', 100, false),
    ('tianjin', 'graduation', '毕业申请费', 6000, false),
    ('tianjin', 'course_registration', '课程报考费', 3500, false),
    ('tianjin', 'demo', '演示费用', 100, false);

CREATE TABLE orders (
    id                bigserial   PRIMARY KEY,
    -- ZK + yyyymmdd + 16 Crockford base32 characters (80 random bits):
    -- printable, unguessable, within both providers' out_trade_no limits.
    order_no          text        NOT NULL UNIQUE
                                  CHECK (order_no ~ '^ZK[0-9]{8}[0-9A-HJKMNP-TV-Z]{16}$'),
    candidate_id      bigint      NOT NULL REFERENCES candidates (id),
    purpose           text        NOT NULL
                                  CHECK (purpose IN ('graduation', 'course_registration', 'demo')),
    subject           text        NOT NULL CHECK (subject ~ '^[A-Za-z0-9:_-]{1,64}$'),
    description       text        NOT NULL CHECK (length(description) BETWEEN 1 AND 80),
    amount_fen        bigint      NOT NULL CHECK (amount_fen > 0),
    refundable        boolean     NOT NULL,
    provider          text        CHECK (provider IN ('alipay', 'wechat')),
    state             text        NOT NULL DEFAULT 'created'
                                  CHECK (state IN ('created', 'paying', 'paid', 'closed')),
    closed_reason     text        CHECK (closed_reason IN ('cancelled', 'expired', 'superseded')),
    provider_trade_no text,
    pay_info          jsonb,       -- what the client needs to pay (redirect URL or QR payload)
    expires_at        timestamptz NOT NULL,
    paying_at         timestamptz,
    paid_at           timestamptz,
    closed_at         timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'closed') = (closed_reason IS NOT NULL)),
    CHECK (state <> 'paid' OR (paid_at IS NOT NULL AND provider_trade_no IS NOT NULL)),
    CHECK (state NOT IN ('paying', 'paid') OR provider IS NOT NULL)
);
CREATE UNIQUE INDEX orders_one_per_subject ON orders (purpose, subject)
    WHERE state IN ('created', 'paying', 'paid');
CREATE UNIQUE INDEX orders_provider_trade_idx ON orders (provider, provider_trade_no)
    WHERE provider_trade_no IS NOT NULL;
CREATE INDEX orders_candidate_idx ON orders (candidate_id, created_at DESC);
CREATE INDEX orders_open_idx ON orders (state, paying_at) WHERE state IN ('created', 'paying');

-- Provider notifications (source 'notify') and query answers that found a
-- payment (source 'query'), stored as received once their signature was
-- verified. notify_key = "<provider trade no>:<status>": one row per
-- transaction and status, so a provider's retries and concurrent
-- deliveries store nothing new.
CREATE TABLE payment_events (
    id             bigserial   PRIMARY KEY,
    provider       text        NOT NULL CHECK (provider IN ('alipay', 'wechat')),
    source         text        NOT NULL CHECK (source IN ('notify', 'query')),
    notify_key     text        NOT NULL,
    order_no       text        NOT NULL,   -- out_trade_no as sent; may match no order
    trade_no       text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('success', 'closed', 'pending')),
    provider_status text       NOT NULL,   -- TRADE_SUCCESS, SUCCESS, ...
    amount_fen     bigint,
    merchant       text        NOT NULL,   -- app_id/seller_id or appid/mchid as sent
    raw            text        NOT NULL,   -- the body exactly as received
    detail         jsonb,                  -- headers, decrypted resource, parsed fields
    received_at    timestamptz NOT NULL DEFAULT now(),
    order_id       bigint      REFERENCES orders (id),
    outcome        text        CHECK (outcome IN ('applied', 'duplicate', 'ignored',
                                                  'unknown_order', 'amount_mismatch',
                                                  'merchant_mismatch', 'provider_mismatch',
                                                  'duplicate_payment')),
    outcome_detail text,
    processed_at   timestamptz,
    UNIQUE (provider, notify_key),
    CHECK ((outcome IS NULL) = (processed_at IS NULL))
);
CREATE INDEX payment_events_order_idx ON payment_events (order_no);

-- What needs a person: mismatches, unknown orders, duplicate or late
-- payments. Never applied automatically; zikaoctl payments alerts lists them.
CREATE TABLE payment_alerts (
    id          bigserial   PRIMARY KEY,
    kind        text        NOT NULL,
    order_no    text,
    event_id    bigint      REFERENCES payment_events (id),
    detail      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
);
CREATE INDEX payment_alerts_open_idx ON payment_alerts (created_at) WHERE resolved_at IS NULL;

-- The subject of demo orders (tests, scripts/run): stands in for the
-- graduation application, updated in the transaction that marks it paid.
CREATE TABLE payment_demo_subjects (
    subject      text        PRIMARY KEY,
    candidate_id bigint      NOT NULL REFERENCES candidates (id),
    paid_order   text,
    paid_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The periodic reconciliation: the one scheduled `payment` job of kind
-- reconcile; each run schedules its successor in its done transaction.
CREATE TABLE payment_schedule (
    name   text   PRIMARY KEY,
    job_id bigint
);
INSERT INTO payment_schedule (name, job_id) VALUES ('reconcile', NULL);

-- The built-in simulator's books (it stands in for the provider: its pay
-- page, notifications and query API read and write only this table).
CREATE TABLE payment_sim_trades (
    provider     text        NOT NULL CHECK (provider IN ('alipay', 'wechat')),
    trade_no     text        NOT NULL,
    out_trade_no text        NOT NULL,
    amount_fen   bigint      NOT NULL CHECK (amount_fen > 0),
    subject      text        NOT NULL,
    state        text        NOT NULL DEFAULT 'WAIT'
                             CHECK (state IN ('WAIT', 'SUCCESS', 'CLOSED')),
    notify_url   text        NOT NULL,
    return_url   text,
    time_expire  timestamptz NOT NULL,
    paid_at      timestamptz,
    notified_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, trade_no),
    UNIQUE (provider, out_trade_no)
);

-- The order service's one statement: the open (or paid) order of a
-- subject, or a new one. Raises ZKP01 when the profile has no such fee and
-- ZKP02 when the subject's order belongs to another candidate.
CREATE FUNCTION pay_order_open(p_no text, p_candidate bigint, p_purpose text, p_subject text,
                               p_province text, p_expiry_minutes int)
RETURNS SETOF orders LANGUAGE plpgsql AS $$
DECLARE
    o orders;
    f fee_catalogue;
BEGIN
    FOR attempt IN 1..2 LOOP
        SELECT * INTO o FROM orders
         WHERE purpose = p_purpose AND subject = p_subject
           AND state IN ('created', 'paying', 'paid');
        IF FOUND THEN
            IF o.candidate_id <> p_candidate THEN
                RAISE EXCEPTION 'subject % belongs to another candidate', p_subject
                    USING ERRCODE = 'ZKP02';
            END IF;
            RETURN NEXT o;
            RETURN;
        END IF;
        SELECT * INTO f FROM fee_catalogue WHERE province = p_province AND fee_type = p_purpose;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no fee % for province %', p_purpose, p_province
                USING ERRCODE = 'ZKP01';
        END IF;
        INSERT INTO orders (order_no, candidate_id, purpose, subject, description, amount_fen,
                            refundable, expires_at)
        VALUES (p_no, p_candidate, p_purpose, p_subject, f.name, f.amount_fen, f.refundable,
                now() + make_interval(mins => p_expiry_minutes))
        ON CONFLICT (purpose, subject) WHERE state IN ('created', 'paying', 'paid') DO NOTHING
        RETURNING * INTO o;
        IF FOUND THEN
            RETURN NEXT o;
            RETURN;
        END IF;
        -- Another transaction opened it concurrently: read theirs.
    END LOOP;
    RAISE EXCEPTION 'order of subject % could not be opened', p_subject;
END $$;
