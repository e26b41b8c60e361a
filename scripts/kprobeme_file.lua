-- Lab 3.3a: which file does kprobeme open (with the old open syscall)?
-- usage: luabpf -p PID scripts/kprobeme_file.lua     (PID: kprobeme's)
--        luabpf -c 'kprobeme --iterations 10' scripts/kprobeme_file.lua
-- bpftrace: bpftrace -p PID -e 't:syscalls:sys_enter_open { print(str(args->filename)); }'
-- -p limits every probe to that process, like bpftrace's /pid == $1/:
-- the answer is /proc/uptime, once per iteration.
local bpf = require "luabpf"

bpf.tracepoint("syscalls:sys_enter_open", function(e)
  bpf.printf("%s\n", e.args.filename)
end)
