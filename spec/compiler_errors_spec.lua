-- Compile errors: one spec per message the compiler emits, each checking
-- the whole text (file:line:col, the source line, the caret, the hint),
-- then maps left unchanged by a failed compile, then hostile inputs.
-- Unreachable from Lua, so not here: "out of memory", "internal: ...",
-- "handler too complex" (the node budget covers every construct), "map
-- '%s' keeps strings of at most %d bytes here; e.comm needs %d" (string
-- keys are at least 16 bytes), "string constant too long (the plan holds
-- ...)" (keys and printf arguments are checked first) and "unknown builtin
-- %s" (only the names the compiler knows are marked builtins).
local bpf = require "luabpf"

local PROBE = "tracepoint:syscalls:sys_enter_write"
local WRITE = {
  { name = "fd", off = 16, size = 8 },
  { name = "buf", off = 24, size = 8, string = true },
  { name = "count", off = 32, size = 8 },
}

-- A chunk "t.lua" whose line 1 takes the module and two maps m, n, and
-- whose line 2 starts the handler: body lines are lines 3, 4, ...
local function H(body, params)
  return "local bpf, m, n = ...\nreturn function(" .. (params or "e") .. ")\n" .. body .. "\nend\n"
end

-- The compiler given `source` for a function Lua compiled from `code`:
-- text Lua never compiled, which the Lua binding refuses (lsource.c), so
-- through the standalone driver (spec/compiler/driver.c) with the
-- function's lines, parameter count and upvalues. Returns the error.
local driver_dir
local function driver_err(code, source)
  if not driver_dir then
    driver_dir = require("spec.helper").tmpdir()
    require("spec.helper").build_driver(driver_dir)
  end
  local s = bpf.session()
  local fn = assert(load(code, "=t.lua"))(bpf, s:map(), s:map())
  local info = debug.getinfo(fn, "S")
  local ups, specs = {}, { bpf = "module", m = "map:0", n = "map:1", _ENV = "" }
  for i = 1, math.huge do
    local name = debug.getupvalue(fn, i)
    if not name then break end
    ups[#ups + 1] = name == "_ENV" and "_ENV" or name .. "=" .. assert(specs[name], name)
  end
  local f = assert(io.open(driver_dir .. "/t.lua", "wb"))
  f:write(source)
  f:close()
  local p = io.popen(("cd %s && ./lbc_driver t.lua %d %d --chunk =t.lua --nparams %d --probe %s " ..
    "--field fd:16:8 --field buf:24:8:str --field count:32:8 %s 2>&1"):format(driver_dir,
    info.linedefined, info.lastlinedefined, debug.getinfo(fn, "u").nparams, PROBE,
    table.concat(ups, " ")))
  local out = p:read("a")
  assert(not p:close(), "compiled without error:\n" .. out)
  return (out:gsub("\n$", ""))
end

-- Compile the function returned by chunk `code` (named "=t.lua", loaded
-- by bpf.load). Returns the error. opts.source: the compiler reads this
-- text instead (driver_err).
local function compile_err(code, opts)
  opts = opts or {}
  if opts.source then return driver_err(code, opts.source) end
  local s = opts.session or bpf.session()
  local fn = assert(bpf.load(code, "=t.lua"))
  if not opts.chunk then fn = fn(bpf, s:map(), s:map(), table.unpack(opts.args or {})) end
  local fields = WRITE
  if opts.fields == false then fields = nil elseif opts.fields then fields = opts.fields end
  local ok, err = pcall(s.compile, s, opts.probe or PROBE, fn, fields)
  assert(not ok, "compiled without error")
  assert.is_string(err)
  return err
end

-- a handler of chunk `code` ("=t.lua"), called with the module and maps
local function handler(code, ...)
  return assert(bpf.load(code, "=t.lua"))(bpf, ...)
end

-- the same, for a body only
local function body_err(body, opts)
  return compile_err(H(body), opts)
end

-- text Lua would not compile (or not to this handler): Lua loads a good
-- handler, the compiler (through the driver) reads `fake`, with the same
-- line numbers
local GOOD = H("  m[e.pid] = bpf.count()")
local function fake_err(body, opts)
  opts = opts or {}
  opts.source = H(body)
  return compile_err(GOOD, opts)
end


-- The message format, for lines too long to spell out: "t.lua:L:C: msg",
-- the source line (its first 400 bytes), a caret under column C (at most
-- column 401) and the hint, if any.
local function fmt(line, col, msg, src, hint)
  return ("t.lua:%d:%d: %s\n%s\n%s^"):format(line, col, msg, src:sub(1, 400),
    string.rep(" ", math.min(col - 1, 400))) .. (hint and "\nhint: " .. hint or "")
end

describe("compiler errors", function()
  -- lexer (the compiler reads the chunk again, so it checks everything)
  it("unfinished string", function()
    assert.are.equal([==[
t.lua:3:24: unfinished string
  m["abc] = bpf.count()
                       ^]==], fake_err('  m["abc] = bpf.count()\n  x = "abc'))
  end)
  it("unfinished long string", function()
    assert.are.equal([==[
t.lua:6:1: unfinished long string

^]==], fake_err("  local s = [==[abc\n  ]]"))
  end)
  it("unfinished long comment", function()
    assert.are.equal([==[
t.lua:6:1: unfinished long comment

^]==], fake_err("  --[[ a comment\n  m[e.pid] = bpf.count()"))
  end)
  it("invalid long string delimiter", function()
    assert.are.equal([==[
t.lua:3:13: invalid long string delimiter
  local s = [==x
            ^]==], fake_err("  local s = [==x"))
  end)
  it("hexadecimal digit expected", function()
    assert.are.equal([==[
t.lua:3:7: hexadecimal digit expected
  m["\xZZ"] = bpf.count()
      ^]==], fake_err('  m["\\xZZ"] = bpf.count()'))
  end)
  it("missing '{' in \\u{xxxx}", function()
    assert.are.equal([==[
t.lua:3:7: missing '{' or hexadecimal digit in \u{xxxx}
  m["\u123"] = bpf.count()
      ^]==], fake_err('  m["\\u123"] = bpf.count()'))
  end)
  it("missing '}' in \\u{xxxx}", function()
    assert.are.equal([==[
t.lua:3:7: missing '}' in \u{xxxx}
  m["\u{12"] = bpf.count()
      ^]==], fake_err('  m["\\u{12"] = bpf.count()'))
  end)
  it("UTF-8 value too large", function()
    assert.are.equal([==[
t.lua:3:7: UTF-8 value too large
  m["\u{80000000}"] = bpf.count()
      ^]==], fake_err('  m["\\u{80000000}"] = bpf.count()'))
  end)
  it("invalid escape sequence", function()
    assert.are.equal([==[
t.lua:3:7: invalid escape sequence
  m["\q"] = bpf.count()
      ^]==], fake_err('  m["\\q"] = bpf.count()'))
  end)
  it("decimal escape too large", function()
    assert.are.equal([==[
t.lua:3:10: decimal escape too large
  m["\300"] = bpf.count()
         ^]==], fake_err('  m["\\300"] = bpf.count()'))
  end)
  it("malformed number", function()
    assert.are.equal([==[
t.lua:3:6: malformed number
  m[3x] = bpf.count()
     ^]==], fake_err("  m[3x] = bpf.count()"))
  end)
  it("unexpected symbol (lexer)", function()
    assert.are.equal([==[
t.lua:3:5: unexpected symbol
  m[$] = bpf.count()
    ^]==], fake_err("  m[$] = bpf.count()"))
  end)
  it("unexpected byte in source", function()
    assert.are.equal([==[
t.lua:3:5: unexpected byte in source
  m[?] = bpf.count()
    ^]==], fake_err("  m[\1] = bpf.count()"))
  end)

  -- parser
  it("'end' expected", function()
    assert.are.equal([==[
t.lua:3:26: 'end' expected near 'else'
  m[e.pid] = bpf.count() else
                         ^]==], fake_err("  m[e.pid] = bpf.count() else"))
  end)
  it("'then' expected (a token expected)", function()
    assert.are.equal([==[
t.lua:3:17: 'then' expected near 'm'
  if e.pid == 1 m[1] = bpf.count() end
                ^]==], fake_err("  if e.pid == 1 m[1] = bpf.count() end"))
  end)
  it("<name> expected", function()
    assert.are.equal([==[
t.lua:3:9: <name> expected near <number>
  local 5 = 1
        ^]==], fake_err("  local 5 = 1"))
  end)
  it("unexpected symbol near", function()
    assert.are.equal([==[
t.lua:3:13: unexpected symbol near ')'
  local x = )
            ^]==], fake_err("  local x = )"))
  end)
  it("syntax error", function()
    assert.are.equal([==[
t.lua:4:1: syntax error near 'end'
end
^]==], fake_err("  e.pid"))
  end)
  it("unexpected end of handler", function()
    assert.are.equal([==[
t.lua:4:1: unexpected end of handler near 'end'
end
^]==], fake_err("  local x ="))
  end)
  it("unknown attribute", function()
    assert.are.equal([==[
t.lua:3:12: unknown attribute 'heavy'
  local x <heavy> = 1
           ^]==], fake_err("  local x <heavy> = 1"))
  end)
  it("functions cannot be defined inside a kernel handler", function()
    assert.are.equal([==[
t.lua:3:13: functions cannot be defined inside a kernel handler
  local f = function() end
            ^
hint: define helper functions outside and capture constants instead]==], body_err("  local f = function() end"))
    assert.are.equal([==[
t.lua:3:3: functions cannot be defined inside a kernel handler
  function f() end
  ^
hint: define helper functions outside the handler]==], fake_err("  function f() end"))
    assert.are.equal([==[
t.lua:3:3: functions cannot be defined inside a kernel handler
  local function f() end
  ^
hint: define helper functions outside the handler]==], body_err("  local function f() end"))
  end)
  it("loops cannot run in a BPF handler", function()
    assert.are.equal([==[
t.lua:3:3: loops cannot run in a BPF handler
  while e.pid == 1 do end
  ^
hint: a handler runs once per event and must finish; keep state across events in a map]==], body_err("  while e.pid == 1 do end"))
    assert.are.equal([==[
t.lua:3:3: loops cannot run in a BPF handler
  for i = 1, 3 do m[i] = bpf.count() end
  ^
hint: a handler runs once per event and must finish; keep state across events in a map]==], body_err("  for i = 1, 3 do m[i] = bpf.count() end"))
    assert.are.equal([==[
t.lua:3:3: loops cannot run in a BPF handler
  repeat until e.pid == 1
  ^
hint: a handler runs once per event and must finish; keep state across events in a map]==], body_err("  repeat until e.pid == 1"))
  end)
  it("goto and labels", function()
    assert.are.equal([==[
t.lua:3:3: goto and labels cannot be used in a BPF handler (loops cannot run in a BPF handler)
  goto done
  ^
hint: a handler runs once per event and must finish; keep state across events in a map]==], body_err("  goto done\n  ::done::"))
  end)
  it("break outside a loop", function()
    assert.are.equal([==[
t.lua:3:3: break outside a loop
  break
  ^]==], fake_err("  break"))
  end)
  it("nesting too deep: 1000 parentheses, 1000 blocks", function()
    assert.are.equal(fmt(3, 204, "nesting too deep (limit 200)", "  m[" .. string.rep("(", 398)), fake_err("  m[" .. string.rep("(", 1000) .. "1" .. string.rep(")", 1000) .. "] = bpf.count()"))
    assert.are.equal(fmt(3, 603, "nesting too deep (limit 200)", "  " .. string.rep("do ", 133) .. "d"), fake_err("  " .. string.rep("do ", 1000) .. string.rep("end ", 1000)))
  end)

  -- finding the handler in its chunk
  it("cannot find the handler", function()
    assert.are.equal([==[
t.lua:2:1: cannot find the handler (a function on lines 2-4) in the source
return 42
^
hint: has the file changed since it was loaded?]==], compile_err(GOOD, { source = "local bpf, m, n = ...\nreturn 42\n" }))
  end)
  it("cannot tell which of the N functions on a line is the handler", function()
    assert.are.equal([==[
t.lua:2:8: cannot tell which of the 2 functions on line 2 is the handler
return function(e) local f = function(e) y()
       ^
hint: put each handler on its own line]==], compile_err(GOOD, { source = "local bpf, m, n = ...\nreturn function(e) local f = function(e) y()\n\nend end\n" }))
  end)
  it("cannot tell which of the functions on a line is the handler", function()
    -- same upvalues and same string constants: only the numbers differ
    local code = "local bpf, m, n = ...\nreturn function(e) m[e.pid + 1] = bpf.count() end, function(e) m[e.pid + 2] = bpf.count() end\n"
    assert.are.equal([==[
t.lua:2:8: cannot tell which of the functions on line 2 is the handler
return function(e) m[e.pid + 1] = bpf.count() end, function(e) m[e.pid + 2] = bpf.count() end
       ^
hint: put each handler on its own line]==], compile_err(code))
  end)
  -- the source: the text Lua compiled, kept by bpf.load (luabpf/lsource.c)
  it("a chunk Lua's own load loaded: how to load it instead", function()
    local s = bpf.session()
    local fn = assert(load(GOOD, "=nosource.lua"))(bpf, s:map(), s:map())
    assert.are.equal([==[
nosource.lua:2:1: luabpf did not see this chunk loaded (Lua's own load keeps no source text)
hint: load it with bpf.load(src, "=nosource.lua"), or bpf.loadfile or bpf.dofile, or require it through bpf.searcher]==],
      select(2, pcall(s.compile, s, PROBE, fn)))
    -- the same text through bpf.load compiles
    fn = assert(bpf.load(GOOD, "=nosource.lua"))(bpf, s:map(), s:map())
    assert.is_string(s:compile(PROBE, fn, WRITE))
  end)
  it("stripped bytecode has no source", function()
    local s = bpf.session()
    local fn = assert(bpf.load(GOOD, "=t.lua"))(bpf, s:map(), s:map())
    local stripped = assert(load(string.dump(fn, true)))
    assert.are.equal([==[
?:2:1: the handler comes from stripped bytecode: luabpf compiles the source text Lua compiled
hint: load the chunk's source text with bpf.load, bpf.loadfile or bpf.dofile, or require it through bpf.searcher]==],
      select(2, pcall(s.compile, s, PROBE, stripped)))
  end)
  it("a chunk loaded again under the same name by Lua's own load", function()
    local s = bpf.session()
    assert(bpf.load(GOOD, "=again.lua"))
    -- the same lines, upvalues and strings: only a number differs
    local fn = assert(load(GOOD:gsub("m%[e.pid%]", "m[e.pid + 1]"), "=again.lua"))(bpf, s:map(), s:map())
    assert.are.equal([==[
again.lua:2:1: the source of this handler is not the text luabpf loaded under its chunk name (was the chunk loaded again with Lua's own load?)
hint: load it with bpf.load, bpf.loadfile or bpf.dofile, or require it through bpf.searcher]==],
      select(2, pcall(s.compile, s, PROBE, fn)))
  end)
  it("a chunk loaded by load(text), without a name, is its own source", function()
    local s = bpf.session()
    local fn = assert(load(GOOD))(bpf, s:map(), s:map())
    assert.is_string(s:compile(PROBE, fn, WRITE))
  end)
  it("the handler must be a Lua function, not a main chunk", function()
    assert.are.equal([==[
t.lua:1:1: the handler must be a Lua function, not a main chunk
local bpf, m, n = ...
^]==], compile_err(GOOD, { chunk = true }))
  end)
  it("source chunk is too big", function()
    assert.are.equal([==[
t.lua:2:1: source chunk is too big (over 67108864 bytes)
return function(e)
^]==], compile_err(GOOD .. string.rep(" ", 64 * 1024 * 1024)))
  end)

  -- names and values
  it("name too long", function()
    assert.are.equal([==[
t.lua:3:5: name too long
  m[xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx] = bpf.count()
    ^]==], body_err("  m[" .. string.rep("x", 70) .. "] = bpf.count()"))
  end)
  it("parameter is always nil", function()
    assert.are.equal([==[
t.lua:3:5: parameter 'x' is always nil
  m[x] = bpf.count()
    ^
hint: a handler receives one argument, the event]==], compile_err(H("  m[x] = bpf.count()", "e, x")))
  end)
  it("upvalue is nil", function()
    assert.are.equal([==[
t.lua:3:5: upvalue 'u' is nil
  m[u] = bpf.count()
    ^
hint: upvalues are read when the probe is attached; give it a value first]==], compile_err("local bpf, m, n, u = ...\nreturn function(e)\n  m[u] = bpf.count()\nend\n"))
  end)
  it("global is nil", function()
    assert.are.equal([==[
t.lua:3:5: global 'nosuchglobal' is nil
  m[nosuchglobal] = bpf.count()
    ^
hint: is it a typo, or a local declared after this function?]==], body_err("  m[nosuchglobal] = bpf.count()"))
  end)
  it("e.args field of an odd size", function()
    assert.are.equal([==[
t.lua:3:12: e.args.odd has 3 bytes: only 1, 2, 4 and 8-byte fields are supported
  m[e.args.odd] = bpf.count()
           ^]==], body_err("  m[e.args.odd] = bpf.count()", { fields = { { name = "odd", off = 8, size = 3 } } }))
  end)
  it("e.args field beyond the scratch space", function()
    assert.are.equal([==[
t.lua:3:12: e.args.far lies beyond the 65536 bytes of scratch space (LB_SCRATCH)
  m[e.args.far] = bpf.count()
           ^]==], body_err("  m[e.args.far] = bpf.count()", { fields = { { name = "far", off = 65532, size = 8 } } }))
  end)
  it("this probe has no args", function()
    assert.are.equal([==[
t.lua:3:12: this probe has no args
  m[e.args.fd] = bpf.count()
           ^]==], body_err("  m[e.args.fd] = bpf.count()", { fields = false }))
  end)
  it("the probe has no such field (hint lists the fields)", function()
    assert.are.equal([==[
t.lua:3:12: tracepoint:syscalls:sys_enter_write has no field 'cnt'
  m[e.args.cnt] = bpf.count()
           ^
hint: available fields: fd, buf, count]==], body_err("  m[e.args.cnt] = bpf.count()"))
    assert.are.equal([==[
t.lua:3:12: tracepoint:syscalls:sys_enter_write has no field 'cnt'
  m[e.args.cnt] = bpf.count()
           ^
hint: this probe has no fields]==], body_err("  m[e.args.cnt] = bpf.count()", { fields = {} }))
  end)
  it("index with a field name", function()
    assert.are.equal([==[
t.lua:3:7: index the event with a field name
  m[e[1]] = bpf.count()
      ^]==], body_err("  m[e[1]] = bpf.count()"))
    assert.are.equal([==[
t.lua:3:12: index e.args with a field name
  m[e.args[1]] = bpf.count()
           ^]==], body_err("  m[e.args[1]] = bpf.count()"))
    assert.are.equal([==[
t.lua:3:14: index the bpf module with a field name
  m[1] = bpf[1]()
             ^]==], body_err("  m[1] = bpf[1]()"))
  end)
  it("the event has no field", function()
    assert.are.equal([==[
t.lua:3:7: the event has no field 'ppid'
  m[e.ppid] = bpf.count()
      ^
hint: e offers pid, tid, uid, gid, cpu, nsecs, comm, probe, kstack, ustack and args.NAME]==], body_err("  m[e.ppid] = bpf.count()"))
  end)
  it("bpf.X runs in user space", function()
    assert.are.equal([==[
t.lua:3:14: bpf.map runs in user space; it cannot be used in a kernel handler
  m[1] = bpf.map()
             ^
hint: call it outside the handler]==], body_err("  m[1] = bpf.map()"))
  end)
  it("unknown builtin bpf.X", function()
    assert.are.equal([==[
t.lua:3:14: unknown builtin bpf.cnt
  m[1] = bpf.cnt()
             ^
hint: kernel handlers can use bpf.count, sum, min, max, avg, stats, hist, lhist, printf, print, exit, time, join, kstack, ustack, ksym, usym, str, reg, strftime and ntop]==], body_err("  m[1] = bpf.cnt()"))
  end)
  it("reading a map of count/sum aggregates", function()
    assert.are.equal([==[
t.lua:4:14: map 'm' holds count/sum aggregates (per-CPU): a handler cannot read it
  local x = m[1]
             ^
hint: to read it back, keep plain values: m[k] = (m[k] or 0) + 1, m[k] = x]==],
      body_err("  m[1] = bpf.count()\n  local x = m[1]"))
  end)
  it("reading a map of other aggregates", function()
    assert.are.equal([==[
t.lua:4:11: map 'm' holds hist() aggregates (per-CPU): a handler cannot read it
  n[1] = m[1]
          ^
hint: aggregates are combined over CPUs when the map is printed or read from Lua]==],
      body_err("  m[1] = bpf.hist(e.pid)\n  n[1] = m[1]"))
  end)
  it("a user-space value", function()
    assert.are.equal([==[
t.lua:3:10: cannot use a user-space table in a kernel handler
  m[math.maxinteger] = bpf.count()
         ^
hint: kernel handlers can use numbers, strings and booleans captured from outside]==], body_err("  m[math.maxinteger] = bpf.count()"))
  end)
  it("cannot index", function()
    assert.are.equal([==[
t.lua:3:11: cannot index a number
  m[e.pid.x] = bpf.count()
          ^]==], body_err("  m[e.pid.x] = bpf.count()"))
  end)

  -- calls
  it("cannot call io.write (Lua's print means bpf.print in a handler)", function()
    assert.are.equal([==[
t.lua:3:3: cannot call io.write in a kernel handler
  io.write(e.pid)
  ^
hint: io.write runs in user space; use bpf.printf or bpf.print here]==], body_err("  io.write(e.pid)"))
  end)
  it("cannot call a user-space function", function()
    assert.are.equal([==[
t.lua:3:5: cannot call tostring (a user-space function) in a kernel handler
  m[tostring(e.pid)] = bpf.count()
    ^
hint: only bpf builtins run in the kernel; compute values outside and capture them as upvalues]==], body_err("  m[tostring(e.pid)] = bpf.count()"))
    assert.are.equal([==[
t.lua:3:5: cannot call os.time (a user-space table) in a kernel handler
  m[os.time()] = bpf.count()
    ^
hint: only bpf builtins run in the kernel; compute values outside and capture them as upvalues]==], body_err("  m[os.time()] = bpf.count()"))
  end)
  it("bpf.count() outside a map assignment", function()
    assert.are.equal([==[
t.lua:3:12: bpf.count() can only be assigned to a map element
  bpf.count()
           ^
hint: e.g. m[e.comm] = bpf.count()]==], body_err("  bpf.count()"))
  end)
  it("bpf.X is not supported yet", function()
    assert.are.equal([==[
t.lua:3:20: bpf.cat is not supported in kernel handlers yet
  local t = bpf.cat()
                   ^]==], body_err('  local t = bpf.cat()'))
  end)
  it("bpf.time() is a statement, bpf.strftime a printf argument with a constant format", function()
    assert.are.equal([==[
t.lua:3:21: bpf.time() returns nothing: call it as a statement
  local t = bpf.time()
                    ^]==], body_err('  local t = bpf.time()'))
    assert.are.equal([==[
t.lua:3:35: the format of bpf.strftime must be a string constant, not a number
  bpf.printf("%s", bpf.strftime(e.pid, e.nsecs))
                                  ^
hint: e.g. bpf.strftime("%H:%M:%S", e.nsecs)]==], body_err('  bpf.printf("%s", bpf.strftime(e.pid, e.nsecs))'))
    assert.are.equal([==[
t.lua:3:41: bpf.strftime() takes a time in ns (a number), not e.comm (a string)
  bpf.printf("%s", bpf.strftime("%H", e.comm))
                                        ^]==], body_err('  bpf.printf("%s", bpf.strftime("%H", e.comm))'))
    assert.are.equal([==[
t.lua:3:14: printf: conversion 1 (%d) needs an integer, got a time
  bpf.printf("%d", bpf.strftime("%H", e.nsecs))
             ^]==], body_err('  bpf.printf("%d", bpf.strftime("%H", e.nsecs))'))
  end)
  it("bpf.ntop() takes an address, bpf.join() a pointer and a constant delimiter", function()
    assert.are.equal([==[
t.lua:3:31: bpf.ntop() takes an address of 4 or 16 bytes, not e.comm (a string)
  bpf.printf("%s", bpf.ntop(e.comm))
                              ^
hint: IPv4: a u32 or u8[4]; IPv6: u8[16]]==], body_err('  bpf.printf("%s", bpf.ntop(e.comm))'))
    assert.are.equal([==[
t.lua:3:14: bpf.join() takes a pointer to an array of strings, not e.comm (a string)
  bpf.join(e.comm)
             ^
hint: e.g. bpf.join(e.args.argv)]==], body_err('  bpf.join(e.comm)'))
    assert.are.equal([==[
t.lua:3:21: the delimiter of bpf.join() must be a string constant without NULs
  bpf.join(e.pid, e.tid)
                    ^]==], body_err('  bpf.join(e.pid, e.tid)'))
  end)
  it("a map cannot be called", function()
    assert.are.equal([==[
t.lua:3:4: a map cannot be called
  m(1)
   ^
hint: index it: m[key] = bpf.count()]==], body_err("  m(1)"))
  end)
  it("cannot call a number", function()
    assert.are.equal([==[
t.lua:3:8: cannot call a number
  e.pid()
       ^]==], body_err("  e.pid()"))
  end)
  it("map methods run in user space", function()
    assert.are.equal([==[
t.lua:3:5: maps have no methods (m:clear()): m[k] is the value under k
  m:clear()
    ^
hint: kernel handlers update maps with m[k] = bpf.count() or bpf.sum(x)]==], body_err("  m:clear()"))
  end)
  it("method calls", function()
    assert.are.equal([==[
t.lua:3:5: method calls are not supported in kernel handlers
  e:foo()
    ^]==], body_err("  e:foo()"))
  end)

  -- operators
  it("exponentiation", function()
    assert.are.equal([==[
t.lua:3:11: exponentiation (^) is a float operation in Lua and is not supported
  m[e.pid ^ 2] = bpf.count()
          ^
hint: use * or << for powers]==], body_err("  m[e.pid ^ 2] = bpf.count()"))
  end)
  it("string concatenation", function()
    assert.are.equal([==[
t.lua:3:12: string concatenation (..) is not supported in kernel handlers
  m[e.comm .. "x"] = bpf.count()
           ^]==], body_err('  m[e.comm .. "x"] = bpf.count()'))
  end)
  it("the length operator", function()
    assert.are.equal([==[
t.lua:3:5: the length operator # is not supported in kernel handlers
  m[#e.comm] = bpf.count()
    ^]==], body_err("  m[#e.comm] = bpf.count()"))
  end)
  it("division by zero, in a register and folded", function()
    assert.are.equal([==[
t.lua:3:11: division by zero
  m[e.pid // 0] = bpf.count()
          ^]==], body_err("  m[e.pid // 0] = bpf.count()"))
    assert.are.equal([==[
t.lua:3:7: division by zero
  m[7 % (3 - 3)] = bpf.count()
      ^]==], body_err("  m[7 % (3 - 3)] = bpf.count()"))
  end)
  it("a number is always true in a condition", function()
    assert.are.equal([==[
t.lua:3:8: a number is always true in a Lua condition (even 0)
  if e.pid then m[1] = bpf.count() end
       ^
hint: compare explicitly, e.g. `x ~= 0`]==], body_err("  if e.pid then m[1] = bpf.count() end"))
  end)
  it("a string is always true in a condition", function()
    assert.are.equal([==[
t.lua:3:12: a string is always true in a Lua condition
  if not e.comm then m[1] = bpf.count() end
           ^]==], body_err("  if not e.comm then m[1] = bpf.count() end"))
  end)
  it("cannot do arithmetic on / use as a condition", function()
    assert.are.equal([==[
t.lua:3:8: cannot do arithmetic on e.comm (a string)
  m[-e.comm] = bpf.count()
       ^]==], body_err("  m[-e.comm] = bpf.count()"))
    assert.are.equal([==[
t.lua:3:6: cannot use as a condition the event itself
  if e then m[1] = bpf.count() end
     ^]==], body_err("  if e then m[1] = bpf.count() end"))
  end)
  it("ordering strings", function()
    assert.are.equal([==[
t.lua:3:13: ordering strings is not supported in kernel handlers
  if e.comm < "a" then m[1] = bpf.count() end
            ^]==], body_err('  if e.comm < "a" then m[1] = bpf.count() end'))
  end)
  it("comparing e.probe", function()
    assert.are.equal([==[
t.lua:3:14: comparing e.probe is not supported yet
  if e.probe == 1 then m[1] = bpf.count() end
             ^]==], body_err("  if e.probe == 1 then m[1] = bpf.count() end"))
  end)
  it("cannot compare X with Y", function()
    assert.are.equal([==[
t.lua:3:12: cannot compare a number with a string
  if e.pid == "1" then m[1] = bpf.count() end
           ^
hint: in Lua they are never equal]==], body_err('  if e.pid == "1" then m[1] = bpf.count() end'))
    assert.are.equal([==[
t.lua:3:12: cannot compare a number with a boolean
  if e.pid < true then m[1] = bpf.count() end
           ^]==], body_err("  if e.pid < true then m[1] = bpf.count() end"))
  end)
  it("cannot compare a map", function()
    assert.are.equal([==[
t.lua:3:12: cannot compare a map
  if e.pid == m then m[1] = bpf.count() end
           ^]==], body_err("  if e.pid == m then m[1] = bpf.count() end"))
  end)
  it("cannot order two booleans", function()
    assert.are.equal([==[
t.lua:3:19: cannot order two booleans
  if (e.pid == 1) < (e.tid == 2) then m[1] = bpf.count() end
                  ^]==], body_err("  if (e.pid == 1) < (e.tid == 2) then m[1] = bpf.count() end"))
  end)
  it("e.comm never equals a long string", function()
    assert.are.equal([==[
t.lua:3:13: e.comm holds at most 15 bytes and no NUL, so it never equals this string
  if e.comm == "a-very-long-name-x" then m[1] = bpf.count() end
            ^]==], body_err('  if e.comm == "a-very-long-name-x" then m[1] = bpf.count() end'))
  end)
  it("floats", function()
    assert.are.equal([==[
t.lua:3:5: float 1.5 is not supported
  m[1.5] = bpf.count()
    ^
hint: BPF handlers compute with integers]==], body_err("  m[1.5] = bpf.count()"))
  end)
  it("nil", function()
    assert.are.equal([==[
t.lua:3:5: nil is not supported here
  m[nil] = bpf.count()
    ^]==], body_err("  m[nil] = bpf.count()"))
  end)
  it("varargs", function()
    assert.are.equal([==[
t.lua:3:5: varargs (...) cannot be used in a kernel handler
  m[...] = bpf.count()
    ^]==], compile_err(H("  m[...] = bpf.count()", "e, ...")))
  end)
  it("table constructors outside keys", function()
    assert.are.equal([==[
t.lua:3:13: table constructors are only allowed as map keys
  local t = {1}
            ^
hint: a tuple key looks like m[{a, b}]]==], body_err("  local t = {1}"))
  end)
  it("expression too complex (registers)", function()
    assert.are.equal([==[
t.lua:3:149: expression too complex: it needs more than 16 registers
  m[e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid + (e.pid))))))))))))))))] = bpf.count()
                                                                                                                                                    ^
hint: split it using locals, or simplify it]==], body_err("  m[" .. string.rep("e.pid + (", 16) .. "e.pid" .. string.rep(")", 16) .. "] = bpf.count()"))
  end)
  it("handler too big (ops)", function()
    assert.are.equal([==[
t.lua:258:4: handler too big: more than 1024 ops (LB_MAX_OPS)
  m[e.pid] = bpf.count()
   ^
hint: split the work over several handlers]==], body_err(string.rep("  m[e.pid] = bpf.count()\n", 400)))
  end)

  -- statements and maps
  it("at most 8 maps in a handler", function()
    local code = "local bpf, m, n, a, b, c, d, f, g, h = ...\nreturn function(e)\n" ..
      "  a[1] = bpf.count() b[1] = bpf.count() c[1] = bpf.count() d[1] = bpf.count()\n" ..
      "  f[1] = bpf.count() g[1] = bpf.count() h[1] = bpf.count() m[1] = bpf.count()\n" ..
      "  n[1] = bpf.count()\nend\n"
    local s = bpf.session()
    local maps = {}
    for i = 1, 7 do maps[i] = s:map() end
    assert.are.equal([==[
t.lua:5:4: a handler can use at most 8 maps (LB_MAX_MAPS)
  n[1] = bpf.count()
   ^]==], compile_err(code, { session = s, args = maps }))
  end)
  it("at most 8 key fields", function()
    assert.are.equal([==[
t.lua:3:30: a map key has at most 8 fields (LB_MAX_KEYS)
  m[{1, 2, 3, 4, 5, 6, 7, 8, 9}] = bpf.count()
                             ^]==], body_err("  m[{1, 2, 3, 4, 5, 6, 7, 8, 9}] = bpf.count()"))
  end)
  it("a key needs a field", function()
    assert.are.equal([==[
t.lua:3:5: a map key needs at least one field
  m[{}] = bpf.count()
    ^]==], body_err("  m[{}] = bpf.count()"))
  end)
  it("named fields in a key", function()
    assert.are.equal([==[
t.lua:3:6: named fields cannot be part of a map key
  m[{pid = e.pid}] = bpf.count()
     ^
hint: a tuple key lists values: m[{a, b}]]==], body_err("  m[{pid = e.pid}] = bpf.count()"))
  end)
  it("NUL bytes in a string key (escaped and raw)", function()
    assert.are.equal([==[
t.lua:3:5: string keys cannot contain NUL bytes
  m["a\0b"] = bpf.count()
    ^]==], body_err('  m["a\\0b"] = bpf.count()'))
    assert.are.equal([==[
t.lua:3:5: string keys cannot contain NUL bytes
  m["a?b"] = bpf.count()
    ^]==], body_err('  m["a\0b"] = bpf.count()'))
  end)
  it("string key too long", function()
    assert.are.equal(fmt(3, 5, "string key too long (at most 255 bytes)", '  m["' .. string.rep("k", 256) .. '"] = bpf.count()'), body_err('  m["' .. string.rep("k", 256) .. '"] = bpf.count()'))
  end)
  it("a boolean key", function()
    assert.are.equal([==[
t.lua:3:11: a boolean cannot be a map key
  m[e.pid == 1] = bpf.count()
          ^]==], body_err("  m[e.pid == 1] = bpf.count()"))
  end)
  it("the event as a key", function()
    assert.are.equal([==[
t.lua:3:5: the event itself cannot be a map key
  m[e] = bpf.count()
    ^]==], body_err("  m[e] = bpf.count()"))
  end)
  it("adding a string to a map", function()
    assert.are.equal([==[
t.lua:3:20: can only add a number to a map element, not e.comm (a string)
  m[1] = bpf.sum(e.comm)
                   ^]==], body_err("  m[1] = bpf.sum(e.comm)"))
  end)
  it("a map keyed two ways", function()
    assert.are.equal([==[
t.lua:4:4: map 'm' is keyed by (string) here but by (int) elsewhere
  m[e.comm] = bpf.count()
   ^]==], body_err("  m[e.pid] = bpf.count()\n  m[e.comm] = bpf.count()"))
  end)
  it("a string key longer than the map keeps", function()
    assert.are.equal([==[
t.lua:4:5: string key too long: map 'm' keeps strings of at most 15 bytes
  m["a-much-longer-key"] = bpf.count()
    ^]==], body_err('  m.total = bpf.count()\n  m["a-much-longer-key"] = bpf.count()'))
  end)
  it("count() takes no arguments", function()
    assert.are.equal([==[
t.lua:3:19: count() takes no arguments
  m[1] = bpf.count(1)
                  ^]==], body_err("  m[1] = bpf.count(1)"))
  end)
  it("sum() takes one argument", function()
    assert.are.equal([==[
t.lua:3:17: sum() takes one argument
  m[1] = bpf.sum()
                ^]==], body_err("  m[1] = bpf.sum()"))
  end)
  it("a map element holds a number or a string", function()
    assert.are.equal([==[
t.lua:3:16: a map element can hold a number, a string or an array, not a boolean
  m[1] = e.pid == 1
               ^]==], body_err("  m[1] = e.pid == 1"))
  end)
  it("multiple assignment", function()
    assert.are.equal([==[
t.lua:4:8: multiple assignment is not supported in kernel handlers
  x, y = y, x
       ^]==], body_err("  local x, y = 1, 2\n  x, y = y, x"))
  end)
  it("the event is read-only", function()
    assert.are.equal([==[
t.lua:3:5: the event is read-only
  e.pid = 1
    ^]==], body_err("  e.pid = 1"))
  end)
  it("cannot assign to a field of the module", function()
    assert.are.equal([==[
t.lua:3:7: cannot assign to a field of the bpf module
  bpf.x = 1
      ^]==], body_err("  bpf.x = 1"))
  end)
  it("cannot assign to this", function()
    assert.are.equal([==[
t.lua:3:8: cannot assign to this
  e.pid() = 1
       ^]==], fake_err("  e.pid() = 1"))
  end)
  it("cannot assign to an upvalue or a global", function()
    assert.are.equal([==[
t.lua:3:3: cannot assign to upvalue 'm': it is a constant in a kernel handler
  m = 1
  ^
hint: keep state across events in a map, e.g. m.total = bpf.sum(x)]==], body_err("  m = 1"))
    assert.are.equal([==[
t.lua:3:3: cannot assign to global 'g': it is a constant in a kernel handler
  g = 1
  ^
hint: keep state across events in a map, e.g. m.total = bpf.sum(x)]==], body_err("  g = 1"))
  end)
  it("a local holding a string takes only strings", function()
    assert.are.equal([==[
t.lua:4:7: local 'c' holds a string; cannot assign a number to it
  c = 1
      ^]==], body_err('  local c = e.comm\n  c = 1'))
  end)
  it("c and x or y chooses numbers or strings", function()
    assert.are.equal([==[
t.lua:3:34: `c and x or y` cannot choose between a string and a number
  local s = e.pid > 0 and "a" or 1
                                 ^
hint: both values must be numbers, or both strings]==], body_err('  local s = e.pid > 0 and "a" or 1'))
    assert.are.equal([==[
t.lua:3:29: `c and x or y` cannot choose a kernel stack
  local s = e.pid > 0 and e.kstack or 1
                            ^
hint: its values must be numbers or strings]==], body_err("  local s = e.pid > 0 and e.kstack or 1"))
  end)
  it("attempt to assign to const variable", function()
    assert.are.equal([==[
t.lua:3:28: attempt to assign to const variable 'x'
  local x <const> = e.pid; x = 2
                           ^]==], fake_err("  local x <const> = e.pid; x = 2"))
  end)
  it("a local keeps its type", function()
    assert.are.equal([==[
t.lua:4:13: local 'x' holds a number; cannot assign a boolean to it
  x = e.pid == 1
            ^]==], body_err("  local x = e.pid\n  x = e.pid == 1"))
  end)
  it("to-be-closed locals", function()
    assert.are.equal([==[
t.lua:3:9: to-be-closed locals are not supported in kernel handlers
  local x <close> = e.pid
        ^]==], body_err("  local x <close> = e.pid"))
  end)
  it("a local needs a value", function()
    assert.are.equal([==[
t.lua:3:9: local 'x' needs a value
  local x
        ^
hint: nil values are not supported]==], body_err("  local x"))
  end)
  it("too many locals", function()
    local names = {}
    for i = 1, 200 do names[i] = "v" .. i end
    local line = "  local " .. table.concat(names, ", ") .. ' = "s"' .. string.rep(', "s"', 199)
    -- e and v1..v199 fill the 200 locals: v200 is one too many
    assert.are.equal(fmt(3, 1095, "too many locals (limit 200)", line), fake_err(line))
    assert.are.equal(1095, #"  local " + #table.concat(names, ", ", 1, 199) + #", " + 1)
  end)
  it("more values than names", function()
    assert.are.equal([==[
t.lua:3:16: more values than names in local declaration
  local x = 1, 2
               ^]==], body_err("  local x = 1, 2"))
  end)
  it("kernel handlers cannot return values", function()
    assert.are.equal([==[
t.lua:3:10: kernel handlers cannot return values
  return 1
         ^]==], body_err("  return 1"))
  end)
  it("too many parameters", function()
    local names = {}
    for i = 1, 201 do names[i] = "p" .. i end
    local line = "return function(" .. table.concat(names, ", ") .. ")"
    -- p1..p200 fill the 200 locals: p201 is one too many
    assert.are.equal(fmt(2, 1109, "too many parameters", line),
      compile_err(GOOD, { source = H("  m[e.pid] = bpf.count()", table.concat(names, ", ")) }))
    assert.are.equal(1109, #"return function(" + #table.concat(names, ", ", 1, 200) + #", " + 1)
  end)
  it("scratch space exhausted", function()
    assert.are.equal([==[
t.lua:2:8: handler needs 65544 bytes of scratch space (context copy, keys, strings and records), more than LB_SCRATCH (65536)
return function(e)
       ^]==], body_err("  m[e.args.last] = bpf.count()", { fields = { { name = "last", off = 65528, size = 8 } } }))
  end)
  it("the string pool is full", function()
    assert.are.equal(fmt(4, 5, "string constants do not fit in the plan's 256-byte pool", '  n["' .. string.rep("b", 200) .. '"] = bpf.count()'), body_err('  m["' .. string.rep("a", 200) .. '"] = bpf.count()\n  n["' .. string.rep("b", 200) .. '"] = bpf.count()'))
  end)

  -- maps of values, aggregations, printf/print/exit, stacks and symbols
  it("a map of plain values cannot hold aggregates (kinds named)", function()
    assert.are.equal([==[
t.lua:4:4: map 'm' holds plain values elsewhere; it cannot also hold count/sum aggregates
  m[2] = bpf.count()
   ^]==], body_err("  m[1] = 1\n  m[2] = bpf.count()"))
  end)
  it("a map of aggregates cannot hold plain values", function()
    assert.are.equal([==[
t.lua:4:4: map 'm' holds hist() aggregates elsewhere; it cannot also hold plain values
  m[2] = 3
   ^]==], body_err("  m[1] = bpf.hist(e.pid)\n  m[2] = 3"))
  end)
  it("e.func only where a function is probed", function()
    assert.are.equal([==[
t.lua:3:7: tracepoint:syscalls:sys_enter_write probes no function: it has no e.func
  m[e.func] = bpf.count()
      ^
hint: kprobe, uprobe and kfunc handlers have it]==], body_err("  m[e.func] = bpf.count()"))
  end)
  it("bpf.reg() names an x86-64 register, in probes that have them", function()
    assert.are.equal([==[
t.lua:3:12: tracepoint:syscalls:sys_enter_write has no registers
  m[bpf.reg("ip")] = bpf.count()
           ^
hint: kprobe, uprobe, usdt and profile handlers have them]==], body_err('  m[bpf.reg("ip")] = bpf.count()'))
    assert.are.equal([==[
t.lua:3:13: unknown register 'eip'
  m[bpf.reg("eip")] = bpf.count()
            ^
hint: x86-64 registers: ip, sp, bp, ax, bx, cx, dx, si, di, r8 .. r15, flags, orig_ax, cs, ss]==],
      body_err('  m[bpf.reg("eip")] = bpf.count()'))
    assert.are.equal([==[
t.lua:3:12: bpf.reg() takes one argument, a register name (a string constant)
  m[bpf.reg(e.pid)] = bpf.count()
           ^
hint: e.g. bpf.reg("ip")]==], body_err("  m[bpf.reg(e.pid)] = bpf.count()"))
  end)
  it("hist() k is a constant from 0 to 5, the same for the whole map", function()
    assert.are.equal([==[
t.lua:3:26: hist() k must be from 0 to 5
  m[1] = bpf.hist(e.pid, 6)
                         ^
hint: 2^k buckets per power of two]==], body_err("  m[1] = bpf.hist(e.pid, 6)"))
    assert.are.equal([==[
t.lua:3:28: hist() k must be an integer constant
  m[1] = bpf.hist(e.pid, e.pid)
                           ^
hint: 2^k buckets per power of two]==], body_err("  m[1] = bpf.hist(e.pid, e.pid)"))
    assert.are.equal([==[
t.lua:3:18: hist() takes one or two arguments: hist(x [, k])
  m[1] = bpf.hist(e.pid, 1, 2)
                 ^]==], body_err("  m[1] = bpf.hist(e.pid, 1, 2)"))
    assert.are.equal([==[
t.lua:4:4: map 'm' is a hist(x, 1) elsewhere, not hist(x, 0)
  m[2] = bpf.hist(e.pid)
   ^
hint: every hist() into one map needs the same k]==], body_err("  m[1] = bpf.hist(e.pid, 1)\n  m[2] = bpf.hist(e.pid)"))
  end)
  it("lhist() parameters differ from another use", function()
    assert.are.equal([==[
t.lua:4:4: map 'm' is an lhist(x, 0, 10, 1) elsewhere, not lhist(x, 0, 10, 2)
  m[2] = bpf.lhist(e.pid, 0, 10, 2)
   ^
hint: every lhist() into one map needs the same min, max and step]==], body_err("  m[1] = bpf.lhist(e.pid, 0, 10, 1)\n  m[2] = bpf.lhist(e.pid, 0, 10, 2)"))
  end)
  it("lhist() parameters must be constants", function()
    assert.are.equal([==[
t.lua:3:36: lhist() step must be an integer constant
  m[1] = bpf.lhist(e.pid, 0, 10, e.pid)
                                   ^
hint: e.g. bpf.lhist(x, 0, 100, 10)]==], body_err("  m[1] = bpf.lhist(e.pid, 0, 10, e.pid)"))
  end)
  it("lhist() step must be positive", function()
    assert.are.equal([==[
t.lua:3:34: lhist() step must be positive
  m[1] = bpf.lhist(e.pid, 0, 10, 0)
                                 ^]==], body_err("  m[1] = bpf.lhist(e.pid, 0, 10, 0)"))
  end)
  it("lhist() max must be greater than min", function()
    assert.are.equal([==[
t.lua:3:31: lhist() max must be greater than min
  m[1] = bpf.lhist(e.pid, 10, 10, 1)
                              ^]==], body_err("  m[1] = bpf.lhist(e.pid, 10, 10, 1)"))
  end)
  it("lhist() bucket limit", function()
    assert.are.equal([==[
t.lua:3:19: lhist() would need more than 1000 buckets
  m[1] = bpf.lhist(e.pid, 0, 10000, 1)
                  ^
hint: use a larger step or a narrower range]==], body_err("  m[1] = bpf.lhist(e.pid, 0, 10000, 1)"))
  end)
  it("lhist() takes four arguments", function()
    assert.are.equal([==[
t.lua:3:19: lhist() takes four arguments: lhist(x, min, max, step)
  m[1] = bpf.lhist(e.pid, 0, 10)
                  ^]==], body_err("  m[1] = bpf.lhist(e.pid, 0, 10)"))
  end)
  it("min() takes one argument", function()
    assert.are.equal([==[
t.lua:3:17: min() takes one argument
  m[1] = bpf.min()
                ^]==], body_err("  m[1] = bpf.min()"))
  end)
  it("an aggregation takes a number", function()
    assert.are.equal([==[
t.lua:3:20: bpf.max() takes a number, not e.comm (a string)
  m[1] = bpf.max(e.comm)
                   ^]==], body_err("  m[1] = bpf.max(e.comm)"))
  end)
  it("`or` after a map value needs a number", function()
    assert.are.equal([==[
t.lua:3:27: `or` after a map value needs a number on its right, not a boolean
  local x = m[1] or e.pid == 1
                          ^
hint: e.g. m[k] or 0]==], body_err("  local x = m[1] or e.pid == 1"))
  end)
  it("a local that is never nil cannot take a map value", function()
    assert.are.equal([==[
t.lua:4:8: local 'x' holds a number that is never nil; a map value may be missing
  x = m[1]
       ^
hint: give it a default: m[k] or 0]==], body_err("  local x = 1\n  x = m[1]"))
  end)
  it("bpf.printf() needs a format", function()
    assert.are.equal([==[
t.lua:3:13: bpf.printf() needs a format
  bpf.printf()
            ^]==], body_err("  bpf.printf()"))
  end)
  it("the format must be a string constant", function()
    assert.are.equal([==[
t.lua:3:16: the format of bpf.printf must be a string constant, not a number
  bpf.printf(e.pid)
               ^
hint: e.g. bpf.printf("%s %d\n", e.comm, e.pid)]==], body_err("  bpf.printf(e.pid)"))
  end)
  it("printf: the format checked against the arguments (count)", function()
    assert.are.equal([==[
t.lua:3:14: printf: 2 conversions but 1 argument
  bpf.printf("%d %s\n", e.pid)
             ^]==], body_err("  bpf.printf(\"%d %s\\n\", e.pid)"))
  end)
  it("printf: the format checked against the arguments (types)", function()
    assert.are.equal([==[
t.lua:3:14: printf: conversion 1 (%d) needs an integer, got a string
  bpf.printf("%d\n", e.comm)
             ^]==], body_err("  bpf.printf(\"%d\\n\", e.comm)"))
  end)
  it("the format contains a NUL byte", function()
    assert.are.equal([==[
t.lua:3:14: the format contains a NUL byte
  bpf.printf("a\0b")
             ^]==], body_err("  bpf.printf(\"a\\0b\")"))
  end)
  it("format too long", function()
    assert.are.equal(fmt(3, 14, "format too long: 600 bytes (at most 511)", ("  bpf.printf(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\")"):match("[^\n]*$")), body_err("  bpf.printf(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\")"))
  end)
  it("at most 16 printf arguments", function()
    assert.are.equal([==[
t.lua:3:59: bpf.printf takes at most 16 arguments after the format
  bpf.printf("%d", 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17)
                                                          ^]==], body_err("  bpf.printf(\"%d\", 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17)"))
  end)
  it("cannot printf a map", function()
    assert.are.equal([==[
t.lua:3:22: cannot printf a map
  bpf.printf("%d\n", m)
                     ^
hint: bpf.print(m) prints a whole map]==], body_err("  bpf.printf(\"%d\\n\", m)"))
  end)
  it("cannot print a boolean", function()
    assert.are.equal([==[
t.lua:3:28: cannot print a boolean
  bpf.printf("%d\n", e.pid == 1)
                           ^]==], body_err("  bpf.printf(\"%d\\n\", e.pid == 1)"))
  end)
  it("printf record too large", function()
    assert.are.equal([==[
t.lua:3:13: printf record too large: 65544 bytes, LB_SCRATCH (65536) or more
  bpf.printf("%s%s", bpf.str(e.args.buf, 32768), bpf.str(e.args.buf, 32768))
            ^]==], body_err('  bpf.printf("%s%s", bpf.str(e.args.buf, 32768), bpf.str(e.args.buf, 32768))'))
  end)
  it("too many printf formats in one handler", function()
    assert.are.equal([==[
t.lua:19:13: too many printf formats in one handler (at most 16)
  bpf.printf("17\n")
            ^
hint: split the work over several handlers]==], body_err("  bpf.printf(\"1\\n\")\n  bpf.printf(\"2\\n\")\n  bpf.printf(\"3\\n\")\n  bpf.printf(\"4\\n\")\n  bpf.printf(\"5\\n\")\n  bpf.printf(\"6\\n\")\n  bpf.printf(\"7\\n\")\n  bpf.printf(\"8\\n\")\n  bpf.printf(\"9\\n\")\n  bpf.printf(\"10\\n\")\n  bpf.printf(\"11\\n\")\n  bpf.printf(\"12\\n\")\n  bpf.printf(\"13\\n\")\n  bpf.printf(\"14\\n\")\n  bpf.printf(\"15\\n\")\n  bpf.printf(\"16\\n\")\n  bpf.printf(\"17\\n\")"))
  end)
  it("bpf.print() takes one value", function()
    assert.are.equal([==[
t.lua:3:12: bpf.print() takes one value
  bpf.print(e.pid, e.tid)
           ^
hint: use bpf.printf for several values]==], body_err("  bpf.print(e.pid, e.tid)"))
  end)
  it("bpf.exit() takes no arguments", function()
    assert.are.equal([==[
t.lua:3:11: bpf.exit() takes no arguments
  bpf.exit(1)
          ^]==], body_err("  bpf.exit(1)"))
  end)
  it("printf returns nothing", function()
    assert.are.equal([==[
t.lua:3:23: bpf.printf() returns nothing: call it as a statement
  local x = bpf.printf("x")
                      ^]==], body_err("  local x = bpf.printf(\"x\")"))
  end)
  it("aggregations only in map assignments (hint per builtin)", function()
    assert.are.equal([==[
t.lua:3:21: bpf.hist() can only be assigned to a map element
  local x = bpf.hist(e.pid)
                    ^
hint: e.g. m[e.comm] = bpf.hist(x)]==], body_err("  local x = bpf.hist(e.pid)"))
  end)
  it("stack frame count", function()
    assert.are.equal([==[
t.lua:3:16: bpf.kstack([mode,] n) takes a frame count, an integer constant from 1 to 127
  m[bpf.kstack(0)] = bpf.count()
               ^
hint: bpf.kstack() and bpf.ustack() keep all frames]==], body_err("  m[bpf.kstack(0)] = bpf.count()"))
  end)
  it("ksym() takes one argument", function()
    assert.are.equal([==[
t.lua:3:28: bpf.ksym() takes one argument, an address
  bpf.printf("%s", bpf.ksym())
                           ^]==], body_err("  bpf.printf(\"%s\", bpf.ksym())"))
  end)
  it("ksym() takes an address", function()
    assert.are.equal([==[
t.lua:3:33: bpf.ksym() takes an address (a number), not e.comm (a string)
  bpf.printf("%s\n", bpf.ksym(e.comm))
                                ^]==], body_err("  bpf.printf(\"%s\\n\", bpf.ksym(e.comm))"))
  end)
  it("bpf.vars() fields are named by a constant", function()
    local s = bpf.session()
    local code = "local bpf, m, n, at = ...\nreturn function(e)\n  at[e.pid] = bpf.count()\nend\n"
    assert.are.equal([==[
t.lua:3:5: bpf.vars() fields are named by a constant
  at[e.pid] = bpf.count()
    ^
hint: e.g. at.total = bpf.count(), or a map: m[key] = bpf.count()]==],
      compile_err(code, { session = s, args = { s:vars() } }))
  end)
  it("map key too large", function()
    assert.are.equal(fmt(3, 4, "map key too large: 1040 bytes, more than LB_MAX_KEY (512)", ("  m[{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}] = 1"):match("[^\n]*$"), "the kernel limits hash map keys; read shorter strings with bpf.str(p, n)"), body_err("  m[{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}] = 1"))
  end)

  -- strings (char * fields, bpf.str, string maps)
  it("a string constant longer than the string read never equals it", function()
    assert.are.equal([==[
t.lua:3:17: e.args.buf (a string) holds at most 63 bytes and no NUL, so it never equals this string
  if e.args.buf == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" then m[1] = 1 end
                ^
hint: strings are read up to max_strlen bytes; read longer ones with bpf.str(p, n)]==], body_err([==[  if e.args.buf == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" then m[1] = 1 end]==]))
  end)
  it("comparing two long strings", function()
    assert.are.equal([==[
t.lua:3:31: cannot compare strings of more than 256 bytes (these have 304)
  if bpf.str(e.args.buf, 300) == bpf.str(e.args.fd, 300) then m[1] = 1 end
                              ^
hint: read shorter strings with bpf.str(p, n)]==], body_err([==[  if bpf.str(e.args.buf, 300) == bpf.str(e.args.fd, 300) then m[1] = 1 end]==]))
  end)
  it("bpf.str() needs a pointer", function()
    assert.are.equal([==[
t.lua:3:20: bpf.str() takes a pointer and an optional size
  bpf.print(bpf.str())
                   ^
hint: e.g. bpf.str(e.args.filename) or bpf.str(p, 32)]==], body_err([==[  bpf.print(bpf.str())]==]))
  end)
  it("bpf.str() takes at most two arguments", function()
    assert.are.equal([==[
t.lua:3:36: bpf.str() takes at most two arguments
  bpf.print(bpf.str(e.args.buf, 8, 9))
                                   ^]==], body_err([==[  bpf.print(bpf.str(e.args.buf, 8, 9))]==]))
  end)
  it("bpf.str(p, n): n is a constant from 1 to LB_MAX_STR", function()
    assert.are.equal([==[
t.lua:3:33: bpf.str(p, n) takes a size, an integer constant from 1 to 32768
  bpf.print(bpf.str(e.args.buf, 0))
                                ^
hint: the size counts the terminating NUL]==], body_err([==[  bpf.print(bpf.str(e.args.buf, 0))]==]))
  end)
  it("bpf.str() of a boolean", function()
    assert.are.equal([==[
t.lua:3:27: bpf.str() takes a pointer (a number), not a boolean
  bpf.print(bpf.str(e.pid == 1))
                          ^]==], body_err([==[  bpf.print(bpf.str(e.pid == 1))]==]))
  end)
  it("a string used as a number", function()
    assert.are.equal([==[
t.lua:3:30: cannot do arithmetic on bpf.str(e.args.buf) (a string)
  m[1] = bpf.str(e.args.buf) + 1
                             ^
hint: bpf.str(e.args.buf) is a string here: compare it with a string, or use e.args.buf without bpf.str() as a number (its address)]==], body_err([==[  m[1] = bpf.str(e.args.buf) + 1]==]))
  end)
  it("a string compared with a number", function()
    assert.are.equal([==[
t.lua:3:26: cannot compare bpf.str(e.args.buf) (a string) with a number
  if bpf.str(e.args.buf) == 0 then m[1] = 1 end
                         ^
hint: bpf.str(e.args.buf) is a string here: compare it with a string, or use e.args.buf without bpf.str() as a number (its address)]==], body_err([==[  if bpf.str(e.args.buf) == 0 then m[1] = 1 end]==]))
  end)
  it("a string key over LB_MAX_KEY", function()
    assert.are.equal([==[
t.lua:3:4: map key too large: 520 bytes, more than LB_MAX_KEY (512)
  m[{bpf.str(e.args.buf, 500), e.pid, e.tid}] = bpf.count()
   ^
hint: the kernel limits hash map keys; read shorter strings with bpf.str(p, n)]==], body_err([==[  m[{bpf.str(e.args.buf, 500), e.pid, e.tid}] = bpf.count()]==]))
  end)
  it("a char * field into a map of numbers (hint: its address)", function()
    assert.are.equal([==[
t.lua:4:4: map 'm' holds plain values elsewhere; it cannot also hold strings
  m[2] = e.args.buf
   ^
hint: e.args.buf is a string here; to keep its address, store e.args.buf + 0]==], body_err([==[  m[1] = 1
  m[2] = e.args.buf]==]))
  end)
  it("a string constant longer than the map's string values", function()
    assert.are.equal([==[
t.lua:4:10: map 'm' keeps strings of at most 7 bytes; this string needs 8
  m[2] = "abcdefgh"
         ^]==], body_err([==[  m[1] = bpf.str(e.args.buf, 8)
  m[2] = "abcdefgh"]==]))
  end)
  it("e.comm into a map of shorter string values", function()
    assert.are.equal([==[
t.lua:4:12: map 'm' keeps strings of at most 7 bytes; e.comm needs 15
  m[2] = e.comm
           ^]==], body_err([==[  m[1] = bpf.str(e.args.buf, 8)
  m[2] = e.comm]==]))
  end)
  it("string values cannot contain NUL", function()
    assert.are.equal([==[
t.lua:3:10: string values cannot contain NUL bytes
  m[1] = "a\0b"
         ^]==], body_err([==[  m[1] = "a\0b"]==]))
  end)
  it("`or` after a string map value", function()
    assert.are.equal([==[
t.lua:4:18: `or` after a string is not supported
  local x = m[1] or "none"
                 ^
hint: an absent string value reads as ""; test it with `if m[k] then`]==], body_err([==[  m[1] = e.args.buf
  local x = m[1] or "none"]==]))
  end)
  it("a local holding a char * field keeps it", function()
    assert.are.equal([==[
t.lua:4:14: local 'p' holds a char * field (a string where one is needed); cannot assign a plain number to it
  p = e.args.fd
             ^
hint: a local keeps what it was declared with]==], body_err([==[  local p = e.args.buf
  p = e.args.fd]==]))
  end)
  it("temporary strings over LB_SCRATCH", function()
    assert.are.equal([==[
t.lua:3:107: strings need more than the 65536 bytes of scratch space (LB_SCRATCH)
  if bpf.str(e.args.buf, 32768) == "a" or bpf.str(e.args.buf, 32768) == "b" or bpf.str(e.args.buf, 32768) == "c" then m[1] = 1 end
                                                                                                          ^
hint: read shorter strings with bpf.str(p, n)]==], body_err([==[  if bpf.str(e.args.buf, 32768) == "a" or bpf.str(e.args.buf, 32768) == "b" or bpf.str(e.args.buf, 32768) == "c" then m[1] = 1 end]==]))
  end)
  it("a string read in the kernel is always true", function()
    assert.are.equal([==[
t.lua:3:13: a string is always true in a Lua condition
  if bpf.str(e.args.buf) then m[1] = 1 end
            ^]==], body_err([==[  if bpf.str(e.args.buf) then m[1] = 1 end]==]))
  end)

  -- hostile inputs: a clear error, never a crash
  it("a 10k-digit number (a float, inf, as Lua reads it)", function()
    assert.are.equal(fmt(3, 5, "float inf is not supported", "  m[" .. string.rep("9", 10000) .. "] = bpf.count()", "BPF handlers compute with integers"), body_err("  m[" .. string.rep("9", 10000) .. "] = bpf.count()"))
  end)
  it("non-UTF-8 bytes outside a string", function()
    assert.are.equal(fmt(3, 5, "unexpected byte in source", "  m[\xff\xfe] = bpf.count()"), fake_err("  m[\xff\xfe] = bpf.count()"))
  end)
  it("an unterminated long string at the end of the chunk", function()
    assert.are.equal(fmt(5, 5007, "unfinished long string", "x = [[" .. string.rep("y", 5000)), compile_err(GOOD, { source = GOOD .. "x = [[" .. string.rep("y", 5000) }))
  end)
  it("non-UTF-8 bytes inside a string key are just bytes", function()
    local s = bpf.session()
    local fn = handler(H('  m["\xff\xfe"] = bpf.count()'), s:map(), s:map())
    assert.are.equal(
      "plan nops=4 ctx_copy=0 scratch=1024 sysmode=0 probe_id=0\n" ..
      "  0  imm      r0 = 1\n" ..
      '  1  strcpy   scratch[0..16) = pool[0] "\\xff\\xfe"\n' ..
      "  2  map_add  slot=0 key@0 r0\n" ..
      "  3  end\n", s:compile(PROBE, fn, WRITE))
  end)

  it("maps are left unchanged by a handler that fails", function()
    local s = bpf.session()
    local m, n = s:map(), s:map()
    -- fixes m as (string) and n as (int, int), then fails
    local bad = handler(H("  m[e.comm] = bpf.count()\n  n[{e.pid, e.tid}] = bpf.count()\n  m[1.5] = bpf.count()"), m, n)
    assert.has_error(function() s:compile(PROBE, bad, WRITE) end)
    -- so a handler with other layouts still compiles, and fixes them
    local good = handler(H("  m[e.pid] = bpf.count()\n  n[e.comm] = bpf.count()"), m, n)
    assert.is_string(s:compile(PROBE, good, WRITE))
    local other = handler(H("  m[e.comm] = bpf.count()"), m, n)
    local ok, err = pcall(s.compile, s, PROBE, other, WRITE)
    assert.is_false(ok)
    assert.are.equal([==[
t.lua:3:4: map 'm' is keyed by (string) here but by (int) elsewhere
  m[e.comm] = bpf.count()
   ^]==], err)
  end)
end)

-- Typed args, e.argN and e.retval: the Lua binding does not pass probe
-- kinds, registers and kernel types yet, so these run through the driver
-- (spec/compiler/driver.c) and its fake kernel types. The file is
-- "h.lua"; the handler is on line 2.
describe("compiler errors: typed args, e.argN, e.retval (driver)", function()
  local H = require "spec.helper"
  local dir, driver

  setup(function()
    dir = H.tmpdir()
    driver = H.build_driver(dir)
  end)
  teardown(function() if dir then os.execute("rm -rf " .. dir) end end)

  local function derr(body, args)
    local f = assert(io.open(dir .. "/h.lua", "w"))
    f:write("local bpf, m, n = ...\nlocal f = function(e) " .. body .. " end\n")
    f:close()
    local p = io.popen(("cd %s && ./lbc_driver h.lua 2 2 %s bpf=module m=map:0 n=map:1 2>&1"):format(dir, args))
    local out = p:read("a")
    local ok = p:close()
    assert(not ok, "compiled without error:\n" .. out)
    return (out:gsub("\n$", ""))
  end

  local KFUNC = "--kind typed --probe kfunc:vmlinux:vfs_unlink --field dir:0:8:btf=void* " ..
    "--field dentry:8:8:btf=dentry* --field task:16:8:btf=task* --field mode:24:8:btf=u32 " ..
    "--field name:32:8:btf=char* --field d:40:8:btf=dentry"
  local REGS = "--probe kprobe:do_sys_open --kind regs --reg arg0:112:8 --reg arg1:104:8 " ..
    "--reg arg2:96:8 --reg arg3:88:8 --reg arg4:72:8 --reg arg5:64:8"
  local USDT = "--kind usdt --probe usdt:/usr/bin/usdt_passwd:usdt_samp1:passwdfound " ..
    "--reg arg0:0:8:usdt --reg arg1:1:8:usdt"

  -- e.argN, e.retval
  it("an argument the probe does not have", function()
    assert.are.equal([==[
h.lua:2:27: e.arg7: this probe has arguments arg0..arg5
local f = function(e) m[e.arg7] = bpf.count() end
                          ^]==], derr("m[e.arg7] = bpf.count()", REGS))
    assert.are.equal([==[
h.lua:2:27: e.arg2: this probe has arguments arg0 and arg1
local f = function(e) m[e.arg2] = bpf.count() end
                          ^]==], derr("m[e.arg2] = bpf.count()", USDT))
    assert.are.equal([==[
h.lua:2:27: e.arg1: this probe has one argument, arg0
local f = function(e) m[e.arg1] = bpf.count() end
                          ^]==], derr("m[e.arg1] = bpf.count()", "--probe uprobe:/bin/x:foo --kind regs --reg arg0:112:8"))
  end)
  it("e.argN where arguments have names", function()
    assert.are.equal([==[
h.lua:2:27: e.arg0: this probe's arguments have names, not numbers
local f = function(e) m[e.arg0] = bpf.count() end
                          ^
hint: use e.args.NAME: fd]==], derr("m[e.arg0] = bpf.count()", "--probe tracepoint:syscalls:sys_enter_close --field fd:16:8"))
    assert.are.equal([==[
h.lua:2:27: e.arg0: this probe's arguments have names, not numbers
local f = function(e) m[e.arg0] = bpf.count() end
                          ^
hint: use e.args.NAME: dir, dentry, task, mode, name, d]==], derr("m[e.arg0] = bpf.count()", KFUNC))
  end)
  it("e.argN where there are no arguments", function()
    assert.are.equal([==[
h.lua:2:27: e.arg0: this probe has no arguments
local f = function(e) m[e.arg0] = bpf.count() end
                          ^]==], derr("m[e.arg0] = bpf.count()", "--probe profile:hz:99 --kind profile --nofields"))
  end)
  it("e.retval outside return probes", function()
    assert.are.equal([==[
h.lua:2:27: e.retval only exists in return probes (kretfunc, kretprobe, uretprobe)
local f = function(e) m[e.retval] = bpf.count() end
                          ^]==], derr("m[e.retval] = bpf.count()", REGS))
    assert.are.equal([==[
h.lua:2:27: e.retval only exists in return probes (kretfunc, kretprobe, uretprobe)
local f = function(e) m[e.retval] = bpf.count() end
                          ^
hint: this tracepoint has e.args.ret]==], derr("m[e.retval] = bpf.count()", "--probe tracepoint:syscalls:sys_exit_close --field ret:16:8:s"))
  end)
  it("e.args on a kprobe", function()
    assert.are.equal([==[
h.lua:2:32: this probe has no args
local f = function(e) m[e.args.fd] = bpf.count() end
                               ^
hint: its arguments are e.arg0 .. e.arg5, untyped numbers]==], derr("m[e.args.fd] = bpf.count()", REGS))
  end)
  it("an unknown event field lists what this probe offers", function()
    assert.are.equal([==[
h.lua:2:27: the event has no field 'nope'
local f = function(e) m[e.nope] = bpf.count() end
                          ^
hint: e offers pid, tid, uid, gid, cpu, nsecs, comm, probe, kstack, ustack, arg0 and retval]==],
      derr("m[e.nope] = bpf.count()", "--probe kretprobe:do_sys_open --kind regs --reg arg0:112:8 --reg retval:80:8"))
  end)

  -- typed args and pointer chains
  it("an unknown member, with the struct's members", function()
    assert.are.equal([==[
h.lua:2:39: struct dentry has no member 'd_parnt'
local f = function(e) m[e.args.dentry.d_parnt] = bpf.count() end
                                      ^
hint: members of struct dentry: d_flags, d_parent, d_name, d_inode, d_iname]==],
      derr("m[e.args.dentry.d_parnt] = bpf.count()", KFUNC))
  end)
  it("a bitfield", function()
    assert.are.equal([==[
h.lua:2:37: struct task_struct member 'in_execve' is a bitfield: bitfields cannot be read yet
local f = function(e) m[e.args.task.in_execve] = bpf.count() end
                                    ^]==], derr("m[e.args.task.in_execve] = bpf.count()", KFUNC))
  end)
  it("a member of something that is not a pointer to a struct", function()
    assert.are.equal([==[
h.lua:2:47: e.args.dentry.d_inode is void *, not a pointer to a struct: it has no member 'i_ino'
local f = function(e) m[e.args.dentry.d_inode.i_ino] = bpf.count() end
                                              ^]==], derr("m[e.args.dentry.d_inode.i_ino] = bpf.count()", KFUNC))
    assert.are.equal([==[
h.lua:2:37: e.args.name is const char *, not a pointer to a struct: it has no member 'x'
local f = function(e) m[e.args.name.x] = bpf.count() end
                                    ^]==], derr("m[e.args.name.x] = bpf.count()", KFUNC))
    assert.are.equal([==[
h.lua:2:37: e.args.mode is a number: it has no member 'x'
local f = function(e) m[e.args.mode.x] = bpf.count() end
                                    ^]==], derr("m[e.args.mode.x] = bpf.count()", KFUNC))
    assert.are.equal([==[
h.lua:2:36: e.args.buf is a char * (a string pointer): it has no member 'x'
local f = function(e) m[e.args.buf.x] = bpf.count() end
                                   ^]==], derr("m[e.args.buf.x] = bpf.count()", "--field buf:24:8:str"))
  end)
  it("an embedded struct or an array used as a value", function()
    assert.are.equal([==[
h.lua:2:39: e.args.dentry.d_name is struct qstr, in kernel memory: only its members can be used
local f = function(e) m[e.args.dentry.d_name] = bpf.count() end
                                      ^
hint: members of struct qstr: hash, len, name]==], derr("m[e.args.dentry.d_name] = bpf.count()", KFUNC))
    assert.are.equal([==[
h.lua:2:56: e.args.dentry.d_name is struct qstr, in kernel memory: only its members can be used
local f = function(e) bpf.printf("%d\n", e.args.dentry.d_name + 1) end
                                                       ^
hint: members of struct qstr: hash, len, name]==], derr('bpf.printf("%d\\n", e.args.dentry.d_name + 1)', KFUNC))
    assert.are.equal([==[
h.lua:2:37: e.args.task.sample is long[4], in kernel memory: only its elements can be used
local f = function(e) m[e.args.task.sample] = bpf.count() end
                                    ^
hint: index it with a constant: e.args.task.sample[0]]==], derr("m[e.args.task.sample] = bpf.count()", KFUNC))
  end)
  it("arrays: a member, an index out of bounds, a variable index, a pointer indexed", function()
    assert.are.equal([==[
h.lua:2:44: e.args.task.sample is an array (long[4]): it has no member 'x'
local f = function(e) m[e.args.task.sample.x] = bpf.count() end
                                           ^
hint: index it with a constant: e.args.task.sample[0]]==], derr("m[e.args.task.sample.x] = bpf.count()", KFUNC))
    assert.are.equal([==[
h.lua:2:44: index 4 is out of bounds: e.args.task.sample has 4 elements
local f = function(e) m[e.args.task.sample[4]] = bpf.count() end
                                           ^]==], derr("m[e.args.task.sample[4]] = bpf.count()", KFUNC))
    assert.are.equal([==[
h.lua:2:46: e.args.task.sample can only be indexed with an integer constant
local f = function(e) m[e.args.task.sample[e.pid]] = bpf.count() end
                                             ^]==], derr("m[e.args.task.sample[e.pid]] = bpf.count()", KFUNC))
    assert.are.equal([==[
h.lua:2:38: e.args.dentry is struct dentry *: only arrays in kernel structs can be indexed
local f = function(e) m[e.args.dentry[0]] = bpf.count() end
                                     ^]==], derr("m[e.args.dentry[0]] = bpf.count()", KFUNC))
  end)
  it("types handlers cannot read", function()
    assert.are.equal([==[
h.lua:2:37: e.args.task.fn is void (*)(void): handlers cannot read it
local f = function(e) m[e.args.task.fn] = bpf.count() end
                                    ^]==], derr("m[e.args.task.fn] = bpf.count()", KFUNC))
    assert.are.equal([==[
h.lua:2:32: e.args.d is struct dentry: handlers cannot read it (only numbers and pointers)
local f = function(e) m[e.args.d] = bpf.count() end
                               ^]==], derr("m[e.args.d] = bpf.count()", KFUNC))
  end)
  it("a local keeps its pointer type", function()
    assert.are.equal([==[
h.lua:2:57: local 't' holds a struct task_struct *; cannot assign a struct dentry * to it
local f = function(e) local t = e.args.task; t = e.args.dentry end
                                                        ^
hint: a local keeps the type it was declared with; use another local]==],
      derr("local t = e.args.task; t = e.args.dentry", KFUNC))
    assert.are.equal([==[
h.lua:2:55: local 'q' holds a kernel struct and cannot be reassigned in a kernel handler
local f = function(e) local q = e.args.dentry.d_name; q = 1 end
                                                      ^]==], derr("local q = e.args.dentry.d_name; q = 1", KFUNC))
  end)
end)
