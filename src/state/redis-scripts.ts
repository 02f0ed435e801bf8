import { createHash } from 'node:crypto';

/** A Lua script for `EVALSHA`: its source, its SHA-1 and how many of its arguments are keys. */
export interface LuaScript {
  readonly name: string;
  readonly keys: number;
  readonly source: string;
  readonly sha1: string;
}

function script(name: string, keys: number, source: string): LuaScript {
  return { name, keys, source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * Shared by every script: the server's time in epoch ms, and integers written without an exponent.
 * @remarks Time comes from `TIME` so every orchestrator reads the same clock; Redis 7 replicates a
 * script's effects, so reading the time before writing is allowed.
 */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function int(x) return string.format('%.0f', x) end
`;

/**
 * The correlation helpers over KEYS[1] = `corr:{id}` and KEYS[2] = `corr:{id}:done`.
 * @remarks `order` is the JSON array of agents in arrival order (never empty once written, since
 * cjson encodes an empty table as an object). `done` keeps its own copy of `first` and `last` so an
 * expired decision still reports them, and it lives at least as long as the signals, so signals
 * can never outlive the record that says they were decided.
 */
const CORRELATION = `
local function order_text()
  return redis.call('HGET', KEYS[1], 'order') or '[]'
end
local function is_complete(agents, min_agents, first_required)
  if #agents == 0 or #agents < min_agents then return false end
  for i = first_required, #ARGV do
    if redis.call('HEXISTS', KEYS[1], 's:' .. ARGV[i]) == 0 then return false end
  end
  return true
end
local function decide(reason, retention_ms)
  local first = redis.call('HGET', KEYS[1], 'first')
  local last = redis.call('HGET', KEYS[1], 'last')
  redis.call('HSET', KEYS[2], 'at', int(now), 'reason', reason, 'late', '[]', 'first', first, 'last', last)
  local keep = math.max(tonumber(retention_ms), redis.call('PTTL', KEYS[1]))
  redis.call('PEXPIRE', KEYS[2], int(keep))
end
`;

/**
 * Joins one signal. ARGV: agent, signal JSON, ttlMs, minAgents, retentionMs, maxLate, required….
 * Returns `{outcome, order JSON, complete 0|1, claimed 0|1}`, followed when claimed by the first
 * signal's time and `agent, signal JSON, …` in arrival order.
 */
export const JOIN_SIGNAL = script(
  'joinSignal',
  2,
  PRELUDE +
    CORRELATION +
    `
local agent, min_agents, max_late = ARGV[1], tonumber(ARGV[4]), tonumber(ARGV[6])
local function answer(outcome, claimed)
  local text = order_text()
  local done = is_complete(cjson.decode(text), min_agents, 7) and 1 or 0
  return {outcome, text, done, claimed}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  local late = cjson.decode(redis.call('HGET', KEYS[2], 'late'))
  local seen = false
  for _, name in ipairs(late) do
    if name == agent then seen = true break end
  end
  if not seen and #late < max_late then
    table.insert(late, agent)
    redis.call('HSET', KEYS[2], 'late', cjson.encode(late))
  end
  return answer('late', 0)
end
local fresh = redis.call('EXISTS', KEYS[1]) == 0
if redis.call('HSETNX', KEYS[1], 's:' .. agent, ARGV[2]) == 0 then return answer('duplicate', 0) end
local agents = cjson.decode(order_text())
table.insert(agents, agent)
redis.call('HSET', KEYS[1], 'order', cjson.encode(agents), 'last', int(now))
if fresh then
  redis.call('HSET', KEYS[1], 'first', int(now))
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
if is_complete(agents, min_agents, 7) then
  decide('complete', ARGV[5])
  local reply = answer('stored', 1)
  table.insert(reply, redis.call('HGET', KEYS[1], 'first'))
  for _, name in ipairs(agents) do
    table.insert(reply, name)
    table.insert(reply, redis.call('HGET', KEYS[1], 's:' .. name))
  end
  return reply
end
return answer('stored', 0)
`,
);

/** Claims a decision. ARGV: reason, retentionMs. Returns nil, or `[agent, signal JSON, …]` in arrival order. */
export const CLAIM_DECISION = script(
  'claimDecision',
  2,
  PRELUDE +
    CORRELATION +
    `
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[1]) == 0 then return false end
decide(ARGV[1], ARGV[2])
local out = {}
for _, agent in ipairs(cjson.decode(order_text())) do
  table.insert(out, agent)
  table.insert(out, redis.call('HGET', KEYS[1], 's:' .. agent))
end
return out
`,
);

/** Takes a lock. KEYS: `lock:{key}`, `lock:{key}:fence`; ARGV: ttlMs. Returns the token or nil. */
export const ACQUIRE_LOCK = script(
  'acquireLock',
  2,
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token
`,
);

/** Releases a lock held by ARGV[1] (the token). Returns 1 or 0. */
export const RELEASE_LOCK = script(
  'releaseLock',
  1,
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`,
);

/** Extends a lock held by ARGV[1] (the token) to ARGV[2] ms from now. Returns 1 or 0. */
export const EXTEND_LOCK = script(
  'extendLock',
  1,
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`,
);

/**
 * Takes tokens: a line-by-line port of `takeFromBucket`. ARGV: ratePerMinute, burst, cost.
 * Returns 0 when granted, else the wait in ms.
 * @remarks The hash lives until the bucket would be full again (capped at a few centuries so
 * `PEXPIRE` never overflows); once gone, the bucket reads as full, which it would be.
 */
export const TAKE_TOKENS = script(
  'takeTokens',
  1,
  PRELUDE +
    `
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local per_ms = rate / 60000
local available = burst
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
if held[1] and held[2] then
  local elapsed = math.max(0, now - tonumber(held[2]))
  available = math.min(burst, tonumber(held[1]) + elapsed * rate / 60000)
end
local left, wait = available, 0
if available + 1e-9 >= cost then
  left = math.max(0, available - cost)
else
  wait = math.max(1, math.ceil((cost - available) / per_ms))
end
local full_in = math.min(1e13, math.max(1, math.ceil((burst - left) / per_ms)))
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', left), 'at', int(now))
redis.call('PEXPIRE', KEYS[1], int(full_in))
return wait
`,
);

/**
 * Compare-and-set on a breaker hash. ARGV: expected version, state, consecutive failures, openedAt
 * ('' when undefined). Returns 1 when written, 0 when the version had moved.
 */
export const CAS_BREAKER = script(
  'casBreaker',
  1,
  `
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', string.format('%.0f', version + 1), 'state', ARGV[2], 'failures', ARGV[3])
if ARGV[4] == '' then
  redis.call('HDEL', KEYS[1], 'openedAt')
else
  redis.call('HSET', KEYS[1], 'openedAt', ARGV[4])
end
return 1
`,
);
