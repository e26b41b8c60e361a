-- Lab 3.3c: is kprobeme leaking descriptors?  Keep the set of its open
-- /proc/uptime descriptors: add each on open's exit, remove it on close;
-- what is left when it ends was never closed.
-- usage: luabpf -p PID scripts/kprobeme_leak.lua [FILE]   (FILE: /proc/uptime)
--        luabpf -c 'kprobeme --iterations 20 --period-ms 10' scripts/kprobeme_leak.lua
-- bpftrace: t:syscalls:sys_enter_open /str(args->filename) == "/proc/uptime"/ { @want[tid] = 1; }
--           t:syscalls:sys_exit_open /@want[tid]/ { if (args->ret >= 0) { @fds[args->ret] = 1; } delete(@want[tid]); }
--           t:syscalls:sys_enter_close { delete(@fds[args->fd]); }
--           END { clear(@want); }
-- Keys are bare fds, so this needs -p (one process).  kprobeme leaks one
-- descriptor in five: after N iterations, N/5 remain in @fds.
local bpf = require "luabpf"

local file = arg[1] or "/proc/uptime"
local want = bpf.map()                       -- tid -> 1 between enter and exit
local fds = bpf.map()                        -- the set: fd -> 1

bpf.tracepoint("syscalls:sys_enter_open", function(e)
  if bpf.str(e.args.filename) == file then want[e.tid] = 1 end
end)

bpf.tracepoint("syscalls:sys_exit_open", function(e)
  if want[e.tid] then
    if e.args.ret >= 0 then fds[e.args.ret] = 1 end
    want[e.tid] = nil
  end
end)

bpf.tracepoint("syscalls:sys_enter_close", function(e)
  fds[e.args.fd] = nil
end)

bpf.END(function()
  bpf.clear(want)
  print(string.format("%s descriptors never closed: %d", file, #fds))
end)
