-- Lab 3.2a: kernel lock contentions that last longer than a threshold.
-- usage: luabpf scripts/lock_contention.lua NSECS
-- bpftrace: t:lock:contention_begin { @[tid, args.lock_addr] = nsecs; }
--           t:lock:contention_end /@[tid, args.lock_addr]/ {
--             $d = nsecs - @[tid, args.lock_addr];
--             if ($d > $1) { printf("%s tid %d lock %p waited %d ns\n", comm, tid, args.lock_addr, $d); }
--             delete(@[tid, args.lock_addr]); }
-- A thread waits for one lock at a time, but keying by (tid, lock) as
-- the lab does keeps a begin from ever matching another lock's end.
local bpf = require "luabpf"

local threshold = tonumber(arg[1]) or error("usage: lock_contention.lua NSECS")
local start = bpf.map()                      -- bpftrace's @, (tid, lock) -> nsecs

bpf.tracepoint("lock:contention_begin", function(e)
  start[{ e.tid, e.args.lock_addr }] = e.nsecs
end)

bpf.tracepoint("lock:contention_end", function(e)
  if start[{ e.tid, e.args.lock_addr }] then
    local d = e.nsecs - start[{ e.tid, e.args.lock_addr }]
    if d > threshold then
      bpf.printf("%s tid %d lock %p waited %d ns\n", e.comm, e.tid, e.args.lock_addr, d)
    end
    start[{ e.tid, e.args.lock_addr }] = nil -- delete
  end
end)
