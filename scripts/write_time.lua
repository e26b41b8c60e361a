-- Lab 1.5a: how long each write() of one thread takes.
-- bpftrace: t:syscalls:sys_enter_write /tid == $1/ { @ts[tid] = nsecs; }
--           t:syscalls:sys_exit_write /@ts[tid]/ { printf("time taken for write: %lld\n", nsecs - @ts[tid]); delete(@ts[tid]); }
-- usage: luabpf scripts/write_time.lua TID
local bpf = require "luabpf"

local tid = tonumber(arg[1]) or error("usage: write_time.lua TID")
local ts = bpf.map()

bpf.tracepoint("syscalls:sys_enter_write", function(e)
  if e.tid == tid then ts[e.tid] = e.nsecs end
end)

bpf.tracepoint("syscalls:sys_exit_write", function(e)
  if ts[e.tid] then                      -- a missing value tests false
    bpf.printf("time taken for write: %lld\n", e.nsecs - ts[e.tid])
    ts[e.tid] = nil                      -- delete
  end
end)
