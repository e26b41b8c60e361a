-- Lab 3.3b: which descriptor does each of kprobeme's opens return?
-- usage: luabpf -p PID scripts/kprobeme_fds.lua
-- bpftrace: t:syscalls:sys_enter_open { @name[tid] = str(args->filename); }
--           t:syscalls:sys_exit_open /@name[tid] != ""/ {
--             printf("%s: %d\n", @name[tid], args->ret); delete(@name[tid]); }
-- A string-valued map carries the file name from the entry (where it is
-- an argument) to the exit (where the fd is the result).  kprobeme shows
-- the same fd four times in a row (opened and closed), then a new one:
-- each fifth open is never closed, so the next lowest free fd is one up.
local bpf = require "luabpf"

local name = bpf.map()                       -- tid -> file name

bpf.tracepoint("syscalls:sys_enter_open", function(e)
  name[e.tid] = e.args.filename
end)

bpf.tracepoint("syscalls:sys_exit_open", function(e)
  if name[e.tid] ~= "" then
    bpf.printf("%s: %d\n", name[e.tid], e.args.ret)
    name[e.tid] = nil
  end
end)
