// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the test initramfs where no busybox exists for the architecture
 * (riscv64: Debian 12 has none).  It does what scripts/init.sh does, with
 * the same "GASPACE-" markers: load gaspace, run KUnit (when the module is
 * there), load the sample hypervisor modules, run every test program of
 * /tests/list, unload the modules, dump the kernel log, power off.
 *
 * make check builds it static: $(CROSS)gcc -static -O2 -o <dir>/init scripts/init.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* The whole of a small file, NUL-terminated, or NULL. */
static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				exit(1);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* insmod: 0 or an errno */
static int load(const char *path, const char *params)
{
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (syscall(SYS_finit_module, fd, params ? params : "", 0))
		ret = errno;
	close(fd);
	return ret;
}

/* rmmod: 0 or an errno */
static int unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? errno : 0;
}

static int exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/* /tests/env holds "export A=1 B=2" (make stress): set each assignment. */
static void set_env(void)
{
	char *env = slurp("/tests/env"), *tok, *save;

	if (!env)
		return;
	for (tok = strtok_r(env, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		setenv(tok, eq + 1, 1);
	}
	free(env);
}

static void run_prog(const char *name)
{
	char path[256];
	time_t t0 = time(NULL);
	int status = 0, rc;
	pid_t pid;

	say("GASPACE-PROG-BEGIN %s\n", name);
	snprintf(path, sizeof(path), "/tests/%s", name);
	pid = fork();
	if (!pid) {
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rc = pid < 0 ? 1 : WIFEXITED(status) ? WEXITSTATUS(status) :
	     128 + WTERMSIG(status);
	say("GASPACE-PROG-END %d %ld\n", rc, (long)(time(NULL) - t0));
}

static void dump_dmesg(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *end, *p;

	if (len <= 0)
		return;
	buf = malloc(len + 1);
	if (!buf)
		return;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	buf[len > 0 ? len : 0] = '\0';
	/* as dmesg prints them: without the "<level>" prefix */
	for (line = buf; *line; line = end) {
		end = strchrnul(line, '\n');
		if (*end)
			end++;
		p = line[0] == '<' ? strchr(line, '>') : NULL;
		if (p && p < end)
			line = p + 1;
		fwrite(line, 1, end - line, stdout);
	}
	fflush(stdout);
	free(buf);
}

/* The mounts, the console on fds 0-2 where fd 1 is closed, and PATH. */
static void setup(void)
{
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sys", "/sys", "sysfs", 0, NULL);
	mount("dev", "/dev", "devtmpfs", 0, NULL);
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mount("tmp", "/tmp", "tmpfs", 0, NULL);
	mkdir("/sys/fs/cgroup", 0755);
	mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	setenv("PATH", "/bin", 1);
}

/* Load every other /gaspace/gaspace_<name>.ko: how many, names in samples. */
static int load_samples(char samples[][64], int max)
{
	struct dirent *de;
	int nsamples = 0;
	DIR *dir;

	dir = opendir("/gaspace");
	while (dir && (de = readdir(dir)) && nsamples < max) {
		char path[300], *n = de->d_name;
		size_t len = strlen(n);

		if (strncmp(n, "gaspace_", 8) || len < 12 ||
		    strcmp(n + len - 3, ".ko") || !strcmp(n, "gaspace_kunit.ko"))
			continue;
		snprintf(samples[nsamples], sizeof(samples[0]), "%.*s",
			 (int)(len - 11), n + 8);
		snprintf(path, sizeof(path), "/gaspace/%s", n);
		say("GASPACE-SAMPLE-INSMOD %s %d\n", samples[nsamples],
		    load(path, NULL) ? 1 : 0);
		nsamples++;
	}
	if (dir)
		closedir(dir);
	return nsamples;
}

/* Run every program of /tests/list, in order. */
static void run_list(void)
{
	char *list, *tok, *save;

	list = slurp("/tests/list");
	for (tok = list ? strtok_r(list, " \t\n", &save) : NULL; tok;
	     tok = strtok_r(NULL, " \t\n", &save))
		run_prog(tok);
	free(list);
}

int main(void)
{
	char samples[16][64], *params;
	int nsamples, i, ret;

	setup();
	say("GASPACE-BOOT\n");

	params = slurp("/gaspace/params");
	if (params)
		params[strcspn(params, "\n")] = '\0';
	ret = load("/gaspace/gaspace.ko", params);
	free(params);
	if (ret) {
		say("GASPACE-INSMOD 1\n");
		goto out;
	}
	say("GASPACE-INSMOD 0\n");
	if (exists("/gaspace/gaspace_kunit.ko")) {
		ret = load("/gaspace/gaspace_kunit.ko", NULL);
		if (!ret)
			ret = unload("gaspace_kunit");
		say("GASPACE-KUNIT-DONE %d\n", ret ? 1 : 0);
	}
	/* the sample hypervisors: every other gaspace_<name>.ko */
	nsamples = load_samples(samples, 16);
	set_env();
	run_list();
	for (i = 0; i < nsamples; i++) {
		char name[96];

		snprintf(name, sizeof(name), "gaspace_%.63s", samples[i]);
		say("GASPACE-SAMPLE-RMMOD %s %d\n", samples[i],
		    unload(name) ? 1 : 0);
	}
	say("GASPACE-RMMOD %d\n", unload("gaspace") ? 1 : 0);
out:
	say("GASPACE-DMESG-BEGIN\n");
	dump_dmesg();
	say("GASPACE-DMESG-END\n");
	say("GASPACE-DONE\n");
	sync();
	sleep(1);
	reboot(RB_POWER_OFF);
	return 0;
}
