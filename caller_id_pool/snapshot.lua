-- Read what the selector needs for a batch of dials in one call: each customer's history
-- and the pool's usage. One string in, one string out: a client spends far longer on many
-- small reply elements than Redis spends on the whole script. Formats: keys.py.
--
-- KEYS     the usage hash, then one customer hash per customer
-- ARGV[1]  the pool numbers, comma-joined
-- Returns  newline-joined: "seen" and "answered" per customer ('' if none), then each
--          number's packed usage ('' if none)
local lines = {}
for i = 2, #KEYS do
  local history = redis.call('HMGET', KEYS[i], 'seen', 'answered')
  lines[#lines + 1] = history[1] or ''
  lines[#lines + 1] = history[2] or ''
end
if ARGV[1] ~= '' then
  local numbers = {}
  for number in string.gmatch(ARGV[1], '[^,]+') do numbers[#numbers + 1] = number end
  local usage = redis.call('HMGET', KEYS[1], unpack(numbers))
  for i = 1, #numbers do lines[#lines + 1] = usage[i] or '' end
end
return table.concat(lines, '\n')
