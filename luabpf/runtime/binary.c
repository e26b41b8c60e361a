/* Where a uprobe's binary is: a path, or a library name resolved like
 * the dynamic loader would (or through the traced process's mappings). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <gelf.h>
#include <libelf.h>
#include "runtime.h"

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
	static const char *const dirs[] = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
					   "/lib64", "/usr/lib64", "/lib", "/usr/lib",
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
	snprintf(err, errlen, "cannot find library '%s' (give its path, or -p PID of a process using it)",
		 name);
	return -1;
}

/* The file offset of function func in ELF file path, for attaching a
 * uprobe by offset: libbpf 1.1 refuses names with several versioned
 * symbols at one address (__libc_start_main@@GLIBC_2.34 and @GLIBC_2.2.5).
 * 0 found, -1 not. */
int lb_elf_func_offset(const char *path, const char *func, uint64_t *off)
{
	size_t flen = strlen(func);
	uint64_t addr = 0;
	Elf_Scn *scn = NULL;
	size_t nph;
	Elf *e;
	int fd, found = 0;

	if (elf_version(EV_CURRENT) == EV_NONE || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (!(e = elf_begin(fd, ELF_C_READ, NULL))) {
		close(fd);
		return -1;
	}
	for (int pass = 0; pass < 2 && !found; pass++) /* .symtab, then .dynsym */
		while (!found && (scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB) || !(d = elf_getdata(scn, NULL)))
				continue;
			for (size_t i = 0; sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym sym;
				const char *n;

				if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
				    !sym.st_value || !(n = elf_strptr(e, sh.sh_link, sym.st_name)))
					continue;
				if (strncmp(n, func, flen) == 0 && (n[flen] == 0 || n[flen] == '@')) {
					addr = sym.st_value;
					found = 1;
					break;
				}
			}
		}
	if (found && elf_getphdrnum(e, &nph) == 0) {
		found = 0;
		for (size_t i = 0; i < nph && !found; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
			    addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_memsz) {
				*off = addr - ph.p_vaddr + ph.p_offset;
				found = 1;
			}
		}
	}
	elf_end(e);
	close(fd);
	return found ? 0 : -1;
}
