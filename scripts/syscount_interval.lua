-- Lab 1.3: print the per-process counts every 10 s, top 10 only, clear
-- them after each print, and exit after 3 rounds.
-- bpftrace: interval:s:10 { print(@, 10); clear(@); if (++@i == 3) { exit(); } }
-- usage: luabpf scripts/syscount_interval.lua [PERIOD [ROUNDS]]  (10s 3)
local bpf = require "luabpf"

local period, last = arg[1] or "10s", tonumber(arg[2]) or 3
local calls = bpf.map()

bpf.tracepoint("syscalls:sys_enter_*", function(e)
  calls[e.comm] = bpf.count()
end)

local rounds = 0
bpf.interval(period, function()
  rounds = rounds + 1
  print(os.date("%H:%M:%S") .. " round " .. rounds)
  bpf.print(calls, 10)
  bpf.clear(calls)
  if rounds == last then bpf.exit() end
end)
