// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_pinbench: the floor under the pin+map rows of `make bench`.
 *
 * It pins a user range the way any vhost-vdpa must at the least
 * (FOLL_LONGTERM | FOLL_WRITE, one page-sized batch per
 * pin_user_pages_fast() call) and unpins it the way a writable mapping
 * must (dirtying the pages), and does nothing else: no IOTLB, no memlock
 * accounting, no device. The page pointer array is allocated in its own,
 * untimed step.
 *
 * debugfs vdpa_pinbench/pin; each open file holds one range:
 *   "a LEN"       allocate room for LEN bytes of page pointers
 *   "p ADDR LEN"  pin [ADDR, ADDR + LEN) of the writer's memory
 *   "u"           unpin it
 * The client times the "p" and "u" writes. Closing the file unpins and
 * frees what it still holds.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

/* Pages per pin_user_pages_fast() call: one page of page pointers. */
#define PINBENCH_BATCH (PAGE_SIZE / sizeof(struct page *))

/**
 * struct pinbench - what one open file holds
 * @lock: serializes the file's commands
 * @pages: room for @room page pointers
 * @room: size of @pages
 * @pinned: pages pinned, at the start of @pages
 */
struct pinbench {
	struct mutex lock;	/* the file's commands, one at a time */
	struct page **pages;
	unsigned long room;
	unsigned long pinned;
};

static struct dentry *pinbench_dir;

static void pinbench_unpin(struct pinbench *pb)
{
	unpin_user_pages_dirty_lock(pb->pages, pb->pinned, true);
	pb->pinned = 0;
}

static int pinbench_alloc(struct pinbench *pb, unsigned long len)
{
	unsigned long npages = len >> PAGE_SHIFT;

	if (pb->pinned)
		return -EBUSY;
	if (!npages || npages > totalram_pages())
		return -EINVAL;
	kvfree(pb->pages);
	pb->room = 0;
	pb->pages = kvmalloc_array(npages, sizeof(*pb->pages), GFP_KERNEL);
	if (!pb->pages)
		return -ENOMEM;
	pb->room = npages;
	return 0;
}

static int pinbench_pin(struct pinbench *pb, unsigned long addr,
			unsigned long len)
{
	unsigned long npages = len >> PAGE_SHIFT;
	long got;

	if (!npages || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(len) ||
	    npages > pb->room)
		return -EINVAL;
	if (pb->pinned)
		return -EBUSY;
	while (pb->pinned < npages) {
		got = pin_user_pages_fast(addr + (pb->pinned << PAGE_SHIFT),
					  min(npages - pb->pinned, PINBENCH_BATCH),
					  FOLL_WRITE | FOLL_LONGTERM,
					  pb->pages + pb->pinned);
		if (got <= 0) {
			pinbench_unpin(pb);
			return got ? got : -EFAULT;
		}
		pb->pinned += got;
		cond_resched();
	}
	return 0;
}

static int pinbench_open(struct inode *inode, struct file *file)
{
	struct pinbench *pb = kzalloc(sizeof(*pb), GFP_KERNEL);

	if (!pb)
		return -ENOMEM;
	mutex_init(&pb->lock);
	file->private_data = pb;
	return 0;
}

static int pinbench_release(struct inode *inode, struct file *file)
{
	struct pinbench *pb = file->private_data;

	pinbench_unpin(pb);
	kvfree(pb->pages);
	mutex_destroy(&pb->lock);
	kfree(pb);
	return 0;
}

static ssize_t pinbench_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct pinbench *pb = file->private_data;
	unsigned long addr, len;
	char buf[64];
	int err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&pb->lock);
	if (sscanf(buf, "a %lu", &len) == 1) {
		err = pinbench_alloc(pb, len);
	} else if (sscanf(buf, "p %lu %lu", &addr, &len) == 2) {
		err = pinbench_pin(pb, addr, len);
	} else if (buf[0] == 'u') {
		pinbench_unpin(pb);
		err = 0;
	} else {
		err = -EINVAL;
	}
	mutex_unlock(&pb->lock);
	if (err)
		return err;
	return count;
}

static const struct file_operations pinbench_fops = {
	.owner = THIS_MODULE,
	.open = pinbench_open,
	.release = pinbench_release,
	.write = pinbench_write,
};

static int __init pinbench_init(void)
{
	pinbench_dir = debugfs_create_dir("vdpa_pinbench", NULL);
	debugfs_create_file("pin", 0200, pinbench_dir, NULL, &pinbench_fops);
	return 0;
}

static void __exit pinbench_exit(void)
{
	debugfs_remove_recursive(pinbench_dir);
}

module_init(pinbench_init);
module_exit(pinbench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Bench-only floor for user page pinning (make bench)");
