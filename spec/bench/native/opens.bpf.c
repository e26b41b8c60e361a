/* Native baseline of scripts/opens.lua, `@[str(args->filename)] = count()`
 * on sys_enter_open and sys_enter_openat: the path (64 bytes, bpftrace's
 * default string size, zero-padded) read from user memory into a per-CPU
 * buffer and counted in a per-CPU hash keyed by it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PATH_LEN 64

const volatile __u32 self_pid = 0;

struct path {
	char s[PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path);
} buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct path);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline int count_path(const char *filename)
{
	__u32 zero = 0;
	__u64 one = 1, *v;
	struct path *k;

	if (bpf_get_current_pid_tgid() >> 32 == self_pid)
		return 0;
	k = bpf_map_lookup_elem(&buf, &zero);
	if (!k)
		return 0;
	__builtin_memset(k, 0, sizeof *k);
	if (bpf_probe_read_user_str(k->s, sizeof k->s, filename) < 0)
		k->s[0] = 0;
	v = bpf_map_lookup_elem(&counts, k);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&counts, k, &one, BPF_NOEXIST);
	return 0;
}

/* the records' layouts (tracefs format files): filename at 16 / 24 */
SEC("tracepoint/syscalls/sys_enter_open")
int opens_open(void *ctx)
{
	return count_path(*(const char **)(ctx + 16));
}

SEC("tracepoint/syscalls/sys_enter_openat")
int opens_openat(void *ctx)
{
	return count_path(*(const char **)(ctx + 24));
}

char LICENSE[] SEC("license") = "GPL";
