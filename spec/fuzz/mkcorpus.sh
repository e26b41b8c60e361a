#!/bin/sh
# Regenerates spec/fuzz/corpus: the 6-byte header (see fuzz_compile.c),
# then the Lua text. Run from the project root: sh spec/fuzz/mkcorpus.sh
# Header bytes (octal) used below:
#   b0 \005 nparams 1, fields, "@fuzz.lua", sysmode 0   (\015: + preset maps)
#   b1 upvalues bpf=1 m=2 n=4 k=10 s=20 count=40 t=100 _ENV=200 (octal)
#   b2 big=1 neg=2 f=4 z=10 hist=20 bad=40 o=100 ts=200
#   b3 max_strlen index (low 4 bits), nmaps index << 4, order bit 200
#   b4 b5 linedefined / lastlinedefined, 0 = auto
set -e
D=spec/fuzz/corpus
mkdir -p $D
seed() { # name header-octal; text on stdin
	{ printf "$2"; cat; } > $D/$1
}

seed count_pid '\005\003\000\000\000\000' <<'EOF'
bpf.tracepoint("syscalls:sys_enter_write", function(e) m[e.pid] = bpf.count() end)
EOF
seed syscount '\005\003\000\000\000\000' <<'EOF'
local bpf = require "luabpf"

local m = bpf.map()

bpf.tracepoint("syscalls:sys_enter_*", function(e)
  m[e.comm] = bpf.count()
end)
EOF
seed opens '\005\003\000\000\000\000' <<'EOF'
local function count_open(e)                 -- one handler, attached twice
  m[bpf.str(e.args.filename)] = bpf.count()
end
EOF
seed write_hist_2nd '\005\007\000\000\013\000' <<'EOF'
-- Lab 1.5b: the write() times of one thread as a power-of-two histogram.
local bpf = require "luabpf"

local k = tonumber(arg[1]) or error("usage: write_hist.lua TID")
local m, n = bpf.map(), bpf.map()

bpf.tracepoint("syscalls:sys_enter_write", function(e)
  if e.tid == k then m[e.tid] = e.nsecs end
end)

bpf.tracepoint("syscalls:sys_exit_write", function(e)
  if m[e.tid] then
    n[e.probe] = bpf.hist(e.nsecs - m[e.tid])
    m[e.tid] = nil
  end
end)
EOF
seed fdbytes '\005\023\000\000\000\000' <<'EOF'
bpf.tracepoint("syscalls:sys_enter_write", function(e)
  if e.comm == s then
    m[e.args.fd] = bpf.sum(e.args.count)
  end
end)
EOF
seed printf_mix '\005\001\000\000\000\000' <<'EOF'
local f = function(e) bpf.printf("%s %d %s %s %s %s %s %s\n", e.comm, e.pid, "fd", e.probe, bpf.ksym(e.args.fd), bpf.usym(e.args.count), e.kstack, bpf.ustack(4)) end
EOF
seed printf_strs '\005\021\000\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e)
  bpf.printf("%s %-6d %s %s %x\n", e.comm, e.pid, "fd", s, e.args.fd)
  bpf.printf("%s %s %x\n", e.comm, e.args.filename, e.args.filename)
  bpf.printf("%s %s\n", e.args.name, bpf.str(e.args.buf, 16))
end)
EOF
seed aggs '\005\007\100\000\000\000' <<'EOF'
local fn = function(e) m[e.comm] = bpf.min(e.pid); n[e.kstack] = bpf.hist(e.pid); o[{e.ustack, e.tid}] = bpf.lhist(e.pid, 10, 100, 20) end
EOF
seed stack_modes '\005\007\100\000\000\000' <<'EOF'
local fn = function(e) m[bpf.ustack("perf", 3)] = bpf.count(); n[{e.comm, bpf.kstack("raw")}] = bpf.count(); o[bpf.kstack("bpftrace", 2)] = bpf.count(); bpf.printf("%s %s\n", bpf.kstack("perf", 2), bpf.ustack("raw")) end
EOF
seed aggs2 '\005\007\101\000\000\000' <<'EOF'
local fn = function(e) m[e.comm] = bpf.max(e.pid); n[1] = bpf.avg(e.pid); o[2] = bpf.stats(big) end
EOF
seed tuple_keys '\005\007\000\000\000\000' <<'EOF'
f = function(e)
  m[{"w", e.args.fd, e.comm}] = bpf.count()
  n[{e.probe, e.comm, bpf.str(e.args.filename)}] = bpf.count()
end
EOF
seed print_exit '\005\003\000\000\000\000' <<'EOF'
local f = function(e) bpf.print(e.pid); bpf.print(e.comm); bpf.print(e.tid); bpf.print(m); bpf.exit() end
EOF
seed control '\005\037\000\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e)
  local x, y = e.args.fd, e.args.count
  if x > 2 and (y < 100 or not (x == k)) then
    m[x] = (m[x] or 0) + y // 3 % 7
  elseif e.args.ret ~= -1 then
    m[x] = m[x] - e.args.ret << 2 | 0xff & ~y ~ 5
  else
    m[x] = nil
  end
  n[e.comm] = e.args.filename
  if n[e.comm] == "bash" then bpf.printf("%s\n", n[e.comm]) end
end)
EOF
seed strings_fields '\005\007\000\005\000\000' <<'EOF'
local g = function(e) if e.args.comm == "bash" and e.args.name ~= e.comm then m[{e.args.name, bpf.str(e.args.buf)}] = bpf.count() end; n[e.tid] = e.args.comm; bpf.printf("%s %s %s\n", e.args.path, e.args.msg, bpf.str(e.args.filename, 16)) end
EOF
seed globals '\005\200\000\000\000\000' <<'EOF'
function handler(e) if DEBUG then print(e.pid) end; G[e.pid] = NAME; bpf.printf("%d %s\n", LIMIT, G[e.pid]) end
EOF
seed preset_mismatch '\015\007\000\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e) m[e.comm] = bpf.hist(e.pid); n[e.pid] = bpf.count() end)
EOF
seed deep_nesting '\005\003\000\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e) m[((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((e.pid))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))] = bpf.count() end)
EOF
{ printf '\005\003\000\000\000\000'; printf 'bpf.tracepoint("x", function(e)\n'
  for i in $(seq 1 60); do printf 'if e.pid == %d then ' $i; done
  printf 'm[e.pid] = bpf.count() '
  for i in $(seq 1 60); do printf 'end '; done
  printf '\nend)\n'; } > $D/deep_ifs
seed huge_numbers '\005\003\003\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e) m[9223372036854775807 + 1] = 0x7fffffffffffffffff + big - neg * -9223372036854775808 // 0 % 0 + 1e308 * 1e308 + 0x1p-1074 + 99999999999999999999999 end)
EOF
{ printf '\005\003\000\000\000\000'; printf 'bpf.tracepoint("x", function(e) m["a\000b\377\376\300\200"] = bpf.count(); bpf.printf("\\0\\xff\\u{10FFFF}\\u{7FFFFFFF}\\z   %%d\\n", e.pid) end)\n--[[ \377\376\000garbage\000 ]]\n'; } > $D/nul_nonutf8
{ printf '\005\021\200\000\000\000'; printf 'bpf.tracepoint("x", function(e) bpf.printf("%%s %%s\\n", ts, "'
  for i in $(seq 1 40); do printf 'abcdefghij'; done
  printf '") m[ts] = bpf.count() end)\n'; } > $D/long_strings
seed printf_bad '\005\001\000\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e) bpf.printf("%n %d %s %*d %1$d %5000d %"); bpf.printf("%d %d %d\n", e.pid); bpf.printf("%s\n", e.pid, e.tid) end)
EOF
{ printf '\005\003\000\000\000\000'; printf 'bpf.tracepoint("x", function(e)\n'
  for i in $(seq 1 450); do printf 'm[%d]=0\n' $i; done
  printf 'end)\n'; } > $D/many_keys
{ printf '\005\003\000\000\000\000'; printf 'bpf.tracepoint("x", function(e) m[{'
  for i in $(seq 1 500); do printf 'e.pid,'; done
  printf 'e.tid}] = bpf.count() end)\n'; } > $D/wide_tuple
seed long_maxstr '\005\007\000\014\000\000' <<'EOF'
bpf.tracepoint("x", function(e) m[bpf.str(e.args.filename)] = bpf.count(); n[e.pid] = bpf.str(e.args.buf); if n[e.pid] == bpf.str(e.args.name) then bpf.printf("%s %s\n", n[e.pid], e.args.big) end end)
EOF
seed locals_loops '\005\003\000\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e)
  local a <const> = 3
  local b <close> = nil
  for i = 1, 10 do m[i] = i end
  while true do break end
  repeat local q = 1 until q
  goto done
  ::done::
  local function inner() return 1 end
  return m[a]
end)
EOF
seed builtins_time_net '\005\003\000\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e)
  bpf.time("%H:%M:%S ")
  bpf.printf("%s %s %s %d\n", bpf.strftime("%H:%M:%S.%f", e.nsecs), bpf.ntop(e.args.addr4), bpf.ntop(e.args.mode, e.args.addr6), e.elapsed)
  m[{bpf.ntop(e.fd), e.args.words}] = bpf.count()
  n[e.pid] = e.args.addr6
  bpf.join(e.args.buf, ",")
end)
EOF
seed ptr_later '\005\003\000\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e) m[e.tid] = e.args.filename end)
bpf.tracepoint("y", function(e) if m[e.tid] then bpf.printf("%s\n", bpf.str(m[e.tid])) end end)
EOF
seed two_on_a_line '\005\003\000\000\000\000' <<'EOF'
local f, g = function(e) m[e.pid] = bpf.count() end, function(e) m[e.comm] = bpf.count() end
EOF
seed sysmode_raw '\105\003\000\000\000\000' <<'EOF'
bpf.tracepoint("syscalls:sys_enter_*", function(e) m[{e.probe, e.comm}] = bpf.count() end)
EOF
seed far_field '\005\003\000\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e) m[e.args.far] = bpf.sum(e.args.odd + e.args.nope) end)
EOF
seed lhist_edges '\005\003\000\000\000\000' <<'EOF'
bpf.tracepoint("x", function(e) m[1] = bpf.lhist(e.pid, -9223372036854775808, 9223372036854775807, 1); m[2] = bpf.lhist(e.pid, 0, 1000000, 1); m[3] = bpf.lhist(e.pid, 10, 0, 0) end)
EOF
# Lua's lexical rules (spec/lexer_spec.lua): a BOM and a #! line before
# the chunk, a malformed long bracket in a comment, escapes, long strings,
# numerals in every form
seed lexer_forms '\005\007\000\000\000\000\357\273\277' <<'EOF'
#!/usr/bin/env luabpf
--[== note
bpf.tracepoint("x", function(e)
  m[0x10] = bpf.sum(1e2); m[0XfF] = bpf.sum(0xffffffffffffffff + 0x8000000000000000)
  m[0x1p4] = bpf.sum(0xA.8P1 + .5e1 + 3. + 2.5E+1 + 00012)
  m[9223372036854775807] = bpf.sum(-0x7fffffffffffffff)
  n["a\z
     b\u{48}\x49\74\0651"] = bpf.count(); n[ [==[
]]z]=]]==] ] = bpf.count()
end)
EOF
ls $D | wc -l
