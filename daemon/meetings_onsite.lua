-- The on-site day: agendas, the calendar's data, check-in and the
-- meetings that could happen right now. Appended after meetings_read.lua.

local function agenda_of(c, id)
  local ev = event_of(c)
  local rows = {}
  for _, mid in ipairs(redis.call('SMEMBERS', c.P .. 'pm:' .. id)) do
    local m = mget(c, mid)
    if m and (m.status == 'accepted' or m.status == 'scheduled') then
      local pos = m.slot and ev and ev.slot_pos[m.slot] or 1e9
      rows[#rows + 1] = {mid = mid, m = m, pos = pos,
                         seq = seq_of(mid)}
    end
  end
  table.sort(rows, function(a, b)
    if a.pos ~= b.pos then return a.pos < b.pos end
    return a.seq < b.seq
  end)
  local out = {}
  for _, r in ipairs(rows) do
    local partner = r.m.from
    if partner == id then partner = r.m.to end
    local p = profile_of(c, partner)
    out[#out + 1] = flat(c, r.mid, {'partner', partner,
                                    'partner_company', p and p.company or '',
                                    'partner_country', p and p.country or ''})
  end
  return out
end

-- ARGV: event id, participant.
local function agenda_get(keys, args)
  local c = {P = keys[1], event = args[1], prof = {}}
  local e = need_profile(c, args[2])
  if e then return e end
  return agenda_of(c, args[2])
end

-- ARGV: event id, participant. For agenda.ics: {event name, time zone,
-- agenda meetings...}.
local function agenda_ics(keys, args)
  local c = {P = keys[1], event = args[1], prof = {}}
  local e = need_profile(c, args[2])
  if e then return e end
  local ev = event_of(c)
  local out = {ev and ev.name or c.event, ev and ev.timezone or 'UTC'}
  for _, row in ipairs(agenda_of(c, args[2])) do out[#out + 1] = row end
  return out
end

-- ARGV: ..., participant. Marks it checked in (the first time counts;
-- repeating is harmless) and returns {1 if new else 0, the event's time
-- zone, agenda meetings...}.
local function checkin(keys, args)
  local c = ctx(keys, args)
  local id = args[5]
  local e = need_profile(c, id)
  if e then return e end
  local new = redis.call('HSETNX', c.P .. 'checkin', id, c.iso)
  if new == 1 then
    redis.call('XADD', c.P .. 'log', 'MAXLEN', '~', c.maxlen, '*',
               'k', 'checkin', 'id', id, 'v', '0')
  end
  local ev = event_of(c)
  local out = {new, ev and ev.timezone or 'UTC'}
  for _, row in ipairs(agenda_of(c, id)) do out[#out + 1] = row end
  return out
end

-- ARGV: event id, participant, local time now ("YYYY-MM-DDTHH:MM:SS" in
-- the event's zone), candidate ids best first. For each candidate that is
-- checked in and has no live meeting with the participant: the first of
-- the current and next slot where both are free and under their
-- max_meetings, a table is free and, when needed, an interpreter.
-- Returns flat triples: id, slot, table.
local function meet_now(keys, args)
  local c = {P = keys[1], event = args[1], prof = {}}
  local id, now = args[2], args[3]
  local ev = event_of(c)
  local me = profile_of(c, id)
  if not (ev and me) then return {} end
  local slots = {}
  for _, s in ipairs(ev.slots) do
    if s.start <= now and now < s['end'] then
      slots[#slots + 1] = s.id
    elseif s.start > now then
      slots[#slots + 1] = s.id
      break
    end
  end
  local out = {}
  if not under_max(c, id, me) then return out end
  for i = 4, #args do
    local other = args[i]
    local p = profile_of(c, other)
    if p and redis.call('HEXISTS', c.P .. 'checkin', other) == 1 and
       redis.call('HEXISTS', c.P .. 'pairs', pair_key(id, other)) == 0 and
       under_max(c, other, p) then
      local need_interp = not share_language(me, p)
      for _, sid in ipairs(slots) do
        if free_in(c, id, me, sid) and free_in(c, other, p, sid) then
          local t = free_table(c, ev, sid)
          if t and (not need_interp or
                    free_interpreter(c, ev, me, p, sid)) then
            out[#out + 1] = other
            out[#out + 1] = sid
            out[#out + 1] = t
            break
          end
        end
      end
    end
  end
  return out
end

-- ARGV: event id. Flat: buyer, seller, both, checked_in, the meeting
-- counts in STATUSES order, slots, tables.
redis.register_function('em_checkin', checkin)
redis.register_function{function_name = 'em_agenda',
                        callback = agenda_get, flags = {'no-writes'}}
redis.register_function{function_name = 'em_agenda_ics',
                        callback = agenda_ics, flags = {'no-writes'}}
redis.register_function{function_name = 'em_meet_now',
                        callback = meet_now, flags = {'no-writes'}}
