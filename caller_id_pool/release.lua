-- Undo a reservation whose dial was not placed, atomically: uncount the call, put the
-- number's last-used time back, and drop it from the customer's history if it is still the
-- newest entry. A reservation released twice is released once. Formats: keys.py.
--
-- KEYS  the customer hash, the usage hash
-- ARGV  attempt id, number, day, hour, minute (bucket ids of the reservation),
--       reserved at (epoch ms), previous last-used (epoch ms or '')
local customer, usage, number = KEYS[1], KEYS[2], ARGV[2]
local attempt = redis.call('HGET', customer, 'attempt')
if not attempt or string.sub(attempt, 1, #ARGV[1] + 1) ~= ARGV[1] .. '|' then
  return 0
end
redis.call('HDEL', customer, 'attempt')

local value = redis.call('HGET', usage, number)
if value then
  local parts = {string.match(value, '^(%d*)|(%d*)|(%d*)|(%d*)|(%d*)|(%d*)|(%d*)$')}
  for k = 0, 2 do
    local count = tonumber(parts[2 * k + 2])
    if parts[2 * k + 1] == ARGV[3 + k] and count > 0 then parts[2 * k + 2] = count - 1 end
  end
  if parts[7] == ARGV[6] then parts[7] = ARGV[7] end
  redis.call('HSET', usage, number, table.concat(parts, '|'))
end

local seen = redis.call('HGET', customer, 'seen')
if seen then
  local newest, rest = string.match(seen, '^([^,]+),?(.*)$')
  if newest == number then
    if rest == '' then redis.call('HDEL', customer, 'seen')
    else redis.call('HSET', customer, 'seen', rest) end
  end
end
return 1
