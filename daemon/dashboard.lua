-- The organizer dashboard's figures (em_dashboard). Appended last to the
-- library: it uses helpers of the files before it (fail, event_of, stats)
-- and wraps two profile hooks of meetings.lua.
--
-- Counting countries and sectors by decoding every profile on each read
-- would block Redis for a large event, so the counts are kept up to date
-- by the profile hooks, in the same atomic step as the write:
--   dash:p               hash pid -> "CC S S..." (its country, then the
--                        distinct ISIC sections of its sectors)
--   dash:country         hash country -> participants
--   dash:sector          hash section letter -> participants
--   dash:built           exists once the three above cover every profile
-- Events written before these existed are counted in full once, by the
-- first em_dashboard call (one pass over the profiles); until then the
-- hooks leave the counts alone, so nothing is counted twice.

-- ISIC Rev.4 divisions (two digits) by section: the first division of
-- each section; a division belongs to the last section whose first one
-- it reaches. Divisions between sections (04, 34...) name none.
local DASH_SECTIONS = {
  {1, 'A'}, {5, 'B'}, {10, 'C'}, {35, 'D'}, {36, 'E'}, {41, 'F'},
  {45, 'G'}, {49, 'H'}, {55, 'I'}, {58, 'J'}, {64, 'K'}, {68, 'L'},
  {69, 'M'}, {77, 'N'}, {84, 'O'}, {85, 'P'}, {86, 'Q'}, {90, 'R'},
  {94, 'S'}, {97, 'T'}, {99, 'U'}}
local DASH_GAPS = {[4] = true, [34] = true, [40] = true, [44] = true,
                   [48] = true, [54] = true, [57] = true, [67] = true,
                   [76] = true, [83] = true, [89] = true}

-- The section of a sector code: itself for a letter, else from its
-- division; nil for a code that names none.
local function dash_section(code)
  if type(code) ~= 'string' then return nil end
  if string.match(code, '^[A-U]$') then return code end
  local d = tonumber(string.sub(code, 1, 2))
  if not d or #code < 2 or DASH_GAPS[d] or d < 1 or d > 99 then return nil end
  local sec = nil
  for _, s in ipairs(DASH_SECTIONS) do
    if d >= s[1] then sec = s[2] end
  end
  return sec
end

-- "CC S S..." for a stored profile (its MessagePack data), or nil.
local function dash_record(raw)
  if not raw then return nil end
  local p = cmsgpack.unpack(raw)
  if type(p) ~= 'table' or type(p.country) ~= 'string' then return nil end
  local out, seen = {p.country}, {}
  for _, code in ipairs(type(p.sectors) == 'table' and p.sectors or {}) do
    local s = dash_section(code)
    if s and not seen[s] then
      seen[s] = true
      out[#out + 1] = s
    end
  end
  return table.concat(out, ' ')
end

-- Adds (d = 1) or removes (d = -1) one record's counts.
local function dash_apply(P, rec, d)
  if not rec then return end
  local first = true
  for w in string.gmatch(rec, '%S+') do
    local key = first and 'dash:country' or 'dash:sector'
    first = false
    if redis.call('HINCRBY', P .. key, w, d) <= 0 then
      redis.call('HDEL', P .. key, w)
    end
  end
end

-- A profile's counts follow its new data (rec nil: it is gone).
local function dash_update(P, id, rec)
  if redis.call('EXISTS', P .. 'dash:built') == 0 then return end
  local old = redis.call('HGET', P .. 'dash:p', id)
  if old == rec then return end
  dash_apply(P, old or nil, -1)
  dash_apply(P, rec, 1)
  if rec then
    redis.call('HSET', P .. 'dash:p', id, rec)
  else
    redis.call('HDEL', P .. 'dash:p', id)
  end
end

-- The counts must never break the write they follow (a function's writes
-- are not undone by a later error): should counting fail, they are marked
-- stale instead, and the next read counts them afresh.
local function dash_follow(P, id, gone)
  local ok = pcall(function()
    local rec = nil
    if not gone then
      rec = dash_record(redis.call('HGET', P .. 'p:' .. id, 'data'))
    end
    dash_update(P, id, rec)
  end)
  if not ok then redis.call('DEL', P .. 'dash:built') end
end

local dash_written = hooks.profile_written
hooks.profile_written = function(P, event, id, ...)
  dash_follow(P, id, false)
  return dash_written(P, event, id, ...)
end

local dash_deleted = hooks.profile_deleted
hooks.profile_deleted = function(P, event, id, ...)
  dash_follow(P, id, true)
  return dash_deleted(P, event, id, ...)
end

-- Counts every profile of the event from scratch (once per event).
local function dash_build(P)
  redis.call('DEL', P .. 'dash:p', P .. 'dash:country', P .. 'dash:sector')
  for _, id in ipairs(redis.call('ZRANGE', P .. 'ids', 0, -1)) do
    local rec = dash_record(redis.call('HGET', P .. 'p:' .. id, 'data'))
    if rec then
      dash_apply(P, rec, 1)
      redis.call('HSET', P .. 'dash:p', id, rec)
    end
  end
  redis.call('SET', P .. 'dash:built', '1')
end

-- KEYS: the event's prefix. ARGV: event id. Flat, for hiredis: em_stats'
-- figures, then the slot count and per slot its id, start, end and the
-- meetings booked in it, then the country count and country, participants
-- pairs, then the section count and section, participants pairs.
local function dashboard(keys, args)
  local P = keys[1]
  local out = stats(keys, args)
  if type(out) ~= 'table' or out.err then return out end
  if redis.call('EXISTS', P .. 'dash:built') == 0 then dash_build(P) end
  local ev = event_of({P = P, event = args[1]})
  out[#out + 1] = #ev.slots
  for _, s in ipairs(ev.slots) do
    out[#out + 1] = s.id
    out[#out + 1] = s.start or ''
    out[#out + 1] = s['end'] or ''
    out[#out + 1] = redis.call('HLEN', P .. 'tab:' .. s.id)
  end
  for _, key in ipairs({'dash:country', 'dash:sector'}) do
    local h = redis.call('HGETALL', P .. key)
    out[#out + 1] = #h / 2
    for i = 1, #h, 2 do
      out[#out + 1] = h[i]
      out[#out + 1] = tonumber(h[i + 1])
    end
  end
  return out
end

redis.register_function('em_dashboard', dashboard)
