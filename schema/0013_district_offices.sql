-- District offices (县区招办 / 考籍管理区县) as data: where a candidate goes in
-- person - a manual identity check after the automatic one kept failing or
-- sent the photos to a person, papers for graduation - and how to reach it.
-- One row per management district, keyed by the district's region code.
-- Loaded with `zikaoctl districts import FILE [--dry-run]` (CSV: district,
-- name, address, phone, hours, note; every line checked, nothing written
-- while one is rejected), listed with `zikaoctl districts list`; served
-- publicly by GET /api/v1/districts/{code}/office (server/api/districts.c).
--
-- district: a region of level 'district' (zikaoctl checks the level: a
--   CHECK cannot look at another table).
-- name, address, phone, hours: what a candidate reads; phone may hold several
--   numbers ("0351-1234567、0351-7654321").
-- note: optional (what to bring, a second site, "示例数据" on demo data).
CREATE TABLE district_offices (
    district   char(6)     PRIMARY KEY REFERENCES regions (code),
    name       text        NOT NULL CHECK (length(name) BETWEEN 2 AND 100),
    address    text        NOT NULL CHECK (length(address) BETWEEN 4 AND 200),
    phone      text        NOT NULL CHECK (length(phone) BETWEEN 7 AND 60),
    hours      text        NOT NULL CHECK (length(hours) BETWEEN 2 AND 100),
    note       text        CHECK (note IS NULL OR length(note) BETWEEN 1 AND 300),
    updated_at timestamptz NOT NULL DEFAULT now()
);
