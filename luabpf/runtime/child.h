/* luabpf -c CMD: the command, held until the probes are attached, traced
 * with everything it starts, and never outliving luabpf. */
#ifndef LUABPF_CHILD_H
#define LUABPF_CHILD_H

#include <stddef.h>

struct lb_child {
	int pid;    /* the command: probes follow it and its descendants */
	int keeper; /* its parent: a fork of luabpf that ends the whole tree
		       when the command ends, when asked, or when luabpf dies */
	int gate;   /* the command execs when this is written (-1: done) */
	int status; /* exit status (128 + signal if killed); -1 while running */
};

/* Fork the keeper and, under it, the command (execvp of argv), held
 * blocked in read() of the gate; returns once it is blocked there, so a
 * probe attached after this sees none of its start-up. -1 with err. */
int lb_child_spawn(struct lb_child *c, char *const argv[], char *err, size_t errlen);
/* Let the command exec. */
void lb_child_go(struct lb_child *c);
/* The command's exit status once it has ended, else -1. */
int lb_child_reap(struct lb_child *c);
/* End the command and whatever it started (SIGTERM, then SIGKILL after
 * 200 ms) and wait for that; its exit status. */
int lb_child_stop(struct lb_child *c);
/* The file execvp(name) would run: 0 with its path, -1 if there is no
 * executable regular file of that name (as a path, or in $PATH). */
int lb_which(const char *name, char *path, size_t len);

#endif
