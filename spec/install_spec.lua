-- Installing: `make install PREFIX=DIR` and luarocks into a local tree;
-- the installed command runs a lab script with no LUA_PATH/LUA_CPATH set.
local H = require "spec.helper"

-- Run an installed luabpf on syscount.lua against a workload.
local function counts_with(bin, env)
  local comm = H.comm("lbn")
  local t = H.spawn("env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 " ..
                    (env or "") .. " " .. bin .. " scripts/syscount.lua")
  H.wait_for(t, "out", "Attaching")
  H.run(H.bin .. "syscaller --calls 777 --comm " .. comm)
  local rc, out = H.stop(t)
  assert.are.equal(0, rc)
  local n = H.parse_maps(out).calls[comm]
  assert.is_true(n >= 777 and n <= 797, tostring(n))
end

describe("installation #kernel", function()
  it("make install PREFIX=DIR gives a working DIR/bin/luabpf", function()
    local d = H.tmpdir()
    H.run("make -s install PREFIX=" .. d)
    counts_with(d .. "/bin/luabpf")
    H.run("rm -rf " .. d)
  end)

  it("a packed rock installs into a fresh tree and runs", function()
    local built, fresh, packdir = H.tmpdir(), H.tmpdir(), H.tmpdir()
    local lr = "luarocks --lua-version 5.4 "
    H.run(lr .. "make --tree " .. built .. " rocks/luabpf-scm-1.rockspec")
    H.run("cd " .. packdir .. " && " .. lr .. "pack --tree " .. built .. " luabpf")
    local rock = H.run("ls " .. packdir .. "/luabpf-scm-1.*.rock"):match("[^\n]+")
    H.run(lr .. "install --tree " .. fresh .. " " .. rock)
    counts_with(fresh .. "/bin/luabpf")
    H.run("rm -rf " .. built .. " " .. fresh .. " " .. packdir)
  end)

  it("luarocks make installs the rock into a local tree", function()
    local d = H.tmpdir()
    H.run("luarocks --lua-version 5.4 make --tree " .. d .. " rocks/luabpf-scm-1.rockspec")
    counts_with(d .. "/bin/luabpf")
    H.run("rm -rf " .. d)
  end)
end)
