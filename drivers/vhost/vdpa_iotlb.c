// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_vdpa address spaces: the owner's IOTLB messages, pinning and
 * accounting of its memory, and programming the parent's translation.
 * The rules are in Documentation/vhost-vdpa.rst; in short:
 *
 * - An address space's vhost_iotlb is its pinned set: one entry per
 *   physically contiguous run of pinned pages, charged exactly that many
 *   pages to the owner's pinned_vm when pinned and uncharged when
 *   unpinned. The same page mapped twice is pinned and charged twice.
 * - Pages leave the table before they are unpinned, and are unpinned only
 *   once the device no longer translates to them. Pages that left the
 *   table but may still be in the device's translation (inside a batch,
 *   or after a failed set_map) wait on the address space's limbo list.
 * - While vhost_vdpa owns a device, an address space nobody mapped
 *   translates nothing (never the parent's identity default).
 * - VA mode (use_va parents, e.g. VDUSE): nothing is pinned or charged.
 *   An entry is a range of user addresses (addr) backed by a shared file
 *   mapping, and holds a reference to that file and its offset (opaque, a
 *   struct vdpa_map_file), which the parent's userspace end maps in turn.
 *
 * Context for everything here: vhost_vdpa.lock held, but for
 * vhost_vdpa_iotlb_read_msg() (no lock), vhost_vdpa_iotlb_write() (takes
 * the locks) and an UPDATE's pinning (vhost_vdpa_pin()) or, in VA mode,
 * its reading of the owner's mappings (vhost_vdpa_va_find()), which run
 * under vhost_vdpa.iotlb_lock only.
 */
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vhost_iotlb.h>

#include "vhost_vdpa.h"

/*
 * Entries per address space. A guest backed by 4K pages with no physical
 * contiguity needs one per page: the default allows 4 GiB of those (about
 * 100 MiB of metadata). Hugepages and contiguous memory need far fewer.
 */
static unsigned int max_entries = 1U << 20;
module_param(max_entries, uint, 0444);
MODULE_PARM_DESC(max_entries, "most IOTLB entries per address space (default 1048576)");

/* Pages to pin per pin_user_pages_fast() call: a page of page pointers. */
#define VHOST_VDPA_PIN_BATCH (PAGE_SIZE / sizeof(struct page *))

/**
 * struct vhost_vdpa_limbo_run - pinned pages no longer mapped in our table
 * @pa: physical address of the first page (VA mode: user address)
 * @npages: number of pages, all charged (VA mode: none)
 * @perm: VHOST_MAP_* permission they were pinned with
 * @opaque: VA mode: the entry's struct vdpa_map_file; else NULL
 */
struct vhost_vdpa_limbo_run {
	u64 pa;
	u64 npages;
	u32 perm;
	void *opaque;
};

/**
 * struct vhost_vdpa_limbo - a page of limbo runs
 * @node: on &vhost_vdpa_as.limbo
 * @n: runs in use
 * @run: the runs
 *
 * An unmap of a guest on 4 KiB pages puts one run per page in limbo: a
 * page holds 127 of them, so that costs no allocation per page.
 */
struct vhost_vdpa_limbo {
	struct list_head node;
	u32 n;
	struct vhost_vdpa_limbo_run run[] __counted_by(n);
};

#define VHOST_VDPA_LIMBO_RUNS \
	((PAGE_SIZE - sizeof(struct vhost_vdpa_limbo)) / sizeof(struct vhost_vdpa_limbo_run))

bool vhost_vdpa_backend_has(const struct vhost_vdpa *v, unsigned int bit)
{
	return v->backend_features & BIT_ULL(bit);
}

static const struct vdpa_config_ops *vhost_vdpa_ops(struct vhost_vdpa *v)
{
	return v->vdpa->config;
}

int vhost_vdpa_iotlb_init(struct vhost_vdpa *v)
{
	u32 i;

	/* The limit bounds each table (vhost_iotlb takes none of 0 here). */
	if (!max_entries)
		return -EINVAL;
	v->as = kcalloc(v->nas, sizeof(*v->as), GFP_KERNEL);
	if (!v->as)
		return -ENOMEM;
	for (i = 0; i < v->nas; i++) {
		INIT_LIST_HEAD(&v->as[i].limbo);
		INIT_LIST_HEAD(&v->as[i].spare);
	}
	return 0;
}

void vhost_vdpa_iotlb_free(struct vhost_vdpa *v)
{
	u32 i;

	if (!v->as)
		return;
	/* Tables are emptied when the file is released or the device goes. */
	for (i = 0; i < v->nas; i++)
		WARN_ON_ONCE(v->as[i].iotlb);
	kfree(v->as);
}

static void vhost_vdpa_unpin(struct vhost_vdpa *v, u64 pa, u64 npages, u32 perm)
{
	unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(pa)), npages,
					 perm & VHOST_MAP_WO);
	atomic64_sub(npages, &v->owner->pinned_vm);
}

static void vhost_vdpa_map_file_put(void *opaque)
{
	struct vdpa_map_file *mf = opaque;

	fput(mf->file);
	kfree(mf);
}

/*
 * Give back what an entry or a limbo run holds once the device cannot
 * reach it: its pins and charge, or in VA mode its file.
 */
static void vhost_vdpa_give_back(struct vhost_vdpa *v, u64 pa, u64 npages, u32 perm,
				 void *opaque)
{
	if (v->va)
		vhost_vdpa_map_file_put(opaque);
	else
		vhost_vdpa_unpin(v, pa, npages, perm);
}

/*
 * Charge @npages to @mm's pinned_vm if that stays within @limit, as one
 * atomic step: every device and every thread of the owner charges the
 * same counter, so a check and a later add could together pass the limit.
 * (account_locked_vm() does this for locked_vm under mmap_lock; pinned_vm
 * is an atomic, so a compare-and-exchange is enough.)
 */
static bool vhost_vdpa_charge(struct mm_struct *mm, u64 npages, u64 limit)
{
	s64 cur = atomic64_read(&mm->pinned_vm);

	do {
		if (WARN_ON_ONCE(cur < 0) || npages > limit || cur > limit - npages)
			return false;
	} while (!atomic64_try_cmpxchg(&mm->pinned_vm, &cur, cur + npages));
	return true;
}

/*
 * Per-range translation: the parent's dma_map/dma_unmap, or, for a parent
 * with neither map op, our own IOMMU domain (vdpa_domain.c), which takes
 * and gives back runs the same way. Everything below that says "dma_map
 * parent" covers both.
 */
static int vhost_vdpa_dev_map(struct vhost_vdpa *v, u32 asid, u64 iova, u64 size, u64 pa,
			      u32 perm)
{
	if (v->domain.dma_dev)
		return vhost_vdpa_domain_map(v, iova, size, pa, perm);
	return vhost_vdpa_ops(v)->dma_map(v->vdpa, asid, iova, size, pa, perm, NULL);
}

static int vhost_vdpa_dev_unmap(struct vhost_vdpa *v, u32 asid, u64 iova, u64 size)
{
	if (v->domain.dma_dev)
		return vhost_vdpa_domain_unmap(v, iova, size);
	return vhost_vdpa_ops(v)->dma_unmap(v->vdpa, asid, iova, size);
}

/* Release what a table entry holds (it is out of the device's reach). */
static void vhost_vdpa_entry_release(struct vhost_vdpa *v, struct vhost_iotlb_map *map)
{
	vhost_vdpa_give_back(v, map->addr, map->size >> PAGE_SHIFT, map->perm, map->opaque);
}

static void vhost_vdpa_limbo_release(struct vhost_vdpa *v, struct vhost_vdpa_as *as)
{
	struct vhost_vdpa_limbo *l, *tmp;
	u32 i;

	list_for_each_entry_safe(l, tmp, &as->limbo, node) {
		for (i = 0; i < l->n; i++)
			vhost_vdpa_give_back(v, l->run[i].pa, l->run[i].npages, l->run[i].perm,
					     l->run[i].opaque);
		list_del(&l->node);
		kfree(l);
		cond_resched();
	}
}

/* Runs waiting in @as's limbo. */
static u64 vhost_vdpa_limbo_runs(struct vhost_vdpa_as *as)
{
	struct vhost_vdpa_limbo *l;
	u64 n = 0;

	list_for_each_entry(l, &as->limbo, node)
		n += l->n;
	return n;
}

static void vhost_vdpa_spare_free(struct vhost_vdpa_as *as)
{
	struct vhost_vdpa_limbo *l, *tmp;

	list_for_each_entry_safe(l, tmp, &as->spare, node) {
		list_del(&l->node);
		kfree(l);
	}
}

/*
 * Set aside limbo pages for the entries now in [start, last], before a
 * change the device may refuse. Return: 0 or -ENOMEM, with nothing lost.
 */
static int vhost_vdpa_limbo_reserve(struct vhost_vdpa_as *as, u64 start, u64 last)
{
	struct vhost_vdpa_limbo *l;
	struct vhost_iotlb_map *map;
	u64 runs = 0, room = 0;

	for (map = vhost_iotlb_itree_first(as->iotlb, start, last); map;
	     map = vhost_iotlb_itree_next(map, start, last))
		runs++;
	if (!list_empty(&as->limbo)) {
		l = list_last_entry(&as->limbo, struct vhost_vdpa_limbo, node);
		room = VHOST_VDPA_LIMBO_RUNS - l->n;
	}
	list_for_each_entry(l, &as->spare, node)
		room += VHOST_VDPA_LIMBO_RUNS;
	while (room < runs) {
		l = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
		if (!l)
			return -ENOMEM;
		list_add(&l->node, &as->spare);
		room += VHOST_VDPA_LIMBO_RUNS;
	}
	return 0;
}

/*
 * Move the entries in [start, last] out of the table into limbo: still
 * pinned and charged, until the device is known not to translate to them.
 * Returns -ENOMEM if some could not be moved; those stay in the table.
 */
static int vhost_vdpa_range_to_limbo(struct vhost_vdpa *v, struct vhost_vdpa_as *as,
				     u64 start, u64 last)
{
	struct vhost_vdpa_limbo_run *r;
	struct vhost_vdpa_limbo *l;
	struct vhost_iotlb_map *map;

	while ((map = vhost_iotlb_itree_first(as->iotlb, start, last))) {
		l = list_empty(&as->limbo) ? NULL :
		    list_last_entry(&as->limbo, struct vhost_vdpa_limbo, node);
		if (!l || l->n == VHOST_VDPA_LIMBO_RUNS) {
			l = list_first_entry_or_null(&as->spare, struct vhost_vdpa_limbo, node);
			if (l)
				list_del(&l->node);
			else
				l = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
			if (!l)
				return -ENOMEM;
			l->n = 0;
			list_add_tail(&l->node, &as->limbo);
		}
		l->n++;
		r = &l->run[l->n - 1];
		r->pa = map->addr;
		r->npages = map->size >> PAGE_SHIFT;
		r->perm = map->perm;
		r->opaque = map->opaque;
		vhost_iotlb_map_free(as->iotlb, map);
		cond_resched();
	}
	return 0;
}

/*
 * Our IOMMU domain translates nothing once every run the table holds is
 * unmapped, each as it was mapped (an IOMMU unmaps only what it mapped,
 * stopping at holes). Runs of a stale table are not mapped; a domain
 * never refuses an unmap, so limbo holds nothing mapped there.
 */
static int vhost_vdpa_domain_empty(struct vhost_vdpa *v, struct vhost_vdpa_as *as)
{
	struct vhost_iotlb_map *map;

	/* Detached (close, removal): nothing of the table is reachable. */
	if (!v->domain.iommu || !as->iotlb || as->stale)
		return 0;
	for (map = vhost_iotlb_itree_first(as->iotlb, 0, U64_MAX); map;
	     map = vhost_iotlb_itree_next(map, 0, U64_MAX)) {
		vhost_vdpa_domain_unmap(v, map->start, map->size);
		cond_resched();
	}
	return 0;
}

/**
 * vhost_vdpa_device_map_empty() - make the device translate nothing in @asid
 * @v: the device
 * @asid: the address space
 *
 * Return: 0 or the parent's -errno.
 */
int vhost_vdpa_device_map_empty(struct vhost_vdpa *v, u32 asid)
{
	const struct vdpa_config_ops *ops = vhost_vdpa_ops(v);
	struct vhost_iotlb *empty;
	int err;

	lockdep_assert_held(&v->lock);
	if (v->domain.dma_dev)
		return vhost_vdpa_domain_empty(v, &v->as[asid]);
	if (!ops->set_map)
		return ops->dma_unmap(v->vdpa, asid, 0, U64_MAX);
	empty = vhost_iotlb_alloc(1, 0);
	if (!empty)
		return -ENOMEM;
	err = ops->set_map(v->vdpa, asid, empty);
	vhost_iotlb_free(empty);
	return err;
}

/*
 * A dma_map parent lost (or may lack) part of the table: empty its
 * translation and remember to give it the whole table again. Only a
 * device known to be empty is marked stale, since stale pages are unpinned
 * without asking the device.
 */
static void vhost_vdpa_dma_lost(struct vhost_vdpa *v, u32 asid)
{
	v->as[asid].stale = !vhost_vdpa_device_map_empty(v, asid);
}

/*
 * Bring the device's translation of @asid up to the table: the whole
 * table for set_map parents; for dma_map parents only after a reset
 * emptied it (each change is mapped as it is made). Pages in limbo are
 * released once the device no longer has them.
 */
static int vhost_vdpa_as_program(struct vhost_vdpa *v, u32 asid)
{
	const struct vdpa_config_ops *ops = vhost_vdpa_ops(v);
	struct vhost_vdpa_as *as = &v->as[asid];
	struct vhost_iotlb_map *map;
	int err = 0;

	if (ops->set_map) {
		err = ops->set_map(v->vdpa, asid, as->iotlb);
	} else if (as->stale) {
		for (map = vhost_iotlb_itree_first(as->iotlb, 0, U64_MAX); map && !err;
		     map = vhost_iotlb_itree_next(map, 0, U64_MAX))
			err = vhost_vdpa_dev_map(v, asid, map->start, map->size,
						 map->addr, map->perm);
		if (err)
			vhost_vdpa_dma_lost(v, asid);
	}
	if (err) {
		dev_err_ratelimited(&v->dev, "address space %u: the device refused the map: %d\n",
				    asid, err);
		return err;
	}
	as->stale = false;
	as->in_batch = false;
	vhost_vdpa_limbo_release(v, as);
	vhost_vdpa_spare_free(as);
	return 0;
}

/* Program now every address space a batch changed (set_map parents). */
static void vhost_vdpa_batch_flush(struct vhost_vdpa *v)
{
	u32 asid;

	lockdep_assert_held(&v->lock);
	for (asid = 0; asid < v->nas; asid++)
		if (v->as[asid].in_batch)
			vhost_vdpa_as_program(v, asid);
}

/* Forget the entries in [start, last], unpinning them now. */
static void vhost_vdpa_remove_range(struct vhost_vdpa *v, struct vhost_vdpa_as *as,
				    u64 start, u64 last)
{
	struct vhost_iotlb_map *map;

	while ((map = vhost_iotlb_itree_first(as->iotlb, start, last))) {
		vhost_vdpa_entry_release(v, map);
		vhost_iotlb_map_free(as->iotlb, map);
		cond_resched();
	}
}

/*
 * Enter a run of pinned pages, already charged, at @iova. On failure the
 * pages are unpinned (their charge stays with the caller).
 */
static int vhost_vdpa_add_run(struct vhost_vdpa_as *as, u64 iova, unsigned long pfn,
			      u64 npages, u32 perm)
{
	int err = -ENOSPC;

	/* vhost_iotlb enforces its limit only for retiring tables. */
	if (as->iotlb->nmaps < as->iotlb->limit)
		err = vhost_iotlb_add_range(as->iotlb, iova, iova + (npages << PAGE_SHIFT) - 1,
					    PFN_PHYS(pfn), perm);
	if (err)
		unpin_user_page_range_dirty_lock(pfn_to_page(pfn), npages, false);
	return err;
}

/**
 * struct vhost_vdpa_pin_state - an UPDATE's pinning, between windows
 * @iova: where the next page pinned goes
 * @run_iova: start of the run pinned but not entered yet
 * @run_pfn: its first page frame
 * @run_len: its pages (0: none)
 * @entered: pages entered in the table so far
 */
struct vhost_vdpa_pin_state {
	u64 iova;
	u64 run_iova;
	unsigned long run_pfn;
	u64 run_len;
	u64 entered;
};

/*
 * Enter the runs that @pages (@n pinned pages, following the open run)
 * complete; the last run stays open, as the next window may extend it.
 * Pages that could not be entered are unpinned.
 */
static int vhost_vdpa_enter_window(struct vhost_vdpa *v, struct vhost_vdpa_as *as,
				   struct vhost_vdpa_pin_state *ps, struct page **pages,
				   long n, u32 perm)
{
	unsigned long pfn;
	long i;
	int err;

	lockdep_assert_held(&v->lock);
	for (i = 0; i < n; i++, ps->iova += PAGE_SIZE) {
		pfn = page_to_pfn(pages[i]);
		if (ps->run_len && pfn == ps->run_pfn + ps->run_len) {
			ps->run_len++;
			continue;
		}
		if (ps->run_len) {
			err = vhost_vdpa_add_run(as, ps->run_iova, ps->run_pfn, ps->run_len, perm);
			if (err) {
				ps->run_len = 0;
				unpin_user_pages(pages + i, n - i);
				return err;
			}
			ps->entered += ps->run_len;
		}
		ps->run_pfn = pfn;
		ps->run_len = 1;
		ps->run_iova = ps->iova;
	}
	return 0;
}

/*
 * Pin the owner's [uaddr, uaddr + npages pages) and enter it at @iova as
 * runs of physically contiguous pages; the caller charged all @npages to
 * @mm, the owner's (current's) mm.
 *
 * Pinning may fault on memory that userspace serves slowly (userfaultfd,
 * FUSE), so it runs without vhost_vdpa.lock, a window of pages at a time,
 * each entered under the lock; vhost_vdpa.iotlb_lock keeps other IOTLB
 * messages out meanwhile. Removal can come between two windows; the rest
 * then fails with -ENODEV.
 *
 * Return: 0 with every page entered, or -errno with nothing of the range
 * pinned, entered or charged any more.
 */
static int vhost_vdpa_pin(struct vhost_vdpa *v, struct mm_struct *mm, u32 asid, u64 iova,
			  u64 uaddr, u64 npages, u32 perm)
{
	unsigned int gup_flags = FOLL_LONGTERM | ((perm & VHOST_MAP_WO) ? FOLL_WRITE : 0);
	struct vhost_vdpa_pin_state ps = { .iova = iova };
	struct vhost_vdpa_as *as = &v->as[asid];
	u64 done = 0, last = iova + (npages << PAGE_SHIFT) - 1;
	struct page **pages;
	long n;
	int err = 0;

	lockdep_assert_held(&v->iotlb_lock);
	pages = (struct page **)__get_free_page(GFP_KERNEL);
	if (!pages)
		err = -ENOMEM;
	while (!err && done < npages) {
		/* A large UPDATE of resident memory never faults: stay killable. */
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
		n = pin_user_pages_fast(uaddr + (done << PAGE_SHIFT),
					min_t(u64, npages - done, VHOST_VDPA_PIN_BATCH),
					gup_flags, pages);
		if (n <= 0) {
			err = n ? n : -EFAULT;
			break;
		}
		mutex_lock(&v->lock);
		if (!v->vdpa) {
			unpin_user_pages(pages, n);
			err = -ENODEV;
		} else {
			err = vhost_vdpa_enter_window(v, as, &ps, pages, n, perm);
		}
		mutex_unlock(&v->lock);
		done += n;
	}
	free_page((unsigned long)pages);

	mutex_lock(&v->lock);
	if (ps.run_len && !err && v->vdpa) {
		err = vhost_vdpa_add_run(as, ps.run_iova, ps.run_pfn, ps.run_len, perm);
		if (!err)
			ps.entered += ps.run_len;
	} else if (ps.run_len) {
		unpin_user_page_range_dirty_lock(pfn_to_page(ps.run_pfn), ps.run_len, false);
		err = err ?: -ENODEV;
	}
	if (err) {
		/* Never programmed: the device cannot reach any of it. */
		if (v->vdpa) {
			struct vhost_iotlb_map *map;

			while ((map = vhost_iotlb_itree_first(as->iotlb, iova, last))) {
				unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(map->addr)),
								 map->size >> PAGE_SHIFT, false);
				vhost_iotlb_map_free(as->iotlb, map);
				cond_resched();
			}
		}
		/* Removal uncharged what it found entered; so did the loop, here. */
		atomic64_sub(v->vdpa ? npages : npages - ps.entered, &mm->pinned_vm);
	}
	mutex_unlock(&v->lock);
	return err;
}

static bool vhost_vdpa_in_iova_range(struct vhost_vdpa *v, u64 iova, u64 last)
{
	const struct vdpa_config_ops *ops = vhost_vdpa_ops(v);
	struct vdpa_iova_range range;

	if (v->domain.dma_dev)
		return vhost_vdpa_domain_allows(v, iova, last);
	if (!ops->get_iova_range)
		return true;
	range = ops->get_iova_range(v->vdpa);
	return iova >= range.first && last <= range.last;
}

/*
 * Undo dma_map of the table's runs in [start, end): unmapped from the
 * device one by one as they were mapped, then unpinned. A run the device
 * refuses to give back stays pinned: in limbo, or if even that fails, in
 * the table, where INVALIDATE or close finds it again.
 */
static void vhost_vdpa_dma_rollback(struct vhost_vdpa *v, u32 asid, u64 start, u64 end)
{
	struct vhost_vdpa_as *as = &v->as[asid];
	struct vhost_iotlb_map *map;
	u64 pos = start;

	while (pos < end && (map = vhost_iotlb_itree_first(as->iotlb, pos, end - 1))) {
		pos = map->last + 1;
		if (!vhost_vdpa_dev_unmap(v, asid, map->start, map->size)) {
			vhost_vdpa_entry_release(v, map);
			vhost_iotlb_map_free(as->iotlb, map);
			continue;
		}
		dev_err_ratelimited(&v->dev, "address space %u: the device kept [%#llx, %#llx]\n",
				    asid, map->start, map->last);
		vhost_vdpa_range_to_limbo(v, as, map->start, map->last);
	}
}

/* Whether the caller may send IOTLB messages for @asid now. */
static int vhost_vdpa_iotlb_check(struct vhost_vdpa *v, u32 asid)
{
	lockdep_assert_held(&v->lock);
	if (!v->owner || v->owner != current->mm)
		return -EPERM;
	if (asid && !vhost_vdpa_backend_has(v, VHOST_BACKEND_F_IOTLB_ASID))
		return -EINVAL;
	return 0;
}

/*
 * IOTLB UPDATE, first step (vhost_vdpa.lock held): check the message,
 * that the range is free, and charge its pages to the owner.
 */
static int vhost_vdpa_map_begin(struct vhost_vdpa *v, u32 asid, const struct vhost_iotlb_msg *msg)
{
	u64 last = msg->iova + msg->size - 1, npages = msg->size >> PAGE_SHIFT;
	struct vhost_vdpa_as *as;
	u64 limit;

	lockdep_assert_held(&v->lock);
	if (!msg->size || asid >= v->nas || !msg->perm || (msg->perm & ~VHOST_ACCESS_RW) ||
	    last < msg->iova || msg->uaddr + msg->size - 1 < msg->uaddr)
		return -EINVAL;
	/* Pinning works in pages; a VMM maps whole pages anyway. */
	if (!PAGE_ALIGNED(msg->iova) || !PAGE_ALIGNED(msg->size) ||
	    !PAGE_ALIGNED(msg->uaddr))
		return -EINVAL;
	if (!vhost_vdpa_in_iova_range(v, msg->iova, last))
		return -EINVAL;

	/* @asid comes from userspace: no speculative index past the check. */
	asid = array_index_nospec(asid, v->nas);
	as = &v->as[asid];
	if (!as->iotlb) {
		as->iotlb = vhost_iotlb_alloc(max_entries, 0);
		if (!as->iotlb)
			return -ENOMEM;
	}
	/* Only IOTLB messages enter ranges, and they are held off until the end. */
	if (vhost_iotlb_itree_first(as->iotlb, msg->iova, last))
		return -EEXIST;
	/*
	 * VA mode pins nothing (file references keep the memory): a batch's
	 * limbo, which holds those references, is bounded by max_entries
	 * instead, counted with the table.
	 */
	if (v->va) {
		if (as->iotlb->nmaps + vhost_vdpa_limbo_runs(as) < max_entries)
			return 0;
		vhost_vdpa_batch_flush(v);
		return as->iotlb->nmaps + vhost_vdpa_limbo_runs(as) < max_entries ? 0 : -ENOSPC;
	}
	/*
	 * A batch that remaps memory it invalidated holds both until
	 * BATCH_END. Over the limit with pages in a batch's limbo, the device
	 * gets the table as it stands now, so they go before more are pinned:
	 * limbo never lets the owner past its limit.
	 */
	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	if (!vhost_vdpa_charge(v->owner, npages, limit)) {
		vhost_vdpa_batch_flush(v);
		if (!vhost_vdpa_charge(v->owner, npages, limit))
			return -ENOMEM;
	}
	return 0;
}

/*
 * IOTLB UPDATE, last step (vhost_vdpa.lock held): the range is pinned and
 * in the table; program the device, or take the range out again.
 */
static int vhost_vdpa_map_commit(struct vhost_vdpa *v, u32 asid,
				 const struct vhost_iotlb_msg *msg)
{
	const struct vdpa_config_ops *ops = vhost_vdpa_ops(v);
	u64 last = msg->iova + msg->size - 1;
	struct vhost_vdpa_as *as = &v->as[asid];
	struct vhost_iotlb_map *map;
	int err = 0, ret;

	lockdep_assert_held(&v->lock);
	if (ops->set_map || as->stale) {
		if (ops->set_map && v->in_batch) {
			as->in_batch = true;
			return 0;
		}
		/*
		 * A refused program leaves the device's translation unknown:
		 * the new pages then wait in limbo, which is set aside first
		 * so that they never have to be unpinned after the device saw
		 * them.
		 */
		err = vhost_vdpa_limbo_reserve(as, msg->iova, last);
		if (err) {
			vhost_vdpa_remove_range(v, as, msg->iova, last);
			return err;
		}
		err = vhost_vdpa_as_program(v, asid);
		if (!err)
			return 0;
		/* A dma_map parent found refusing was emptied: nothing reaches them. */
		if (!ops->set_map && as->stale) {
			vhost_vdpa_remove_range(v, as, msg->iova, last);
			return err;
		}
		/* Cannot fail: the pages it needs were set aside above. */
		ret = vhost_vdpa_range_to_limbo(v, as, msg->iova, last);
		WARN_ON_ONCE(ret);
		return err;
	}
	for (map = vhost_iotlb_itree_first(as->iotlb, msg->iova, last); map;
	     map = vhost_iotlb_itree_next(map, msg->iova, last)) {
		err = vhost_vdpa_dev_map(v, asid, map->start, map->size, map->addr, map->perm);
		if (err)
			break;
	}
	if (!err)
		return 0;
	/*
	 * Take back exactly the runs the device took, each as it was given:
	 * a parent may know nothing of a range it was never handed whole.
	 * The run that failed and those after it never reached the device.
	 */
	vhost_vdpa_dma_rollback(v, asid, msg->iova, map->start);
	vhost_vdpa_remove_range(v, as, map->start, last);
	return err;
}

/**
 * struct vhost_vdpa_va_piece - a file-backed piece of a VA-mode UPDATE
 * @node: on the UPDATE's list
 * @uaddr: its first user address
 * @len: its bytes
 * @mf: the file and offset behind it, a reference held
 */
struct vhost_vdpa_va_piece {
	struct list_head node;
	u64 uaddr;
	u64 len;
	struct vdpa_map_file *mf;
};

static void vhost_vdpa_va_pieces_free(struct list_head *pieces)
{
	struct vhost_vdpa_va_piece *p, *tmp;

	list_for_each_entry_safe(p, tmp, pieces, node) {
		if (p->mf)
			vhost_vdpa_map_file_put(p->mf);
		list_del(&p->node);
		kfree(p);
	}
}

/*
 * Find what backs the owner's [uaddr, last]: one piece per shared file
 * mapping, which the parent's userspace end can map too. Anonymous and
 * private pieces are skipped (left unmapped, as 6.12 does: a VMM's private
 * ROM regions must not fail its UPDATE); nothing else could reach them. A
 * hole with no mapping, or a mapping the owner itself may not access as
 * @perm asks, is -EFAULT.
 */
static int vhost_vdpa_va_find(struct mm_struct *mm, u64 uaddr, u64 last, u32 perm,
			      struct list_head *pieces)
{
	struct vhost_vdpa_va_piece *p;
	struct vm_area_struct *vma;
	u64 pos = uaddr, end;
	int err = 0;

	/* Beyond the owner's address space (a 32-bit one): nothing there. */
	if (last >= TASK_SIZE)
		return -EFAULT;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (pos <= last) {
		vma = vma_lookup(mm, pos);
		/* The device gets no more access than the owner has itself. */
		if (!vma || ((perm & VHOST_MAP_RO) && !(vma->vm_flags & VM_READ)) ||
		    ((perm & VHOST_MAP_WO) && !(vma->vm_flags & VM_WRITE))) {
			err = -EFAULT;
			break;
		}
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		end = min_t(u64, vma->vm_end - 1, last);
		/*
		 * Ordinary files only (shmem, memfd, hugetlbfs, regular
		 * files): the parent's userspace end maps them, so never a
		 * device node, a dma-buf or an anonymous inode such as
		 * io_uring's rings.
		 */
		if (vma->vm_file && (vma->vm_flags & VM_SHARED) &&
		    !(vma->vm_flags & (VM_IO | VM_PFNMAP)) &&
		    S_ISREG(file_inode(vma->vm_file)->i_mode)) {
			p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
			if (p)
				p->mf = kmalloc(sizeof(*p->mf), GFP_KERNEL_ACCOUNT);
			if (!p || !p->mf) {
				kfree(p);
				err = -ENOMEM;
				break;
			}
			p->uaddr = pos;
			p->len = end - pos + 1;
			p->mf->file = get_file(vma->vm_file);
			p->mf->offset = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (pos - vma->vm_start);
			list_add_tail(&p->node, pieces);
		}
		if (end == last)
			break;
		pos = end + 1;
	}
	mmap_read_unlock(mm);
	return err;
}

/*
 * VA mode's UPDATE: enter the file-backed pieces of the owner's
 * [uaddr, uaddr + size) at @iova. The mappings are read under the owner's
 * mmap_lock, which is never taken inside vhost_vdpa.lock; the entries are
 * entered under vhost_vdpa.lock once it is dropped.
 *
 * Return: 0, or -errno with nothing entered.
 */
static int vhost_vdpa_va_enter(struct vhost_vdpa *v, struct mm_struct *mm, u32 asid,
			       const struct vhost_iotlb_msg *msg)
{
	u64 last = msg->iova + msg->size - 1;
	struct vhost_vdpa_va_piece *p;
	struct vhost_vdpa_as *as;
	struct vhost_iotlb_map *map;
	LIST_HEAD(pieces);
	u64 iova;
	int err;

	lockdep_assert_held(&v->iotlb_lock);
	err = vhost_vdpa_va_find(mm, msg->uaddr, msg->uaddr + msg->size - 1, msg->perm,
				 &pieces);
	mutex_lock(&v->lock);
	if (!err && !v->vdpa)
		err = -ENODEV;
	as = &v->as[asid];
	list_for_each_entry(p, &pieces, node) {
		if (err)
			break;
		iova = msg->iova + (p->uaddr - msg->uaddr);
		if (as->iotlb->nmaps >= as->iotlb->limit) {
			err = -ENOSPC;
			break;
		}
		err = vhost_iotlb_add_range_ctx(as->iotlb, iova, iova + p->len - 1, p->uaddr,
						msg->perm, p->mf);
		if (!err)
			p->mf = NULL;
	}
	/* Never programmed: the device cannot reach any of it. */
	while (err && v->vdpa && (map = vhost_iotlb_itree_first(as->iotlb, msg->iova, last))) {
		vhost_vdpa_map_file_put(map->opaque);
		vhost_iotlb_map_free(as->iotlb, map);
		cond_resched();
	}
	mutex_unlock(&v->lock);
	vhost_vdpa_va_pieces_free(&pieces);
	return err;
}

/*
 * IOTLB UPDATE: check and charge, pin and enter (without vhost_vdpa.lock,
 * see vhost_vdpa_pin()), program the device.
 */
static int vhost_vdpa_map(struct vhost_vdpa *v, u32 asid, const struct vhost_iotlb_msg *msg)
{
	struct mm_struct *mm = current->mm;
	int err;

	lockdep_assert_held(&v->iotlb_lock);
	mutex_lock(&v->lock);
	err = v->vdpa ? vhost_vdpa_iotlb_check(v, asid) : -ENODEV;
	if (!err)
		err = vhost_vdpa_map_begin(v, asid, msg);
	mutex_unlock(&v->lock);
	if (err)
		return err;
	asid = array_index_nospec(asid, v->nas);
	if (v->va)
		err = vhost_vdpa_va_enter(v, mm, asid, msg);
	else
		err = vhost_vdpa_pin(v, mm, asid, msg->iova, msg->uaddr,
				     msg->size >> PAGE_SHIFT, msg->perm);
	if (err)
		return err;
	mutex_lock(&v->lock);
	err = v->vdpa ? vhost_vdpa_map_commit(v, asid, msg) : -ENODEV;
	if (!err)
		vhost_vdpa_dirty_mapped(v, asid, msg->iova, msg->iova + msg->size - 1, msg->perm);
	mutex_unlock(&v->lock);
	return err;
}

/*
 * Make @addr an entry boundary: an entry spanning it becomes two. Both
 * halves are entered before the whole goes, so a failure changes nothing.
 * The charge stays as it is: the halves' pages add up to the whole's.
 */
static int vhost_vdpa_split(struct vhost_iotlb *iotlb, u64 addr)
{
	struct vhost_iotlb_map *map = vhost_iotlb_itree_first(iotlb, addr, addr);
	struct vdpa_map_file *mf, *tail = NULL;
	u64 head;
	int err;

	if (!map || map->start == addr)
		return 0;
	if (iotlb->nmaps + 2 > iotlb->limit)
		return -ENOSPC;
	head = addr - map->start;
	/* VA mode: the head keeps the entry's file, the tail takes its own. */
	mf = map->opaque;
	if (mf) {
		tail = kmalloc(sizeof(*tail), GFP_KERNEL_ACCOUNT);
		if (!tail)
			return -ENOMEM;
		tail->file = get_file(mf->file);
		tail->offset = mf->offset + head;
	}
	err = vhost_iotlb_add_range_ctx(iotlb, map->start, addr - 1, map->addr, map->perm, mf);
	if (err)
		goto err_tail;
	err = vhost_iotlb_add_range_ctx(iotlb, addr, map->last, map->addr + head, map->perm,
					tail);
	if (err) {
		struct vhost_iotlb_map *half;

		/* Take the head half out again: the entry that is not @map. */
		for (half = vhost_iotlb_itree_first(iotlb, map->start, map->start); half;
		     half = vhost_iotlb_itree_next(half, map->start, map->start))
			if (half != map)
				break;
		vhost_iotlb_map_free(iotlb, half);
		goto err_tail;
	}
	vhost_iotlb_map_free(iotlb, map);
	return 0;

err_tail:
	if (tail)
		vhost_vdpa_map_file_put(tail);
	return err;
}

/* Make @start and @last + 1 entry boundaries, for an unmap of [start, last]. */
static int vhost_vdpa_split_ends(struct vhost_iotlb *iotlb, u64 start, u64 last)
{
	int err = vhost_vdpa_split(iotlb, start);

	if (!err && last != U64_MAX)
		err = vhost_vdpa_split(iotlb, last + 1);
	return err;
}

/*
 * Map the table's entries in [first, last] into a dma_map parent again.
 * If one is refused the device is emptied (vhost_vdpa_dma_lost()).
 */
static int vhost_vdpa_dma_remap(struct vhost_vdpa *v, u32 asid, u64 first, u64 last)
{
	struct vhost_iotlb_map *map;
	int err;

	for (map = vhost_iotlb_itree_first(v->as[asid].iotlb, first, last); map;
	     map = vhost_iotlb_itree_next(map, first, last)) {
		err = vhost_vdpa_dev_map(v, asid, map->start, map->size, map->addr, map->perm);
		if (err) {
			vhost_vdpa_dma_lost(v, asid);
			return err;
		}
	}
	return 0;
}

/*
 * INVALIDATE for dma_map parents, which know ranges only as they were
 * mapped. An entry straddling an end of [start, last] goes back to the
 * device whole, before anything else changes (a refusal changes
 * nothing); then it is split in the table and its outer parts are mapped
 * again (a short gap there, which only the owner's own DMA into a range
 * it is changing can notice). The inner parts are not the device's any
 * more and are unpinned without asking it; other entries are unmapped
 * one by one, and one the device refuses to give back waits in limbo.
 */
static int vhost_vdpa_unmap_dma(struct vhost_vdpa *v, u32 asid, u64 start, u64 last)
{
	struct vhost_vdpa_as *as = &v->as[asid];
	struct vhost_iotlb_map *map;
	/* Straddling entries, as the device knows them; one may straddle both ends. */
	struct { u64 start, last; } ext[2];
	int i, n = 0, err = 0, ret;

	map = vhost_iotlb_itree_first(as->iotlb, start, start);
	if (map && map->start != start)
		ext[n++] = (typeof(ext[0])){ map->start, map->last };
	map = last == U64_MAX ? NULL : vhost_iotlb_itree_first(as->iotlb, last + 1, last + 1);
	if (map && map->start != last + 1 && !(n && ext[0].start == map->start))
		ext[n++] = (typeof(ext[0])){ map->start, map->last };
	/* Each split takes two entries, then gives one back: both must fit. */
	if (n && as->iotlb->nmaps + 3 > as->iotlb->limit)
		return -ENOSPC;

	for (i = 0; i < n && !as->stale; i++) {
		err = vhost_vdpa_dev_unmap(v, asid, ext[i].start, ext[i].last - ext[i].start + 1);
		if (err) {
			/* Undo the first, if it went: then nothing has changed. */
			if (i)
				vhost_vdpa_dma_remap(v, asid, ext[0].start, ext[0].last);
			return err;
		}
	}
	err = vhost_vdpa_split_ends(as->iotlb, start, last);
	if (err) {
		/* Whole or split, the device gets back what the table holds. */
		for (i = 0; i < n && !as->stale; i++)
			if (vhost_vdpa_dma_remap(v, asid, ext[i].start, ext[i].last))
				break;
		return err;
	}

	while ((map = vhost_iotlb_itree_first(as->iotlb, start, last))) {
		bool gone = as->stale;

		for (i = 0; i < n; i++)
			gone |= map->start >= ext[i].start && map->last <= ext[i].last;
		if (!gone && vhost_vdpa_dev_unmap(v, asid, map->start, map->size)) {
			err = vhost_vdpa_range_to_limbo(v, as, map->start, map->last);
			if (err)
				break;
			continue;
		}
		vhost_vdpa_entry_release(v, map);
		vhost_iotlb_map_free(as->iotlb, map);
		cond_resched();
	}
	/* Map again the outer parts of the straddling entries. */
	for (i = 0; i < n && !as->stale; i++) {
		ret = 0;
		if (ext[i].start < start)
			ret = vhost_vdpa_dma_remap(v, asid, ext[i].start, start - 1);
		if (!ret && ext[i].last > last)
			ret = vhost_vdpa_dma_remap(v, asid, last + 1, ext[i].last);
		if (ret) {
			err = err ?: ret;
			break;
		}
	}
	return err;
}

/*
 * IOTLB INVALIDATE: every page the range touches is unmapped; entries that
 * straddle its ends are split first. Unmapped ranges are not an error.
 */
static int vhost_vdpa_unmap(struct vhost_vdpa *v, u32 asid, const struct vhost_iotlb_msg *msg)
{
	const struct vdpa_config_ops *ops = vhost_vdpa_ops(v);
	u64 start = msg->iova, last = msg->iova + msg->size - 1;
	struct vhost_vdpa_as *as;
	int err;

	if (asid >= v->nas || last < start)
		return -EINVAL;
	asid = array_index_nospec(asid, v->nas);
	as = &v->as[asid];
	if (!as->iotlb)
		return 0;
	start = round_down(start, PAGE_SIZE);
	last |= PAGE_SIZE - 1;
	if (!ops->set_map)
		return vhost_vdpa_unmap_dma(v, asid, start, last);

	err = vhost_vdpa_split_ends(as->iotlb, start, last);
	if (err)
		return err;
	/* set_map: the pages wait in limbo until the device has the new table. */
	err = vhost_vdpa_range_to_limbo(v, as, start, last);
	if (v->in_batch) {
		as->in_batch = true;
		return err;
	}
	return vhost_vdpa_as_program(v, asid) ?: err;
}

static int vhost_vdpa_batch_end(struct vhost_vdpa *v)
{
	int err = 0, ret;
	u32 asid;

	v->in_batch = false;
	for (asid = 0; asid < v->nas; asid++) {
		if (!v->as[asid].in_batch)
			continue;
		ret = vhost_vdpa_as_program(v, asid);
		err = err ?: ret;
	}
	return err;
}

static int vhost_vdpa_iotlb_msg(struct vhost_vdpa *v, u32 asid,
				const struct vhost_iotlb_msg *msg)
{
	lockdep_assert_held(&v->lock);
	switch (msg->type) {
	case VHOST_IOTLB_INVALIDATE:
		return msg->size ? vhost_vdpa_unmap(v, asid, msg) : -EINVAL;
	case VHOST_IOTLB_BATCH_BEGIN:
		v->in_batch = true;
		return 0;
	case VHOST_IOTLB_BATCH_END:
		return vhost_vdpa_batch_end(v);
	default:
		return -EINVAL;
	}
}

/**
 * vhost_vdpa_iotlb_read_msg() - take one IOTLB message from a write
 * @from: struct vhost_msg (type VHOST_IOTLB_MSG) or struct vhost_msg_v2
 *	(VHOST_IOTLB_MSG_V2)
 * @asid: where the message's address space goes (0 for the first kind)
 * @msg: where the message goes
 *
 * Copies from userspace, so it runs before vhost_vdpa.lock is taken: a
 * write from memory that faults slowly (userfaultfd) never holds the
 * lock that removal needs.
 *
 * Return: 0 or -EINVAL for a short or unknown message.
 */
int vhost_vdpa_iotlb_read_msg(struct iov_iter *from, u32 *asid, struct vhost_iotlb_msg *msg)
{
	size_t len = iov_iter_count(from), hdr;
	u32 type;

	*asid = 0;
	if (copy_from_iter(&type, sizeof(type), from) != sizeof(type))
		return -EINVAL;
	switch (type) {
	case VHOST_IOTLB_MSG:
		hdr = offsetof(struct vhost_msg, iotlb);
		break;
	case VHOST_IOTLB_MSG_V2:
		if (copy_from_iter(asid, sizeof(*asid), from) != sizeof(*asid))
			return -EINVAL;
		hdr = offsetof(struct vhost_msg_v2, iotlb);
		break;
	default:
		return -EINVAL;
	}
	iov_iter_advance(from, hdr - (len - iov_iter_count(from)));
	if (copy_from_iter(msg, sizeof(*msg), from) != sizeof(*msg))
		return -EINVAL;
	return 0;
}

/**
 * vhost_vdpa_iotlb_write() - carry out one IOTLB message
 * @v: the device
 * @asid: its address space (nonzero only once IOTLB_ASID is acked)
 * @msg: the message, from vhost_vdpa_iotlb_read_msg()
 *
 * Context: process context, the owner's. Takes vhost_vdpa.iotlb_lock
 * (killable), which may be held across faults on the owner's memory, and
 * vhost_vdpa.lock, which never is.
 * Return: 0 or -errno; -ENODEV once the device is gone.
 */
int vhost_vdpa_iotlb_write(struct vhost_vdpa *v, u32 asid, const struct vhost_iotlb_msg *msg)
{
	int err;

	if (mutex_lock_killable(&v->iotlb_lock))
		return -EINTR;
	if (msg->type == VHOST_IOTLB_UPDATE) {
		err = vhost_vdpa_map(v, asid, msg);
	} else {
		mutex_lock(&v->lock);
		err = v->vdpa ? vhost_vdpa_iotlb_check(v, asid) : -ENODEV;
		if (!err)
			err = vhost_vdpa_iotlb_msg(v, asid, msg);
		mutex_unlock(&v->lock);
	}
	mutex_unlock(&v->iotlb_lock);
	return err;
}

/**
 * vhost_vdpa_reset_forget() - a reset without IOTLB_PERSIST took place
 * @v: the device, just reset
 *
 * The device translates nothing afterwards; the table and its pins stay
 * until INVALIDATE or close, and the next change programs the whole table.
 *
 * Return: 0, or the parent's -errno for an address space it could not
 * empty (its translation is then as it was).
 */
int vhost_vdpa_reset_forget(struct vhost_vdpa *v)
{
	int err = 0, ret;
	u32 asid;

	lockdep_assert_held(&v->lock);
	for (asid = 0; asid < v->nas; asid++) {
		ret = vhost_vdpa_device_map_empty(v, asid);
		if (ret) {
			err = err ?: ret;
			continue;
		}
		v->as[asid].stale = !!v->as[asid].iotlb;
		/* Inside a batch, BATCH_END still programs the table. */
		if (!v->in_batch)
			v->as[asid].in_batch = false;
		vhost_vdpa_limbo_release(v, &v->as[asid]);
	}
	return err;
}

/*
 * Forget @as's pinned pages for good, pinned and charged as they are.
 * Only for platform-IOMMU parents, never in VA mode (no pins, but files).
 */
static void vhost_vdpa_abandon(struct vhost_vdpa_as *as)
{
	struct vhost_vdpa_limbo *l, *tmp;

	if (as->iotlb)
		vhost_iotlb_del_range(as->iotlb, 0, U64_MAX);
	list_for_each_entry_safe(l, tmp, &as->limbo, node) {
		list_del(&l->node);
		kfree(l);
	}
}

/**
 * vhost_vdpa_unmap_all() - empty every address space and unpin everything
 * @v: the device, reset (it does no DMA)
 * @keep: a device may still reach the pages (an IOMMU domain that could
 *	not be detached): leak them, pinned, rather than free them
 *
 * For close and removal; the owner's pinned_vm is back where it was
 * (unless @keep).
 */
void vhost_vdpa_unmap_all(struct vhost_vdpa *v, bool keep)
{
	struct vhost_vdpa_as *as;
	u32 asid;

	lockdep_assert_held(&v->lock);
	v->in_batch = false;
	for (asid = 0; asid < v->nas; asid++) {
		as = &v->as[asid];
		if (keep)
			vhost_vdpa_abandon(as);
		else
			vhost_vdpa_device_map_empty(v, asid);
		if (as->iotlb)
			vhost_vdpa_remove_range(v, as, 0, U64_MAX);
		vhost_vdpa_limbo_release(v, as);
		vhost_vdpa_spare_free(as);
		vhost_iotlb_free(as->iotlb);
		as->iotlb = NULL;
		as->stale = false;
		as->in_batch = false;
	}
}
