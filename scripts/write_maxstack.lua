-- Lab 1.5d: print the user stack whenever a thread's write() takes longer
-- than any before it.
-- bpftrace: $ts = nsecs - @ts[tid]; if ($ts > @curmaxval[tid]) { @curmaxval[tid] = $ts;
--           printf("New max value hit: %llu nsecs\n", $ts); printf("%s\n", ustack()); }
-- usage: luabpf scripts/write_maxstack.lua TID
local bpf = require "luabpf"

local tid = tonumber(arg[1]) or error("usage: write_maxstack.lua TID")
local ts, curmax = bpf.map(), bpf.map()

bpf.tracepoint("syscalls:sys_enter_write", function(e)
  if e.tid == tid then ts[e.tid] = e.nsecs end
end)

bpf.tracepoint("syscalls:sys_exit_write", function(e)
  if ts[e.tid] then
    local d = e.nsecs - ts[e.tid]
    if d > curmax[e.tid] then            -- missing reads as 0
      curmax[e.tid] = d
      bpf.printf("New max value hit: %llu nsecs\n", d)
      bpf.printf("%s\n", e.ustack)
    end
    ts[e.tid] = nil
  end
end)
