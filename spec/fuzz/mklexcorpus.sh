#!/bin/sh
# Regenerates spec/fuzz/corpus_lex, the seeds of spec/fuzz/fuzz_lex.c: script
# files as they are (no header). Run from the project root:
#   sh spec/fuzz/mklexcorpus.sh
set -e
D=spec/fuzz/corpus_lex
mkdir -p $D
seed() { # name; text on stdin, a printf format: \\ is one backslash
	printf -- "$(cat)" > $D/$1
}

seed bom <<'EOF'
\357\273\277local bpf = require "luabpf"\nbpf.tracepoint("syscalls:sys_enter_write", function(e) m[e.pid] = bpf.count() end)\n
EOF
seed bom_shebang <<'EOF'
\357\273\277#!/usr/bin/env luabpf\nlocal x = 0x10\n
EOF
seed shebang <<'EOF'
#!/usr/bin/env luabpf\nlocal m = bpf.map()\nbpf.tracepoint("x", function(e) m[0x10] = bpf.sum(1e2) end)\n
EOF
seed shebang_cr <<'EOF'
#!/usr/bin/env luabpf\r-- the \\r above does not end Lua's first line\nlocal y = 1\r\n
EOF
seed partial_bom <<'EOF'
\357\273local x = 1\n
EOF
seed comment_bad_bracket <<'EOF'
--[== note: a malformed long bracket is a short comment\nlocal a = 1 --[=x\n--[\nlocal b = [==[\nlong]] ]=] ]==]\n
EOF
seed long_comment <<'EOF'
--[==[ a\n]] ]=] still a comment\n]==] local c = 2\n--[[]] local d = 3\n
EOF
seed long_strings <<'EOF'
local s0, s1, s2 = [[\nx]], [=[a]]b]=], [==[\r\n\n\r\rc]==]\nlocal s3 = [[]] .. [=[\n]=]\n
EOF
seed escapes <<'EOF'
local s = "a\\z  \n   b\\u{48}\\u{7FFFFFFF}\\u{0000041}\\65\\0651\\255\\x41\\xfF\\a\\b\\f\\n\\r\\t\\v\\\\\\"\\'"\nlocal t = 'it\\'s\\\n'\n
EOF
seed bad_escape <<'EOF'
local s = "\\u{80000000}"\n
EOF
seed bad_decimal <<'EOF'
local s = "\\256"\n
EOF
seed numerals <<'EOF'
local a = {0x10, 0XfF, 0xffffffffffffffff, 0x7fffffffffffffff, 0x8000000000000000,\n  0x1p4, 0x.8p1, 0xA.8P-1, 0x1P+2, 1e2, 1E-2, .5, 3., 3.25e+1, 0.1e0,\n  9223372036854775807, 9223372036854775808, 18446744073709551616, 1e308, 1e309,\n  00012, 0x0, 0x1.fffffffffffffp1023, 4.9e-324}\n
EOF
seed numerals_bad <<'EOF'
local a = 3e\n
EOF
seed numeral_touching <<'EOF'
local a = 0x1g\n
EOF
seed handler <<'EOF'
local bpf = require "luabpf"\nlocal m = bpf.map()\nbpf.tracepoint("syscalls:sys_enter_write", function(e)\n  if e.pid == 0x10 then m["\\u{48}i"] = bpf.count() end\n  m[e.pid // 2 .. "x"] = bpf.sum(e.args.count * 1e2 >> 1 ~ 3)\nend)\n
EOF
seed syntax_error <<'EOF'
local a = = 1\nlocal b = 3x\n
EOF
seed stray <<'EOF'
local a = 1\nlocal b = @\n
EOF
seed unfinished <<'EOF'
local a = "abc\nlocal b = [[\n
EOF
seed z_spaces <<'EOF'
local s = "a\\z \t\v\f\r\n\n\r\r\n  b\\z"\nlocal t = "\\\r\nc\\\n\rd"\n
EOF
seed eof_comment <<'EOF'
local a = 1 -- no newline at the end
EOF
seed operators <<'EOF'
local a, b = 7, 3\nlocal t = {a + b, a - b, a * b, a / b, a %% b, a ^ b, a // b, a & b, a | b, a ~ b,\n  a << b, a >> b, a .. b, a == b, a ~= b, a < b, a <= b, a > b, a >= b, a and b, a or b,\n  not a, -a, ~a, #t, t[1], t.x, ...}\n::top:: goto top\n
EOF
seed keywords <<'EOF'
local function f(...) for i = 1, 2 do if i then break elseif nil then return else end end\n  while false do end repeat until true for k, v in pairs({}) do end return true end\n
EOF
