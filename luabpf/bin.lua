#!/usr/bin/env lua5.4
-- Launcher for the `luabpf` command. Finds the module next to itself
-- (PREFIX/bin/luabpf -> PREFIX/share/lua/5.x, PREFIX/lib/lua/5.x, 5.x
-- this Lua's version: 5.1 for LuaJIT), so an install works from any
-- prefix without LUA_PATH or LUA_CPATH. `make` sets the #! line to the
-- Lua the module was built for.
local root = (arg and arg[0] or ""):match("^(.*)/bin/[^/]*$") or "."
local v = _VERSION:match("%d+%.%d+")
package.path = root .. "/share/lua/" .. v .. "/?.lua;" .. root .. "/share/lua/" .. v
  .. "/?/init.lua;" .. package.path
package.cpath = root .. "/lib/lua/" .. v .. "/?.so;" .. package.cpath
os.exit(require("luabpf.runner").main(arg))
