-- The hostile corpus: inputs a careless or hostile user gives luabpf,
-- each with the exact message it must get (spec/corpus_spec.lua runs
-- them). Cases are { cat, how, input, msg [, rc] }:
--   how = "lib": input is a one-liner (`luabpf -e` code), run in-process
--         by spec/hostile/harness.lua; msg is what `luabpf -e` prints
--         after "luabpf: " (without the final newline).
--   how = "cli": input is luabpf's argv; msg its whole output (stdout,
--         then stderr), rc its status (default 1).
-- $DIR (the spec's fixture directory: fifo, trunc, text, empty, reloc.o,
-- script.sh, dirlink, dangling, sock) and $BIN (build/bin) are put in by
-- the spec; $MAXRATE is kernel.perf_event_max_sample_rate.
local C = {}

local function add(cat, how, input, msg, rc)
  C[#C + 1] = { cat = cat, how = how, input = input, msg = msg, rc = rc }
end

local function lib(cat, code, msg) add(cat, "lib", code, msg) end
local function cli(cat, args, msg, rc) add(cat, "cli", args, msg, rc) end

local TP = 'tracepoint("syscalls:sys_enter_getppid", function(e) end)'

-- A kernel handler whose body is line 3 of the one-liner; the error is
-- at column col of that line, with the line, a caret and the hint.
local function H(cat, body, col, msg, hint)
  local code = "local m, n = map(), map()\n" ..
    'tracepoint("syscalls:sys_enter_write", function(e)\n  ' .. body .. "\nend)"
  lib(cat, code, string.format("-e:3:%d: %s\n  %s\n%s^%s", col, msg, body,
    string.rep(" ", col - 1), hint and "\nhint: " .. hint or ""))
end

-- ---- syntax: the script itself does not parse (Lua's parser) ----
for _, c in ipairs {
  { "tracepoint(", "-e:1: unexpected symbol near <eof>" },
  { "x", "-e:1: syntax error near <eof>" },
  { "local = 1", "-e:1: <name> expected near '='" },
  { "x = = 1", "-e:1: unexpected symbol near '='" },
  { "end", "-e:1: <eof> expected near 'end'" },
  { "function(", "-e:1: <name> expected near '('" },
  { 'local s = "abc', "-e:1: unfinished string near <eof>" },
  { "local s = [[abc", "-e:1: unfinished long string (starting at line 1) near <eof>" },
  { "local x = 1 +", "-e:1: unexpected symbol near <eof>" },
  { "local x <bad> = 1", "-e:1: unknown attribute 'bad'" },
  { "goto nowhere", "-e:1: no visible label 'nowhere' for <goto> at line 1" },
  { "if true then", "-e:1: 'end' expected near <eof>" },
  { "for i = 1 do end", "-e:1: ',' expected near 'do'" },
  { "local x = 0x", "-e:1: malformed number near '0x'" },
  { "local x = 3e", "-e:1: malformed number near '3e'" },
  { 'local s = "\\q"', "-e:1: invalid escape sequence near '\"\\q'" },
  { 'local s = "\\300"', "-e:1: decimal escape too large near '\"\\300\"'" },
  { "local x = $", "-e:1: unexpected symbol near '$'" },
  { "return return", "-e:1: unexpected symbol near 'return'" },
  { "break", "-e:1: break outside loop at line 1" },
  { "::a:: ::a::", "-e:1: label 'a' already defined on line 1" },
  { "local t = {1, 2", "-e:1: '}' expected near <eof>" },
  { "f(", "-e:1: unexpected symbol near <eof>" },
  { "x.y.", "-e:1: <name> expected near <eof>" },
  { "local function() end", "-e:1: <name> expected near '('" },
  { TP .. " ;; )", "-e:1: unexpected symbol near ')'" },
  { "tracepoint('syscalls:sys_enter_getppid', function(e) m[ = 1 end)",
    "-e:1: unexpected symbol near '='" },
  { "tracepoint('syscalls:sys_enter_getppid', function(e e) end)",
    "-e:1: ')' expected near 'e'" },
} do lib("syntax", c[1], c[2]) end


-- ---- unsupported Lua in kernel handlers (the compiler) ----
H("unsupported", "while true do end", 3, "loops cannot run in a BPF handler", "a handler runs once per event and must finish; keep state across events in a map")
H("unsupported", "for i = 1, 10 do m[i] = count() end", 3, "loops cannot run in a BPF handler", "a handler runs once per event and must finish; keep state across events in a map")
H("unsupported", "for k, v in pairs(m) do end", 3, "loops cannot run in a BPF handler", "a handler runs once per event and must finish; keep state across events in a map")
H("unsupported", "repeat until false", 3, "loops cannot run in a BPF handler", "a handler runs once per event and must finish; keep state across events in a map")
H("unsupported", "local f = function() end", 13, "functions cannot be defined inside a kernel handler", "define helper functions outside and capture constants instead")
H("unsupported", "local function f() end", 3, "functions cannot be defined inside a kernel handler", "define helper functions outside the handler")
H("unsupported", "m[1] = string.format(\"%d\", e.pid)", 10, "cannot call string.format in a kernel handler", "string.format runs in user space; use bpf.printf or bpf.print here")
H("unsupported", "m[1] = os.time()", 10, "cannot call os.time (a user-space table) in a kernel handler", "only bpf builtins run in the kernel; compute values outside and capture them as upvalues")
H("unsupported", "m[1] = tostring(e.pid)", 10, "cannot call tostring (a user-space function) in a kernel handler", "only bpf builtins run in the kernel; compute values outside and capture them as upvalues")
H("unsupported", "io.write(\"x\")", 3, "cannot call io.write in a kernel handler", "io.write runs in user space; use bpf.printf or bpf.print here")
H("unsupported", "local t = {}", 13, "table constructors are only allowed as map keys", "a tuple key looks like m[{a, b}]")
H("unsupported", "local t = {1, 2}", 13, "table constructors are only allowed as map keys", "a tuple key looks like m[{a, b}]")
H("unsupported", "m[1] = #e.comm", 10, "the length operator # is not supported in kernel handlers")
H("unsupported", "m[1] = e.pid + 1.5", 18, "float 1.5 is not supported", "BPF handlers compute with integers")
H("unsupported", "m[1] = e.pid / 2.5", 18, "float 2.5 is not supported", "BPF handlers compute with integers")
H("unsupported", "m[1] = 2 ^ 3", 12, "exponentiation (^) is a float operation in Lua and is not supported", "use * or << for powers")
H("unsupported", "m[1] = e.pid ^ 2", 16, "exponentiation (^) is a float operation in Lua and is not supported", "use * or << for powers")
H("unsupported", "m[e.comm .. \"x\"] = count()", 12, "string concatenation (..) is not supported in kernel handlers")
lib("unsupported", "local m, n = map(), map()\ntracepoint(\"syscalls:sys_enter_write\", function(e)\n  m[1] = ...\nend)", "-e:3: cannot use '...' outside a vararg function near '...'")
H("unsupported", "e:foo()", 5, "method calls are not supported in kernel handlers")
H("unsupported", "m[1] = e.nosuch", 12, "the event has no field 'nosuch'", "e offers pid, tid, uid, gid, cpu, nsecs, comm, probe, kstack, ustack and args.NAME")
H("unsupported", "m[1] = e.args.nosuch", 17, "tracepoint:syscalls:sys_enter_write has no field 'nosuch'", "available fields: __syscall_nr, fd, buf, count")
H("unsupported", "m[1] = bpf.nosuch()", 14, "unknown builtin bpf.nosuch", "kernel handlers can use bpf.count, sum, min, max, avg, stats, hist, lhist, printf, print, exit, time, join, kstack, ustack, ksym, usym, str, reg, strftime and ntop")
H("unsupported", "count()", 8, "bpf.count() can only be assigned to a map element", "e.g. m[e.comm] = bpf.count()")
H("unsupported", "m[1] = count(1)", 15, "count() takes no arguments")
H("unsupported", "m[1] = e.pid // 0", 16, "division by zero")
H("unsupported", "m[1] = e.pid % 0", 16, "division by zero")
H("unsupported", "m[1] = 1 // 0", 12, "division by zero")
lib("unsupported", "local m, n = map(), map()\ntracepoint(\"syscalls:sys_enter_write\", function(e)\n  goto x\nend)", "-e:4: no visible label 'x' for <goto> at line 3")
H("unsupported", "m[1] = math.huge", 15, "cannot use a user-space table in a kernel handler", "kernel handlers can use numbers, strings and booleans captured from outside")
H("unsupported", "m[1] = math.pi", 15, "cannot use a user-space table in a kernel handler", "kernel handlers can use numbers, strings and booleans captured from outside")
H("unsupported", "m[1] = nil_global", 10, "global 'nil_global' is nil", "is it a typo, or a local declared after this function?")
H("unsupported", "m[1] = e.comm + 1", 17, "cannot do arithmetic on e.comm (a string)")
H("unsupported", "m[1] = e.pid .. \"x\"", 16, "string concatenation (..) is not supported in kernel handlers")
H("unsupported", "m[1], n[1] = 1, 2", 14, "multiple assignment is not supported in kernel handlers")
H("unsupported", "m.x.y = 1", 7, "cannot assign to a field of a number")
H("unsupported", "m[1] = m", 10, "a map element can hold a number, a string or an array, not a map")
H("unsupported", "m[{}] = count()", 5, "a map key needs at least one field")
H("unsupported", "m[e] = count()", 5, "the event itself cannot be a map key")
H("unsupported", "m[1] = e", 10, "a map element can hold a number, a string or an array, not the event itself")
H("unsupported", "m[1] = print", 10, "a map element can hold a number, a string or an array, not a bpf builtin function")
H("unsupported", "print(e)", 9, "cannot print the event itself")
H("unsupported", "printf(\"%d %d\\n\", e.pid)", 10, "printf: 2 conversions but 1 argument")
H("unsupported", "printf(\"%s\\n\", e.pid)", 10, "printf: conversion 1 (%s) needs a string, got an integer")
H("unsupported", "printf(e.comm)", 12, "the format of bpf.printf must be a string constant, not e.comm (a string)", "e.g. bpf.printf(\"%s %d\\n\", e.comm, e.pid)")
H("unsupported", "printf(\"%d\\n\", e.comm)", 10, "printf: conversion 1 (%d) needs an integer, got a string")
H("unsupported", "m[1] = hist()", 14, "hist() takes one or two arguments: hist(x [, k])")
H("unsupported", "m[1] = lhist(e.pid)", 15, "lhist() takes four arguments: lhist(x, min, max, step)")
H("unsupported", "m[1] = hist(e.comm)", 17, "bpf.hist() takes a number, not e.comm (a string)")
H("unsupported", "m[1] = sum(\"x\")", 14, "can only add a number to a map element, not a string")
H("unsupported", "m[1] = e.pid < \"x\"", 16, "cannot compare a number with a string")
H("unsupported", "m[1] = not_defined_fn()", 10, "global 'not_defined_fn' is nil", "is it a typo, or a local declared after this function?")
H("unsupported", "local x <close> = nil", 9, "to-be-closed locals are not supported in kernel handlers")
lib("unsupported", "local m, n = map(), map()\ntracepoint(\"syscalls:sys_enter_write\", function(e)\n  local x <const> = e.pid; x = 1\nend)", "-e:3: attempt to assign to const variable 'x'")
H("unsupported", "m[1] = str(e.pid, 100000)", 21, "bpf.str(p, n) takes a size, an integer constant from 1 to 32768", "the size counts the terminating NUL")
H("unsupported", "m[1] = str(e.args.buf, 0)", 26, "bpf.str(p, n) takes a size, an integer constant from 1 to 32768", "the size counts the terminating NUL")
H("unsupported", "m[1] = str(e.args.buf, -1)", 26, "bpf.str(p, n) takes a size, an integer constant from 1 to 32768", "the size counts the terminating NUL")
H("unsupported", "m[1] = ksym()", 14, "bpf.ksym() takes one argument, an address")
H("unsupported", "m[1] = usym(e.comm)", 17, "bpf.usym() takes an address (a number), not e.comm (a string)")
H("unsupported", "m[1] = kstack(1000)", 17, "bpf.kstack([mode,] n) takes a frame count, an integer constant from 1 to 127", "bpf.kstack() and bpf.ustack() keep all frames")
H("unsupported", "m[1] = ustack(-1)", 17, "bpf.ustack([mode,] n) takes a frame count, an integer constant from 1 to 127", "bpf.kstack() and bpf.ustack() keep all frames")
H("unsupported", "m[1] = e.args.buf.x", 21, "e.args.buf is a char * (a string pointer): it has no member 'x'")
H("unsupported", "m[1] = e.args[e.pid]", 19, "index e.args with a field name")
H("unsupported", "m[1] = bpf.count", 14, "a map element can hold a number, a string or an array, not a bpf builtin function")
H("unsupported", "m[e.pid] = count(); m[e.comm] = count()", 24, "map 'm' is keyed by (string) here but by (int) elsewhere")
H("unsupported", "m[1] = 1; m[1] = \"x\"", 14, "map 'm' holds plain values elsewhere; it cannot also hold strings")
H("unsupported", "m[1] = true", 10, "a map element can hold a number, a string or an array, not a boolean")
H("unsupported", "m[1] = 1 < 2 < 3", 16, "cannot compare a boolean with a number")
H("unsupported", "exit(1)", 7, "bpf.exit() takes no arguments")
H("unsupported", "m[1] = coroutine.yield()", 10, "cannot call coroutine.yield (a user-space table) in a kernel handler", "only bpf builtins run in the kernel; compute values outside and capture them as upvalues")
H("unsupported", "m[1] = select(\"#\")", 10, "cannot call select (a user-space function) in a kernel handler", "only bpf builtins run in the kernel; compute values outside and capture them as upvalues")
H("unsupported", "m[1] = setmetatable({}, {})", 10, "cannot call setmetatable (a user-space function) in a kernel handler", "only bpf builtins run in the kernel; compute values outside and capture them as upvalues")
H("unsupported", "m[1] = require(\"x\")", 10, "cannot call require (a user-space function) in a kernel handler", "only bpf builtins run in the kernel; compute values outside and capture them as upvalues")
H("unsupported", "m[1] = load(\"x\")", 10, "cannot call load (a user-space function) in a kernel handler", "only bpf builtins run in the kernel; compute values outside and capture them as upvalues")
H("unsupported", "m[1] = e.pid and e.comm or 1", 12, "a number is always true in a Lua condition (even 0)", "compare explicitly, e.g. `x ~= 0`")
H("unsupported", "e.pid = 1", 5, "the event is read-only")
H("unsupported", "e = 1", 3, "local 'e' holds the event itself and cannot be reassigned in a kernel handler")
H("unsupported", "m = 1", 3, "cannot assign to upvalue 'm': it is a constant in a kernel handler", "keep state across events in a map, e.g. m.total = bpf.sum(x)")
H("unsupported", "bpf = nil", 3, "cannot assign to global 'bpf': it is a constant in a kernel handler", "keep state across events in a map, e.g. m.total = bpf.sum(x)")
H("unsupported", "m[1] = 1e308", 10, "float 1e+308 is not supported", "BPF handlers compute with integers")
H("unsupported", "m[1] = -e.comm", 13, "cannot do arithmetic on e.comm (a string)")
H("unsupported", "m[1] = ~e.comm", 13, "cannot do arithmetic on e.comm (a string)")
H("unsupported", "m[1] = e.comm & 1", 17, "cannot do arithmetic on e.comm (a string)")
H("unsupported", "m[1] = e.pid << e.comm", 16, "cannot do arithmetic on e.comm (a string)")
H("unsupported", "local a, b, c, d, f, g, h, i, j, k, l, o, p, q, r, s, t, u, v, w = e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid, e.pid", 182, "expression too complex: it needs more than 16 registers", "split it using locals, or simplify it")
H("unsupported", "printf(\"%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d\\n\", 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17)", 105, "bpf.printf takes at most 16 arguments after the format")
H("unsupported", "printf(\"%z\\n\", 1)", 10, "printf: conversion 1 (%z?): unknown conversion byte 0x0a (use %d %i %u %x %X %o %c %s %p or %%)")
H("unsupported", "printf(\"%\")", 10, "printf: conversion 1 (%): the format ends before the conversion character (write %% for a %)")
H("unsupported", "m[1] = join(e.pid)", 14, "bpf.join() returns nothing: call it as a statement")
H("unsupported", "m[1] = ntop(e.comm)", 17, "bpf.ntop() takes an address of 4 or 16 bytes, not e.comm (a string)", "IPv4: a u32 or u8[4]; IPv6: u8[16]")
H("unsupported", "m[1] = strftime(1, 2)", 19, "the format of bpf.strftime must be a string constant, not a number", "e.g. bpf.strftime(\"%H:%M:%S\", e.nsecs)")
H("unsupported", "m[1] = reg(\"nosuch\")", 10, "global 'reg' is nil", "is it a typo, or a local declared after this function?")

-- ---- probe names, handler arguments, profile and interval rates ----
lib("probes", "tracepoint(\"\", function(e) end)", "-e:1: tracepoint '' must be category:name")
lib("probes", "tracepoint(\"nocolon\", function(e) end)", "-e:1: tracepoint 'nocolon' must be category:name")
lib("probes", "tracepoint(\"a:b:c\", function(e) end)", "-e:1: tracepoint 'a:b:c' must be category:name")
lib("probes", "tracepoint(\":x\", function(e) end)", "-e:1:12: no tracepoint matches ':x'\ntracepoint(\":x\", function(e) end)\n           ^\nhint: luabpf -l 'tracepoint::*' lists them")
lib("probes", "tracepoint(\"syscalls:\", function(e) end)", "-e:1:12: no tracepoint matches 'syscalls:'\ntracepoint(\"syscalls:\", function(e) end)\n           ^\nhint: luabpf -l 'tracepoint:syscalls:*' lists them")
lib("probes", "tracepoint(\"syscalls:nosuch_xyz\", function(e) end)", "-e:1:12: no tracepoint matches 'syscalls:nosuch_xyz'\ntracepoint(\"syscalls:nosuch_xyz\", function(e) end)\n           ^\nhint: luabpf -l 'tracepoint:syscalls:*' lists them")
lib("probes", "tracepoint(\"nosuch:thing\", function(e) end)", "-e:1:12: no tracepoint matches 'nosuch:thing'\ntracepoint(\"nosuch:thing\", function(e) end)\n           ^\nhint: luabpf -l 'tracepoint:nosuch:*' lists them")
lib("probes", "tracepoint(\"t:\", function(e) end)", "-e:1: tracepoint '' must be category:name")
lib("probes", "tracepoint(\"tracepoint:\", function(e) end)", "-e:1: tracepoint '' must be category:name")
lib("probes", "tracepoint(\"syscalls:sys_enter_[\", function(e) end)", "-e:1:12: no tracepoint matches 'syscalls:sys_enter_['\ntracepoint(\"syscalls:sys_enter_[\", function(e) end)\n           ^\nhint: luabpf -l 'tracepoint:syscalls:*' lists them")
lib("probes", "tracepoint(\"*:nosuch_xyz*\", function(e) end)", "-e:1:12: no tracepoint matches '*:nosuch_xyz*'\ntracepoint(\"*:nosuch_xyz*\", function(e) end)\n           ^\nhint: luabpf -l 'tracepoint:*:*' lists them")
lib("probes", "tracepoint(5, function(e) end)", "-e:1: usage: tracepoint(\"category:name\", function(e) ... end)")
lib("probes", "tracepoint(nil, function(e) end)", "-e:1: usage: tracepoint(\"category:name\", function(e) ... end)")
lib("probes", "tracepoint({}, function(e) end)", "-e:1: usage: tracepoint(\"category:name\", function(e) ... end)")
lib("probes", "tracepoint(true, function(e) end)", "-e:1: usage: tracepoint(\"category:name\", function(e) ... end)")
lib("probes", "tracepoint(\"syscalls:sys_enter_getppid\")", "-e:1: usage: tracepoint(\"category:name\", function(e) ... end)")
lib("probes", "tracepoint(\"syscalls:sys_enter_getppid\", 5)", "-e:1: usage: tracepoint(\"category:name\", function(e) ... end)")
lib("probes", "tracepoint(\"syscalls:sys_enter_getppid\", print)", "-e:1: a handler must be a Lua function, not a C function")
lib("probes", "tracepoint(\"syscalls:sys_enter_getppid\", string.len)", "-e:1: a handler must be a Lua function, not a C function")
lib("probes", "kfunc(5, function(e) end)", "-e:1: usage: kfunc(\"...\", function(e) ... end)")
lib("probes", "kfunc(\"x\", 5)", "-e:1: usage: kfunc(\"...\", function(e) ... end)")
lib("probes", "kfunc(\"x\")", "-e:1: usage: kfunc(\"...\", function(e) ... end)")
lib("probes", "kfunc(string.rep(\"x\", 100000), function(e) end)", "-e:1: kfunc: a part of the probe name is longer than 399 bytes")
lib("probes", "kfunc(\"x\", print)", "-e:1: kernel function x not found in BTF (luabpf -l 'kfunc:PATTERN' lists them)")
lib("probes", "kretfunc(5, function(e) end)", "-e:1: usage: kretfunc(\"...\", function(e) ... end)")
lib("probes", "kretfunc(\"x\", 5)", "-e:1: usage: kretfunc(\"...\", function(e) ... end)")
lib("probes", "kretfunc(\"x\")", "-e:1: usage: kretfunc(\"...\", function(e) ... end)")
lib("probes", "kretfunc(string.rep(\"x\", 100000), function(e) end)", "-e:1: kretfunc: a part of the probe name is longer than 399 bytes")
lib("probes", "kretfunc(\"x\", print)", "-e:1: kernel function x not found in BTF (luabpf -l 'kfunc:PATTERN' lists them)")
lib("probes", "rawtracepoint(5, function(e) end)", "-e:1: usage: rawtracepoint(\"...\", function(e) ... end)")
lib("probes", "rawtracepoint(\"x\", 5)", "-e:1: usage: rawtracepoint(\"...\", function(e) ... end)")
lib("probes", "rawtracepoint(\"x\")", "-e:1: usage: rawtracepoint(\"...\", function(e) ... end)")
lib("probes", "rawtracepoint(string.rep(\"x\", 100000), function(e) end)", "-e:1: rawtracepoint: a part of the probe name is longer than 399 bytes")
lib("probes", "rawtracepoint(\"x\", print)", "-e:1: raw tracepoint x not found in BTF (no btf_trace_x)")
lib("probes", "kprobe(5, function(e) end)", "-e:1: usage: kprobe(\"...\", function(e) ... end)")
lib("probes", "kprobe(\"x\", 5)", "-e:1: usage: kprobe(\"...\", function(e) ... end)")
lib("probes", "kprobe(\"x\")", "-e:1: usage: kprobe(\"...\", function(e) ... end)")
lib("probes", "kprobe(string.rep(\"x\", 100000), function(e) end)", "-e:1: kprobe: a part of the probe name is longer than 399 bytes")
lib("probes", "kprobe(\"x\", print)", "-e:1: a handler must be a Lua function, not a C function")
lib("probes", "kretprobe(5, function(e) end)", "-e:1: usage: kretprobe(\"...\", function(e) ... end)")
lib("probes", "kretprobe(\"x\", 5)", "-e:1: usage: kretprobe(\"...\", function(e) ... end)")
lib("probes", "kretprobe(\"x\")", "-e:1: usage: kretprobe(\"...\", function(e) ... end)")
lib("probes", "kretprobe(string.rep(\"x\", 100000), function(e) end)", "-e:1: kretprobe: a part of the probe name is longer than 399 bytes")
lib("probes", "kretprobe(\"x\", print)", "-e:1: a handler must be a Lua function, not a C function")
lib("probes", "uprobe(5, function(e) end)", "-e:1: usage: uprobe(\"...\", function(e) ... end)")
lib("probes", "uprobe(\"x\", 5)", "-e:1: usage: uprobe(\"...\", function(e) ... end)")
lib("probes", "uprobe(\"x\")", "-e:1: usage: uprobe(\"...\", function(e) ... end)")
lib("probes", "uprobe(string.rep(\"x\", 100000), function(e) end)", "-e:1: uprobe: a part of the probe name is longer than 399 bytes")
lib("probes", "uprobe(\"x\", print)", "-e:1: uprobe 'x' must be BINARY:FUNCTION (a path or a library name such as libc)")
lib("probes", "uretprobe(5, function(e) end)", "-e:1: usage: uretprobe(\"...\", function(e) ... end)")
lib("probes", "uretprobe(\"x\", 5)", "-e:1: usage: uretprobe(\"...\", function(e) ... end)")
lib("probes", "uretprobe(\"x\")", "-e:1: usage: uretprobe(\"...\", function(e) ... end)")
lib("probes", "uretprobe(string.rep(\"x\", 100000), function(e) end)", "-e:1: uretprobe: a part of the probe name is longer than 399 bytes")
lib("probes", "uretprobe(\"x\", print)", "-e:1: uretprobe 'x' must be BINARY:FUNCTION (a path or a library name such as libc)")
lib("probes", "usdt(5, function(e) end)", "-e:1: usage: usdt(\"...\", function(e) ... end)")
lib("probes", "usdt(\"x\", 5)", "-e:1: usage: usdt(\"...\", function(e) ... end)")
lib("probes", "usdt(\"x\")", "-e:1: usage: usdt(\"...\", function(e) ... end)")
lib("probes", "usdt(string.rep(\"x\", 100000), function(e) end)", "-e:1: usdt: a part of the probe name is longer than 399 bytes")
lib("probes", "usdt(\"x\", print)", "-e:1: usdt 'x' must be BINARY:PROVIDER:NAME")
lib("probes", "kfunc(\"no_such_fn_xyz\", function(e) end)", "-e:1: kernel function no_such_fn_xyz not found in BTF (luabpf -l 'kfunc:PATTERN' lists them)")
lib("probes", "kretfunc(\"no_such_fn_xyz\", function(e) end)", "-e:1: kernel function no_such_fn_xyz not found in BTF (luabpf -l 'kfunc:PATTERN' lists them)")
lib("probes", "kfunc(\"vmlinux:no_such_fn_xyz\", function(e) end)", "-e:1: kernel function no_such_fn_xyz not found in BTF (luabpf -l 'kfunc:PATTERN' lists them)")
lib("probes", "kretfunc(\"vmlinux:no_such_fn_xyz\", function(e) end)", "-e:1: kernel function no_such_fn_xyz not found in BTF (luabpf -l 'kfunc:PATTERN' lists them)")
lib("probes", "kfunc(\"no_such_*_xyz\", function(e) end)", "-e:1: no kernel function matches 'no_such_*_xyz'")
lib("probes", "kretfunc(\"no_such_*_xyz\", function(e) end)", "-e:1: no kernel function matches 'no_such_*_xyz'")
lib("probes", "rawtracepoint(\"no_such_tp_xyz\", function(e) end)", "-e:1: raw tracepoint no_such_tp_xyz not found in BTF (no btf_trace_no_such_tp_xyz)")
lib("probes", "rawtracepoint(\"sched_nosuch\", function(e) end)", "-e:1: raw tracepoint sched_nosuch not found in BTF (no btf_trace_sched_nosuch)")
lib("probes", "profile(\"-5hz\", function(e) end)", "-e:1: bad profile rate '-5hz' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"0hz\", function(e) end)", "-e:1: bad profile rate '0hz' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"0ms\", function(e) end)", "-e:1: bad profile rate '0ms' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"99\", function(e) end)", "-e:1: bad profile rate '99' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"hz\", function(e) end)", "-e:1: bad profile rate 'hz' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"1.5hz\", function(e) end)", "-e:1: bad profile rate '1.5hz' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"\", function(e) end)", "-e:1: bad profile rate '' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"10xs\", function(e) end)", "-e:1: bad profile rate '10xs' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(5, function(e) end)", "-e:1: bad profile rate '5' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"1e3hz\", function(e) end)", "-e:1: bad profile rate '1e3hz' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"99 hz\", function(e) end)", "-e:1: bad profile rate '99 hz' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\" 99hz\", function(e) end)", "-e:1: bad profile rate ' 99hz' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"-1ms\", function(e) end)", "-e:1: bad profile rate '-1ms' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"0s\", function(e) end)", "-e:1: bad profile rate '0s' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"99999999999999999999s\", function(e) end)", "-e:1: profile rate '99999999999999999999s' is longer than a year")
lib("probes", "profile(\"2000000000hz\", function(e) end)", "-e:1: bad profile rate '2000000000hz' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "interval(\"hz:\", function() end)", "-e:1: bad period 'hz:' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "profile(string.rep(\"x\", 100000), function(e) end)", "-e:1: bad profile rate 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (use e.g. \"99hz\", \"10ms\")")
lib("probes", "profile(\"99hz\")", "-e:1: usage: profile(\"99hz\" | \"10ms\", function(e) ... end)")
lib("probes", "profile(\"99hz\", 5)", "-e:1: usage: profile(\"99hz\" | \"10ms\", function(e) ... end)")
lib("probes", "interval(\"-5hz\", function() end)", "-e:1: bad period '-5hz' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"0hz\", function() end)", "-e:1: bad period '0hz' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"0ms\", function() end)", "-e:1: bad period '0ms' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"99\", function() end)", "-e:1: bad period '99' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"hz\", function() end)", "-e:1: bad period 'hz' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"1.5s\", function() end)", "-e:1: bad period '1.5s' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"\", function() end)", "-e:1: bad period '' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"10xs\", function() end)", "-e:1: bad period '10xs' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(5, function() end)", "-e:1: bad period '5' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"1e3s\", function() end)", "-e:1: bad period '1e3s' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"10 s\", function() end)", "-e:1: bad period '10 s' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"-1s\", function() end)", "-e:1: bad period '-1s' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"0s\", function() end)", "-e:1: bad period '0s' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"99999999999999999999s\", function() end)", "-e:1: period '99999999999999999999s' is longer than a year")
lib("probes", "interval(nil, function() end)", "-e:1: bad period: a nil (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval({}, function() end)", "-e:1: bad period: a table (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(string.rep(\"x\", 100000), function() end)", "-e:1: bad period 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (use e.g. \"10s\", \"500ms\", \"100us\", \"5hz\")")
lib("probes", "interval(\"1s\", 5)", "-e:1: usage: interval(\"10s\" | \"500ms\" | \"5hz\", function() ... end)")
lib("probes", "interval(\"1s\")", "-e:1: usage: interval(\"10s\" | \"500ms\" | \"5hz\", function() ... end)")
lib("probes", "BEGIN(5)", "-e:1: usage: BEGIN(function() ... end)")
lib("probes", "BEGIN()", "-e:1: usage: BEGIN(function() ... end)")
lib("probes", "END(\"x\")", "-e:1: usage: END(function() ... end)")
lib("probes", "END({})", "-e:1: usage: END(function() ... end)")

-- ---- binaries: uprobe, uretprobe and usdt targets ----
lib("binaries", "uprobe(\"$DIR/fifo:f\", function(e) end)", "-e:1: $DIR/fifo: a FIFO, not an ELF file")
lib("binaries", "uprobe(\"$DIR/trunc:f\", function(e) end)", "-e:1: $DIR/trunc: truncated or corrupt ELF file (100 bytes)")
lib("binaries", "uprobe(\"$DIR/trunc2:f\", function(e) end)", "-e:1: $DIR/trunc2: truncated or corrupt ELF file (3000 bytes)")
lib("binaries", "uprobe(\"$DIR/text:f\", function(e) end)", "-e:1: $DIR/text: not an ELF file")
lib("binaries", "uprobe(\"$DIR/empty:f\", function(e) end)", "-e:1: $DIR/empty: not an ELF file")
lib("binaries", "uprobe(\"$DIR/reloc.o:f\", function(e) end)", "-e:1: $DIR/reloc.o: a relocatable object (.o): uprobes need an executable or a shared library")
lib("binaries", "uprobe(\"$DIR/script.sh:f\", function(e) end)", "-e:1: $DIR/script.sh: not an ELF file")
lib("binaries", "uprobe(\"$DIR/dirlink:f\", function(e) end)", "-e:1: $DIR/dirlink: a directory, not an ELF file")
lib("binaries", "uprobe(\"$DIR/dangling:f\", function(e) end)", "-e:1: $DIR/dangling: No such file or directory")
lib("binaries", "uprobe(\"$DIR/adir:f\", function(e) end)", "-e:1: $DIR/adir: a directory, not an ELF file")
lib("binaries", "uprobe(\"$DIR/nosuch:f\", function(e) end)", "-e:1: $DIR/nosuch: No such file or directory")
lib("binaries", "uprobe(\"/dev/null:f\", function(e) end)", "-e:1: /dev/null: a character device, not an ELF file")
lib("binaries", "uprobe(\"$BIN/uprobeme:no_such_function\", function(e) end)", "-e:1: no function no_such_function in $BIN/uprobeme")
lib("binaries", "uprobe(\"libnosuch:f\", function(e) end)", "-e:1: cannot find library 'libnosuch' (give its path, or -p PID of a process using it)")
lib("binaries", "uprobe(\"libc:no_such_function_x\", function(e) end)", "-e:1: no function no_such_function_x in /lib/x86_64-linux-gnu/libc.so.6")
lib("binaries", "uprobe(\"$BIN/uprobeme:\", function(e) end)", "-e:1: uprobe '$BIN/uprobeme:' must be BINARY:FUNCTION (a path or a library name such as libc)")
lib("binaries", "uprobe(\":foo\", function(e) end)", "-e:1: uprobe ':foo' must be BINARY:FUNCTION (a path or a library name such as libc)")
lib("binaries", "uprobe(\"$BIN/uprobeme\", function(e) end)", "-e:1: uprobe '$BIN/uprobeme' must be BINARY:FUNCTION (a path or a library name such as libc)")
lib("binaries", "uprobe(\"\", function(e) end)", "-e:1: uprobe '' must be BINARY:FUNCTION (a path or a library name such as libc)")
lib("binaries", "uprobe(\"$BIN/uprobeme:nosuch*\", function(e) end)", "-e:1: no function of $BIN/uprobeme matches 'nosuch*'")
lib("binaries", "uprobe(\"/proc/self/mem:f\", function(e) end)", "-e:1: /proc/self/mem: not an ELF file")
lib("binaries", "uretprobe(\"$DIR/fifo:f\", function(e) end)", "-e:1: $DIR/fifo: a FIFO, not an ELF file")
lib("binaries", "uretprobe(\"$DIR/trunc:f\", function(e) end)", "-e:1: $DIR/trunc: truncated or corrupt ELF file (100 bytes)")
lib("binaries", "uretprobe(\"$DIR/trunc2:f\", function(e) end)", "-e:1: $DIR/trunc2: truncated or corrupt ELF file (3000 bytes)")
lib("binaries", "uretprobe(\"$DIR/text:f\", function(e) end)", "-e:1: $DIR/text: not an ELF file")
lib("binaries", "uretprobe(\"$DIR/empty:f\", function(e) end)", "-e:1: $DIR/empty: not an ELF file")
lib("binaries", "uretprobe(\"$DIR/reloc.o:f\", function(e) end)", "-e:1: $DIR/reloc.o: a relocatable object (.o): uprobes need an executable or a shared library")
lib("binaries", "uretprobe(\"$DIR/script.sh:f\", function(e) end)", "-e:1: $DIR/script.sh: not an ELF file")
lib("binaries", "uretprobe(\"$DIR/dirlink:f\", function(e) end)", "-e:1: $DIR/dirlink: a directory, not an ELF file")
lib("binaries", "uretprobe(\"$DIR/dangling:f\", function(e) end)", "-e:1: $DIR/dangling: No such file or directory")
lib("binaries", "uretprobe(\"$DIR/adir:f\", function(e) end)", "-e:1: $DIR/adir: a directory, not an ELF file")
lib("binaries", "uretprobe(\"$DIR/nosuch:f\", function(e) end)", "-e:1: $DIR/nosuch: No such file or directory")
lib("binaries", "uretprobe(\"/dev/null:f\", function(e) end)", "-e:1: /dev/null: a character device, not an ELF file")
lib("binaries", "uretprobe(\"$BIN/uprobeme:no_such_function\", function(e) end)", "-e:1: no function no_such_function in $BIN/uprobeme")
lib("binaries", "uretprobe(\"libnosuch:f\", function(e) end)", "-e:1: cannot find library 'libnosuch' (give its path, or -p PID of a process using it)")
lib("binaries", "uretprobe(\"libc:no_such_function_x\", function(e) end)", "-e:1: no function no_such_function_x in /lib/x86_64-linux-gnu/libc.so.6")
lib("binaries", "uretprobe(\"$BIN/uprobeme:\", function(e) end)", "-e:1: uretprobe '$BIN/uprobeme:' must be BINARY:FUNCTION (a path or a library name such as libc)")
lib("binaries", "uretprobe(\":foo\", function(e) end)", "-e:1: uretprobe ':foo' must be BINARY:FUNCTION (a path or a library name such as libc)")
lib("binaries", "uretprobe(\"$BIN/uprobeme\", function(e) end)", "-e:1: uretprobe '$BIN/uprobeme' must be BINARY:FUNCTION (a path or a library name such as libc)")
lib("binaries", "uretprobe(\"\", function(e) end)", "-e:1: uretprobe '' must be BINARY:FUNCTION (a path or a library name such as libc)")
lib("binaries", "uretprobe(\"$BIN/uprobeme:nosuch*\", function(e) end)", "-e:1: no function of $BIN/uprobeme matches 'nosuch*'")
lib("binaries", "uretprobe(\"/proc/self/mem:f\", function(e) end)", "-e:1: /proc/self/mem: not an ELF file")
lib("binaries", "usdt(\"$DIR/fifo:p:n\", function(e) end)", "-e:1: $DIR/fifo: a FIFO, not an ELF file")
lib("binaries", "usdt(\"$DIR/trunc:p:n\", function(e) end)", "-e:1: $DIR/trunc: truncated or corrupt ELF file (100 bytes)")
lib("binaries", "usdt(\"$DIR/text:p:n\", function(e) end)", "-e:1: $DIR/text: not an ELF file")
lib("binaries", "usdt(\"$DIR/empty:p:n\", function(e) end)", "-e:1: $DIR/empty: not an ELF file")
lib("binaries", "usdt(\"$DIR/reloc.o:p:n\", function(e) end)", "-e:1: $DIR/reloc.o has no USDT probe p:n (it has no USDT probes)")
lib("binaries", "usdt(\"$DIR/dirlink:p:n\", function(e) end)", "-e:1: $DIR/dirlink: a directory, not an ELF file")
lib("binaries", "usdt(\"$DIR/dangling:p:n\", function(e) end)", "-e:1: $DIR/dangling: No such file or directory")
lib("binaries", "usdt(\"$DIR/adir:p:n\", function(e) end)", "-e:1: $DIR/adir: a directory, not an ELF file")
lib("binaries", "usdt(\"$DIR/nosuch:p:n\", function(e) end)", "-e:1: $DIR/nosuch: No such file or directory")
lib("binaries", "usdt(\"$BIN/uprobeme:nosuch:probe\", function(e) end)", "-e:1: $BIN/uprobeme has no USDT probe nosuch:probe (it has no USDT probes)")
lib("binaries", "usdt(\"$BIN/uprobeme\", function(e) end)", "-e:1: usdt '$BIN/uprobeme' must be BINARY:PROVIDER:NAME")
lib("binaries", "usdt(\"$BIN/uprobeme:p\", function(e) end)", "-e:1: usdt '$BIN/uprobeme:p' must be BINARY:PROVIDER:NAME")
lib("binaries", "usdt(\"\", function(e) end)", "-e:1: usdt '' must be BINARY:PROVIDER:NAME")
lib("binaries", "usdt(\"::\", function(e) end)", "-e:1: usdt '::' must be BINARY:PROVIDER:NAME")
lib("binaries", "usdt(\"libnosuch:p:n\", function(e) end)", "-e:1: cannot find library 'libnosuch' (give its path, or -p PID of a process using it)")

-- ---- settings (bpf.config), maps and sizes, user-space builtins ----
lib("config", "config{max_strlen = 0}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = -1}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = 1.5}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = \"x\"}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = true}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = {}}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = 1e300}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = 0/0}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = math.huge}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = -math.huge}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = 32769}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = 2^53}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = math.mininteger}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = math.maxinteger}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{max_strlen = \"1.5\"}", "-e:1: max_strlen must be an integer between 1 and 32768")
lib("config", "config{ustack = 5}", "-e:1: ustack must be \"fp\" (frame pointers, the default) or \"dwarf\"")
lib("config", "config{ustack = \"x\"}", "-e:1: ustack must be \"fp\" (frame pointers, the default) or \"dwarf\"")
lib("config", "config{ustack = true}", "-e:1: ustack must be \"fp\" (frame pointers, the default) or \"dwarf\"")
lib("config", "config{ustack = \"\"}", "-e:1: ustack must be \"fp\" (frame pointers, the default) or \"dwarf\"")
lib("config", "config{ustack = \"FP\"}", "-e:1: ustack must be \"fp\" (frame pointers, the default) or \"dwarf\"")
lib("config", "config{ustack = \"DWARF\"}", "-e:1: ustack must be \"fp\" (frame pointers, the default) or \"dwarf\"")
lib("config", "config{ustack = {}}", "-e:1: ustack must be \"fp\" (frame pointers, the default) or \"dwarf\"")
lib("config", "config{ustack = string.rep(\"x\", 100000)}", "-e:1: ustack must be \"fp\" (frame pointers, the default) or \"dwarf\"")
lib("config", "config(5)", "-e:1: config takes a table of settings, e.g. config{max_strlen = 128}, not number")
lib("config", "config(\"x\")", "-e:1: config takes a table of settings, e.g. config{max_strlen = 128}, not string")
lib("config", "config(nil)", "-e:1: config takes a table of settings, e.g. config{max_strlen = 128}, not nil")
lib("config", "config(true)", "-e:1: config takes a table of settings, e.g. config{max_strlen = 128}, not boolean")
lib("config", "config(print)", "-e:1: config takes a table of settings, e.g. config{max_strlen = 128}, not function")
lib("config", "config{[1] = 2}", "-e:1: config: setting names are strings (known: max_strlen, ustack), not number")
lib("config", "config{[true] = 1}", "-e:1: config: setting names are strings (known: max_strlen, ustack), not boolean")
lib("config", "config{nosuch = 1}", "-e:1: config: unknown setting 'nosuch' (known: max_strlen, ustack)")
lib("config", "config{max_strlen = 64, nosuch = 1}", "-e:1: config: unknown setting 'nosuch' (known: max_strlen, ustack)")
lib("config", "config{[string.rep(\"x\", 100000)] = 1}", "-e:1: config: unknown setting 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (known: max_strlen, ustack)")
lib("config", "config{MAX_STRLEN = 64}", "-e:1: config: unknown setting 'MAX_STRLEN' (known: max_strlen, ustack)")
lib("config", "map{max_entries = 0}", "-e:1: bpf.map: max_entries must be a positive integer")
lib("config", "map{max_entries = -1}", "-e:1: bpf.map: max_entries must be a positive integer")
lib("config", "map{max_entries = 1.5}", "-e:1: bpf.map: max_entries must be a positive integer")
lib("config", "map{max_entries = 1e300}", "-e:1: bpf.map: max_entries must be between 1 and 16777216")
lib("config", "map{max_entries = 2^40}", "-e:1: bpf.map: max_entries must be between 1 and 16777216")
lib("config", "map{max_entries = \"10\"}", "-e:1: bpf.map: max_entries must be a number")
lib("config", "map{max_entries = true}", "-e:1: bpf.map: max_entries must be a number")
lib("config", "map{max_entries = 0/0}", "-e:1: bpf.map: max_entries must be a positive integer")
lib("config", "map{max_entries = math.huge}", "-e:1: bpf.map: max_entries must be between 1 and 16777216")
lib("config", "map{max_entries = -math.huge}", "-e:1: bpf.map: max_entries must be a positive integer")
lib("config", "map{max_entries = 2^24 + 1}", "-e:1: bpf.map: max_entries must be between 1 and 16777216")
lib("config", "map{max_entries = math.mininteger}", "-e:1: bpf.map: max_entries must be a positive integer")
lib("config", "map{max_entries = {}}", "-e:1: bpf.map: max_entries must be a number")
lib("config", "map{name = 5}", "-e:1: bpf.map: name must be a string")
lib("config", "map{name = true}", "-e:1: bpf.map: name must be a string")
lib("config", "map{name = {}}", "-e:1: bpf.map: name must be a string")
lib("config", "map{name = string.rep(\"x\", 100000)}", "-e:1: bpf.map: the name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is longer than 63 bytes")
lib("config", "map{name = string.rep(\"y\", 64)}", "-e:1: bpf.map: the name 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...' is longer than 63 bytes")
lib("config", "map(5)", "-e:1: bpf.map: the name must be a string, or a table of options")
lib("config", "map(true)", "-e:1: bpf.map: the name must be a string, or a table of options")
lib("config", "map(print)", "-e:1: bpf.map: the name must be a string, or a table of options")
lib("config", "map(string.rep(\"x\", 100000))", "-e:1: bpf.map: the name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is longer than 63 bytes")
lib("config", "map(string.rep(\"z\", 64))", "-e:1: bpf.map: the name 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...' is longer than 63 bytes")
lib("config", "map{nosuch = 1}", "-e:1: bpf.map: unknown option 'nosuch' (known: name, max_entries, lru, labels)")
lib("config", "map{[1] = 2}", "-e:1: bpf.map: unknown option '1' (known: name, max_entries, lru, labels)")
lib("config", "map{[string.rep(\"x\", 100000)] = 1}", "-e:1: bpf.map: unknown option 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (known: name, max_entries, lru, labels)")
lib("config", "map{lru = 1}", "-e:1: bpf.map: lru must be a boolean")
lib("config", "map{lru = \"yes\"}", "-e:1: bpf.map: lru must be a boolean")
lib("config", "map{labels = 5}", "-e:1: bpf.map: labels must be a table")
lib("config", "map{labels = \"x\"}", "-e:1: bpf.map: labels must be a table")
lib("config", "for i = 1, 65 do map() end", "-e:1: too many maps (at most 64)")
lib("config", "local m = map(); m[1] = 2", "-e:1: @: no handler uses it yet, so its keys have no type: add the handlers first")
lib("config", "count()", "-e:1: bpf.count() runs only inside kernel handlers")
lib("config", "hist(1)", "-e:1: bpf.hist() runs only inside kernel handlers")
lib("config", "sum(1)", "-e:1: bpf.sum() runs only inside kernel handlers")
lib("config", "lhist(1, 0, 10, 1)", "-e:1: bpf.lhist() runs only inside kernel handlers")
lib("config", "kstack()", "-e:1: bpf.kstack() runs only inside kernel handlers")
lib("config", "str(1)", "-e:1: bpf.str() runs only inside kernel handlers")
lib("config", "printf(5)", "-e:1: bpf.printf: the format must be a string")
lib("config", "printf(\"%d\", \"x\")", "-e:1: printf: conversion 1 (%d) needs an integer, got a string")
lib("config", "printf(\"%d\", 1.5)", "-e:1: bpf.printf: argument 2 is float; printf takes integers and strings")
lib("config", "printf(\"%d\", {})", "-e:1: bpf.printf: argument 2 is table; printf takes integers and strings")
lib("config", "printf(\"%s\")", "-e:1: printf: 1 conversion but 0 arguments")
lib("config", "printf(\"%q\", 1)", "-e:1: printf: conversion 1 (%q): length modifier 'q' is not supported")
lib("config", "printf(\"%d %d\", 1)", "-e:1: printf: 2 conversions but 1 argument")
lib("config", "printf(nil)", "-e:1: bpf.printf: the format must be a string")
lib("config", "strftime(5, 1)", "-e:1: bpf.strftime: the format must be a string")
lib("config", "strftime(\"%H\", \"x\")", "-e:1: bpf.strftime: the time must be an integer (ns)")
lib("config", "strftime(\"%H\", 1.5)", "-e:1: bpf.strftime: the time must be an integer (ns)")
lib("config", "time(5)", "-e:1: bpf.time: the format must be a string")
lib("config", "ntop(\"abc\")", "-e:1: bpf.ntop: an address has 4 or 16 bytes, not 3")
lib("config", "ntop({})", "-e:1: bpf.ntop: the address must be an integer (IPv4) or a string of 4 or 16 bytes")
lib("config", "ksym(\"x\")", "-e:1: bpf.ksym: the address must be an integer, not string")
lib("config", "usym({})", "-e:1: bpf.usym: the address must be an integer, not table")
lib("config", "usym(1)", "-e:1: bpf.usym: the second argument must be a process id, not no value")
lib("config", "usym(1, \"x\")", "-e:1: bpf.usym: the second argument must be a process id, not string")
lib("config", "usym(1, 0)", "-e:1: bpf.usym: the second argument must be a process id, not 0")
lib("config", "usym(1, -5)", "-e:1: bpf.usym: the second argument must be a process id, not -5")
lib("config", "local m = map(); maps.entries(5)", "-e:1: a map made by bpf.map() expected, got number")
lib("config", "clear(5)", "-e:1: a map made by bpf.map() expected, got number")
lib("config", "clear()", "-e:1: a map made by bpf.map() expected, got no value")
lib("config", "clear({})", "-e:1: a map made by bpf.map() expected, got table")
lib("config", "local m = map(); m.x = 1", "-e:1: @: no handler uses it yet, so its keys have no type: add the handlers first")
lib("config", "local v = vars(); v.x = 1", "-e:1: bpf.vars() fields are written by kernel handlers")
lib("config", "tracepoint(\"syscalls:sys_enter_getppid\", function(e) local m = map() end)", "-e:1:64: cannot call map (a user-space function) in a kernel handler\ntracepoint(\"syscalls:sys_enter_getppid\", function(e) local m = map() end)\n                                                               ^\nhint: only bpf builtins run in the kernel; compute values outside and capture them as upvalues")
lib("config", "local t = {}; tracepoint(\"syscalls:sys_enter_getppid\", function(e) t[1] = 1 end)", "-e:1:69: cannot assign to a field of a user-space value\nlocal t = {}; tracepoint(\"syscalls:sys_enter_getppid\", function(e) t[1] = 1 end)\n                                                                    ^")
lib("config", "local f = 1.5; tracepoint(\"syscalls:sys_enter_getppid\", function(e) printf(\"%d\", f) end)", "-e:1:82: upvalue 'f' is a float (or an integer out of range): kernel handlers compute with 64-bit integers\nlocal f = 1.5; tracepoint(\"syscalls:sys_enter_getppid\", function(e) printf(\"%d\", f) end)\n                                                                                 ^\nhint: convert it outside the handler, e.g. local n = math.floor(x)")
lib("config", "local f = 1e300; tracepoint(\"syscalls:sys_enter_getppid\", function(e) printf(\"%d\", f) end)", "-e:1:84: upvalue 'f' is a float (or an integer out of range): kernel handlers compute with 64-bit integers\nlocal f = 1e300; tracepoint(\"syscalls:sys_enter_getppid\", function(e) printf(\"%d\", f) end)\n                                                                                   ^\nhint: convert it outside the handler, e.g. local n = math.floor(x)")
lib("config", "local f = 0/0; tracepoint(\"syscalls:sys_enter_getppid\", function(e) printf(\"%d\", f) end)", "-e:1:82: upvalue 'f' is a float (or an integer out of range): kernel handlers compute with 64-bit integers\nlocal f = 0/0; tracepoint(\"syscalls:sys_enter_getppid\", function(e) printf(\"%d\", f) end)\n                                                                                 ^\nhint: convert it outside the handler, e.g. local n = math.floor(x)")
lib("config", "local co = coroutine.create(print); tracepoint(\"syscalls:sys_enter_getppid\", function(e) printf(\"%d\", co) end)", "-e:1:103: cannot print a user-space value\nlocal co = coroutine.create(print); tracepoint(\"syscalls:sys_enter_getppid\", function(e) printf(\"%d\", co) end)\n                                                                                                      ^")
lib("config", "local s = string.rep(\"x\", 300); local m = map(); tracepoint(\"syscalls:sys_enter_getppid\", function(e) m[s] = count() end)", "-e:1:105: string key too long (at most 255 bytes)\nlocal s = string.rep(\"x\", 300); local m = map(); tracepoint(\"syscalls:sys_enter_getppid\", function(e) m[s] = count() end)\n                                                                                                        ^")
lib("config", "local s = string.rep(\"x\", 100000); tracepoint(\"syscalls:sys_enter_getppid\", function(e) printf(s) end)", "-e:1:96: format too long: 100000 bytes (at most 511)\nlocal s = string.rep(\"x\", 100000); tracepoint(\"syscalls:sys_enter_getppid\", function(e) printf(s) end)\n                                                                                               ^")
lib("config", "local m = map(); tracepoint(\"syscalls:sys_enter_getppid\", function(e) m[str(e.args.__syscall_nr, 600)] = count() end)", "-e:1:72: map key too large: 600 bytes, more than LB_MAX_KEY (512)\nlocal m = map(); tracepoint(\"syscalls:sys_enter_getppid\", function(e) m[str(e.args.__syscall_nr, 600)] = count() end)\n                                                                       ^\nhint: the kernel limits hash map keys; read shorter strings with bpf.str(p, n)")
lib("config", "local m = map(); config{max_strlen = 32768}; tracepoint(\"syscalls:sys_enter_write\", function(e) m[str(e.args.buf)] = count() end)", "-e:1:98: map key too large: 32768 bytes, more than LB_MAX_KEY (512)\nlocal m = map(); config{max_strlen = 32768}; tracepoint(\"syscalls:sys_enter_write\", function(e) m[str(e.args.buf)] = count() end)\n                                                                                                 ^\nhint: the kernel limits hash map keys; read shorter strings with bpf.str(p, n)")
lib("config", "config{max_strlen = 32768}; tracepoint(\"syscalls:sys_enter_write\", function(e) printf(\"%s %s\", str(e.args.buf), str(e.args.buf)) end)", "-e:1:86: printf record too large: 65544 bytes, LB_SCRATCH (65536) or more\nconfig{max_strlen = 32768}; tracepoint(\"syscalls:sys_enter_write\", function(e) printf(\"%s %s\", str(e.args.buf), str(e.args.buf)) end)\n                                                                                     ^")
lib("config", "local m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[{e.pid, e.tid, e.comm, e.uid, e.gid, e.cpu, e.pid, e.tid, e.comm, e.uid, e.gid, e.cpu, e.pid, e.tid, e.comm, e.uid, e.gid, e.cpu, e.pid, e.tid, e.comm, e.uid, e.gid, e.cpu, e.pid, e.tid, e.comm, e.uid, e.gid, e.cpu, e.pid, e.tid, e.comm}] = count() end)", "-e:1:129: a map key has at most 8 fields (LB_MAX_KEYS)\nlocal m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[{e.pid, e.tid, e.comm, e.uid, e.gid, e.cpu, e.pid, e.tid, e.comm, e.uid, e.gid, e.cpu, e.pid, e.tid, e.comm, e.uid, e.gid, e.cpu, e.pid, e.tid, e.comm, e.uid, e.gid, e.cpu, e.pid, e.tid, e.comm, e.uid, e.gid, e.cpu, e.pid, e.tid, e.comm}] = count() end)\n                                                                                                                                ^")
lib("config", "local m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[1] = lhist(e.pid, 0, 100000, 1) end)", "-e:1:81: lhist() would need more than 1000 buckets\nlocal m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[1] = lhist(e.pid, 0, 100000, 1) end)\n                                                                                ^\nhint: use a larger step or a narrower range")
lib("config", "local m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[1] = lhist(e.pid, 10, 0, 1) end)", "-e:1:93: lhist() max must be greater than min\nlocal m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[1] = lhist(e.pid, 10, 0, 1) end)\n                                                                                            ^")
lib("config", "local m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[1] = lhist(e.pid, 0, 10, 0) end)", "-e:1:96: lhist() step must be positive\nlocal m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[1] = lhist(e.pid, 0, 10, 0) end)\n                                                                                               ^")
lib("config", "local m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[1] = hist(e.pid, 9) end)", "-e:1:88: hist() k must be from 0 to 5\nlocal m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[1] = hist(e.pid, 9) end)\n                                                                                       ^\nhint: 2^k buckets per power of two")
lib("config", "local m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[1] = hist(e.pid, -1) end)", "-e:1:88: hist() k must be from 0 to 5\nlocal m = map(); tracepoint(\"syscalls:sys_enter_write\", function(e) m[1] = hist(e.pid, -1) end)\n                                                                                       ^\nhint: 2^k buckets per power of two")

-- ---- nesting depth ----
local deep = "-e: cannot load: C stack overflow (nested too deeply for Lua's parser: split the expression)"
local function in_handler(body)
  return "local m = map()\ntracepoint(\"syscalls:sys_enter_write\", function(e)\n" .. body .. "\nend)"
end
for _, n in ipairs { 300, 1000, 10000 } do
  lib("nesting", in_handler("m[" .. ("("):rep(n) .. "1" .. (")"):rep(n) .. "] = count()"), deep)
  lib("nesting", in_handler(("if e.pid > 0 then "):rep(n) .. "m[1] = count()" .. (" end"):rep(n)), deep)
  lib("nesting", in_handler(("do "):rep(n) .. ("end "):rep(n)), deep)
  lib("nesting", in_handler("m[1] = " .. ("not "):rep(n) .. "e.pid"), deep)
  lib("nesting", "local x = " .. ("("):rep(n) .. "1" .. (")"):rep(n), deep)
  lib("nesting", "local t = " .. ("{"):rep(n) .. ("}"):rep(n), deep)
  lib("nesting", ("do "):rep(n) .. ("end "):rep(n), deep)
  lib("nesting", "local f = " .. ("function() return "):rep(n) .. "1" .. (" end"):rep(n), deep)
end
-- deep for the compiler, not for Lua's parser (a left-leaning chain)
for _, n in ipairs { 250, 500, 5000 } do
  local line = "m[1] = e.pid" .. (" + e.pid"):rep(n)
  local col = #"m[1] = e.pid" + 2 + 8 * (n - 200) -- the '+' with 200 levels below it
  lib("nesting", in_handler(line), string.format("-e:3:%d: nesting too deep (limit 200)\n%s\n%s^",
    col, line:sub(1, 400), (" "):rep(math.min(col - 1, 400))))
end

-- ---- the luabpf command's arguments (one process each) ----
local B = "BEGIN(function() end)"
for _, c in ipairs {
  { { "-p", "999999999", "-e", B }, "luabpf: -p 999999999: no such process\n" },
  { { "-p", "99999999999999999999999", "-e", B }, "luabpf: -p 99999999999999999999999: no such process\n" },
  { { "-p", "0", "-e", B }, "luabpf: -p needs a process id (a positive integer)\n" },
  { { "-p", "-1", "-e", B }, "luabpf: -p needs a process id (a positive integer)\n" },
  { { "-p", "1.5", "-e", B }, "luabpf: -p needs a process id (a positive integer)\n" },
  { { "-p", "abc", "-e", B }, "luabpf: -p needs a process id (a positive integer)\n" },
  { { "-p", "", "-e", B }, "luabpf: -p needs a process id (a positive integer)\n" },
  { { "-p", "0x10", "-e", B }, "luabpf: -p needs a process id (a positive integer)\n" },
  { { "-p" }, "luabpf: -p needs a process id (a positive integer)\n" },
  { { "-c" }, "luabpf: -c needs a command\n" },
  { { "-c", "" }, "luabpf: -c needs a command\n" },
  { { "-c", "/nonexistent/cmd", "-e", B }, "luabpf: -c: '/nonexistent/cmd' does not exist or is not executable\n" },
  { { "-c", "nosuchcommand_xyz --flag", "-e", B },
    "luabpf: -c: 'nosuchcommand_xyz' does not exist or is not executable (searched PATH)\n" },
  { { "-c", "$DIR/adir", "-e", B }, "luabpf: -c: '$DIR/adir' does not exist or is not executable\n" },
  { { "-c", "$DIR/text", "-e", B }, "luabpf: -c: '$DIR/text' does not exist or is not executable\n" },
  { { "-c", "/" .. ("x"):rep(100000), "-e", B },
    "luabpf: -c: '/" .. ("x"):rep(63) .. "...' does not exist or is not executable\n" },
  { { "-e" }, "luabpf: -e needs code\n" },
  { { "-f" }, "luabpf: -f needs a format (text, json or folded)\n" },
  { { "-f", "xml", "-e", B }, "luabpf: unknown output format 'xml' (text, json or folded)\n" },
  { { "-f", "", "-e", B }, "luabpf: unknown output format '' (text, json or folded)\n" },
  { { "--flamegraph" }, "luabpf: --flamegraph needs a file name\n" },
  { { "--flamegraph", "/nonexistent/dir/out.svg", "-e", B },
    "luabpf: --flamegraph: /nonexistent/dir/out.svg: No such file or directory\n" },
  { { "--flamegraph", "$DIR/adir", "-e", B }, "luabpf: --flamegraph: $DIR/adir: Is a directory\n" },
  { { "--metrics" }, "luabpf: --metrics needs an address, e.g. 127.0.0.1:9464\n" },
  { { "--metrics", "nonsense", "-e", B }, "luabpf: bad metrics address 'nonsense': give HOST:PORT with a numeric address (127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 for every interface) or a port\n" },
  { { "--metrics", "127.0.0.1:99999", "-e", B }, "luabpf: bad metrics address '127.0.0.1:99999': give HOST:PORT with a numeric address (127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 for every interface) or a port\n" },
  { { "--metrics", ":-1", "-e", B }, "luabpf: bad metrics address ':-1': give HOST:PORT with a numeric address (127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 for every interface) or a port\n" },
  { { "--metrics", "999.1.1.1:80", "-e", B }, "luabpf: bad metrics address '999.1.1.1:80': give HOST:PORT with a numeric address (127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 for every interface) or a port\n" },
  { { "--nosuch" }, "luabpf: unknown option --nosuch (luabpf -h lists the options)\n" },
  { { "-x" }, "luabpf: unknown option -x (luabpf -h lists the options)\n" },
  { { "-pp" }, "luabpf: unknown option -pp (luabpf -h lists the options)\n" },
  { { "-" .. ("y"):rep(100000) }, "luabpf: unknown option -" .. ("y"):rep(63) .. "... (luabpf -h lists the options)\n" },
  { { "-lv", "struct no_such_struct" }, "luabpf: no struct no_such_struct in the kernel's BTF\n" },
  { { "-lv", "union no_such_union" }, "luabpf: no union no_such_union in the kernel's BTF\n" },
  { { "-lv", "kfunc:no_such_fn_xyz" },
    "luabpf: no kernel function no_such_fn_xyz in the kernel's BTF (luabpf -l 'kfunc:PATTERN' lists them)\n" },
  { { "-l", "tracepoint:no_such_cat_xyz:x" },
    "luabpf: no tracepoint no_such_cat_xyz:x (luabpf -l 'tracepoint:no_such_cat_xyz:*' lists them)\n" },
  { { "-l", "nosuchkind:x:y" }, "luabpf: listing nosuchkind probes is not supported\n" },
  { { "-l", "uprobe:$DIR/fifo:*" }, "luabpf: $DIR/fifo: a FIFO, not an ELF file\n" },
  { { "-l", "uprobe:$DIR/text:*" }, "luabpf: $DIR/text: not an ELF file\n" },
  { { "-l", "uprobe:$DIR/nosuch:*" }, "luabpf: $DIR/nosuch: No such file or directory\n" },
  { { "-l", "uprobe:$DIR/adir:*" }, "luabpf: $DIR/adir: a directory, not an ELF file\n" },
  { { "-l", "uprobe:$DIR/trunc:*" }, "luabpf: $DIR/trunc: truncated or corrupt ELF file (100 bytes)\n" },
  { { "-l", "usdt:$DIR/text" }, "luabpf: $DIR/text: not an ELF file\n" },
  { { "-l", "usdt:$DIR/nosuch" }, "luabpf: $DIR/nosuch: No such file or directory\n" },
  { { "$DIR/nosuch.lua" }, "luabpf: cannot open $DIR/nosuch.lua: No such file or directory\n" },
  { { "$DIR/adir" }, "luabpf: cannot read $DIR/adir: Is a directory\n" },
  { { "-e", "local x = " .. ("("):rep(300) .. "1" .. (")"):rep(300) }, "luabpf: " .. deep .. "\n" },
  { { "-e", "BEGIN(function() error({}) end)" },
    "Attaching 1 probe...\n\n\nluabpf: the script raised a table value, not an error message\n" },
} do cli("cli", c[1], c[2]) end

return C
