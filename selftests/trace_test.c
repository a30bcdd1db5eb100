// SPDX-License-Identifier: GPL-2.0
/*
 * trace_test: the tracepoints of trace system "gaspace".
 *
 * Enables them through tracefs (mounted at /sys/kernel/tracing if it is
 * not there yet), runs a scripted sequence on one space (MAP_ALLOC, FAULT
 * that succeeds and one that fails, PROTECT, UNMAP, MAP_LINEAR, the three
 * dirty-log calls, a userspace fault that FILL resolves) and checks that
 * the trace holds each call's event, in order, with its fields: the space's
 * inode number, gpa, size, prot, backend, flags, access, result, level.
 * Skips on a kernel without tracing (make check boots none).
 */
#include <poll.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define TRACEFS		"/sys/kernel/tracing"
#define HPA		BIT_ULL(40)
#define UF_AT		(64 * SZ_2M)

static char tracefs[64];

/* The tracefs directory with the gaspace events, or NULL (and why). */
static const char *find_tracefs(const char **why)
{
	static const char *const dirs[] = {
		TRACEFS, "/sys/kernel/debug/tracing",
	};
	char path[128];
	unsigned int i;

	if (access(TRACEFS "/trace", F_OK))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	for (i = 0; i < ARRAY_LEN(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events/gaspace/enable",
			 dirs[i]);
		if (!access(path, W_OK)) {
			snprintf(tracefs, sizeof(tracefs), "%s", dirs[i]);
			return tracefs;
		}
	}
	*why = access(TRACEFS "/trace", F_OK) ?
	       "no tracefs: this kernel has no tracing" :
	       "no gaspace events in tracefs";
	return NULL;
}

static int trace_write(const char *file, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", tracefs, file);
	return gas_write_string(path, value);
}

/* The whole trace buffer, NUL-terminated (free() it). */
static char *trace_read(void)
{
	size_t len = 0, cap = 1 << 16;
	char path[128], *buf = malloc(cap);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/trace", tracefs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				break;
		}
	}
	close(fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

struct uf_thread {
	pthread_t th;
	int fd;
	int ret;
};

static void *uf_fault(void *arg)
{
	struct uf_thread *t = arg;

	t->ret = gas_fault(t->fd, UF_AT + 0x123, GASPACE_PROT_WRITE);
	return NULL;
}

/*
 * Each line of @want, in order, must be found in @trace after the previous
 * one: lines of other spaces (and the invalidations between) are skipped.
 * Returns the number of the first line not found, or -1 when all are.
 */
static int trace_match(const char *trace, char want[][160], int n)
{
	const char *at = trace;
	int i;

	for (i = 0; i < n; i++) {
		const char *hit = strstr(at, want[i]);

		if (!hit)
			return i;
		at = hit + strlen(want[i]);
	}
	return -1;
}

TEST(scripted_sequence)
{
	char want[32][160], *trace;
	const char *why = NULL;
	struct gaspace_fault_event ev;
	struct uf_thread t = { .ret = 1 };
	struct gas_space s;
	struct pollfd pfd;
	__u64 bits[8];
	unsigned long ino;
	struct stat st;
	int fd, ufd, n = 0, miss;

	if (!find_tracefs(&why))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, gas_space_open(&s, GASPACE_FMT_EPT, 48, 0, SZ_1G));
	fd = s.fd;
	ASSERT_EQ(0, fstat(fd, &st));
	ino = st.st_ino;
	ASSERT_EQ(0, trace_write("events/gaspace/enable", "1"));
	ASSERT_EQ(0, trace_write("tracing_on", "1"));

#define WANT(ev, fmt, ...) snprintf(want[n++], sizeof(want[0]),	\
					  "gaspace_" ev ": ino=%lu " fmt,	\
					  ino, ##__VA_ARGS__)
	ASSERT_EQ(0, gas_map_alloc(fd, 0, SZ_2M, GAS_PROT_RW, 0));
	WANT("map", "gpa=0x0 size=0x200000 hpa=0x0 prot=0x3 backend=2 flags=0x0 result=0");
	ASSERT_EQ(0, gas_fault(fd, 0x3123, GASPACE_PROT_WRITE));
	WANT("fault", "gpa=0x3123 access=0x2 result=0 level=0");
	ASSERT_EQ(-ENOENT, gas_fault(fd, SZ_2M, GASPACE_PROT_READ));
	WANT("fault", "gpa=0x200000 access=0x1 result=-2 level=-1");
	ASSERT_EQ(-EEXIST, gas_map_alloc(fd, 0, PAGE_4K, GAS_PROT_R, 0));
	WANT("map", "gpa=0x0 size=0x1000 hpa=0x0 prot=0x1 backend=2 flags=0x0 result=-17");
	ASSERT_EQ(0, gas_protect(fd, 0x3000, PAGE_4K, GAS_PROT_R));
	WANT("invalidate", "gpa=0x3000 size=0x1000");
	WANT("protect", "gpa=0x3000 size=0x1000 prot=0x1 result=0");
	ASSERT_EQ(0, gas_unmap(fd, 0, SZ_2M));
	WANT("invalidate", "gpa=0x");
	WANT("unmap", "gpa=0x0 size=0x200000 result=0");
	ASSERT_EQ(0, gas_map_linear(fd, SZ_2M, SZ_2M, HPA, GAS_PROT_RWX,
				    GASPACE_MAP_NOHUGE));
	WANT("map", "gpa=0x200000 size=0x200000 hpa=0x%llx prot=0x7 backend=1 flags=0x8 result=0",
	     (unsigned long long)HPA);
	ASSERT_EQ(0, gas_dirty_log_enable(fd, SZ_2M, PAGE_4K * 64));
	WANT("dirty_log", "op=enable gpa=0x200000 size=0x40000 flags=0x0 result=0");
	ASSERT_EQ(0, gas_get_dirty_log(fd, SZ_2M, PAGE_4K * 64, bits,
				       GASPACE_DIRTY_CLEAR));
	WANT("dirty_log", "op=get gpa=0x200000 size=0x40000 flags=0x1 result=0");
	ASSERT_EQ(0, gas_dirty_log_disable(fd, SZ_2M, PAGE_4K * 64));
	WANT("dirty_log", "op=disable gpa=0x200000 size=0x40000 flags=0x0 result=0");

	/* a userspace fault: the FAULT waits until FILL supplies the page */
	ASSERT_EQ(0, gas_map_alloc(fd, UF_AT, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_USERFAULT));
	WANT("map", "gpa=0x%llx size=0x200000 hpa=0x0 prot=0x3 backend=2 flags=0x20 result=0",
	     (unsigned long long)UF_AT);
	ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, ufd);
	t.fd = fd;
	ASSERT_EQ(0, pthread_create(&t.th, NULL, uf_fault, &t));
	pfd.fd = ufd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ((ssize_t)sizeof(ev), read(ufd, &ev, sizeof(ev)));
	ASSERT_EQ(0, gas_fill(fd, UF_AT, PAGE_4K, NULL));
	pthread_join(t.th, NULL);
	EXPECT_EQ(0, t.ret);
	WANT("userfault", "gpa=0x%llx access=0x2 result=0",
	     (unsigned long long)UF_AT);
	WANT("fault", "gpa=0x%llx access=0x2 result=0 level=0",
	     (unsigned long long)UF_AT + 0x123);
	close(ufd);
#undef WANT

	ASSERT_EQ(0, trace_write("events/gaspace/enable", "0"));
	trace = trace_read();
	ASSERT_NE(NULL, trace);
	miss = trace_match(trace, want, n);
	EXPECT_EQ(-1, miss) {
		TH_LOG("not in the trace (in order): %s", want[miss]);
		fprintf(stderr, "%s", trace);
	}
	free(trace);
	gas_space_close(&s);
}

TEST_HARNESS_MAIN
