-- Lease up to ARGV[2] admissions over one or more keys of the sliding log,
-- all keys alike: the grant is what every key has room for.
-- KEYS[i]               sorted set of admitted requests (score = microseconds)
-- ARGV[1]               unique member prefix for this lease
-- ARGV[2]               admissions wanted (>= 1)
-- ARGV[3]               lease duration in microseconds
-- ARGV[2i+2], ARGV[2i+3]  limit and window (microseconds) of KEYS[i]
-- Returns {granted, retry_after_us, remaining_1, reset_us_1, ...}; remaining
-- excludes the granted admissions.
--
-- The first granted admission is the asking request's own and is recorded
-- at now; the others are recorded at now + lease duration: each is used
-- before the lease ends, so it stays counted for at least a whole window
-- after its request, and no window ever admits more than the limit.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local want = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local n = #KEYS
local counts = {}
local grant = want
local retry = 0

for i = 1, n do
  local limit = tonumber(ARGV[2 * i + 2])
  local window = tonumber(ARGV[2 * i + 3])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local c = redis.call('ZCARD', KEYS[i])
  counts[i] = c
  if limit - c < grant then grant = limit - c end
  if c >= limit then
    local e = redis.call('ZRANGE', KEYS[i], c - limit, c - limit, 'WITHSCORES')
    local wait = tonumber(e[2]) + window - now
    if wait > retry then retry = wait end
  end
end
if grant < 0 then grant = 0 end

local out = {grant, retry}
for i = 1, n do
  local limit = tonumber(ARGV[2 * i + 2])
  local window = tonumber(ARGV[2 * i + 3])
  local c = counts[i]
  if grant > 0 then
    local args = {}
    for j = 1, grant do
      if j == 1 then args[#args + 1] = now else args[#args + 1] = now + lease end
      args[#args + 1] = ARGV[1] .. ':' .. j
    end
    redis.call('ZADD', KEYS[i], unpack(args))
    redis.call('PEXPIRE', KEYS[i], math.ceil((window + lease) / 1000))
    c = c + grant
  end
  local reset = 0
  if c > 0 then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    reset = tonumber(oldest[2]) + window - now
  end
  local remaining = limit - c
  if remaining < 0 then remaining = 0 end
  out[#out + 1] = remaining
  out[#out + 1] = reset
end
return out
