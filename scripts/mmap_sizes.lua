-- Lab 2.2b: the sizes, in KiB, of the segments one process maps.
-- bpftrace: t:syscalls:sys_enter_mmap /comm == "mapit"/ { @[args->len / 1024] = count(); }
-- usage: luabpf scripts/mmap_sizes.lua [COMM]        (default: mapit)
-- mapit maps 4, 8, ..., 40 KiB (1 to 10 pages): ten keys, equal counts.
local bpf = require "luabpf"

local comm = arg[1] or "mapit"
local sizes = bpf.map()

bpf.tracepoint("syscalls:sys_enter_mmap", function(e)
  if e.comm == comm then
    sizes[e.args.len / 1024] = bpf.count()   -- "/" divides integers here
  end
end)
