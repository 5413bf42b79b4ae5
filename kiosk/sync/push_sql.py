"""Central's `sync_push` function, as SQL run by `kiosk central init`: one statement per batch that validates,
dead-letters, stores facts, updates row_state by last writer wins and records conflicts, under the school's
push turn. The column checks (generated from the models by kiosk.sync.validation, stored per table in
sync_table.row_check at init) are applied, on each call, for the tables the batch holds.
"""

PUSH = r"""
-- The school's push turn (issue 13): a transaction-level advisory lock, taken first by every sync_push, so the
-- school's pushes commit one at a time and server_seq follows commit order. Unlike a row lock its holder is
-- visible in pg_locks, so a waiting push can end a station session that holds the turn too long: a station
-- role may switch off its own statement_timeout and run `SELECT sync_push(...), pg_sleep(600)`, push in a
-- pipeline it never syncs, or take the advisory lock itself. A station session holding the turn longer than
-- sync_meta.push_limit_ms (or outside any transaction: not a push) is terminated by the next push that needs
-- the turn. Administrators' sessions are never ended: a waiting push gives up after its lock_timeout instead.
-- Polled rather than waited on, so the holder's age is looked at again while waiting.
CREATE OR REPLACE FUNCTION sync_push_turn(p_school text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    v_key integer := hashtext(p_school);
    v_limit interval := coalesce((SELECT value::bigint FROM sync_meta WHERE key = 'push_limit_ms'), 30000)
                        * interval '1 millisecond';
    v_wait interval := current_setting('lock_timeout')::interval;  -- shown with its unit ('20s', '2500ms') or '0'
    v_deadline timestamptz;
    v_pause double precision := 0.002;
    v_pid integer;
    v_suspects integer[] := '{}';  -- station sessions seen holding the turn too long at the last look
    v_seen integer[];
BEGIN
    IF v_wait > interval '0' THEN
        v_deadline := clock_timestamp() + v_wait;
    END IF;
    LOOP
        IF pg_try_advisory_xact_lock(7013, v_key) THEN
            RETURN;
        END IF;
        -- pg_stat_activity is read once per transaction unless told otherwise: a station idle at the first look
        -- that has taken the turn since would still look idle.
        PERFORM pg_stat_clear_snapshot();
        SELECT coalesce(array_agg(l.pid), '{}') INTO v_seen FROM pg_locks l
            JOIN pg_stat_activity a ON a.pid = l.pid
            JOIN station s ON s.role_name = a.usename
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = 7013 AND l.objid = v_key::oid AND l.objsubid = 2
              AND (a.xact_start IS NULL OR clock_timestamp() - a.xact_start > v_limit);
        -- Ended only when seen so at two looks in a row: pg_locks and pg_stat_activity are read a moment apart,
        -- and a session that has just let the turn go may look idle in that moment.
        FOR v_pid IN SELECT unnest(v_seen) INTERSECT SELECT unnest(v_suspects)
        LOOP
            RAISE WARNING 'sync_push: ending session % of a station role: it held the push turn of school % too long',
                v_pid, p_school;
            BEGIN
                PERFORM pg_terminate_backend(v_pid, 1000);
            EXCEPTION WHEN insufficient_privilege THEN
                NULL;  -- the function's owner may not signal it (not a superuser, no pg_signal_backend): wait
            END;
        END LOOP;
        v_suspects := v_seen;
        IF v_deadline IS NOT NULL AND clock_timestamp() > v_deadline THEN
            RAISE EXCEPTION 'canceling push: lock timeout waiting for the push turn of school %', p_school
                USING ERRCODE = '55P03';
        END IF;
        PERFORM pg_sleep(v_pause);
        v_pause := least(v_pause * 2, 0.05);
    END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION sync_push_turn(text) FROM PUBLIC;
CREATE OR REPLACE FUNCTION sync_push(p_school text, p_station text, p_epoch integer, p_kind text, p_rows text)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    st station%ROWTYPE;
    v_kind text := p_kind;
    v_base bigint;
    v_reg bigint;
    v_first bigint;
    v_last bigint;
    v_bad integer;
    v_new integer;
    v_conf integer;
    v_next integer;
    v_dead jsonb;
    v_same integer;
    v_now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
    v_max_stamp bigint;
    v_checks text;
BEGIN
    -- `kiosk central init` replaces these functions and alters the tables under an exclusive hold on 7007:
    -- taken (shared) before any table lock, so a push waits for an init (at most its lock_timeout) instead of
    -- holding one table while init holds another (a deadlock that failed pushes while a school was live).
    PERFORM pg_advisory_xact_lock_shared(7007);
    -- The highest stamp accepted: central's clock plus the allowed skew (kiosk.sync.validation.MAX_AHEAD_MS).
    v_max_stamp := (v_now_ms + coalesce((SELECT value::bigint FROM sync_meta WHERE key = 'max_stamp_ahead_ms'), 0)) << 16;
    SELECT * INTO st FROM station WHERE role_name = session_user AND removed_at IS NULL;
    IF FOUND THEN
        IF st.school_id <> p_school THEN
            RAISE EXCEPTION 'station % belongs to school %, not %', st.name, st.school_id, p_school USING ERRCODE = '42501';
        END IF;
        IF st.station_id IS NULL THEN
            -- Bound by the administrator only (add-station --station-id, or bind-station): a push that claims
            -- an id could otherwise take over another station's identity and force it to a new epoch.
            RAISE EXCEPTION 'station % is not bound to a station id yet: run kiosk central bind-station % %',
                st.name, st.name, p_station USING ERRCODE = '42501';
        ELSIF st.station_id <> p_station THEN
            RAISE EXCEPTION 'role % pushes for station %, not %', session_user, st.station_id, p_station USING ERRCODE = '42501';
        END IF;
        v_kind := st.kind;
        -- A station pushes in a statement of its own (autocommit). Inside a transaction it opened itself it
        -- could keep the school's counter locked after this returns, stalling every other station's push.
        IF transaction_timestamp() <> statement_timestamp() THEN
            RAISE EXCEPTION 'sync_push runs as a statement of its own, not inside a transaction block'
                USING ERRCODE = '25001';
        END IF;
    ELSIF NOT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false) THEN
        RAISE EXCEPTION 'role % is not a registered station', session_user USING ERRCODE = '42501';
    END IF;

    -- The school's push turn (see sync_push_turn), then its counter row: server_seq is commit-ordered.
    PERFORM sync_push_turn(p_school);
    INSERT INTO school_counter (school_id) VALUES (p_school) ON CONFLICT DO NOTHING;
    SELECT server_seq INTO v_base FROM school_counter WHERE school_id = p_school FOR UPDATE;
    SELECT last_seq INTO v_reg FROM batch WHERE school_id = p_school AND station_id = p_station AND epoch = p_epoch;
    v_reg := coalesce(v_reg, 0);

    -- One pass over the batch: parse (json, not jsonb: only payloads are converted) and judge each row
    -- against the policy (sync_table), the row's owner (row_state before this batch) and its columns. The
    -- reasons are codes (kiosk.sync.validation) the admin screen translates.
    DROP TABLE IF EXISTS _push;
    -- EXECUTE: planned per call with row_state's real size (see below), so the owner lookup uses the key.
    EXECUTE $q$
    CREATE TEMP TABLE _push ON COMMIT DROP AS
        SELECT r.seq, r.txn, r.t, r.id, r.op, r.p, r.h, coalesce(r.cs, false) AS cs,
            CASE
            WHEN r.op = 'unreadable' THEN 'unreadable'
            WHEN r.id IS NULL OR r.id = '' OR length(r.id) > 64 THEN 'bad_row_id'
            WHEN c.table_name IS NULL THEN 'unknown_table'
            WHEN r.op IS NULL OR r.op NOT IN ('insert', 'update') THEN 'bad_operation'
            WHEN r.h IS NULL OR r.h <= 0 THEN 'bad_stamp'
            WHEN r.h > $4 THEN 'stamp_ahead'
            WHEN r.p IS NULL OR jsonb_typeof(r.p) <> 'object' THEN 'not_a_row'
            WHEN r.p ? 'id' AND r.p->>'id' IS DISTINCT FROM r.id THEN 'id_mismatch'
            WHEN r.p ? 'school_id' AND r.p->>'school_id' IS DISTINCT FROM $1 THEN 'other_school'
            WHEN o.owner IS NULL AND NOT ($3 = ANY (c.insert_kinds)) THEN 'not_writer:' || $3
            WHEN o.owner IS NULL AND c.owner = 'self' AND r.id <> $2 THEN 'not_owner:' || left(r.id, 40)
            WHEN o.owner IS NULL AND c.owner = 'creator' AND r.p ? 'station_id' AND r.p->>'station_id' IS DISTINCT FROM $2
                THEN 'claims_station:' || left(coalesce(r.p->>'station_id', ''), 40)
            WHEN o.owner IS NOT NULL AND o.owner <> $2 AND NOT ($3 = ANY (c.update_others))
                THEN 'not_owner:' || o.owner
            WHEN o.owner IS NOT NULL AND c.owner = 'creator' AND r.op = 'update' AND r.p ? 'station_id'
                 AND r.p->>'station_id' IS DISTINCT FROM o.owner
                THEN 'claims_station:' || left(coalesce(r.p->>'station_id', ''), 40)
            ELSE NULL  -- the columns: checked next
            END AS reason,
            -- The row as central already holds it from this station (a restored station resending under a new
            -- epoch): the same fact, not a second one.
            (o.station_id IS NOT DISTINCT FROM $2 AND o.payload = r.p) AS same
        FROM json_to_recordset($5::json) AS r(seq bigint, txn bigint, t text, id text, op text, p jsonb, h bigint, cs boolean)
        LEFT JOIN sync_table c ON c.table_name = r.t
        LEFT JOIN row_state o ON o.school_id = $1 AND o.table_name = r.t AND o.row_id = r.id
    $q$ USING p_school, p_station, v_kind, v_max_stamp, p_rows;
    -- The columns of the rows that passed so far, by the checks of the tables this batch holds: the checks
    -- of every table, parsed and planned on every call, cost a tenth of the push. A row that passes is read,
    -- not rewritten.
    -- A table without a stored check (the column's default, left by an older version's init) refuses its rows:
    -- taken unchecked, one could poison every station that pulls it. Looked at once per table, not per row.
    SELECT string_agg(format('WHEN %L THEN %s', c.table_name,
                             CASE WHEN upper(btrim(coalesce(c.row_check, ''), E' \t\r\n')) IN ('', 'NULL')
                                  THEN quote_literal('no_row_check') ELSE c.row_check END), E'\n') INTO v_checks
    FROM sync_table c WHERE c.table_name IN (SELECT DISTINCT t FROM _push WHERE reason IS NULL);
    IF v_checks IS NOT NULL THEN
        v_checks := 'CASE r.t ' || v_checks || E'\nELSE ''unknown_table'' END';
        EXECUTE 'UPDATE _push r SET reason = ' || v_checks || ' WHERE r.reason IS NULL AND (' || v_checks || ') IS NOT NULL';
    END IF;
    SELECT min(seq), max(seq) INTO v_first, v_last FROM _push;
    IF v_last IS NULL THEN
        RETURN jsonb_build_object('status', 'ok', 'accepted', 0, 'dead', '[]'::jsonb, 'conflicts', 0);
    END IF;

    -- Seqs we already hold must carry the same rows; otherwise the station was restored from an old
    -- copy or cloned: it gets a fresh epoch (reserved here so two clones never share one).
    IF v_first <= v_reg THEN
        SELECT count(*) INTO v_bad FROM _push x
        WHERE x.seq <= v_reg
          AND NOT EXISTS (SELECT 1 FROM fact f WHERE f.school_id = p_school AND f.station_id = p_station
                          AND f.epoch = p_epoch AND f.seq = x.seq AND f.row_id = x.id)
          AND NOT EXISTS (SELECT 1 FROM dead_letter d WHERE d.school_id = p_school AND d.station_id = p_station
                          AND d.epoch = p_epoch AND d.seq = x.seq AND d.row_id = coalesce(x.id, ''));
        IF v_bad > 0 THEN
            SELECT coalesce(max(epoch), 0) + 1 INTO v_next FROM batch WHERE school_id = p_school AND station_id = p_station;
            INSERT INTO batch (school_id, station_id, epoch, last_seq) VALUES (p_school, p_station, v_next, 0);
            RETURN jsonb_build_object('status', 'epoch_conflict', 'next_epoch', v_next, 'mismatched', v_bad);
        END IF;
        IF v_last <= v_reg THEN
            UPDATE batch SET batches = batches + 1, updated_at = now()
            WHERE school_id = p_school AND station_id = p_station AND epoch = p_epoch;
            RETURN jsonb_build_object('status', 'duplicate', 'accepted', 0, 'dead', '[]'::jsonb, 'conflicts', 0,
                                      'now_ms', v_now_ms);
        END IF;
    END IF;

    INSERT INTO dead_letter (school_id, station_id, epoch, seq, table_name, row_id, payload, reason)
    SELECT p_school, p_station, p_epoch, seq, coalesce(t, ''), coalesce(id, ''), coalesce(p::text, ''), reason
    FROM _push WHERE seq > v_reg AND reason IS NOT NULL
    ON CONFLICT DO NOTHING;
    SELECT coalesce(jsonb_agg(jsonb_build_object('seq', seq, 'reason', reason) ORDER BY seq), '[]'::jsonb) INTO v_dead
    FROM _push WHERE seq > v_reg AND reason IS NOT NULL;

    -- New facts, numbered in station order after the counter; then the current state by last writer
    -- wins on (hlc, station_id), repeated keys collapsed first (one statement may not touch a row twice).
    -- row_state read in the same statement is the state before this batch, so each key's previous version
    -- is known: a version that lost to another station's newer one, and an insert of a key another station
    -- had already created, are kept in the history and listed as conflicts for a person to review.
    -- EXECUTE: planned on every call with the tables' real sizes (a plan cached while they were empty
    -- would scan row_state by its stream index for every row).
    SELECT count(*) FILTER (WHERE NOT same), count(*) FILTER (WHERE same) INTO v_new, v_same
    FROM _push WHERE seq > v_reg AND reason IS NULL;
    EXECUTE $q$
    WITH ins AS (
        INSERT INTO fact (school_id, station_id, epoch, seq, txn, table_name, row_id, op, payload, hlc, clock_suspect, server_seq)
        SELECT $1, $2, $3, seq, txn, t, id, op, p, h, cs, $4 + row_number() OVER (ORDER BY seq)
        FROM _push WHERE seq > $5 AND reason IS NULL AND NOT same
        ORDER BY seq
        ON CONFLICT DO NOTHING
        RETURNING table_name, row_id, op, payload, hlc, station_id, server_seq, seq
    ), latest AS (
        SELECT DISTINCT ON (i.table_name, i.row_id) i.*, o.hlc AS old_hlc, o.station_id AS old_station,
               o.payload AS old_payload, o.epoch AS old_epoch, c.set_once
        FROM ins i LEFT JOIN row_state o ON o.school_id = $1 AND o.table_name = i.table_name AND o.row_id = i.row_id
        JOIN sync_table c ON c.table_name = i.table_name
        ORDER BY i.table_name, i.row_id, i.hlc DESC, i.server_seq DESC
    ), judged AS (
        -- broken: the set-once fields (kiosk.sync.policy) this version would change once they hold a value.
        -- Such a version never replaces the current one, whichever arrived first: it is kept as a conflict.
        SELECT l.*,
               CASE WHEN l.old_payload IS NULL OR cardinality(l.set_once) = 0 THEN NULL
                    ELSE (SELECT array_agg(f ORDER BY f) FROM unnest(l.set_once) AS f
                          WHERE coalesce(jsonb_typeof(l.old_payload -> f), 'null') <> 'null'
                            AND (l.old_payload -> f) IS DISTINCT FROM (l.payload -> f)) END AS broken,
               (l.old_hlc IS NOT NULL AND (l.hlc, l.station_id) < (l.old_hlc, l.old_station)) AS stale
        FROM latest l
    ), up AS (
        INSERT INTO row_state AS s (school_id, table_name, row_id, payload, hlc, station_id, server_seq, owner, epoch)
        SELECT $1, table_name, row_id, payload, hlc, station_id, server_seq, station_id, $3 FROM judged
        WHERE broken IS NULL AND NOT stale
        ON CONFLICT (school_id, table_name, row_id) DO UPDATE
            SET payload = EXCLUDED.payload, hlc = EXCLUDED.hlc, station_id = EXCLUDED.station_id,
                server_seq = EXCLUDED.server_seq, epoch = EXCLUDED.epoch
            WHERE (EXCLUDED.hlc, EXCLUDED.station_id) > (s.hlc, s.station_id)
    )
    -- clone_update: the same station id under another epoch (a cloned disk, or a station restored from an
    -- old copy) changed a row that epoch did not write: two machines may have edited it, a person looks.
    INSERT INTO conflict (school_id, server_seq, kind, table_name, row_id, station_id, other_station_id, detail)
    SELECT $1, $4 + $6 + row_number() OVER (ORDER BY j.server_seq),
           CASE WHEN j.broken IS NOT NULL THEN 'set_once'
                WHEN j.old_station = $2 THEN 'clone_update'
                WHEN j.stale THEN 'stale_update' ELSE 'duplicate_insert' END,
           j.table_name, j.row_id, $2, j.old_station,
           jsonb_build_object('epoch', $3, 'other_epoch', j.old_epoch, 'seq', j.seq, 'hlc', j.hlc, 'other_hlc', j.old_hlc,
                              'fields', to_jsonb(j.broken),
                              'kept', CASE WHEN j.broken IS NOT NULL OR j.stale THEN j.old_payload ELSE j.payload END,
                              'lost', CASE WHEN j.broken IS NOT NULL OR j.stale THEN j.payload ELSE j.old_payload END)
    FROM judged j
    WHERE j.broken IS NOT NULL
       OR (j.old_station <> $2 AND (j.stale OR j.op = 'insert'))
       OR (j.old_station = $2 AND j.old_epoch <> $3 AND j.payload IS DISTINCT FROM j.old_payload)
    $q$ USING p_school, p_station, p_epoch, v_base, v_reg, v_new;
    GET DIAGNOSTICS v_conf = ROW_COUNT;

    UPDATE school_counter SET server_seq = v_base + v_new + v_conf WHERE school_id = p_school;
    INSERT INTO batch AS b (school_id, station_id, epoch, last_seq, batches) VALUES (p_school, p_station, p_epoch, v_last, 1)
    ON CONFLICT (school_id, station_id, epoch) DO UPDATE
        SET last_seq = greatest(b.last_seq, EXCLUDED.last_seq), batches = b.batches + 1, updated_at = now();
    RETURN jsonb_build_object('status', 'ok', 'accepted', v_new, 'same', v_same, 'dead', v_dead, 'conflicts', v_conf,
                              'server_seq', v_base + v_new + v_conf, 'now_ms', v_now_ms);
END
$fn$;
REVOKE ALL ON FUNCTION sync_push(text, text, integer, text, text) FROM PUBLIC;
"""
