// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/gaspace: the API version, capabilities and GASPACE_CREATE.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>

#include "internal.h"

/*
 * Tables, frames and leaves are 4 KiB: every format is built for the 4 KiB
 * granule, with one host page per table page and per frame.  Hosts with 16
 * or 64 KiB pages (some arm64 kernels) are not supported.
 */
static_assert(PAGE_SIZE == SZ_4K, "gaspace needs a kernel with 4 KiB pages");
static_assert(IS_ENABLED(CONFIG_64BIT), "gaspace needs a 64-bit kernel");

static long gaspace_check_extension(unsigned long cap)
{
	switch (cap) {
	case GASPACE_CAP_FORMATS:
		return BIT(GASPACE_FMT_EPT) | BIT(GASPACE_FMT_NPT) |
		       BIT(GASPACE_FMT_ARM64_S2) | BIT(GASPACE_FMT_RISCV_G);
	case GASPACE_CAP_HUGE:
		/* Tables are built in software: every format has both blocks. */
		return SZ_2M | SZ_1G;
	case GASPACE_CAP_MMAP:
	case GASPACE_CAP_DIRTY_LOG:
	case GASPACE_CAP_USERFAULT:
	case GASPACE_CAP_MAP_USER:
	case GASPACE_CAP_FILE:
	case GASPACE_CAP_AUDIT:
		return 1;
	case GASPACE_CAP_MAX_AREAS:
		return READ_ONCE(gaspace_max_areas);
	default:
		return 0;
	}
}

static bool gaspace_create_valid(const struct gaspace_create *c)
{
	int i;

	if (c->flags)
		return false;
	for (i = 0; i < ARRAY_SIZE(c->reserved); i++)
		if (c->reserved[i])
			return false;
	return true;
}

static long gaspace_dev_create(void __user *argp)
{
	struct gaspace_create c;
	struct gaspace *as;
	int fd;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (!gaspace_create_valid(&c))
		return -EINVAL;
	as = gaspace_create(c.format, c.gpa_bits, c.base, c.size);
	if (IS_ERR(as))
		return PTR_ERR(as);
	fd = gaspace_install_fd(as);
	if (fd < 0)
		gaspace_put(as);
	return fd;
}

static long gaspace_dev_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	switch (cmd) {
	case GASPACE_GET_API_VERSION:
		return arg ? -EINVAL : GASPACE_API_VERSION;
	case GASPACE_CHECK_EXTENSION:
		return gaspace_check_extension(arg);
	case GASPACE_CREATE:
		return gaspace_dev_create((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/* An open device keeps the spaces' filesystem mounted (file.c). */
static int gaspace_dev_open(struct inode *inode, struct file *file)
{
	return gaspace_fs_pin();
}

static int gaspace_dev_release(struct inode *inode, struct file *file)
{
	gaspace_fs_unpin();
	return 0;
}

static const struct file_operations gaspace_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= gaspace_dev_open,
	.release	= gaspace_dev_release,
	.unlocked_ioctl	= gaspace_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice gaspace_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "gaspace",
	.fops	= &gaspace_dev_fops,
	.mode	= 0600,
};

static int __init gaspace_init(void)
{
	int ret;

	gaspace_debugfs_init();
	ret = misc_register(&gaspace_dev);
	if (ret)
		gaspace_debugfs_exit();
	return ret;
}

static void __exit gaspace_exit(void)
{
	misc_deregister(&gaspace_dev);
	gaspace_debugfs_exit();
	/* table pages an unmap unlinked are freed by RCU callbacks of ours */
	rcu_barrier();
}

module_init(gaspace_init);
module_exit(gaspace_exit);

MODULE_DESCRIPTION("Guest address spaces with nested page tables");
MODULE_LICENSE("GPL");
