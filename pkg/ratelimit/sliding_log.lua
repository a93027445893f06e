-- Exact sliding-log rate limit over one or more keys, all or nothing.
-- KEYS[i]            sorted set of admitted requests (score = microseconds)
-- ARGV[1]            unique member for this request
-- ARGV[2i], ARGV[2i+1]  limit and window (microseconds) of KEYS[i]
-- Returns {allowed, retry_after_us, remaining_1, reset_us_1, remaining_2, ...}.
-- The clock is the Redis server's, so every gateway replica agrees on it.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local counts = {}
local allowed = 1
local retry = 0

for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local c = redis.call('ZCARD', KEYS[i])
  counts[i] = c
  if c >= limit then
    allowed = 0
    -- Room appears when the (c - limit + 1)-th oldest entry leaves the window.
    local e = redis.call('ZRANGE', KEYS[i], c - limit, c - limit, 'WITHSCORES')
    local wait = tonumber(e[2]) + window - now
    if wait > retry then retry = wait end
  end
end

local out = {allowed, retry}
for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local c = counts[i]
  if allowed == 1 then
    redis.call('ZADD', KEYS[i], now, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], math.ceil(window / 1000))
    c = c + 1
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
