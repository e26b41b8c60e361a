-- Lab 1.7: which user stacks make close() calls in one process, by name.
-- bpftrace: t:syscalls:sys_enter_close /comm == "X"/ { @[ustack] = count(); }
-- usage: luabpf scripts/close_stacks.lua COMM
local bpf = require "luabpf"

local comm = arg[1] or error("usage: close_stacks.lua COMM")
local stacks = bpf.map()

bpf.tracepoint("syscalls:sys_enter_close", function(e)
  if e.comm == comm then
    stacks[e.ustack] = bpf.count()
  end
end)
