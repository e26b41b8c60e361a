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

-- A kernel handler whose body is on line 3 of the one-liner; the error
-- is at the first `needle` in the body (its `nth` occurrence).
local function handler(cat, body, needle, msg, hint, nth)
  local code = "local m, n = map(), map()\n" ..
    'tracepoint("syscalls:sys_enter_write", function(e)\n  ' .. body .. "\nend)"
  local col = 0
  for _ = 1, nth or 1 do col = assert(body:find(needle, col + 1, true), needle) end
  lib(cat, code, string.format("-e:3:%d: %s\n  %s\n%s^%s", col + 2, msg, body,
    string.rep(" ", col + 1), hint and "\nhint: " .. hint or ""))
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

return C
