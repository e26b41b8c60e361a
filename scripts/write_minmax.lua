-- Lab 1.5c: the histogram of write() times plus their min and max.
-- bpftrace: $ts = nsecs - @ts[tid]; @h[probe] = hist($ts); @maxwrite[probe] = max($ts); @minwrite[probe] = min($ts);
-- usage: luabpf scripts/write_minmax.lua TID
local bpf = require "luabpf"

local tid = tonumber(arg[1]) or error("usage: write_minmax.lua TID")
local ts, h, maxwrite, minwrite = bpf.map(), bpf.map(), bpf.map(), bpf.map()

bpf.tracepoint("syscalls:sys_enter_write", function(e)
  if e.tid == tid then ts[e.tid] = e.nsecs end
end)

bpf.tracepoint("syscalls:sys_exit_write", function(e)
  if ts[e.tid] then
    local d = e.nsecs - ts[e.tid]
    h[e.probe] = bpf.hist(d)
    maxwrite[e.probe] = bpf.max(d)
    minwrite[e.probe] = bpf.min(d)
    ts[e.tid] = nil
  end
end)
