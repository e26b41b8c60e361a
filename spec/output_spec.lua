-- bpftrace's text format for maps, checked line by line (no kernel).
local output = require "luabpf.output"

-- What output needs of a map: its name and its entries.
local function fake(name, rows)
  return { name = function() return name end, entries = function()
    local copy = {}
    for i, r in ipairs(rows) do copy[i] = { r[1], r[2] } end
    return copy
  end }
end

describe("map output", function()
  it("prints @name[key]: value sorted ascending by value", function()
    local m = fake("calls", { { "sshd", 10 }, { "bash", 3 }, { "perl", 20 } })
    assert.are.equal("@calls[bash]: 3\n@calls[sshd]: 10\n@calls[perl]: 20\n",
                     output.format_map(m))
  end)

  it("prints tuple keys comma separated, strings unquoted", function()
    local m = fake("x", { { { 3179, 3180, "perl" }, 2 }, { { 1, 2, "a b" }, 1 } })
    assert.are.equal("@x[1, 2, a b]: 1\n@x[3179, 3180, perl]: 2\n", output.format_map(m))
  end)

  it("prints the anonymous map as @", function()
    assert.are.equal("@[-3]: 1\n", output.format_map(fake("", { { -3, 1 } })))
    assert.are.equal("@[7]: 1\n", output.format_map(fake("_", { { 7, 1 } })))
  end)

  it("keeps the top N (the largest, still ascending) and divides", function()
    local rows = {}
    for i = 1, 20 do rows[i] = { "k" .. i, i * 10 } end
    local text = output.format_map(fake("t", rows), { top = 3, div = 10 })
    assert.are.equal("@t[k18]: 18\n@t[k19]: 19\n@t[k20]: 20\n", text)
  end)

  it("breaks ties by key so the order is stable", function()
    local m = fake("y", { { "b", 1 }, { "c", 1 }, { "a", 1 } })
    assert.are.equal("@y[a]: 1\n@y[b]: 1\n@y[c]: 1\n", output.format_map(m))
  end)
end)
