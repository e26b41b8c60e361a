/* The user-space runtime: a session owns maps, probes and their links.
 * Plain C with no Lua in it; luabpf/core.c binds it to Lua. */
#ifndef LUABPF_RUNTIME_H
#define LUABPF_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "compiler/compiler.h"

#define LB_MAP_ENTRIES 10240	    /* a map's maximum keys unless its options say */
#define LB_PREALLOC_MAX (16u << 20) /* maps up to this size are preallocated */
#define LB_ERR 1024
/* A name the user gave, in a message: its first 64 bytes, "..." if it
 * goes on (a 100 KB name must not make a 100 KB message). */
#define LB_CLIP_FMT "%.64s%s"
#define LB_CLIP(s) (s), strlen(s) > 64 ? "..." : ""

struct bpf_object;
struct bpf_link;
struct ring_buffer;
struct lb_syms;
struct lb_usdt_site;
struct lb_mmapwatch;
struct lb_unwinder;
struct lb_http;

enum lb_progkind {
	LB_PROG_TRACEPOINT = 0, /* category:event */
	LB_PROG_PROFILE,	/* perf event on every CPU: freq or period */
	LB_PROG_KFUNC,		/* event: kernel function (fentry) */
	LB_PROG_KRETFUNC,	/* fexit */
	LB_PROG_TPBTF,		/* event: BTF raw tracepoint */
	LB_PROG_KPROBE,		/* event: function, offset */
	LB_PROG_KRETPROBE,
	LB_PROG_UPROBE, /* binary, event: function */
	LB_PROG_URETPROBE,
	LB_PROG_USDT, /* binary, category: provider, event: name */
};

/* One loaded program and its links (one per CPU for a profile). */
struct lb_prog {
	struct lbc_output code;		      /* plan + slot map, as the compiler made them */
	int fmt_base;			      /* the session's id of its first printf format */
	signed char divmap[LBC_MAX_DIVSITES]; /* its division sites' session counters */
	int not_raw;		    /* a raw tracepoint was refused: a perf-event one instead */
	int kind;		    /* enum lb_progkind */
	char *category, *event;	    /* tracepoint to attach to; see lb_progkind */
	char *binary;		    /* uprobe, usdt: the ELF file */
	uint64_t offset;	    /* kprobe: func+offset; uprobe: file offset */
	struct lb_usdt_site *sites; /* usdt: one uprobe each, cookie its index */
	int nsites;
	uint64_t freq, period_ns; /* profile: one of them */
	struct bpf_object *obj;
	struct bpf_link **links;
	int nlinks;
	/* uprobe, uretprobe: every function of a wildcard through this one
	 * program and uprobe_multi links (Linux 6.6) when nfuncs > 0: each
	 * function's file offset, cookie (its e.probe index) and name */
	uint64_t *offsets, *cookies;
	char **funcs;
	int nfuncs;
	int *mfds; /* the uprobe_multi links (raw fds: libbpf 1.1 has none) */
	int nmfds;
	int wild;	/* one function of a uprobe wildcard: a refusal skips it */
	char **refused; /* functions the kernel cannot probe (ENOTSUPP), skipped */
	int nrefused;
	int refused_told; /* the warning about them was taken (lb_session_refused) */
};

/* One probe as the user wrote it; a wildcard holds several programs. */
struct lb_probe {
	char *spec; /* "tracepoint:syscalls:sys_enter_*" */
	struct lb_prog *progs;
	int nprogs;
};

/* How a map is kept in the kernel (bpf.map{...}): the compiler knows
 * nothing of it. Maps are allocated as keys arrive unless lru, which the
 * kernel only has preallocated. */
struct lb_mapopts {
	uint32_t max_entries; /* 0: LB_MAP_ENTRIES */
	int lru;	      /* evict the least recently used key when full */
};

struct lb_session {
	struct lb_mapdesc maps[LB_MAX_SESSION_MAPS];
	struct lb_mapopts mapopts[LB_MAX_SESSION_MAPS];
	int map_fd[LB_MAX_SESSION_MAPS];
	int nmaps;
	int dummy_fd; /* stands in for unused map slots */
	struct lb_probe *probes;
	int nprobes;
	char **names; /* e.probe names: index is LB_PROBE_SESSION id */
	int nnames;
	char *sysname[LB_SYSMASK * 64]; /* tracefs names of syscalls seen */
	int started;
	int ncpus;
	int verbose;	    /* a refused program's whole verifier log goes to stderr */
	int pid;	    /* luabpf -p / -c: probes see only this process (0: all) */
	int cpid;	    /* luabpf -c: the child's pid, e.cpid (0: none) */
	uint64_t start_ns;  /* CLOCK_MONOTONIC when started: e.elapsed's zero */
	int interp;	    /* LUABPF_ENGINE=interp: every plan in the template
			       interpreter (bpf/interp.h), none translated */
	int trace_self;	    /* probes fire in this process too (by default they
			       skip it: a uprobe on malloc that prints would
			       feed itself, a syscall probe counts its poll) */
	struct lb_btf *btf; /* kernel types, loaded when a typed probe needs them */
	int max_strlen;	    /* strings read by handlers (0: LB_STR_DEFAULT) */
	int ustack_dwarf;   /* user stacks unwound in user space (DWARF CFI) */
	/* output from handlers: ring buffer of records, stacks, lost count */
	int events_fd, stacks_fd[2], lost_fd, dropped_fd;
	int upids_fd;		      /* processes whose user stacks were announced */
	int procs_fd;		      /* the ring of those announcements (LB_REC_PROC) */
	struct ring_buffer *prb;      /* procs_fd's manager */
	struct lb_mmapwatch *mw;      /* the kernel's mmap records, for user symbols */
	int mw_polled;		      /* its fds are in epoll_fd */
	struct lb_unwinder *unwinder; /* user stacks unwound here (unwind.c) */
	struct ring_buffer *rb;
	int epoll_fd, signal_fd, timer_fd; /* timer: the next interval due */
	uint64_t lost_reported;
	struct lb_fmt *fmts; /* printf formats: index is the record's id */
	int nfmts;
	/* divisions that may meet a zero, "file:line:col": index is the
	 * counter's (LB_DIVZERO_SLOT + 1 + i) */
	char *divsites[LB_DIV_SITES];
	int ndivsites;
	struct lb_syms *syms;
	/* what the records and the lost counter said, in arrival order:
	 * taken by the binding after each lb_session_poll */
	struct lb_event *events;
	int nevents, capevents;
	int merge_printf;     /* consecutive printf records make one event (for
				 consumers that only write the text out) */
	struct lb_http *http; /* the metrics listener, if serving */
	/* luabpf -c: task_struct offsets, to follow the command's descendants */
	__u32 task_parent_off, task_tgid_off;
};

/* One entry of a session's ordered event stream, as it left the kernel. */
enum lb_evkind {
	LB_EV_PRINTF = 1, /* text: rendered printf output */
	LB_EV_PRINT,	  /* id: session map index to print whole */
	LB_EV_EXIT,	  /* bpf.exit() from a kernel handler */
	LB_EV_LOST,	  /* n: records the ring buffer had no room for */
	LB_EV_SCRAPE,	  /* n: a GET /metrics waiting for lb_http_respond */
};

struct lb_event {
	int kind;   /* enum lb_evkind */
	int id;	    /* LB_EV_PRINT */
	uint64_t n; /* LB_EV_LOST */
	char *text; /* LB_EV_PRINTF, malloc'd */
	size_t len;
};

/* Adding a probe is one step that commits or changes nothing: its
 * handlers compile against the proposed layouts here (never the
 * session's), then lb_probe_commit links them into the session, or
 * lb_probe_abort puts back everything planning touched (probe names,
 * syscall names, the probe). */
struct lb_txn {
	struct lb_mapdesc maps[LB_MAX_SESSION_MAPS]; /* proposed layouts */
	int nmaps;
	/* the session as it was */
	int nprobes, nnames, nfmts, ndivsites, old_nmaps;
	uint64_t fds;		      /* session maps with a kernel map (bit i: map_fd[i]) */
	unsigned shared;	      /* shared kernel maps made (bits: see session.c) */
	uint64_t sysname[LB_SYSMASK]; /* syscall names known */
};

/* session.c */
void lb_session_init(struct lb_session *s);
/* Kernel symbols were hidden from this session (kstack and ksym printed
 * addresses): the tail naming CAP_SYSLOG (lb_lacks), else NULL. */
const char *lb_ksyms_hidden(const struct lb_session *s);
/* lb_drop_caps once attached: what runs on (maps, the ring buffer) needs
 * none. Kernel symbols are read first, while CAP_SYSLOG shows them. */
int lb_session_drop_caps(struct lb_session *s, char *err, size_t errlen);
void lb_probe_begin(struct lb_session *s, struct lb_txn *t);
/* The link step: the proposed layouts become the session's, the new
 * probe's printf formats are registered, and if the session runs its
 * programs load and attach. 0; or -1 with why in err, the session as
 * lb_probe_begin found it (kernel maps made for it closed again). */
int lb_probe_commit(struct lb_session *s, struct lb_txn *t, char *err, size_t errlen);
void lb_probe_abort(struct lb_session *s, struct lb_txn *t);
/* Silence libbpf for one call into it: libbpf_set_print(what this
 * returned) after. */
libbpf_print_fn_t lb_libbpf_quiet(void);
void lb_session_close(struct lb_session *s);
/* Load and attach every probe: 0; -1 with why in err (nothing stays
 * attached); 1 if SIGINT/SIGTERM came meanwhile (blocked, so pending:
 * what was attached is detached again, err says how far it got). */
int lb_session_start(struct lb_session *s, char *err, size_t errlen);
/* SIGINT or SIGTERM pending (blocked, waiting to be read). */
int lb_stop_pending(void);
int lb_session_add_name(struct lb_session *s, const char *name);
/* The same for a name known not to be there yet (thousands of a
 * wildcard's functions: no search). */
int lb_session_append_name(struct lb_session *s, const char *name);
struct lb_probe *lb_session_add_probe(struct lb_session *s, const char *spec);
struct lb_prog *lb_probe_add_prog(struct lb_probe *p);
void lb_session_drop_probe(struct lb_session *s);
/* The kernel's BTF, loaded on first need and kept by the session. */
struct lb_btf *lb_session_btf(struct lb_session *s, char *err, size_t errlen);
/* lbc_probe.int_type over the session's BTF (ud: the session). */
int lb_session_int_type(void *session, const char *ctype, int *size, int *is_signed);
/* Probes see only process pid (luabpf -p); child: it is luabpf -c's
 * command, e.cpid, and its descendants are seen too. */
int lb_session_target(struct lb_session *s, int pid, int child, char *err, size_t errlen);
/* Detach every probe, keeping maps and the ring buffer to drain. */
void lb_session_detach(struct lb_session *s);
void lb_prog_detach(struct lb_prog *pr);
int lb_session_probe_name(const struct lb_session *s, uint64_t id, char *buf, size_t len);
int lb_session_probe_id(const struct lb_session *s, const char *name, uint64_t *id);
int lb_count_attached(const struct lb_session *s);
/* Take a freshly compiled program's formats into the session (once). */
int lb_session_adopt(struct lb_session *s, struct lb_prog *pr);

/* attach.c */
/* Does the kernel have uprobe_multi links (6.6)? Asked once. */
int lb_uprobe_multi_supported(void);

/* Load a program (if not loaded yet) and attach it: 0, or -1 with why
 * in err and the program unloaded. */
int lb_prog_load_attach(struct lb_session *s, struct lb_prog *pr, char *err, size_t errlen);
/* Only load it (the verifier's verdict), to attach later. */
int lb_prog_load(struct lb_session *s, struct lb_prog *pr, char *err, size_t errlen);
int lb_session_shared_maps(struct lb_session *s, const struct lbc_output *code, char *err,
			   size_t errlen);

/* events.c */
/* Wait up to timeout_ms for records or a signal; queue what came as
 * events (s->events). Returns the signal number that arrived, 0 if none,
 * -1 on error. */
int lb_session_poll(struct lb_session *s, int timeout_ms);
/* Forget the queued events (after the caller took them). */
void lb_session_clear_events(struct lb_session *s);
int lb_session_watch_signals(struct lb_session *s);
/* The descriptor a foreign loop waits on (an epoll one), or -1. */
int lb_session_fd(struct lb_session *s);
/* The descriptor also becomes readable at due_ns (CLOCK_MONOTONIC);
 * 0 disarms. */
int lb_session_set_timer(struct lb_session *s, uint64_t due_ns);
/* Serve GET /metrics on addr (see http.h); scrapes then arrive through
 * the poll as LB_EV_SCRAPE events. 0, or -1 with why in err. */
int lb_session_serve_metrics(struct lb_session *s, const char *addr, char *err, size_t errlen);
/* Text of a value that needs the session (lb_render's callback). */
size_t lb_session_text(void *session, int type, const void *arg, char *buf, size_t len);

/* caps.c */
/* The message tail naming capability cap (CAP_*) when this process lacks
 * it, else "" (the refusal has another cause); lb_lacks2: the first of
 * two it lacks. */
const char *lb_lacks(int cap);
const char *lb_lacks2(int cap1, int cap2);
/* Drop every capability of this process (effective, permitted,
 * inheritable, ambient; the bounding set too where CAP_SETPCAP allows):
 * 0, or -1 with why in err. */
int lb_drop_caps(char *err, size_t errlen);

/* maps.c */
int lb_map_create(struct lb_session *s, int i, char *err, size_t errlen);
/* A keyless per-CPU aggregate is kept as a cell (maps.c): the offset of
 * its set word, 0 for other maps. */
unsigned lb_map_cell(const struct lb_session *s, int i);
/* Number of int64 a value of map i reads as (lb_map_value's out). */
size_t lb_map_value_len(const struct lb_mapdesc *d);
/* Read one value, combined over CPUs by kind: sum and int: out[0]; min,
 * max: out[0] value; avg, stats: out[0] count, out[1] sum; hist, lhist:
 * the bucket counts, then the sum of the values they counted. 0 found, 1
 * absent (min/max never set count as absent). */
int lb_map_value(struct lb_session *s, int i, const void *key, int64_t *out);
/* Every entry of map i: fn(ud, key, value) with the value as lb_map_value
 * gives it (entries without a value left out); a non-zero return stops
 * and is returned. -1 if the map cannot be read. */
typedef int (*lb_map_fn)(void *ud, const void *key, const int64_t *value);
int lb_map_each(struct lb_session *s, int i, lb_map_fn fn, void *ud);
int lb_map_delete(struct lb_session *s, int i, const void *key);
/* Store one value (value_size bytes); a per-CPU map's lands on CPU 0. */
int lb_map_update(struct lb_session *s, int i, const void *key, const void *value);
/* Bytes map i takes at most in the kernel (keys and values, all CPUs). */
uint64_t lb_map_max_bytes(const struct lb_session *s, int i);
int lb_map_clear(struct lb_session *s, int i);
/* Updates refused because map i was full, summed over CPUs; i =
 * LB_DIVZERO_SLOT: handler runs stopped by a division by zero. */
uint64_t lb_map_dropped(struct lb_session *s, int i);
/* value += x in the first word of CPU 0's value (count, sum), for
 * updates made in user space; 0, or -1 (a full map's refusal counted). */
int lb_map_add(struct lb_session *s, int i, const void *key, int64_t x);
/* Count one update refused for map i; returns -1. */
int lb_map_dropped_add(struct lb_session *s, int i);
/* All keys, concatenated (key_size each); caller frees *keys. */
int lb_map_keys(struct lb_session *s, int i, void **keys, size_t *n);

/* period.c */
/* "10s", "500ms", "100us", "5hz", "2m", "ns" too, or bpftrace's "hz:99":
 * 0 with either *freq_hz or *period_ns set, the other 0; -1 if malformed
 * ("bad WHAT 'spec'" in err), -2 if longer than a year. */
int lb_parse_period(const char *what, const char *spec, uint64_t *freq_hz, uint64_t *period_ns,
		    char *err, size_t errlen);

/* tracefs.c */
const char *lb_tracefs(char *err, size_t errlen);
/* Tracepoints matching "cat:event" globs, as "cat:event" strings. */
int lb_tracepoints(const char *pattern, char ***out, int *n, char *err, size_t errlen);
#include "strlist.h"
/* Kernel functions kprobes can take, matching a glob, sorted. */
int lb_kprobe_funcs(const char *glob, char ***out, int *n, char *err, size_t errlen);
/* Fields of a tracepoint's format, common_* fields left out. */
int lb_tp_fields(const char *cat, const char *event, struct lbc_field **out, int *n, char *err,
		 size_t errlen);
void lb_free_fields(struct lbc_field *f, int n);
void lb_clear_field(struct lbc_field *f); /* its name and ctype */
/* The fields of a tracepoint, one "    type name" line each (malloc'd). */
int lb_tp_describe(const char *cat, const char *event, char **out, char *err, size_t errlen);

/* binary.c: a uprobe's file from a path or a library name ("libc") */
int lb_resolve_binary(const char *name, int pid, char *out, size_t len, char *err, size_t errlen);
/* The file offset of function func in ELF file path, for attaching a
 * uprobe by offset (libbpf 1.1 refuses names with several versioned
 * symbols at one address, __libc_start_main@@GLIBC_2.34 and @GLIBC_2.2.5).
 * An IFUNC (libc's strlen) is taken at the implementation the loader
 * picks on this machine when the file is loaded in this process too, as
 * libc is; else err says so and names the likely implementations. 0, or
 * -1 with why in err. */
int lb_elf_func_offset(const char *path, const char *func, uint64_t *off, char *err, size_t errlen);
/* The same for n functions of one file at once (a wildcard's): offs[i]
 * is 0 where funcs[i] cannot be probed (an IFUNC whose implementation is
 * not known here, not in an executable segment). 0, or -1 with why. */
int lb_elf_func_offsets(const char *path, char *const *funcs, int n, uint64_t *offs, char *err,
			size_t errlen);
/* out[i]: the byte of the (regular) file path at offset offs[i], 0 where
 * offs[i] is 0 or past its end. 0, or -1 with why. */
int lb_file_bytes(const char *path, const uint64_t *offs, int n, unsigned char *out, char *err,
		  size_t errlen);

/* syscalls.c */
int lb_syscall_nr(const char *tpname); /* "newstat" -> 4, or -1 */

/* templates, embedded by the build */
extern const char lb_tpl_tracepoint[], lb_tpl_tracepoint_end[];
extern const char lb_tpl_perf_event[], lb_tpl_perf_event_end[];
extern const char lb_tpl_btf[], lb_tpl_btf_end[];
extern const char lb_tpl_kprobe[], lb_tpl_kprobe_end[];
extern const char lb_tpl_uprobe[], lb_tpl_uprobe_end[];
extern const char lb_tpl_usdt[], lb_tpl_usdt_end[];
extern const char lb_tpl_shell[], lb_tpl_shell_end[];

#endif
