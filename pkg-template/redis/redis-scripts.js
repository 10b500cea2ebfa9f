// The Lua scripts of RedisLock. Each runs atomically in Redis and does the
// same three things before its own work: it reaps the entries whose lease has
// passed, and after it, it grants the front of the line (`advance`) and
// reports the line's state. Redis itself is the only judge of time: every
// deadline is the server's clock (TIME), so no two machines' clocks are
// compared.
//
// Keys, all under one hash tag so they live on one cluster slot:
//   seq     the last ticket handed out (a string holding an integer)
//   line    ZSET entry id -> ticket: every place in line, holders first
//   leases  ZSET entry id -> deadline (server ms): when the entry is reaped
//   holders HASH entry id -> 1: the entries granted, always a prefix of `line`
//   wake:<participant>  LIST of entry ids granted to that participant, which
//           its own connection waits on with BLPOP
//
// An entry id is `<mode>|<participant>|<n>`: mode `x` (exclusive) or `s`
// (shared), so the scripts can tell an entry's mode and whom to wake from the
// id alone.

const prelude = `
local seqKey, lineKey, leaseKey, holderKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local wakePrefix, caller, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])
local clock = redis.call('TIME')
local nowUs = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local now = math.floor(nowUs / 1000)

local function remove(id)
  redis.call('ZREM', lineKey, id)
  redis.call('ZREM', leaseKey, id)
  redis.call('HDEL', holderKey, id)
end

-- An entry whose lease has passed is gone, whoever notices first.
local function reap()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', leaseKey, '-inf', now)) do remove(id) end
end

-- After a restart the server may have lost (or only partly kept) the line, so
-- it cannot know who held the lock: it grants nothing until it has been up
-- for one lease, by when any holder from before has lost its lease anyway.
-- INFO gives whole seconds of uptime, counted between two whole-second clock
-- readings, so the server has surely been up for one second less.
local quietFor = -1
local function upForALease()
  local uptime = (tonumber(string.match(redis.call('INFO', 'server'), 'uptime_in_seconds:(%d+)')) - 1) * 1000
  if uptime >= lease then return true end
  quietFor = math.max(lease - uptime, 100)
  return false
end

-- Grants the longest run at the front of the line that may hold together: one
-- exclusive entry, or consecutive shared entries. The caller's own grants are
-- returned; every other participant is woken through its wake list.
local function advance()
  local mine = {}
  local held = redis.call('HLEN', holderKey)
  local checked = false
  while true do
    local id = redis.call('ZRANGE', lineKey, held, held)[1]
    if not id then break end
    if held > 0 and (string.sub(id, 1, 1) == 'x' or string.sub(redis.call('ZRANGE', lineKey, 0, 0)[1], 1, 1) == 'x') then break end
    if not checked then
      if not upForALease() then break end
      checked = true
    end
    -- The entry keeps the lease its own process last gave it (at least two
    -- thirds of that process's lease ahead): the caller's may be shorter.
    redis.call('HSET', holderKey, id, 1)
    local owner = string.match(id, '^%a|([^|]+)|')
    if owner == caller then
      mine[#mine + 1] = id
    else
      local wake = wakePrefix .. owner
      redis.call('RPUSH', wake, id)
      redis.call('PEXPIRE', wake, lease)
    end
    held = held + 1
  end
  return mine
end

-- The reply every script ends with: the caller's new grants, the calls
-- waiting and holding in the whole line, when someone should next look
-- (ms until the first lease runs out or the restart quiet ends; -1: no need),
-- and the script's own result.
local function reply(mine, result)
  local held = redis.call('HLEN', holderKey)
  local waiting = redis.call('ZCARD', lineKey) - held
  local nextCheck = -1
  local first = redis.call('ZRANGE', leaseKey, 0, 0, 'WITHSCORES')[2]
  if first then nextCheck = tonumber(first) - now end
  if quietFor >= 0 and (nextCheck < 0 or quietFor < nextCheck) then nextCheck = quietFor end
  return { mine, waiting, held, nextCheck, result }
end
`

/**
 * Takes a place: ARGV[4] the entry id, ARGV[5] '1' for ifAvailable, ARGV[6]
 * maxPending (-1: no bound). The ticket is the larger of the last ticket + 1
 * and the server's clock in microseconds, so it grows strictly even across a
 * restart that lost `seq` (as long as the server's clock does not go back).
 * Result: the ticket, or 'busy' / 'full' (and the place is not kept).
 */
export const requestScript = `${prelude}
local id, ifAvailable, maxPending = ARGV[4], ARGV[5] == '1', tonumber(ARGV[6])
reap()
local waitingBefore = redis.call('ZCARD', lineKey) - redis.call('HLEN', holderKey)
local ticket = math.max(tonumber(redis.call('GET', seqKey) or '0') + 1, nowUs)
redis.call('SET', seqKey, string.format('%.0f', ticket))
redis.call('ZADD', lineKey, ticket, id)
redis.call('ZADD', leaseKey, now + lease, id)
local mine = advance()
if redis.call('HEXISTS', holderKey, id) == 0 then
  local refusal = nil
  if ifAvailable then refusal = 'busy' elseif maxPending >= 0 and waitingBefore >= maxPending then refusal = 'full' end
  if refusal then
    remove(id)
    return reply(mine, refusal)
  end
end
return reply(mine, ticket)
`

/**
 * Renews the lease of the entries ARGV[4..] and reports each one's state:
 * 0 gone (reaped, or lost in a restart), 1 waiting, 2 granted.
 */
export const renewScript = `${prelude}
reap()
local states = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  if redis.call('ZSCORE', lineKey, id) then
    redis.call('ZADD', leaseKey, now + lease, id)
    states[#states + 1] = 1 + redis.call('HEXISTS', holderKey, id)
  else
    states[#states + 1] = 0
  end
end
return reply(advance(), states)
`

/** Removes the entries ARGV[4..], held or waiting, and hands the lock on. */
export const leaveScript = `${prelude}
reap()
for i = 4, #ARGV do remove(ARGV[i]) end
return reply(advance(), 0)
`
