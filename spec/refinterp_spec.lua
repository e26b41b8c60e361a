-- The reference interpreter (luabpf/compiler/refrun.c) against Lua and
-- the kernel. Handlers over the integer subset (arithmetic with Lua's //
-- and %, comparisons, bit operations and shifts of any count, and/or/not,
-- locals, if/else) are generated from a seed; each is compiled by the
-- compiler's driver (spec/compiler/driver.c) and run on the same values
-- by the reference interpreter and by Lua calling the same function; a
-- sample is loaded for real on syscalls:sys_enter_prctl, whose arguments
-- a workload sets. A division by zero stops the run in the kernel and
-- the interpreter, where Lua raises an error: the maps keep what the run
-- wrote before it.
local H = require "spec.helper"

local SEED = tonumber(os.getenv("REFINTERP_SEED")) or 20261130
local HANDLERS = 300
local COMM_LUA = "lbrefgen"

local function R(n) return math.random(n) end

local POOL = { 0, 1, -1, 2, 3, 5, 7, -7, 8, 63, 64, 65, -63, -64, -65, 100, -100, 255, 1 << 32,
               math.maxinteger, math.mininteger, math.maxinteger - 1, math.mininteger + 1 }

local function value()
  local k = R(4)
  if k <= 2 then return POOL[R(#POOL)] end
  if k == 3 then return math.random(-1000, 1000) end
  return math.random(math.mininteger, math.maxinteger)
end

-- literals as Lua reads them back (negatives in parentheses)
local function lit(nonzero)
  local v = ({ 0, 1, 2, 3, 5, 7, 8, 31, 63, 64, 65, 100, 255, 4096, -1, -2, -7, -64, -65 })[R(19)]
  if nonzero and v == 0 then v = 3 end
  return v < 0 and ("(" .. v .. ")") or tostring(v)
end

local BINOPS = { "+", "-", "*", "//", "%", "&", "|", "~", "<<", ">>" }
local CMPS = { "==", "~=", "<", "<=", ">", ">=" }

local expr, cond

-- an integer expression; the second result: it reads a variable.
-- choice: may be `c and x or y` (not as x of another: the compiler
-- refuses a number there as a condition, Lua's "always true")
function expr(depth, vars, nochoice)
  if depth == 0 or R(4) == 1 then
    if R(4) > 1 then return vars[R(#vars)], true end
    return lit(), false
  end
  local k = R(12)
  if k <= 8 then
    local op = BINOPS[R(#BINOPS)]
    local l, lv = expr(depth - 1, vars)
    local r, rv = expr(depth - 1, vars)
    -- a divisor of constants only could fold to 0: Lua and the compiler
    -- would then both refuse it, at different times
    if (op == "//" or op == "%") and not rv then r, rv = lit(true), false end
    return "(" .. l .. " " .. op .. " " .. r .. ")", lv or rv
  elseif k <= 10 or nochoice then
    local e, v = expr(depth - 1, vars)
    return "(" .. (R(2) == 1 and "-" or "~") .. e .. ")", v
  end
  local c = cond(depth - 1, vars)
  local x, xv = expr(depth - 1, vars, true)
  local y, yv = expr(depth - 1, vars)
  return "(" .. c .. " and " .. x .. " or " .. y .. ")", xv or yv
end

function cond(depth, vars)
  local k = depth <= 0 and 1 or R(6)
  if k <= 3 then
    local l = expr(math.max(depth - 1, 0), vars)
    local r = expr(math.max(depth - 1, 0), vars)
    return "(" .. l .. " " .. CMPS[R(#CMPS)] .. " " .. r .. ")"
  elseif k == 4 then
    return "not " .. cond(depth - 1, vars)
  end
  return "(" .. cond(depth - 1, vars) .. (k == 5 and " and " or " or ") .. cond(depth - 1, vars) .. ")"
end

-- statements into out (lines), variables in scope vars, locals declared
-- so far in *nloc (the handler's registers are few)
local function block(out, vars, m, nest, n, st)
  local scope = { table.unpack(vars) }
  for _ = 1, n do
    local k = R(10)
    local ind = ("  "):rep(nest + 1)
    if k <= 4 then
      st.key = st.key + 1
      out[#out + 1] = ("%s%s[d + %d] = %s"):format(ind, m, st.key, (expr(3, scope)))
    elseif k <= 6 and st.nloc < 4 then
      st.nloc = st.nloc + 1
      local t = "t" .. st.nloc
      out[#out + 1] = ("%slocal %s = %s"):format(ind, t, (expr(2, scope)))
      scope[#scope + 1] = t
    elseif k == 7 and #scope > 4 then
      out[#out + 1] = ("%s%s = %s"):format(ind, scope[R(#scope - 4) + 4], (expr(2, scope)))
    elseif nest < st.maxnest then
      out[#out + 1] = ("%sif %s then"):format(ind, cond(2, scope))
      block(out, scope, m, nest + 1, R(3), st)
      if R(3) > 1 then
        out[#out + 1] = ind .. "else"
        block(out, scope, m, nest + 1, R(3), st)
      end
      out[#out + 1] = ind .. "end"
    else
      st.key = st.key + 1
      out[#out + 1] = ("%s%s[d + %d] = %s"):format(ind, m, st.key, (expr(2, scope)))
    end
  end
end

-- A handler as a chunk: `local target, m = ...` on line 1, the function
-- on lines 2 .. last, `return h` after it.
-- small: for the kernel, whose verifier walks every path through the
-- ifs (a few nested if/else in sequence pass its million instructions)
local function handler(m, small)
  local out = {
    ("local target, %s = ..."):format(m),
    "local h = function(e)",
    "  if e.comm ~= target then return end",
    "  local a, b, c, d = e.args.arg2, e.args.arg3, e.args.arg4, e.args.arg5",
  }
  block(out, { "a", "b", "c", "d" }, m, 0, small and R(3) + 2 or R(5) + 2,
    { key = 0, nloc = 0, maxnest = small and 1 or 2 })
  out[#out + 1] = ("  %s[d] = 1"):format(m) -- the run got to its end
  out[#out + 1] = "end"
  local last = #out
  out[#out + 1] = "return h"
  return table.concat(out, "\n") .. "\n", last
end

-- runs: { {a, b, c, d}, ... }; returns each run's end ("end" or
-- "divzero") and the map
local function in_lua(text, comm, runs)
  local m = {}
  local h = assert(load(text, "=handler"))(comm, m)
  local ends = {}
  for i, v in ipairs(runs) do
    local ok, err = pcall(h, { comm = comm, args = { arg2 = v[1], arg3 = v[2], arg4 = v[3], arg5 = v[4] } })
    if ok then
      ends[i] = "end"
    elseif tostring(err):find("attempt to perform 'n//0'", 1, true) or
      tostring(err):find("attempt to perform 'n%0'", 1, true) or
      tostring(err):find("attempt to divide by zero", 1, true) then -- Lua 5.4's words vary
      ends[i] = "divzero"
    else
      error("Lua raised: " .. tostring(err) .. "\n" .. text)
    end
  end
  return ends, m
end

local FIELDS = "--field option:16:8 --field arg2:24:8 --field arg3:32:8 --field arg4:40:8 --field arg5:48:8"

local function in_ref(driver, dir, name, text, last, comm, runs)
  local path = dir .. "/" .. name .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  local args = {}
  for _, v in ipairs(runs) do
    args[#args + 1] = ("--run 16=%d,24=%d,32=%d,40=%d,48=%d"):format(0x6c627266, v[1], v[2], v[3], v[4])
  end
  local p = io.popen(("%s %s 2 %d %s target=str:%s %s=map:0 --comm %s %s 2>&1"):format(
    driver, path, last, FIELDS, comm, name, comm, table.concat(args, " ")))
  local out = p:read("a")
  p:close()
  local ends, m = {}, {}
  for i, e in out:gmatch("\nrun (%d+): ([^\n]*)") do ends[tonumber(i) + 1] = e end
  for k, v in out:gmatch("\nref map 0 %[(%-?%d+)%] = (%-?%d+)") do
    m[math.tointeger(tonumber(k))] = math.tointeger(tonumber(v))
  end
  if #ends ~= #runs then error("the driver did not run the plan:\n" .. out .. "\n" .. text) end
  return ends, m, out
end

local function runs_of(n, first)
  local runs = {}
  for i = 1, n do runs[i] = { value(), value(), value(), (first + i - 1) * 100 } end
  return runs
end

describe("reference interpreter", function()
  local dir, driver
  setup(function()
    dir = H.tmpdir()
    driver = H.build_driver(dir)
  end)
  teardown(function() os.execute("rm -rf " .. dir) end)

  it(("agrees with Lua on %d generated handlers (seed %d)"):format(HANDLERS, SEED), function()
    math.randomseed(SEED)
    local stopped, ran = 0, 0
    for i = 1, HANDLERS do
      local name = "r" .. i
      local text, last = handler(name)
      local runs = runs_of(4, 0)
      local lends, lm = in_lua(text, COMM_LUA, runs)
      local rends, rm, out = in_ref(driver, dir, name, text, last, COMM_LUA, runs)
      local vals = {}
      for _, v in ipairs(runs) do vals[#vals + 1] = table.concat(v, ",") end
      local ctx = ("handler %d:\n%svalues: %s\n%s"):format(i, text, table.concat(vals, " / "), out)
      assert.are.same(lends, rends, ctx)
      assert.are.same(lm, rm, ctx)
      for _, e in ipairs(lends) do
        ran = ran + 1
        if e == "divzero" then stopped = stopped + 1 end
      end
    end
    -- the generator reaches both ends of a run
    assert.is_true(stopped > 0 and stopped < ran, ("%d of %d runs stopped"):format(stopped, ran))
  end)

  it("runs aggregations, plain maps, string keys and records as bpf/interp.h does", function()
    local path = dir .. "/agg.lua"
    local f = assert(io.open(path, "w"))
    f:write([[
local h = function(e)
  local x = e.args.arg2
  m[e.comm] = bpf.count()
  n[x % 3] = bpf.sum(x)
  lo[1] = bpf.min(x)
  hi[1] = bpf.max(x)
  av[1] = bpf.avg(x)
  hs[1] = bpf.lhist(x, 0, 20, 5)
  if e.comm == "lbagg" then v[x] = (v[x] or 0) + x end
  bpf.printf("%d %s\n", x, e.comm)
end
]])
    f:close()
    local runs = {}
    for _, x in ipairs { 5, -3, 1000, 7, 7 } do runs[#runs + 1] = "--run 24=" .. x end
    local out = H.run(("%s %s 1 11 --field arg2:24:8 --comm lbagg bpf=module m=map:0 n=map:1 " ..
      "lo=map:2 hi=map:3 av=map:4 hs=map:5 v=map:6 %s"):format(driver, path, table.concat(runs, " ")))
    local got = {}
    for l in out:gmatch("(run %d+: [^\n]*)\n") do got[#got + 1] = l end
    for l in out:gmatch("(ref map[^\n]*)\n") do got[#got + 1] = l end
    -- values little-endian, 8 bytes a word
    assert.are.same({
      "run 0: end", "run 1: end", "run 2: end", "run 3: end", "run 4: end",
      "ref map 0 [0x6c626167670000000000000000000000] = 5", -- "lbagg": 5 runs
      "ref map 1 [0] = -3", "ref map 1 [1] = 1014", "ref map 1 [2] = 5", -- Lua's % floors
      "ref map 2 [1] = 0xfdffffffffffffff0100000000000000", -- {-3, set}
      "ref map 3 [1] = 0xe8030000000000000100000000000000", -- {1000, set}
      "ref map 4 [1] = 0x0500000000000000f803000000000000", -- {5 runs, sum 1016}
      -- lhist(x, 0, 20, 5): below 0: -3; [5, 10): 5, 7, 7; 20 and above: 1000; the sum
      "ref map 5 [1] = 0x0100000000000000000000000000000003000000000000000000000000000000" ..
        "00000000000000000100000000000000f803000000000000",
      "ref map 6 [-3] = -3", "ref map 6 [5] = 5", "ref map 6 [7] = 14", "ref map 6 [1000] = 1000",
    }, got)
  end)

  it("checks the plan first (lbc_validate): what the compiler would not make is refused", function()
    local path = dir .. "/v.lua"
    local f = assert(io.open(path, "w"))
    f:write("local h = function(e)\n  local x = e.args.arg2\n  if x > 5 then m[x] = x + 1 end\nend\n")
    f:close()
    -- the plan: 0 field r0, 1 imm r1 = 5, 2 gt, 3 jz r1 -> 8, 4 imm, 5 add r1 = r0 + r1,
    -- 6 put scratch[32] = r0, 7 map_set slot 0, 8 end
    local function run(poke)
      local out = H.run(("%s %s 1 4 --field arg2:24:8 m=map:0 --run 24=7%s"):format(driver, path,
        poke and " --poke " .. poke or ""))
      return out:match("\nrun 0: ([^\n]*)"), out
    end
    local ok, out = run()
    assert.are.equal("end", ok)
    assert.matches("\nref map 0 %[7%] = 8\n", out)
    for poke, why in pairs {
      ["1:dst=16"] = "op 1: dst: register 16",
      ["3:off=2"] = "op 3: jump to 2: not forward inside the plan",
      ["5:b=9"] = "op 5: r9 read before it is set",
      ["6:off=1020"] = "op 6: scratch[1020..+8) beyond scratch_size 1024",
      ["0:off=30"] = "op 0: ctx[30..+8) beyond the 32-byte ctx copy",
      ["7:b=1"] = "op 7: b: map slot 1 of 1",
      ["1:code=200"] = "op 1: no opcode 200",
      ["8:code=1"] = "the last op is not END",
    } do
      assert.are.equal("error " .. why, (run(poke)), poke)
    end
  end)

  it("refuses ops that need the running kernel", function()
    local path = dir .. "/str.lua"
    local f = assert(io.open(path, "w"))
    f:write("local h = function(e) m[bpf.str(e.args.arg2)] = bpf.count() end\n")
    f:close()
    local out = H.run(("%s %s 1 1 --field arg2:24:8:uptr bpf=module m=map:0 --run 24=4096"):format(
      driver, path))
    assert.matches("\nrun 0: error op %d+: str reads the running kernel or process\n", out)
  end)

  -- the kernel runs a plan as generated BPF code, or (LUABPF_ENGINE=interp,
  -- what plans with USDT arguments or DWARF unwinding use) in the
  -- template interpreter: both must give what Lua gives
  for _, engine in ipairs { "bpf", "interp" } do
  it(("agrees with the kernel on a sample of generated handlers (%s) #kernel"):format(engine), function()
    math.randomseed(SEED + 1)
    local comm = H.comm("lbref")
    local runs = runs_of(6, 0)
    local script, names, want, stops = { "local target = arg[1]" }, {}, {}, 0
    for i = 1, 8 do
      local name = "k" .. i
      local text, last = handler(name, true)
      local lends, lm = in_lua(text, comm, runs)
      local rends, rm = in_ref(driver, dir, name, text, last, comm, runs)
      assert.are.same(lends, rends, text)
      assert.are.same(lm, rm, text)
      for _, e in ipairs(rends) do stops = stops + (e == "divzero" and 1 or 0) end
      want[name], names[#names + 1] = rm, name
      -- the same function, given to tracepoint() instead of returned
      local lines = {}
      for l in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
      lines[2] = 'tracepoint("syscalls:sys_enter_prctl", function(e)'
      lines[last] = "end)"
      table.move(lines, 2, last, #script + 1, script)
    end
    table.insert(script, 2, ("local %s = %s"):format(table.concat(names, ", "),
      ("map(), "):rep(#names - 1) .. "map()"))
    local args = {}
    for _, v in ipairs(runs) do args[#args + 1] = table.concat(v, " ") end
    local luabpf = H.luabpf
    H.luabpf = "LUABPF_ENGINE=" .. engine .. " " .. luabpf
    local ok, t = pcall(H.tracer, { "-e", table.concat(script, "\n") }, comm)
    H.luabpf = luabpf
    assert(ok, t)
    H.run(H.bin .. "argcaller " .. comm .. " " .. table.concat(args, " "))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local got = {}
    for name, keys in pairs(H.parse_maps(out)) do
      got[name] = {}
      for k, v in pairs(keys) do got[name][math.tointeger(tonumber(k))] = v end
    end
    for _, name in ipairs(names) do
      if not next(want[name]) then want[name] = nil end -- an empty map prints nothing
    end
    assert.are.same(want, got, table.concat(script, "\n"))
    -- one warning per division that stopped runs, at its place in -e
    local warned = 0
    for line in err:gmatch("[^\n]+") do
      local n, s = line:match("^Warning: %-e:%d+:%d+: (%d+) handler run(s?) stopped at an integer " ..
        "division or modulo by zero %(Lua raises an error there; a kernel handler cannot%)$")
      assert.is_truthy(n, err)
      assert.are.equal(n == "1" and "" or "s", s)
      warned = warned + tonumber(n)
    end
    assert.are.equal(stops, warned, err)
  end)
  end
end)
