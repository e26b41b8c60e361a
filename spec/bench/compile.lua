-- spec/bench/compile.lua: compile time per handler of a big script (make
-- bench, section n). One chunk of ~1.3 MB (HANDLERS kernel handlers,
-- each beside a user-space function as padding), loaded with bpf.load as
-- the luabpf command loads a script; s:compile() of one handler after
-- another (the first pays for the chunk: Lua compiles it again to prove
-- the text, and it is scanned once), then of one handler again. No
-- kernel needed. Prints a Markdown table row.
-- usage: lua5.4 spec/bench/compile.lua [HANDLERS [SAMPLES]]
local bpf = require "luabpf"
local now = bpf._core.now
local nhandlers, samples = tonumber(arg[1] or 4000), tonumber(arg[2] or 400)

local parts = { "local bpf, s, H = ...\nlocal P = {}\nlocal m = s:map 'calls'\n" }
for i = 1, nhandlers do
  parts[#parts + 1] = ([[
H[%d] = function(e)
  if e.pid == %d and e.uid ~= 0 then
    m[e.comm] = bpf.count()
  end
end
P[%d] = function(t)
  local acc = 0
  for k, v in pairs(t) do
    if type(v) == 'number' then acc = acc + v * %d else acc = acc .. tostring(k) end
  end
  return acc, 'padding string number %d, here to make the chunk big'
end
]]):format(i, i, i, i, i)
end
local src = table.concat(parts)

local function median(t)
  table.sort(t)
  local n = #t
  if n % 2 == 1 then return t[(n + 1) // 2] end
  return (t[n // 2] + t[n // 2 + 1]) / 2
end

local s = bpf.session()
local H = {}
assert(bpf.load(src, "@bench-compile.lua"))(bpf, s, H)
local PROBE, FIELDS = "tracepoint:syscalls:sys_enter_getppid", {}
local function ms(fn)
  local t0 = now()
  s:compile(PROBE, fn, FIELDS)
  return (now() - t0) / 1e6
end

local first = ms(H[1])
local each, again = {}, {}
local step = math.max(1, (nhandlers - 1) // samples)
for i = 2, nhandlers, step do each[#each + 1] = ms(H[i]) end
for _ = 1, samples do again[#again + 1] = ms(H[nhandlers]) end
print(string.format("| compile per handler, %.1f MB script (%d handlers; median of %d) | %.3f ms " ..
  "(the same handler again %.3f ms; the chunk's first %.0f ms) | - | - | - | target <= 1 ms |",
  #src / 1e6, nhandlers, #each, median(each), median(again), first))
s:close()
