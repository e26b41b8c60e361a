-- Flame graph generation time for ~10,000 real stacks (`make bench`, run
-- by spec/bench/run as root): fanout's THREADS threads each call
-- getppid() from 2^DEPTH distinct user stacks; a session keyed by {tid,
-- ustack} counts them, then the timed part: the map's entries with their
-- stacks symbolized (bpf.maps.entries(m, "frames"), cold symbol caches),
-- folding, the SVG. Prints one line, wall times and CPU times (ms):
--   stacks=N entries_ms= folded_ms= svg_ms= total_ms= cpu_ms= entries_cpu_ms=
--   svg_cpu_ms= svg_kib=
-- usage: lua5.4 spec/bench/flamegraph.lua BINDIR [THREADS [DEPTH [SVGFILE]]]
local bpf = require "luabpf"
local fg = require "luabpf.flamegraph"

local bin, threads, depth = arg[1], tonumber(arg[2] or 12), tonumber(arg[3] or 10)
local calls = 1 << depth
local w = io.popen(("%s/fanout --wait-signal --hold --threads %d --depth %d --calls %d")
  :format(bin, threads, depth, calls))
local pid = tonumber(w:read("l"):match("^pid=(%d+)"))

local s = bpf.session()
s:on_event(function() end) -- nothing printed
local m = s:map { max_entries = threads * calls + 16 }
s:tracepoint("syscalls:sys_enter_getppid", function(e)
  if e.pid == pid then m[{ e.tid, e.ustack }] = bpf.count() end
end)
s:start()
os.execute("kill -USR1 " .. pid)
assert(w:read("l") == "done", "fanout did not finish")

-- wall and CPU time (the machine is shared: CPU time says what it costs)
local function now() return bpf._core.now(), os.clock() end
local t0, c0 = now()
local list = fg.stacks(m) -- entries, symbolized
local t1, c1 = now()
local folded = fg.folded(list)
local t2, c2 = now()
local svg = fg.svg(list)
local t3, c3 = now()
s:close()
os.execute("kill -USR1 " .. pid)
w:close()

if arg[4] then -- to look at
  local f = assert(io.open(arg[4], "w"))
  f:write(svg)
  f:close()
end
local total = 0
for _, st in ipairs(list) do total = total + st.count end
assert(total == threads * calls, ("counted %d calls of %d"):format(total, threads * calls))
assert(select(2, folded:gsub("\n", "")) == #list)
print(("stacks=%d entries_ms=%.0f folded_ms=%.0f svg_ms=%.0f total_ms=%.0f cpu_ms=%.0f " ..
       "entries_cpu_ms=%.0f svg_cpu_ms=%.0f svg_kib=%d"):format(
  #list, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t3 - t0) / 1e6, (c3 - c0) * 1e3,
  (c1 - c0) * 1e3, (c3 - c2) * 1e3, #svg // 1024))
