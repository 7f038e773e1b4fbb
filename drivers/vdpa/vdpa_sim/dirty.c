// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_sim dirty-page tracking: the simulator logs every page its datapath
 * writes through an address space that is tracked. Writes are seen at one
 * place, the rings' &vdpa_devring_ops.dirty hook (core.c), so every device
 * class and the control queue are covered alike.
 *
 * A tracker is a bitmap per tracked range, one bit per tracking page. The
 * datapath writes guest memory and marks pages with vdpasim.lock held, and
 * the log changes only under that lock: a report that reads and clears
 * under it is atomic against the device's writes, so no write is lost
 * between the two, and plain (non-atomic) bit operations are enough.
 */
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vdpa.h>

#include "vdpa_sim.h"

/* Ranges one tracker holds; the bus driver combines more into these. */
#define VDPASIM_DIRTY_MAX_RANGES 16
/* Tracking pages from 4 KiB to 1 GiB. */
#define VDPASIM_DIRTY_PAGE_SIZES GENMASK_ULL(30, 12)
/* At 4 KiB pages a 1 TiB span takes 32 MiB of bitmap. */
#define VDPASIM_DIRTY_MAX_SPAN BIT_ULL(40)
/* Bitmap words a report scans between looks for a fatal signal. */
#define VDPASIM_DIRTY_SCAN_BATCH 4096

/**
 * struct vdpasim_dirty_range - the log of one tracked range
 * @iova: first byte
 * @length: bytes, a multiple of the tracking page
 * @bits: one bit per tracking page
 */
struct vdpasim_dirty_range {
	u64 iova;
	u64 length;
	unsigned long *bits;
};

/**
 * struct vdpasim_dirty - the tracker of one address space
 * @page_shift: log2 of the tracking page size
 * @nranges: entries in @range
 * @range: the tracked ranges, sorted and disjoint
 */
struct vdpasim_dirty {
	unsigned int page_shift;
	u32 nranges;
	struct vdpasim_dirty_range range[] __counted_by(nranges);
};

static void vdpasim_dirty_free_one(struct vdpasim_dirty *d)
{
	u32 i;

	if (!d)
		return;
	for (i = 0; i < d->nranges; i++)
		kvfree(d->range[i].bits);
	kfree(d);
}

/**
 * vdpasim_dirty_caps() - &vdpa_config_ops.dirty_caps
 * @vdpa: the device
 * @caps: filled in
 */
void vdpasim_dirty_caps(struct vdpa_device *vdpa, struct vdpa_dirty_caps *caps)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	*caps = (struct vdpa_dirty_caps){
		.page_sizes = VDPASIM_DIRTY_PAGE_SIZES,
		.max_ranges = VDPASIM_DIRTY_MAX_RANGES,
		.max_span = VDPASIM_DIRTY_MAX_SPAN,
		.max_trackers = sim->dev_attr.nas,
		.no_clear = true,
	};
}

/*
 * What the bus driver promises (vdpa_config_ops.dirty_start), checked
 * again: a device does not trust its driver with its own memory.
 */
static bool vdpasim_dirty_ranges_ok(const struct vdpa_dirty_range *ranges, u32 nranges,
				    u64 page_size)
{
	u64 span = 0, end = 0;
	u32 i;

	if (!nranges || nranges > VDPASIM_DIRTY_MAX_RANGES ||
	    !is_power_of_2(page_size) || !(page_size & VDPASIM_DIRTY_PAGE_SIZES))
		return false;
	for (i = 0; i < nranges; i++) {
		const struct vdpa_dirty_range *r = &ranges[i];

		if (!r->length || !IS_ALIGNED(r->iova | r->length, page_size) ||
		    r->iova + r->length - 1 < r->iova || (i && r->iova < end))
			return false;
		end = r->iova + r->length;
		span += r->length;
		if (span > VDPASIM_DIRTY_MAX_SPAN)
			return false;
	}
	return true;
}

/**
 * vdpasim_dirty_start() - &vdpa_config_ops.dirty_start
 * @vdpa: the device
 * @asid: the address space
 * @ranges: sorted, disjoint, aligned to @page_size
 * @nranges: entries in @ranges
 * @page_size: the tracking page size
 *
 * The log is allocated before the lock is taken; the tracker is live, and
 * the datapath logs into it, once it is installed.
 *
 * Return: 0, -EINVAL, -EBUSY when @asid is tracked already, -ENOMEM.
 */
int vdpasim_dirty_start(struct vdpa_device *vdpa, unsigned int asid,
			const struct vdpa_dirty_range *ranges, u32 nranges, u64 page_size)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct vdpasim_dirty *d;
	int err = 0;
	u32 i;

	if (asid >= sim->dev_attr.nas || !vdpasim_dirty_ranges_ok(ranges, nranges, page_size))
		return -EINVAL;
	d = kzalloc(struct_size(d, range, nranges), GFP_KERNEL_ACCOUNT);
	if (!d)
		return -ENOMEM;
	d->nranges = nranges;
	d->page_shift = ilog2(page_size);
	for (i = 0; i < nranges; i++) {
		d->range[i].iova = ranges[i].iova;
		d->range[i].length = ranges[i].length;
		d->range[i].bits = kvcalloc(BITS_TO_LONGS(ranges[i].length >> d->page_shift),
					    sizeof(unsigned long), GFP_KERNEL_ACCOUNT);
		if (!d->range[i].bits) {
			vdpasim_dirty_free_one(d);
			return -ENOMEM;
		}
	}
	mutex_lock(&sim->lock);
	if (sim->dirty[asid])
		err = -EBUSY;
	else
		sim->dirty[asid] = d;
	mutex_unlock(&sim->lock);
	if (err)
		vdpasim_dirty_free_one(d);
	return err;
}

/**
 * vdpasim_dirty_stop() - &vdpa_config_ops.dirty_stop
 * @vdpa: the device
 * @asid: the address space
 *
 * Return: 0, or -EINVAL for an address space the device does not have.
 */
int vdpasim_dirty_stop(struct vdpa_device *vdpa, unsigned int asid)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct vdpasim_dirty *d;

	if (asid >= sim->dev_attr.nas)
		return -EINVAL;
	mutex_lock(&sim->lock);
	d = sim->dirty[asid];
	sim->dirty[asid] = NULL;
	mutex_unlock(&sim->lock);
	vdpasim_dirty_free_one(d);
	return 0;
}

/**
 * vdpasim_dirty_mark() - the device wrote [@iova, @iova + @len) of @asid
 * @sim: the device
 * @asid: the address space the write went through
 * @iova: first byte written
 * @len: bytes written
 *
 * Pages outside the tracked ranges are not logged: the bus driver tracks
 * every writable mapping, or knows it does not.
 *
 * Context: vdpasim.lock held.
 */
void vdpasim_dirty_mark(struct vdpasim *sim, u32 asid, u64 iova, u64 len)
{
	struct vdpasim_dirty *d = sim->dirty[asid];
	u64 last = iova + len - 1, first_bit, last_bit;
	u32 i;

	lockdep_assert_held(&sim->lock);
	if (!d || !len)
		return;
	for (i = 0; i < d->nranges; i++) {
		const struct vdpasim_dirty_range *r = &d->range[i];
		u64 r_last = r->iova + r->length - 1;

		if (last < r->iova || iova > r_last)
			continue;
		first_bit = (max(iova, r->iova) - r->iova) >> d->page_shift;
		last_bit = (min(last, r_last) - r->iova) >> d->page_shift;
		bitmap_set(r->bits, first_bit, last_bit - first_bit + 1);
	}
}

/*
 * Report (and clear) the set bits of @r in [@first, @last], in runs of
 * consecutive pages.
 */
static int vdpasim_dirty_report_range(const struct vdpasim_dirty *d,
				      const struct vdpasim_dirty_range *r, u64 first,
				      u64 last, bool clear, struct vdpa_dirty_sink *sink)
{
	unsigned long size = last + 1, bit = first, end, scanned = 0;
	int err;

	while (bit < size) {
		bit = find_next_bit(r->bits, size, bit);
		if (bit >= size)
			break;
		end = find_next_zero_bit(r->bits, size, bit);
		err = sink->mark(sink, r->iova + ((u64)bit << d->page_shift),
				 (u64)(end - bit) << d->page_shift);
		if (err)
			return err;
		if (clear)
			bitmap_clear(r->bits, bit, end - bit);
		scanned += (end - bit) / BITS_PER_LONG + 1;
		bit = end;
		if (scanned >= VDPASIM_DIRTY_SCAN_BATCH) {
			scanned = 0;
			if (fatal_signal_pending(current))
				return -EINTR;
		}
	}
	return 0;
}

/**
 * vdpasim_dirty_report() - &vdpa_config_ops.dirty_report
 * @vdpa: the device
 * @asid: the address space
 * @iova: first byte of the range
 * @length: bytes, whole tracking pages
 * @flags: VDPA_DIRTY_REPORT_NO_CLEAR or 0
 * @sink: takes each run of dirty pages
 *
 * Runs under vdpasim.lock, so the datapath waits: the report is atomic
 * against the device's writes.
 *
 * Return: 0, -EINVAL when @asid is not tracked or the range is not whole
 * pages, -EINTR on a fatal signal, or the sink's error.
 */
int vdpasim_dirty_report(struct vdpa_device *vdpa, unsigned int asid, u64 iova, u64 length,
			 u32 flags, struct vdpa_dirty_sink *sink)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	u64 last = iova + length - 1;
	struct vdpasim_dirty *d;
	int err = 0;
	u32 i;

	if (asid >= sim->dev_attr.nas || !length || last < iova)
		return -EINVAL;
	mutex_lock(&sim->lock);
	d = sim->dirty[asid];
	if (!d || !IS_ALIGNED(iova | length, 1ULL << d->page_shift)) {
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < d->nranges && !err; i++) {
		const struct vdpasim_dirty_range *r = &d->range[i];
		u64 r_last = r->iova + r->length - 1;

		if (last < r->iova || iova > r_last)
			continue;
		err = vdpasim_dirty_report_range(d, r,
						 (max(iova, r->iova) - r->iova) >> d->page_shift,
						 (min(last, r_last) - r->iova) >> d->page_shift,
						 !(flags & VDPA_DIRTY_REPORT_NO_CLEAR), sink);
	}
out:
	mutex_unlock(&sim->lock);
	return err;
}

/**
 * vdpasim_dirty_free() - stop every tracker (device release)
 * @sim: the device
 */
void vdpasim_dirty_free(struct vdpasim *sim)
{
	u32 asid;

	if (!sim->dirty)
		return;
	for (asid = 0; asid < sim->dev_attr.nas; asid++)
		vdpasim_dirty_free_one(sim->dirty[asid]);
	kfree(sim->dirty);
}

/*
 * debugfs dirty_inject: "ASID IOVA LENGTH" logs that range as if the
 * device had written it, so benchmarks and tests can give a tracker any
 * pattern (gigabytes of it) without moving that much data.
 */
static ssize_t vdpasim_dirty_inject_write(struct file *file, const char __user *ubuf,
					  size_t count, loff_t *ppos)
{
	struct vdpasim *sim = file->private_data;
	u64 iova, len;
	char buf[64];
	u32 asid;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	if (sscanf(buf, "%u %llx %llx", &asid, &iova, &len) != 3 ||
	    asid >= sim->dev_attr.nas || !len || iova + len - 1 < iova)
		return -EINVAL;
	mutex_lock(&sim->lock);
	vdpasim_dirty_mark(sim, asid, iova, len);
	mutex_unlock(&sim->lock);
	return count;
}

static const struct file_operations vdpasim_dirty_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = vdpasim_dirty_inject_write,
	.llseek = noop_llseek,
};

/**
 * vdpasim_dirty_debugfs_init() - the device's dirty_inject file
 * @sim: the device
 * @dir: its debugfs directory
 */
void vdpasim_dirty_debugfs_init(struct vdpasim *sim, struct dentry *dir)
{
	debugfs_create_file("dirty_inject", 0200, dir, sim, &vdpasim_dirty_inject_fops);
}
