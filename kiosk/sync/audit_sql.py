"""Each station's audit head at central, as SQL run by `kiosk central init`.

Audit entries stay on the station (they are its own tamper-evident log), but every round the station reports
its head (the newest entry's seq and hash) when it moved. A copy restored from an older backup, or a clone, then
finds heads reported by the lost copy that its own log does not hold, even when the lost copy wrote audited
events without rows (logins), so `kiosk audit verify` names the gap instead of saying "intact"
(kiosk.sync.restore.check_audit_head).
"""

AUDIT = r"""
CREATE TABLE IF NOT EXISTS audit_head (
    id bigserial PRIMARY KEY, school_id text NOT NULL, station_id text NOT NULL, seq bigint NOT NULL,
    hash text NOT NULL, reported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_head_station ON audit_head (school_id, station_id, id);

-- The caller must be the station it names (bound by the administrator) or a superuser (tests, tools).
CREATE OR REPLACE FUNCTION sync_caller_is(p_school text, p_station text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    st station%ROWTYPE;
BEGIN
    SELECT * INTO st FROM station WHERE role_name = session_user AND removed_at IS NULL;
    IF FOUND THEN
        IF st.station_id IS NULL THEN
            RAISE EXCEPTION 'station % is not bound to a station id yet: run kiosk central bind-station % %',
                st.name, st.name, p_station USING ERRCODE = '42501';
        ELSIF st.school_id <> p_school OR st.station_id <> p_station THEN
            RAISE EXCEPTION 'role % is station % of school %, not % of %', session_user, st.station_id, st.school_id,
                p_station, p_school USING ERRCODE = '42501';
        END IF;
    ELSIF NOT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false) THEN
        RAISE EXCEPTION 'role % is not a registered station', session_user USING ERRCODE = '42501';
    END IF;
END
$fn$;

-- The heads this station reported after `p_after` (an audit_head id), oldest first.
CREATE OR REPLACE FUNCTION station_audit_heads(p_school text, p_station text, p_after bigint)
RETURNS TABLE (id bigint, seq bigint, hash text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
BEGIN
    PERFORM sync_caller_is(p_school, p_station);
    RETURN QUERY SELECT h.id, h.seq, h.hash FROM audit_head h
        WHERE h.school_id = p_school AND h.station_id = p_station AND h.id > p_after ORDER BY h.id LIMIT 1000;
END
$fn$;

-- Record the station's head (kept only when it differs from the newest one); returns its id.
CREATE OR REPLACE FUNCTION sync_audit_head(p_school text, p_station text, p_seq bigint, p_hash text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    v_id bigint;
    v_seq bigint;
    v_hash text;
BEGIN
    PERFORM sync_caller_is(p_school, p_station);
    IF p_seq IS NULL OR p_seq <= 0 OR p_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'not an audit head: % %', p_seq, left(p_hash, 80) USING ERRCODE = '22023';
    END IF;
    SELECT h.id, h.seq, h.hash INTO v_id, v_seq, v_hash FROM audit_head h
        WHERE h.school_id = p_school AND h.station_id = p_station ORDER BY h.id DESC LIMIT 1;
    IF v_id IS NOT NULL AND v_seq = p_seq AND v_hash = p_hash THEN
        RETURN v_id;
    END IF;
    INSERT INTO audit_head (school_id, station_id, seq, hash) VALUES (p_school, p_station, p_seq, p_hash)
        RETURNING audit_head.id INTO v_id;
    RETURN v_id;
END
$fn$;
"""
