-- What differs between Lua 5.4, 5.3, 5.1 and LuaJIT 2.1 on the Lua side,
-- in one place: the rest of luabpf's Lua code calls these instead of
-- //, <<, &, math.type, math.tointeger, string.pack or table.move.
--
-- Integers from the kernel (map keys and values) are 64-bit. On 5.3 and
-- 5.4 they are Lua integers. On 5.1 and LuaJIT they are numbers while
-- exact (|v| <= 2^53); beyond that an int64_t cdata on LuaJIT and a
-- decimal string on Lua 5.1 (luabpf/lcompat.c makes them). The
-- functions below taking "an integer" take any of these.
local compat = {}

compat.unpack = table.unpack or unpack
function compat.pack(...) return { n = select("#", ...), ... } end
compat.jit = rawget(_G, "jit") ~= nil

-- Lua 5.3 and later: integers and their operators. The chunk is loaded
-- from text so that 5.1 never parses an operator it lacks.
local native = math.type ~= nil and assert(load([[
  local c = ...
  function c.idiv(a, b) return a // b end
  function c.pow2(n) return 1 << n end
  function c.isint(v)
    local t = math.type(v)
    return t == "integer" or t == "float" and v == math.floor(v) and v >= -2^63 and v < 2^63
  end
  function c.toint(v) return math.tointeger(v) end
  function c.ntdiv(a, b)
    local q = a // b
    if q < 0 and q * b ~= a then q = q + 1 end
    return q
  end
  c.maxint = math.maxinteger
  -- (float)x rounded to single precision, as bpftrace computes its bars
  function c.f32(x) return (string.unpack("f", string.pack("f", x))) end
  return true
]]))(compat)

local EXACT = 2 ^ 53

if not native then
  -- Floor division of plain numbers (small ones: periods, bucket indices).
  function compat.idiv(a, b) return math.floor(a / b) end
  function compat.pow2(n) return 2 ^ n end
  function compat.isint(v)
    if type(v) == "number" then return v == math.floor(v) and v >= -2^63 and v < 2^63 end
    return type(v) == "cdata" and tostring(v):match("^%-?%d+U?LL$") ~= nil
  end
  function compat.toint(v) if compat.isint(v) then return v end end
  compat.maxint = compat.jit and loadstring("return 0x7fffffffffffffffLL")()
    or "9223372036854775807"
  function compat.f32(x)
    if x == 0 then return 0 end
    local m, e = math.frexp(x)     -- x = m * 2^e, 0.5 <= |m| < 1
    local s = m * 2 ^ 24           -- 24 significant bits before the point
    local r = math.floor(s)
    local frac = s - r
    if frac > 0.5 or frac == 0.5 and r % 2 == 1 then r = r + 1 end -- to nearest, even
    return r * 2 ^ (e - 24)
  end
end

-- The decimal text of an integer.
function compat.intstr(v)
  if type(v) == "string" then return v end
  return string.format("%d", v)
end

-- "0x..." of an integer, two's complement when negative, as C's %lx.
function compat.hex(v)
  if type(v) ~= "string" then return string.format("0x%x", v) end
  -- Lua 5.1, beyond 2^53: the decimal digits divided by 2^32, exactly
  local neg, digits = v:match("^(%-?)(%d+)$")
  local hi, lo = 0, 0
  local q, r = {}, 0
  for d in digits:gmatch("%d") do
    r = r * 10 + tonumber(d)
    q[#q + 1] = math.floor(r / 4294967296)
    r = r % 4294967296
  end
  lo = r
  for _, d in ipairs(q) do hi = hi * 10 + d end
  if neg == "-" then -- 2^64 - |v|
    lo, hi = (4294967296 - lo) % 4294967296, 4294967295 - hi + (lo == 0 and 1 or 0)
  end
  if hi == 0 then return string.format("0x%x", lo) end
  return string.format("0x%x%08x", hi, lo)
end

-- a < b for integers.
function compat.lt(a, b)
  if type(a) ~= "string" and type(b) ~= "string" then return a < b end
  -- Lua 5.1 beyond 2^53: compare sign, then length, then digits
  local sa, da = compat.intstr(a):match("^(%-?)(%d+)$")
  local sb, db = compat.intstr(b):match("^(%-?)(%d+)$")
  if sa ~= sb then return sa == "-" end
  local less
  if #da ~= #db then less = #da < #db else less = da < db end
  if da == db then return false end
  if sa == "-" then return not less end
  return less
end

-- C's integer division (truncates toward zero) of integer a by a
-- positive integer b.
function compat.tdiv(a, b)
  if b == 1 then return a end
  if native then return compat.ntdiv(a, b) end
  if type(a) == "cdata" then return a / b end -- int64 division truncates
  if type(a) == "string" then -- long division of the digits (b < 2^46)
    local neg, digits = a:match("^(%-?)(%d+)$")
    local out, r = {}, 0
    for d in digits:gmatch("%d") do
      r = r * 10 + tonumber(d)
      out[#out + 1] = math.floor(r / b)
      r = r % b
    end
    local text = table.concat(out):gsub("^0+", "")
    if text == "" then return 0 end
    local n = tonumber(neg .. text)
    if math.abs(n) <= EXACT then return n end
    return neg .. text
  end
  local q = a / b
  q = q < 0 and math.ceil(q) or math.floor(q)
  -- correct a quotient the division rounded onto an integer
  if a >= 0 and q * b > a then q = q - 1 elseif a < 0 and q * b < a then q = q + 1 end
  return q
end

-- xpcall(f, handler, ...): Lua 5.1's passes no arguments to f.
if select(2, xpcall(function(a) return a end, print, true)) then
  compat.xpcall = xpcall
else
  function compat.xpcall(f, handler, ...)
    local args = compat.pack(...)
    return xpcall(function() return f(compat.unpack(args, 1, args.n)) end, handler)
  end
end

-- A text chunk with its own globals table env.
function compat.load(text, name, env)
  if setfenv then -- 5.1, LuaJIT
    local chunk, err = loadstring(text, name)
    if chunk then setfenv(chunk, env) end
    return chunk, err
  end
  return load(text, name, "t", env)
end

-- A name the user gave, in a message: its first 64 bytes, "..." if it
-- goes on (a 100 KB name must not make a 100 KB message).
function compat.clip(s)
  s = tostring(s)
  return #s > 64 and s:sub(1, 64) .. "..." or s
end

-- Reading a whole file / a line: 5.1 needs the "*".
compat.ALL, compat.LINE = "*a", "*l"

return compat
