-- bpftrace's text format for maps, checked line by line (no kernel).
-- Expected texts are bpftrace 0.17's own output, pasted verbatim from the
-- program in the comment above each (print() output; note the trailing
-- space after "@h: " on hist headers: keep it).
local output = require "luabpf.output"

-- What output needs of a map: its name, kind, entries (and lhist range).
local function fake(name, rows, kind, range)
  return {
    name = function() return name end,
    kind = kind and function() return kind end or nil,
    lhist_range = function() return range[1], range[2], range[3] end,
    entries = function()
      local copy = {}
      for i, r in ipairs(rows) do copy[i] = { r[1], r[2] } end
      return copy
    end,
  }
end

-- n times v, as one argument of hist() or lhist()
local function rep(n, v)
  local t = {}
  for i = 1, n do t[i] = v end
  return t
end

-- The values given, tables (from rep) spliced in.
local function values(...)
  local out = {}
  for _, v in ipairs({ ... }) do
    if type(v) == "table" then table.move(v, 1, #v, #out + 1, out) else out[#out + 1] = v end
  end
  return out
end

-- The kernel's side, as bpftrace 0.17 does it, so the specs read like the
-- bpftrace programs: hist buckets (66 counts) and lhist buckets.
local function hist(...)
  local c = {}
  for i = 1, 66 do c[i] = 0 end
  for _, v in ipairs(values(...)) do
    local b
    if v < 0 then b = 0 elseif v == 0 then b = 1 else
      b = 2
      while v >= 2 do v = v >> 1; b = b + 1 end
    end
    c[b + 1] = c[b + 1] + 1
  end
  return c
end

local function lhist(min, max, step, ...)
  local n = (max - min) // step + 2
  local c = {}
  for i = 1, n do c[i] = 0 end
  for _, v in ipairs(values(...)) do
    local i = v < min and 1 or math.min((v - min) // step + 2, n)
    c[i] = c[i] + 1
  end
  return c
end

-- Counts set directly: { [bucket] = count } with bpftrace's bucket numbers.
local function buckets(n, set)
  local c = {}
  for i = 1, n do c[i] = 0 end
  for b, v in pairs(set) do c[b + 1] = v end
  return c
end

-- An unkeyed hist map @h (luabpf maps always have keys; output copes).
local function h1(counts) return fake("h", { { nil, counts } }, "hist") end

describe("map output", function()
  it("prints @name[key]: value sorted ascending by value", function()
    local m = fake("calls", { { "sshd", 10 }, { "bash", 3 }, { "perl", 20 } })
    assert.are.equal("@calls[bash]: 3\n@calls[sshd]: 10\n@calls[perl]: 20\n",
                     output.format_map(m))
  end)

  it("prints tuple keys comma separated, strings unquoted", function()
    local m = fake("x", { { { 3179, 3180, "perl" }, 2 }, { { 1, 2, "a b" }, 1 } })
    assert.are.equal("@x[1, 2, a b]: 1\n@x[3179, 3180, perl]: 2\n", output.format_map(m))
  end)

  it("prints the anonymous map as @", function()
    assert.are.equal("@[-3]: 1\n", output.format_map(fake("", { { -3, 1 } })))
    assert.are.equal("@[7]: 1\n", output.format_map(fake("_", { { 7, 1 } })))
  end)

  it("keeps the top N (the largest, still ascending) and divides", function()
    local rows = {}
    for i = 1, 20 do rows[i] = { "k" .. i, i * 10 } end
    local text = output.format_map(fake("t", rows), { top = 3, div = 10 })
    assert.are.equal("@t[k18]: 18\n@t[k19]: 19\n@t[k20]: 20\n", text)
  end)

  it("breaks ties by key so the order is stable", function()
    local m = fake("y", { { "b", 1 }, { "c", 1 }, { "a", 1 } })
    assert.are.equal("@y[a]: 1\n@y[b]: 1\n@y[c]: 1\n", output.format_map(m))
    m = fake("y", { { 10, 1 }, { 9, 1 }, { 100, 1 } })
    assert.are.equal("@y[9]: 1\n@y[10]: 1\n@y[100]: 1\n", output.format_map(m))
  end)

  it("prints a map without key as @name: value", function()
    assert.are.equal("@c: 1\n", output.format_map(fake("c", { { nil, 1 } }, "sum")))
  end)

  -- @mn[1]=min(-4); @mn[2]=min(3); @mn[3]=min(-1); @mn[4]=min(10); @mn[5]=min(0);
  -- @mx[1]=max(40); @mx[2] = max(3); @mx[3]=max(100); @mx[4] = max(0);
  -- @s[1] = sum(-5); @s[2] = sum(3); @s[3] = sum(-100); @s[4] = sum(0);
  -- @i[1] = -3; @i[2] = 5; @i[3] = -10; @i[4] = 0;
  -- @c["x"] = count(); @c["y"] = count(); @c["y"] = count();
  -- print(@mn); print(@mn, 2); print(@mn, 0, 3); print(@mx); print(@mx, 0, 7);
  -- print(@s); print(@s, 3, 2); print(@i, 0, 4); print(@c);
  it("sorts min, max, sum and int maps by signed value; div truncates toward zero", function()
    local mn = fake("mn", { { 1, -4 }, { 2, 3 }, { 3, -1 }, { 4, 10 }, { 5, 0 } }, "min")
    local mx = fake("mx", { { 1, 40 }, { 2, 3 }, { 3, 100 }, { 4, 0 } }, "max")
    local s = fake("s", { { 1, -5 }, { 2, 3 }, { 3, -100 }, { 4, 0 } }, "sum")
    local i = fake("i", { { 1, -3 }, { 2, 5 }, { 3, -10 }, { 4, 0 } }, "int")
    local c = fake("c", { { "x", 1 }, { "y", 2 } }, "sum")
    local text = output.format_map(mn) .. output.format_map(mn, { top = 2 }) ..
                 output.format_map(mn, { div = 3 }) .. output.format_map(mx) ..
                 output.format_map(mx, { div = 7 }) .. output.format_map(s) ..
                 output.format_map(s, { top = 3, div = 2 }) ..
                 output.format_map(i, { div = 4 }) .. output.format_map(c)
    assert.are.equal([[
@mn[1]: -4
@mn[3]: -1
@mn[5]: 0
@mn[2]: 3
@mn[4]: 10
@mn[2]: 3
@mn[4]: 10
@mn[1]: -1
@mn[3]: 0
@mn[5]: 0
@mn[2]: 1
@mn[4]: 3
@mx[4]: 0
@mx[2]: 3
@mx[1]: 40
@mx[3]: 100
@mx[4]: 0
@mx[2]: 0
@mx[1]: 5
@mx[3]: 14
@s[3]: -100
@s[1]: -5
@s[4]: 0
@s[2]: 3
@s[1]: -2
@s[4]: 0
@s[2]: 1
@i[3]: -2
@i[1]: 0
@i[4]: 0
@i[2]: 1
@c[x]: 1
@c[y]: 2
]], text)
  end)

  -- @a = avg(-7); @a = avg(-8); @b = avg(7); @b = avg(8); @c = avg(-1); @c = avg(0);
  -- @c = avg(0); @u[1] = avg(100); @u[2] = avg(5); @u[3] = avg(-50);
  -- @u[4]=avg(30); @u[4] = avg(31); @u[5] = avg(-3); @u[5] = avg(-4);
  -- print(@a); print(@b); print(@c); print(@u); print(@u, 2); print(@u, 0, 10);
  it("prints avg maps as integers, a blank line after, top and div apply", function()
    -- the values as the C side gives them: sum / count truncated toward zero
    local a = fake("a", { { nil, -7 } }, "avg")
    local b = fake("b", { { nil, 7 } }, "avg")
    local c = fake("c", { { nil, 0 } }, "avg")
    local u = fake("u", { { 1, 100 }, { 2, 5 }, { 3, -50 }, { 4, 30 }, { 5, -3 } }, "avg")
    local text = output.format_map(a) .. output.format_map(b) .. output.format_map(c) ..
                 output.format_map(u) .. output.format_map(u, { top = 2 }) ..
                 output.format_map(u, { div = 10 })
    assert.are.equal([[
@a: -7

@b: 7

@c: 0

@u[3]: -50
@u[5]: -3
@u[2]: 5
@u[4]: 30
@u[1]: 100

@u[4]: 30
@u[1]: 100

@u[3]: -5
@u[5]: 0
@u[2]: 0
@u[4]: 3
@u[1]: 10

]], text)
    assert.are.equal(-7, output.cdiv(-15, 2))
    assert.are.equal(0, output.cdiv(-1, 3))
    assert.are.equal(7, output.cdiv(15, 2))
  end)

  -- @t[1] = stats(100); @t[2] = stats(5); @t[3] = stats(-50); @t[4]=stats(30);
  -- @t[4] = stats(31); @s = stats(-7); @s = stats(-8);
  -- print(@s); print(@t); print(@t, 2, 10);
  it("prints stats as count, average (truncated), total; ignores top and div", function()
    local s = fake("s", { { nil, { count = 2, sum = -15 } } }, "stats")
    local t = fake("t", { { 1, { count = 1, sum = 100 } }, { 2, { count = 1, sum = 5 } },
                          { 3, { count = 1, sum = -50 } }, { 4, { count = 2, sum = 61 } } },
                   "stats")
    local text = output.format_map(s) .. output.format_map(t) ..
                 output.format_map(t, { top = 2, div = 10 })
    assert.are.equal([[
@s: count 2, average -7, total -15

@t[3]: count 1, average -50, total -50
@t[2]: count 1, average 5, total 5
@t[4]: count 2, average 30, total 61
@t[1]: count 1, average 100, total 100

@t[3]: count 1, average -50, total -50
@t[2]: count 1, average 5, total 5
@t[4]: count 2, average 30, total 61
@t[1]: count 1, average 100, total 100

]], text)
  end)

  -- if (nsecs == 0) { @e = hist(3); @f = 1; @g = stats(3); @i = lhist(1,0,10,1);
  --   @m[1] = 1; @n = avg(1); }   (never true: all maps stay empty)
  -- print(@e); printf("|\n"); print(@f); printf("|\n"); print(@g); printf("|\n");
  -- print(@i); printf("|\n"); print(@m); printf("|\n"); print(@n);
  it("prints an empty map as a blank line (two for avg and stats)", function()
    local text = table.concat({
      output.format_map(fake("e", {}, "hist")), output.format_map(fake("f", {}, "int")),
      output.format_map(fake("g", {}, "stats")),
      output.format_map(fake("i", {}, "lhist", { 0, 10, 1 })),
      output.format_map(fake("m", {}, "int")), output.format_map(fake("n", {}, "avg")),
    }, "|\n")
    assert.are.equal([[

|

|


|

|

|


]], text)
  end)

  -- @h[1] = hist(5); @h[2] = hist(7); @l = lhist(3, 0, 10, 1); @s = stats(4);
  -- @a[1] = avg(3); @c[1] = count(); zero(@h); zero(@l); zero(@s); zero(@a); zero(@c);
  -- print(@h); print(@l); print(@s); print(@a); print(@c);
  it("prints zeroed maps: hists keep their header, no lines", function()
    local text = output.format_map(fake("h", { { 1, hist() }, { 2, hist() } }, "hist")) ..
      output.format_map(fake("l", { { nil, lhist(0, 10, 1) } }, "lhist", { 0, 10, 1 })) ..
      output.format_map(fake("s", { { nil, { count = 0, sum = 0 } } }, "stats")) ..
      output.format_map(fake("a", { { 1, 0 } }, "avg")) ..
      output.format_map(fake("c", { { 1, 0 } }, "sum"))
    assert.are.equal([[
@h[1]: 

@h[2]: 

@l: 

@s: count 0, average 0, total 0

@a[1]: 0

@c[1]: 0
]], text)
  end)

  -- @u[ustack(2)] = count(); @x[comm, ustack(2)] = count(); @h[ustack(2)] = hist(5);
  -- print(ustack(2)); print(@u); print(@x); print(@h);
  it("prints stack keys with frames indented by 4, not 8 like print(ustack)", function()
    local stack = "\n        syscall+25\n        0x7ffd186d9888\n"
    local text = stack .. "\n" ..
      output.format_map(fake("u", { { stack, 1 } }, "sum")) ..
      output.format_map(fake("x", { { { "bpftrace", stack }, 1 } }, "sum")) ..
      output.format_map(fake("h", { { stack, hist(5) } }, "hist"))
    assert.are.equal([[

        syscall+25
        0x7ffd186d9888

@u[
    syscall+25
    0x7ffd186d9888
]: 1
@x[bpftrace, 
    syscall+25
    0x7ffd186d9888
]: 1
@h[
    syscall+25
    0x7ffd186d9888
]: 
[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]], text)
    -- already in key layout: unchanged; other strings too
    assert.are.equal("\n    a+1\n", output.key_text("\n    a+1\n"))
    assert.are.equal("a\n        b\n", output.key_text("a\n        b\n"))
  end)
end)

describe("hist output", function()
  -- @h = hist(0); @h = hist(1); @h = hist(5); @h = hist(1500); @h = hist(-3); print(@h);
  it("prints buckets from the first to the last non-empty one", function()
    assert.are.equal("@h: \n", output.format_map(h1(hist(0))):match("^[^\n]*\n"))
    assert.are.equal([[
@h: 
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[2, 4)                 0 |                                                    |
[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              0 |                                                    |
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              0 |                                                    |
[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]], output.format_map(h1(hist(0, 1, 5, 1500, -3))))
  end)

  -- @h = hist(5); @h = hist(6); print(@h);
  it("prints a single bucket", function()
    assert.are.equal([[
@h: 
[4, 8)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]], output.format_map(h1(hist(5, 6))))
  end)

  -- @h = hist(-1); @h = hist(-5); @h = hist(-1000); print(@h);
  it("prints negative values in (..., 0)", function()
    assert.are.equal([[
@h: 
(..., 0)               3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]], output.format_map(h1(hist(-1, -5, -1000))))
  end)

  -- @h = hist(0); @h = hist(100); @h = hist(100); @h = hist(127); @h = hist(100000); print(@h);
  it("keeps empty buckets between non-empty ones", function()
    assert.are.equal([[
@h: 
[0]                    1 |@@@@@@@@@@@@@@@@@                                   |
[1]                    0 |                                                    |
[2, 4)                 0 |                                                    |
[4, 8)                 0 |                                                    |
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              0 |                                                    |
[1K, 2K)               0 |                                                    |
[2K, 4K)               0 |                                                    |
[4K, 8K)               0 |                                                    |
[8K, 16K)              0 |                                                    |
[16K, 32K)             0 |                                                    |
[32K, 64K)             0 |                                                    |
[64K, 128K)            1 |@@@@@@@@@@@@@@@@@                                   |

]], output.format_map(h1(hist(0, 100, 100, 127, 100000))))
  end)

  -- @h = hist(1048576); @h = hist(1073741829); @h = hist(1073741824); print(@h);
  it("labels with M and G", function()
    assert.are.equal([[
@h: 
[1M, 2M)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[2M, 4M)               0 |                                                    |
[4M, 8M)               0 |                                                    |
[8M, 16M)              0 |                                                    |
[16M, 32M)             0 |                                                    |
[32M, 64M)             0 |                                                    |
[64M, 128M)            0 |                                                    |
[128M, 256M)           0 |                                                    |
[256M, 512M)           0 |                                                    |
[512M, 1G)             0 |                                                    |
[1G, 2G)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]],
                     output.format_map(h1(hist(1048576, 1073741829, 1073741824))))
  end)

  -- bpftrace 0.17's BPF side puts every value >= 2^32 in [2G, 4G), so these
  -- buckets were set from outside on a running bpftrace (2 CPUs, so each
  -- count is doubled):
  --   bpftrace -e 'BEGIN { @h = hist(5); } interval:s:3 { exit(); }' &
  --   bpftool map update id $ID key hex 2a 00 00 00 00 00 00 00 value hex 03 00 ...
  --   (bucket 42 = 3, bucket 64 = 1, bucket 34 = 1)
  it("labels with T beyond 2^40, up to [4194304T, 8388608T)", function()
    local c = buckets(66, { [4] = 1, [34] = 2, [42] = 6, [64] = 2 })
    assert.are.equal([[
@h: 
[4, 8)                 1 |@@@@@@@@                                            |
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              0 |                                                    |
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              0 |                                                    |
[1K, 2K)               0 |                                                    |
[2K, 4K)               0 |                                                    |
[4K, 8K)               0 |                                                    |
[8K, 16K)              0 |                                                    |
[16K, 32K)             0 |                                                    |
[32K, 64K)             0 |                                                    |
[64K, 128K)            0 |                                                    |
[128K, 256K)           0 |                                                    |
[256K, 512K)           0 |                                                    |
[512K, 1M)             0 |                                                    |
[1M, 2M)               0 |                                                    |
[2M, 4M)               0 |                                                    |
[4M, 8M)               0 |                                                    |
[8M, 16M)              0 |                                                    |
[16M, 32M)             0 |                                                    |
[32M, 64M)             0 |                                                    |
[64M, 128M)            0 |                                                    |
[128M, 256M)           0 |                                                    |
[256M, 512M)           0 |                                                    |
[512M, 1G)             0 |                                                    |
[1G, 2G)               0 |                                                    |
[2G, 4G)               0 |                                                    |
[4G, 8G)               2 |@@@@@@@@@@@@@@@@@                                   |
[8G, 16G)              0 |                                                    |
[16G, 32G)             0 |                                                    |
[32G, 64G)             0 |                                                    |
[64G, 128G)            0 |                                                    |
[128G, 256G)           0 |                                                    |
[256G, 512G)           0 |                                                    |
[512G, 1T)             0 |                                                    |
[1T, 2T)               6 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[2T, 4T)               0 |                                                    |
[4T, 8T)               0 |                                                    |
[8T, 16T)              0 |                                                    |
[16T, 32T)             0 |                                                    |
[32T, 64T)             0 |                                                    |
[64T, 128T)            0 |                                                    |
[128T, 256T)           0 |                                                    |
[256T, 512T)           0 |                                                    |
[512T, 1024T)          0 |                                                    |
[1024T, 2048T)         0 |                                                    |
[2048T, 4096T)         0 |                                                    |
[4096T, 8192T)         0 |                                                    |
[8192T, 16384T)        0 |                                                    |
[16384T, 32768T)       0 |                                                    |
[32768T, 65536T)       0 |                                                    |
[65536T, 131072T)       0 |                                                    |
[131072T, 262144T)       0 |                                                    |
[262144T, 524288T)       0 |                                                    |
[524288T, 1048576T)       0 |                                                    |
[1048576T, 2097152T)       0 |                                                    |
[2097152T, 4194304T)       0 |                                                    |
[4194304T, 8388608T)       2 |@@@@@@@@@@@@@@@@@                                   |

]], output.format_map(h1(c)))
    assert.are.equal("[8388608T, 16777216T)", output.hist_label(66))
  end)

  -- Set from outside as above: bucket 1 = 1 (hist(0) in BEGIN), bucket 2 =
  -- 1000000 and bucket 9 = 61728394 per CPU.
  it("pushes the bar right when a count is wider than 8 digits", function()
    local c = buckets(66, { [1] = 1, [2] = 2000000, [9] = 123456788 })
    assert.are.equal([[
@h: 
[0]                    1 |                                                    |
[1]              2000000 |                                                    |
[2, 4)                 0 |                                                    |
[4, 8)                 0 |                                                    |
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              0 |                                                    |
[128, 256)      123456788 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]], output.format_map(h1(c)))
  end)

  -- unroll(15) { @h = hist(0); @g = hist(0);} unroll(52) { @h = hist(1); }
  -- unroll(26) { @g = hist(1); } print(@h); print(@g);
  it("scales bars in single precision like bpftrace (15/52 -> 15, 15/26 -> 30)", function()
    local h = fake("h", { { nil, hist(rep(15, 0), rep(52, 1)) } }, "hist")
    local g = fake("g", { { nil, hist(rep(15, 0), rep(26, 1)) } }, "hist")
    assert.are.equal([[
@h: 
[0]                   15 |@@@@@@@@@@@@@@@                                     |
[1]                   52 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@g: 
[0]                   15 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                      |
[1]                   26 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]], output.format_map(h) .. output.format_map(g))
  end)

  local HK = {
    { "bash", hist(5, 6, 100) }, { "sshd", hist(1) }, { "zsh", hist(-1, 2, 3, 2048) },
    { "a", hist(rep(8, 0)) },
  }
  -- @h["bash"] = hist(5); @h["bash"] = hist(6); @h["bash"] = hist(100);
  -- @h["sshd"] = hist(1); @h["zsh"] = hist(-1);  @h["zsh"] = hist(2);
  -- @h["zsh"] = hist(3); @h["zsh"] = hist(2048); unroll(8) { @h["a"] = hist(0); }
  -- print(@h);
  it("sorts keys by total count, a blank line after each", function()
    assert.are.equal([[
@h[sshd]: 
[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@h[bash]: 
[4, 8)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |

@h[zsh]: 
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[0]                    0 |                                                    |
[1]                    0 |                                                    |
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 0 |                                                    |
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              0 |                                                    |
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              0 |                                                    |
[1K, 2K)               0 |                                                    |
[2K, 4K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |

@h[a]: 
[0]                    8 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]], output.format_map(fake("h", HK, "hist")))
  end)

  -- same map, print(@h, 2, 3);
  it("keeps the top N and divides counts, not bars", function()
    assert.are.equal([[
@h[zsh]: 
(..., 0)               0 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[0]                    0 |                                                    |
[1]                    0 |                                                    |
[2, 4)                 0 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 0 |                                                    |
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              0 |                                                    |
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              0 |                                                    |
[1K, 2K)               0 |                                                    |
[2K, 4K)               0 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |

@h[a]: 
[0]                    2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]],
                     output.format_map(fake("h", HK, "hist"), { top = 2, div = 3 }))
  end)

  it("gives the body alone, and the buckets as data", function()
    assert.are.equal("", output.hist_text(hist()))
    assert.are.equal(
      "[4, 8)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n",
      output.hist_text(hist(5, 6)))
    assert.are.same({ { max = -1, count = 1 }, { min = 0, max = 0, count = 0 },
                      { min = 1, max = 1, count = 0 }, { min = 2, max = 3, count = 2 } },
                    output.value_data("hist", hist(-4, 2, 3)))
    assert.are.same({}, output.value_data("hist", hist()))
    local top = output.value_data("hist", buckets(66, { [64] = 1, [65] = 1 }))
    assert.are.same({ min = 1 << 62, max = math.maxinteger, count = 1 }, top[1])
    assert.are.equal(2.0 ^ 63, top[2].min)
    assert.are.same({ count = 2, sum = -15, average = -7 },
                    output.value_data("stats", { count = 2, sum = -15 }))
    assert.are.equal(5, output.value_data("sum", 5))
  end)
end)

describe("lhist output", function()
  -- @a = lhist(0, 1024, 5120, 1024); @a = lhist(2000, 1024, 5120, 1024);
  -- @a = lhist(6000, 1024, 5120, 1024); @b = lhist(100, 0, 100, 30);
  -- @b = lhist(95, 0, 100, 30); @b = lhist(31, 0, 100, 30);
  -- @c = lhist(3000000, 0, 4194304, 1048576); @c = lhist(3, 0, 4194304, 1048576);
  -- @d = lhist(15, 10, 20, 1) x3; @d = lhist(17, 10, 20, 1);
  -- @e = lhist(1500, 1000, 3000, 500); @e = lhist(-7, 1000, 3000, 500);
  -- print(@a); print(@b); print(@c); print(@d); print(@e);
  it("labels below-min and above-max buckets, K and M bounds, trims ends", function()
    local function one(name, min, max, step, ...)
      return output.format_map(fake(name, { { nil, lhist(min, max, step, ...) } }, "lhist",
                                    { min, max, step }))
    end
    local text = one("a", 1024, 5120, 1024, 0, 2000, 6000) ..
                 one("b", 0, 100, 30, 100, 95, 31) ..
                 one("c", 0, 4194304, 1048576, 3000000, 3) ..
                 one("d", 10, 20, 1, 15, 15, 15, 17) ..
                 one("e", 1000, 3000, 500, 1500, -7)
    assert.are.equal([[
@a: 
(..., 1K)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[2K, 3K)               0 |                                                    |
[3K, 4K)               0 |                                                    |
[4K, 5K)               0 |                                                    |
[5K, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@b: 
[30, 60)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[60, 90)               0 |                                                    |
[100, ...)             2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@c: 
[0, 1M)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[1M, 2M)               0 |                                                    |
[2M, 3M)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@d: 
[15, 16)               3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[16, 17)               0 |                                                    |
[17, 18)               1 |@@@@@@@@@@@@@@@@@                                   |

@e: 
(..., 1000)            1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[1000, 1500)           0 |                                                    |
[1500, 2000)           1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]], text)
  end)

  -- unroll(7) { @l["x", 1] = lhist(5, 0, 10, 2); } @l["y", 2] = lhist(12, 0, 10, 2);
  -- @l["y", 2] = lhist(-1, 0, 10, 2); print(@l); print(@l, 1, 3);
  it("sorts keys by total count; top applies, div does not", function()
    local l = fake("l", { { { "x", 1 }, lhist(0, 10, 2, rep(7, 5)) },
                          { { "y", 2 }, lhist(0, 10, 2, 12, -1) } }, "lhist", { 0, 10, 2 })
    assert.are.equal([[
@l[y, 2]: 
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[0, 2)                 0 |                                                    |
[2, 4)                 0 |                                                    |
[4, 6)                 0 |                                                    |
[6, 8)                 0 |                                                    |
[8, 10)                0 |                                                    |
[10, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@l[x, 1]: 
[4, 6)                 7 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@l[x, 1]: 
[4, 6)                 7 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

]],
                     output.format_map(l) .. output.format_map(l, { top = 1, div = 3 }))
  end)

  it("gives the body alone, and the buckets as data", function()
    assert.are.equal("", output.lhist_text(lhist(0, 10, 2), 0, 10, 2))
    assert.are.equal(
      "[4, 6)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n",
      output.lhist_text(lhist(0, 10, 2, 5), 0, 10, 2))
    assert.are.same({ { max = 9, count = 1 }, { min = 10, max = 14, count = 0 },
                      { min = 15, max = 19, count = 1 }, { min = 20, max = 24, count = 0 },
                      { min = 25, count = 1 } },
                    output.value_data("lhist", lhist(10, 25, 5, 1, 17, 30), { 10, 25, 5 }))
  end)
end)
