-- Lab 1.6: sample every CPU every 10 ms and count non-root threads by
-- (cpu, comm).
-- bpftrace: profile:ms:10 { if (uid != 0) { @[cpu, comm]++; } }
local bpf = require "luabpf"

local oncpu = bpf.map()

bpf.profile("10ms", function(e)
  if e.uid ~= 0 then
    oncpu[{ e.cpu, e.comm }] = oncpu[{ e.cpu, e.comm }] + 1
  end
end)
