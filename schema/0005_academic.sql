-- 0005_academic.sql - academic records: majors and their main universities,
-- the course catalogue, major plans (versions, modules, courses),
-- substitution rules, candidates' passed courses (合格成绩) and current-sitting
-- results (当次成绩). The graduation audit engine (shared/audit) reads plans,
-- rules and passed courses; `zikaoctl academic import` loads all of them from
-- CSV (schema/data/academic holds the demo data and documents its format).
--
-- Candidates are referenced by candidate_id bigint. The candidates table
-- belongs to the accounts issue and does not exist yet, so there is no
-- foreign key: when it lands, add
--   ALTER TABLE passed_courses ADD FOREIGN KEY (candidate_id) REFERENCES candidates (id);
--   ALTER TABLE current_results ADD FOREIGN KEY (candidate_id) REFERENCES candidates (id);
-- in that issue's migration (exam IDs stay here as recorded: a candidate
-- holds several and each pass names the one it was recorded under).

-- 主考院校: code as the exam office prints it ("0003", or a national
-- institution code such as 10108).
CREATE TABLE universities (
    code text PRIMARY KEY CHECK (code ~ '^[0-9A-Z]{1,10}$'),
    name text NOT NULL CHECK (name <> '')
);

-- 专业. status 'stopping' (停考/预停考): open to existing candidates only.
CREATE TABLE majors (
    code       text PRIMARY KEY CHECK (code ~ '^[0-9]{6}[A-Z]{0,2}$'),
    name       text NOT NULL CHECK (name <> ''),
    level      text NOT NULL CHECK (level IN ('专科', '本科', '专升本')),
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'stopping')),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A major's main universities, in the order shown (a graduation applicant
-- picks at most the province's limit, two in Shanxi).
CREATE TABLE major_universities (
    major_code      text     NOT NULL REFERENCES majors (code) ON DELETE CASCADE,
    university_code text     NOT NULL REFERENCES universities (code),
    seq             smallint NOT NULL CHECK (seq >= 1),
    PRIMARY KEY (major_code, university_code),
    UNIQUE (major_code, seq)
);

-- 课程库. Credits are whole numbers (the plans this system serves use no
-- fractions); a plan repeats them per course in plan_courses.
CREATE TABLE courses (
    code    char(5)  PRIMARY KEY CHECK (code ~ '^[0-9]{5}$'),
    name    text     NOT NULL CHECK (name <> ''),
    credits smallint NOT NULL CHECK (credits BETWEEN 0 AND 99),
    kind    text     NOT NULL DEFAULT 'theory' CHECK (kind IN ('theory', 'practice', 'thesis'))
);

-- A version of a major's plan: 'old' (before the 2024 reform) or 'new'.
-- min_total_credits: 毕业总学分 (0: only the modules' own minimums).
CREATE TABLE plans (
    id                bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    major_code        text     NOT NULL REFERENCES majors (code),
    version           text     NOT NULL CHECK (version IN ('old', 'new')),
    valid_from        date     NOT NULL,
    min_total_credits smallint NOT NULL DEFAULT 0 CHECK (min_total_credits >= 0),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (major_code, version)
);

-- 基础课程, 专业课程, 选修课程, 毕业论文 ... A module is met when its required
-- courses are passed and its passed courses reach min_credits.
CREATE TABLE plan_modules (
    id          bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id     bigint   NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    seq         smallint NOT NULL CHECK (seq BETWEEN 1 AND 32),
    name        text     NOT NULL CHECK (name <> ''),
    min_credits smallint NOT NULL DEFAULT 0 CHECK (min_credits >= 0),
    UNIQUE (plan_id, seq),
    UNIQUE (plan_id, name)
);

-- A course of a plan; a course appears once per plan.
CREATE TABLE plan_courses (
    plan_id     bigint   NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    module_id   bigint   NOT NULL REFERENCES plan_modules (id) ON DELETE CASCADE,
    seq         smallint NOT NULL CHECK (seq >= 1),
    course_code char(5)  NOT NULL REFERENCES courses (code),
    credits     smallint NOT NULL CHECK (credits BETWEEN 0 AND 99),
    required    boolean  NOT NULL,
    PRIMARY KEY (plan_id, course_code),
    UNIQUE (module_id, seq)
);

-- 顶替规则. one_to_one: automatic (13000 英语(专升本) for 00015 英语(二));
-- one_to_many and choose_one: the candidate chooses; credit_pool: unused
-- courses worth >= min_credits replace the target (顶替英语二, 14 credits).
-- major_code / plan_version NULL: every major / version. Sources count
-- only when passed on or after sources_from (new-plan courses: 2024 H1 on).
CREATE TABLE substitution_rules (
    id           text     PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,32}$'),
    major_code   text     REFERENCES majors (code) ON DELETE CASCADE,
    plan_version text     CHECK (plan_version IN ('old', 'new')),
    kind         text     NOT NULL
                          CHECK (kind IN ('one_to_one', 'one_to_many', 'choose_one', 'credit_pool')),
    min_credits  smallint CHECK (min_credits > 0),
    sources_from date,
    note         text,
    CHECK ((kind = 'credit_pool') = (min_credits IS NOT NULL))
);

CREATE TABLE substitution_rule_courses (
    rule_id     text     NOT NULL REFERENCES substitution_rules (id) ON DELETE CASCADE,
    side        text     NOT NULL CHECK (side IN ('source', 'target')),
    seq         smallint NOT NULL CHECK (seq >= 1),
    course_code char(5)  NOT NULL REFERENCES courses (code),
    PRIMARY KEY (rule_id, course_code),
    UNIQUE (rule_id, side, seq)
);

-- 合格成绩: one row per course passed under one exam ID. course_code has no
-- foreign key: records hold courses outside the catalogue (other majors,
-- other provinces), with the name and credits they were recorded with.
-- source: exam, exemption (免考), old_card (旧计划合格证 红卡/绿卡 or practical
-- card, added with scans), transfer (转考).
CREATE TABLE passed_courses (
    id           bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    candidate_id bigint   NOT NULL, -- candidates (id) once the accounts issue creates it
    exam_id      char(12) NOT NULL CHECK (exam_id ~ '^[0-9]{12}$'),
    course_code  char(5)  NOT NULL CHECK (course_code ~ '^[0-9]{5}$'),
    course_name  text     NOT NULL CHECK (course_name <> ''),
    score        text     NOT NULL CHECK (score ~ '^(100|[6-9][0-9])$'
                                          OR score IN ('优', '良', '中', '及格', '合格', '免考')),
    credits      smallint NOT NULL CHECK (credits BETWEEN 0 AND 99),
    passed_on    date     NOT NULL,
    source       text     NOT NULL DEFAULT 'exam'
                          CHECK (source IN ('exam', 'exemption', 'old_card', 'transfer')),
    imported_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (candidate_id, exam_id, course_code)
);
CREATE INDEX passed_courses_candidate_idx ON passed_courses (candidate_id);

-- 当次成绩: results of one sitting (YYYY-MM), passed or not, kept apart from
-- the passed-course record until the office publishes them into it.
CREATE TABLE current_results (
    id           bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    candidate_id bigint   NOT NULL, -- candidates (id) once the accounts issue creates it
    exam_id      char(12) NOT NULL CHECK (exam_id ~ '^[0-9]{12}$'),
    sitting      char(7)  NOT NULL CHECK (sitting ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    course_code  char(5)  NOT NULL CHECK (course_code ~ '^[0-9]{5}$'),
    course_name  text     NOT NULL CHECK (course_name <> ''),
    score        text     NOT NULL CHECK (score ~ '^(100|[1-9]?[0-9])$'
                                          OR score IN ('优', '良', '中', '及格', '合格', '免考',
                                                       '不及格', '缺考', '违纪')),
    passed       boolean  NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (candidate_id, exam_id, sitting, course_code)
);
CREATE INDEX current_results_candidate_idx ON current_results (candidate_id, sitting);
