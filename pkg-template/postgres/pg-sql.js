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

-- Removes the entries p_ids, held or waiting; returns how many of each went.
CREATE OR REPLACE FUNCTION ${fn('forget')}(p_name text, p_ids text[], OUT held_count integer, OUT waiting_count integer)
LANGUAGE sql AS $$
  WITH removed AS (DELETE FROM ${fn('places')} WHERE name = p_name AND id = ANY (p_ids) RETURNING held)
  SELECT (count(*) FILTER (WHERE held))::integer, (count(*) FILTER (WHERE NOT held))::integer FROM removed
$$;

-- Grants the longest run at the front of the line that may hold together:
-- one exclusive entry, or consecutive shared entries. Returns every entry it
-- granted; each other participant is told with NOTIFY.
CREATE OR REPLACE FUNCTION ${fn('advance')}(p_name text, p_caller text)
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  v_granted text[] := '{}';
  v_any_held boolean;
  v_front record;
  v_next record;
BEGIN
  SELECT held, shared INTO v_front FROM ${fn('places')} WHERE name = p_name ORDER BY ticket LIMIT 1;
  IF NOT FOUND OR (v_front.held AND NOT v_front.shared) THEN
    RETURN v_granted;
  END IF;
  v_any_held := v_front.held;
  LOOP
    SELECT id, owner, shared INTO v_next FROM ${fn('places')}
      WHERE name = p_name AND NOT held ORDER BY ticket LIMIT 1;
    EXIT WHEN NOT FOUND OR (v_any_held AND NOT v_next.shared);
    UPDATE ${fn('places')} SET held = true WHERE name = p_name AND id = v_next.id;
    v_granted := v_granted || v_next.id;
    IF v_next.owner <> p_caller THEN
      PERFORM pg_notify('async_atomic_store:' || v_next.owner, v_next.id);
    END IF;
    v_any_held := true;
    EXIT WHEN NOT v_next.shared;
  END LOOP;
  RETURN v_granted;
END $$;

-- Reports the state of each of the entries p_ids: 0 gone (its participant's
-- lease ran out, or it was removed), 1 waiting, 2 granted.
CREATE OR REPLACE FUNCTION ${fn('states')}(p_name text, p_ids text[])
RETURNS json LANGUAGE sql AS $$
  SELECT to_json(array_agg(coalesce(1 + p.held::integer, 0) ORDER BY i.n))
  FROM unnest(p_ids) WITH ORDINALITY AS i(id, n)
  LEFT JOIN ${fn('places')} p ON p.name = p_name AND p.id = i.id
$$;

-- Runs a batch of operations in order, under the name's row lock:
--   {"op":"request","id","ifAvailable","maxPending"} takes a place. The ticket
--     is the larger of the last ticket + 1 and the server's clock in
--     microseconds, so it grows strictly even if a crash lost the last
--     commits (see the README on synchronous_commit), as long as the server's
--     clock does not go back. Result: the ticket, or 'busy' (with
--     ifAvailable, when it would wait) or 'full' (maxPending calls already
--     wait; -1: no bound), and then the place is not kept.
--   {"op":"renew","ids"}: the batch has renewed the caller's lease; the
--     result is each entry's state (see the function states).
--   {"op":"leave","ids"} removes the entries, held or waiting, and hands the
--     lock on.
-- The line's row is read once and written once, at the end: a batch of a
-- thousand requests updates it once, not a thousand times.
CREATE OR REPLACE FUNCTION ${fn('batch')}(p_name text, p_caller text, p_lease integer, p_ops json)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz;
  v_last bigint;
  v_waiting integer;
  v_held integer;
  v_gone text[];
  v_removed record;
  v_granted text[];
  v_mine text[] := '{}';
  v_results json[] := '{}';
  v_op json;
  v_id text;
BEGIN
  SELECT last_token, waiting, held INTO v_last, v_waiting, v_held FROM ${fn('lines')} WHERE name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO ${fn('lines')} (name) VALUES (p_name) ON CONFLICT (name) DO NOTHING;
    SELECT last_token, waiting, held INTO v_last, v_waiting, v_held FROM ${fn('lines')} WHERE name = p_name FOR UPDATE;
  END IF;
  v_now := clock_timestamp();
  WITH gone AS (DELETE FROM ${fn('participants')} WHERE name = p_name AND lease_until <= v_now RETURNING owner)
  SELECT array_agg(owner) INTO v_gone FROM gone;
  IF v_gone IS NOT NULL THEN
    SELECT * INTO v_removed FROM ${fn('forget')}(p_name, ARRAY(SELECT id FROM ${fn('places')} WHERE name = p_name AND owner = ANY (v_gone)));
    v_held := v_held - v_removed.held_count;
    v_waiting := v_waiting - v_removed.waiting_count;
  END IF;
  INSERT INTO ${fn('participants')} VALUES (p_name, p_caller, v_now + p_lease * interval '1 millisecond')
    ON CONFLICT (name, owner) DO UPDATE SET lease_until = EXCLUDED.lease_until;

  FOR v_op IN SELECT value FROM json_array_elements(p_ops) LOOP
    v_granted := '{}';
    IF v_op->>'op' = 'request' THEN
      v_id := v_op->>'id';
      v_last := greatest(v_last + 1, (extract(epoch FROM v_now) * 1000000)::bigint);
      INSERT INTO ${fn('places')} (name, id, ticket, owner, shared) VALUES (p_name, v_id, v_last, p_caller, left(v_id, 1) = 's');
      v_granted := ${fn('advance')}(p_name, p_caller);
      IF NOT v_id = ANY (v_granted) AND ((v_op->>'ifAvailable')::boolean
          OR ((v_op->>'maxPending')::integer >= 0 AND v_waiting >= (v_op->>'maxPending')::integer)) THEN
        DELETE FROM ${fn('places')} WHERE name = p_name AND id = v_id;
        v_results := v_results || to_json(CASE WHEN (v_op->>'ifAvailable')::boolean THEN 'busy' ELSE 'full' END);
      ELSE
        v_waiting := v_waiting + 1;
        v_results := v_results || to_json(v_last);
      END IF;
    ELSIF v_op->>'op' = 'renew' THEN
      v_results := v_results || ${fn('states')}(p_name, ARRAY(SELECT json_array_elements_text(v_op->'ids')));
    ELSE
      SELECT * INTO v_removed FROM ${fn('forget')}(p_name, ARRAY(SELECT json_array_elements_text(v_op->'ids')));
      v_held := v_held - v_removed.held_count;
      v_waiting := v_waiting - v_removed.waiting_count;
      v_results := v_results || to_json(0);
    END IF;
    v_held := v_held + cardinality(v_granted);
    v_waiting := v_waiting - cardinality(v_granted);
    v_mine := v_mine || ARRAY(SELECT g FROM unnest(v_granted) g WHERE split_part(g, '|', 2) = p_caller);
  END LOOP;
  v_granted := ${fn('advance')}(p_name, p_caller);
  v_held := v_held + cardinality(v_granted);
  v_waiting := v_waiting - cardinality(v_granted);
  v_mine := v_mine || ARRAY(SELECT g FROM unnest(v_granted) g WHERE split_part(g, '|', 2) = p_caller);

  UPDATE ${fn('lines')} SET last_token = v_last, waiting = v_waiting, held = v_held WHERE name = p_name;
  RETURN json_build_array(v_mine, v_waiting, v_held,
    coalesce(ceil(extract(epoch FROM
      (SELECT min(lease_until) FROM ${fn('participants')} WHERE name = p_name AND owner <> p_caller) - v_now) * 1000)::bigint, -1),
    array_to_json(v_results));
END $$;
`

/** The statement that runs a batch of operations (see `batch` above). */
export const batchSql = `SELECT ${fn('batch')}($1, $2, $3, $4) AS reply`

/** The channel on which a participant hears of its grants (a quoted identifier for LISTEN). */
export const channelOf = (participant) => `"async_atomic_store:${participant.replace(/"/g, '""')}"`
