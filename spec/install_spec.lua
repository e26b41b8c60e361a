-- Installing: `make install PREFIX=DIR`, the release rock `make dist`
-- makes, and luarocks from the work tree. Each installed luabpf is run
-- with no LUA_PATH/LUA_CPATH set: its version, its man page, and a lab
-- script from the installed examples with exact figures.
local H = require "spec.helper"

local version = H.slurp("VERSION"):match("%S+")
local clean_env = "env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 "

-- The installed examples/fdbytes.lua (lab 1.1) against the writer workload.
local function runs_example(bin, examples)
  local comm = H.comm("lbn")
  local t = H.spawn(clean_env .. bin .. " " .. examples .. "/fdbytes.lua " .. comm)
  H.wait_for(t, "out", "Attaching")
  local pidline = H.run(H.bin .. "writer --comm " .. comm .. " 5:100x7 6:4096x3 9:1x11")
  local rc, out = H.stop(t)
  assert.are.equal(0, rc)
  -- fd 1: the workload's own "pid=N\n" line
  assert.are.same({ ["1"] = #pidline, ["5"] = 700, ["6"] = 12288, ["9"] = 11 }, H.parse_maps(out).bytes)
end

local function installed(bin, man, doc, examples)
  assert.are.equal("luabpf v" .. version .. "\n", H.run(clean_env .. bin .. " --version"))
  assert.are.equal("", H.run("MANWIDTH=80 man --warnings -l " .. man .. " 2>&1 >/dev/null"))
  local page = H.run("MANWIDTH=80 man -l " .. man .. " 2>/dev/null")
  assert.is_truthy(page:find("luabpf - bpftrace-style eBPF tracing scripts written in Lua", 1, true), page)
  assert.is_truthy(H.slurp(doc .. "/api.md"):find("# luabpf API reference", 1, true))
  runs_example(bin, examples)
end

describe("installation #kernel", function()
  it("make install PREFIX=DIR: command, module, man page, API reference, examples", function()
    local d = H.tmpdir()
    H.run("make -s install PREFIX=" .. d)
    installed(d .. "/bin/luabpf", d .. "/share/man/man1/luabpf.1", d .. "/share/doc/luabpf",
      d .. "/share/luabpf/examples")
    H.run("rm -rf " .. d)
  end)

  it("make dist's source rock (HEAD's tarball, url and md5) installs into a fresh tree", function()
    H.run("make -s dist")
    local spec = H.slurp("build/luabpf-" .. version .. "-1.rockspec")
    local md5 = H.run("md5sum build/luabpf-" .. version .. ".tar.gz"):match("^%x+")
    assert.is_truthy(spec:find('  md5 = "' .. md5 .. '",', 1, true), spec)
    assert.is_truthy(spec:find('url = "file:///', 1, true), spec)
    local tree = H.tmpdir()
    H.run("luarocks --lua-version 5.4 install --tree " .. tree .. " build/luabpf-" .. version .. "-1.src.rock")
    local rockdir = tree .. "/lib/luarocks/rocks-5.4/luabpf/" .. version .. "-1/doc"
    installed(tree .. "/bin/luabpf", rockdir .. "/luabpf.1", rockdir, rockdir .. "/examples")
    H.run("rm -rf " .. tree)
  end)

  it("the Makefile names a missing build tool before compiling anything", function()
    local d = H.tmpdir()
    local rc, _, err = H.run_rc("make -s B=" .. d .. " CLANG=lb-no-such-clang module")
    assert.are.equal(2, rc)
    assert.are.equal("luabpf needs clang to build its BPF templates: apt-get install clang " ..
      "(or make CLANG=/path/to/clang)\n", err:match("^[^\n]*\n"))
    H.run("rm -rf " .. d)
  end)

  it("luarocks make of the scm rockspec installs the work tree; its packed rock installs elsewhere", function()
    local built, fresh, packdir = H.tmpdir(), H.tmpdir(), H.tmpdir()
    local lr = "luarocks --lua-version 5.4 "
    H.run(lr .. "make --tree " .. built .. " rocks/luabpf-scm-1.rockspec")
    local doc = built .. "/lib/luarocks/rocks-5.4/luabpf/scm-1/doc"
    installed(built .. "/bin/luabpf", doc .. "/luabpf.1", doc, doc .. "/examples")
    H.run("cd " .. packdir .. " && " .. lr .. "pack --tree " .. built .. " luabpf")
    local rock = H.run("ls " .. packdir .. "/luabpf-scm-1.*.rock"):match("[^\n]+")
    H.run(lr .. "install --tree " .. fresh .. " " .. rock)
    runs_example(fresh .. "/bin/luabpf", doc .. "/examples")
    H.run("rm -rf " .. built .. " " .. fresh .. " " .. packdir)
  end)
end)
