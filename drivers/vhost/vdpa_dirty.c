// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_vdpa: device dirty-page tracking (DMA logging) for userspace, the
 * VHOST_VDPA_DIRTY_LOG_* ioctls of include/uapi/linux/vhost_vdpa_dirty.h
 * on top of the parent's &vdpa_config_ops.dirty_* ops.
 *
 * What is checked where: userspace input is validated here, in full,
 * before anything changes; the ranges are sorted, rounded out to the
 * tracking page and combined here down to what one tracker of the parent
 * holds, so every parent gets the same well-formed request.
 *
 * Locking: START, STOP and REPORT take vhost_vdpa.iotlb_lock (killable),
 * so that a report and a map change never interleave: IOTLB messages are
 * fences for the log. REPORT pins the user's bitmap with only that lock
 * held and takes vhost_vdpa.lock around each call into the parent.
 */
#include <linux/log2.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <uapi/linux/vhost_vdpa_dirty.h>

#include "vhost_vdpa.h"

/* START takes at most this many ranges (the uAPI guarantees 256). */
#define VHOST_VDPA_DIRTY_MAX_START_RANGES 1024

static const struct vdpa_config_ops *vhost_vdpa_dirty_ops(struct vhost_vdpa *v)
{
	return v->vdpa->config;
}

/**
 * vhost_vdpa_dirty_offered() - whether the parent can track dirty pages
 * @v: the device
 *
 * Context: vhost_vdpa.lock held, device present.
 * Return: true when VHOST_BACKEND_F_DIRTY_LOG may be offered.
 */
bool vhost_vdpa_dirty_offered(struct vhost_vdpa *v)
{
	/*
	 * VA mode: the parent's userspace end writes through its own
	 * mappings of the files, which no tracker sees.
	 */
	return !v->va && vhost_vdpa_dirty_ops(v)->dirty_caps;
}

/**
 * vhost_vdpa_dirty_active() - whether some address space is tracked
 * @v: the device
 * @started: count only trackers of VHOST_VDPA_DIRTY_LOG_START, not the
 *	vhost log's
 *
 * Context: vhost_vdpa.lock held.
 * Return: true when one is.
 */
bool vhost_vdpa_dirty_active(struct vhost_vdpa *v, bool started)
{
	u32 asid;

	for (asid = 0; asid < v->nas; asid++)
		if (v->as[asid].dirty && !(started && v->as[asid].dirty->log))
			return true;
	return false;
}

/**
 * vhost_vdpa_dirty_end() - stop tracking an address space
 * @v: the device
 * @asid: the address space; nothing happens when it is not tracked
 *
 * The parent forgets its log, and so do we. A parent that fails to stop
 * tracks nothing afterwards either (its op says so).
 *
 * Context: vhost_vdpa.lock held.
 */
void vhost_vdpa_dirty_end(struct vhost_vdpa *v, u32 asid)
{
	struct vhost_vdpa_dirty *d = v->as[asid].dirty;

	lockdep_assert_held(&v->lock);
	if (!d)
		return;
	if (v->vdpa)
		vhost_vdpa_dirty_ops(v)->dirty_stop(v->vdpa, asid);
	v->as[asid].dirty = NULL;
	kfree(d);
}

/**
 * vhost_vdpa_dirty_release() - stop every tracker (close, removal)
 * @v: the device
 *
 * Context: vhost_vdpa.lock held.
 */
void vhost_vdpa_dirty_release(struct vhost_vdpa *v)
{
	u32 asid;

	lockdep_assert_held(&v->lock);
	for (asid = 0; asid < v->nas; asid++)
		vhost_vdpa_dirty_end(v, asid);
}

/**
 * vhost_vdpa_dirty_mapped() - a range was mapped into a tracked space
 * @v: the device
 * @asid: the address space
 * @start: first byte mapped
 * @last: last byte mapped
 * @perm: VHOST_ACCESS_* of the mapping
 *
 * A writable mapping that the tracker's ranges do not cover would let the
 * device write pages nobody logs: the log is declared lost instead.
 *
 * Context: vhost_vdpa.lock held.
 */
void vhost_vdpa_dirty_mapped(struct vhost_vdpa *v, u32 asid, u64 start, u64 last, u8 perm)
{
	struct vhost_vdpa_dirty *d = v->as[asid].dirty;
	u32 i;

	lockdep_assert_held(&v->lock);
	if (!d || !(perm & VHOST_ACCESS_WO))
		return;
	/* Ranges are disjoint and merged when adjacent: one must hold it all. */
	for (i = 0; i < d->nranges; i++)
		if (start >= d->range[i].iova &&
		    last <= d->range[i].iova + d->range[i].length - 1)
			return;
	/*
	 * The vhost log follows the memory map instead (vdpa_log.c): a new
	 * tracker, unless the memory lies past its bound, never logged.
	 */
	if (d->log) {
		if (start < v->log.top)
			d->restart = true;
		return;
	}
	if (!d->error)
		dev_warn_ratelimited(&v->dev,
				     "address space %u: [%#llx, %#llx] mapped writable outside the tracked ranges: dirty log lost\n",
				     asid, start, last);
	d->error = true;
}

/*
 * Read a uAPI structure: the caller's @size comes first, and a larger
 * structure than ours is accepted when its tail is zero. A smaller one is
 * not (there is no older version to be compatible with).
 */
static int vhost_vdpa_dirty_copy_in(void *kstruct, size_t ksize, void __user *arg)
{
	u32 usize;
	int err;

	if (get_user(usize, (u32 __user *)arg))
		return -EFAULT;
	if (usize < ksize)
		return -EINVAL;
	err = copy_struct_from_user(kstruct, ksize, arg, usize);
	return err == -E2BIG ? -EINVAL : err;
}

static int vhost_vdpa_dirty_caps(struct vhost_vdpa *v, void __user *arg)
{
	struct vhost_vdpa_dirty_caps uc;
	struct vdpa_dirty_caps caps;
	int err;

	err = vhost_vdpa_dirty_copy_in(&uc, sizeof(uc), arg);
	if (err)
		return err;
	if (uc.flags || uc.reserved)
		return -EINVAL;
	mutex_lock(&v->lock);
	if (v->vdpa)
		vhost_vdpa_dirty_ops(v)->dirty_caps(v->vdpa, &caps);
	else
		err = -ENODEV;
	mutex_unlock(&v->lock);
	if (err)
		return err;
	uc = (struct vhost_vdpa_dirty_caps){
		.size = sizeof(uc),
		.flags = caps.no_clear ? VHOST_VDPA_DIRTY_CAP_NO_CLEAR : 0,
		.page_sizes = caps.page_sizes,
		.max_ranges = caps.max_ranges,
		.max_start_ranges = VHOST_VDPA_DIRTY_MAX_START_RANGES,
		.max_span = caps.max_span,
		.max_trackers = caps.max_trackers,
	};
	return copy_to_user(arg, &uc, sizeof(uc)) ? -EFAULT : 0;
}

static int vhost_vdpa_dirty_cmp(const void *a, const void *b)
{
	const struct vdpa_dirty_range *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/*
 * The smallest page size the device tracks with at or above @hint, else
 * its largest; 0 when it offers none of 4 KiB or more.
 */
static u64 vhost_vdpa_dirty_page(u64 sizes, u64 hint)
{
	sizes &= ~(SZ_4K - 1);
	if (!sizes)
		return 0;
	if (sizes & ~(hint - 1))
		return 1ULL << __ffs64(sizes & ~(hint - 1));
	return 1ULL << __fls(sizes);
}

/*
 * Round @r (sorted, disjoint) out to @page and merge what then touches;
 * then, while there are more than @max, merge the neighbours with the
 * smallest gap between them: the fewest extra pages tracked, all of them
 * harmless (over-tracking is safe, under-tracking is not). Returns the
 * number of ranges left; their total length goes to *@span.
 */
static u32 vhost_vdpa_dirty_combine(struct vdpa_dirty_range *r, u32 n, u64 page, u32 max,
				    u64 *span)
{
	u32 i, out = 0, best;
	u64 end, gap, best_gap;

	for (i = 0; i < n; i++) {
		u64 start = round_down(r[i].iova, page);

		/* Checked by the caller: the rounded end does not wrap. */
		end = round_up(r[i].iova + r[i].length, page);
		if (out && start <= r[out - 1].iova + r[out - 1].length) {
			r[out - 1].length = max(end, r[out - 1].iova + r[out - 1].length) -
					    r[out - 1].iova;
			continue;
		}
		r[out].iova = start;
		r[out].length = end - start;
		out++;
	}
	/*
	 * Quadratic in the worst case (1024 ranges into a few), which is a
	 * few hundred thousand steps once per START: not worth a heap.
	 */
	while (out > max) {
		best = 1;
		best_gap = U64_MAX;
		for (i = 1; i < out; i++) {
			gap = r[i].iova - (r[i - 1].iova + r[i - 1].length);
			if (gap < best_gap) {
				best_gap = gap;
				best = i;
			}
		}
		r[best - 1].length = r[best].iova + r[best].length - r[best - 1].iova;
		memmove(&r[best], &r[best + 1], (out - best - 1) * sizeof(*r));
		out--;
		cond_resched();
	}
	*span = 0;
	for (i = 0; i < out; i++)
		*span += r[i].length;
	return out;
}

/* Validate the ranges of START (@n of them, in @r): sorted on return. */
static int vhost_vdpa_dirty_check_ranges(struct vdpa_dirty_range *r, u32 n, u64 hint, u64 page)
{
	u64 align = max(hint, page), end;
	u32 i;

	for (i = 0; i < n; i++) {
		if (!r[i].length || !IS_ALIGNED(r[i].iova | r[i].length, hint))
			return -EINVAL;
		/* The end, rounded up to a tracking page, must not wrap. */
		if (check_add_overflow(r[i].iova, r[i].length, &end) || end > U64_MAX - align + 1)
			return -EOVERFLOW;
	}
	sort(r, n, sizeof(*r), vhost_vdpa_dirty_cmp, NULL);
	for (i = 1; i < n; i++)
		if (r[i].iova < r[i - 1].iova + r[i - 1].length)
			return -EINVAL;
	return 0;
}

/**
 * vhost_vdpa_dirty_begin() - start tracking an address space
 * @v: the device
 * @asid: the address space (in range)
 * @r: the ranges: sorted, disjoint, none wrapping when rounded out to a
 *	tracking page; rounded and combined in place
 * @n: entries in @r, at least one
 * @hint: the page size asked for: the parent's smallest at or above it
 *	is used, else its largest
 * @log: for the vhost log (vdpa_log.c) rather than START
 * @page: the tracking page size, on success
 *
 * Context: vhost_vdpa.lock held, device present.
 * Return: 0; -EIO when the parent tracks no page of 4 KiB or more,
 * -EBUSY when @asid is tracked already, -ENOSPC when the parent has no
 * tracker left, -EOPNOTSUPP when the ranges span more than one tracker
 * covers, -ENOMEM, or the parent's error.
 */
int vhost_vdpa_dirty_begin(struct vhost_vdpa *v, u32 asid, struct vdpa_dirty_range *r, u32 n,
			   u64 hint, bool log, u64 *page)
{
	struct vhost_vdpa_dirty *d;
	struct vdpa_dirty_caps caps;
	u32 trackers = 0, i;
	u64 span;
	int err;

	lockdep_assert_held(&v->lock);
	vhost_vdpa_dirty_ops(v)->dirty_caps(v->vdpa, &caps);
	*page = vhost_vdpa_dirty_page(caps.page_sizes, hint);
	if (!*page)
		return -EIO;
	if (v->as[asid].dirty)
		return -EBUSY;
	for (i = 0; i < v->nas; i++)
		trackers += !!v->as[i].dirty;
	if (trackers >= caps.max_trackers)
		return -ENOSPC;
	n = vhost_vdpa_dirty_combine(r, n, *page, max(caps.max_ranges, 1U), &span);
	if (caps.max_span && span > caps.max_span)
		return -EOPNOTSUPP;
	d = kzalloc(struct_size(d, range, n), GFP_KERNEL_ACCOUNT);
	if (!d)
		return -ENOMEM;
	d->nranges = n;
	d->page_size = *page;
	d->no_clear = caps.no_clear;
	d->log = log;
	memcpy(d->range, r, n * sizeof(*r));
	err = vhost_vdpa_dirty_ops(v)->dirty_start(v->vdpa, asid, d->range, n, *page);
	if (err) {
		kfree(d);
		return err;
	}
	v->as[asid].dirty = d;
	return 0;
}

static int vhost_vdpa_dirty_start(struct vhost_vdpa *v, void __user *arg)
{
	struct vhost_vdpa_dirty_start us;
	struct vdpa_dirty_range *r = NULL;
	struct vhost_vdpa_dirty *d = NULL;
	struct vdpa_dirty_caps caps;
	u64 page = 0;
	u32 asid;
	int err;

	err = vhost_vdpa_dirty_copy_in(&us, sizeof(us), arg);
	if (err)
		return err;
	if (us.flags || us.asid >= v->nas || !us.nranges || us.page_size < SZ_4K ||
	    !is_power_of_2(us.page_size))
		return -EINVAL;
	if (us.nranges > VHOST_VDPA_DIRTY_MAX_START_RANGES)
		return -E2BIG;
	asid = array_index_nospec(us.asid, v->nas);
	r = memdup_array_user(u64_to_user_ptr(us.ranges), us.nranges, sizeof(*r));
	if (IS_ERR(r))
		return PTR_ERR(r);

	mutex_lock(&v->lock);
	if (!v->vdpa) {
		err = -ENODEV;
		goto out;
	}
	vhost_vdpa_dirty_ops(v)->dirty_caps(v->vdpa, &caps);
	page = vhost_vdpa_dirty_page(caps.page_sizes, us.page_size);
	err = page ? vhost_vdpa_dirty_check_ranges(r, us.nranges, us.page_size, page) : -EIO;
	if (!err)
		err = vhost_vdpa_dirty_begin(v, asid, r, us.nranges, us.page_size, false, &page);
	if (!err)
		d = v->as[asid].dirty;
out:
	mutex_unlock(&v->lock);
	kfree(r);
	if (err)
		return err;
	/* Tracking is on: if the answer cannot reach the caller, it is off again. */
	if (put_user(page, &((struct vhost_vdpa_dirty_start __user *)arg)->page_size)) {
		mutex_lock(&v->lock);
		if (v->as[asid].dirty == d)
			vhost_vdpa_dirty_end(v, asid);
		mutex_unlock(&v->lock);
		return -EFAULT;
	}
	return 0;
}

static int vhost_vdpa_dirty_stop(struct vhost_vdpa *v, void __user *arg)
{
	struct vhost_vdpa_dirty_stop us;
	struct vhost_vdpa_dirty *d;
	int err;

	err = vhost_vdpa_dirty_copy_in(&us, sizeof(us), arg);
	if (err)
		return err;
	if (us.flags || us.reserved || us.asid >= v->nas)
		return -EINVAL;
	mutex_lock(&v->lock);
	d = v->as[array_index_nospec(us.asid, v->nas)].dirty;
	if (d && d->log)
		err = -EBUSY;
	else
		vhost_vdpa_dirty_end(v, array_index_nospec(us.asid, v->nas));
	mutex_unlock(&v->lock);
	return err;
}

/**
 * struct vhost_vdpa_dirty_window - one call into the parent for REPORT
 * @v: the device
 * @asid: the address space
 * @d: its tracker when REPORT began; the report ends if that changes
 * @flags: VDPA_DIRTY_REPORT_*
 */
struct vhost_vdpa_dirty_window {
	struct vhost_vdpa *v;
	u32 asid;
	struct vhost_vdpa_dirty *d;
	u32 flags;
};

/* vhost_vdpa_bitmap_fill()'s report callback: one window, the parent's report. */
static int vhost_vdpa_dirty_window(void *arg, u64 iova, u64 length, struct vdpa_dirty_sink *sink)
{
	struct vhost_vdpa_dirty_window *w = arg;
	struct vhost_vdpa *v = w->v;
	int err;

	mutex_lock(&v->lock);
	if (!v->vdpa)
		err = -ENODEV;
	else if (v->as[w->asid].dirty != w->d)
		err = -EINVAL;
	else
		err = vhost_vdpa_dirty_ops(v)->dirty_report(v->vdpa, w->asid, iova,
							    length, w->flags, sink);
	mutex_unlock(&v->lock);
	return err;
}

/**
 * vhost_vdpa_dirty_fill() - report (and clear) a tracker into a user bitmap
 * @v: the device
 * @asid: the address space
 * @d: its tracker when the caller looked (it may be gone since: only
 *	compared, never read); the report ends (-EINVAL) if it changed
 * @page: @d's page size, read by the caller under vhost_vdpa.lock
 * @bitmap: user address of the bitmap: bit n for the 4 KiB page at n * 4096
 * @length: bytes of IOVA from 0 to report, a multiple of @page
 *
 * For the vhost log (vdpa_log.c), in the owner's mm.
 *
 * Context: vhost_vdpa.iotlb_lock held, not vhost_vdpa.lock; sleeps.
 * Return: 0 or -errno, as vhost_vdpa_bitmap_fill().
 */
int vhost_vdpa_dirty_fill(struct vhost_vdpa *v, u32 asid, struct vhost_vdpa_dirty *d,
			  u64 page, u64 __user *bitmap, u64 length)
{
	struct vhost_vdpa_dirty_window w = { .v = v, .asid = asid, .d = d };
	bool touched;

	lockdep_assert_held(&v->iotlb_lock);
	return vhost_vdpa_bitmap_fill(bitmap, 0, length, SZ_4K, page,
				      vhost_vdpa_dirty_window, &w, &touched);
}

static int vhost_vdpa_dirty_report(struct vhost_vdpa *v, void __user *arg)
{
	struct vhost_vdpa_dirty_window w = { .v = v };
	struct vhost_vdpa_dirty_report ur;
	bool touched = false;
	u64 track = 0;
	int err;

	err = vhost_vdpa_dirty_copy_in(&ur, sizeof(ur), arg);
	if (err)
		return err;
	if ((ur.flags & ~VHOST_VDPA_DIRTY_REPORT_NO_CLEAR) || ur.reserved || ur.asid >= v->nas ||
	    !ur.length || ur.page_size < SZ_4K || !is_power_of_2(ur.page_size) ||
	    !IS_ALIGNED(ur.iova | ur.length, ur.page_size) || !IS_ALIGNED(ur.bitmap, sizeof(u64)))
		return -EINVAL;
	if (ur.iova + ur.length - 1 < ur.iova)
		return -EOVERFLOW;
	w.asid = array_index_nospec(ur.asid, v->nas);

	mutex_lock(&v->lock);
	w.d = v->as[w.asid].dirty;
	if (!v->vdpa) {
		err = -ENODEV;
	} else if (!w.d) {
		err = -EINVAL;
	} else if (w.d->log) {
		err = -EBUSY;
	} else if (w.d->error) {
		err = -EIO;
	} else {
		track = w.d->page_size;
		if (!IS_ALIGNED(ur.iova | ur.length, track))
			err = -EINVAL;
		else if ((ur.flags & VHOST_VDPA_DIRTY_REPORT_NO_CLEAR) && !w.d->no_clear)
			err = -EOPNOTSUPP;
	}
	mutex_unlock(&v->lock);
	if (err)
		return err;
	w.flags = ur.flags & VHOST_VDPA_DIRTY_REPORT_NO_CLEAR ? VDPA_DIRTY_REPORT_NO_CLEAR : 0;

	err = vhost_vdpa_bitmap_fill(u64_to_user_ptr(ur.bitmap), ur.iova, ur.length,
				     ur.page_size, track, vhost_vdpa_dirty_window, &w, &touched);
	if (err && touched && !(w.flags & VDPA_DIRTY_REPORT_NO_CLEAR)) {
		/* Part of the log may have been cleared and not delivered. */
		mutex_lock(&v->lock);
		if (v->as[w.asid].dirty == w.d)
			w.d->error = true;
		mutex_unlock(&v->lock);
	}
	return err;
}

/**
 * vhost_vdpa_dirty_ioctl() - the VHOST_VDPA_DIRTY_LOG_* ioctls
 * @v: the device
 * @cmd: the command
 * @arg: its user argument
 *
 * Return: -ENOIOCTLCMD for another command, else 0 or -errno; -ENOTTY
 * until VHOST_BACKEND_F_DIRTY_LOG is acked.
 */
long vhost_vdpa_dirty_ioctl(struct vhost_vdpa *v, unsigned int cmd, void __user *arg)
{
	long err;

	switch (cmd) {
	case VHOST_VDPA_DIRTY_LOG_CAPS:
	case VHOST_VDPA_DIRTY_LOG_START:
	case VHOST_VDPA_DIRTY_LOG_STOP:
	case VHOST_VDPA_DIRTY_LOG_REPORT:
		break;
	default:
		return -ENOIOCTLCMD;
	}
	if (mutex_lock_killable(&v->iotlb_lock))
		return -EINTR;
	mutex_lock(&v->lock);
	if (!v->vdpa)
		err = -ENODEV;
	else if (!vhost_vdpa_backend_has(v, VHOST_BACKEND_F_DIRTY_LOG))
		err = -ENOTTY;
	else if (!v->owner || v->owner != current->mm)
		err = -EPERM;
	else
		err = 0;
	mutex_unlock(&v->lock);
	if (err)
		goto out;
	switch (cmd) {
	case VHOST_VDPA_DIRTY_LOG_CAPS:
		err = vhost_vdpa_dirty_caps(v, arg);
		break;
	case VHOST_VDPA_DIRTY_LOG_START:
		err = vhost_vdpa_dirty_start(v, arg);
		break;
	case VHOST_VDPA_DIRTY_LOG_STOP:
		err = vhost_vdpa_dirty_stop(v, arg);
		break;
	default:
		err = vhost_vdpa_dirty_report(v, arg);
		break;
	}
out:
	mutex_unlock(&v->iotlb_lock);
	return err;
}
