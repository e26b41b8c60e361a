-- The development version: `luarocks --lua-version 5.4 make rocks/luabpf-scm-1.rockspec`
-- in a checkout builds and installs the work tree as it is, and does not
-- fetch the source below. The project has no public repository yet:
-- `luarocks build` of this file clones the one at the url, a clone kept
-- in /usr/src/luabpf (edit the url for another). Releases: see
-- luabpf-VERSION-1.rockspec and `make dist`.
rockspec_format = "3.0"
package = "luabpf"
version = "scm-1"
source = { url = "git+file:///usr/src/luabpf" }
description = {
  summary = "bpftrace-style eBPF tracing scripts in Lua",
  detailed = [[
Kernel-side handlers are ordinary Lua functions compiled into prebuilt BPF
templates (no compiler at run time); maps, aggregations and bpftrace's
text output come with it. Needs Linux with BTF and root (or CAP_BPF and
CAP_PERFMON) to trace. Building needs clang (for the BPF templates),
libbpf, libelf, libdw and zlib: on Debian, apt-get install clang
libbpf-dev libelf-dev libdw-dev zlib1g-dev.]],
  license = "MIT",
}
dependencies = { "lua >= 5.1, < 5.5" }
-- clang is a build tool, which rockspecs cannot declare: the Makefile
-- checks for it first and says which package to install.
external_dependencies = {
  LIBBPF = { header = "bpf/libbpf.h", library = "bpf" },
  LIBELF = { header = "libelf.h", library = "elf" },
  ZLIB = { header = "zlib.h", library = "z" },
  LIBDW = { header = "elfutils/libdwfl.h", library = "dw" },
}
build = {
  type = "make",
  build_target = "module",
  build_variables = {
    CFLAGS = "$(CFLAGS) -I$(LIBBPF_INCDIR) -I$(LIBELF_INCDIR) -I$(ZLIB_INCDIR) -I$(LIBDW_INCDIR)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LDFLAGS = "-L$(LIBBPF_LIBDIR) -L$(LIBELF_LIBDIR) -L$(ZLIB_LIBDIR) -L$(LIBDW_LIBDIR)",
  },
  install_variables = {
    LUADIR = "$(LUADIR)",
    LIBDIR = "$(LIBDIR)",
    BINDIR = "$(BINDIR)",
    -- man page, API reference, README and the lab scripts as examples:
    -- in the rock's doc directory (`luarocks doc luabpf`)
    MANDIR = "$(DOCDIR)",
    DOCDIR = "$(DOCDIR)",
    EXAMPLEDIR = "$(DOCDIR)/examples",
  },
  copy_directories = {},
}
