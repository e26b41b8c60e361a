-- Compiling is a pure function (issue 13, part 4): a handler's free
-- names are resolved before code generation by raw look-ups, so no Lua
-- code runs while compiling; the compiler proposes map layouts and a
-- probe refused at any point leaves the session as it was.
local bpf = require "luabpf"
local H = require "spec.helper"

-- A handler in a file of its own, loaded with environment env.
local function handler_in(env, body)
  local path = H.script("return function(e)\n  " .. body .. "\nend\n")
  local chunk = assert(loadfile(path, "t", env))
  return chunk(), path
end

describe("name resolution", function()
  it("never calls an __index function on a metatable's metatable", function()
    local calls = 0
    local mt = setmetatable({}, {
      __index = function(_, k)
        calls = calls + 1
        return function() return bpf end -- what a lazy loader would give
      end,
    })
    -- Lua reads mt.__index raw: the global is plain nil to Lua too
    local env = setmetatable({ bpf = bpf }, mt)
    local s = bpf.session()
    local fn, path = handler_in(env, "X[e.pid] = bpf.count()")
    local ok, err = pcall(s.compile, s, "tracepoint:syscalls:sys_enter_write", fn)
    assert.is_false(ok)
    assert.are.equal(0, calls)
    assert.matches(path:match("[^/]+$") .. ":2:3: global 'X' is nil", err, 1, true)
    s:close()
    os.remove(path)
  end)

  it("says at its position that a global would come from an __index function", function()
    local calls = 0
    local env = setmetatable({}, {
      __index = function(_, k)
        calls = calls + 1
        return _G[k]
      end,
    })
    local s = bpf.session()
    local m = s:map()
    env.m = m
    local fn, path = handler_in(env, "m[e.pid] = bpf.count()")
    local ok, err = pcall(s.compile, s, "tracepoint:syscalls:sys_enter_write", fn)
    assert.is_false(ok)
    assert.are.equal(0, calls)
    assert.matches(path:match("[^/]+$") .. ":2:14: global 'bpf' would come from an __index function\n"
      .. "  m[e.pid] = bpf.count()\n"
      .. "             ^\n"
      .. "hint: compiling runs no Lua code", err, 1, true)
    -- a plain value in the environment compiles
    rawset(env, "bpf", bpf)
    assert.matches("map_add", s:compile("tracepoint:syscalls:sys_enter_write", fn))
    assert.are.equal(0, calls)
    s:close()
    os.remove(path)
  end)

  it("follows __index tables raw, as the runner's -e environment needs", function()
    local s = bpf.session()
    local m = s:map()
    local env = setmetatable({ m = m }, { __index = setmetatable({}, { __index = { bpf = bpf } }) })
    local fn, path = handler_in(env, "m[e.pid] = bpf.count()")
    assert.matches("map_add", s:compile("tracepoint:syscalls:sys_enter_write", fn))
    s:close()
    os.remove(path)
  end)

  it("leaks nothing on that path (valgrind)", function()
    local script = H.script([[
local bpf = require "luabpf"
local path = os.tmpname()
local f = io.open(path, "w")
f:write("return function(e)\n  m[e.pid] = bpf.count()\nend\n")
f:close()
local s = bpf.session()
local env = setmetatable({ m = s:map() }, { __index = function(_, k) return _G[k] end })
for _ = 1, 20 do
  local ok, err = pcall(s.compile, s, "tracepoint:syscalls:sys_enter_write", loadfile(path, "t", env)())
  assert(not ok and err:find("would come from an __index function", 1, true), err)
end
s:close()
os.remove(path)
print("done")
]])
    local rc, out, err = H.run_rc("valgrind --trace-children=yes --leak-check=full "
      .. "--errors-for-leak-kinds=definite,indirect --error-exitcode=9 " .. H.host_command(script), 300)
    os.remove(script)
    assert.are.equal("done\n", out)
    assert.are.equal(0, rc, err)
    assert.matches("ERROR SUMMARY: 0 errors", err, 1, true)
    assert.is_truthy(err:find("All heap blocks were freed", 1, true)
      or err:find("definitely lost: 0 bytes", 1, true), err)
  end)
end)
