-- Lab parts 4 (user probes) and 5 (USDT), scripts 4.1-5.2 and the
-- listings 4.4 and 5.1, against workloads whose calls are known exactly:
-- uprobeme (foo/bar N times each, add_contact with known strings, a PIE),
-- usdt_passwd (usdt_samp1:passwdfound(name, homedir) once per scan that
-- finds the user), and copies of /bin/sleep under unique names for the
-- lifetimes histogram.
local H = require "spec.helper"
local run_rc, lines = H.run_rc, H.lines

local function abspath(p) return (H.run("realpath " .. H.quote(p)):gsub("\n$", "")) end

-- Histogram rows of "@name[key]: " in bpftrace's format -> { label = count }
local function hist_rows(out, head)
  local s = out:find(head .. "\n", 1, true)
  if not s then return nil end
  local rows = {}
  for l in out:sub(s + #head + 1):gmatch("([^\n]*)\n") do
    if l == "" then break end
    local label, n = l:match("^(%[[^%]%)]*[%]%)])%s+(%d+) |")
    if label then rows[label] = tonumber(n) end
  end
  return rows
end

local function has_bpftrace() return os.execute("command -v bpftrace >/dev/null 2>&1") == true end

-- The contact lines a workload printed, and its summary line.
local function contact_lines(text)
  local t = {}
  for l in text:gmatch("(contact [^\n]*)\n") do t[#t + 1] = l end
  return t
end

describe("lab 4 and 5: user probes and USDT #kernel", function()
  local uprobeme, usdt_passwd
  setup(function()
    assert.is_true(H.is_root(), "kernel specs run as root")
    uprobeme = abspath(H.bin .. "uprobeme")
    usdt_passwd = abspath(H.bin .. "usdt_passwd")
  end)

  it("4.4 luabpf -l 'uprobe:PATH:*' lists uprobeme's functions as bpftrace -l does", function()
    local out = H.run(H.luabpf .. " -l " .. H.quote("uprobe:" .. uprobeme .. ":*"))
    local got = {}
    for _, l in ipairs(lines(out)) do got[l] = true end
    for _, f in ipairs { "foo", "bar", "add_contact", "main" } do
      assert.is_true(got["uprobe:" .. uprobeme .. ":" .. f], f .. " in:\n" .. out)
    end
    if has_bpftrace() then
      local ref = H.run("bpftrace -l " .. H.quote("uprobe:" .. uprobeme .. ":*") .. " 2>/dev/null")
      local want = lines(ref)
      table.sort(want)
      local have = lines(out)
      table.sort(have)
      assert.are.same(want, have)
    end
  end)

  it("4.4 a function pattern narrows the listing", function()
    local out = H.run(H.luabpf .. " -l " .. H.quote("uprobe:" .. uprobeme .. ":add_*"))
    assert.are.same({ "uprobe:" .. uprobeme .. ":add_contact" }, lines(out))
  end)

  it("5.1 luabpf -l 'usdt:PATH:*' shows usdt_samp1:passwdfound as bpftrace -l does", function()
    local out = H.run(H.luabpf .. " -l " .. H.quote("usdt:" .. usdt_passwd .. ":*"))
    assert.are.same({ "usdt:" .. usdt_passwd .. ":usdt_samp1:passwdfound" }, lines(out))
    if has_bpftrace() then
      local ref = H.run("bpftrace -l " .. H.quote("usdt:" .. usdt_passwd .. ":*") .. " 2>/dev/null")
      assert.are.same(lines(ref), lines(out))
    end
  end)

  it("4.1 lifetimes.lua: every process started lands in its bucket, per comm", function()
    local dir = H.tmpdir()
    local name = H.comm("lbs") -- <= 15 characters: it is the comm
    local bin = dir .. "/" .. name
    H.run("cp /bin/sleep " .. H.quote(bin))
    local t = H.tracer("scripts/lifetimes.lua")
    -- 3 lives of ~300 ms: [256M, 512M) ns
    H.run(string.format("%s 0.3 & %s 0.3 & %s 0.3 & wait", bin, bin, bin))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.same({ ["[256M, 512M)"] = 3 }, hist_rows(out, "@life[" .. name .. "]: "))
    assert.is_nil(out:find("@start", 1, true), out) -- cleared at END
    os.execute("rm -rf " .. H.quote(dir))
  end)

  it("4.1 lifetimes.lua s: the same in seconds", function()
    local dir = H.tmpdir()
    local name = H.comm("lbs")
    local bin = dir .. "/" .. name
    H.run("cp /bin/sleep " .. H.quote(bin))
    local t = H.tracer("scripts/lifetimes.lua", "s")
    H.run(string.format("%s 1.2 & %s 1.2 & %s 0.1 & wait", bin, bin, bin))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.same({ ["[0]"] = 1, ["[1]"] = 2 }, hist_rows(out, "@life[" .. name .. "]: "))
    os.execute("rm -rf " .. H.quote(dir))
  end)

  it("4.2 foobar.lua counts foo and bar per probe, printed every interval", function()
    local t = H.tracer("scripts/foobar.lua", uprobeme, "200ms")
    local done = H.run(H.bin .. "uprobeme --calls 25 --contacts 0 --period-ms 30")
    assert.is_truthy(done:find("foo=25 bar=25 ", 1, true), done)
    H.wait_for(t, "out", "@calls%[uprobe:[^\n]*:bar%]: 25\n")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local foo_key, bar_key = "uprobe:" .. uprobeme .. ":foo", "uprobe:" .. uprobeme .. ":bar"
    assert.are.same({ [foo_key] = 25, [bar_key] = 25 }, H.parse_maps(out).calls)
    -- interval prints came while it ran: running totals, never decreasing
    local seen = {}
    for n in out:gmatch("@calls%[" .. foo_key:gsub("%p", "%%%0") .. "%]: (%d+)\n") do
      seen[#seen + 1] = tonumber(n)
    end
    assert.is_true(#seen >= 3, out) -- at least two rounds, and the exit print
    for i = 2, #seen do assert.is_true(seen[i - 1] <= seen[i], out) end
    assert.is_true(seen[1] < 25, "a round printed before the end: " .. table.concat(seen, " "))
    assert.is_truthy(out:match("%d%d:%d%d:%d%d\n"), out)
  end)

  it("4.2 foobar.lua with -p PID counts one process's calls, not another's", function()
    local w = H.workload(uprobeme .. " --wait-signal --calls 15 --contacts 0")
    local t = H.tracer { "-p", tostring(w.wpid), "scripts/foobar.lua", uprobeme, "10s" }
    H.run(uprobeme .. " --calls 7 --contacts 0")  -- same binary, other process
    H.signal(w, "USR1")
    assert.are.equal(0, (H.finish(w)))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.same({ ["uprobe:" .. uprobeme .. ":foo"] = 15, ["uprobe:" .. uprobeme .. ":bar"] = 15 },
                    H.parse_maps(out).calls)
  end)

  it("4.3 contacts.lua prints add_contact's strings exactly, and sums their lengths", function()
    local t = H.tracer("scripts/contacts.lua", uprobeme)
    local done = H.run(uprobeme .. " --calls 0 --contacts 12 --seed 42")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local want = contact_lines(done)
    assert.are.equal(12, #want)
    -- some names are longer than the default 64-byte strings
    local long = 0
    for _, l in ipairs(want) do
      for w in l:gmatch("%a+") do if #w > 63 then long = long + 1 end end
    end
    assert.is_true(long > 0, "seed 42 should give names over 63 characters")
    assert.are.same(want, contact_lines(out))
    local total = tonumber(done:match("total=(%d+)"))
    local m = H.parse_maps(out)
    assert.are.equal(total, m.lengths.total)
    assert.are.equal(12, m.contacts.made)
  end)

  it("5.2 usdt_passwd.lua prints the user name and home directory per scan", function()
    local home = H.run("getent passwd daemon"):match("^[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:([^:]*):")
    local t = H.tracer("scripts/usdt_passwd.lua", usdt_passwd)
    local done = H.run(usdt_passwd .. " --user daemon --count 3 --period-ms 20")
    H.run(usdt_passwd .. " --user lbnosuchuser --count 2 --period-ms 0") -- never fires
    assert.is_truthy(done:find("found=3 home=" .. home, 1, true), done)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.same({ "daemon " .. home, "daemon " .. home, "daemon " .. home }, lines(out))
  end)

  it("5.2 usdt_passwd.lua with -c CMD ends with the command", function()
    local p = H.spawn(string.format("%s -c %s scripts/usdt_passwd.lua %s", H.luabpf,
                                    H.quote(usdt_passwd .. " --user root --count 4 --period-ms 10"),
                                    H.quote(usdt_passwd)))
    local rc, out, err = H.finish(p, 30)
    assert.are.equal(0, rc, err)
    local n = 0
    for _ in out:gmatch("root /root\n") do n = n + 1 end
    assert.are.equal(4, n, out)
    assert.is_truthy(out:find("scans=4 found=4 home=/root\n", 1, true), out)
  end)
end)
