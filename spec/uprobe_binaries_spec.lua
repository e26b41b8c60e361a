-- uprobes on every kind of executable: PIE (the default), non-PIE,
-- static and stripped-of-nothing builds of the same workload; foo and bar
-- are counted exactly.
local H = require "spec.helper"

describe("uprobes on PIE, non-PIE and static binaries #kernel", function()
  local dir

  setup(function()
    dir = H.tmpdir()
    for name, flags in pairs { pie = "-fPIE -pie", nopie = "-fno-pie -no-pie", static = "-static" } do
      H.run(string.format("cc -O2 -g %s -o %s/uprobeme-%s spec/workloads/uprobeme.c", flags, dir, name))
    end
  end)

  teardown(function() os.execute("rm -rf " .. H.quote(dir)) end)

  for _, kind in ipairs { "pie", "nopie", "static" } do
    it(kind .. ": foo and bar counted exactly, add_contact's retval summed", function()
      local bin = dir .. "/uprobeme-" .. kind
      local t = H.tracer { "-e", string.format([[
        local m = map()
        uprobe("%s:foo", function(e) m[e.probe] = count() end)
        uprobe("%s:bar", function(e) m[e.probe] = count() end)
        uretprobe("%s:add_contact", function(e) m[e.probe] = sum(e.retval) end)]], bin, bin, bin) }
      local out = H.run(bin .. " --calls 13 --contacts 4")
      local total = tonumber(out:match("total=(%d+)"))
      local rc, maps = H.stop(t)
      assert.are.equal(0, rc)
      local m = H.parse_maps(maps).m
      assert.are.equal(13, m["uprobe:" .. bin .. ":foo"])
      assert.are.equal(13, m["uprobe:" .. bin .. ":bar"])
      assert.are.equal(total, m["uretprobe:" .. bin .. ":add_contact"])
    end)
  end
end)
