-- Meetings: requests, answers, booking, and what profile and event changes
-- do to bookings. Appended to functions.lua at build time (one library;
-- meetings_read.lua, meetings_onsite.lua and meetings_sched.lua follow and
-- use the helpers here). Each function is one atomic step, so two daemons accepting at once on one Redis can never book one
-- person, table or interpreter twice: the checks and the writes of a
-- booking happen in the same step.
--
-- KEYS[1] of every function is the event's key prefix "em:{E}:" (it carries
-- the hash tag, so a cluster routes the call to the event's slot). The keys
-- below hang off it:
--   mseq                 counter of meeting numbers (ids "m<n>")
--   m:<mid>              hash: from, to, status, v, created, updated,
--                        note?, slots? (space separated), slot?,
--                        start?, end?, table?, interpreter?, fb:<pid>?
--   mall, ms:<status>    sorted sets of meeting ids by seq
--   pm:<pid>             set: every meeting of a participant
--   in:<pid>, out:<pid>  sets: its requests received / sent, still open
--   pairs                hash "<a> <b>" (a < b) -> live meetings of the pair
--   met:<pid>            hash partner -> meetings accepted, scheduled or
--                        noshow between them (contact details may show)
--   busy:<pid>           hash slot -> meeting booked for it then
--   tab:<slot>, int:<slot>  hash table / interpreter -> meeting
--   mexp                 sorted set: open requests by expiry time
--   rid:<request_id>     the meeting a request_id created (24 hours)
--   checkin              hash pid -> first check-in time
--   sides                hash side -> participants (stats)
-- Every ARGV starts with: event id, now (unix seconds), now (ISO 8601 UTC),
-- stream maxlen.

local LIVE = {requested = true, accepted = true, scheduled = true}
local MET = {accepted = true, scheduled = true, noshow = true}
local STATUSES = {'requested', 'accepted', 'scheduled', 'declined',
                  'cancelled', 'expired', 'noshow'}
local WAITING_OFFERED = 200 -- waiting meetings tried for a freed place

local function ctx(keys, args)
  return {P = keys[1], event = args[1], now = tonumber(args[2]),
          iso = args[3], maxlen = args[4], prof = {}, changed = {}}
end

-- The event, decoded once per call, with lookups added.
local function event_of(c)
  if c.ev == nil then
    local raw = redis.call('HGET', c.P .. 'event', 'data')
    if not raw then return nil end
    local ev = cmsgpack.unpack(raw)
    local names = {}
    if type(ev.tables) == 'number' then
      for i = 1, ev.tables do names[i] = tostring(i) end
    else
      names = ev.tables
    end
    ev.table_names = names
    ev.slot_pos = {}
    for i, s in ipairs(ev.slots) do ev.slot_pos[s.id] = i end
    ev.interpreters = ev.interpreters or {}
    c.ev = ev
  end
  return c.ev
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list or {}) do s[v] = true end
  return s
end

local function split(s)
  local out = {}
  for w in string.gmatch(s or '', '%S+') do out[#out + 1] = w end
  return out
end

-- A participant's profile, decoded once per call; false when there is none.
local function profile_of(c, id)
  local p = c.prof[id]
  if p == nil then
    local raw = redis.call('HGET', c.P .. 'p:' .. id, 'data')
    if raw then
      p = cmsgpack.unpack(raw)
      p.lang_set = set_of(p.languages)
      if p.slots then p.slot_set = set_of(p.slots) end
    else
      p = false
    end
    c.prof[id] = p
  end
  return p
end

local function mget(c, mid)
  local f = redis.call('HGETALL', c.P .. 'm:' .. mid)
  if #f == 0 then return nil end
  local m = {}
  for i = 1, #f, 2 do m[f[i]] = f[i + 1] end
  return m
end

-- The reply form of a meeting: its id, then field, value pairs.
local function flat(c, mid, extra)
  local out = {mid}
  local f = redis.call('HGETALL', c.P .. 'm:' .. mid)
  for i = 1, #f do out[#out + 1] = f[i] end
  for i = 1, #(extra or {}) do out[#out + 1] = extra[i] end
  return out
end

-- A meeting's number: ids are "m<n>", given in order of creation.
local function seq_of(mid)
  return tonumber(string.sub(mid, 2)) or 0
end

local function pair_key(a, b)
  if a < b then return a .. ' ' .. b end
  return b .. ' ' .. a
end

local function count_add(key, field, delta)
  if redis.call('HINCRBY', key, field, delta) <= 0 then
    redis.call('HDEL', key, field)
  end
end

-- Remembers that a meeting changed in this call; flush() stamps it and
-- writes one change-stream entry for it.
local function changed(c, mid, m)
  if not c.changed[mid] then
    c.changed[mid] = m
    c.changed[#c.changed + 1] = mid
  end
end

-- "<id> <requests received> <meetings booked>": a participant's load, for
-- the matching engines' congestion factor.
local function load_of(c, p)
  return p .. ' ' .. redis.call('SCARD', c.P .. 'in:' .. p) .. ' ' ..
         redis.call('HLEN', c.P .. 'busy:' .. p)
end

-- The entry carries both sides and their loads ('x'), so that daemons
-- read the meeting itself only when someone there listens. Loads are
-- read once per participant: by now they are final for this call.
local function flush(c)
  local loads = {}
  local function load(p)
    loads[p] = loads[p] or load_of(c, p)
    return loads[p]
  end
  for _, mid in ipairs(c.changed) do
    local m = c.changed[mid]
    local k = c.P .. 'm:' .. mid
    local v = redis.call('HINCRBY', k, 'v', 1)
    redis.call('HSET', k, 'updated', c.iso)
    redis.call('XADD', c.P .. 'log', 'MAXLEN', '~', c.maxlen, '*',
               'k', 'meeting.update', 'id', mid, 'v', tostring(v),
               'x', load(m.from) .. ' ' .. load(m.to))
  end
  c.changed = {}
end

-- Moves a meeting to a new status and keeps every index of it in step.
local function set_status(c, mid, m, new)
  local P, old = c.P, m.status
  if old then redis.call('ZREM', P .. 'ms:' .. old, mid) end
  redis.call('ZADD', P .. 'ms:' .. new, seq_of(mid), mid)
  if old == 'requested' then
    redis.call('SREM', P .. 'out:' .. m.from, mid)
    redis.call('SREM', P .. 'in:' .. m.to, mid)
    redis.call('ZREM', P .. 'mexp', mid)
  end
  if new == 'requested' then
    redis.call('SADD', P .. 'out:' .. m.from, mid)
    redis.call('SADD', P .. 'in:' .. m.to, mid)
    if m.exp then redis.call('ZADD', P .. 'mexp', m.exp, mid) end
  end
  local pk = pair_key(m.from, m.to)
  if LIVE[new] and not LIVE[old] then
    redis.call('HINCRBY', P .. 'pairs', pk, 1)
  elseif LIVE[old] and not LIVE[new] then
    count_add(P .. 'pairs', pk, -1)
  end
  local d = 0
  if MET[new] and not MET[old] then d = 1 end
  if MET[old] and not MET[new] then d = -1 end
  if d ~= 0 then
    count_add(P .. 'met:' .. m.from, m.to, d)
    count_add(P .. 'met:' .. m.to, m.from, d)
  end
  redis.call('HSET', P .. 'm:' .. mid, 'status', new)
  m.status = new
  changed(c, mid, m)
end

-- Booking -------------------------------------------------------------

local function free_in(c, pid, prof, slot)
  if prof.slot_set and not prof.slot_set[slot] then return false end
  return redis.call('HEXISTS', c.P .. 'busy:' .. pid, slot) == 0
end

local function under_max(c, pid, prof)
  if prof.max_meetings == nil then return true end
  return redis.call('HLEN', c.P .. 'busy:' .. pid) < prof.max_meetings
end

local function share_language(pa, pb)
  for l in pairs(pa.lang_set) do
    if pb.lang_set[l] then return true end
  end
  return false
end

local function speaks_one_of(it, prof)
  for _, l in ipairs(it.languages) do
    if prof.lang_set[l] then return true end
  end
  return false
end

local function free_interpreter(c, ev, pa, pb, slot)
  for _, it in ipairs(ev.interpreters) do
    if speaks_one_of(it, pa) and speaks_one_of(it, pb) and
       redis.call('HEXISTS', c.P .. 'int:' .. slot, it.id) == 0 then
      return it.id
    end
  end
  return nil
end

local function free_table(c, ev, slot)
  -- A full slot (the usual case late in booking) costs one HLEN.
  if redis.call('HLEN', c.P .. 'tab:' .. slot) >= #ev.table_names then
    return nil
  end
  local taken = set_of(redis.call('HKEYS', c.P .. 'tab:' .. slot))
  for _, t in ipairs(ev.table_names) do
    if not taken[t] then return t end
  end
  return nil
end

-- Books an accepted meeting into the earliest slot that fits (only `only`
-- when given): both sides free there and under their max_meetings, the
-- meeting's own slots allow it, a free table, and an interpreter who
-- speaks a language of each side when they share none.
local function try_book(c, mid, m, only)
  local ev = event_of(c)
  local pa, pb = profile_of(c, m.from), profile_of(c, m.to)
  if not (ev and pa and pb) then return false end
  if not (under_max(c, m.from, pa) and under_max(c, m.to, pb)) then
    return false
  end
  local allowed = m.slots and set_of(split(m.slots)) or nil
  local need_interp = not share_language(pa, pb)
  for _, s in ipairs(ev.slots) do
    local sid = s.id
    if (only == nil or only == sid) and (allowed == nil or allowed[sid]) and
       free_in(c, m.from, pa, sid) and free_in(c, m.to, pb, sid) then
      local t = free_table(c, ev, sid)
      local it = nil
      if t and need_interp then it = free_interpreter(c, ev, pa, pb, sid) end
      if t and (it or not need_interp) then
        local P = c.P
        redis.call('HSET', P .. 'busy:' .. m.from, sid, mid)
        redis.call('HSET', P .. 'busy:' .. m.to, sid, mid)
        redis.call('HSET', P .. 'tab:' .. sid, t, mid)
        local k = P .. 'm:' .. mid
        redis.call('HSET', k, 'slot', sid, 'start', s.start, 'end', s['end'],
                   'table', t)
        if it then
          redis.call('HSET', P .. 'int:' .. sid, it, mid)
          redis.call('HSET', k, 'interpreter', it)
        end
        m.slot, m.table, m.interpreter = sid, t, it
        set_status(c, mid, m, 'scheduled')
        return true
      end
    end
  end
  return false
end

local function hdel_if(key, field, mid)
  if redis.call('HGET', key, field) == mid then
    redis.call('HDEL', key, field)
  end
end

-- Releases what a booked meeting holds; returns its slot (or nil).
local function unbook(c, mid, m)
  local slot = m.slot
  if not slot then return nil end
  local P = c.P
  hdel_if(P .. 'busy:' .. m.from, slot, mid)
  hdel_if(P .. 'busy:' .. m.to, slot, mid)
  if m.table then hdel_if(P .. 'tab:' .. slot, m.table, mid) end
  if m.interpreter then hdel_if(P .. 'int:' .. slot, m.interpreter, mid) end
  redis.call('HDEL', P .. 'm:' .. mid, 'slot', 'start', 'end', 'table',
             'interpreter')
  m.slot, m.table, m.interpreter = nil, nil, nil
  return slot
end

-- Tries to book a waiting meeting; `only` as in try_book.
local function offer(c, mid, only)
  local m = mget(c, mid)
  if m and m.status == 'accepted' then try_book(c, mid, m, only) end
end

-- A slot, table or agenda place came free. The waiting meetings of the
-- sides that gained room may now fit anywhere; the oldest others
-- (WAITING_OFFERED of them) may fit in the freed slot. With sides nil
-- (the event changed) the oldest waiting meetings are tried anywhere.
local function offer_freed(c, slot, sides)
  local P = c.P
  if sides == nil then
    for _, mid in ipairs(redis.call('ZRANGE', P .. 'ms:accepted', 0,
                                    WAITING_OFFERED - 1)) do
      offer(c, mid, nil)
    end
    return
  end
  for p in pairs(sides) do
    for _, mid in ipairs(redis.call('SMEMBERS', P .. 'pm:' .. p)) do
      if redis.call('HGET', P .. 'm:' .. mid, 'status') == 'accepted' then
        offer(c, mid, nil)
      end
    end
  end
  if not slot then return end
  for _, mid in ipairs(redis.call('ZRANGE', P .. 'ms:accepted', 0,
                                  WAITING_OFFERED - 1)) do
    -- Those busy in the slot are passed over before anything is decoded.
    local f = redis.call('HMGET', P .. 'm:' .. mid, 'from', 'to')
    if f[1] and
       redis.call('HEXISTS', P .. 'busy:' .. f[1], slot) == 0 and
       redis.call('HEXISTS', P .. 'busy:' .. f[2], slot) == 0 then
      offer(c, mid, slot)
    end
  end
end

-- Ends a meeting (cancelled, declined, noshow...) and hands on what it held.
local function finish(c, mid, m, status)
  local slot = unbook(c, mid, m)
  set_status(c, mid, m, status)
  if slot then offer_freed(c, slot, {[m.from] = true, [m.to] = true}) end
end

local function no_meeting(mid)
  return fail('not_found', "no meeting '" .. mid .. "'")
end

local function must_be_side(m, by)
  if by ~= m.from and by ~= m.to then
    return fail('forbidden', "'" .. by .. "' is not a side of the meeting")
  end
  return nil
end

-- Requests ------------------------------------------------------------

-- ARGV: ..., from, to, note, slots (space separated), request_id,
-- create ('1': an organizer's meeting, accepted at once).
local function meeting_request(keys, args)
  local c = ctx(keys, args)
  local P = c.P
  local from, to, note, slots = args[5], args[6], args[7], args[8]
  local rid, create = args[9], args[10] == '1'
  if rid ~= '' then
    local old = redis.call('GET', P .. 'rid:' .. rid)
    local m = old and mget(c, old)
    if m then
      -- A retry gets its meeting back; another pair's use of the same
      -- id must not show that meeting (its note is private).
      if m.from ~= from or m.to ~= to then
        return fail('conflict', "request_id '" .. rid ..
                    "' was used for another meeting")
      end
      return flat(c, old)
    end
  end
  local ev = event_of(c)
  if not ev then
    return fail('not_found', "event '" .. c.event .. "' does not exist")
  end
  if from == to then
    return fail('bad_request', 'from and to: a participant cannot meet itself')
  end
  for _, who in ipairs({{'from', from}, {'to', to}}) do
    if not profile_of(c, who[2]) then
      return fail('not_found', who[1] .. ": no participant '" .. who[2] ..
                  "' in event '" .. c.event .. "'")
    end
  end
  local list = split(slots)
  for i, s in ipairs(list) do
    if not ev.slot_pos[s] then
      return fail('bad_request', 'slots[' .. (i - 1) .. "]: '" .. s ..
                  "' is not a slot of the event")
    end
  end
  if not create then
    local live = tonumber(redis.call('HGET', P .. 'pairs',
                                     pair_key(from, to)) or '0')
    if live > 0 then
      return fail('conflict', "'" .. from .. "' and '" .. to ..
                  "' already have a live meeting")
    end
    local max = ev.max_pending_requests
    if max and redis.call('SCARD', P .. 'out:' .. from) >= max then
      return fail('conflict', "'" .. from .. "' has " .. max ..
                  ' pending requests, the most the event allows')
    end
  end
  local seq = redis.call('INCR', P .. 'mseq')
  local mid = 'm' .. seq
  local m = {from = from, to = to}
  local k = P .. 'm:' .. mid
  redis.call('HSET', k, 'from', from, 'to', to, 'v', 0,
             'created', c.iso, 'updated', c.iso)
  if note ~= '' then redis.call('HSET', k, 'note', note) end
  if #list > 0 then
    m.slots = table.concat(list, ' ')
    redis.call('HSET', k, 'slots', m.slots)
  end
  if not create and ev.request_ttl_hours then
    -- (Only the expiry index holds it: a request never comes back.)
    m.exp = c.now + ev.request_ttl_hours * 3600
  end
  redis.call('ZADD', P .. 'mall', seq, mid)
  redis.call('SADD', P .. 'pm:' .. from, mid)
  redis.call('SADD', P .. 'pm:' .. to, mid)
  if create then
    set_status(c, mid, m, 'accepted')
    try_book(c, mid, m, nil)
  else
    set_status(c, mid, m, 'requested')
  end
  if rid ~= '' then
    redis.call('SET', P .. 'rid:' .. rid, mid, 'EX', 86400)
  end
  flush(c)
  return flat(c, mid)
end

-- ARGV: ..., meeting, accept ('1'/'0'), to ('' when any may answer).
local function meeting_respond(keys, args)
  local c = ctx(keys, args)
  local mid, accept, to = args[5], args[6] == '1', args[7]
  local m = mget(c, mid)
  if not m then return no_meeting(mid) end
  if to ~= '' and m.to ~= to then
    return fail('forbidden', "only '" .. m.to .. "' answers meeting '" ..
                mid .. "'")
  end
  if m.status ~= 'requested' then
    return fail('conflict', "meeting '" .. mid .. "' is " .. m.status ..
                '; only a requested meeting is answered')
  end
  if accept then
    set_status(c, mid, m, 'accepted')
    try_book(c, mid, m, nil)
  else
    set_status(c, mid, m, 'declined')
  end
  flush(c)
  return flat(c, mid)
end

-- ARGV: ..., meeting, by, staff ('1': an organizer or admin).
local function meeting_cancel(keys, args)
  local c = ctx(keys, args)
  local mid, by, staff = args[5], args[6], args[7] == '1'
  local m = mget(c, mid)
  if not m then return no_meeting(mid) end
  if not staff then
    local e = must_be_side(m, by)
    if e then return e end
  end
  if not LIVE[m.status] then
    return fail('conflict', "meeting '" .. mid .. "' is " .. m.status ..
                ' and can no longer be cancelled')
  end
  if m.status == 'requested' and not staff and by ~= m.from then
    return fail('conflict', "meeting '" .. mid .. "' is a request to '" ..
                by .. "', who declines it rather than cancels")
  end
  finish(c, mid, m, 'cancelled')
  flush(c)
  return flat(c, mid)
end

-- ARGV: ..., meeting, by (the side that came).
local function meeting_noshow(keys, args)
  local c = ctx(keys, args)
  local mid, by = args[5], args[6]
  local m = mget(c, mid)
  if not m then return no_meeting(mid) end
  local e = must_be_side(m, by)
  if e then return e end
  if m.status ~= 'scheduled' then
    return fail('conflict', "meeting '" .. mid .. "' is " .. m.status ..
                '; only a scheduled meeting can be a no-show')
  end
  redis.call('HSET', c.P .. 'm:' .. mid, 'reported_by', by)
  finish(c, mid, m, 'noshow')
  flush(c)
  return flat(c, mid)
end

-- ARGV: ..., meeting, by, happened ('1'/'0'), rating ('' or 1-5).
local function meeting_feedback(keys, args)
  local c = ctx(keys, args)
  local mid, by, happened, rating = args[5], args[6], args[7], args[8]
  local m = mget(c, mid)
  if not m then return no_meeting(mid) end
  local e = must_be_side(m, by)
  if e then return e end
  if m.status ~= 'scheduled' and m.status ~= 'noshow' then
    return fail('conflict', "meeting '" .. mid .. "' is " .. m.status ..
                '; feedback is for scheduled meetings')
  end
  local v = happened
  if rating ~= '' then v = v .. ' ' .. rating end
  redis.call('HSET', c.P .. 'm:' .. mid, 'fb:' .. by, v)
  changed(c, mid, m)
  flush(c)
  return flat(c, mid)
end

-- Expires open requests whose time has come (a bounded batch per call;
-- any daemon may call it, the work is done once).
local function meeting_expire(keys, args)
  local c = ctx(keys, args)
  local due = redis.call('ZRANGEBYSCORE', c.P .. 'mexp', '-inf', c.now,
                         'LIMIT', 0, 200)
  for _, mid in ipairs(due) do
    local m = mget(c, mid)
    if m and m.status == 'requested' then
      set_status(c, mid, m, 'expired')
    else
      redis.call('ZREM', c.P .. 'mexp', mid)
    end
  end
  flush(c)
  return #due
end

-- Hooks of the core functions (functions.lua) --------------------------

-- A participant deleted: its live meetings are cancelled, what they held
-- freed, and its meeting indexes dropped.
hooks.profile_deleted = function(P, event, id, now, iso, maxlen)
  local c = ctx({P}, {event, now, iso, maxlen})
  for _, mid in ipairs(redis.call('SMEMBERS', P .. 'pm:' .. id)) do
    local m = mget(c, mid)
    if m and LIVE[m.status] then finish(c, mid, m, 'cancelled') end
    -- Notes and feedback may say things about it: erased too.
    redis.call('HDEL', P .. 'm:' .. mid, 'note', 'fb:' .. id)
  end
  redis.call('DEL', P .. 'in:' .. id, P .. 'out:' .. id, P .. 'busy:' .. id,
             P .. 'met:' .. id, P .. 'pm:' .. id)
  redis.call('HDEL', P .. 'checkin', id)
  flush(c)
end

-- Whether a booked meeting still keeps the rules once its sides changed:
-- both free in its slot, and a common language or an interpreter who
-- speaks one of each.
local function still_fits(c, m)
  local ev = event_of(c)
  local pa, pb = profile_of(c, m.from), profile_of(c, m.to)
  if not (ev and pa and pb) then return false end
  for _, p in ipairs({pa, pb}) do
    if p.slot_set and not p.slot_set[m.slot] then return false end
  end
  if share_language(pa, pb) then return true end
  for _, it in ipairs(ev.interpreters) do
    if it.id == m.interpreter then
      return speaks_one_of(it, pa) and speaks_one_of(it, pb)
    end
  end
  return false
end

-- A profile written: side counts for stats; its booked meetings that no
-- longer keep the rules (a slot it no longer lists, a language gone, more
-- meetings than its new max_meetings: the latest ones) go back to
-- waiting and are booked again where they fit; and its waiting meetings
-- are tried again, as it may have more room now.
-- A participant's booked meetings after its profile changed: those that
-- no longer fit its slots or max_meetings go back to waiting and are
-- booked again where they fit.
local function recheck_booked(c, id, busy)
  local me, ev = profile_of(c, id), event_of(c)
  if not (me and ev) then return end
  local booked = {}
  for i = 1, #busy, 2 do
    local m = mget(c, busy[i + 1])
    if m and m.status == 'scheduled' then
      booked[#booked + 1] = {mid = busy[i + 1], m = m,
                             pos = ev.slot_pos[m.slot] or 0}
    end
  end
  table.sort(booked, function(a, b) return a.pos < b.pos end)
  local keep, undone = 0, {}
  for _, x in ipairs(booked) do
    if still_fits(c, x.m) and
       (me.max_meetings == nil or keep < me.max_meetings) then
      keep = keep + 1
    else
      unbook(c, x.mid, x.m)
      set_status(c, x.mid, x.m, 'accepted')
      undone[#undone + 1] = x
    end
  end
  for _, x in ipairs(undone) do try_book(c, x.mid, x.m, nil) end
end

hooks.profile_written = function(P, event, id, old_side, new_side, now, iso,
                                 maxlen)
  if old_side ~= new_side then
    if old_side then count_add(P .. 'sides', old_side, -1) end
    redis.call('HINCRBY', P .. 'sides', new_side, 1)
  end
  local c = ctx({P}, {event, now, iso, maxlen})
  -- Registration writes most profiles before any meeting is booked: the
  -- event (thousands of tables at a large expo) is decoded only for a
  -- participant with booked meetings to check.
  local busy = redis.call('HGETALL', P .. 'busy:' .. id)
  if #busy > 0 then
    recheck_booked(c, id, busy)
  end
  offer_freed(c, nil, {[id] = true})
  flush(c)
end

hooks.profile_removed = function(P, side)
  if side then count_add(P .. 'sides', side, -1) end
end

-- The event replaced: meetings in a slot, at a table or with an
-- interpreter it no longer has go back to waiting (then may be booked
-- again where they fit).
hooks.event_replaced = function(P, event, old_raw, now, iso, maxlen)
  if not old_raw then return end
  local old = cmsgpack.unpack(old_raw)
  local c = ctx({P}, {event, now, iso, maxlen})
  local ev = event_of(c)
  local tables = set_of(ev.table_names)
  local interps = {}
  for _, it in ipairs(ev.interpreters) do interps[it.id] = set_of(it.languages) end
  local unbooked = {}
  for _, s in ipairs(old.slots) do
    local tab = redis.call('HGETALL', P .. 'tab:' .. s.id)
    for i = 1, #tab, 2 do
      local mid = tab[i + 1]
      local m = mget(c, mid)
      if m and m.status == 'scheduled' then
        local gone = not ev.slot_pos[s.id] or not tables[m.table]
        if m.interpreter and not interps[m.interpreter] then gone = true end
        if gone then
          unbook(c, mid, m)
          set_status(c, mid, m, 'accepted')
          unbooked[#unbooked + 1] = {mid, m}
        elseif ev.slot_pos[s.id] then
          -- Times of a kept slot may have changed.
          local ns = ev.slots[ev.slot_pos[s.id]]
          redis.call('HSET', P .. 'm:' .. mid, 'start', ns.start, 'end',
                     ns['end'])
        end
      end
    end
    if not ev.slot_pos[s.id] then
      redis.call('DEL', P .. 'tab:' .. s.id, P .. 'int:' .. s.id)
    end
  end
  for _, x in ipairs(unbooked) do try_book(c, x[1], x[2], nil) end
  -- New slots, tables or interpreters may give waiting meetings a place.
  offer_freed(c, nil, nil)
  flush(c)
end

redis.register_function('em_meeting_request', meeting_request)
redis.register_function('em_meeting_respond', meeting_respond)
redis.register_function('em_meeting_cancel', meeting_cancel)
redis.register_function('em_meeting_noshow', meeting_noshow)
redis.register_function('em_meeting_feedback', meeting_feedback)
redis.register_function('em_meeting_expire', meeting_expire)
