-- Lab 1.5b: the write() times of one thread as a power-of-two histogram.
-- bpftrace: ... t:syscalls:sys_exit_write /@ts[tid]/ { @h[probe] = hist(nsecs - @ts[tid]); delete(@ts[tid]); }
-- usage: luabpf scripts/write_hist.lua TID
local bpf = require "luabpf"

local tid = tonumber(arg[1]) or error("usage: write_hist.lua TID")
local ts, h = bpf.map(), bpf.map()

bpf.tracepoint("syscalls:sys_enter_write", function(e)
  if e.tid == tid then ts[e.tid] = e.nsecs end
end)

bpf.tracepoint("syscalls:sys_exit_write", function(e)
  if ts[e.tid] then
    h[e.probe] = bpf.hist(e.nsecs - ts[e.tid])
    ts[e.tid] = nil
  end
end)
