// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_sim VA mode (module parameter use_va): a device created in it has
 * use_va set and takes whole tables through set_map, and its tables map
 * IOVAs to virtual addresses of the process bind_mm named, as a device
 * that works on its user's address space does. vhost_vdpa binds its
 * owner's mm at SET_OWNER and unbinds it when it lets the device go.
 *
 * The datapath reaches a page of that mm by pinning it (FOLL_PIN, which
 * Documentation/core-api/pin_user_pages.rst asks of code that writes a
 * page's contents), faulting it in when it is not present. A pin lasts
 * until the batch ends: a request's segments are used until it is pushed,
 * which happens in the batch that popped it, and the rings keep
 * translations only within a batch. At the end the rings forget them and
 * every pin goes, each written page marked dirty. Between batches nothing
 * of the owner's is held: it may move or free its memory, and the device
 * sees what is there at the next batch, or faults.
 *
 * Locks: pinning takes the mm's mmap_lock inside vdpasim.lock. Nothing
 * takes vdpasim.lock inside an mmap_lock: the doorbell fault, which runs
 * under mmap_lock, takes only vdpasim.bells_lock (vdpa_sim.h).
 */
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "vdpa_sim.h"

/*
 * Pages one batch may hold pinned. A page pinned already in the batch is
 * found among the last VDPASIM_VA_REUSE pins and not pinned again, so a
 * batch needs about one pin per page it reaches; past the limit its
 * translations fail (the device then needs a reset).
 */
#define VDPASIM_VA_MAX_PINS 65536
#define VDPASIM_VA_REUSE 16

/**
 * vdpasim_bind_mm() - &vdpa_config_ops.bind_mm: translate through @mm
 * @vdpa: the device
 * @mm: the address space whose virtual addresses its tables hold
 *
 * Context: process context; takes vdpasim.lock.
 * Return: 0, or -EBUSY when an address space is bound already.
 */
int vdpasim_bind_mm(struct vdpa_device *vdpa, struct mm_struct *mm)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	int err = 0;

	mutex_lock(&sim->lock);
	if (sim->mm) {
		err = -EBUSY;
	} else {
		/* The mm_struct stays; its pages only while a batch holds a user. */
		mmgrab(mm);
		sim->mm = mm;
		sim->binds++;
	}
	mutex_unlock(&sim->lock);
	return err;
}

/**
 * vdpasim_unbind_mm() - &vdpa_config_ops.unbind_mm: forget the bound mm
 * @vdpa: the device
 *
 * No batch is running once vdpasim.lock is taken, and the next finds no
 * address space: its translations fault.
 *
 * Context: process context; takes vdpasim.lock.
 */
void vdpasim_unbind_mm(struct vdpa_device *vdpa)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct mm_struct *mm;

	mutex_lock(&sim->lock);
	mm = sim->mm;
	sim->mm = NULL;
	if (mm)
		sim->unbinds++;
	mutex_unlock(&sim->lock);
	if (mm)
		mmdrop(mm);
}

/**
 * vdpasim_va_begin() - a batch starts: hold the bound mm's pages
 * @sim: the device
 *
 * Context: vdpasim.lock held.
 * Return: the mm the batch holds a user reference on, for the caller to
 * mmput() once it dropped vdpasim.lock, or NULL: not in VA mode, nothing
 * bound, or its owner gone (translations then fault).
 */
struct mm_struct *vdpasim_va_begin(struct vdpasim *sim)
{
	lockdep_assert_held(&sim->lock);
	if (!sim->va || !sim->mm || !mmget_not_zero(sim->mm))
		return NULL;
	sim->batch_mm = sim->mm;
	return sim->mm;
}

/**
 * vdpasim_va_end() - a batch ends: drop its pins
 * @sim: the device; the rings have forgotten their translations
 *
 * Context: vdpasim.lock held.
 */
void vdpasim_va_end(struct vdpasim *sim)
{
	u32 i;

	lockdep_assert_held(&sim->lock);
	for (i = 0; i < sim->npins; i++)
		unpin_user_pages_dirty_lock(&sim->pins[i].page, 1, sim->pins[i].write);
	sim->unpinned += sim->npins;
	sim->npins = 0;
	sim->batch_mm = NULL;
}

/* Room for twice the pins; the array only grows, and goes with the device. */
static int vdpasim_va_grow(struct vdpasim *sim)
{
	u32 max = sim->max_pins ? 2 * sim->max_pins : 64;
	struct vdpasim_va_pin *pins;

	if (max > VDPASIM_VA_MAX_PINS)
		return -ENOMEM;
	pins = krealloc_array(sim->pins, max, sizeof(*pins), GFP_KERNEL);
	if (!pins)
		return -ENOMEM;
	sim->pins = pins;
	sim->max_pins = max;
	return 0;
}

/**
 * vdpasim_va_translate() - a virtual address of the bound mm to a kernel
 * address, for the rest of the batch
 * @sim: the device
 * @uaddr: the user virtual address the table gave
 * @len: bytes wanted (nonzero)
 * @write: the device writes
 * @va: set to the kernel address of @uaddr
 *
 * A page that is not present is faulted in with vdpasim.lock held: on a
 * file whose faults wait on userspace (FUSE, userfaultfd's missing pages
 * are refused) the device's config ops wait as long, and so does removal,
 * as VDUSE's calls wait for its daemon.
 *
 * Context: vdpasim.lock held, inside a batch; sleeps (faults pages in).
 * Return: bytes from @va (1 to @len, within @uaddr's page), -EFAULT
 * when no batch holds the mm or @uaddr is not mapped as the access
 * needs, -ENOMEM when the batch has too many pages pinned.
 */
long vdpasim_va_translate(struct vdpasim *sim, u64 uaddr, u64 len, bool write, void **va)
{
	struct mm_struct *mm = sim->batch_mm;
	struct page *page;
	long n;

	unsigned long pfn_addr = uaddr & PAGE_MASK;
	u32 i;

	lockdep_assert_held(&sim->lock);
	might_sleep();
	if (!mm)
		return -EFAULT;
	for (i = sim->npins; i > 0 && i + VDPASIM_VA_REUSE > sim->npins; i--) {
		struct vdpasim_va_pin *pin = &sim->pins[i - 1];

		if (pin->uaddr == pfn_addr && (pin->write || !write)) {
			page = pin->page;
			goto found;
		}
	}
	if (sim->npins == sim->max_pins) {
		n = vdpasim_va_grow(sim);
		if (n)
			return n;
	}
	mmap_read_lock(mm);
	n = pin_user_pages_remote(mm, uaddr, 1, write ? FOLL_WRITE : 0, &page, NULL);
	mmap_read_unlock(mm);
	if (n != 1)
		return -EFAULT;
	sim->pins[sim->npins].page = page;
	sim->pins[sim->npins].uaddr = pfn_addr;
	sim->pins[sim->npins].write = write;
	sim->npins++;
	sim->pinned++;
	/* A highmem page has no lasting kernel address (32-bit kernels). */
	if (PageHighMem(page))
		return -EFAULT;
found:
	*va = page_address(page) + offset_in_page(uaddr);
	return min_t(u64, len, PAGE_SIZE - offset_in_page(uaddr));
}

/**
 * vdpasim_va_free() - release what VA mode holds when the device goes
 * @sim: the device
 *
 * A bus driver unbinds before it lets the device go; one that did not
 * leaves the mm_struct to be dropped here.
 *
 * Context: process context; no batch can run any more.
 */
void vdpasim_va_free(struct vdpasim *sim)
{
	if (sim->mm) {
		dev_warn(&sim->vdpa.dev, "freed with an address space still bound\n");
		mmdrop(sim->mm);
		sim->mm = NULL;
	}
	kfree(sim->pins);
	sim->pins = NULL;
}

static int vdpasim_va_show(struct seq_file *m, void *unused)
{
	struct vdpasim *sim = m->private;

	mutex_lock(&sim->lock);
	seq_printf(m, "bound %d\nbinds %u\nunbinds %u\npinned %llu\nunpinned %llu\n", !!sim->mm,
		   sim->binds, sim->unbinds, sim->pinned, sim->unpinned);
	mutex_unlock(&sim->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vdpasim_va);

/**
 * vdpasim_va_debugfs_init() - "va" in the device's debugfs directory
 * @sim: the device, in VA mode
 * @dir: the directory
 *
 * "bound 0|1", how many times bind_mm and unbind_mm bound and unbound an
 * address space (a test's view of the bus driver's calls), and how many
 * pages the datapath pinned and unpinned since the device was made.
 */
void vdpasim_va_debugfs_init(struct vdpasim *sim, struct dentry *dir)
{
	debugfs_create_file("va", 0400, dir, sim, &vdpasim_va_fops);
}
