-- 0014_app_role.sql - two database roles: the owner of the tables, which runs
-- the migrations, and the application role the server, the workers and
-- zikaoctl's other commands connect as ([database] app_role, handed to the
-- migrations by `zikaoctl migrate` as the session setting zikao.app_role).
--
-- The application role may read and write the rows of every table (and use
-- the sequences and functions), never change a table itself: it cannot
-- ALTER, DROP or TRUNCATE, and tables that must only ever grow (the staff
-- audit trail, 0015) grant it SELECT and INSERT alone. Tables created by later
-- migrations get the same grants by default (ALTER DEFAULT PRIVILEGES below),
-- so a new flow's tables need no GRANT of their own; an append-only table
-- revokes UPDATE and DELETE in its migration.
--
-- When the application role is the owner itself (one role for everything,
-- as in development setups of before), the grants change nothing, and the
-- append-only tables are guarded by their triggers alone.
DO $$
DECLARE
    v_app text := coalesce(nullif(current_setting('zikao.app_role', true), ''), 'zikao');
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_app) THEN
        RAISE EXCEPTION 'the application role % does not exist', v_app
            USING HINT = 'create it first (README, Operations: CREATE ROLE ' || v_app
                         || ' LOGIN) or set [database] app_role';
    END IF;
    IF v_app = current_user THEN
        RAISE NOTICE 'the application role % owns the tables: grants skipped', v_app;
        RETURN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', v_app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I',
                   v_app);
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM %I', v_app);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO %I', v_app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public '
                   'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', current_user, v_app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public '
                   'GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %I', current_user, v_app);
END
$$;
