#!lua name=expomatch
-- The expomatch function library, loaded by every daemon on each connect.
-- Each function is one atomic step over one event's keys (all share the
-- {event} hash tag) and appends to the event's change stream in that same
-- step. Errors are raised as "<contract code> <message>". Replies stay flat:
-- hiredis 0.14 cannot take deep nesting.

local function fail(code, msg)
  return redis.error_reply(code .. ' ' .. msg)
end

-- Set by meetings.lua (appended to this library): what meetings do when a
-- profile or the event changes.
local hooks = {}

-- "em:{E}:" from one of the event's keys and its known suffix.
local function prefix_of(key, suffix)
  return string.sub(key, 1, #key - #suffix)
end

local function log(key, maxlen, kind, id, v)
  redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*',
             'k', kind, 'id', id, 'v', tostring(v))
end

-- KEYS: event, slots, log. ARGV: event id, data, maxlen, now, now (ISO
-- 8601 UTC), slot ids...
local function event_put(keys, args)
  local old = redis.call('HGET', keys[1], 'data')
  redis.call('HSET', keys[1], 'data', args[2], 'updated', args[4])
  redis.call('DEL', keys[2])
  for i = 6, #args do
    redis.call('SADD', keys[2], args[i])
  end
  log(keys[3], args[3], 'event.put', args[1], 0)
  hooks.event_replaced(prefix_of(keys[1], 'event'), args[1], old, args[4],
                       args[5], args[3])
  return 'OK'
end

-- KEYS: event, token, log.
-- ARGV: token id, role, digest, expires, now, maxlen, event id.
local function token_create(keys, args)
  if redis.call('EXISTS', keys[1]) == 0 then
    return fail('not_found', "event '" .. args[7] .. "' does not exist")
  end
  if redis.call('EXISTS', keys[2]) == 1 then
    return fail('conflict', 'token id in use, retry')
  end
  redis.call('HSET', keys[2], 'role', args[2], 'digest', args[3],
             'expires', args[4], 'revoked', '0', 'created', args[5])
  log(keys[3], args[6], 'token.create', args[1], 0)
  return 'OK'
end

-- KEYS: token, log. ARGV: token id, allowed roles (space separated),
-- maxlen. Revoking twice is not an error.
local function token_revoke(keys, args)
  local role = redis.call('HGET', keys[1], 'role')
  if not role then
    return fail('not_found', "no token '" .. args[1] .. "'")
  end
  if not string.find(' ' .. args[2] .. ' ', ' ' .. role .. ' ', 1, true) then
    return fail('forbidden', 'may not revoke ' .. role .. ' tokens')
  end
  redis.call('HSET', keys[1], 'revoked', '1')
  log(keys[2], args[3], 'token.revoke', args[1], 0)
  return role
end

-- KEYS: event, slots, profile, ids, log.
-- ARGV: id, side, data, if_version ('' = none), contact mode, contact,
-- badge mode, badge digest, maxlen, now, event id, now (ISO 8601 UTC),
-- slot ids...
local function profile_put(keys, args)
  if redis.call('EXISTS', keys[1]) == 0 then
    return fail('not_found', "event '" .. args[11] .. "' does not exist")
  end
  for i = 13, #args do
    if redis.call('SISMEMBER', keys[2], args[i]) == 0 then
      return fail('bad_request', 'slots[' .. (i - 13) .. "]: '" .. args[i] ..
                  "' is not a slot of the event")
    end
  end
  local old_side = redis.call('HGET', keys[3], 'side') or nil
  local v = tonumber(redis.call('HGET', keys[3], 'v') or '0')
  if args[4] ~= '' and tonumber(args[4]) ~= v then
    return fail('conflict', 'if_version ' .. args[4] ..
                ' does not match the current version ' .. v)
  end
  v = v + 1
  redis.call('HSET', keys[3], 'v', v, 'data', args[3], 'side', args[2],
             'updated', args[10])
  if args[5] == 'set' then
    redis.call('HSET', keys[3], 'contact', args[6])
  elseif args[5] == 'clear' then
    redis.call('HDEL', keys[3], 'contact')
  end
  if args[7] == 'set' then
    redis.call('HSET', keys[3], 'badge', args[8])
  elseif args[7] == 'clear' then
    redis.call('HDEL', keys[3], 'badge')
  end
  redis.call('ZADD', keys[4], 0, args[1])
  log(keys[5], args[9], 'profile.put', args[1], v)
  hooks.profile_written(prefix_of(keys[1], 'event'), args[11], args[1],
                        old_side, args[2], args[10], args[12], args[9])
  return v
end

-- KEYS: profile, ids, log, badge failures, badge lock. ARGV: id, maxlen,
-- event id, now, now (ISO 8601 UTC).
-- Erases the participant's personal data: the profile hash holds all of
-- it; the change stream never held any. Its live meetings are cancelled.
local function profile_delete(keys, args)
  if redis.call('EXISTS', keys[1]) == 0 then
    return fail('not_found', "no participant '" .. args[1] .. "'")
  end
  local P = prefix_of(keys[2], 'ids')
  hooks.profile_deleted(P, args[3], args[1], args[4], args[5], args[2])
  hooks.profile_removed(P, redis.call('HGET', keys[1], 'side'))
  redis.call('DEL', keys[1], keys[4], keys[5])
  redis.call('ZREM', keys[2], args[1])
  log(keys[3], args[2], 'profile.delete', args[1], 0)
  return 1
end

-- KEYS: ids. ARGV: profile key prefix ("em:{E}:p:"), cursor ('' = start),
-- count. Returns a flat list: next cursor ('' at the end), then id,
-- version, data, contact for each profile.
local function profile_list(keys, args)
  local min = '-'
  if args[2] ~= '' then min = '(' .. args[2] end
  local count = tonumber(args[3])
  local ids = redis.call('ZRANGEBYLEX', keys[1], min, '+', 'LIMIT', 0, count + 1)
  local out = {''}
  local n = #ids
  if n > count then
    n = count
    out[1] = ids[count]
  end
  for i = 1, n do
    local f = redis.call('HMGET', args[1] .. ids[i], 'v', 'data', 'contact')
    table.insert(out, ids[i])
    table.insert(out, f[1] or '0')
    table.insert(out, f[2] or '')
    table.insert(out, f[3] or '')
  end
  return out
end

-- KEYS: profile, badge lock. Returns the stored badge digest ('' if none)
-- and whether badge calls for the participant are locked.
local function badge_get(keys, args)
  local d = redis.call('HGET', keys[1], 'badge') or ''
  return {d, redis.call('EXISTS', keys[2])}
end

-- KEYS: badge failures, badge lock. ARGV: limit, window seconds.
-- Counts one wrong badge; the limit-th within the window sets the lock.
local function badge_fail(keys, args)
  local n = redis.call('INCR', keys[1])
  if n == 1 then
    redis.call('EXPIRE', keys[1], args[2])
  end
  if n >= tonumber(args[1]) then
    redis.call('SET', keys[2], '1', 'EX', args[2])
    redis.call('DEL', keys[1])
  end
  return n
end

redis.register_function('em_event_put', event_put)
redis.register_function('em_token_create', token_create)
redis.register_function('em_token_revoke', token_revoke)
redis.register_function('em_profile_put', profile_put)
redis.register_function('em_profile_delete', profile_delete)
redis.register_function{function_name = 'em_profile_list',
                        callback = profile_list, flags = {'no-writes'}}
redis.register_function{function_name = 'em_badge_get',
                        callback = badge_get, flags = {'no-writes'}}
redis.register_function('em_badge_fail', badge_fail)
