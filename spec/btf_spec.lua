-- luabpf/runtime/btf.c: kernel types from BTF (kfunc / tp_btf args, pointer
-- chains through structs), the -lv listings next to bpftrace 0.17's; and
-- luabpf/runtime/elf.c: USDT notes and ELF function symbols. Through a small test binding built here
-- (spec/btf/lbtf.c); BTF needs only a readable /sys/kernel/btf/vmlinux.
-- Listings are compared with bpftrace's output when bpftrace is installed
-- (kfunc listings through spec/btf/kfunc_shim.c, as root), else with the
-- copies in spec/btf/bpftrace-<kernel release>/ for that kernel.
local H = require "spec.helper"

local root = H.root
local dir = H.tmpdir()

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

local function build(cmd)
  local ok, out = sh(cmd)
  assert(ok, cmd .. "\n" .. out)
end

local function have(prog)
  return (sh("command -v " .. prog))
end

local function readable(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

build(string.format("cc -shared -fPIC -O1 -g -Wall -Wextra -I/usr/include/lua5.4 -I%s/luabpf "
  .. "-I%s/bpf %s/luabpf/runtime/btf.c %s/luabpf/runtime/btflist.c %s/luabpf/runtime/elf.c "
  .. "%s/luabpf/runtime/strlist.c %s/luabpf/runtime/usdt.c %s/luabpf/runtime/quiet.c "
  .. "%s/spec/btf/lbtf.c -lbpf -lelf -o %s/lbtf.so",
  root, root, root, root, root, root, root, root, root, dir))
package.cpath = dir .. "/?.so;" .. package.cpath
local lbtf = require "lbtf"

local release = (select(2, sh("uname -r")):gsub("%s+$", ""))
local stored = root .. "/spec/btf/bpftrace-" .. release .. "/"
-- bpftrace runs as root only
local has_bpftrace = have("bpftrace") and H.is_root()

-- bpftrace's listing of `what`, or the stored copy (file) for this kernel
local function bpftrace_struct(what, file)
  if has_bpftrace then
    local _, out = sh("bpftrace -lv " .. H.quote(what))
    return out
  end
  return readable(stored .. file) and H.slurp(stored .. file) or nil
end

local shim
local function bpftrace_kfunc(func)
  if has_bpftrace and have("unshare") then
    if not shim then
      shim = dir .. "/kfunc_shim.so"
      build(string.format("cc -shared -fPIC -O1 %s/spec/btf/kfunc_shim.c -ldl -o %s", root, shim))
    end
    local list = dir .. "/functions"
    local f = assert(io.open(list, "w"))
    f:write(func, "\n")
    f:close()
    local _, out = sh(string.format(
      "unshare -m sh -c %s",
      H.quote(string.format("mount --bind %s /sys/kernel/tracing/available_filter_functions " ..
        "2>/dev/null; LD_PRELOAD=%s bpftrace -lv kfunc:%s", list, shim, func))))
    if out:match("^kfunc:") then return out end
  end
  local file = stored .. "kfunc_" .. func .. ".txt"
  return readable(file) and H.slurp(file) or nil
end

local has_btf = readable("/sys/kernel/btf/vmlinux")

describe("BTF", function()
  if not has_btf then
    pending("no readable /sys/kernel/btf/vmlinux")
    return
  end
  local b = assert(lbtf.load())

  local function names(fields)
    local t = {}
    for i, f in ipairs(fields) do t[i] = f.name end
    return t
  end

  -- the struct type id behind pointer field f
  local function pointee(f)
    local t = b:type(f.btf_type)
    assert.equal("ptr", t.kind)
    return t.elem
  end

  it("kfunc args of vfs_unlink: names, types, slots, return type", function()
    local args, ret = assert(b:func_args("vfs_unlink"))
    local n = names(args)
    assert.equal(4, #args)
    -- the first one became struct mnt_idmap * idmap in Linux 6.3
    if n[1] == "idmap" then
      assert.equal("struct mnt_idmap *", b:type(args[1].btf_type).name)
    end
    assert.same({ "dir", "dentry", "delegated_inode" }, { n[2], n[3], n[4] })
    assert.equal("struct inode *", b:type(args[2].btf_type).name)
    assert.equal("struct dentry *", b:type(args[3].btf_type).name)
    assert.equal("struct inode **", b:type(args[4].btf_type).name)
    for i, f in ipairs(args) do
      assert.equal(8 * (i - 1), f.off)
      assert.equal(8, f.size)
      assert.equal(0, f.is_string)
    end
    assert.equal("int", b:type(ret).name)
    assert.same({ kind = "int", size = 4, is_signed = true, is_char = false, elem = 0,
      nelem = 0, name = "int" }, b:type(ret))
  end)

  it("kfunc args: int sizes and signs, char * as a kernel string, void return", function()
    local args, ret = assert(b:func_args("vfs_read"))
    assert.same({ "file", "buf", "count", "pos" }, names(args))
    assert.equal(2, args[2].is_string) -- LB_FSTR_KPTR
    assert.equal("char *", b:type(args[2].btf_type).name)
    assert.equal(8, args[3].size)      -- size_t
    assert.is_false(args[3].is_signed)
    assert.equal("ssize_t", b:type(ret).name)
    assert.is_true(b:type(ret).is_signed)
    local a2 = assert(b:func_args("do_sys_openat2"))
    assert.same({ name = "dfd", off = 0, size = 4, is_signed = true, is_string = 0,
      btf_type = a2[1].btf_type }, a2[1])
    local _, vret = assert(b:func_args("schedule"))
    assert.equal(0, vret)
    local none, err = b:func_args("no_such_function_xyz")
    assert.is_nil(none)
    assert.matches("no_such_function_xyz", err)
  end)

  it("tp_btf args of sched_switch, without the leading void *", function()
    local args = assert(b:tp_args("sched_switch"))
    assert.same({ "preempt", "prev", "next", "prev_state" }, names(args))
    assert.same({ 0, 8, 16, 24 }, { args[1].off, args[2].off, args[3].off, args[4].off })
    assert.equal("bool", b:type(args[1].btf_type).name)
    assert.equal(1, args[1].size)
    assert.equal("struct task_struct *", b:type(args[2].btf_type).name)
    assert.equal("struct task_struct *", b:type(args[3].btf_type).name)
    assert.equal(4, args[4].size)
    assert.is_false(args[4].is_signed)
    -- "category:name" works too
    assert.same(names(args), names(assert(b:tp_args("sched:sched_switch"))))
    local none, err = b:tp_args("no_such_tracepoint_xyz")
    assert.is_nil(none)
    assert.matches("btf_trace_no_such_tracepoint_xyz", err)
  end)

  -- offsets as bpftool reads them from the raw BTF, for comparison
  local types
  local function bpftool_members(struct)
    if types == nil then types = have("bpftool") and {} or false end
    if not types then return nil end
    if next(types) == nil then
      local _, out = sh("bpftool btf dump file /sys/kernel/btf/vmlinux")
      local cur
      for line in out:gmatch("[^\n]+") do
        local id, kind, name = line:match("^%[(%d+)%] (%u+) '([^']*)'")
        if id then
          cur = { kind = kind, name = name, type = tonumber(line:match("type_id=(%d+)")),
            members = {} }
          types[tonumber(id)] = cur
        elseif cur then
          local mname, tid, bits = line:match("^\t'([^']*)' type_id=(%d+) bits_offset=(%d+)")
          if mname then
            cur.members[#cur.members + 1] = { name = mname, type = tonumber(tid),
              bits = tonumber(bits) }
          end
        end
      end
    end
    local function strip(id)
      while types[id] and (types[id].kind == "TYPEDEF" or types[id].kind == "CONST"
        or types[id].kind == "VOLATILE") do id = types[id].type end
      return id
    end
    local sid
    for id, t in pairs(types) do
      if t.kind == "STRUCT" and t.name == struct then sid = id end
    end
    local offs = {}
    local function walk(id, base)
      for _, m in ipairs(types[id].members) do
        if m.name == "(anon)" then
          walk(strip(m.type), base + m.bits // 8)
        elseif offs[m.name] == nil then
          offs[m.name] = base + m.bits // 8
        end
      end
    end
    walk(sid, 0)
    return offs
  end

  it("members through pointer chains and anonymous structs and unions", function()
    local args = assert(b:func_args("vfs_unlink"))
    local dentry = pointee(args[3])
    assert.same({ kind = "struct", name = "struct dentry" },
      { kind = b:type(dentry).kind, name = b:type(dentry).name })
    local parent_off, parent_t = b:member(dentry, "d_parent")
    assert.equal("struct dentry *", b:type(parent_t).name)
    -- d_name sits in an anonymous union (with __d_name)
    local name_off, qstr = b:member(dentry, "d_name")
    assert.equal("struct qstr", b:type(qstr).name)
    local qname_off, qname_t = b:member(qstr, "name")
    assert.equal("unsigned char *", b:type(qname_t).name)
    assert.is_true(b:type(b:type(qname_t).elem).is_char)
    -- len: in an anonymous struct in an anonymous union
    local len_off, len_t = b:member(qstr, "len")
    assert.same({ "int", 4 }, { b:type(len_t).kind, b:type(len_t).size })
    assert.equal(8, qname_off)
    assert.equal(4, len_off)
    local offs = bpftool_members("dentry")
    if offs then
      assert.equal(offs.d_parent, parent_off)
      assert.equal(offs.d_name, name_off)
      local q = bpftool_members("qstr")
      assert.equal(q.name, qname_off)
      assert.equal(q.len, len_off)
    end
    assert.same({ nil, -1 }, { b:member(dentry, "no_such_member") })
    assert.matches("d_parent, __d_name, d_name, d_inode", b:members(dentry), 1, true)
    assert.equal("hash, len, hash_len, name", b:members(qstr))
  end)

  it("task_struct.comm is char[16]; a bitfield member is -2", function()
    local task = pointee(assert(b:tp_args("sched_switch"))[2])
    local off, comm = b:member(task, "comm")
    assert.is_true(off > 0)
    local t = b:type(comm)
    assert.same({ "array", 16, 16, "char[16]" }, { t.kind, t.size, t.nelem, t.name })
    assert.is_true(b:type(t.elem).is_char)
    local offs = bpftool_members("task_struct")
    if offs then assert.equal(offs.comm, off) end
    assert.same({ nil, -2 }, { b:member(task, "sched_reset_on_fork") })
    local pid_off, pid = b:member(task, "pid")
    assert.same({ "int", 4, true }, { b:type(pid).kind, b:type(pid).size, b:type(pid).is_signed })
    if offs then assert.equal(offs.pid, pid_off) end
  end)

  it("kernel functions by glob: sorted, unique", function()
    local v = b:funcs("vfs_*")
    assert.is_true(#v > 10)
    for i = 2, #v do assert.is_true(v[i - 1] < v[i]) end
    for _, f in ipairs(v) do assert.matches("^vfs_", f) end
    assert.same({ "vfs_read" }, b:funcs("vfs_read"))
    assert.same({}, b:funcs("no_such_function_xyz*"))
  end)

  for _, func in ipairs({ "vfs_read", "vfs_unlink" }) do
    it("kfunc:" .. func .. " listing is bpftrace's, byte for byte", function()
      local want = bpftrace_kfunc(func)
      if not want then
        pending("no bpftrace kfunc listing to compare with on " .. release)
        return
      end
      assert.equal(want, assert(b:describe_func(func)))
      assert.equal(want, assert(b:describe_func("vmlinux:" .. func)))
    end)
  end

  it("kfunc listing text", function()
    assert.equal("kfunc:vmlinux:vfs_read\n    struct file * file\n    char * buf\n" ..
      "    size_t count\n    loff_t * pos\n    ssize_t retval\n",
      assert(b:describe_func("vfs_read")))
    assert.matches("^kfunc:vmlinux:schedule\n$", assert(b:describe_func("schedule")))
    assert.is_nil(b:describe_func("no_such_function_xyz"))
  end)

  it("struct listings are bpftrace's, byte for byte", function()
    local whats = { "struct dentry", "struct qstr", "struct task_struct", "struct list_head",
      "struct sk_buff", "struct file", "struct no_such_struct_xyz", "struct dentry*",
      "enum pid_type" }
    local compared = 0
    for _, what in ipairs(whats) do
      local file = what:gsub("[^%w]", "_") .. ".txt"
      local want = bpftrace_struct(what, file)
      if want then
        assert.equal(want, assert(b:describe_struct(what)), what)
        compared = compared + 1
      end
    end
    if compared == 0 then pending("no bpftrace struct listing to compare with on " .. release) end
    local d = assert(b:describe_struct("struct qstr"))
    assert.equal("struct qstr {\n\tunion {\n\t\tstruct {\n\t\t\tu32 hash;\n\t\t\tu32 len;\n" ..
      "\t\t};\n\t\tu64 hash_len;\n\t};\n\tconst unsigned char *name;\n};\n\n", d)
  end)

  it("a closed handle refuses use", function()
    local c = assert(lbtf.load())
    c:close()
    assert.has_error(function() c:func_args("vfs_read") end)
  end)
end)

describe("ELF", function()
  teardown(function() os.execute("rm -rf " .. H.quote(dir)) end)

  local usdt_src = dir .. "/usdt.c"
  local f = assert(io.open(usdt_src, "w"))
  f:write([[
#include <sys/sdt.h>
static volatile int sink;
__attribute__((noinline)) static int helper_static(int x) { sink = x; return x * 3; }
__attribute__((noinline)) int helper_global(int x) { return helper_static(x) + 1; }
int main(int argc, char **argv)
{
	(void)argv;
	DTRACE_PROBE2(prov, name, argc, helper_global(argc));
	DTRACE_PROBE2(prov, name, argc + 1, 2);
	DTRACE_PROBE(prov, none);
	DTRACE_PROBE3(other, three, argc, argc, sink);
	return 0;
}
]])
  f:close()
  local has_sdt = (sh("printf '#include <sys/sdt.h>\\n' | cc -E -x c - >/dev/null"))

  it("USDT notes: provider:name and the argument count, one entry each", function()
    if not has_sdt then
      pending("no <sys/sdt.h> (systemtap-sdt-dev)")
      return
    end
    local exe = dir .. "/usdt"
    build(string.format("cc -O1 -g -o %s %s", exe, usdt_src))
    local probes = assert(lbtf.usdt_probes(exe))
    assert.same({
      { provider = "other", name = "three", nargs = 3 },
      { provider = "prov", name = "name", nargs = 2 },
      { provider = "prov", name = "none", nargs = 0 },
    }, probes)
    if has_bpftrace then
      local _, out = sh("bpftrace -l " .. H.quote("usdt:" .. exe .. ":*"))
      local want = {}
      for _, p in ipairs(probes) do
        want[#want + 1] = "usdt:" .. exe .. ":" .. p.provider .. ":" .. p.name .. "\n"
      end
      assert.equal(out, table.concat(want))
    end
    assert.same({}, assert(lbtf.usdt_probes("/bin/sh")))
    local none, err = lbtf.usdt_probes(dir .. "/no-such-file")
    assert.is_nil(none)
    assert.matches("no%-such%-file", err)
  end)

  -- the listing as bpftrace -l 'uprobe:PATH:*' prints it
  local function uprobe_listing(path, funcs)
    local t = {}
    for i, fn in ipairs(funcs) do t[i] = "uprobe:" .. path .. ":" .. fn .. "\n" end
    return table.concat(t)
  end

  it("function symbols of a PIE, static functions included; not static", function()
    local exe, src = dir .. "/pie", dir .. "/pie.c"
    local p = assert(io.open(src, "w"))
    p:write((H.slurp(usdt_src):gsub("#include <sys/sdt.h>\n", ""):gsub("\tDTRACE_PROBE%d?%b();\n", "")))
    p:close()
    build(string.format("cc -O1 -g -fPIE -pie -o %s %s", exe, src))
    local funcs, is_static = assert(lbtf.elf_functions(exe, "*"))
    assert.is_false(is_static)
    local set = {}
    for _, fn in ipairs(funcs) do set[fn] = true end
    assert.is_true(set.helper_static)
    assert.is_true(set.helper_global)
    assert.is_true(set.main)
    for i = 2, #funcs do assert.is_true(funcs[i - 1] < funcs[i]) end
    assert.same({ "helper_global", "helper_static" }, assert(lbtf.elf_functions(exe, "helper_*")))
    if has_bpftrace then
      local _, out = sh("bpftrace -l " .. H.quote("uprobe:" .. exe .. ":*"))
      assert.equal(out, uprobe_listing(exe, funcs))
    end
  end)

  it("stripped files list .dynsym, like bpftrace", function()
    for _, path in ipairs({ "/bin/bash", "/usr/bin/lua5.4" }) do
      if readable(path) then
        local funcs, is_static = assert(lbtf.elf_functions(path, "*"))
        assert.is_false(is_static)
        assert.is_true(#funcs > 10)
        if has_bpftrace then
          local _, out = sh("bpftrace -l " .. H.quote("uprobe:" .. path .. ":*"))
          assert.equal(out, uprobe_listing(path, funcs))
        end
      end
    end
  end)

  it("a -static build is static; a shared library is not", function()
    local exe = dir .. "/static"
    local src = dir .. "/static.c"
    local s = assert(io.open(src, "w"))
    s:write("static volatile int v;\n__attribute__((noinline)) static void st(void) { v++; }\n" ..
      "int main(void) { st(); return v - 1; }\n")
    s:close()
    local ok = sh(string.format("cc -O1 -static -o %s %s", exe, src))
    if not ok then
      pending("cannot link -static here")
      return
    end
    local funcs, is_static = assert(lbtf.elf_functions(exe, "st"))
    assert.is_true(is_static)
    assert.same({ "st" }, funcs)
    local lib = "/usr/lib/x86_64-linux-gnu/libelf.so.1"
    if readable(lib) then
      local _, lib_static = assert(lbtf.elf_functions(lib, "elf_begin"))
      assert.is_false(lib_static)
    end
    local none, err = lbtf.elf_functions(src, "*")
    assert.is_nil(none)
    assert.matches("not an ELF file", err)
  end)
end)
