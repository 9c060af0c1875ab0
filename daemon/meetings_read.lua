-- Meetings read: one meeting, lists, inboxes, stats, a profile as a viewer
-- sees it, loads for the matching engine. Appended after meetings.lua
-- (same library; its helpers are in scope).

-- ARGV: meeting.
local function meeting_get(keys, args)
  local c = {P = keys[1]}
  local mid = args[1]
  if redis.call('EXISTS', c.P .. 'm:' .. mid) == 0 then
    return no_meeting(mid)
  end
  return flat(c, mid)
end

-- ARGV: status ('' = all), cursor ('' = start: a seq), count.
-- Returns {next cursor or '', meeting, meeting...}.
local function meeting_list(keys, args)
  local c = {P = keys[1]}
  local key = c.P .. 'mall'
  if args[1] ~= '' then key = c.P .. 'ms:' .. args[1] end
  local min = '-inf'
  if args[2] ~= '' then min = '(' .. args[2] end
  local count = tonumber(args[3])
  local ids = redis.call('ZRANGEBYSCORE', key, min, '+inf', 'LIMIT', 0,
                         count + 1)
  local out = {''}
  local n = #ids
  if n > count then
    n = count
    out[1] = tostring(redis.call('ZSCORE', key, ids[count]))
  end
  for i = 1, n do out[#out + 1] = flat(c, ids[i]) end
  return out
end

local function by_seq(c, ids)
  local ms = {}
  for _, mid in ipairs(ids) do
    ms[#ms + 1] = {mid = mid, seq = seq_of(mid)}
  end
  table.sort(ms, function(a, b) return a.seq < b.seq end)
  return ms
end

local function need_profile(c, id)
  if redis.call('EXISTS', c.P .. 'p:' .. id) == 0 then
    return fail('not_found', "no participant '" .. id .. "' in event '" ..
                c.event .. "'")
  end
  return nil
end

-- ARGV: event id, participant. Returns {n incoming, meetings...}: its
-- open requests received, then sent, oldest first.
local function meeting_inbox(keys, args)
  local c = {P = keys[1], event = args[1]}
  local e = need_profile(c, args[2])
  if e then return e end
  local inc = by_seq(c, redis.call('SMEMBERS', c.P .. 'in:' .. args[2]))
  local outg = by_seq(c, redis.call('SMEMBERS', c.P .. 'out:' .. args[2]))
  local out = {#inc}
  for _, x in ipairs(inc) do out[#out + 1] = flat(c, x.mid) end
  for _, x in ipairs(outg) do out[#out + 1] = flat(c, x.mid) end
  return out
end

-- Its accepted and scheduled meetings by slot (unbooked last), each with
-- the partner's id, company and country added.
local function stats(keys, args)
  local c = {P = keys[1], event = args[1]}
  local ev = event_of(c)
  if not ev then
    return fail('not_found', "event '" .. c.event .. "' does not exist")
  end
  local out = {}
  for _, side in ipairs({'buyer', 'seller', 'both'}) do
    out[#out + 1] = tonumber(redis.call('HGET', c.P .. 'sides', side) or '0')
  end
  out[#out + 1] = redis.call('HLEN', c.P .. 'checkin')
  for _, s in ipairs(STATUSES) do
    out[#out + 1] = redis.call('ZCARD', c.P .. 'ms:' .. s)
  end
  out[#out + 1] = #ev.slots
  out[#out + 1] = #ev.table_names
  return out
end

-- ARGV: participant, viewer. The profile as profile.get reads it (v,
-- data, contact) with the contact only when a meeting between the two was
-- accepted (accepted, scheduled or noshow).
local function profile_view(keys, args)
  local P, id, viewer = keys[1], args[1], args[2]
  local f = redis.call('HMGET', P .. 'p:' .. id, 'v', 'data', 'contact')
  if not f[2] then return {false, false, false} end
  if tonumber(redis.call('HGET', P .. 'met:' .. viewer, id) or '0') <= 0 then
    f[3] = false
  end
  return f
end

-- ARGV: cursor ('' = start), count. Loads of participants with any:
-- {next cursor or '', id, pending received, booked, ...}.
local function loads(keys, args)
  local P = keys[1]
  local min = '-'
  if args[1] ~= '' then min = '(' .. args[1] end
  local count = tonumber(args[2])
  local ids = redis.call('ZRANGEBYLEX', P .. 'ids', min, '+', 'LIMIT', 0,
                         count)
  local out = {''}
  if #ids == count then out[1] = ids[count] end
  for _, id in ipairs(ids) do
    local pend = redis.call('SCARD', P .. 'in:' .. id)
    local booked = redis.call('HLEN', P .. 'busy:' .. id)
    if pend > 0 or booked > 0 then
      out[#out + 1] = id
      out[#out + 1] = pend
      out[#out + 1] = booked
    end
  end
  return out
end

redis.register_function{function_name = 'em_meeting_get',
                        callback = meeting_get, flags = {'no-writes'}}
redis.register_function{function_name = 'em_meeting_list',
                        callback = meeting_list, flags = {'no-writes'}}
redis.register_function{function_name = 'em_meeting_inbox',
                        callback = meeting_inbox, flags = {'no-writes'}}
redis.register_function{function_name = 'em_stats',
                        callback = stats, flags = {'no-writes'}}
redis.register_function{function_name = 'em_profile_view',
                        callback = profile_view, flags = {'no-writes'}}
redis.register_function{function_name = 'em_loads',
                        callback = loads, flags = {'no-writes'}}
