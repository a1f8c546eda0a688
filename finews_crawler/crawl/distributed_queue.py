"""A scrapy-redis priority queue whose pops are leases, so a dead worker loses nothing.

scrapy-redis pops a request out of Redis for good: a worker killed with SIGKILL takes its
in-flight requests with it. Here a pop atomically moves the request into a lease instead
(zset `<queue>:leases`, lease id -> deadline in Redis server time, data in `<queue>:leased`).
The worker renews its leases while it works and acknowledges each one once the engine is
done with the request; any worker's reaper puts leases whose deadline passed back into the
queue, unfiltered (their fingerprints are already in the dupefilter). All of it runs as
Lua scripts on the server: atomic however many workers race, and one round trip each.

A round of a crawl has work pending while the queue or the leases are not empty; a worker
that joins when nothing is pending starts a new round and forgets the last round's
fingerprints, whoever left them. A joining worker holds a seeding lease (no data) until its
start requests are queued, so a second worker starting at once joins the same round.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from scrapy.http import Request
from scrapy_redis.queue import PriorityQueue

SEEDING = "seeding"

# Pop the best request and lease it: ZADD leases deadline id; HSET leased id data id:score s.
_POP = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = ARGV[1] .. '#' .. ARGV[3]
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)
redis.call('HSET', KEYS[3], id, item[1], id .. ':score', item[2])
return {id, item[1]}
"""

# Push the deadline of the given leases forward; the count renewed (a reaped one is gone).
_RENEW = """
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local renewed = 0
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], deadline, ARGV[i])
    renewed = renewed + 1
  end
end
return renewed
"""

# Done with these leases: forget them.
_ACK = """
for i = 1, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
  redis.call('HDEL', KEYS[2], ARGV[i], ARGV[i] .. ':score')
end
return #ARGV
"""

# Leases back into the queue: the expired ones (ARGV[1] == 'expired', at most ARGV[2]) or
# the ones named. A lease without data (a seeding lease) just ends. Returns requests requeued.
_REQUEUE = """
local ids
if ARGV[1] == 'expired' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
else
  ids = {unpack(ARGV, 3)}
end
local requeued = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local data = redis.call('HGET', KEYS[2], id)
    local score = redis.call('HGET', KEYS[2], id .. ':score')
    if data then
      redis.call('ZADD', KEYS[3], score or 0, data)
      requeued = requeued + 1
    end
    redis.call('HDEL', KEYS[2], id, id .. ':score')
  end
end
return requeued
"""

# Join the round: when nothing is pending, a new round (the old fingerprints go); then hold
# the seeding lease. Returns 1 for a new round, 0 when joining one under way.
_JOIN = """
local pending = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
if pending == 0 then redis.call('DEL', KEYS[3]) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
if pending == 0 then return 1 end
return 0
"""

# Leave: when nothing is pending any more, the round is over: its fingerprints go.
_LEAVE = """
local pending = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
if pending == 0 then redis.call('DEL', KEYS[3]) end
return pending
"""

REAP_BATCH = 1000  # expired leases requeued per call: one call stays short


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis's PriorityQueue (same key, same order) with leased pops.

    `owner` names the worker in its lease ids (for people reading Redis; expiry alone
    decides a reap), `lease_ms` is how long a lease lives unless renewed.
    """

    owner = "worker"
    lease_ms = 30_000

    def __init__(self, server, spider, key, serializer=None) -> None:
        super().__init__(server, spider, key, serializer)
        self.leases_key = f"{self.key}:leases"
        self.leased_key = f"{self.key}:leased"
        self.held: dict[str, Request] = {}  # lease id -> the request this worker works on
        self._numbers = itertools.count(1)
        self.seeding = False  # holding the seeding lease
        self._pop = server.register_script(_POP)
        self._renew = server.register_script(_RENEW)
        self._ack = server.register_script(_ACK)
        self._requeue = server.register_script(_REQUEUE)
        self._join = server.register_script(_JOIN)
        self._leave = server.register_script(_LEAVE)

    @property
    def seeding_lease(self) -> str:
        return f"{self.owner}#{SEEDING}"

    def pop(self, timeout: int = 0) -> Request | None:
        """The best request, leased to this worker until acknowledged (timeout unsupported,
        as in scrapy-redis's PriorityQueue)."""
        keys = [self.key, self.leases_key, self.leased_key]
        found = self._pop(keys=keys, args=[self.owner, self.lease_ms, next(self._numbers)])
        if not found:
            return None
        lease, data = found
        request = self._decode_request(data)
        self.held[lease.decode() if isinstance(lease, bytes) else lease] = request
        return request

    def renew(self) -> int:
        """Push the deadline of every lease held forward; how many were lost to a reaper."""
        leases = [*self.held, *([self.seeding_lease] if self.seeding else [])]
        if not leases:
            return 0
        renewed = self._renew(keys=[self.leases_key], args=[self.lease_ms, *leases])
        return len(leases) - int(renewed)

    def ack(self, leases: Iterable[str]) -> int:
        """These requests are fully handled: their leases end."""
        leases = list(leases)
        for lease in leases:
            self.held.pop(lease, None)
        if not leases:
            return 0
        return int(self._ack(keys=[self.leases_key, self.leased_key], args=leases))

    def release(self, leases: Iterable[str]) -> int:
        """Give these leases back now (their requests return to the queue)."""
        leases = list(leases)
        for lease in leases:
            self.held.pop(lease, None)
        if not leases:
            return 0
        keys = [self.leases_key, self.leased_key, self.key]
        return int(self._requeue(keys=keys, args=["named", 0, *leases]))

    def reap(self) -> int:
        """Requeue leases whose deadline passed (their worker died or stalled)."""
        keys = [self.leases_key, self.leased_key, self.key]
        return int(self._requeue(keys=keys, args=["expired", REAP_BATCH]))

    def join(self, dupefilter_key: str) -> bool:
        """Join the round under way, or start a new one (True) when nothing is pending."""
        keys = [self.key, self.leases_key, dupefilter_key]
        self.seeding = True
        return bool(self._join(keys=keys, args=[self.seeding_lease, self.lease_ms]))

    def seeded(self) -> None:
        """This worker's start requests are queued: its seeding lease ends."""
        if self.seeding:
            self.seeding = False
            self.ack([self.seeding_lease])

    def leave(self, dupefilter_key: str) -> int:
        """Requests still pending in the round; none left: its fingerprints are cleared."""
        keys = [self.key, self.leases_key, dupefilter_key]
        return int(self._leave(keys=keys))

    def pending(self) -> int:
        """Requests queued or leased, by any worker."""
        pipe = self.server.pipeline(transaction=False)
        pipe.zcard(self.key).zcard(self.leases_key)
        queued, leased = pipe.execute()
        return int(queued) + int(leased)

    def clear(self) -> None:
        super().clear()
        self.server.delete(self.leases_key, self.leased_key)
        self.held.clear()
