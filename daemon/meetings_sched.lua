-- schedule.optimize's two steps in Redis: read the meetings, write back
-- the places that still fit. Appended after meetings_onsite.lua.

-- What schedule.optimize needs, read in one step: {slot ids, slot starts,
-- table names, {interpreter, "languages"...}, {participant, slots ('*' =
-- all), max_meetings ('' = none), "languages"...}, {9 fields per accepted
-- or scheduled meeting: id, from, to, status, v, slots, slot, table,
-- interpreter}, time zone}.
local function sched_snapshot(keys, args)
  local c = {P = keys[1], event = args[1], prof = {}}
  local ev = event_of(c)
  if not ev then
    return fail('not_found', "event '" .. c.event .. "' does not exist")
  end
  local slot_ids, starts, interps = {}, {}, {}
  for _, s in ipairs(ev.slots) do
    slot_ids[#slot_ids + 1] = s.id
    starts[#starts + 1] = s.start
  end
  for _, it in ipairs(ev.interpreters) do
    interps[#interps + 1] = it.id
    interps[#interps + 1] = table.concat(it.languages, ' ')
  end
  local parts, meetings, seen = {}, {}, {}
  for _, st in ipairs({'accepted', 'scheduled'}) do
    for _, mid in ipairs(redis.call('ZRANGE', c.P .. 'ms:' .. st, 0, -1)) do
      local f = redis.call('HMGET', c.P .. 'm:' .. mid, 'from', 'to', 'v',
                           'slots', 'slot', 'table', 'interpreter')
      if f[1] then
        local n = #meetings
        meetings[n + 1], meetings[n + 2], meetings[n + 3] = mid, f[1], f[2]
        meetings[n + 4], meetings[n + 5] = st, f[3]
        meetings[n + 6], meetings[n + 7] = f[4] or '', f[5] or ''
        meetings[n + 8], meetings[n + 9] = f[6] or '', f[7] or ''
        for _, p in ipairs({f[1], f[2]}) do
          if not seen[p] then
            seen[p] = true
            local pr = profile_of(c, p) or {languages = {}}
            parts[#parts + 1] = p
            parts[#parts + 1] = pr.slots and table.concat(pr.slots, ' ') or '*'
            parts[#parts + 1] = pr.max_meetings and
                                tostring(pr.max_meetings) or ''
            parts[#parts + 1] = table.concat(pr.languages or {}, ' ')
          end
        end
      end
    end
  end
  return {slot_ids, starts, ev.table_names, interps, parts, meetings,
          ev.timezone or 'UTC'}
end

-- ARGV: ..., then 5 per placement: meeting, v it had, slot, table,
-- interpreter ('' none). Applies the placements that still fit: a meeting
-- changed since the snapshot (another v, no longer accepted or
-- scheduled) keeps its place; so does one whose new place someone else
-- took meanwhile, and then any whose new place that one still holds
-- (repeated until nothing changes). What is applied keeps every rule.
-- Returns {applied, skipped}.
local function sched_apply(keys, args)
  local c = ctx(keys, args)
  local P = c.P
  local ev = event_of(c)
  if not ev then
    return fail('not_found', "event '" .. c.event .. "' does not exist")
  end
  local tables = set_of(ev.table_names)
  local moves, skipped = {}, 0
  for i = 5, #args - 4, 5 do
    local mid = args[i]
    local m = mget(c, mid)
    local it = args[i + 4]
    if it == '' then it = nil end
    if m and m.v == args[i + 1] and
       (m.status == 'accepted' or m.status == 'scheduled') and
       ev.slot_pos[args[i + 2]] and tables[args[i + 3]] then
      moves[#moves + 1] = {mid = mid, m = m, slot = args[i + 2],
                           tab = args[i + 3], it = it, on = true}
    else
      skipped = skipped + 1
    end
  end
  -- Checks every move still on against the others still on; turns off
  -- those that do not fit; true when none had to be turned off.
  local function settle()
    local leaving, taken, count, gone = {}, {}, {}, {}
    for _, x in ipairs(moves) do
      if x.on then
        leaving[x.mid] = true
        if x.m.slot then
          -- Booked meetings leaving their place, per participant.
          gone[x.m.from] = (gone[x.m.from] or 0) + 1
          gone[x.m.to] = (gone[x.m.to] or 0) + 1
        end
      end
    end
    local function free(key, field)
      if taken[key .. '\0' .. field] then return false end
      local holder = redis.call('HGET', key, field)
      return not holder or leaving[holder]
    end
    local function take(key, field) taken[key .. '\0' .. field] = true end
    local function load(p)
      if count[p] == nil then
        count[p] = redis.call('HLEN', P .. 'busy:' .. p) - (gone[p] or 0)
      end
      return count[p]
    end
    local stable = true
    for _, x in ipairs(moves) do
      if x.on then
        local m, sid, ok = x.m, x.slot, true
        if m.slots and not set_of(split(m.slots))[sid] then ok = false end
        for _, p in ipairs({m.from, m.to}) do
          local pr = profile_of(c, p)
          if ok and (not pr or (pr.slot_set and not pr.slot_set[sid]) or
                     not free(P .. 'busy:' .. p, sid) or
                     (pr.max_meetings and load(p) >= pr.max_meetings)) then
            ok = false
          end
        end
        ok = ok and free(P .. 'tab:' .. sid, x.tab) and
             (not x.it or free(P .. 'int:' .. sid, x.it))
        if ok then
          take(P .. 'busy:' .. m.from, sid)
          take(P .. 'busy:' .. m.to, sid)
          count[m.from] = load(m.from) + 1
          count[m.to] = load(m.to) + 1
          take(P .. 'tab:' .. sid, x.tab)
          if x.it then take(P .. 'int:' .. sid, x.it) end
        else
          x.on = false
          skipped = skipped + 1
          stable = false
        end
      end
    end
    return stable
  end
  while not settle() do end
  local applied = 0
  for _, x in ipairs(moves) do
    if x.on then unbook(c, x.mid, x.m) end
  end
  for _, x in ipairs(moves) do
    if x.on then
      local m, sid = x.m, x.slot
      local s = ev.slots[ev.slot_pos[sid]]
      redis.call('HSET', P .. 'busy:' .. m.from, sid, x.mid)
      redis.call('HSET', P .. 'busy:' .. m.to, sid, x.mid)
      redis.call('HSET', P .. 'tab:' .. sid, x.tab, x.mid)
      local k = P .. 'm:' .. x.mid
      redis.call('HSET', k, 'slot', sid, 'start', s.start, 'end', s['end'],
                 'table', x.tab)
      if x.it then
        redis.call('HSET', P .. 'int:' .. sid, x.it, x.mid)
        redis.call('HSET', k, 'interpreter', x.it)
      end
      m.slot, m.table, m.interpreter = sid, x.tab, x.it
      if m.status ~= 'scheduled' then
        set_status(c, x.mid, m, 'scheduled')
      else
        changed(c, x.mid, m)
      end
      applied = applied + 1
    end
  end
  flush(c)
  return {applied, skipped}
end

redis.register_function('em_sched_apply', sched_apply)
redis.register_function{function_name = 'em_sched_snapshot',
                        callback = sched_snapshot, flags = {'no-writes'}}
