#!/usr/bin/env lua5.4
-- Launcher for the `luabpf` command. Finds the module next to itself
-- (PREFIX/bin/luabpf -> PREFIX/share/lua/5.4, PREFIX/lib/lua/5.4), so an
-- install works from any prefix without LUA_PATH or LUA_CPATH.
local root = (arg and arg[0] or ""):match("^(.*)/bin/[^/]*$") or "."
package.path = root .. "/share/lua/5.4/?.lua;" .. root .. "/share/lua/5.4/?/init.lua;"
  .. package.path
package.cpath = root .. "/lib/lua/5.4/?.so;" .. package.cpath
os.exit(require("luabpf.runner").main(arg))
