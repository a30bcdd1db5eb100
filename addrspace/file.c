// SPDX-License-Identifier: GPL-2.0
/*
 * The address-space file: the only code that knows userspace.  Each ioctl is
 * one short function: copy in, check the struct's own fields, call the core,
 * copy out.
 *
 * Every address space gets its own inode from a small pseudo filesystem
 * (anon_inode_getfile() files share one inode, so zapping one space's VMM
 * mappings would zap every space's).  The inode is a regular file whose
 * size is base + size: fstat, lseek (SEEK_DATA and SEEK_HOLE too),
 * fallocate and an open() of /proc/pid/fd/N work on it as on a memfd.
 */
#include <linux/capability.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "internal.h"
#include "tcache.h"

#define GASPACE_FS_MAGIC	0x67617370	/* "gasp" */

/*
 * The pseudo filesystem is mounted while an address-space file lives:
 * each file pins it (simple_pin_fs()) from gaspace_install_fd() to its
 * release.
 */
static struct vfsmount *gaspace_mnt;
static int gaspace_mnt_count;

static int gaspace_ioctl_get_info(struct gaspace *as, void __user *argp)
{
	struct gaspace_info info;

	gaspace_get_info(as, &info);
	if (as->hide_hpa) {
		info.root_hpa = 0;
		info.root_pointer = 0;
	}
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static bool all_zero(const __u64 *v, int n)
{
	while (n--)
		if (v[n])
			return false;
	return true;
}

/* MAP_LINEAR (CAP_SYS_RAWIO) and MAP_ALLOC (no hpa). */
static int gaspace_ioctl_map(struct gaspace *as, void __user *argp,
			     unsigned int cmd)
{
	bool linear = cmd == GASPACE_MAP_LINEAR;
	struct gaspace_map m;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (linear && !capable(CAP_SYS_RAWIO))
		return -EPERM;
	if (!all_zero(m.reserved, ARRAY_SIZE(m.reserved)) || (!linear && m.hpa))
		return -EINVAL;
	if (linear)
		return gaspace_do_map_linear(as, m.gpa, m.hpa, m.size, m.prot,
					     m.flags, true);
	return gaspace_map_alloc(as, m.gpa, m.size, m.prot, m.flags);
}

static int gaspace_ioctl_map_user(struct gaspace *as, void __user *argp)
{
	struct gaspace_map_user m;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (!all_zero(m.reserved, ARRAY_SIZE(m.reserved)))
		return -EINVAL;
	return gaspace_do_map_user(as, m.gpa, m.size, m.uaddr, m.prot, m.flags);
}

/* UNMAP, PROTECT, DIRTY_LOG_ENABLE and DISABLE: prot for PROTECT only. */
static int gaspace_ioctl_range(struct gaspace *as, void __user *argp,
			       unsigned int cmd)
{
	struct gaspace_range r;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (!all_zero(r.reserved, ARRAY_SIZE(r.reserved)) || r.flags)
		return -EINVAL;
	if (cmd == GASPACE_PROTECT)
		return gaspace_protect(as, r.gpa, r.size, r.prot);
	if (r.prot)
		return -EINVAL;
	if (cmd == GASPACE_UNMAP)
		return gaspace_unmap(as, r.gpa, r.size);
	if (cmd == GASPACE_DIRTY_LOG_ENABLE)
		return gaspace_dirty_log_enable(as, r.gpa, r.size);
	return gaspace_dirty_log_disable(as, r.gpa, r.size);
}

/*
 * GET_DIRTY_LOG: the bitmap goes through a kernel copy, read in whole
 * for SET, written out whole after a report.  A report with CLEAR whose
 * bitmap cannot be written puts its bits back: nothing is lost.
 */
static int gaspace_ioctl_dirty_log(struct gaspace *as, void __user *argp)
{
	struct gaspace_dirty_log d;
	void __user *ubits;
	size_t len;
	u64 *bits;
	int ret;

	if (copy_from_user(&d, argp, sizeof(d)))
		return -EFAULT;
	if (d.pad || !all_zero(d.reserved, ARRAY_SIZE(d.reserved)))
		return -EINVAL;
	/* before the bitmap's size is trusted for the kernel's copy */
	ret = gaspace_dirty_log_check(as, d.gpa, d.size, d.flags);
	if (ret)
		return ret;
	ubits = u64_to_user_ptr(d.bitmap);
	len = DIV_ROUND_UP(d.size >> PAGE_SHIFT, 64) * sizeof(u64);
	bits = kvmalloc(len, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!bits)
		return -ENOMEM;
	ret = -EFAULT;
	if ((d.flags & GASPACE_DIRTY_SET) && copy_from_user(bits, ubits, len))
		goto out;
	ret = gaspace_get_dirty_log(as, d.gpa, d.size, bits, d.flags);
	if (ret || (d.flags & GASPACE_DIRTY_SET) ||
	    !copy_to_user(ubits, bits, len))
		goto out;
	if (d.flags & GASPACE_DIRTY_CLEAR)
		gaspace_get_dirty_log(as, d.gpa, d.size, bits,
				      GASPACE_DIRTY_SET);
	ret = -EFAULT;
out:
	kvfree(bits);
	return ret;
}

/*
 * EFAULT comes first (gaspace.rst 3): TRANSLATE's struct must be readable and
 * writable whole before ERANGE or ENOENT is judged, and access_ok() alone
 * would pass a PROT_NONE or read-only page.  A failed lookup changes
 * nothing, so the check may follow it, off the fast path: one user-access
 * section reads each word of the struct and writes it back as it was,
 * which leaves the struct unchanged on an error, as it always was.
 */
static int gaspace_translate_error(struct gaspace_translation __user *u,
				   int err)
{
	u64 __user *w = (u64 __user *)u;
	unsigned int i;
	u64 v;

	BUILD_BUG_ON(sizeof(*u) % sizeof(*w));
	if (!user_access_begin(u, sizeof(*u)))
		return -EFAULT;
	for (i = 0; i < sizeof(*u) / sizeof(*w); i++) {
		unsafe_get_user(v, &w[i], efault);
		unsafe_put_user(v, &w[i], efault);
	}
	user_access_end();
	return err;
efault:
	user_access_end();
	return -EFAULT;
}

/*
 * TRANSLATE is the one lookup a VMM makes per exit, so its copies are the
 * cheapest the kernel has.  One user-access section reads the gpa and,
 * when the translation cache holds the answer (tcache.h: inline, no call
 * to make inside the section), writes it field by field (the same bytes
 * copy_to_user() of the struct would write, which proves the struct
 * writable, and so readable, whole).  A miss ends the section, looks up
 * without asking the cache again, and writes the answer in a second one.
 */
static int gaspace_ioctl_translate(struct gaspace *as, void __user *argp)
{
	struct gaspace_translation __user *u = argp;
	/* written whole by a successful lookup, copied out only then */
	struct gaspace_translation t __uninitialized;
	/* read outside the section: UBSAN checks a bool's load with a call */
	bool hide_hpa = READ_ONCE(as->hide_hpa);
	u64 gpa;
	int ret;

	if (!user_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_get_user(gpa, &u->gpa, efault);
	if (!gaspace_tcache_get(as, gpa, &t)) {
		user_access_end();
		ret = gaspace_translate_lookup(as, gpa, &t);
		if (ret)
			return gaspace_translate_error(u, ret);
		if (!user_access_begin(u, sizeof(*u)))
			return -EFAULT;
	}
	if (hide_hpa)
		t.hpa = 0;
	unsafe_put_user(t.gpa, &u->gpa, efault);
	unsafe_put_user(t.hpa, &u->hpa, efault);
	unsafe_put_user(t.page_size, &u->page_size, efault);
	unsafe_put_user(t.limit, &u->limit, efault);
	unsafe_put_user(t.prot, &u->prot, efault);
	unsafe_put_user(t.backend, &u->backend, efault);
	unsafe_put_user(t.level, &u->level, efault);
	unsafe_put_user(t.pad, &u->pad, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static int gaspace_ioctl_fill(struct gaspace *as, void __user *argp)
{
	struct gaspace_fill f;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	if (f.flags || f.pad || f.reserved[0] || f.reserved[1])
		return -EINVAL;
	return gaspace_fill(as, f.gpa, f.size, u64_to_user_ptr(f.src));
}

static int gaspace_ioctl_fault(struct gaspace *as, void __user *argp)
{
	struct gaspace_fault f;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	if (f.flags)
		return -EINVAL;
	return gaspace_handle_fault(as, f.gpa, f.access);
}

/* The result is all output: the struct must be writable whole first. */
static int gaspace_ioctl_audit(struct gaspace *as, void __user *argp)
{
	struct gaspace_audit a;
	int ret;

	if (clear_user(argp, sizeof(a)))
		return -EFAULT;
	ret = gaspace_audit(as, &a);
	if (ret)
		return ret;
	return copy_to_user(argp, &a, sizeof(a)) ? -EFAULT : 0;
}

static long gaspace_file_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	struct gaspace *as = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case GASPACE_TRANSLATE:
		return gaspace_ioctl_translate(as, argp);
	case GASPACE_FAULT:
		return gaspace_ioctl_fault(as, argp);
	case GASPACE_MAP_LINEAR:
	case GASPACE_MAP_ALLOC:
		return gaspace_ioctl_map(as, argp, cmd);
	case GASPACE_UNMAP:
	case GASPACE_PROTECT:
	case GASPACE_DIRTY_LOG_ENABLE:
	case GASPACE_DIRTY_LOG_DISABLE:
		return gaspace_ioctl_range(as, argp, cmd);
	case GASPACE_USERFAULT_FD:	/* its argument is flags */
		return gaspace_userfault_fd(as, arg);
	case GASPACE_GET_INFO:
		return gaspace_ioctl_get_info(as, argp);
	case GASPACE_GET_DIRTY_LOG:
		return gaspace_ioctl_dirty_log(as, argp);
	case GASPACE_FILL:
		return gaspace_ioctl_fill(as, argp);
	case GASPACE_MAP_USER:
		return gaspace_ioctl_map_user(as, argp);
	case GASPACE_AUDIT:
		return gaspace_ioctl_audit(as, argp);
	default:
		return -ENOTTY;
	}
}

/* pread and pwrite: the file position is the guest-physical address. */
static ssize_t gaspace_file_rw(struct kiocb *iocb, struct iov_iter *iter,
			       bool write)
{
	ssize_t ret;

	if (iocb->ki_pos < 0)
		return -EINVAL;
	ret = gaspace_rw_iter(iocb->ki_filp->private_data, iocb->ki_pos, iter,
			      write);
	if (ret > 0)
		iocb->ki_pos += ret;
	return ret;
}

static ssize_t gaspace_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return gaspace_file_rw(iocb, to, false);
}

static ssize_t gaspace_file_write_iter(struct kiocb *iocb,
				       struct iov_iter *from)
{
	return gaspace_file_rw(iocb, from, true);
}

/*
 * A VMM touch of a missing page of a USERFAULT area: its event is raised.
 * Sleep on it with mmap_lock dropped, as userfaultfd does (the resolver
 * may need the lock), and have the fault retried: it then finds the frame,
 * or no area (SIGBUS), or no userfault fd (SIGBUS).  A signal ends the
 * sleep of a user fault, which is retried after its handler; a fault taken
 * in the kernel (a copy to or from user memory) is retried at once, so a
 * fatal signal alone may end its sleep, or it would never stop retrying.
 */
static vm_fault_t gaspace_vm_userfault(struct vm_fault *vmf, struct gaspace *as,
				       u64 gpa)
{
	bool killable = (vmf->flags & (FAULT_FLAG_USER |
				       FAULT_FLAG_INTERRUPTIBLE)) !=
			(FAULT_FLAG_USER | FAULT_FLAG_INTERRUPTIBLE);

	if (!(vmf->flags & FAULT_FLAG_ALLOW_RETRY))
		return VM_FAULT_SIGBUS;
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return VM_FAULT_RETRY;
	/* the VMA, and the file it holds, may go once the lock is dropped */
	gaspace_get(as);
#ifdef GASPACE_HAVE_RELEASE_FAULT_LOCK
	release_fault_lock(vmf);
#else
	mmap_read_unlock(vmf->vma->vm_mm);
#endif
	gaspace_userfault_wait(as, gpa, killable);
	gaspace_put(as);
	return VM_FAULT_RETRY;
}

/* A VMM touch: the frame of the page, populated if need be, locked. */
static vm_fault_t gaspace_vm_fault(struct vm_fault *vmf)
{
	struct gaspace *as = vmf->vma->vm_file->private_data;
	u64 gpa = (u64)vmf->pgoff << PAGE_SHIFT;
	u32 flags = GASPACE_FRAME_POPULATE | GASPACE_FRAME_VMM;
	struct page *page;
	int ret;

	if (vmf->flags & FAULT_FLAG_WRITE)
		flags |= GASPACE_FRAME_WRITE;
	ret = gaspace_get_frame(as, gpa, flags, &page);
	if (ret == -EINPROGRESS)
		return gaspace_vm_userfault(vmf, as, gpa);
	if (ret == -ENXIO || ret == -ENOENT || ret == -EIO)
		return VM_FAULT_SIGBUS;
	if (ret)
		return vmf_error(ret);
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/*
 * A VMM store to a page mapped read-only, or the store that faulted it in:
 * the dirty log marks it (dirty.c).  Having ->page_mkwrite makes every
 * shared mapping start read-only (writenotify), which the log needs.
 */
static vm_fault_t gaspace_vm_mkwrite(struct vm_fault *vmf)
{
	struct gaspace *as = vmf->vma->vm_file->private_data;
	struct page *page = vmf->page;

	lock_page(page);
	if (gaspace_dirty_vmm_write(as, (u64)vmf->pgoff << PAGE_SHIFT, page)) {
		unlock_page(page);
		return VM_FAULT_NOPAGE;
	}
	/* the frame stays locked until its PTE is writable */
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct gaspace_vm_ops = {
	.fault		= gaspace_vm_fault,
	.page_mkwrite	= gaspace_vm_mkwrite,
};

/* Adds @flags to a VMA being set up (mmap_lock held for writing). */
static void gaspace_vma_set_flags(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
#ifdef GASPACE_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * A mapping never grows past the range checked here: VM_DONTEXPAND stops
 * mm from merging a later mmap of the neighbouring guest pages into it
 * (which would skip this check) and mremap() from growing it.
 */
static int gaspace_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct gaspace *as = file->private_data;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (!gaspace_range_mmap(as, (u64)vma->vm_pgoff << PAGE_SHIFT,
				vma->vm_end - vma->vm_start))
		return -ENXIO;
	WRITE_ONCE(as->mmapped, true);
	gaspace_vma_set_flags(vma, VM_DONTEXPAND);
	vma->vm_ops = &gaspace_vm_ops;
	return 0;
}

/*
 * open() of the space's inode again, through /proc/<pid>/fd/N: a VMM that
 * takes a path where it would take a memfd's (QEMU's mem-path) gets a new
 * file of the same space.  Its mappings are the inode's, so UNMAP and
 * discard zap them as the first file's.  Host addresses stay what the
 * space shows since CREATE: an opener reaches the inode only through an
 * fd it could use itself.  Read and write, or -EACCES: the ioctls change
 * the space whatever a file's mode.  Once the last file of the space is
 * released the inode has no space (-ENXIO).
 */
static int gaspace_file_open(struct inode *inode, struct file *file)
{
	struct gaspace *as;
	int ret;

	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE))
		return -EACCES;
	/* before the space is taken: a release may be unpinning */
	ret = gaspace_fs_pin();
	if (ret)
		return ret;
	spin_lock(&inode->i_lock);
	as = inode->i_private;
	if (as) {
		as->nr_files++;
		gaspace_get(as);
	}
	spin_unlock(&inode->i_lock);
	if (!as) {
		gaspace_fs_unpin();
		return -ENXIO;
	}
	file->private_data = as;
	return 0;
}

static int gaspace_file_release(struct inode *inode, struct file *file)
{
	struct gaspace *as = file->private_data;
	bool last;

	/*
	 * The last file takes the space from the inode (a stat of
	 * /proc/pid/fd/N may hold the inode longer).  Its mappings went with
	 * the files; a kernel holder of the space may still UNMAP, with no
	 * mapping left to zap.
	 */
	spin_lock(&inode->i_lock);
	last = !--as->nr_files;
	if (last)
		inode->i_private = NULL;
	spin_unlock(&inode->i_lock);
	if (last) {
		mutex_lock(&as->map_lock);
		as->mapping = NULL;
		mutex_unlock(&as->map_lock);
	}
	gaspace_put(as);
	/*
	 * Not the last reference to the mount: the file holds its own, which
	 * __fput() drops after the module reference of the fops.  The
	 * superblock holds the module until ->kill_sb() has run.
	 */
	gaspace_fs_unpin();
	return 0;
}

/*
 * lseek(): the position is a guest-physical address.  SEEK_SET, SEEK_CUR
 * and SEEK_END (from base + size) move it as on a regular file, past the
 * end too; SEEK_DATA and SEEK_HOLE look for frames (gaspace_seek_data():
 * -ENXIO at or past the end, and for SEEK_DATA when no data follows).
 */
static loff_t gaspace_file_llseek(struct file *file, loff_t offset,
				  int whence)
{
	struct gaspace *as = file->private_data;
	loff_t pos;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return generic_file_llseek_size(file, offset, whence,
						MAX_LFS_FILESIZE,
						as->base + as->size);
	/* a negative offset is past the end too */
	pos = gaspace_seek_data(as, offset, whence == SEEK_HOLE);
	return pos < 0 ? pos : vfs_setpos(file, pos, MAX_LFS_FILESIZE);
}

/*
 * fallocate(): mode 0 or FALLOC_FL_KEEP_SIZE populates the missing pages
 * (gaspace_allocate()), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE gives
 * frames back (gaspace_discard()); other modes are -EOPNOTSUPP.  The VFS
 * checked offset >= 0, len > 0 and no wrap.  A range outside the space is
 * -ENXIO, as for pread and mmap.
 */
static long gaspace_file_fallocate(struct file *file, int mode, loff_t offset,
				   loff_t len)
{
	struct gaspace *as = file->private_data;
	int ret;

	switch (mode) {
	case 0:
	case FALLOC_FL_KEEP_SIZE:
		ret = gaspace_allocate(as, offset, len);
		break;
	case FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE:
		ret = gaspace_discard(as, offset, len);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return ret == -ERANGE ? -ENXIO : ret;
}

static const struct file_operations gaspace_file_fops = {
	.owner		= THIS_MODULE,
	.open		= gaspace_file_open,
	.release	= gaspace_file_release,
	.read_iter	= gaspace_file_read_iter,
	.write_iter	= gaspace_file_write_iter,
	.mmap		= gaspace_file_mmap,
	.unlocked_ioctl	= gaspace_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= gaspace_file_llseek,
	.fallocate	= gaspace_file_fallocate,
};

/* The idmap argument of inode operations: a struct mnt_idmap from 6.3. */
#ifdef GASPACE_HAVE_MNT_IDMAP
#define GASPACE_IDMAP_ARG	struct mnt_idmap *idmap
#else
#define GASPACE_IDMAP_ARG	struct user_namespace *idmap
#endif

/*
 * fstat(): st_size is base + size (the inode's i_size, set once), and
 * st_blocks counts the frames in 512-byte units.  A stat of
 * /proc/pid/fd/N may hold the inode past the file's release, which
 * clears i_private under i_lock before it drops the space.
 */
static int gaspace_inode_getattr(GASPACE_IDMAP_ARG, const struct path *path,
				 struct kstat *stat, u32 request_mask,
				 unsigned int query_flags)
{
	struct inode *inode = d_inode(path->dentry);
	struct gaspace *as;

#ifdef GASPACE_HAVE_FILLATTR_MASK
	generic_fillattr(idmap, request_mask, inode, stat);
#else
	generic_fillattr(idmap, inode, stat);
#endif
	spin_lock(&inode->i_lock);
	as = inode->i_private;
	stat->blocks = as ? READ_ONCE(as->nr_data_pages) * (PAGE_SIZE >> 9) : 0;
	spin_unlock(&inode->i_lock);
	return 0;
}

/* The size is the space's, fixed at CREATE: ftruncate() is -EINVAL. */
static int gaspace_inode_setattr(GASPACE_IDMAP_ARG, struct dentry *dentry,
				 struct iattr *attr)
{
	if (attr->ia_valid & ATTR_SIZE)
		return -EINVAL;
	return simple_setattr(idmap, dentry, attr);
}

static const struct inode_operations gaspace_inode_ops = {
	.getattr	= gaspace_inode_getattr,
	.setattr	= gaspace_inode_setattr,
};

/**
 * gaspace_get_file() - the address space behind a file
 * @file: a file, possibly an address-space fd's
 *
 * Return: the space with a new reference (drop it with gaspace_put()), or
 * ERR_PTR(-EBADF) when @file is not an address space.
 */
struct gaspace *gaspace_get_file(struct file *file)
{
	struct gaspace *as;

	if (!file || file->f_op != &gaspace_file_fops)
		return ERR_PTR(-EBADF);
	as = file->private_data;
	gaspace_get(as);
	return as;
}
EXPORT_SYMBOL_GPL(gaspace_get_file);

static int gaspace_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, GASPACE_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * Owned by the module: a live superblock holds the module (sget_fc() takes
 * a reference on its file_system_type until deactivate_locked_super() has
 * run ->kill_sb()), so no address-space file can outlive the code that
 * tears its mount down.  There is no mount while no such file exists.
 */
static struct file_system_type gaspace_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "gaspace",
	.init_fs_context	= gaspace_fs_init_fs_context,
	.kill_sb		= kill_anon_super,
};

/**
 * gaspace_fs_pin() - keep the module's pseudo filesystem mounted
 *
 * Context: each address-space file and each open /dev/gaspace holds a pin, so a
 * VMM that keeps the device open creates and closes spaces without
 * mounting and unmounting each time.  The superblock holds the module.
 *
 * Return: 0, or the error of the mount.
 */
int gaspace_fs_pin(void)
{
	return simple_pin_fs(&gaspace_fs_type, &gaspace_mnt,
			     &gaspace_mnt_count);
}

/**
 * gaspace_fs_unpin() - let go of a gaspace_fs_pin()
 */
void gaspace_fs_unpin(void)
{
	simple_release_fs(&gaspace_mnt, &gaspace_mnt_count);
}

/*
 * Give @as an fd (O_RDWR | O_CLOEXEC).  On success the file owns the
 * caller's reference; on failure the caller keeps it.
 */
int gaspace_install_fd(struct gaspace *as)
{
	struct inode *inode;
	struct file *file;
	int fd, ret;

	fd = get_unused_fd_flags(O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fd;
	ret = gaspace_fs_pin();
	if (ret)
		goto err_fd;
	inode = alloc_anon_inode(gaspace_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto err_pin;
	}
	inode->i_private = as;
	/* a regular file: vfs_fallocate() refuses other kinds */
	inode->i_mode = S_IFREG | 0600;
	inode->i_op = &gaspace_inode_ops;
	inode->i_size = as->base + as->size;
	/* open() of /proc/pid/fd/N: gaspace_file_open() */
	inode->i_fop = &gaspace_file_fops;
	as->nr_files = 1;
	as->mapping = inode->i_mapping;
	as->ino = inode->i_ino;
	/* alloc_file_pseudo() takes no module reference; __fput() drops one. */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, gaspace_mnt, "[gaspace]", O_RDWR,
				 &gaspace_file_fops);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		module_put(THIS_MODULE);
		iput(inode);
		goto err_pin;
	}
	file->private_data = as;
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE | FMODE_ATOMIC_POS;
	/* Host addresses follow the credentials the file was opened with. */
	as->hide_hpa = !file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	gaspace_debugfs_add(as);
	fd_install(fd, file);
	return fd;

err_pin:
	gaspace_fs_unpin();
err_fd:
	put_unused_fd(fd);
	return ret;
}
