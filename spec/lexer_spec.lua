-- Lua 5.4's lexical rules in handlers: files with a byte-order mark and a
-- #! line, a malformed long bracket in a comment ("--[== note" is a short
-- comment), every string escape and long string, every numeral form. Each
-- compiled with the exact constants Lua gives them, then run in the kernel
-- where a value decides the counts. spec/fuzz/fuzz_lex.c checks the same
-- rules against Lua's own lexer on random inputs.
local bpf = require "luabpf"
local H = require "spec.helper"

local WRITE = {
  { name = "fd", off = 16, size = 8 },
  { name = "buf", off = 24, size = 8, string = true },
  { name = "count", off = 32, size = 8 },
}
local PROBE = "tracepoint:syscalls:sys_enter_write"
local BOM = "\239\187\191"

-- a script file with this text; loadfile reads it as the luabpf command does
local function file(text)
  local path = H.script(text)
  finally(function() os.remove(path) end)
  return path
end

local function plan(lines)
  return table.concat(lines, "\n") .. "\n"
end

-- the handler returned by file `text` (called with bpf and two maps), compiled
local function compile_file(text)
  local s = bpf.session()
  local fn = assert(loadfile(file(text)))(bpf, s:map(), s:map())
  return s:compile(PROBE, fn, WRITE)
end

describe("Lua's lexer in handlers", function()
  it("a BOM, a #! line and a --[== comment; numerals in every form", function()
    local text = BOM .. "#!/usr/bin/env luabpf\n" .. [=[
--[== note: a malformed long bracket opens a short comment, not a long one
local bpf, m, n = ...
return function(e)
  m[0x10] = bpf.sum(1e2)                                -- hex int; float 100.0
  m[0XfF] = bpf.sum(0xffffffffffffffff)                 -- hex wraps: -1
  m[0x7fffffffffffffff] = bpf.sum(0x8000000000000000)   -- max; wraps to min
  m[0x1p4] = bpf.sum(0xA.8P1)                           -- hex floats: 16, 21
  m[.5e1] = bpf.sum(3.)                                 -- 5.0, 3.0
  m[9223372036854775807] = bpf.sum(2.5E+1)              -- largest integer; 25.0
  m[00012] = bpf.sum(0x.8p1 + 1e-0)                     -- 12; 1.0 + 1.0
end
]=]
    assert.are.equal(plan {
      'plan nops=29 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 16',
      '  1  imm      r1 = 100',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  imm      r0 = 255',
      '  5  imm      r1 = -1',
      '  6  put      scratch[0] = r0',
      '  7  map_add  slot=0 key@0 r1',
      '  8  imm      r0 = 9223372036854775807',
      '  9  imm      r1 = -9223372036854775808',
      ' 10  put      scratch[0] = r0',
      ' 11  map_add  slot=0 key@0 r1',
      ' 12  imm      r0 = 16',
      ' 13  imm      r1 = 21',
      ' 14  put      scratch[0] = r0',
      ' 15  map_add  slot=0 key@0 r1',
      ' 16  imm      r0 = 5',
      ' 17  imm      r1 = 3',
      ' 18  put      scratch[0] = r0',
      ' 19  map_add  slot=0 key@0 r1',
      ' 20  imm      r0 = 9223372036854775807',
      ' 21  imm      r1 = 25',
      ' 22  put      scratch[0] = r0',
      ' 23  map_add  slot=0 key@0 r1',
      ' 24  imm      r0 = 12',
      ' 25  imm      r1 = 2',
      ' 26  put      scratch[0] = r0',
      ' 27  map_add  slot=0 key@0 r1',
      ' 28  end',
    }, compile_file(text))
  end)

  it("strings: \\z, \\u{...}, \\xXX, \\ddd, and long strings of any level", function()
    local text = [===[
local bpf, m, n = ...
return function(e)
  n["a\z
     b\u{48}\x49\74\0651"] = bpf.count()     -- "abHIJA1"
  n['\u{0000006A}\u{7F}\\\''] = bpf.count()   -- "j", DEL, backslash, quote
  n[ [==[
]]z]=]]==] ] = bpf.count()                    -- the first newline is dropped
  n[ [[
two
lines]] ] = bpf.count()
end
]===]
    assert.are.equal(plan {
      'plan nops=13 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 1',
      '  1  strcpy   scratch[0..16) = pool[0] "abHIJA1"',
      '  2  map_add  slot=0 key@0 r0',
      '  3  imm      r0 = 1',
      '  4  strcpy   scratch[0..16) = pool[16] "j\\x7f\\\\\'"',
      '  5  map_add  slot=0 key@0 r0',
      '  6  imm      r0 = 1',
      '  7  strcpy   scratch[0..16) = pool[32] "]]z]=]"',
      '  8  map_add  slot=0 key@0 r0',
      '  9  imm      r0 = 1',
      ' 10  strcpy   scratch[0..16) = pool[48] "two\\x0alines"',
      ' 11  map_add  slot=0 key@0 r0',
      ' 12  end',
    }, compile_file(text))
  end)

  it("a #! line ends at its \\n only, as luaL_loadfile reads it", function()
    -- the \r does not end line 1: Lua skips "-- x" with it, so the handler
    -- is on line 2 and its constant is the one the compiler must find
    local text = "#!/usr/bin/env luabpf\r-- x\nlocal bpf, m, n = ...\r\n" ..
      "return function(e) m[1] = bpf.sum(7) end\n"
    local s = bpf.session()
    local fn = assert(loadfile(file(text)))(bpf, s:map(), s:map())
    assert.are.equal(3, debug.getinfo(fn, "S").linedefined)
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 1',
      '  1  imm      r1 = 7',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, s:compile(PROBE, fn, WRITE))
  end)

  it("9223372036854775808 is a float, as in Lua: a clear error, not a wrapped integer", function()
    assert.are.equal("float", math.type(9223372036854775808))
    assert.are.equal(-1, 0xffffffffffffffff)
    local ok, err = pcall(compile_file, [[
local bpf, m, n = ...
return function(e)
  m[1] = bpf.sum(9223372036854775808)
end
]])
    assert.is_false(ok)
    assert.matches(":3:18: float 9.2233720368548e%+18 is not supported\n", err)
  end)

  it("-9223372036854775808 is the float -2^63 in Lua: integral, so math.mininteger here", function()
    assert.are.equal("float", math.type(-9223372036854775808))
    assert.is_true(-9223372036854775808 == math.mininteger)
    assert.are.equal(plan {
      'plan nops=9 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 1',
      '  1  imm      r1 = -9223372036854775808',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  imm      r0 = 2',
      '  5  imm      r1 = 100',
      '  6  put      scratch[0] = r0',
      '  7  map_add  slot=0 key@0 r1',
      '  8  end',
    }, compile_file("local bpf, m, n = ...\nreturn function(e)\n" ..
      "  m[1] = bpf.sum(-9223372036854775808)\n  m[2] = bpf.sum(- -1e2)\nend\n"))
    local ok, err = pcall(compile_file, "local bpf, m, n = ...\nreturn function(e)\n" ..
      "  m[1] = bpf.sum(-0.5)\nend\n")
    assert.is_false(ok)
    assert.matches(":3:19: float %-0.5 is not supported\n", err)
  end)

  it("a numeral of 400 digits is read whole (Lua has no length limit)", function()
    -- 1 followed by 399 zeros, times 1e-399, is 1.0 in Lua: an integer here
    local big = "1" .. string.rep("0", 399)
    assert.are.equal(1.0, load("return " .. big .. "e-399")())
    assert.are.equal(plan {
      'plan nops=5 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0',
      '  0  imm      r0 = 1',
      '  1  imm      r1 = 1',
      '  2  put      scratch[0] = r0',
      '  3  map_add  slot=0 key@0 r1',
      '  4  end',
    }, compile_file("local bpf, m, n = ...\nreturn function(e) m[1] = bpf.sum(" .. big .. "e-399) end\n"))
  end)
end)

describe("Lua's lexer in handlers #kernel", function()
  it("a script with a BOM, #! and --[== counts exactly by numeral and string keys", function()
    local comm = H.comm("lblex")
    local path = file(BOM .. "#!/usr/bin/env luabpf\n" .. [=[
--[== note: every handler in this file compiles
local bpf = require "luabpf"
local m, n, target = bpf.map(), bpf.map(), arg[1]
bpf.tracepoint("syscalls:sys_enter_getppid", function(e)
  if e.comm ~= target then return end
  m[0x10] = bpf.sum(1e2)
  m[0XfF] = bpf.sum(0x1p4 + 0xA.8P1)
  m[0xffffffffffffffff] = bpf.count()
  n["\u{48}i\z
     !"] = bpf.count()
  n[ [==[a]]b]==] ] = bpf.sum(.5e1)
end)
]=])
    local t = H.tracer(path, comm)
    H.run(H.bin .. "syscaller --calls 30 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local maps = H.parse_maps(out)
    assert.are.same({ ["16"] = 3000, ["255"] = 30 * 37, ["-1"] = 30 }, maps.m)
    assert.are.same({ ["Hi!"] = 30, ["a]]b"] = 150 }, maps.n)
  end)
end)
