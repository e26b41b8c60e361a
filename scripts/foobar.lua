-- Lab 4.2: how often are uprobeme's foo() and bar() called?  Counted per
-- probe, printed every interval (not cleared: running totals).
-- usage: luabpf scripts/foobar.lua [PATH [PERIOD]]   (build/bin/uprobeme, 1s)
-- bpftrace: uprobe:/path/uprobeme:foo,uprobe:/path/uprobeme:bar { @[probe] = count(); }
--           interval:s:1 { time(); print(@); }
-- A uprobe is PATH:function; it fires in every process that runs that
-- file (or only in PID's with luabpf -p PID).  e.probe names the probe,
-- as bpftrace prints it: uprobe:PATH:foo.
local bpf = require "luabpf"

local path = arg[1] or "build/bin/uprobeme"
local calls = bpf.map()

local function count(e) calls[e.probe] = bpf.count() end
bpf.uprobe(path .. ":foo", count)
bpf.uprobe(path .. ":bar", count)

bpf.interval(arg[2] or "1s", function()
  print(os.date("%H:%M:%S"))
  bpf.print(calls)
end)
