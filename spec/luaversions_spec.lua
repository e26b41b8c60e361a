-- luabpf under every common Lua: the specs' Lua (LUABPF_LUA: 5.4 in the
-- main run, 5.3, 5.1 and luajit in `make test-lua LUA=...`). A host
-- writes its handler with the bit library (LuaJIT's bit, lua-bitop,
-- 5.3's bit32) and reads 64-bit values back; the luabpf command and
-- `make install` / `luarocks make` for that Lua count exact figures.
local H = require "spec.helper"
local compat = require "luabpf.compat"

-- The type a value past 2^53 has on each Lua (README "Lua versions").
local BIG_TYPE = ({ ["5.4"] = "number", ["5.3"] = "number", ["5.1"] = "string",
                    luajit = "cdata" })[H.lua]

describe("luabpf.compat", function()
  it("divides, shifts and prints integers the same way on every Lua", function()
    assert.are.equal(3, compat.idiv(7, 2))
    assert.are.equal(-4, compat.idiv(-7, 2))
    assert.are.equal(-3, compat.tdiv(-7, 2))
    assert.are.equal("1024", compat.intstr(compat.pow2(10)))
    assert.are.equal("1125899906842624", compat.intstr(compat.pow2(50)))
    assert.are.equal("0xffffffffffffffff", compat.hex(-1))
    assert.are.equal("0x7fff12345678", compat.hex(0x7fff12345678))
    assert.is_true(compat.lt(-5, 3))
    assert.is_true(compat.isint(3) and not compat.isint(2.5) and not compat.isint("3"))
    assert.are.equal(0.3333333432674408, compat.f32(1 / 3))
    assert.are.equal(52, math.floor(compat.f32(compat.f32(compat.f32(7) / compat.f32(7)) * 52)))
  end)

  it("takes Lua 5.1's decimal strings past 2^53 exactly", function()
    assert.are.equal("0xfffffffffffffffe", compat.hex("-2"))
    assert.are.equal("0x1000000000000003", compat.hex("1152921504606846979"))
    assert.are.equal("0x8000000000000000", compat.hex("-9223372036854775808"))
    assert.is_true(compat.lt("-9007199254740993", 5))
    assert.is_true(compat.lt("9007199254740993", "9007199254740995"))
    assert.is_true(compat.lt("-9007199254740995", "-9007199254740993"))
    assert.is_false(compat.lt("9007199254740993", "9007199254740993"))
    if H.lua == "5.1" then
      assert.are.equal(4503599627370496, compat.tdiv("9007199254740993", 2))
      assert.are.equal("18014398509481986", compat.tdiv("36028797018963972", 2))
      assert.are.equal(-3, compat.tdiv("-9", 3))
    end
  end)
end)

describe("handlers on Lua " .. H.lua, function()
  local bpf = require "luabpf"
  rawset(_G, "bit", rawget(_G, "bit") or rawget(_G, "bit32") or require "bit")

  -- A handler from text (its own chunk), compiled to a listing.
  local function listing(s, src, env)
    local text = "local bpf, m, O_TMPFILE, limit = ... return " .. src
    local chunk = assert(compat.load(text, text, env or _G)) -- its source is its name
    local O = bpf.constants.O_TMPFILE
    return (s:compile("tracepoint:x:y", chunk(bpf, s:map("m"), O, 100),
                      { { name = "flags", off = 16, size = 8 } }):gsub("^plan[^\n]*\n", ""))
  end

  it("compile bit.* (global bit, upvalues, constants) to the operators' ops", function()
    local s = bpf.session()
    local text = listing(s, "function(e) if e.pid > limit then " ..
      "m[bit.band(e.args.flags, O_TMPFILE)] = bpf.count() end end")
    assert.are.equal(table.concat({
      "  0  ctx      r0 = pid",
      "  1  imm      r1 = 100",
      "  2  gt       r0 = r0 > r1",
      "  3  jz       r0 -> 10",
      "  4  field    r0 = ctx[16] len=8",
      "  5  imm      r1 = " .. bpf.constants.O_TMPFILE,
      "  6  band     r0 = r0 & r1",
      "  7  imm      r1 = 1",
      "  8  put      scratch[24] = r0",
      "  9  map_add  slot=0 key@24 r1",
      " 10  end", "" }, "\n"), text)
    if math.type then -- 5.3 and 5.4 also have the operator: the same plan
      assert.are.equal(text, listing(bpf.session(), "function(e) if e.pid > limit then " ..
        "m[e.args.flags & O_TMPFILE] = bpf.count() end end"))
      assert.are.equal(listing(bpf.session(), "function(e) m[bit.bxor(bit.bnot(e.pid), " ..
        "bit.lshift(e.pid, 3), bit.rshift(e.pid, 2))] = bpf.count() end"),
        listing(bpf.session(), "function(e) m[~e.pid ~ (e.pid << 3) ~ (e.pid >> 2)] = " ..
        "bpf.count() end"))
    end
  end)

  it("names the bit functions handlers can use", function()
    local ok, err = pcall(listing, bpf.session(), "function(e) m[bit.tohex(e.pid)] = bpf.count() end")
    assert.is_false(ok)
    assert.are.equal(table.concat({
      '[string "local bpf, m, O_TMPFILE, limit = ... return f..."]:1:63: bit.tohex is not ' ..
      "supported in kernel handlers",
      "local bpf, m, O_TMPFILE, limit = ... return function(e) m[bit.tohex(e.pid)] = " ..
      "bpf.count() end",
      string.rep(" ", 62) .. "^",
      "hint: kernel handlers can use bit.band, bor, bxor, bnot, lshift, rshift and arshift",
    }, "\n"), err)
  end)

  -- The text Lua compiled (luabpf/lsource.c reads each VM's bytecode)
  describe("handler sources", function()
    local SRC = "local bpf, m = ...\nreturn function(e)\n  m[e.pid] = bpf.sum(e.tid * 0 + 2)\nend\n"
    local HINT = "hint: load it with bpf.load, bpf.loadfile or bpf.dofile, or require it through bpf.searcher"
    local function plan(s, fn) return (s:compile("tracepoint:x:y", fn):gsub("^plan[^\n]*\n", "")) end
    local function write(path, text)
      local f = assert(io.open(path, "wb"))
      f:write(text)
      f:close()
    end
    local PLAN = table.concat({ "  0  ctx      r0 = pid", "  1  ctx      r1 = tid", "  2  imm      r2 = 0",
      "  3  mul      r1 = r1 * r2", "  4  imm      r2 = 2", "  5  add      r1 = r1 + r2",
      "  6  put      scratch[0] = r0", "  7  map_add  slot=0 key@0 r1", "  8  end", "" }, "\n")

    it("bpf.load(src, \"=name\") compiles; Lua's own load gets how to fix it", function()
      local s = bpf.session()
      assert.are.equal(PLAN, plan(s, assert(bpf.load(SRC, "=gen.lua"))(bpf, s:map())))
      local fn = assert((loadstring or load)(SRC, "=plain.lua"))(bpf, s:map())
      assert.are.equal("plain.lua:2:1: luabpf did not see this chunk loaded (Lua's own load keeps " ..
        "no source text)\nhint: load it with bpf.load(src, \"=plain.lua\"), or bpf.loadfile or " ..
        "bpf.dofile, or require it through bpf.searcher", select(2, pcall(s.compile, s, "tracepoint:x:y", fn)))
    end)

    it("a file edited after loading: bpf.loadfile's text, or an error for Lua's loadfile", function()
      local s = bpf.session()
      local path = os.tmpname()
      write(path, SRC)
      local mine = assert(bpf.loadfile(path))
      write(path, (SRC:gsub("%+ 2", "+ 7")))
      assert.are.equal(PLAN, plan(s, mine(bpf, s:map())))
      path = os.tmpname() -- a file luabpf never saw
      write(path, SRC)
      local plain = assert(loadfile(path))
      write(path, (SRC:gsub("%+ 2", "+ 7")))
      local ok, err = pcall(s.compile, s, "tracepoint:x:y", plain(bpf, s:map()))
      os.remove(path)
      assert.is_false(ok)
      assert.are.equal(path .. ":2:1: the file changed since it was loaded: its text is not the " ..
        "source of this handler\n" .. HINT .. " (they keep the text Lua compiled)", err)
    end)

    it("require through bpf.searcher keeps the module's text", function()
      local s = bpf.session()
      local dir = H.tmpdir()
      local MOD = "return function(bpf, m)\n  return function(e)\n    m[e.pid] = bpf.sum(e.tid * 0 + 2)\n  end\nend\n"
      write(dir .. "/lbsrcv.lua", MOD)
      local saved = package.path
      package.path = dir .. "/?.lua"
      table.insert(package.searchers or package.loaders, 2, bpf.searcher)
      local ok, mod = pcall(require, "lbsrcv")
      table.remove(package.searchers or package.loaders, 2)
      package.path, package.loaded.lbsrcv = saved, nil
      write(dir .. "/lbsrcv.lua", (MOD:gsub("%+ 2", "+ 7")))
      assert(ok, mod)
      assert.are.equal(PLAN, plan(s, mod(bpf, s:map())))
      os.execute("rm -rf " .. dir)
    end)
  end)
end)

local HOST = [[
local bpf = require "luabpf"
local bit = rawget(_G, "bit32") or require "bit"
local target, stop = arg[1], arg[2]
local s = bpf.session()
local low, big, neg, keys = s:map("low"), s:map("big"), s:map("neg"), s:map("keys")
s:tracepoint("syscalls:sys_enter_getppid", function(e)
  if e.comm == target then
    local zero = bit.band(e.pid, 0)                             -- 0, computed in the kernel
    low[bit.lshift(zero + 1, 4)] = bpf.count()                 -- key 16
    big[e.comm] = bpf.sum(bit.lshift(zero + 1, 53) + 1)        -- 2^53 + 1 a call
    neg[e.comm] = bpf.sum(bit.arshift(zero - 64, 2) + bit.bnot(zero)) -- -16 - 1
    keys[bit.bor(bit.lshift(zero + 1, 60), 3)] = bpf.count()   -- a key past 2^53
    bpf.printf("x %d %d\n", bit.rshift(zero - 1, 60), bit.bxor(zero + 5, 3)) -- 15 6
  end
end)
local printed, texts = {}, {}
s:on_event(function(ev)
  if ev.type == "printf" then printed[#printed + 1] = ev.text
  elseif ev.type == "map" then texts[#texts + 1] = tostring(ev.map) end
end)
s:start()
io.stderr:write("started\n")
io.stderr:flush()
while not io.open(stop) do s:poll(50) end
s:poll(0)
local function text(v) return (tostring(v):gsub("U?LL$", "")) end
local v = big[target]
print("big", type(v), text(v))
local k, n
for _, row in ipairs(bpf.maps.entries(keys)) do k, n = row[1], row[2] end
print("key", type(k), text(k), n, keys[k])
print("neg", text(neg[target]), "low", text(low[16]))
print("printf", table.concat(printed))
if type(v) ~= "string" then bpf.printf("%d\n", v) end -- 5.1: past 2^53 a string (%s)
s:print_maps()
print(table.concat(texts))
s:close()
]]

describe("luabpf on Lua " .. H.lua .. " #kernel", function()
  setup(function() assert.is_true(H.is_root(), "kernel specs run as root") end)

  it("a host's handler uses bit.*; 64-bit values reach it exactly", function()
    local comm, dir = H.comm("lblv"), H.tmpdir()
    local stop, path = dir .. "/stop", H.script(HOST)
    local p = H.spawn(H.host_command(path, comm, stop))
    H.wait_for(p, "err", "started\n")
    H.run(H.bin .. "syscaller --calls 5 --comm " .. comm)
    H.run("touch " .. stop)
    local rc, out, err = H.finish(p)
    os.remove(path)
    os.execute("rm -rf " .. H.quote(dir))
    assert.are.equal(0, rc, err)
    -- 5 * (2^53 + 1) = 45035996273704965; 2^60 + 3 = 1152921504606846979
    assert.are.equal(table.concat({
      "big\t" .. BIG_TYPE .. "\t45035996273704965",
      "key\t" .. BIG_TYPE .. "\t1152921504606846979\t5\t5",
      "neg\t-85\tlow\t5",
      "printf\t" .. string.rep("x 15 6\n", 5) .. (H.lua == "5.1" and "" or
        "\n45035996273704965") .. "\n@big[" .. comm .. "]: 45035996273704965",
      "@keys[1152921504606846979]: 5",
      "@low[16]: 5",
      "@neg[" .. comm .. "]: -85",
    }, "\n") .. "\n\n", out)
  end)

  it("the luabpf command counts a workload's calls exactly", function()
    local comm = H.comm("lblc")
    local code = ('local m = map() tracepoint("syscalls:sys_enter_getppid", function(e) ' ..
                  'if e.comm == "%s" then m[e.comm] = count() end end)'):format(comm)
    local t = H.tracer({ "-e", code })
    H.run(H.bin .. "syscaller --calls 777 --comm " .. comm)
    local rc, out = H.stop(t)
    assert.are.equal(0, rc)
    assert.are.equal("\n\n@m[" .. comm .. "]: 777\n", out)
  end)
end)

describe("-f json on Lua " .. H.lua .. " #kernel", function()
  it("prints values and keys past 2^53 exactly", function()
    local comm = H.comm("lblj")
    local code = ('local bit = rawget(_G, "bit32") or rawget(_G, "bit") or require "bit" ' ..
      'local m, t = map(), map() tracepoint("syscalls:sys_enter_getppid", function(e) ' ..
      'if e.comm == "%s" then local z = bit.band(e.pid, 0) ' ..
      'm[e.comm] = sum(bit.lshift(z + 1, 53) + 1) t[bit.lshift(z + 1, 60) - 1] = count() ' ..
      'end end)'):format(comm)
    local p = H.spawn(H.luabpf .. " -f json -e " .. H.quote(code))
    H.wait_for(p, "out", '"attached_probes"')
    H.run(H.bin .. "syscaller --calls 3 --comm " .. comm)
    local rc, out = H.stop(p)
    assert.are.equal(0, rc)
    assert.are.equal(table.concat({ -- 3 * (2^53 + 1), 2^60 - 1
      '{"type": "attached_probes", "data": {"probes": 1}}', "", "",
      '{"type": "map", "data": {"@m": {"' .. comm .. '": 27021597764222979}}}',
      '{"type": "map", "data": {"@t": {"1152921504606846975": 3}}}', "" }, "\n"), out)
  end)
end)

-- Installed for this Lua: make install, luarocks make (LuaJIT: the rock
-- built for 5.1, run by luajit).
local function count_installed(bin)
  local comm = H.comm("lbli")
  local t = H.spawn("env -u LUA_PATH -u LUA_CPATH " .. bin .. " -e " .. H.quote(
    ('local m = map() tracepoint("syscalls:sys_enter_getppid", function(e) ' ..
     'if e.comm == "%s" then m[e.comm] = count() end end)'):format(comm)))
  H.wait_for(t, "out", "Attaching")
  H.run(H.bin .. "syscaller --calls 321 --comm " .. comm)
  local rc, out = H.stop(t)
  assert.are.equal(0, rc)
  assert.are.equal("\n\n@m[" .. comm .. "]: 321\n", out)
end

describe("installing for Lua " .. H.lua .. " #kernel", function()
  it("make install PREFIX=DIR LUA=" .. H.lua .. " uses lib/lua/" .. H.lua_abi, function()
    local d = H.tmpdir()
    H.run("make -s install PREFIX=" .. d .. " LUA=" .. H.lua)
    assert.are.equal(d .. "/lib/lua/" .. H.lua_abi .. "/luabpf/core.so\n",
                     H.run("ls " .. d .. "/lib/lua/" .. H.lua_abi .. "/luabpf/core.so"))
    assert.are.equal("#!/usr/bin/env " .. H.lua_bin .. "\n",
                     H.run("head -1 " .. d .. "/bin/luabpf"))
    count_installed(d .. "/bin/luabpf")
    H.run("rm -rf " .. d)
  end)

  it("luarocks --lua-version " .. H.lua_abi .. " make installs a working rock", function()
    local d = H.tmpdir()
    H.run("luarocks --lua-version " .. H.lua_abi .. " make --tree " .. d ..
          " rocks/luabpf-scm-1.rockspec")
    local bin = d .. "/bin/luabpf"
    if H.lua == "luajit" then -- luarocks' wrapper names lua5.1: run the rock's script itself
      local lmod = d .. "/share/lua/5.1"
      bin = "env " .. H.quote("LUA_PATH=" .. lmod .. "/?.lua;" .. lmod .. "/?/init.lua") .. " " ..
            H.quote("LUA_CPATH=" .. d .. "/lib/lua/5.1/?.so") .. " luajit " .. d ..
            "/lib/luarocks/rocks-5.1/luabpf/scm-1/bin/luabpf"
    end
    count_installed(bin)
    H.run("rm -rf " .. d)
  end)
end)
