/* Where a uprobe's binary is: a path, or a library name resolved like
 * the dynamic loader would (or through the traced process's mappings). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>
#include "runtime.h"
#include "symbols.h"

static int is_elf(const char *path)
{
	unsigned char m[4];
	FILE *f = fopen(path, "rb");
	int ok = f && fread(m, 1, 4, f) == 4 && !memcmp(m, "\177ELF", 4);

	if (f)
		fclose(f);
	return ok;
}

/* "libc" matches libc.so.6 and libc-2.36.so, not libcap.so */
static int lib_matches(const char *file, const char *name)
{
	size_t n = strlen(name);

	return strncmp(file, name, n) == 0 && (strncmp(file + n, ".so", 3) == 0 || file[n] == '-');
}

static int from_maps(int pid, const char *name, char *out, size_t len)
{
	char path[64], line[4096];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *file = strchr(line, '/'), *base;

		if (!file)
			continue;
		file[strcspn(file, "\n")] = 0;
		base = strrchr(file, '/') + 1;
		if (lib_matches(base, name) && (size_t)snprintf(out, len, "%s", file) < len)
			found = 1;
	}
	fclose(f);
	return found;
}

int lb_resolve_binary(const char *name, int pid, char *out, size_t len, char *err, size_t errlen)
{
	static const char *const dirs[] = {"/lib/x86_64-linux-gnu",
					   "/usr/lib/x86_64-linux-gnu",
					   "/lib64",
					   "/usr/lib64",
					   "/lib",
					   "/usr/lib",
					   "/usr/local/lib"};
	char lib[256];

	if (strchr(name, '/')) {
		if (access(name, R_OK) != 0) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			return -1;
		}
		snprintf(out, len, "%s", name);
		return 0;
	}
	/* "c" and "libc" both mean libc */
	snprintf(lib, sizeof lib, "%s%s", strncmp(name, "lib", 3) ? "lib" : "", name);
	if (pid > 0 && from_maps(pid, lib, out, len))
		return 0;
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;
		int found = 0;

		if (!d)
			continue;
		/* a versioned name first: libc.so is often a linker script */
		for (int pass = 0; pass < 2 && !found; pass++) {
			rewinddir(d);
			while (!found && (e = readdir(d))) {
				if (!lib_matches(e->d_name, lib) ||
				    (pass == 0 && !strstr(e->d_name, ".so.")))
					continue;
				snprintf(out, len, "%s/%s", dirs[i], e->d_name);
				found = is_elf(out);
			}
		}
		closedir(d);
		if (found)
			return 0;
	}
	snprintf(err, errlen,
		 "cannot find library '%s' (give its path, or -p PID of a process using it)", name);
	return -1;
}

struct func_at {
	const char *func;
	size_t flen;
	uint64_t addr;
};

static int func_at(void *ud, const GElf_Sym *sym, const char *name)
{
	struct func_at *f = ud;

	if (GELF_ST_TYPE(sym->st_info) != STT_FUNC || !sym->st_value ||
	    strncmp(name, f->func, f->flen) || (name[f->flen] && name[f->flen] != '@'))
		return 0;
	f->addr = sym->st_value;
	return 1;
}

/* The file offset of function func in ELF file path, for attaching a
 * uprobe by offset: libbpf 1.1 refuses names with several versioned
 * symbols at one address (__libc_start_main@@GLIBC_2.34 and @GLIBC_2.2.5).
 * 0 found, -1 not. */
int lb_elf_func_offset(const char *path, const char *func, uint64_t *off)
{
	struct func_at f = {func, strlen(func), 0};
	struct lb_elf h;
	size_t nph;
	int found;

	if (lb_elf_open(path, &h, NULL, 0))
		return -1;
	/* .symtab, then .dynsym */
	found = lb_elf_symbols(h.e, SHT_SYMTAB, func_at, &f) ||
		lb_elf_symbols(h.e, SHT_DYNSYM, func_at, &f);
	if (found && elf_getphdrnum(h.e, &nph) == 0) {
		found = 0;
		for (size_t i = 0; i < nph && !found; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(h.e, (int)i, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_flags & PF_X) && f.addr >= ph.p_vaddr &&
			    f.addr < ph.p_vaddr + ph.p_memsz) {
				*off = f.addr - ph.p_vaddr + ph.p_offset;
				found = 1;
			}
		}
	}
	lb_elf_close(&h);
	return found ? 0 : -1;
}
