-- The source of a handler is the text Lua compiled (README "Loading
-- chunks"): kept by bpf.load, bpf.loadfile, bpf.dofile, bpf.searcher and
-- the luabpf command, proven against the handler's bytecode, never a file
-- read again behind Lua's back. Each run counts a workload's exact calls
-- (luabpf -c: only the command's) or fails with the exact message.
local H = require "spec.helper"

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- A module whose handler adds 2 per getppid call: 200 for 100 calls. The
-- scripts below edit it to "+ 7" after loading it, before adding it.
local MODULE = [[
local bpf = require "luabpf"
return function(m)
  bpf.tracepoint("syscalls:sys_enter_getppid", function(e)
    m.total = bpf.sum(e.tid * 0 + 2)
  end)
end
]]

-- The script's lines that edit the module file (path) to "+ 7".
local EDIT = [[
local function edit(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  f = assert(io.open(path, "wb"))
  f:write((text:gsub("%+ 2", "+ 7")))
  f:close()
end
]]

-- luabpf -c "syscaller --calls 100" SCRIPT ARGS...: status and output
local function count_run(script, ...)
  local words = {}
  for _, a in ipairs { ... } do words[#words + 1] = H.quote(a) end
  return H.luabpf_output("-c " .. H.quote(H.bin .. "syscaller --calls 100 --comm " ..
    H.comm("src")) .. " " .. H.quote(script) .. " " .. table.concat(words, " "))
end

describe("handler sources #kernel", function()
  local dir
  before_each(function() dir = H.tmpdir() end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  it("a file Lua's own loadfile loaded, edited before its handler is added: an error, not the new text", function()
    local mod = dir .. "/mod.lua"
    write(mod, MODULE)
    local script = dir .. "/main.lua"
    write(script, EDIT .. [[
local bpf = require "luabpf"
local load_module = assert(loadfile(arg[1]))
edit(arg[1])
load_module()(bpf.map())
]])
    local rc, out = count_run(script, mod)
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: " .. mod .. ":3:1: the file changed since it was loaded: its text is " ..
      "not the source of this handler\nhint: load it with bpf.load, bpf.loadfile or bpf.dofile, " ..
      "or require it through bpf.searcher (they keep the text Lua compiled)\n", out)
  end)

  it("the same through bpf.loadfile runs the text Lua compiled: 100 calls sum to 200", function()
    local mod = dir .. "/mod.lua"
    write(mod, MODULE)
    local script = dir .. "/main.lua"
    write(script, EDIT .. [[
local bpf = require "luabpf"
local load_module = assert(bpf.loadfile(arg[1]))
edit(arg[1])
load_module()(bpf.map())
]])
    local rc, out = count_run(script, mod)
    assert.are.equal(0, rc)
    assert.is_truthy(out:find("\n@m[total]: 200\n", 1, true), out)
  end)

  it("a module required through bpf.searcher (the luabpf command installs it) keeps its text", function()
    write(dir .. "/srcmod.lua", MODULE)
    local script = dir .. "/main.lua"
    write(script, EDIT .. [[
local bpf = require "luabpf"
package.path = arg[1] .. "/?.lua;" .. package.path
local load_module = require "srcmod"
edit(arg[1] .. "/srcmod.lua")
load_module(bpf.map())
]])
    local rc, out = count_run(script, dir)
    assert.are.equal(0, rc)
    assert.is_truthy(out:find("\n@m[total]: 200\n", 1, true), out)
  end)

  it("load(src, \"=name\") through bpf.load counts exactly; Lua's own load gets how to fix it", function()
    local script = dir .. "/main.lua"
    write(script, [[
local bpf = require "luabpf"
local src = "local bpf, m = ...\nbpf.tracepoint('syscalls:sys_enter_getppid', function(e)\n" ..
  "  m.calls = bpf.count()\nend)\n"
local loader = arg[1] == "bpf" and bpf.load or load
assert(loader(src, "=generated"))(bpf, bpf.map())
]])
    local rc, out = count_run(script, "bpf")
    assert.are.equal(0, rc)
    assert.is_truthy(out:find("\n@m[calls]: 100\n", 1, true), out)
    rc, out = count_run(script, "lua")
    assert.are.equal(1, rc)
    assert.are.equal("luabpf: generated:2:1: luabpf did not see this chunk loaded (Lua's own load " ..
      "keeps no source text)\nhint: load it with bpf.load(src, \"=generated\"), or bpf.loadfile " ..
      "or bpf.dofile, or require it through bpf.searcher\n", out)
  end)

  it("a script on stdin (luabpf -) and -e code count exactly", function()
    local script = dir .. "/main.lua"
    write(script, "#!/usr/bin/env luabpf\nlocal bpf = require 'luabpf'\nlocal m = bpf.map()\n" ..
      "bpf.tracepoint('syscalls:sys_enter_getppid', function(e)\n  m.calls = bpf.count()\nend)\n")
    local cmd = "-c " .. H.quote(H.bin .. "syscaller --calls 100 --comm " .. H.comm("src"))
    local rc, out = H.luabpf_output(cmd .. " - < " .. H.quote(script))
    assert.are.equal(0, rc)
    assert.is_truthy(out:find("\n@m[calls]: 100\n", 1, true), out)
    rc, out = H.luabpf_output(cmd .. " -e " .. H.quote(
      "local m = map()\ntracepoint('syscalls:sys_enter_getppid', function(e)\n  m.calls = count()\nend)"))
    assert.are.equal(0, rc)
    assert.is_truthy(out:find("\n@m[calls]: 100\n", 1, true), out)
  end)

  it("a file loaded by a relative name compiles after a chdir", function()
    write(dir .. "/rel.lua", MODULE)
    local script = dir .. "/main.lua"
    write(script, [[
local bpf, lfs = require "luabpf", require "lfs"
assert(lfs.chdir(arg[1]))
local load_module = assert(bpf.loadfile("rel.lua"))
assert(lfs.chdir("/"))
load_module()(bpf.map())
]])
    local rc, out = count_run(script, dir)
    assert.are.equal(0, rc)
    assert.is_truthy(out:find("\n@m[total]: 200\n", 1, true), out)
  end)

  it("bpf.dofile runs a file through bpf.loadfile", function()
    write(dir .. "/mod.lua", MODULE)
    local script = dir .. "/main.lua"
    write(script, [[
local bpf = require "luabpf"
bpf.dofile(arg[1] .. "/mod.lua")(bpf.map())
]])
    local rc, out = count_run(script, dir)
    assert.are.equal(0, rc)
    assert.is_truthy(out:find("\n@m[total]: 200\n", 1, true), out)
  end)
end)

-- Lua's own loaders' behaviour that bpf.load and friends keep.
describe("bpf.load, bpf.loadfile, bpf.searcher", function()
  local bpf = require "luabpf"

  it("return what Lua's loaders return on errors", function()
    local fn, err = bpf.loadfile("/nonexistent/x.lua")
    assert.is_nil(fn)
    assert.are.equal("cannot open /nonexistent/x.lua: No such file or directory", err)
    fn, err = bpf.load("return +", "=bad")
    assert.is_nil(fn)
    assert.are.equal(select(2, load("return +", "=bad")), err)
    assert.are.equal("attempt to load a text chunk (mode is 'b')", select(2, bpf.load("return 1", "=x", "b")))
    assert.are.equal(select(2, pcall(dofile, "/nonexistent/x.lua")),
                     select(2, pcall(bpf.dofile, "/nonexistent/x.lua")))
  end)

  it("give a chunk its environment, and skip a #! line as loadfile does", function()
    assert.are.equal(42, bpf.load("return x", "=env", "t", { x = 42 })())
    local path = H.script("#!/usr/bin/env luabpf\nreturn select('#', ...), debug.getinfo(1, 'l').currentline\n")
    local n, line = bpf.loadfile(path)(1, 2)
    os.remove(path)
    assert.are.equal(2, n)
    assert.are.equal(2, line)
  end)

  it("a file Lua's own loadfile loaded is read at its first handler's compile, then kept", function()
    local s = bpf.session()
    local path = H.script("local bpf, m = ...\nreturn function(e)\n  m[e.pid] = bpf.count()\n" ..
      "end, function(e)\n  m[e.tid] = bpf.count()\nend\n")
    local a, b = assert(loadfile(path))(bpf, s:map())
    assert.is_truthy(s:compile("tracepoint:x:y", a):find("r0 = pid", 1, true))
    os.remove(path) -- nothing to read any more: the text was kept
    assert.is_truthy(s:compile("tracepoint:x:y", b):find("r0 = tid", 1, true))
  end)

  it("searcher: a loader and its file, or where it looked", function()
    local dir = H.tmpdir()
    write(dir .. "/lbsrcmod.lua", "return { name = ... }")
    local saved = package.path
    package.path = dir .. "/?.lua"
    local loader, file = bpf.searcher("lbsrcmod")
    local missing = bpf.searcher("lbnomod")
    package.path = saved
    os.execute("rm -rf " .. dir)
    assert.are.equal(dir .. "/lbsrcmod.lua", file)
    assert.are.equal("lbsrcmod", loader("lbsrcmod", file).name)
    assert.is_truthy(missing:find("no file '" .. dir .. "/lbnomod.lua'", 1, true), missing)
  end)
end)
