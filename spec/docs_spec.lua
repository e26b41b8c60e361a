-- The documentation that ships: the man page renders without a warning,
-- and doc/api.md names everything the README and the module offer.
local H = require "spec.helper"

describe("documentation", function()
  local api = H.slurp("doc/api.md")

  it("doc/api.md names every bpf.X, s:X and m:X the README shows", function()
    local readme = H.slurp("README.md")
    for name in readme:gmatch("%f[%w]bpf%.([%a_][%w_]*)") do
      assert.is_truthy(api:find("bpf." .. name, 1, true), "bpf." .. name .. " is not in doc/api.md")
    end
    for obj, name in readme:gmatch("`([sm]):([%a_][%w_]*)") do
      assert.is_truthy(api:find(obj .. ":" .. name, 1, true), obj .. ":" .. name .. " is not in doc/api.md")
    end
  end)

  it("doc/api.md names every public function of the module", function()
    local bpf = require "luabpf"
    local internal = { default_session = true }
    for name in pairs(bpf) do
      if not name:match("^_") and not internal[name] then
        assert.is_truthy(api:find("bpf." .. name, 1, true) or api:find("s:" .. name, 1, true),
          "bpf." .. name .. " is not in doc/api.md")
      end
    end
  end)

  it("every option of luabpf -h is in the man page and doc/api.md", function()
    local man = H.run("MANWIDTH=200 man -l build/share/man/man1/luabpf.1 2>/dev/null")
    local n = 0
    for opt in H.run(H.luabpf .. " -h"):gmatch("\n  (%-%-?[%w%-]+)") do
      n = n + 1
      local pat = opt:gsub("%-", "%%-")
      assert.is_truthy(man:find("\n%s+" .. pat .. "[%s,]"), opt .. " is not in man luabpf")
      assert.is_truthy(api:find("[`%[]" .. pat .. "[ `]"), opt .. " is not in doc/api.md")
    end
    assert.is_true(n >= 12, "options found in luabpf -h: " .. n)
  end)

  it("the man page renders with no warning and shows the version", function()
    local version = H.slurp("VERSION"):match("%S+")
    local f = io.popen("MANWIDTH=80 man --warnings -l build/share/man/man1/luabpf.1 2>&1 >/dev/null")
    local warnings = f:read("a")
    f:close()
    assert.are.equal("", warnings)
    local text = H.run("MANWIDTH=80 man -l build/share/man/man1/luabpf.1 2>/dev/null")
    assert.is_truthy(text:find("luabpf - bpftrace-style eBPF tracing scripts written in Lua", 1, true), text)
    assert.is_truthy(text:find("luabpf " .. version .. " ", 1, true), text)
  end)
end)
