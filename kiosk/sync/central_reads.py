"""What a station role may read at central, as SQL run by `kiosk central init`: its own school, the tables its
kind pulls, its own rows, and payloads only through station_rows() (staff verifiers masked by kind)."""

READS = r"""

-- A station role reads its own school only (one server can hold a district). The owner (and sync_push,
-- which runs as the owner) is not subject to these policies.
CREATE OR REPLACE FUNCTION station_school() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $fn$
    SELECT school_id FROM station WHERE role_name = session_user AND removed_at IS NULL
$fn$;
-- ... and only the tables its kind pulls (sync_table.reader_kinds): a stolen dorm or canteen station cannot
-- read visitors' ID numbers, and no station reads the conflicts of tables it may not read.
CREATE OR REPLACE FUNCTION station_tables() RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $fn$
    SELECT coalesce(array_agg(t.table_name), '{}') FROM sync_table t
    JOIN station s ON s.kind = ANY (t.reader_kinds)
    WHERE s.role_name = session_user AND s.removed_at IS NULL
$fn$;
-- ... plus the rows it created itself, in any table: a station restored from an old copy gets back every row
-- it had pushed, including tables its kind does not pull (a gate's gate_scan).
CREATE OR REPLACE FUNCTION station_bound_id() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $fn$
    SELECT station_id FROM station WHERE role_name = session_user AND removed_at IS NULL
$fn$;
-- Payloads reach a station only through station_rows(): a station role may not select row_state.payload
-- (column privileges, see add_station), so the PIN verifier and card code of staff who may not log in at
-- its kind never leave central (the gate still sees every teacher's name, for visit hosts).
CREATE OR REPLACE FUNCTION station_rows(p_school text, p_table text, p_after bigint, p_limit integer,
                                        p_owner text DEFAULT NULL)
RETURNS TABLE (server_seq bigint, row_id text, payload text, hlc bigint, station_id text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    st station%ROWTYPE;
    v_roles text[];
BEGIN
    PERFORM pg_advisory_xact_lock_shared(7007);  -- waits for a `kiosk central init` (see sync_push)
    SELECT * INTO st FROM station WHERE role_name = session_user AND removed_at IS NULL;
    IF NOT FOUND THEN
        IF NOT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false) THEN
            RAISE EXCEPTION 'role % is not a registered station', session_user USING ERRCODE = '42501';
        END IF;
        st.kind := 'office';  -- an administrator reads everything as it is
    ELSIF st.school_id <> p_school THEN
        RAISE EXCEPTION 'station % belongs to school %, not %', st.name, st.school_id, p_school USING ERRCODE = '42501';
    ELSIF p_owner IS NOT NULL AND p_owner IS DISTINCT FROM st.station_id THEN
        RAISE EXCEPTION 'station % may read back only its own rows', st.name USING ERRCODE = '42501';
    ELSIF p_owner IS NULL AND NOT EXISTS (SELECT 1 FROM sync_table t WHERE t.table_name = p_table
                                          AND st.kind = ANY (t.reader_kinds)) THEN
        RETURN;  -- a table this kind does not read: nothing, as row-level security would answer
    END IF;
    SELECT k.roles INTO v_roles FROM sync_kind_login k WHERE k.kind = st.kind;
    RETURN QUERY
        SELECT s.server_seq, s.row_id,
               (CASE WHEN s.table_name = 'staff' AND st.kind <> 'office'
                          AND NOT (string_to_array(coalesce(s.payload->>'roles', ''), ',') && (v_roles || 'admin'::text))
                     THEN s.payload || '{"pin_hash": "", "card_code": ""}'::jsonb
                     ELSE s.payload END)::text,
               s.hlc, s.station_id
        FROM row_state s
        WHERE (s.school_id || '/' || s.table_name) = p_school || '/' || p_table AND s.server_seq > p_after
          AND (p_owner IS NULL OR s.owner = p_owner)
        ORDER BY s.server_seq LIMIT p_limit;
END
$fn$;
ALTER TABLE row_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE conflict ENABLE ROW LEVEL SECURITY;
ALTER TABLE school_counter ENABLE ROW LEVEL SECURITY;
ALTER TABLE batch ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_school ON row_state;
CREATE POLICY own_school ON row_state FOR SELECT
    USING (school_id = (SELECT station_school())
           AND (table_name IN (SELECT unnest(station_tables())) OR owner = (SELECT station_bound_id())));
DROP POLICY IF EXISTS own_school ON conflict;
CREATE POLICY own_school ON conflict FOR SELECT
    USING (school_id = (SELECT station_school()) AND table_name IN (SELECT unnest(station_tables())));
DROP POLICY IF EXISTS own_school ON school_counter;
CREATE POLICY own_school ON school_counter FOR SELECT USING (school_id = (SELECT station_school()));
DROP POLICY IF EXISTS own_school ON batch;
CREATE POLICY own_school ON batch FOR SELECT USING (school_id = (SELECT station_school()));
"""
