-- Lab 2.2c: what share of one process's mmap() calls are MAP_SHARED, and
-- what share MAP_PRIVATE? (mapit: 75 % shared, 25 % private)
-- bpftrace: t:syscalls:sys_enter_mmap /comm == "mapit"/ { @total = count();
--             if (args->flags & MAP_SHARED) { @shared = count(); }
--             if (args->flags & MAP_PRIVATE) { @private = count(); } }
--           END { printf("shared %d%%, private %d%%\n", @shared * 100 / @total, @private * 100 / @total); }
-- usage: luabpf scripts/mmap_shared.lua [COMM]       (default: mapit)
local bpf = require "luabpf"
-- constants from the system headers, captured one by one (a handler can
-- use numbers captured from outside, not a table)
local MAP_SHARED, MAP_PRIVATE = bpf.constants.MAP_SHARED, bpf.constants.MAP_PRIVATE

local comm = arg[1] or "mapit"
local mmaps = bpf.map()                      -- mmaps.total is bpftrace's @total

bpf.tracepoint("syscalls:sys_enter_mmap", function(e)
  if e.comm == comm then
    mmaps.total = bpf.count()
    -- parentheses needed: in Lua "~=" binds tighter than "&"
    if (e.args.flags & MAP_SHARED) ~= 0 then mmaps.shared = bpf.count() end
    if (e.args.flags & MAP_PRIVATE) ~= 0 then mmaps.private = bpf.count() end
  end
end)

bpf.END(function()                           -- plain Lua: floats are fine here
  local total = mmaps.total or 0
  if total > 0 then
    print(string.format("shared: %.1f%%, private: %.1f%% of %d mmap calls",
                        100 * (mmaps.shared or 0) / total,
                        100 * (mmaps.private or 0) / total, total))
  end
end)
