-- Lab 1.2, second form: the count as a sum of ones.
-- bpftrace: tracepoint:syscalls:sys_enter_* { @[comm] = sum(1); }
local bpf = require "luabpf"

local calls = bpf.map()

bpf.tracepoint("syscalls:sys_enter_*", function(e)
  calls[e.comm] = bpf.sum(1)
end)
