-- USDT arguments in every x86-64 operand form the SDT notes use, read by
-- luabpf's own decoder (luabpf/runtime/usdt.c, through spec/usdt/driver.c),
-- then on the kernel: the usdt_args workload built at -O0, -O1 (PIE) and
-- -O1 non-PIE fires each probe a known number of times with known values;
-- and the messages for uprobe and USDT targets that cannot be attached.
local H = require "spec.helper"

-- Each case: the note's argument, then the driver's line after "ARG: ".
local forms = {
  -- registers: 64, 32, 16 and 8-bit names, high bytes
  { "8@%rdi", "uint64 %rdi {kind=2 size=8 signed=0 base=14 index=0 scale=0 shift=0 val=0 sym=}" },
  { "-4@%eax", "int32 %rax {kind=2 size=4 signed=1 base=10 index=0 scale=0 shift=0 val=0 sym=}" },
  { "-2@%ax", "int16 %rax {kind=2 size=2 signed=1 base=10 index=0 scale=0 shift=0 val=0 sym=}" },
  { "1@%al", "uint8 %rax {kind=2 size=1 signed=0 base=10 index=0 scale=0 shift=0 val=0 sym=}" },
  { "1@%ah", "uint8 %rax >> 8 {kind=2 size=1 signed=0 base=10 index=0 scale=0 shift=8 val=0 sym=}" },
  { "-4@%r8d", "int32 %r8 {kind=2 size=4 signed=1 base=9 index=0 scale=0 shift=0 val=0 sym=}" },
  { "2@%r9w", "uint16 %r9 {kind=2 size=2 signed=0 base=8 index=0 scale=0 shift=0 val=0 sym=}" },
  { "-1@%r15b", "int8 %r15 {kind=2 size=1 signed=1 base=0 index=0 scale=0 shift=0 val=0 sym=}" },
  { "1@%sil", "uint8 %rsi {kind=2 size=1 signed=0 base=13 index=0 scale=0 shift=0 val=0 sym=}" },
  { "-1@%cl", "int8 %rcx {kind=2 size=1 signed=1 base=11 index=0 scale=0 shift=0 val=0 sym=}" },
  { "%rdi", "int64 %rdi {kind=2 size=8 signed=1 base=14 index=0 scale=0 shift=0 val=0 sym=}" },
  -- memory: base + offset, base, base + index * scale + offset, index only
  { "4@-20(%rbp)", "uint32 [%rbp - 20] {kind=3 size=4 signed=0 base=4 index=255 scale=0 shift=0 val=-20 sym=}" },
  { "-1@-1(%rbp)", "int8 [%rbp - 1] {kind=3 size=1 signed=1 base=4 index=255 scale=0 shift=0 val=-1 sym=}" },
  { "8@(%rax)", "uint64 [%rax] {kind=3 size=8 signed=0 base=10 index=255 scale=0 shift=0 val=0 sym=}" },
  { "8@0x10(%rax)", "uint64 [%rax + 16] {kind=3 size=8 signed=0 base=10 index=255 scale=0 shift=0 val=16 sym=}" },
  { "8@-65616(%rbp,%rdx,8)",
    "uint64 [%rbp + %rdx*8 - 65616] {kind=3 size=8 signed=0 base=4 index=12 scale=8 shift=0 val=-65616 sym=}" },
  { "8@32(%rsp,%rdx,8)",
    "uint64 [%rsp + %rdx*8 + 32] {kind=3 size=8 signed=0 base=19 index=12 scale=8 shift=0 val=32 sym=}" },
  { "-2@(%rax,%rcx)",
    "int16 [%rax + %rcx*1] {kind=3 size=2 signed=1 base=10 index=11 scale=1 shift=0 val=0 sym=}" },
  { "8@(,%rdx,8)", "uint64 [%rdx*8] {kind=3 size=8 signed=0 base=255 index=12 scale=8 shift=0 val=0 sym=}" },
  -- %rip-relative: a symbol, with an addend before or after it
  { "4@foo(%rip)", "uint32 [foo] {kind=3 size=4 signed=0 base=16 index=255 scale=0 shift=0 val=0 sym=foo}" },
  { "8@16+foo(%rip)", "uint64 [foo + 16] {kind=3 size=8 signed=0 base=16 index=255 scale=0 shift=0 val=16 sym=foo}" },
  { "-8@foo.0-8(%rip)",
    "int64 [foo.0 - 8] {kind=3 size=8 signed=1 base=16 index=255 scale=0 shift=0 val=-8 sym=foo.0}" },
  -- constants
  { "-4@$5", "int32 5 {kind=1 size=4 signed=1 base=0 index=0 scale=0 shift=0 val=5 sym=}" },
  { "8@$-1", "uint64 -1 {kind=1 size=8 signed=0 base=0 index=0 scale=0 shift=0 val=-1 sym=}" },
  { "-8@$140737488355327",
    "int64 140737488355327 {kind=1 size=8 signed=1 base=0 index=0 scale=0 shift=0 val=140737488355327 sym=}" },
  { "8@$0x10", "uint64 16 {kind=1 size=8 signed=0 base=0 index=0 scale=0 shift=0 val=16 sym=}" },
}

local malformed = {
  { "3@%eax", "size 3 (not 1, 2, 4 or 8 bytes)" },
  { "16@%rax", "size 16 (not 1, 2, 4 or 8 bytes)" },
  { "x@%rax", "expected SIZE@ or -SIZE@ first" },
  { "8@", "no operand" },
  { "8@%foo", "unknown register %foo" },
  { "8@%rip", "%rip is only an address base" },
  { "8@$", "expected a number at ''" },
  { "8@$foo", "expected a number at 'foo'" },
  { "8@16", "an absolute address (only memory at a register is supported)" },
  { "8@foo(%rax)", "symbol foo without %rip as base" },
  { "8@16(%rip)", "%rip needs a symbol and no index" },
  { "8@(%rax,%rdx,3)", "scale 3 (not 1, 2, 4 or 8)" },
  { "8@(%rax,%rsp,8)", "%rsp cannot be an index" },
  { "8@(%rax", "expected ')' at ''" },
  { "8@(%rax)x", "unexpected 'x'" },
  { "8@()", "expected a register at ')'" },
  { "8@foo+bar(%rip)", "only one symbol, added, is supported" },
  { "8@99999999999999999999(%rax)", "bad number at '99999999999999999999(%rax)'" },
}

describe("USDT argument decoder", function()
  local dir, driver

  setup(function()
    dir = H.tmpdir()
    driver = dir .. "/usdt_driver"
    H.run(("cc -std=gnu11 -Wall -Wextra -Werror -Iluabpf -Ibpf -o %s spec/usdt/driver.c " ..
      "luabpf/runtime/usdt.c"):format(driver))
  end)

  teardown(function() os.execute("rm -rf " .. H.quote(dir)) end)

  local function decode(cases)
    local args = {}
    for i, c in ipairs(cases) do args[i] = H.quote(c[1]) end
    return H.lines(H.run(driver .. " " .. table.concat(args, " ")))
  end

  it("decodes every operand form: registers, memory, indexed, %rip-relative, constants", function()
    local want = {}
    for i, c in ipairs(forms) do want[i] = c[1] .. ": " .. c[2] end
    assert.are.same(want, decode(forms))
  end)

  it("says what is wrong with a malformed argument", function()
    local want = {}
    for i, c in ipairs(malformed) do
      want[i] = ("%s: error: bad USDT argument '%s': %s"):format(c[1], c[1], c[2])
    end
    assert.are.same(want, decode(malformed))
  end)
end)

-- Which operand forms the notes of a binary use, from readelf -n.
local function note_forms(bin)
  local kinds = {}
  local classes = {
    reg8 = { "@%%[a-d]l$", "@%%[sd]il$", "@%%[bs]pl$", "@%%r%d+b$" },
    reg16 = { "@%%[a-d]x$", "@%%[sd]i$", "@%%r%d+w$" },
    reg32 = { "@%%e[a-z][a-z]$", "@%%r%d+d$" },
    reg64 = { "@%%r[a-z][a-z]$", "@%%r%d+$" },
    base_offset = { "@%-?%d+%(%%r[a-z0-9]+%)$" },
    indexed = { "@%-?%d*%(%%r[a-z0-9]+,%%r[a-z0-9]+,%d%)$" },
    rip = { "@[%a_][%w_.]*%(%%rip%)$" },
    rip_addend = { "@%d+%+[%a_][%w_.]*%(%%rip%)$", "@[%a_][%w_.]*%+%d+%(%%rip%)$" },
    const = { "@%$%-?%d+$" },
  }
  for args in H.run("readelf -n " .. H.quote(bin)):gmatch("Arguments: ([^\n]*)") do
    for a in args:gmatch("%S+") do
      for class, pats in pairs(classes) do
        for _, p in ipairs(pats) do
          if a:match(p) then kinds[class] = true end
        end
      end
    end
  end
  return kinds
end

-- What the handlers below print for usdt_args --count 3.
local function expected()
  local want = {}
  for i = 0, 2 do
    want[#want + 1] = ("regs %d %d %d %d %d"):format(-1 - i, -300 - i, -70000 - i, 200 + i, i * 1000000000000)
    want[#want + 1] = "consts 5 -1 140737488355327"
    want[#want + 1] = ("globals %d 30"):format(7 + i)
    want[#want + 1] = ("site %d"):format(i)
    want[#want + 1] = ("guarded %d"):format(i)
  end
  for k = 0, 2 do want[#want + 1] = ("indexed %d %d"):format(3 * (5 + k), k) end
  want[#want + 1] = "site -1"
  return want
end

local script = [[
local bpf = require "luabpf"
local usdt, printf, bin = bpf.usdt, bpf.printf, arg[1]
usdt(bin .. ":lbargs:regs", function(e) printf("regs %d %d %d %d %d\n", e.arg0, e.arg1, e.arg2, e.arg3, e.arg4) end)
usdt(bin .. ":lbargs:consts", function(e) printf("consts %d %d %d\n", e.arg0, e.arg1, e.arg2) end)
usdt(bin .. ":lbargs:globals", function(e) printf("globals %d %d\n", e.arg0, e.arg1) end)
usdt(bin .. ":lbargs:site", function(e) printf("site %d\n", e.arg0) end)
usdt(bin .. ":lbargs:guarded", function(e) printf("guarded %d\n", e.arg0) end)
usdt(bin .. ":lbargs:indexed", function(e) printf("indexed %d %d\n", e.arg0, e.arg1) end)
]]

describe("USDT arguments on the kernel #kernel", function()
  local dir, bins

  setup(function()
    assert.is_true(H.is_root(), "kernel specs run as root")
    dir = H.tmpdir()
    bins = {
      O0 = H.run("realpath " .. H.bin .. "usdt_args-O0"):gsub("\n$", ""),
      O1 = H.run("realpath " .. H.bin .. "usdt_args-O1"):gsub("\n$", ""),
      ["O1 non-PIE"] = dir .. "/usdt_args-nopie",
    }
    H.run(("cc -O1 -g -fno-omit-frame-pointer -fno-pie -no-pie -o %s spec/workloads/usdt_args.c")
      :format(bins["O1 non-PIE"]))
  end)

  teardown(function() os.execute("rm -rf " .. H.quote(dir)) end)

  it("the builds' notes hold every operand form gcc writes", function()
    local o0, o1 = note_forms(bins.O0), note_forms(bins.O1)
    assert.is_true(o0.base_offset and o0.const and o0.reg64 and o0.reg32, "-O0 forms")
    for _, f in ipairs { "reg8", "reg16", "reg32", "reg64", "indexed", "rip", "rip_addend", "const" } do
      assert.is_true(o1[f], "-O1 has no " .. f .. " operand")
    end
    assert.are.same(o1, note_forms(bins["O1 non-PIE"]))
  end)

  for _, build in ipairs { "O0", "O1", "O1 non-PIE" } do
    it(build .. ": every argument of every probe, per call site, exactly", function()
      local path = H.script(script)
      local bin = bins[build]
      local rc, out, err = H.run_rc(("%s -c %s %s %s"):format(H.luabpf, H.quote(bin .. " --count 3"),
        H.quote(path), H.quote(bin)))
      os.remove(path)
      assert.are.equal(0, rc, err)
      local got = {}
      for _, l in ipairs(H.lines(out)) do
        if l:match("^%a+ %-?%d") then got[#got + 1] = l end
      end
      assert.are.same(expected(), got)
      -- the semaphore was set while attached: lbargs:guarded fired 3 times
      assert.is_truthy(out:find("count=3 guarded=3", 1, true), out)
    end)
  end

  it("a probe's semaphore is 0 when nothing is attached", function()
    assert.are.equal("pid", H.run(bins.O1 .. " --count 2"):match("^(pid)="))
    assert.is_truthy(H.run(bins.O1 .. " --count 2"):find("count=2 guarded=0", 1, true))
  end)

  it("-lv lists each call site and each argument, as the note says and decoded", function()
    local out = H.run(H.luabpf .. " -lv " .. H.quote("usdt:" .. bins.O1 .. ":lbargs:*"))
    local notes = H.run("readelf -n " .. H.quote(bins.O1))
    local sites, args = 0, 0
    for _, l in ipairs(H.lines(out)) do
      if l:match("^    site ") then
        sites = sites + 1
        assert.is_truthy(l:match("^    site 0x%x+ %(file offset 0x%x+, semaphore at 0x%x+%): %d+ arguments?$"), l)
      elseif l:match("^        arg") then
        args = args + 1
        local text = l:match("^        arg%d+ (%S+): %S")
        assert.is_truthy(text and notes:find(text, 1, true), l)
      else
        assert.is_truthy(l:match("^usdt:" .. bins.O1:gsub("%p", "%%%0") .. ":lbargs:%a+$"), l)
      end
    end
    assert.are.equal(7, sites) -- lbargs:site has two
    assert.are.equal(15, args)
    assert.is_truthy(out:find("arg0 -4@counter(%rip): int32 [counter]\n", 1, true), out)
    assert.is_truthy(out:find("arg1 -8@16+table(%rip): int64 [table + 16]\n", 1, true), out)
    local np = H.run(H.luabpf .. " -lv " .. H.quote("usdt:" .. bins["O1 non-PIE"] .. ":lbargs:globals"))
    assert.is_truthy(np:find("arg1 -8@table+16(%rip): int64 [table + 16]\n", 1, true), np)
    assert.is_truthy(out:find("arg2 -8@$140737488355327: int64 140737488355327\n", 1, true), out)
    assert.is_truthy(out:match("arg0 %-8@%-65536%(%%rbp,%%r[a-z0-9]+,8%): int64 %[%%rbp %+ %%r[a-z0-9]+%*8 %- 65536%]\n"), out)
  end)
end)

describe("uprobe and USDT targets that cannot be attached #kernel", function()
  local dir, uprobeme, ifuncme

  setup(function()
    dir = H.tmpdir()
    uprobeme = H.run("realpath " .. H.bin .. "uprobeme"):gsub("\n$", "")
    ifuncme = H.run("realpath " .. H.bin .. "ifuncme"):gsub("\n$", "")
    H.run(("echo 'not a program' >%s/text && mkfifo %s/fifo && head -c 3000 %s >%s/cut && " ..
      "head -c 40 %s >%s/cut40"):format(dir, dir, uprobeme, dir, uprobeme, dir))
  end)

  teardown(function() os.execute("rm -rf " .. H.quote(dir)) end)

  local function fails(kind, target, message)
    local rc, out = H.luabpf_output(("-e %s"):format(H.quote(("%s(%q, function(e) end)"):format(kind, target))))
    assert.are.equal(1, rc, out)
    assert.are.equal("luabpf: -e:1: " .. message .. "\n", out)
  end

  it("a function the binary does not have", function()
    fails("uprobe", uprobeme .. ":lbnosuch", "no function lbnosuch in " .. uprobeme)
    fails("uretprobe", uprobeme .. ":lbnosuch", "no function lbnosuch in " .. uprobeme)
  end)

  it("a data symbol", function()
    fails("uprobe", uprobeme .. ":foo_calls", "foo_calls in " .. uprobeme .. " is not a function")
  end)

  it("an IFUNC the loader has not resolved here: its likely implementations", function()
    fails("uprobe", ifuncme .. ":checksum", "checksum in " .. ifuncme .. " is an IFUNC: the dynamic " ..
      "loader picks its implementation at run time; probe that instead (likely one of: " ..
      "checksum_fast, checksum_plain)")
  end)

  it("libc:strlen, an IFUNC, is probed at the implementation this machine uses", function()
    local rc, out, err = H.run_rc(("%s -c %s -e %s"):format(H.luabpf, H.quote(uprobeme .. " --calls 1 --contacts 5"),
      H.quote('local m = map() uprobe("libc:strlen", function(e) m.calls = count() end)')))
    assert.are.equal(0, rc, err)
    -- add_contact calls strlen twice per contact; printf may call it too
    assert.is_true(tonumber(out:match("@m%[calls%]: (%d+)")) >= 10, out)
  end)

  it("not an ELF file: text, a directory, a device, a FIFO (not opened), truncated", function()
    fails("uprobe", dir .. "/text:foo", dir .. "/text: not an ELF file")
    fails("uprobe", dir .. ":foo", dir .. ": a directory, not an ELF file")
    fails("uprobe", "/dev/zero:foo", "/dev/zero: a character device, not an ELF file")
    fails("uprobe", dir .. "/fifo:foo", dir .. "/fifo: a FIFO, not an ELF file")
    fails("usdt", dir .. "/fifo:a:b", dir .. "/fifo: a FIFO, not an ELF file")
    fails("uprobe", dir .. "/cut:foo", dir .. "/cut: truncated or corrupt ELF file (3000 bytes)")
    fails("uprobe", dir .. "/cut40:foo", dir .. "/cut40: truncated or corrupt ELF file (40 bytes)")
    fails("uprobe", dir .. "/none:foo", dir .. "/none: No such file or directory")
  end)

  it("no such USDT probe: the binary's probes as a hint", function()
    local bin = H.run("realpath " .. H.bin .. "usdt_args-O1"):gsub("\n$", "")
    fails("usdt", bin .. ":lbargs:nope", bin .. " has no USDT probe lbargs:nope (its probes: lbargs:consts, " ..
      "lbargs:globals, lbargs:guarded, lbargs:indexed, lbargs:regs, lbargs:site)")
    fails("usdt", uprobeme .. ":a:b", uprobeme .. " has no USDT probe a:b (it has no USDT probes)")
  end)
end)
