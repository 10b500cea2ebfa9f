// The SQL of PgLock: three tables and the functions that keep one line per
// lock name. A PgLock sends its operations (request, renew, leave) in
// batches, one statement each, `async_atomic_store_batch`: one round trip and
// one transaction, which works as well through a pooler in transaction mode.
// The operations that pile up while a batch runs go in the next one, so a
// burst of calls costs a few statements, not one each, and a renewal never
// waits behind a long queue. A batch locks its name's row in
// async_atomic_store_lines (FOR UPDATE), so every batch on one name runs after
// the other, reads the server's clock (clock_timestamp(), taken once the row
// is locked) and removes the participants whose lease has passed, with their
// entries. It renews the caller's lease, runs its operations in order, each
// granting the front of the line (`advance`), and replies [mine, waiting,
// held, nextCheck, results], as RedisLock's scripts do (see leased-line.js),
// with one result per operation. PostgreSQL's clock is the only judge of
// time, so no two machines' clocks are compared.
//
// Leases are per participant (one PgLock), not per entry: a live participant
// renews one row however many of its calls wait, and a dead one's entries,
// waiting or held, all go when its lease runs out. Every batch renews the
// caller's lease, and a participant with entries sends one at least every
// third of a lease.
//
// Tables (in the first schema of the search_path, usually `public`):
//   async_atomic_store_lines   one row per lock name: `last_token`, the last
//     ticket handed out, and the number of entries `waiting` and `held`.
//     Primary key (name).
//   async_atomic_store_participants  one row per participant of a name:
//     `lease_until`. Primary key (name, owner).
//   async_atomic_store_places  one row per place in line, waiting or held:
//     `ticket` (its place and fencing token), `owner` (its participant),
//     `shared`, `held`. Primary key (name, id); index (name, ticket), by
//     which the line is read in order. Holders are always a prefix of the
//     line.
//
// An entry id is `<mode>|<participant>|<n>` (mode `x` exclusive, `s` shared).
// A grant to another participant is sent with NOTIFY on the channel
// `async_atomic_store:<participant>`, its payload the entry id; NOTIFY is
// delivered at commit, so a waiter never hears of a grant that did not
// happen.

/** Every table's and function's name, with the prefix all of them share. */
const fn = (name) => `async_atomic_store_${name}`

/** A fixed key for pg_advisory_xact_lock: only one session creates the tables and functions at a time. */
const setupLockKey = '7016996765293437281'

/**
 * Creates the tables and functions if they are missing (and replaces the
 * functions with this version's). Sent as one simple query, so it runs as one
 * transaction, which the advisory lock serializes: many processes starting
 * at once do not trip over each other's CREATE.
 */
export const setupSql = `
SELECT pg_advisory_xact_lock(${setupLockKey});

CREATE TABLE IF NOT EXISTS ${fn('lines')} (
  name text PRIMARY KEY,
  last_token bigint NOT NULL DEFAULT 0,
  waiting integer NOT NULL DEFAULT 0,
  held integer NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS ${fn('participants')} (
  name text NOT NULL,
  owner text NOT NULL,
  lease_until timestamptz NOT NULL,
  PRIMARY KEY (name, owner)
);

CREATE TABLE IF NOT EXISTS ${fn('places')} (
  name text NOT NULL,
  id text NOT NULL,
  ticket bigint NOT NULL,
  owner text NOT NULL,
  shared boolean NOT NULL,
  held boolean NOT NULL DEFAULT false,
  PRIMARY KEY (name, id)
);

CREATE INDEX IF NOT EXISTS ${fn('places_by_ticket')} ON ${fn('places')} (name, ticket);

-- Removes the entries p_ids, held or waiting, and counts them out.
CREATE OR REPLACE FUNCTION ${fn('forget')}(p_name text, p_ids text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_held integer;
  v_waiting integer;
BEGIN
  WITH removed AS (DELETE FROM ${fn('places')} WHERE name = p_name AND id = ANY (p_ids) RETURNING held)
  SELECT count(*) FILTER (WHERE held), count(*) FILTER (WHERE NOT held) INTO v_held, v_waiting FROM removed;
  IF v_held + v_waiting > 0 THEN
    UPDATE ${fn('lines')} SET held = held - v_held, waiting = waiting - v_waiting WHERE name = p_name;
  END IF;
END $$;

-- Locks the name's row (making it on first use), removes the participants
-- whose lease has passed with their entries, renews the caller's lease and
-- returns the server's time, read once the row is locked.
CREATE OR REPLACE FUNCTION ${fn('begin')}(p_name text, p_caller text, p_lease integer) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz;
  v_gone text[];
BEGIN
  PERFORM 1 FROM ${fn('lines')} WHERE name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO ${fn('lines')} (name) VALUES (p_name) ON CONFLICT (name) DO NOTHING;
    PERFORM 1 FROM ${fn('lines')} WHERE name = p_name FOR UPDATE;
  END IF;
  v_now := clock_timestamp();
  WITH gone AS (DELETE FROM ${fn('participants')} WHERE name = p_name AND lease_until <= v_now RETURNING owner)
  SELECT array_agg(owner) INTO v_gone FROM gone;
  IF v_gone IS NOT NULL THEN
    PERFORM ${fn('forget')}(p_name, ARRAY(SELECT id FROM ${fn('places')} WHERE name = p_name AND owner = ANY (v_gone)));
  END IF;
  INSERT INTO ${fn('participants')} VALUES (p_name, p_caller, v_now + p_lease * interval '1 millisecond')
    ON CONFLICT (name, owner) DO UPDATE SET lease_until = EXCLUDED.lease_until;
  RETURN v_now;
END $$;

-- Grants the longest run at the front of the line that may hold together:
-- one exclusive entry, or consecutive shared entries. Returns the caller's
-- new grants; every other participant is told with NOTIFY.
CREATE OR REPLACE FUNCTION ${fn('advance')}(p_name text, p_caller text)
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  v_mine text[] := '{}';
  v_any_held boolean := false;
  v_granted integer := 0;
  v_front record;
  v_next record;
BEGIN
  SELECT held, shared INTO v_front FROM ${fn('places')} WHERE name = p_name ORDER BY ticket LIMIT 1;
  IF NOT FOUND OR (v_front.held AND NOT v_front.shared) THEN
    RETURN v_mine;
  END IF;
  v_any_held := v_front.held;
  LOOP
    SELECT id, owner, shared INTO v_next FROM ${fn('places')}
      WHERE name = p_name AND NOT held ORDER BY ticket LIMIT 1;
    EXIT WHEN NOT FOUND OR (v_any_held AND NOT v_next.shared);
    UPDATE ${fn('places')} SET held = true WHERE name = p_name AND id = v_next.id;
    v_granted := v_granted + 1;
    IF v_next.owner = p_caller THEN
      v_mine := v_mine || v_next.id;
    ELSE
      PERFORM pg_notify('async_atomic_store:' || v_next.owner, v_next.id);
    END IF;
    v_any_held := true;
    EXIT WHEN NOT v_next.shared;
  END LOOP;
  IF v_granted > 0 THEN
    UPDATE ${fn('lines')} SET held = held + v_granted, waiting = waiting - v_granted WHERE name = p_name;
  END IF;
  RETURN v_mine;
END $$;

-- Takes a place. The ticket is the larger of the last ticket + 1 and the
-- server's clock in microseconds, so it grows strictly even if a crash lost
-- the last commits (see the README on synchronous_commit), as long as the
-- server's clock does not go back. Result: the ticket, or 'busy' (with
-- ifAvailable, when it would wait) or 'full' (maxPending calls already wait,
-- -1: no bound), and then the place is not kept.
CREATE OR REPLACE FUNCTION ${fn('request')}(p_name text, p_caller text, p_now timestamptz,
  p_id text, p_if_available boolean, p_max_pending integer, INOUT p_mine text[], OUT p_result json)
LANGUAGE plpgsql AS $$
DECLARE
  v_waiting_before integer;
  v_ticket bigint;
  v_granted text[];
BEGIN
  UPDATE ${fn('lines')} SET last_token = greatest(last_token + 1, (extract(epoch FROM p_now) * 1000000)::bigint),
    waiting = waiting + 1
    WHERE name = p_name RETURNING last_token, waiting - 1 INTO v_ticket, v_waiting_before;
  INSERT INTO ${fn('places')} (name, id, ticket, owner, shared)
    VALUES (p_name, p_id, v_ticket, p_caller, left(p_id, 1) = 's');
  v_granted := ${fn('advance')}(p_name, p_caller);
  p_mine := p_mine || v_granted;
  IF NOT p_id = ANY (v_granted) AND (p_if_available OR (p_max_pending >= 0 AND v_waiting_before >= p_max_pending)) THEN
    PERFORM ${fn('forget')}(p_name, ARRAY[p_id]);
    p_result := to_json(CASE WHEN p_if_available THEN 'busy' ELSE 'full' END);
  ELSE
    p_result := to_json(v_ticket);
  END IF;
END $$;

-- Reports the state of each of the entries p_ids: 0 gone (its participant's
-- lease ran out, or it was removed), 1 waiting, 2 granted.
CREATE OR REPLACE FUNCTION ${fn('states')}(p_name text, p_ids text[])
RETURNS json LANGUAGE sql AS $$
  SELECT to_json(array_agg(coalesce(1 + p.held::integer, 0) ORDER BY i.n))
  FROM unnest(p_ids) WITH ORDINALITY AS i(id, n)
  LEFT JOIN ${fn('places')} p ON p.name = p_name AND p.id = i.id
$$;

-- Runs a batch of operations in order: {"op":"request","id","ifAvailable","maxPending"},
-- {"op":"renew","ids"} (the batch renews the lease; this reports the entries'
-- states) or {"op":"leave","ids"} (removes the entries, held or waiting, and
-- hands the lock on). Its reply holds one result per operation.
CREATE OR REPLACE FUNCTION ${fn('batch')}(p_name text, p_caller text, p_lease integer, p_ops json)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := ${fn('begin')}(p_name, p_caller, p_lease);
  v_mine text[] := '{}';
  v_results json[] := '{}';
  v_result json;
  v_op json;
BEGIN
  FOR v_op IN SELECT value FROM json_array_elements(p_ops) LOOP
    IF v_op->>'op' = 'request' THEN
      SELECT r.p_mine, r.p_result INTO v_mine, v_result FROM ${fn('request')}(p_name, p_caller, v_now,
        v_op->>'id', (v_op->>'ifAvailable')::boolean, (v_op->>'maxPending')::integer, v_mine) r;
    ELSIF v_op->>'op' = 'renew' THEN
      v_result := ${fn('states')}(p_name, ARRAY(SELECT json_array_elements_text(v_op->'ids')));
    ELSE
      PERFORM ${fn('forget')}(p_name, ARRAY(SELECT json_array_elements_text(v_op->'ids')));
      v_result := to_json(0);
    END IF;
    v_results := v_results || v_result;
  END LOOP;
  v_mine := v_mine || ${fn('advance')}(p_name, p_caller);
  RETURN (
    SELECT json_build_array(v_mine, waiting, held,
      coalesce(ceil(extract(epoch FROM
        (SELECT min(lease_until) FROM ${fn('participants')} WHERE name = p_name AND owner <> p_caller) - v_now) * 1000)::bigint, -1),
      array_to_json(v_results))
    FROM ${fn('lines')} WHERE name = p_name);
END $$;
`

/** The statement that runs a batch of operations (see `batch` above). */
export const batchSql = `SELECT ${fn('batch')}($1, $2, $3, $4) AS reply`

/** The channel on which a participant hears of its grants (a quoted identifier for LISTEN). */
export const channelOf = (participant) => `"async_atomic_store:${participant.replace(/"/g, '""')}"`
