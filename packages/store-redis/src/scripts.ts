/**
 * The Lua scripts of the Redis store: each read-modify-write runs as one
 * script (Redis runs a script alone), so managers sharing a Redis never
 * interleave. Scripts that finish a change computed in JavaScript first check
 * that what it was computed from is unchanged (compare-and-set) and answer 0
 * when not; the store then reads again and retries.
 */

/**
 * Job status and run history. KEYS: mirror_status, versions hash, the
 * mirror's runs hash, its run index, the all-runs index, the run sequence,
 * the stats hash. ARGV: field, '1' when a value was read, the value read,
 * the new value, mirror, version read, stats field, stats JSON ('' none),
 * row count, then per row: seq ('' new), score, JSON.
 */
export const UPDATE_STATUS = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  if cur ~= ARGV[3] then return 0 end
elseif cur then return 0 end
local ver = redis.call('HGET', KEYS[2], ARGV[5]) or '0'
if ver ~= ARGV[6] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
local n = tonumber(ARGV[9])
if n > 0 or ARGV[8] ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[5], 1) end
for i = 0, n - 1 do
  local seq = ARGV[10 + i * 3]
  if seq == '' then seq = string.format('%016d', redis.call('INCR', KEYS[6])) end
  redis.call('HSET', KEYS[3], seq, ARGV[12 + i * 3])
  redis.call('ZADD', KEYS[4], ARGV[11 + i * 3], seq)
  redis.call('ZADD', KEYS[5], ARGV[11 + i * 3], seq .. ':' .. ARGV[5])
end
if ARGV[8] ~= '' then redis.call('HSET', KEYS[7], ARGV[7], ARGV[8]) end
return 1
`;

/** Compare-and-set of several fields of one hash, all or none. KEYS: hash. ARGV: triples field, expected, new. */
export const CAS_FIELDS = `
for i = 1, #ARGV, 3 do
  if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then return 0 end
end
for i = 1, #ARGV, 3 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2]) end
return 1
`;

/** Deletes disabled jobs (and nameless ones, as tunasync does). KEYS: mirror_status. */
export const FLUSH_DISABLED = `
local all = redis.call('HGETALL', KEYS[1])
local n = 0
for i = 1, #all, 2 do
  local ok, v = pcall(cjson.decode, all[i + 1])
  if ok and type(v) == 'table' and v.status == 'disabled' then
    redis.call('HDEL', KEYS[1], all[i]); n = n + 1
  end
end
return n
`;

/** One job's retention. KEYS: runs hash, run index, all-runs index, versions. ARGV: worker, mirror, keep, cutoff ms. */
export const PRUNE_JOB = `
local seqs = redis.call('ZREVRANGE', KEYS[2], 0, -1, 'WITHSCORES')
local rank, n = 0, 0
for i = 1, #seqs, 2 do
  local seq, started = seqs[i], tonumber(seqs[i + 1])
  local j = redis.call('HGET', KEYS[1], seq)
  if j and cjson.decode(j).worker == ARGV[1] then
    if rank >= tonumber(ARGV[3]) or started < tonumber(ARGV[4]) then
      redis.call('HDEL', KEYS[1], seq); redis.call('ZREM', KEYS[2], seq); redis.call('ZREM', KEYS[3], seq .. ':' .. ARGV[2])
      n = n + 1
    end
    rank = rank + 1
  end
end
if n > 0 then redis.call('HINCRBY', KEYS[4], ARGV[2], 1) end
return n
`;

/** Retention by age. KEYS: all-runs index, versions. ARGV: cutoff ms, limit, key prefix. */
export const PRUNE_OLD = `
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(members) do
  local seq, mirror = string.sub(m, 1, 16), string.sub(m, 18)
  redis.call('HDEL', ARGV[3] .. 'runs:' .. mirror, seq)
  redis.call('ZREM', ARGV[3] .. 'runidx:' .. mirror, seq)
  redis.call('ZREM', KEYS[1], m)
  redis.call('HINCRBY', KEYS[2], mirror, 1)
end
return #members
`;

/** Takes or renews a lease (Redis's clock). KEYS: lease key. ARGV: holder, ttl ms. */
export const ACQUIRE_LEASE = `
local h = redis.call('GET', KEYS[1])
if h and h ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', math.max(1, tonumber(ARGV[2])))
return 1
`;

/** Gives a lease up if held by ARGV[1]. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/** Redis's clock in milliseconds. */
export const NOW_MS = `local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Queues notifications. KEYS: items hash, due index, held set, keys set, id
 * sequence. ARGV: per item receiver, key, payload, held ('1'/'0'), next
 * attempt ms ('' = now). Returns how many were new.
 */
export const ENQUEUE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = 0
for i = 1, #ARGV, 5 do
  if redis.call('SADD', KEYS[4], ARGV[i + 1]) == 1 then
    local id = redis.call('INCR', KEYS[5])
    local due = now
    if ARGV[i + 4] ~= '' then due = tonumber(ARGV[i + 4]) end
    local item = { id = tostring(id), receiver = ARGV[i], dedupeKey = ARGV[i + 1], payload = ARGV[i + 2],
      createdAt = now, attempts = 0, nextAttemptAt = due, held = ARGV[i + 3] == '1' }
    redis.call('HSET', KEYS[1], id, cjson.encode(item))
    if item.held then redis.call('SADD', KEYS[3], id) else redis.call('ZADD', KEYS[2], due, id) end
    n = n + 1
  end
end
return n
`;

/** Claims due items: their due time moves to now + claim time. KEYS: items hash, due index. ARGV: limit, claim ms. */
export const CLAIM = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)
  local j = redis.call('HGET', KEYS[1], id)
  if j then table.insert(out, j) end
end
return out
`;

/** Finishes an attempt. KEYS: items hash, due index. ARGV: id, kind, retry-at ms, error. */
export const FINISH = `
local j = redis.call('HGET', KEYS[1], ARGV[1])
if not j then return 0 end
if ARGV[2] ~= 'retry' then
  redis.call('HDEL', KEYS[1], ARGV[1]); redis.call('ZREM', KEYS[2], ARGV[1]); return 1
end
local item = cjson.decode(j)
item.attempts = item.attempts + 1
item.nextAttemptAt = tonumber(ARGV[3])
item.lastError = ARGV[4]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(item))
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[1])
return 1
`;

/** Removes and returns held items. KEYS: items hash, held set. */
export const TAKE_HELD = `
local ids = redis.call('SMEMBERS', KEYS[2])
local out = {}
for _, id in ipairs(ids) do
  local j = redis.call('HGET', KEYS[1], id)
  if j then table.insert(out, j) end
  redis.call('HDEL', KEYS[1], id)
end
redis.call('DEL', KEYS[2])
return out
`;

/** Switches maintenance on, since = Redis's now. KEYS: key. ARGV: message, until ms (''). */
export const SET_MAINTENANCE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = { message = ARGV[1], since = now }
if ARGV[2] ~= '' then v['until'] = tonumber(ARGV[2]) end
local text = cjson.encode(v)
if ARGV[2] ~= '' then
  local ttl = tonumber(ARGV[2]) - now
  if ttl <= 0 then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], text, 'PX', ttl) end
else redis.call('SET', KEYS[1], text) end
return text
`;
