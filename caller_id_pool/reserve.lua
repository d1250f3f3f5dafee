-- Reserve a caller ID for each request of a batch, in order, atomically: the first
-- candidate not shown to the customer on the last K attempts, under its day / hour /
-- minute caps, out of its cooldown. Counts the call and records it as the customer's
-- newest caller ID. Formats: keys.py.
--
-- KEYS  the usage hash, then one customer hash per request
-- ARGV  now (epoch ms), day, hour, minute (bucket ids of now), history kept, customer TTL
--       (s); then 3 per request: attempt id, avoid_last K, candidates comma-joined as
--       "number|per_day|per_hour|per_minute|cooldown_ms" (per_hour -1: no hourly cap)
-- Returns newline-joined, one line per request:
--       "1|number|reserved at ms|previous last-used ms or ''" (also when the attempt id
--       already holds a reservation: the same line again), or
--       "0|seen|daily cap|hourly cap|minute cap|cooldown": how many broke each rule
local usage = KEYS[1]
local now_ms, day, hour, minute = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now, keep, ttl = tonumber(ARGV[1]), tonumber(ARGV[5]), ARGV[6]
local packed_pattern = '^(%d*)|(%d*)|(%d*)|(%d*)|(%d*)|(%d*)|(%d*)$'

local function counts(value)
  if not value then return 0, 0, 0, '' end
  local d, dn, h, hn, m, mn, last = string.match(value, packed_pattern)
  return (d == day and tonumber(dn) or 0), (h == hour and tonumber(hn) or 0),
    (m == minute and tonumber(mn) or 0), last
end

local function history(customer, avoid)
  local seen, recent = {}, {}
  local stored = redis.call('HGET', customer, 'seen')
  if stored then
    for number in string.gmatch(stored, '[^,]+') do
      seen[#seen + 1] = number
      if #seen <= avoid then recent[number] = true end
    end
  end
  return seen, recent
end

local function parse(candidates)
  local numbers, caps = {}, {}
  for candidate in string.gmatch(candidates, '[^,]+') do
    local number, per_day, per_hour, per_minute, cooldown =
      string.match(candidate, '^([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)$')
    numbers[#numbers + 1] = number
    caps[#caps + 1] = {tonumber(per_day), tonumber(per_hour), tonumber(per_minute), tonumber(cooldown)}
  end
  return numbers, caps
end

local function broken(number, cap, recent, dn, hn, mn, last)
  if recent[number] then return 1 end
  if dn >= cap[1] then return 2 end
  if cap[2] >= 0 and hn >= cap[2] then return 3 end
  if mn >= cap[3] then return 4 end
  if last ~= '' and cap[4] > 0 and now - tonumber(last) < cap[4] then return 5 end
  return nil
end

local function reserve(customer, attempt, avoid, candidates)
  local held = redis.call('HGET', customer, 'attempt')
  if held and string.sub(held, 1, #attempt + 1) == attempt .. '|' then
    return '1|' .. string.sub(held, #attempt + 2)
  end
  local seen, recent = history(customer, avoid)
  local numbers, caps = parse(candidates)
  local packed = redis.call('HMGET', usage, unpack(numbers))
  local blocked = {0, 0, 0, 0, 0}
  for i, number in ipairs(numbers) do
    local dn, hn, mn, last = counts(packed[i])
    local rule = broken(number, caps[i], recent, dn, hn, mn, last)
    if rule then
      blocked[rule] = blocked[rule] + 1
    else
      redis.call('HSET', usage, number,
        table.concat({day, dn + 1, hour, hn + 1, minute, mn + 1, now_ms}, '|'))
      local newest = {number}
      for j = 1, math.min(#seen, keep - 1) do newest[#newest + 1] = seen[j] end
      local line = number .. '|' .. now_ms .. '|' .. last
      redis.call('HSET', customer, 'seen', table.concat(newest, ','), 'attempt', attempt .. '|' .. line)
      redis.call('EXPIRE', customer, ttl)
      return '1|' .. line
    end
  end
  return '0|' .. table.concat(blocked, '|')
end

local lines = {}
for i = 2, #KEYS do
  local a = 7 + 3 * (i - 2)
  lines[#lines + 1] = reserve(KEYS[i], ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2])
end
return table.concat(lines, '\n')
