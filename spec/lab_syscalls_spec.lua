-- Lab part 2 (system calls), scripts 2.1-2.5, against workloads whose
-- syscalls are known exactly: mapit (mmap), tempfiles (open/openat,
-- O_TMPFILE), closeall (close on bad fds), writer --text (stderr lines).
local H = require "spec.helper"

-- Lines of text that are bare integers (what bpf.print(value) prints).
local function int_lines(text)
  local ns = {}
  for line in text:gmatch("([^\n]*)\n") do
    local n = line:match("^(%-?%d+)$")
    if n then ns[#ns + 1] = tonumber(n) end
  end
  return ns
end

-- "closes=C ebadf=E ok=O other=X" -> table
local function closeall_counts(text)
  local t = {}
  for k, v in text:match("(closes=[^\n]*)\n"):gmatch("(%a+)=(%d+)") do t[k] = tonumber(v) end
  return t
end

-- A path prefix nobody else opens: /lbNAME_NNNN (need not exist).
local function unique_dir(prefix) return "/" .. H.comm(prefix) end

describe("lab 2: system calls #kernel", function()
  setup(function() assert.is_true(H.is_root(), "kernel specs run as root") end)

  it("2.1 sys_exit_exit.lua attaches and prints nothing: exit(2) never returns", function()
    local comm = H.comm("lbx")
    local t = H.tracer("scripts/sys_exit_exit.lua")
    -- 3 worker threads end with the exit syscall, the process with exit_group
    H.run(H.bin .. "syscaller --threads 3 --calls 10 --comm " .. comm)
    H.run("/bin/true")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.is_nil(out:find("@", 1, true), out)
    assert.is_nil(out:find("%S"), out) -- not a single visible character
  end)

  it("2.1 by contrast, sys_enter_exit fires once per exiting thread", function()
    local comm = H.comm("lbx")
    local t = H.tracer { "-e", [[
      local exits = map()
      tracepoint("syscalls:sys_enter_exit", function(e) exits[e.comm] = count() end)]] }
    H.run(H.bin .. "syscaller --threads 3 --calls 10 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.equal(3, H.parse_maps(out).exits[comm])
  end)

  it("2.2a mmap_top.lua prints the mmap count per process every period", function()
    local comm = H.comm("lbm")
    local t = H.tracer("scripts/mmap_top.lua", "500ms")
    H.run(H.bin .. "mapit --passes 1 --pause-ms 0 --comm " .. comm)
    -- an interval print (not only the one at exit) shows the whole pass
    H.wait_for(t, "out", "@mmaps%[" .. comm .. "%]: 10000\n")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.is_truthy(out:match("%d%d:%d%d:%d%d\n"), out) -- a round's time stamp
    -- counts add up across rounds (no clear): never decreasing, ending at
    -- 10000, shown by at least one interval print and the final print
    local seen = {}
    for n in out:gmatch("@mmaps%[" .. comm .. "%]: (%d+)\n") do seen[#seen + 1] = tonumber(n) end
    assert.is_true(#seen >= 2, out)
    for i = 2, #seen do assert.is_true(seen[i - 1] <= seen[i], out) end
    assert.are.equal(10000, seen[#seen - 1])
    assert.are.equal(10000, seen[#seen])
  end)

  it("2.2b mmap_sizes.lua: 1,000 x N mmaps of each size 4..40 KiB", function()
    local comm = H.comm("lbm")
    local t = H.tracer("scripts/mmap_sizes.lua", comm)
    H.run(H.bin .. "mapit --passes 2 --pause-ms 20 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local want = {}
    for k = 1, 10 do want[tostring(4 * k)] = 2000 end
    assert.are.same(want, H.parse_maps(out).sizes)
  end)

  it("2.2b mmap_sizes.lua defaults to comm mapit (the lab's one-liner)", function()
    -- comm "mapit" is also the exec name: attach after the dynamic
    -- loader's own mmaps, then let the passes run
    local w = H.workload(H.bin .. "mapit --wait-signal --passes 1 --pause-ms 0")
    local t = H.tracer("scripts/mmap_sizes.lua")
    H.signal(w, "USR1")
    assert.are.equal(0, (H.finish(w)))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local m = H.parse_maps(out).sizes
    for k = 1, 10 do assert.are.equal(1000, m[tostring(4 * k)]) end
  end)

  it("2.2c mmap_shared.lua: 75 % MAP_SHARED, 25 % MAP_PRIVATE", function()
    local comm = H.comm("lbm")
    local t = H.tracer("scripts/mmap_shared.lua", comm)
    H.run(H.bin .. "mapit --passes 2 --pause-ms 20 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.same({ total = 20000, shared = 15000, private = 5000 }, H.parse_maps(out).mmaps)
    assert.is_truthy(out:find("shared: 75.0%, private: 25.0% of 20000 mmap calls\n", 1, true), out)
  end)

  it("2.3a opens.lua counts opens per file name, open and openat alike", function()
    local dir = unique_dir("lbo")
    local t = H.tracer("scripts/opens.lua")
    local done = H.run(H.bin .. "tempfiles --count 2 --period-ms 0 --path " .. dir .. "/tmp/"
                       .. " --open " .. dir .. "/alpha:3 --open-dir " .. dir .. "/beta:2"
                       .. " --sys-open " .. dir .. "/gamma:4 --open " .. dir .. "/alpha:1")
    assert.is_truthy(done:find("tmpfiles=2 opens=10\n", 1, true), done)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local mine = {}
    for k, v in pairs(H.parse_maps(out).opens or {}) do
      if k:sub(1, #dir) == dir then mine[k:sub(#dir + 1)] = v end
    end
    assert.are.same({ ["/alpha"] = 4, ["/beta"] = 2, ["/gamma"] = 4, ["/tmp/"] = 2 }, mine)
  end)

  it("2.3b opens_comm.lua counts opens per (comm, file name)", function()
    local dir, comm = unique_dir("lbo"), H.comm("lbo")
    local t = H.tracer("scripts/opens_comm.lua")
    H.run(H.bin .. "tempfiles --count 3 --period-ms 0 --comm " .. comm .. " --path " .. dir .. "/tmp/"
          .. " --open " .. dir .. "/alpha:5 --sys-open " .. dir .. "/gamma:2")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local mine = {}
    for k, v in pairs(H.parse_maps(out).opens or {}) do
      if k:find(dir, 1, true) then mine[k] = v end
    end
    assert.are.same({
      [comm .. ", " .. dir .. "/alpha"] = 5,
      [comm .. ", " .. dir .. "/gamma"] = 2,
      [comm .. ", " .. dir .. "/tmp/"] = 3,
    }, mine)
  end)

  it("2.3c tmpfiles.lua prints only the O_TMPFILE opens, with their path", function()
    local base = "/bilbo/" .. H.comm("baggins") .. "/" -- the lab's path, made unique
    local t = H.tracer("scripts/tmpfiles.lua")
    -- the same path opened 4 more times without O_TMPFILE (one of them with
    -- O_DIRECTORY, one of O_TMPFILE's two bits): those must not print
    local done = H.run(H.bin .. "tempfiles --count 5 --period-ms 50 --path " .. base
                       .. " --open " .. base .. ":2 --open-dir " .. base .. ":2")
    local made = tonumber(done:match("tmpfiles=(%d+)"))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local n = 0
    for line in out:gmatch("([^\n]*)\n") do
      if line:find(base, 1, true) then
        assert.are.equal("tmpfile: " .. base, line)
        n = n + 1
      end
    end
    assert.are.equal(5, made)
    assert.are.equal(made, n)
  end)

  it("2.3c tmpfiles.lua catches the lab's default /bilbo/baggins/", function()
    local t = H.tracer("scripts/tmpfiles.lua")
    H.run(H.bin .. "tempfiles --count 2 --period-ms 10")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local n = 0
    for _ in out:gmatch("tmpfile: /bilbo/baggins/\n") do n = n + 1 end
    assert.is_true(n >= 2, out) -- >= : another run could use the default path too
  end)

  it("2.4 badclose.lua prints one fd per close that fails with EBADF", function()
    -- badclose.lua watches the whole system, like the lab's one-liner: the
    -- workload closes fds 2001..5000, which no other process closes
    local comm, lower, upper, rounds, keep = H.comm("lbb"), 2001, 5000, 3, 10
    local t = H.tracer("scripts/badclose.lua")
    local done = H.run(string.format("%scloseall --rounds %d --period-ms 50 --lower %d --upper %d"
                                     .. " --keep %d --comm %s", H.bin, rounds, lower, upper, keep, comm))
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.is_nil(err:find("Lost", 1, true), err)
    local c = closeall_counts(done)
    assert.are.same({ closes = rounds * (upper - lower + 1), ebadf = rounds * (upper - lower + 1) - keep,
                      ok = keep, other = 0 }, c)
    local per_fd, n = {}, 0
    for _, fd in ipairs(int_lines(out)) do
      if fd >= lower and fd <= upper then
        per_fd[fd] = (per_fd[fd] or 0) + 1
        n = n + 1
      end
    end
    assert.are.equal(c.ebadf, n)
    -- every fd failed every round, except the --keep ones, which were
    -- open at the start and closed fine in round 1
    for fd = lower, upper do
      assert.are.equal(fd < lower + keep and rounds - 1 or rounds, per_fd[fd] or 0, "fd " .. fd)
    end
  end)

  it("2.4 badclose.lua, the lab's figure: 65,532 EBADF closes in one round", function()
    local comm = H.comm("lbb")
    local t = H.tracer("scripts/badclose.lua")
    local done = H.run(H.bin .. "closeall --rounds 1 --period-ms 0 --upper 65535 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.is_nil(err:find("Lost", 1, true), err)
    local c = closeall_counts(done)
    assert.are.equal(65532, c.closes) -- fds 65535 down to 4
    assert.are.equal(65532, c.ebadf + c.ok) -- ok: fds inherited open (none in a shell)
    -- each fd that failed is printed; other processes' bad closes of the
    -- same small fds (this script sees the whole system) can only add lines
    local seen, n, distinct = {}, 0, 0
    for _, fd in ipairs(int_lines(out)) do
      if fd >= 4 and fd <= 65535 then
        n = n + 1
        if not seen[fd] then seen[fd], distinct = true, distinct + 1 end
      end
    end
    assert.are.equal(c.ebadf, distinct)
    assert.is_true(n - c.ebadf <= 20, "lines " .. n .. ", EBADF " .. c.ebadf)
  end)

  it("2.5 stderr.lua prints comm and a 20 KiB stderr line whole", function()
    local comm = H.comm("lbe")
    local t = H.tracer("scripts/stderr.lua")
    -- one 20 KiB line and three short ones to fd 2 (NUL after each line)
    H.run(H.bin .. "writer --text --comm " .. comm .. " 2:20480x1 2:30x3")
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    local function line(size)
      local digits = string.rep("0123456789", size // 10 + 1):sub(1, size - 1)
      return comm .. ": " .. digits .. "\n\n" -- the line's own \n, then printf's
    end
    local big = line(20480)
    local s = out:find(big, 1, true)
    assert.is_truthy(s, "no whole 20 KiB line; output has " .. #out .. " bytes")
    local n = 0
    for _ in out:gmatch(comm .. ": [^\n]*\n\n") do n = n + 1 end
    assert.are.equal(4, n)
    local short = 0
    local init = 1
    while true do
      local a, b = out:find(line(30), init, true)
      if not a then break end
      short, init = short + 1, b + 1
    end
    assert.are.equal(3, short)
  end)
end)
