-- audit.lua: reading an event's audit stream (em:{E}:audit, written by the
-- daemon after each organizer, admin and kiosk call; see daemon/audit.c).
-- Appended to the function library; registered without a local of its own.
--
-- KEYS: event, audit stream. ARGV: event id, cursor (a stream id, '' =
-- start), count, '1' for newest first. Flat, for hiredis: the next cursor
-- ('' at the end), then for each entry its id, its number of field and
-- value strings, and those strings.
redis.register_function{
  function_name = 'em_audit_list', flags = {'no-writes'},
  callback = function(keys, args)
    if redis.call('EXISTS', keys[1]) == 0 then
      return redis.error_reply("not_found event '" .. args[1] ..
                               "' does not exist")
    end
    local count = tonumber(args[3])
    local entries
    if args[4] == '1' then
      local hi = '+'
      if args[2] ~= '' then hi = '(' .. args[2] end
      entries = redis.call('XREVRANGE', keys[2], hi, '-', 'COUNT', count + 1)
    else
      local lo = '-'
      if args[2] ~= '' then lo = '(' .. args[2] end
      entries = redis.call('XRANGE', keys[2], lo, '+', 'COUNT', count + 1)
    end
    local out = {''}
    local n = #entries
    if n > count then
      n = count
      out[1] = entries[count][1]
    end
    for i = 1, n do
      local id, fields = entries[i][1], entries[i][2]
      out[#out + 1] = id
      out[#out + 1] = #fields
      for j = 1, #fields do out[#out + 1] = fields[j] end
    end
    return out
  end}
