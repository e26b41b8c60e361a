rockspec_format = "3.0"
package = "luabpf"
version = "scm-1"
source = { url = "git+file:///work/main" }
description = {
  summary = "bpftrace-style eBPF tracing scripts in Lua",
  detailed = [[
Kernel-side handlers are ordinary Lua functions compiled into prebuilt BPF
templates (no compiler at run time); maps, aggregations and bpftrace's
text output come with it. Needs Linux with BTF and root (or CAP_BPF and
CAP_PERFMON) to trace.]],
  license = "MIT",
}
dependencies = { "lua >= 5.1, < 5.5" }
external_dependencies = {
  LIBBPF = { header = "bpf/libbpf.h", library = "bpf" },
  LIBELF = { header = "libelf.h", library = "elf" },
}
build = {
  type = "make",
  build_target = "module",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LDFLAGS = "-L$(LIBBPF_LIBDIR) -L$(LIBELF_LIBDIR)",
  },
  install_variables = {
    LUADIR = "$(LUADIR)",
    LIBDIR = "$(LIBDIR)",
    BINDIR = "$(BINDIR)",
  },
}
