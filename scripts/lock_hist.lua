-- Lab 3.2b/c (and the 3.2d stretch): the long lock waits as histograms,
-- one per lock address, in a map named long_block_times; at the end only
-- that map is printed.
-- usage: luabpf scripts/lock_hist.lua NSECS [detail]
-- bpftrace: t:lock:contention_begin { @[tid, args.lock_addr] = nsecs; }
--           t:lock:contention_end /@[tid, args.lock_addr]/ {
--             $d = nsecs - @[tid, args.lock_addr];
--             if ($d > $1) { @long_block_times[args.lock_addr] = hist($d); }
--             delete(@[tid, args.lock_addr]); }
--           END { clear(@); }
-- The scratch map (bpftrace's @, here `start`) still holds the begins
-- whose end never came while tracing; END clears it, so the exit print
-- shows only @long_block_times (3.2c).
--
-- 3.2d, with `detail` as second argument: what kind of lock each
-- contention is, from the flags of contention_begin (LCB_F_SPIN 1,
-- READ 2, WRITE 4, RT 8, PERCPU 16, MUTEX 32, include/trace/events/lock.h),
-- counted in @kinds; and for each long wait, the lock's kernel symbol
-- (bpftrace: ksym(args.lock_addr); locks inside heap objects, such as an
-- mm's mmap_lock, have none and print as an address) and the waiter's
-- kernel stack.
local bpf = require "luabpf"

local threshold = tonumber(arg[1]) or error("usage: lock_hist.lua NSECS [detail]")
local detail = arg[2] == "detail"

local start = bpf.map()                      -- bpftrace's @: (tid, lock) -> nsecs
local long_block_times = bpf.map()
local kinds = bpf.map()

bpf.tracepoint("lock:contention_begin", function(e)
  start[{ e.tid, e.args.lock_addr }] = e.nsecs
  if detail then
    local f = e.args.flags
    if (f & 32) ~= 0 then
      kinds.mutex = bpf.count()
    elseif (f & 16) ~= 0 then
      kinds.percpu_rwsem = bpf.count()
    elseif (f & 8) ~= 0 then
      kinds.rtmutex = bpf.count()
    elseif (f & 1) ~= 0 then
      if (f & 6) ~= 0 then kinds.rwlock = bpf.count() else kinds.spinlock = bpf.count() end
    elseif (f & 2) ~= 0 then
      kinds.rwsem_read = bpf.count()
    elseif (f & 4) ~= 0 then
      kinds.rwsem_write = bpf.count()
    else
      kinds.other = bpf.count()
    end
  end
end)

bpf.tracepoint("lock:contention_end", function(e)
  if start[{ e.tid, e.args.lock_addr }] then
    local d = e.nsecs - start[{ e.tid, e.args.lock_addr }]
    if d > threshold then
      long_block_times[e.args.lock_addr] = bpf.hist(d)
      if detail then
        bpf.printf("%s waited %d ns for %s\n%s\n", e.comm, d, bpf.ksym(e.args.lock_addr), e.kstack)
      end
    end
    start[{ e.tid, e.args.lock_addr }] = nil
  end
end)

bpf.END(function()
  bpf.clear(start)                              -- bpftrace: clear(@)
end)
