-- printf formats (check and render, no kernel needed) and symbols (ksym
-- from /proc/kallsyms, usym from real ELF binaries built here; root for
-- kallsyms addresses). Expected texts are what bpftrace 0.17 / glibc
-- printf print for the same format and values, except where noted:
--   bpftrace 0.17 prints "%%" as "%%" (we print "%"), and hands %u %x %o
--   without l/ll to C as 32-bit (we print all 64 bits: -5 -> fffffffffffffffb).
local core = require "luabpf.core"
local H = require "spec.helper"

local function render(fmt, types, values)
  return core.fmt_render(fmt, types, values)
end

local function ints(n)
  local t = {}
  for i = 1, n do t[i] = "int" end
  return t
end

describe("fmt_render", function()
  it("matches bpftrace 0.17 on its own sample line", function()
    -- bpftrace -e 'BEGIN { printf("%-16s|%5d|%08x|%c|%p|%p|%p\n",
    --   "ab", 42, 255, 65, 4096, 0, -1); exit(); }'
    assert.equal("ab              |   42|000000ff|A|0x1000|(nil)|0xffffffffffffffff\n",
      render("%-16s|%5d|%08x|%c|%p|%p|%p\n",
        { "str", "int", "int", "int", "int", "int", "int" },
        { "ab", 42, 255, 65, 4096, 0, -1 }))
    -- printf("%5.2s|%-5c|%.3d|%10.4x|\n", "hello", 66, 7, 171)
    assert.equal("   he|B    |007|      00ab|\n",
      render("%5.2s|%-5c|%.3d|%10.4x|\n", { "str", "int", "int", "int" },
        { "hello", 66, 7, 171 }))
    -- printf("%c|%c|%5.2d|%20p|%-20p|\n", 321, 0, 3, 4096, 4096)
    assert.equal("A||   03|              0x1000|0x1000              |\n",
      render("%c|%c|%5.2d|%20p|%-20p|\n", ints(5), { 321, 0, 3, 4096, 4096 }))
  end)

  it("length modifiers: 64-bit values, hh and h cut like C", function()
    -- bpftrace: 18446744073709551615|-1|18446744073709551615|44|4464|-5
    assert.equal("18446744073709551615|-1|18446744073709551615|44|4464|-5",
      render("%llu|%lld|%lu|%hhd|%hd|%d", ints(6), { -1, -1, -1, 300, 70000, -5 }))
    assert.equal("18446744073709551611|fffffffffffffffb|1777777777777777777773|FFFFFFFFFFFFFFFB",
      render("%u|%x|%o|%X", ints(4), { -5, -5, -5, -5 }))
    assert.equal("255|ff|65535|-1|-1", render("%hhu|%hhx|%hu|%hhi|%hi", ints(5),
      { -1, 511, -1, 255, 65535 }))
    assert.equal("7|7|7|7|7|7|7", render("%jd|%zd|%td|%ji|%zu|%tx|%lli", ints(7),
      { 7, 7, 7, 7, 7, 7, 7 }))
    assert.equal("9223372036854775807|-9223372036854775808",
      render("%d|%i", ints(2), { math.maxinteger, math.mininteger }))
  end)

  it("every conversion", function()
    assert.equal("-42 -42 42 2a 2A 52 * str 0x2a %",
      render("%d %i %u %x %X %o %c %s %p %%", { "int", "int", "int", "int", "int", "int",
        "int", "str", "int" }, { -42, -42, 42, 42, 42, 42, 42, "str", 42 }))
  end)

  it("flags", function()
    assert.equal("[+5] [ 5] [-5] [ -5] [0x1f] [0X1F] [017] [00042] [42   ] [  +42]",
      render("[%+d] [% d] [% d] [%3d] [%#x] [%#X] [%#o] [%05d] [%-5d] [%+5d]", ints(10),
        { 5, 5, -5, -5, 31, 31, 15, 42, 42, 42 }))
    -- '-' wins over '0', '+' over ' ', repeated flags count once
    assert.equal("[42   ] [+42] [-42  ]", render("[%-05d] [% +d] [%--+05d]", ints(3),
      { 42, 42, -42 }))
    assert.equal("[0x00000000ff]", render("[%#012x]", ints(1), { 255 }))
    assert.equal("[    ab] [ab    ]", render("[%6s] [%-6s]", { "str", "str" }, { "ab", "ab" }))
    assert.equal("[    x] [x    ]", render("[%5c] [%-5c]", ints(2), { 120, 120 }))
  end)

  it("width and precision", function()
    assert.equal("[   42] [00042] [ 00042] [] [0] [hel] [  hel] [hel  ]",
      render("[%5d] [%.5d] [%6.5d] [%.0d] [%.0x%d] [%.3s] [%5.3s] [%-5.3s]",
        { "int", "int", "int", "int", "int", "int", "str", "str", "str" },
        { 42, 42, 42, 0, 0, 0, "hello", "hello", "hello" }))
    assert.equal(string.rep(" ", 999) .. "7", render("%1000d", ints(1), { 7 }))
    assert.equal(string.rep("0", 1000), render("%.1000d", ints(1), { 0 }))
    assert.equal("", render("%.0s", { "str" }, { "hidden" }))
  end)

  it("strings end at their first NUL or their size", function()
    assert.equal("[ab]", render("[%s]", { "str" }, { "ab\0cd" }))
    assert.equal("[12345678]", render("[%s]", { "str" }, { "12345678" }))
    assert.equal("[]", render("[%s]", { "str" }, { "" }))
    local long = string.rep("x", 5000)
    assert.equal("<" .. long .. ">", render("<%s>", { "str" }, { long }))
  end)

  it("plain text, %% and escapes pass through untouched", function()
    assert.equal("100% sure\n\t", render("100%% sure\n\t", {}, {}))
    assert.equal("%d", render("%%d", {}, {}))
    assert.equal("", render("", {}, {}))
    assert.equal("a%%b", render("a%%%%b", {}, {}))
  end)

  it("a format's own % signs in arguments are not conversions", function()
    assert.equal("%n%s%d", render("%s", { "str" }, { "%n%s%d" }))
  end)
end)

describe("fmt_check", function()
  local function err(fmt, types)
    local ok, msg = core.fmt_check(fmt, types)
    assert.is_nil(ok)
    assert.is_string(msg)
    return msg
  end

  it("accepts good formats", function()
    assert.is_true(core.fmt_check("%d %s %-5.3s %llu %p %c %%\n",
      { "int", "str", "str", "int", "int", "int" }))
    for _, t in ipairs { "str", "probe", "kstack", "ustack", "ksym", "usym" } do
      assert.is_true(core.fmt_check("%s", { t }))
    end
    assert.is_true(core.fmt_check("no conversions", {}))
  end)

  it("names the conversion on a type mismatch", function()
    assert.equal("printf: conversion 2 (%s) needs a string, got an integer",
      err("%d %s", { "int", "int" }))
    assert.equal("printf: conversion 1 (%d) needs an integer, got a string",
      err("%d", { "str" }))
    assert.equal("printf: conversion 1 (%-08llx) needs an integer, got a kernel stack",
      err("%-08llx", { "kstack" }))
    assert.equal("printf: conversion 1 (%c) needs an integer, got a user stack",
      err("%c", { "ustack" }))
    assert.equal("printf: conversion 1 (%p) needs an integer, got a kernel symbol",
      err("%p", { "ksym" }))
    assert.equal("printf: conversion 1 (%u) needs an integer, got a user symbol",
      err("%u", { "usym" }))
    assert.equal("printf: conversion 1 (%x) needs an integer, got a probe name",
      err("%x", { "probe" }))
  end)

  it("counts conversions against arguments", function()
    assert.equal("printf: 3 conversions but 2 arguments", err("%d %d %d", ints(2)))
    assert.equal("printf: 1 conversion but 2 arguments", err("%d", ints(2)))
    assert.equal("printf: 0 conversions but 1 argument", err("%% only", ints(1)))
    assert.equal("printf: 2 conversions but 0 arguments", err("%d%s", {}))
    -- the count is reported before a type mismatch
    assert.equal("printf: 2 conversions but 1 argument", err("%s %d", ints(1)))
    assert.equal("printf: 17 arguments, at most 16", err(string.rep("%d", 17), ints(17)))
  end)

  it("refuses hostile formats", function()
    assert.equal("printf: conversion 1 (%n): %n is not supported", err("%n", ints(1)))
    assert.equal("printf: conversion 2 (%hhn): %n is not supported",
      err("%d%hhn", ints(2)))
    assert.equal("printf: conversion 1 (%*): '*' width is not supported", err("%*d", ints(2)))
    assert.equal("printf: conversion 1 (%.*): '*' precision is not supported",
      err("%.*d", ints(2)))
    assert.equal("printf: conversion 1 (%1$): positional arguments ('$') are not supported",
      err("%1$d", ints(1)))
    assert.equal("printf: conversion 1 (%10000d): width is too large (at most 1000)",
      err("%10000d", ints(1)))
    assert.equal("printf: conversion 1 (%.1001d): precision is too large (at most 1000)",
      err("%.1001d", ints(1)))
    -- a 10000-digit width: bounded parse, shortened in the message
    assert.equal("printf: conversion 1 (%99999999999999999999999...): width is too large (at most 1000)",
      err("%" .. string.rep("9", 10000) .. "d", ints(1)))
    assert.equal("printf: conversion 2 (%): the format ends before the conversion character (write %% for a %)",
      err("%d %", ints(1)))
    assert.equal("printf: conversion 1 (%-5l): the format ends before the conversion character (write %% for a %)",
      err("%-5l", ints(1)))
    assert.equal("printf: conversion 1 (%f): unknown conversion 'f' (use %d %i %u %x %X %o %c %s %p or %%)",
      err("%f", ints(1)))
    assert.equal("printf: conversion 1 (%5%): unknown conversion '%' (use %d %i %u %x %X %o %c %s %p or %%)",
      err("%5%", {}))
    assert.equal("printf: conversion 1 (%?): unknown conversion byte 0x01 (use %d %i %u %x %X %o %c %s %p or %%)",
      err("%\1", ints(1)))
    assert.equal("printf: conversion 1 (%L): length modifier 'L' is not supported",
      err("%Ld", ints(1)))
    assert.equal("printf: conversion 1 (%ls): length modifier 'l' is not valid with %s",
      err("%ls", { "str" }))
    assert.equal("printf: conversion 1 (%hhc): length modifier 'hh' is not valid with %c",
      err("%hhc", ints(1)))
    assert.equal("printf: conversion 1 (%.2p): precision is not valid with %p",
      err("%.2p", ints(1)))
    assert.equal("printf: the format contains a NUL byte", err("%d\0%n", ints(1)))
  end)

  it("fmt_render refuses what fmt_check refuses", function()
    local s, msg = core.fmt_render("%n", { "int" }, { 1 })
    assert.is_nil(s)
    assert.equal("printf: conversion 1 (%n): %n is not supported", msg)
  end)

  it("rejects unknown type names", function()
    assert.has_error(function() core.fmt_check("%d", { "float" }) end,
      "argument type 1: float is not one of int str probe kstack ustack ksym usym")
  end)
end)

-- Kernel symbols need root: /proc/kallsyms shows zeros to others.
-- Also the first run of text symbols sharing one address (aliases).
local kallsyms, alias = {}, nil
if H.is_root() then
  local run = {}
  for line in io.lines("/proc/kallsyms") do
    local a, t, n = line:match("^(%x+) (%a) (%S+)")
    if n == "do_sys_openat2" or n == "vfs_read" then
      kallsyms[n] = math.tointeger(tonumber(a, 16))
    end
    if not alias and t and t:match("[tTwW]") and not a:match("^0+$") then
      if run.a ~= a then
        if #run > 1 then alias = { math.tointeger(tonumber(run.a, 16)), run } end
        run = { a = a }
      end
      run[#run + 1] = n
    end
  end
end
local kit = kallsyms.do_sys_openat2 and it or pending

describe("ksym", function()
  kit("resolves a kallsyms address and offsets from it", function()
    local a = kallsyms.do_sys_openat2
    assert.equal("do_sys_openat2", core.ksym(a))
    assert.equal("do_sys_openat2+0", core.ksym(a, true))
    assert.equal("do_sys_openat2", core.ksym(a + 17))
    assert.equal("do_sys_openat2+17", core.ksym(a + 17, true))
    assert.equal("vfs_read+5", core.ksym(kallsyms.vfs_read + 5, true))
  end)

  kit("picks the last listed of aliases, like bcc (bpftrace: __pi_memcpy+10)", function()
    assert.truthy(alias, "no aliases in /proc/kallsyms")
    local a, names = alias[1], alias[2]
    assert.equal(names[#names], core.ksym(a))
  end)

  it("prints unknown addresses like bpftrace: hex, 0 as 0", function()
    -- bpftrace 0.17: ksym(0) -> "0", ksym(1) -> "0x1"
    assert.equal("0", core.ksym(0))
    assert.equal("0x1", core.ksym(1))
    assert.equal("0x55ce1c2c5130", core.ksym(0x55ce1c2c5130))
  end)

  kit("lays kernel stacks out like bpftrace's printf", function()
    -- bpftrace: printf("[%s]", kstack()) ->
    -- "[\n        perf_syscall_enter+397\n        syscall_trace_enter+384\n...]"
    local a, r = kallsyms.do_sys_openat2, kallsyms.vfs_read
    assert.equal("\n        do_sys_openat2+5\n        vfs_read+0\n        0x1\n",
      core.kstack_format({ a + 5, r, 1 }))
    -- map keys indent by 4: "@k[\n    perf_syscall_enter+397\n...]: 1"
    assert.equal("\n    do_sys_openat2+5\n", core.kstack_format({ a + 5 }, 4))
    -- a 0 ends the stack
    assert.equal("\n        vfs_read+1\n", core.kstack_format({ r + 1, 0, a }))
    assert.equal("\n", core.kstack_format({}))
  end)

  kit("lays kernel stacks out in bpftrace's perf and raw modes, and as names", function()
    local a, r = kallsyms.do_sys_openat2, kallsyms.vfs_read
    -- bpftrace 0.17: printf("%s", kstack(perf)): "\n\tffffffff814b2b2d perf_syscall_enter+397\n..."
    assert.equal(string.format("\n\t%x do_sys_openat2+5\n\t%x vfs_read+0\n", a + 5, r),
      core.kstack_format({ a + 5, r }, 8, "perf"))
    -- raw (bpftrace 0.18): the addresses alone
    assert.equal(string.format("\n%x\n%x\n", a + 5, r), core.kstack_format({ a + 5, r }, 8, "raw"))
    -- names for folded stacks: no offsets, no indent, no leading newline
    assert.equal("do_sys_openat2\nvfs_read\n", core.kstack_format({ a + 5, r }, 8, "names"))
  end)
end)

-- User symbols: a small program built four ways prints the address of a
-- function of its own and of getpid (libc), then waits to be looked at.
local have_cc = os.execute("command -v cc >/dev/null 2>&1")
local uit = have_cc and it or pending

describe("usym", function()
  local dir, procs = nil, {}

  local source = [[
#include <stdio.h>
#include <unistd.h>
__attribute__((noinline)) int lb_target_fn(int x) { return x * 3 + 1; }
static __attribute__((noinline, used)) int lb_static_fn(int x) { return x ^ 5; }
int lb_data_obj[16] = {1};
int main(void)
{
	int (*volatile f)(int) = lb_static_fn;
	printf("%d %p %p %p %p\n", (int)getpid(), (void *)lb_target_fn, (void *)f,
	       (void *)lb_data_obj, (void *)getpid);
	fflush(stdout);
	for (int i = 0; i < 300; i++)
		usleep(100000);
	return lb_target_fn(f(0));
}
]]

  setup(function()
    if not have_cc then return end
    dir = H.tmpdir()
    local f = assert(io.open(dir .. "/t.c", "w"))
    f:write(source)
    f:close()
    local c = "cc -O1 -g -o " .. dir
    assert(os.execute(c .. "/pie -fPIE -pie " .. dir .. "/t.c"))
    assert(os.execute(c .. "/nopie -fno-PIE -no-pie " .. dir .. "/t.c"))
    assert(os.execute(c .. "/static -static " .. dir .. "/t.c"))
    assert(os.execute("cp " .. dir .. "/pie " .. dir .. "/stripped && strip " .. dir .. "/stripped"))
  end)

  teardown(function()
    for _, p in pairs(procs) do
      os.execute("kill " .. p.pid .. " 2>/dev/null")
      os.execute("rm -rf " .. H.quote(p.dir))
    end
    if dir then os.execute("rm -rf " .. H.quote(dir)) end
  end)

  -- Start variant `name`; returns pid and the printed addresses.
  local function start(name)
    local p = H.spawn(dir .. "/" .. name)
    assert(H.wait_for(p, "out", "\n", 10), "no output from " .. name)
    local pid, fn, st, obj, gp = H.slurp(p.out):match(
      "^(%d+) 0x(%x+) 0x(%x+) 0x(%x+) 0x(%x+)")
    p.pid = math.tointeger(pid)  -- the program itself, not the shell
    procs[name] = p
    local function n(x) return math.tointeger(tonumber(x, 16)) end
    return p.pid, n(fn), n(st), n(obj), n(gp)
  end

  for _, variant in ipairs { "pie", "nopie", "static" } do
    uit("resolves functions and data of a " .. variant .. " executable", function()
      local pid, fn, st, obj = start(variant)
      assert.equal("lb_target_fn", core.usym(fn, pid))
      assert.equal("lb_target_fn+0", core.usym(fn, pid, true))
      assert.equal("lb_target_fn+3", core.usym(fn + 3, pid, true))
      assert.equal("lb_static_fn", core.usym(st, pid))
      assert.equal("lb_data_obj+8", core.usym(obj + 8, pid, true))
      assert.equal(string.format("\n        lb_target_fn+1\n        lb_static_fn+0\n        0x%x\n", 8),
        core.ustack_format({ fn + 1, st, 8 }, pid))
    end)
  end

  uit("resolves a shared library function (libc)", function()
    local pid, _, _, _, gp = start("pie")
    assert.truthy(core.usym(gp, pid):find("getpid", 1, true))
  end)

  uit("prints a stripped binary's own functions as their address", function()
    local pid, fn = start("stripped")
    -- bpftrace 0.17 on a stripped binary: "        0x55578c8c7130"
    assert.equal(string.format("0x%x", fn), core.usym(fn, pid))
    assert.equal(string.format("0x%x", fn + 1), core.usym(fn + 1, pid, true))
    assert.equal(string.format("\n        0x%x\n", fn), core.ustack_format({ fn }, pid))
  end)

  uit("an address outside every mapping, or a gone process, prints as hex", function()
    local pid = start("pie")
    assert.equal("0x10", core.usym(16, pid))
    assert.equal("0x1234", core.usym(0x1234, 0x7ffffff0))
  end)
end)
