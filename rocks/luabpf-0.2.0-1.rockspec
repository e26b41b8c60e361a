-- A release. `make dist` writes the tarball this names, build/luabpf-0.2.0.tar.gz
-- (git archive of HEAD), and beside it a copy of this rockspec with the
-- url made absolute and the tarball's md5 (build/luabpf-0.2.0-1.rockspec)
-- and the source rock of both (build/luabpf-0.2.0-1.src.rock), which
-- `luarocks install` builds on any machine. This file itself works from
-- the source tree after `make dist`: luarocks build rocks/luabpf-0.2.0-1.rockspec
rockspec_format = "3.0"
package = "luabpf"
version = "0.2.0-1"
source = {
  url = "file://build/luabpf-0.2.0.tar.gz",
  dir = "luabpf-0.2.0",
}
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
