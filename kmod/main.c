// SPDX-License-Identifier: GPL-2.0
/*
 * kbits: a system-wide queue of background file-transfer jobs, served on the
 * misc device /dev/kbits.  Anyone may open the device; each ioctl checks its
 * own permission.  See docs/uapi.md.
 */
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/compat.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/uaccess.h>

#include "kbits.h"

unsigned int kbits_max_jobs = 300;
module_param_named(max_jobs, kbits_max_jobs, uint, 0644);
MODULE_PARM_DESC(max_jobs,
		 "Jobs in the queue, all users together (CAP_SYS_ADMIN callers are exempt; default 300)");

unsigned int kbits_max_jobs_per_user = 60;
module_param_named(max_jobs_per_user, kbits_max_jobs_per_user, uint, 0644);
MODULE_PARM_DESC(max_jobs_per_user,
		 "Jobs in the queue per user (CAP_SYS_ADMIN callers are exempt; default 60)");

unsigned int kbits_max_files_per_job = 200;

/* max_files_per_job: 1 to KBITS_FILES_PER_JOB_LIMIT. */
static int kbits_set_max_files(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (!v || v > KBITS_FILES_PER_JOB_LIMIT)
		return -EINVAL;
	WRITE_ONCE(kbits_max_files_per_job, v);
	return 0;
}

static const struct kernel_param_ops kbits_max_files_ops = {
	.set = kbits_set_max_files,
	.get = param_get_uint,
};

module_param_cb(max_files_per_job, &kbits_max_files_ops,
		&kbits_max_files_per_job, 0644);
MODULE_PARM_DESC(max_files_per_job,
		 "Files in one job (default 200, at most 65536; IMPORT takes jobs with more)");

static_assert(sizeof(struct kbits_create_job) == KBITS_CREATE_JOB_SIZE_VER0);
static_assert(sizeof(struct kbits_job_attr) == KBITS_JOB_ATTR_SIZE_VER1);
static_assert(offsetof(struct kbits_job_attr, max_download_time) ==
	      KBITS_JOB_ATTR_SIZE_VER0);
static_assert(sizeof(struct kbits_add_files) == KBITS_ADD_FILES_SIZE_VER0);
static_assert(sizeof(struct kbits_job_file) == KBITS_JOB_FILE_SIZE_VER1);
static_assert(offsetof(struct kbits_job_file, mode) == KBITS_JOB_FILE_SIZE_VER0);
static_assert(sizeof(struct kbits_job_progress) == 24);
static_assert(sizeof(struct kbits_job_error) == KBITS_JOB_ERROR_SIZE_VER0);
static_assert(sizeof(struct kbits_get_job) == KBITS_GET_JOB_SIZE_VER0);
static_assert(sizeof(struct kbits_enum_jobs) == KBITS_ENUM_JOBS_SIZE_VER0);
static_assert(sizeof(struct kbits_job_string) == KBITS_JOB_STRING_SIZE_VER0);
static_assert(sizeof(struct kbits_job_id) == sizeof(guid_t));

/**
 * kbits_copy_args() - Copy in an ioctl's argument struct, sized by its caller.
 * @dst: the kernel's struct, @ksize bytes; its first field is the __u32 size.
 * @ksize: sizeof(*@dst): the newest version this module knows.
 * @uarg: the caller's struct, which starts with its own __u32 size.
 * @minsize: the smallest size accepted, the struct's version 0.
 *
 * Reads the size the caller's struct gives itself, then the struct.  A size
 * below @minsize is -EINVAL.  A smaller struct (an older caller) gets the
 * fields it lacks zeroed; bytes of a larger one (a newer caller) beyond what we
 * know must be zero, and so that check stays cheap a struct may not claim more
 * than a page.  The size in @dst is the one checked, whatever another thread of
 * the caller wrote to the struct meanwhile: later checks of the size (what a
 * field of a later version needs) read it there.
 *
 * Context: Process context; may sleep (it copies from userspace), so no lock
 * may be held.
 * Return: 0; -EINVAL when the size is below @minsize; -E2BIG when it is above a
 * page, or nonzero bytes follow what we know; -EFAULT when @uarg cannot be
 * read.
 */
int kbits_copy_args(void *dst, size_t ksize, const void __user *uarg,
		    size_t minsize)
{
	u32 usize;
	int err;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < minsize)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	err = copy_struct_from_user(dst, ksize, uarg, usize);
	if (!err)
		*(u32 *)dst = usize;
	return err;
}

static long kbits_ioctl_create_job(struct kbits_create_job __user *uarg)
{
	struct kbits_create_job args;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_CREATE_JOB_SIZE_VER0);
	if (err)
		return err;
	if (args.flags || args.reserved[0] || args.reserved[1])
		return -EINVAL;

	return kbits_create_job(u64_to_user_ptr(args.name), args.name_len,
				args.type, (guid_t __user *)uarg->id);
}

static long kbits_ioctl_get_job(struct kbits_get_job __user *uarg)
{
	struct kbits_get_job args;
	guid_t id;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_GET_JOB_SIZE_VER0);
	if (err)
		return err;
	if (args.flags || args.reserved[0] || args.reserved[1])
		return -EINVAL;

	memcpy(&id, args.id, sizeof(id));
	return kbits_get_job(&id);
}

static long kbits_ioctl_enum_jobs(struct kbits_enum_jobs __user *uarg)
{
	struct kbits_enum_jobs args;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_ENUM_JOBS_SIZE_VER0);
	if (err)
		return err;
	if ((args.flags & ~KBITS_ENUM_ALL_USERS) || args.reserved)
		return -EINVAL;

	err = kbits_enum_jobs(&args, u64_to_user_ptr(args.ids));
	if (err)
		return err;
	if (put_user(args.cursor, &uarg->cursor) ||
	    put_user(args.count, &uarg->count))
		return -EFAULT;
	return 0;
}

static long kbits_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KBITS_IOC_CREATE_JOB:
		return kbits_ioctl_create_job(uarg);
	case KBITS_IOC_GET_JOB:
		return kbits_ioctl_get_job(uarg);
	case KBITS_IOC_ENUM_JOBS:
		return kbits_ioctl_enum_jobs(uarg);
	case KBITS_IOC_AGENT_ATTACH:
		return kbits_agent_attach(arg);
	default:
		return -ENOTTY;
	}
}

#ifdef CONFIG_COMPAT
/* AGENT_ATTACH takes an integer, which compat_ptr() must not touch. */
static long kbits_dev_compat_ioctl(struct file *file, unsigned int cmd,
				   unsigned long arg)
{
	if (cmd == KBITS_IOC_AGENT_ATTACH)
		return kbits_dev_ioctl(file, cmd, arg);
	return compat_ptr_ioctl(file, cmd, arg);
}
#else
#define kbits_dev_compat_ioctl NULL
#endif

static const struct file_operations kbits_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kbits_dev_ioctl,
	.compat_ioctl = kbits_dev_compat_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kbits_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KBITS_DEVICE_NAME,
	.fops = &kbits_dev_fops,
	.mode = 0666,
};

static int __init kbits_init(void)
{
	int err;

	err = kbits_jobs_init();
	if (err)
		return err;
	err = misc_register(&kbits_misc);
	if (err) {
		kbits_jobs_exit();
		return err;
	}
	kbits_reaper_start();
	return 0;
}

static void __exit kbits_exit(void)
{
	misc_deregister(&kbits_misc);
	kbits_reaper_stop();
	kbits_jobs_exit();
}

module_init(kbits_init);
module_exit(kbits_exit);

MODULE_DESCRIPTION("kbits: a queue of background file-transfer jobs");
MODULE_AUTHOR("The kbits developers");
MODULE_LICENSE("GPL");
