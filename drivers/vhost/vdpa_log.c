// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_vdpa: the vhost dirty log, as VMMs that migrate through vhost use
 * it (QEMU 7.2 without x-svq): VHOST_F_LOG_ALL in the features,
 * VHOST_SET_LOG_BASE and VHOST_VRING_F_LOG. The device's own dirty-page
 * tracking (vdpa_dirty.c) feeds it. Documentation/dirty-log.rst has the
 * sequences QEMU follows and what each call here does.
 *
 * The log is the VMM's memory: u64 words, bit n for the 4 KiB page at
 * IOVA n * 4096 of address space 0 (guest-physical without a vIOMMU),
 * read and cleared by the VMM with an atomic exchange per word while the
 * device runs. Bits are only ever set, by one atomic OR per word
 * (vdpa_dirty_bitmap.c), and only once the parent reported the page, so
 * the data is there before its bit.
 *
 * While VHOST_F_LOG_ALL is acked and a log is set, address space 0 is
 * tracked and a push moves what the device dirtied into the log: every
 * log_interval_ms, and before the call returns in SET_LOG_BASE (into the
 * old log), SET_FEATURES without VHOST_F_LOG_ALL, SUSPEND, GET_VRING_BASE
 * and a reset. After SUSPEND, GET_VRING_BASE (the queue stopped) and a
 * reset, what the device wrote before it stopped is in the log. After
 * SET_LOG_BASE, SET_FEATURES without the bit and a reset return, the old
 * log is never written again.
 *
 * The periodic push runs on a workqueue, in the owner's mm
 * (kthread_use_mm()); a synchronous one runs in the caller, the owner
 * (another caller has the worker push and waits for it). Locking:
 * vhost_vdpa_log.lock, then vhost_vdpa.iotlb_lock (a push never
 * interleaves with a map change), then vhost_vdpa.lock around each call
 * into the parent, as REPORT does; the log is pinned without
 * vhost_vdpa.lock.
 */
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vhost_iotlb.h>
#include <linux/workqueue.h>
#include <uapi/linux/vhost.h>

#include "vhost_vdpa.h"

static unsigned int log_interval_ms = 30;
module_param(log_interval_ms, uint, 0644);
MODULE_PARM_DESC(log_interval_ms,
		 "how often the device's dirty pages are pushed into a VMM's vhost log, in ms (default 30, at least 1)");

/*
 * The log's bound. QEMU never says how large its log is. It sizes it for
 * the guest's RAM, (highest RAM address / 256 KiB + 1) words, from a
 * memory table that leaves out display memory (VGA VRAM, which has its
 * own dirty logging), yet maps that memory writable to the device like
 * RAM. On the PC machines QEMU emulates (pc, q35), RAM below 4 GiB is what
 * starts in the first MiB: 0-640 KiB, the BIOS areas and the run from
 * 1 MiB to the end of low RAM. Any other writable memory below 4 GiB is a
 * PCI BAR in the 32-bit hole, display memory among them, wherever the
 * guest put it. Above 4 GiB writable memory is RAM (high RAM, hot-plugged
 * DIMMs). So the log ends after the last run of writable memory that is
 * RAM by that rule; pages above are never logged, pages below are (a BAR
 * below the end of RAM is inside QEMU's log). Elsewhere (another machine,
 * a VMM that sizes its log otherwise) the bound may be wrong:
 * Documentation/dirty-log.rst says so.
 *
 * The bound is found when the log is set or turned on and just before
 * DRIVER_OK (QEMU maps the memory then when it starts the device while
 * logging), and kept until then: memory mapped meanwhile does not move it,
 * as it does not resize QEMU's log (QEMU sets a new one when it grows).
 */
static bool vhost_vdpa_log_is_ram(u64 first, u64 last)
{
	/* Memory that ends at 2^64 has no end to give. */
	if (last == U64_MAX)
		return false;
	return first <= SZ_1M || first >= SZ_4G;
}

/* Bits of one log word: QEMU's log is whole words (256 KiB of IOVA). */
#define VHOST_VDPA_LOG_WORD_SPAN (64 * SZ_4K)

/* Most ranges a tracker for the log is started with (combined after). */
#define VHOST_VDPA_LOG_MAX_RUNS 256

/* Logging: VHOST_F_LOG_ALL acked and a log set, on a device still there. */
static bool vhost_vdpa_log_on(struct vhost_vdpa *v)
{
	lockdep_assert_held(&v->lock);
	return v->vdpa && v->log.all && v->log.base;
}

static struct vhost_iotlb *vhost_vdpa_log_iotlb(struct vhost_vdpa *v)
{
	return v->as ? v->as[0].iotlb : NULL;
}

/*
 * The bound (see above) from the writable mappings of address space 0:
 * runs of IOVA-contiguous writable entries; the last one that is RAM
 * ends it.
 */
static u64 vhost_vdpa_log_find_top(struct vhost_vdpa *v)
{
	struct vhost_iotlb *iotlb = vhost_vdpa_log_iotlb(v);
	struct vhost_iotlb_map *map;
	u64 first = 0, last = 0, top = 0;
	bool open = false;

	lockdep_assert_held(&v->lock);
	if (!iotlb)
		return 0;
	for (map = vhost_iotlb_itree_first(iotlb, 0, U64_MAX); map;
	     map = vhost_iotlb_itree_next(map, 0, U64_MAX)) {
		if (!(map->perm & VHOST_ACCESS_WO))
			continue;
		if (open && map->start == last + 1) {
			last = map->last;
			continue;
		}
		if (open && vhost_vdpa_log_is_ram(first, last))
			top = last + 1;
		first = map->start;
		last = map->last;
		open = true;
	}
	if (open && vhost_vdpa_log_is_ram(first, last))
		top = last + 1;
	return top;
}

/*
 * The writable runs of address space 0 below @top, for a new tracker: at
 * most VHOST_VDPA_LOG_MAX_RUNS, the last one taking in whatever follows
 * (over-tracking is harmless). Returns how many, 0 when none.
 */
static u32 vhost_vdpa_log_runs(struct vhost_vdpa *v, u64 top, struct vdpa_dirty_range *r)
{
	struct vhost_iotlb *iotlb = vhost_vdpa_log_iotlb(v);
	struct vhost_iotlb_map *map;
	u64 end;
	u32 n = 0;

	lockdep_assert_held(&v->lock);
	if (!iotlb || !top)
		return 0;
	for (map = vhost_iotlb_itree_first(iotlb, 0, top - 1); map;
	     map = vhost_iotlb_itree_next(map, 0, top - 1)) {
		if (!(map->perm & VHOST_ACCESS_WO))
			continue;
		end = min(map->last, top - 1) + 1;
		if (n && (map->start == r[n - 1].iova + r[n - 1].length ||
			  n == VHOST_VDPA_LOG_MAX_RUNS)) {
			r[n - 1].length = end - r[n - 1].iova;
			continue;
		}
		r[n].iova = map->start;
		r[n].length = end - map->start;
		n++;
	}
	return n;
}

/*
 * A new tracker for the log (the old one, if any, is stopped): all of
 * [0, @top) as one range when the parent can track that much, else the
 * writable memory in it, at 4 KiB pages or the parent's next size up.
 * Returns 0 when one runs, or -errno; -ENOENT when nothing is mapped.
 */
static int vhost_vdpa_log_track(struct vhost_vdpa *v, u64 top)
{
	struct vhost_iotlb *iotlb = vhost_vdpa_log_iotlb(v);
	struct vdpa_dirty_range *r;
	u64 page;
	u32 n;
	int err;

	lockdep_assert_held(&v->lock);
	vhost_vdpa_dirty_end(v, 0);
	if (!top || !iotlb || !vhost_iotlb_itree_first(iotlb, 0, top - 1))
		return -ENOENT;
	/* One range: memory mapped below the bound later needs no new tracker. */
	err = vhost_vdpa_dirty_begin(v, 0, &(struct vdpa_dirty_range){ 0, top }, 1, SZ_4K,
				     true, &page);
	if (err == -EOPNOTSUPP) {
		/* The parent wants the mapped runs only. */
		r = kcalloc(VHOST_VDPA_LOG_MAX_RUNS, sizeof(*r), GFP_KERNEL);
		if (!r)
			return -ENOMEM;
		n = vhost_vdpa_log_runs(v, top, r);
		err = n ? vhost_vdpa_dirty_begin(v, 0, r, n, SZ_4K, true, &page) : -ENOENT;
		kfree(r);
	}
	/* A tracking page larger than a log word would mark pages past QEMU's log. */
	if (!err && page > VHOST_VDPA_LOG_WORD_SPAN) {
		vhost_vdpa_dirty_end(v, 0);
		err = -EOPNOTSUPP;
	}
	return err;
}

/*
 * vhost_vdpa_bitmap_fill()'s report callback for marking every writable
 * mapped page of a window: what the log must say when the device's own
 * log is lost or was not running.
 */
static int vhost_vdpa_log_mark_window(void *arg, u64 iova, u64 length,
				      struct vdpa_dirty_sink *sink)
{
	struct vhost_vdpa *v = arg;
	u64 last = iova + length - 1, first_byte, last_byte;
	struct vhost_iotlb *iotlb;
	struct vhost_iotlb_map *map;
	int err = 0;

	mutex_lock(&v->lock);
	if (!vhost_vdpa_log_on(v)) {
		mutex_unlock(&v->lock);
		return -ENODEV;
	}
	iotlb = vhost_vdpa_log_iotlb(v);
	for (map = iotlb ? vhost_iotlb_itree_first(iotlb, iova, last) : NULL; map && !err;
	     map = vhost_iotlb_itree_next(map, iova, last)) {
		if (!(map->perm & VHOST_ACCESS_WO))
			continue;
		first_byte = max(map->start, iova);
		last_byte = min(map->last, last);
		err = sink->mark(sink, first_byte, last_byte - first_byte + 1);
	}
	mutex_unlock(&v->lock);
	return err;
}

/*
 * One push, in the owner's mm, under vhost_vdpa_log.lock and
 * vhost_vdpa.iotlb_lock: what the tracker logged goes into the log; then,
 * if the tracker must be replaced (the bound moved, memory was mapped
 * outside it, its report failed) a new one starts; and when writes may
 * have gone unseen, every writable page below the bound is marked.
 */
static void vhost_vdpa_log_push_locked(struct vhost_vdpa *v)
{
	struct vhost_vdpa_log *log = &v->log;
	u64 __user *bitmap = u64_to_user_ptr(log->base);
	bool restart, lost = false, mark_all, running, unused;
	struct vhost_vdpa_dirty *d;
	u64 top, page = 0;
	int err;

	mutex_lock(&v->lock);
	if (!vhost_vdpa_log_on(v)) {
		mutex_unlock(&v->lock);
		return;
	}
	d = v->as[0].dirty;
	if (log->rescan) {
		top = vhost_vdpa_log_find_top(v);
		if (d && top != log->top)
			d->restart = true;
		log->top = top;
		log->rescan = false;
	}
	top = log->top;
	if (d)
		page = d->page_size;
	restart = !d || d->restart;
	mutex_unlock(&v->lock);

	/* What the tracker has goes in first, also when it is replaced. */
	if (d && top) {
		err = vhost_vdpa_dirty_fill(v, 0, d, page, bitmap, round_up(top, page));
		if (err == -EFAULT)
			dev_warn_ratelimited(&v->dev, "vhost log at %#llx is not writable memory\n",
					     log->base);
		else if (err)
			lost = true;
	}
	if (!restart && !lost && !log->failed)
		return;

	mutex_lock(&v->lock);
	/* Turned off meanwhile (close, removal): the log is not written again. */
	if (!vhost_vdpa_log_on(v)) {
		mutex_unlock(&v->lock);
		return;
	}
	running = v->vdpa->config->get_status(v->vdpa) & VIRTIO_CONFIG_S_DRIVER_OK;
	/*
	 * The first tracker since the log went on, started by the call that
	 * turned it on or before DRIVER_OK, misses nothing. Any other one
	 * started while the device runs may have missed writes, and so may a
	 * report that failed: every page then counts as dirty once.
	 */
	mark_all = lost || (running && !log->fresh);
	if (restart || lost || log->failed) {
		err = vhost_vdpa_log_track(v, top);
		if (err && err != -ENOENT && !log->failed)
			dev_warn_ratelimited(&v->dev,
					     "vhost log: the device cannot track address space 0 (%d): every writable page is logged as dirty\n",
					     err);
		log->failed = err && err != -ENOENT;
		if (running || !err)
			log->fresh = false;
	}
	mark_all |= log->failed;
	mutex_unlock(&v->lock);
	if (!mark_all || !top)
		return;
	err = vhost_vdpa_bitmap_fill(bitmap, 0, top, SZ_4K, SZ_4K, vhost_vdpa_log_mark_window, v,
				     &unused);
	if (err && err != -ENODEV)
		dev_warn_ratelimited(&v->dev, "vhost log at %#llx: cannot mark pages dirty: %d\n",
				     log->base, err);
}

static void vhost_vdpa_log_arm(struct vhost_vdpa *v)
{
	queue_delayed_work(system_unbound_wq, &v->log.work,
			   msecs_to_jiffies(max(READ_ONCE(log_interval_ms), 1U)));
}

/*
 * The periodic push, in the owner's mm; it queues the next one. An IOTLB
 * message holding the lock (pinning may wait on userspace) skips a turn.
 */
static void vhost_vdpa_log_work(struct work_struct *work)
{
	struct vhost_vdpa_log *log = container_of(to_delayed_work(work), struct vhost_vdpa_log,
						  work);
	struct vhost_vdpa *v = container_of(log, struct vhost_vdpa, log);
	struct mm_struct *mm = NULL;
	bool again;

	mutex_lock(&log->lock);
	if (mutex_trylock(&v->iotlb_lock)) {
		mutex_lock(&v->lock);
		if (vhost_vdpa_log_on(v) && v->owner && mmget_not_zero(v->owner))
			mm = v->owner;
		mutex_unlock(&v->lock);
		if (mm) {
			kthread_use_mm(mm);
			vhost_vdpa_log_push_locked(v);
			kthread_unuse_mm(mm);
		}
		mutex_unlock(&v->iotlb_lock);
	}
	mutex_lock(&v->lock);
	again = vhost_vdpa_log_on(v);
	mutex_unlock(&v->lock);
	if (again)
		vhost_vdpa_log_arm(v);
	mutex_unlock(&log->lock);
	if (mm)
		mmput(mm);
}

/*
 * A push now, before the caller returns. The owner pushes in its own
 * context; another caller (a process the file was passed to) has the
 * worker push in the owner's mm and waits for it. A caller killed while
 * waiting for the locks does not push.
 */
static void vhost_vdpa_log_push(struct vhost_vdpa *v)
{
	struct vhost_vdpa_log *log = &v->log;
	bool on, own;

	if (mutex_lock_killable(&log->lock))
		return;
	if (mutex_lock_killable(&v->iotlb_lock)) {
		mutex_unlock(&log->lock);
		return;
	}
	mutex_lock(&v->lock);
	on = vhost_vdpa_log_on(v);
	own = v->owner == current->mm;
	mutex_unlock(&v->lock);
	if (on && own)
		vhost_vdpa_log_push_locked(v);
	mutex_unlock(&v->iotlb_lock);
	mutex_unlock(&log->lock);
	if (on && !own) {
		mod_delayed_work(system_unbound_wq, &log->work, 0);
		flush_delayed_work(&log->work);
	}
}

/*
 * Change the log's state under its locks: @base and @all as given (@all
 * unchanged when < 0). Turning it on finds the bound and starts afresh;
 * turning it off stops the tracker. Returns true when it is on.
 */
static bool vhost_vdpa_log_set(struct vhost_vdpa *v, u64 base, int all)
{
	struct vhost_vdpa_log *log = &v->log;
	struct vhost_vdpa_dirty *d;
	bool was, on;

	lockdep_assert_held(&log->lock);
	mutex_lock(&v->lock);
	was = vhost_vdpa_log_on(v);
	WRITE_ONCE(log->base, base);
	if (all >= 0)
		WRITE_ONCE(log->all, all);
	on = vhost_vdpa_log_on(v);
	if (on) {
		/* A new log may be sized for a new memory map. */
		log->rescan = true;
		if (!was)
			log->fresh = true;
	} else {
		log->failed = false;
		log->top = 0;
		d = v->vdpa ? v->as[0].dirty : NULL;
		if (d && d->log)
			vhost_vdpa_dirty_end(v, 0);
	}
	mutex_unlock(&v->lock);
	return on;
}

/**
 * vhost_vdpa_log_init() - set up the vhost log of a new device
 * @v: the device
 */
void vhost_vdpa_log_init(struct vhost_vdpa *v)
{
	mutex_init(&v->log.lock);
	INIT_DELAYED_WORK(&v->log.work, vhost_vdpa_log_work);
}

/**
 * vhost_vdpa_log_destroy() - the device structure goes
 * @v: the device; no push runs or is queued any more
 */
void vhost_vdpa_log_destroy(struct vhost_vdpa *v)
{
	mutex_destroy(&v->log.lock);
}

/**
 * vhost_vdpa_log_offered() - whether VHOST_F_LOG_ALL may be offered
 * @v: the device
 *
 * Only a parent that tracks 4 KiB to 256 KiB pages (a larger page would
 * mark pages past the end of QEMU's log), and not when sysfs log_all
 * turned it off.
 *
 * Context: vhost_vdpa.lock held, device present.
 * Return: true when it may.
 */
bool vhost_vdpa_log_offered(struct vhost_vdpa *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	struct vdpa_dirty_caps caps;

	if (READ_ONCE(v->no_log_all) || !vhost_vdpa_dirty_offered(v))
		return false;
	ops->dirty_caps(v->vdpa, &caps);
	return caps.page_sizes & GENMASK_ULL(ilog2(VHOST_VDPA_LOG_WORD_SPAN), 12);
}

/**
 * vhost_vdpa_log_set_base() - VHOST_SET_LOG_BASE
 * @v: the device
 * @base: user address of the new log, 8-byte aligned; 0 for none
 *
 * What the device dirtied so far goes into the old log first; once this
 * returns, only the new one is written. With VHOST_F_LOG_ALL acked,
 * tracking starts here if it did not run yet.
 *
 * Context: process context, no vhost_vdpa lock held.
 * Return: 0, -EINVAL for an unaligned address, -EPERM when the caller
 * is not the owner, -ENODEV once removed, -EINTR when killed.
 */
int vhost_vdpa_log_set_base(struct vhost_vdpa *v, u64 base)
{
	bool on;
	int err = 0;

	if (!IS_ALIGNED(base, sizeof(u64)))
		return -EINVAL;
	vhost_vdpa_log_push(v);
	if (mutex_lock_killable(&v->log.lock))
		return -EINTR;
	mutex_lock(&v->lock);
	if (!v->vdpa)
		err = -ENODEV;
	/* The address is the owner's: pushes write it in the owner's mm. */
	else if (!v->owner || v->owner != current->mm)
		err = -EPERM;
	mutex_unlock(&v->lock);
	on = !err && vhost_vdpa_log_set(v, base, -1);
	mutex_unlock(&v->log.lock);
	if (on) {
		vhost_vdpa_log_push(v);
		vhost_vdpa_log_arm(v);
	}
	return err;
}

/**
 * vhost_vdpa_log_enable() - VHOST_F_LOG_ALL was acked
 * @v: the device
 *
 * With a log set, tracking starts before this returns.
 *
 * Context: process context, no vhost_vdpa lock held.
 */
void vhost_vdpa_log_enable(struct vhost_vdpa *v)
{
	bool on;

	if (mutex_lock_killable(&v->log.lock))
		return;
	on = vhost_vdpa_log_set(v, v->log.base, 1);
	mutex_unlock(&v->log.lock);
	if (on) {
		vhost_vdpa_log_push(v);
		vhost_vdpa_log_arm(v);
	}
}

/**
 * vhost_vdpa_log_disable() - SET_FEATURES without VHOST_F_LOG_ALL, a reset
 * @v: the device
 *
 * A last push (after a reset: of what the device wrote before it stopped),
 * then tracking for the log stops and the log is forgotten: once this
 * returns it is never written again. A VMM turns it on again with the
 * bit and a log.
 *
 * Context: process context, no vhost_vdpa lock held.
 */
void vhost_vdpa_log_disable(struct vhost_vdpa *v)
{
	bool idle;

	mutex_lock(&v->log.lock);
	mutex_lock(&v->lock);
	idle = !v->log.all && !v->log.base;
	mutex_unlock(&v->lock);
	mutex_unlock(&v->log.lock);
	if (idle)
		return;
	vhost_vdpa_log_push(v);
	/* Not killable: the log must be off when this returns. */
	mutex_lock(&v->log.lock);
	vhost_vdpa_log_set(v, 0, 0);
	mutex_unlock(&v->log.lock);
}

/**
 * vhost_vdpa_log_flush() - push what the device dirtied, now
 * @v: the device
 * @rescan: find the bound again first (before DRIVER_OK)
 *
 * For SUSPEND and GET_VRING_BASE (our parents stop a queue asked while it
 * runs): what the device or the queue wrote before it stopped is in the
 * log when this returns. Nothing when not logging.
 *
 * Context: process context, no vhost_vdpa lock held.
 */
void vhost_vdpa_log_flush(struct vhost_vdpa *v, bool rescan)
{
	/*
	 * Every GET_VRING_BASE and SUSPEND comes here: when the log is off,
	 * skip the locks. A log turned on meanwhile starts its own tracker,
	 * so a flush missed by this race has nothing to push.
	 */
	if (!READ_ONCE(v->log.all) || !READ_ONCE(v->log.base))
		return;
	if (rescan) {
		mutex_lock(&v->log.lock);
		mutex_lock(&v->lock);
		v->log.rescan = true;
		mutex_unlock(&v->lock);
		mutex_unlock(&v->log.lock);
	}
	vhost_vdpa_log_push(v);
}

/**
 * vhost_vdpa_log_release() - the file lets go of the device
 * @v: the device
 *
 * The log is off: a push still running finds it so at its next step and
 * writes no more (vhost_vdpa_dirty_release() ends the tracker).
 *
 * Context: vhost_vdpa.lock held (close, removal).
 */
void vhost_vdpa_log_release(struct vhost_vdpa *v)
{
	lockdep_assert_held(&v->lock);
	WRITE_ONCE(v->log.base, 0);
	WRITE_ONCE(v->log.all, false);
	v->log.failed = false;
	v->log.top = 0;
}

/**
 * vhost_vdpa_log_stop_sync() - no push runs or is queued after this
 * @v: the device, no longer logging (its file let go of it)
 *
 * Context: process context, no vhost_vdpa lock held; may wait for a push
 * that is pinning the log.
 */
void vhost_vdpa_log_stop_sync(struct vhost_vdpa *v)
{
	cancel_delayed_work_sync(&v->log.work);
}
