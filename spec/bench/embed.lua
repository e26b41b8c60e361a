-- spec/bench/embed.lua: what an embedding host pays (make bench, section
-- g). s:start() and s:close() of a session with one tracepoint
-- (sys_enter_getppid, one count map), ROUNDS x 2 times, medians; the RSS
-- of a host holding 10 started sessions. Prints Markdown table rows.
-- (Nearly all of close() is one close(2) of the tracepoint's perf event:
-- the kernel unregisters the probe and waits for RCU there; strace -T
-- shows it, 84 ms of an 85 ms close in one run.) The same again on
-- raw_syscalls:sys_enter, which luabpf attaches as a raw tracepoint (its
-- handler reads no field of the record): no RCU wait at close.
local bpf = require "luabpf"
local now = bpf._core.now
local rounds = tonumber(os.getenv("ROUNDS") or "5")

local function median(t)
  table.sort(t)
  local n = #t
  if n % 2 == 1 then return t[(n + 1) // 2] end
  return (t[n // 2] + t[n // 2 + 1]) / 2
end

local function session(tp)
  local s = bpf.session()
  local m = s:map "calls"
  s:tracepoint(tp or "syscalls:sys_enter_getppid", function(e) m[e.comm] = bpf.count() end)
  return s
end

local function rss_kib()
  return tonumber(io.open("/proc/self/status"):read("a"):match("VmRSS:%s*(%d+)"))
end

-- start_close(tp): medians of s:start() and s:close() in ms, ROUNDS x 2
local function start_close(tp)
  local start, close = {}, {}
  for _ = 1, rounds * 2 do
    local s = session(tp)
    local t0 = now()
    s:start()
    local t1 = now()
    s:close()
    local t2 = now()
    start[#start + 1] = (t1 - t0) / 1e6
    close[#close + 1] = (t2 - t1) / 1e6
  end
  return median(start), median(close), #start
end
session():close() -- warm: module, templates, tracefs lookups
local start, close, n = start_close()
local rstart, rclose = start_close("raw_syscalls:sys_enter")

collectgarbage()
collectgarbage()
local sessions = {}
for i = 1, 10 do
  sessions[i] = session()
  sessions[i]:start()
end
local rss = rss_kib()
for _, s in ipairs(sessions) do s:close() end

print(string.format("| embedding: s:start(), one tracepoint (median of %d) | sys_enter_getppid %.1f ms, raw_syscalls:sys_enter (raw) %.1f ms | - | - | - | target <= 25 ms |",
                    n, start, rstart))
print(string.format("| embedding: s:close(), one tracepoint (median of %d) | sys_enter_getppid %.1f ms, raw_syscalls:sys_enter (raw) %.1f ms | - | - | - | target <= 10 ms where the kernel allows |",
                    n, close, rclose))
print(string.format("| embedding: RSS of a host with 10 started sessions | %.1f MiB | - | - | - | target <= 10 MiB |",
                    rss / 1024))
