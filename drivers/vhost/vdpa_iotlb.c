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
 *
 * Context for everything here: vhost_vdpa.lock held.
 */
#include <linux/mm.h>
#include <linux/moduleparam.h>
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
 * @pa: physical address of the first page
 * @npages: number of pages, all charged
 * @perm: VHOST_MAP_* permission they were pinned with
 */
struct vhost_vdpa_limbo_run {
	u64 pa;
	u64 npages;
	u32 perm;
};

/**
 * struct vhost_vdpa_limbo - a page of limbo runs
 * @node: on &vhost_vdpa_as.limbo
 * @n: runs in use
 * @run: the runs
 *
 * An unmap of a guest on 4 KiB pages puts one run per page in limbo: a
 * page holds 169 of them, so that costs no allocation per page.
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
	for (i = 0; i < v->nas; i++)
		INIT_LIST_HEAD(&v->as[i].limbo);
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

static void vhost_vdpa_limbo_release(struct vhost_vdpa *v, struct vhost_vdpa_as *as)
{
	struct vhost_vdpa_limbo *l, *tmp;
	u32 i;

	list_for_each_entry_safe(l, tmp, &as->limbo, node) {
		for (i = 0; i < l->n; i++)
			vhost_vdpa_unpin(v, l->run[i].pa, l->run[i].npages, l->run[i].perm);
		list_del(&l->node);
		kfree(l);
		cond_resched();
	}
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
			l = kmalloc(PAGE_SIZE, GFP_KERNEL);
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
		vhost_iotlb_map_free(as->iotlb, map);
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
			err = ops->dma_map(v->vdpa, asid, map->start, map->size,
					   map->addr, map->perm, NULL);
		if (err)
			vhost_vdpa_device_map_empty(v, asid);
	}
	if (err) {
		dev_err_ratelimited(&v->dev, "address space %u: the device refused the map: %d\n",
				    asid, err);
		as->stale = true;
		return err;
	}
	as->stale = false;
	as->in_batch = false;
	vhost_vdpa_limbo_release(v, as);
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
		vhost_vdpa_unpin(v, map->addr, map->size >> PAGE_SHIFT, map->perm);
		vhost_iotlb_map_free(as->iotlb, map);
		cond_resched();
	}
}

/* Add a run of pinned pages; on failure they are unpinned, nothing is charged. */
static int vhost_vdpa_add_run(struct vhost_vdpa *v, struct vhost_vdpa_as *as, u64 iova,
			      unsigned long pfn, u64 npages, u32 perm)
{
	int err = -ENOSPC;

	/* vhost_iotlb enforces its limit only for retiring tables. */
	if (as->iotlb->nmaps < as->iotlb->limit)
		err = vhost_iotlb_add_range(as->iotlb, iova, iova + (npages << PAGE_SHIFT) - 1,
					    PFN_PHYS(pfn), perm);
	if (err) {
		unpin_user_page_range_dirty_lock(pfn_to_page(pfn), npages, false);
		return err;
	}
	atomic64_add(npages, &v->owner->pinned_vm);
	return 0;
}

/*
 * Pin the owner's [uaddr, uaddr + npages pages) and enter it at @iova as
 * runs of physically contiguous pages. On failure nothing stays pinned or
 * entered.
 */
static int vhost_vdpa_pin(struct vhost_vdpa *v, struct vhost_vdpa_as *as, u64 iova,
			  u64 uaddr, u64 npages, u32 perm)
{
	unsigned int gup_flags = FOLL_LONGTERM | ((perm & VHOST_MAP_WO) ? FOLL_WRITE : 0);
	unsigned long run_pfn = 0, pfn;
	u64 done = 0, run_len = 0, run_iova = 0;
	struct page **pages;
	long n, i;
	int err = 0;

	/* pin_user_pages_fast() pins current's memory: it must be the owner's. */
	if (WARN_ON_ONCE(current->mm != v->owner))
		return -EPERM;
	pages = (struct page **)__get_free_page(GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	/* The lockless walk takes mmap_lock only for what it cannot do alone. */
	while (done < npages) {
		n = pin_user_pages_fast(uaddr + (done << PAGE_SHIFT),
					min_t(u64, npages - done, VHOST_VDPA_PIN_BATCH),
					gup_flags, pages);
		if (n <= 0) {
			err = n ? n : -EFAULT;
			break;
		}
		for (i = 0; i < n; i++) {
			pfn = page_to_pfn(pages[i]);
			if (run_len && pfn == run_pfn + run_len) {
				run_len++;
				continue;
			}
			if (run_len) {
				err = vhost_vdpa_add_run(v, as, run_iova, run_pfn, run_len, perm);
				run_len = 0;
				if (err) {
					unpin_user_pages(pages + i, n - i);
					break;
				}
			}
			run_pfn = pfn;
			run_len = 1;
			run_iova = iova + ((done + i) << PAGE_SHIFT);
		}
		if (err)
			break;
		done += n;
	}
	if (run_len) {
		if (err)
			unpin_user_page_range_dirty_lock(pfn_to_page(run_pfn), run_len, false);
		else
			err = vhost_vdpa_add_run(v, as, run_iova, run_pfn, run_len, perm);
	}
	free_page((unsigned long)pages);
	if (err)
		vhost_vdpa_remove_range(v, as, iova, iova + (npages << PAGE_SHIFT) - 1);
	return err;
}

static bool vhost_vdpa_in_iova_range(struct vhost_vdpa *v, u64 iova, u64 last)
{
	const struct vdpa_config_ops *ops = vhost_vdpa_ops(v);
	struct vdpa_iova_range range;

	if (!ops->get_iova_range)
		return true;
	range = ops->get_iova_range(v->vdpa);
	return iova >= range.first && last <= range.last;
}

/* IOTLB UPDATE: pin, enter in the table, program the device. */
static int vhost_vdpa_map(struct vhost_vdpa *v, u32 asid, const struct vhost_iotlb_msg *msg)
{
	const struct vdpa_config_ops *ops = vhost_vdpa_ops(v);
	u64 last = msg->iova + msg->size - 1, npages = msg->size >> PAGE_SHIFT;
	struct vhost_iotlb_map *map;
	struct vhost_vdpa_as *as;
	u64 limit;
	int err;

	if (asid >= v->nas || !msg->perm || (msg->perm & ~VHOST_ACCESS_RW) ||
	    last < msg->iova || msg->uaddr + msg->size - 1 < msg->uaddr)
		return -EINVAL;
	/* Pinning works in pages; a VMM maps whole pages anyway. */
	if (!PAGE_ALIGNED(msg->iova) || !PAGE_ALIGNED(msg->size) ||
	    !PAGE_ALIGNED(msg->uaddr))
		return -EINVAL;
	if (!vhost_vdpa_in_iova_range(v, msg->iova, last))
		return -EINVAL;

	as = &v->as[asid];
	if (!as->iotlb) {
		as->iotlb = vhost_iotlb_alloc(max_entries, 0);
		if (!as->iotlb)
			return -ENOMEM;
	}
	if (vhost_iotlb_itree_first(as->iotlb, msg->iova, last))
		return -EEXIST;
	/*
	 * A batch that remaps memory it invalidated holds both until
	 * BATCH_END. Over the limit with pages in a batch's limbo, the device
	 * gets the table as it stands now, so they go before more are pinned:
	 * limbo never lets the owner past its limit.
	 */
	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	if (npages + atomic64_read(&v->owner->pinned_vm) > limit)
		vhost_vdpa_batch_flush(v);
	if (npages + atomic64_read(&v->owner->pinned_vm) > limit)
		return -ENOMEM;

	err = vhost_vdpa_pin(v, as, msg->iova, msg->uaddr, npages, msg->perm);
	if (err)
		return err;

	if (ops->set_map || as->stale) {
		if (ops->set_map && v->in_batch) {
			as->in_batch = true;
			return 0;
		}
		/* A refused program leaves the device's translation unknown. */
		err = vhost_vdpa_as_program(v, asid);
		if (err && vhost_vdpa_range_to_limbo(v, as, msg->iova, last))
			goto err_remove;
		return err;
	}
	for (map = vhost_iotlb_itree_first(as->iotlb, msg->iova, last); map;
	     map = vhost_iotlb_itree_next(map, msg->iova, last)) {
		err = ops->dma_map(v->vdpa, asid, map->start, map->size, map->addr,
				   map->perm, NULL);
		if (err)
			break;
	}
	if (!err)
		return 0;
	/* Unmapping what was not mapped is harmless; the range was free. */
	ops->dma_unmap(v->vdpa, asid, msg->iova, msg->size);
err_remove:
	vhost_vdpa_remove_range(v, as, msg->iova, last);
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
	u64 head;
	int err;

	if (!map || map->start == addr)
		return 0;
	if (iotlb->nmaps + 2 > iotlb->limit)
		return -ENOSPC;
	head = addr - map->start;
	err = vhost_iotlb_add_range(iotlb, map->start, addr - 1, map->addr, map->perm);
	if (err)
		return err;
	err = vhost_iotlb_add_range(iotlb, addr, map->last, map->addr + head, map->perm);
	if (err) {
		struct vhost_iotlb_map *half;

		/* Take the head half out again: the entry that is not @map. */
		for (half = vhost_iotlb_itree_first(iotlb, map->start, map->start); half;
		     half = vhost_iotlb_itree_next(half, map->start, map->start))
			if (half != map)
				break;
		vhost_iotlb_map_free(iotlb, half);
		return err;
	}
	vhost_iotlb_map_free(iotlb, map);
	return 0;
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
 * INVALIDATE for dma_map parents, which know ranges only as they were
 * mapped: an entry straddling an end of [start, last] is unmapped whole
 * from the device, split, and its outer part mapped again (a short gap
 * there, which only the owner's own DMA into a range it is changing can
 * notice). Pages the device may still reach after a refused unmap wait in
 * limbo.
 */
static int vhost_vdpa_unmap_dma(struct vhost_vdpa *v, u32 asid, u64 start, u64 last)
{
	const struct vdpa_config_ops *ops = vhost_vdpa_ops(v);
	struct vhost_vdpa_as *as = &v->as[asid];
	struct { u64 start, size; bool hit; } ext[2] = {};
	u64 ends[2] = { start, last + 1 }, outer[2] = { start - 1, last + 1 };
	struct vhost_iotlb_map *map;
	int i, err = 0;

	/* Entries straddling an end, as the device knows them. */
	for (i = 0; i < 2; i++) {
		if (i == 1 && last == U64_MAX)
			break;
		map = vhost_iotlb_itree_first(as->iotlb, ends[i], ends[i]);
		if (map && map->start != ends[i])
			ext[i] = (typeof(ext[i])){ map->start, map->size, true };
	}
	err = vhost_vdpa_split_ends(as->iotlb, start, last);
	if (err)
		return err;
	for (i = 0; i < 2 && !as->stale; i++)
		if (ext[i].hit)
			ops->dma_unmap(v->vdpa, asid, ext[i].start, ext[i].size);

	while ((map = vhost_iotlb_itree_first(as->iotlb, start, last))) {
		if (!as->stale && ops->dma_unmap(v->vdpa, asid, map->start, map->size)) {
			err = vhost_vdpa_range_to_limbo(v, as, map->start, map->last);
			if (err)
				break;
			continue;
		}
		vhost_vdpa_unpin(v, map->addr, map->size >> PAGE_SHIFT, map->perm);
		vhost_iotlb_map_free(as->iotlb, map);
		cond_resched();
	}
	if (as->stale)
		return err;
	/* Map again the outer parts of the straddling entries. */
	for (i = 0; i < 2; i++) {
		if (!ext[i].hit)
			continue;
		map = vhost_iotlb_itree_first(as->iotlb, outer[i], outer[i]);
		if (!map || !ops->dma_map(v->vdpa, asid, map->start, map->size, map->addr,
					  map->perm, NULL))
			continue;
		/* The device's translation is unknown: start again from the table. */
		vhost_vdpa_device_map_empty(v, asid);
		as->stale = true;
		err = err ?: -EIO;
		break;
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
	switch (msg->type) {
	case VHOST_IOTLB_UPDATE:
		return msg->size ? vhost_vdpa_map(v, asid, msg) : -EINVAL;
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
 * Return: 0 or -errno.
 */
int vhost_vdpa_iotlb_write(struct vhost_vdpa *v, u32 asid, const struct vhost_iotlb_msg *msg)
{
	lockdep_assert_held(&v->lock);
	if (!v->owner || v->owner != current->mm)
		return -EPERM;
	if (asid && !vhost_vdpa_backend_has(v, VHOST_BACKEND_F_IOTLB_ASID))
		return -EINVAL;
	return vhost_vdpa_iotlb_msg(v, asid, msg);
}

/**
 * vhost_vdpa_reset_forget() - a reset without IOTLB_PERSIST took place
 * @v: the device, just reset
 *
 * The device translates nothing afterwards; the table and its pins stay
 * until INVALIDATE or close, and the next change programs the whole table.
 */
void vhost_vdpa_reset_forget(struct vhost_vdpa *v)
{
	u32 asid;

	lockdep_assert_held(&v->lock);
	for (asid = 0; asid < v->nas; asid++) {
		if (vhost_vdpa_device_map_empty(v, asid))
			continue;
		v->as[asid].stale = !!v->as[asid].iotlb;
		/* Inside a batch, BATCH_END still programs the table. */
		if (!v->in_batch)
			v->as[asid].in_batch = false;
		vhost_vdpa_limbo_release(v, &v->as[asid]);
	}
}

/**
 * vhost_vdpa_unmap_all() - empty every address space and unpin everything
 * @v: the device, reset (it does no DMA)
 *
 * For close and removal; the owner's pinned_vm is back where it was.
 */
void vhost_vdpa_unmap_all(struct vhost_vdpa *v)
{
	struct vhost_vdpa_as *as;
	u32 asid;

	lockdep_assert_held(&v->lock);
	v->in_batch = false;
	for (asid = 0; asid < v->nas; asid++) {
		as = &v->as[asid];
		vhost_vdpa_device_map_empty(v, asid);
		if (as->iotlb)
			vhost_vdpa_remove_range(v, as, 0, U64_MAX);
		vhost_vdpa_limbo_release(v, as);
		vhost_iotlb_free(as->iotlb);
		as->iotlb = NULL;
		as->stale = false;
		as->in_batch = false;
	}
}
