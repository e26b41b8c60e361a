-- The hostile corpus (spec/hostile/corpus.lua): every input gets its
-- exact message, one clear first line, nothing left attached or open,
-- and no case hangs (each command runs under a time limit).
local H = require "spec.helper"
local harness = require "spec.hostile.harness"
local corpus = require "spec.hostile.corpus"

-- What no message may look like: luabpf's insides, or no message at all.
local unclear = { "stack traceback", "bad argument #", "Unknown error", "to '?'",
                  "share/lua/", "luabpf/[%w_]+%.lua:", "lua_pushfstring", "table: 0x" }

local function open_fds()
  collectgarbage()
  local f, n = io.popen("ls /proc/self/fd"), 0
  for _ in f:lines() do n = n + 1 end
  f:close()
  return n
end

describe("the hostile corpus #kernel", function()
  local dir, vars, before_progs, before_fds
  local counts, order = {}, {}

  setup(function()
    dir = H.tmpdir()
    local uprobeme = H.root .. "/build/bin/uprobeme"
    H.run(table.concat({
      "head -c 100 " .. H.quote(uprobeme) .. " > " .. dir .. "/trunc",
      "head -c 3000 " .. H.quote(uprobeme) .. " > " .. dir .. "/trunc2",
      "cd " .. H.quote(dir), "mkfifo fifo", "printf 'hello\\n' > text", ": > empty",
      "printf 'int f(void){return 1;}' | cc -c -x c - -o reloc.o",
      "printf '#!/bin/sh\\necho hi\\n' > script.sh", "chmod +x script.sh",
      "ln -s /tmp dirlink", "ln -s /nonexistent dangling", "mkdir adir" }, " && "))
    vars = { DIR = dir, BIN = H.root .. "/build/bin",
             MAXRATE = H.slurp("/proc/sys/kernel/perf_event_max_sample_rate"):match("%d+") }
    before_progs, before_fds = H.live_programs(), open_fds()
    for _, c in ipairs(corpus) do
      if not counts[c.cat] then order[#order + 1] = c.cat end
      counts[c.cat] = (counts[c.cat] or 0) + 1
    end
  end)

  teardown(function()
    os.execute("rm -rf " .. H.quote(dir))
  end)

  local function sub(s) return (s:gsub("%$(%u+)", vars)) end

  local function check(c, got)
    local first = got:match("^[^\n]*")
    for _, bad in ipairs(unclear) do
      assert.is_nil(got:find(bad), "unclear message for " .. c.cat .. " input:\n" .. got)
    end
    assert.is_true(#first <= 300, "first line of " .. #first .. " bytes")
  end

  it("has at least 300 inputs in every category", function()
    local parts = {}
    for _, cat in ipairs(order) do parts[#parts + 1] = cat .. " " .. counts[cat] end
    print(("\nhostile corpus: %d inputs (%s)"):format(#corpus, table.concat(parts, ", ")))
    assert.is_true(#corpus >= 300)
    for _, cat in ipairs { "syntax", "unsupported", "probes", "binaries", "config", "nesting", "cli" } do
      assert.is_true((counts[cat] or 0) >= 10, cat)
    end
  end)

  for _, cat in ipairs { "syntax", "unsupported", "probes", "binaries", "config", "nesting" } do
    it("gives each " .. cat .. " input its exact message (in-process)", function()
      for _, c in ipairs(corpus) do
        if c.cat == cat then
          local input = sub(c.input)
          local got = harness.lib(input)
          assert.are.equal(sub(c.msg), got, "input: " .. input:sub(1, 300))
          check(c, got)
        end
      end
    end)
  end

  it("gives each bad command line its exact message and status 1", function()
    for _, c in ipairs(corpus) do
      if c.how == "cli" then
        local args = {}
        for i, a in ipairs(c.input) do args[i] = sub(a) end
        local rc, got = harness.cli(H.luabpf, args, 20)
        local shown = table.concat(args, " "):sub(1, 300)
        assert.are.equal(sub(c.msg), got, "luabpf " .. shown)
        assert.are.equal(c.rc or 1, rc, "luabpf " .. shown)
        check(c, got)
      end
    end
  end)

  it("leaves no program loaded and no descriptor open", function()
    collectgarbage()
    collectgarbage()
    -- programs other runs on the machine are closing are held by no
    -- process for a moment, and count as left behind: wait them out
    assert.are.equal(before_progs, H.live_programs_settled(before_progs))
    assert.are.equal(before_fds, open_fds())
  end)
end)

describe("division by zero in a handler #kernel", function()
  it("is reported at exit at each division that stopped runs, with its count", function()
    local comm = H.comm("lbdz")
    local t = H.tracer { "-e", [[
      local m, target = map(), arg[1]
      tracepoint("syscalls:sys_enter_getppid", function(e)
        if e.comm ~= target then return end
        local zero = e.args.__syscall_nr - 110 -- 0 at run time
        m.enter = count()
        m.x = sum(e.pid // zero)
      end)
      tracepoint("syscalls:sys_exit_getppid", function(e)
        if e.comm ~= target then return end
        m.exit = count()
        m.y = sum(e.pid % (e.args.__syscall_nr - 110))
      end)]], comm }
    H.run(H.bin .. "syscaller --calls 5 --comm " .. comm)
    local rc, out, err = H.stop(t)
    assert.are.equal(0, rc, err)
    assert.are.equal("\n\n@m[enter]: 5\n@m[exit]: 5\n", out)
    assert.are.equal("Warning: -e:6:25: 5 handler runs stopped at an integer division or modulo " ..
      "by zero (Lua raises an error there; a kernel handler cannot)\n" ..
      "Warning: -e:11:25: 5 handler runs stopped at an integer division or modulo " ..
      "by zero (Lua raises an error there; a kernel handler cannot)\n", err)
  end)
end)
