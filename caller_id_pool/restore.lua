-- Rebuild: merge state recomputed from PostgreSQL into Redis without losing anything
-- recorded meanwhile. Usage only ever rises (per bucket, and the newer bucket wins); a
-- customer's history is written only when Redis has none (what Redis holds is newer).
-- Formats: keys.py.
--
-- KEYS  the usage hash, then customer hashes
-- ARGV  n; then n pairs (number, packed usage); then per customer: seen (comma-joined,
--       newest first), answered (or ''), TTL s
local pattern = '^(%d*)|(%d*)|(%d*)|(%d*)|(%d*)|(%d*)|(%d*)$'
local n = tonumber(ARGV[1])
for i = 1, n do
  local number, new = ARGV[2 * i], ARGV[2 * i + 1]
  local old = redis.call('HGET', KEYS[1], number)
  if old then
    local a, b = {string.match(old, pattern)}, {string.match(new, pattern)}
    for k = 1, 5, 2 do
      if a[k] == b[k] then
        b[k + 1] = math.max(tonumber(a[k + 1]), tonumber(b[k + 1]))
      elseif a[k] > b[k] then
        b[k], b[k + 1] = a[k], a[k + 1]
      end
    end
    if a[7] ~= '' and (b[7] == '' or tonumber(a[7]) > tonumber(b[7])) then b[7] = a[7] end
    new = table.concat(b, '|')
  end
  redis.call('HSET', KEYS[1], number, new)
end
local written = 0
for i = 2, #KEYS do
  local a = 2 * n + 2 + 3 * (i - 2)
  if redis.call('EXISTS', KEYS[i]) == 0 then
    if ARGV[a] ~= '' then redis.call('HSET', KEYS[i], 'seen', ARGV[a]) end
    if ARGV[a + 1] ~= '' then redis.call('HSET', KEYS[i], 'answered', ARGV[a + 1]) end
    redis.call('EXPIRE', KEYS[i], ARGV[a + 2])
    written = written + 1
  end
end
return written
