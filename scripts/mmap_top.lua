-- Lab 2.2a: which process makes the most mmap() calls? Count per process
-- name, print the counts every 30 s (they keep adding up, as in bpftrace).
-- bpftrace: t:syscalls:sys_enter_mmap { @[comm] = count(); } interval:s:30 { print(@); }
-- usage: luabpf scripts/mmap_top.lua [PERIOD]        (default: 30s)
local bpf = require "luabpf"

local period = arg[1] or "30s"
local mmaps = bpf.map()

bpf.tracepoint("syscalls:sys_enter_mmap", function(e)
  mmaps[e.comm] = bpf.count()
end)

bpf.interval(period, function()              -- plain Lua, in user space
  print(os.date("%H:%M:%S"))
  bpf.print(mmaps)
end)
