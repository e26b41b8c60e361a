-- Lab 4.1: how long processes live, from libc's start to exit(), as a
-- histogram per comm; with `s` as argument, in whole seconds.
-- usage: luabpf scripts/lifetimes.lua [s]
-- bpftrace: uprobe:libc:__libc_start_main { @start[pid] = nsecs; }
--           uprobe:libc:exit /@start[pid]/ { @life[comm] = hist(nsecs - @start[pid]); delete(@start[pid]); }
--           END { clear(@start); }
--   then:   ... hist((nsecs - @start[pid]) / 1000000000) ...
-- "libc" is found like the dynamic loader finds it (here
-- /lib/x86_64-linux-gnu/libc.so.6); every dynamically linked program
-- enters __libc_start_main once and, when main returns or calls exit(),
-- calls exit() once.  Programs that end otherwise (_exit, a signal, exec
-- into a static binary) never reach exit() and are not counted; comm is
-- the name at exit (after any exec or prctl).
local bpf = require "luabpf"

local div = arg[1] == "s" and 1000000000 or 1
local start = bpf.map()                      -- pid -> nsecs at libc start
local life = bpf.map()

bpf.uprobe("libc:__libc_start_main", function(e)
  start[e.pid] = e.nsecs
end)

bpf.uprobe("libc:exit", function(e)
  if start[e.pid] then
    life[e.comm] = bpf.hist((e.nsecs - start[e.pid]) / div)
    start[e.pid] = nil
  end
end)

bpf.END(function()
  bpf.clear(start)                              -- bpftrace: clear(@start)
end)
