// SPDX-License-Identifier: GPL-2.0
/*
 * cxvdpa dirty-page tracking: the dirty_* ops of vdpa_config_ops on the
 * function's page trackers (include/linux/cxdev.h, "Page tracker").
 *
 * One page tracker object per tracked address space. dirty_start gives it
 * a report queue in kernel memory, creates the report queue object, then
 * the tracker over the ranges, and posts every buffer. dirty_report reads
 * and clears a sub-range: a MODIFY to REPORTING, then completions are
 * drained, each buffer posted again once read, until the one whose state
 * is TRACKING. dirty_stop destroys the tracker, the report queue and its
 * key, in that order, and frees the memory.
 *
 * The function logs only its own DMA. The control queue runs here, on the
 * CPU (cvq.c), and its writes to guest memory reach a software log of the
 * tracker of its address space instead, which a report drains together
 * with the function's.
 *
 * The report queue's key: a physical key of the tracker's own (the kind
 * mr.c builds for the identity map), so the queue's addresses are the
 * physical addresses of its memory. This driver already hands the
 * function physical addresses (the identity map; the vDPA device is its
 * own DMA device), the key is one command with no translation entries
 * and nothing to keep in step with the memory, and it is not an address
 * space's key, which set_map replaces under the queue. The price: each
 * area must be physically contiguous, so the message buffers are kept to
 * a few pages (CXVDPA_TRACK_LOG_BUF_BYTES).
 *
 * Dirty state belongs to the IOVA: the function logs a write at the IOVA
 * its queue used, before the queue's key translates it, and the software
 * log is indexed by IOVA too. So nothing here changes when an address
 * space's region is rebuilt or running queues move to a new key (set_map,
 * reset_map): what was logged stays, and later writes land at the same
 * place. A device reset stops the queues but leaves every tracker as it
 * is: the log stays readable until dirty_stop.
 *
 * Errors: a failed start undoes what it did, in reverse. Once a report
 * has begun clearing (the software log, or the MODIFY), any error (a
 * timeout, a fatal signal, the sink's error, a malformed completion, a
 * tracker error event the object confirms) makes the tracker's error
 * sticky: reports return -EIO until dirty_stop. An object the function
 * refuses to destroy is kept, with its memory, on the device's leftovers
 * list and destroyed again later (see struct cxvdpa_dev).
 */
#include <linux/bitops.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "cxvdpa.h"

/* Bytes of message buffers per report queue (log2): 32 KiB, 8 slots of 4 KiB. */
#define CXVDPA_TRACK_LOG_BUF_BYTES 15
/* A report that sees no completion for this long has failed. */
#define CXVDPA_TRACK_TIMEOUT (5 * HZ)
/* How often a waiting report reads the doorbell record, events or not. */
#define CXVDPA_TRACK_POLL msecs_to_jiffies(10)

/**
 * struct cxvdpa_tracker - a page tracker this driver started
 * @obj: its page tracker object id; 0 once destroyed
 * @rq: its report queue object id; 0 once destroyed
 * @key: the physical key the report queue reaches its memory through
 * @log_page: tracking page (log2 bytes)
 * @log_msg: report message (log2 bytes)
 * @log_size: report queue slots (log2)
 * @log_stride: bytes of one message buffer (log2)
 * @msg_pages: the message buffers, 2^@log_size of 2^@log_stride bytes
 * @msg_order: allocation order of @msg_pages
 * @cqes: the completions, one per slot
 * @dbr: the doorbell record
 * @posted: buffers posted, free running
 * @consumed: completions consumed, free running
 * @error: sticky: the log may be lost; reports return -EIO until stop
 * @cpu_lost: a CPU write could not be logged (no memory); as @error.
 *	Written under cxvdpa_dev.lock, read by reports without it.
 * @cpu_log: tracking pages (IOVA >> @log_page) written by the driver from
 *	the CPU and not reported yet; the xarray's own lock orders the
 *	control queue's stores against a report's erases
 * @node: entry in a list of leftovers
 * @nranges: entries in @range
 * @range: the tracked ranges, sorted and disjoint
 *
 * Everything but @cpu_log and @cpu_lost is used under cxvdpa_dirty.lock
 * alone, or by the one thread that owns a leftover.
 */
struct cxvdpa_tracker {
	u32 obj;
	u32 rq;
	struct cxvdpa_mr key;
	u8 log_page;
	u8 log_msg;
	u8 log_size;
	u8 log_stride;
	struct page *msg_pages;
	unsigned int msg_order;
	struct cxdev_track_cqe *cqes;
	struct cxdev_track_dbr *dbr;
	u32 posted;
	u32 consumed;
	bool error;
	bool cpu_lost;
	struct xarray cpu_log;
	struct list_head node;
	u32 nranges;
	struct vdpa_dirty_range range[] __counted_by(nranges);
};

/**
 * struct cxvdpa_dirty_run - consecutive dirty pages not yet given to the sink
 * @start: first byte
 * @len: bytes; 0 when empty
 *
 * Pages arrive one at a time in address order; handing them over in runs
 * calls the sink (and its bitmap update) once per run instead of per page.
 */
struct cxvdpa_dirty_run {
	u64 start;
	u64 len;
};

static int cxvdpa_dirty_run_flush(struct cxvdpa_dirty_run *run, struct vdpa_dirty_sink *sink)
{
	int err;

	if (!run->len)
		return 0;
	err = sink->mark(sink, run->start, run->len);
	run->len = 0;
	return err;
}

static int cxvdpa_dirty_run_add(struct cxvdpa_dirty_run *run, u64 addr, u64 page,
				struct vdpa_dirty_sink *sink)
{
	int err;

	/* A run reaching 2^64 wraps here, but no page in range follows it. */
	if (run->len && addr == run->start + run->len) {
		run->len += page;
		return 0;
	}
	err = cxvdpa_dirty_run_flush(run, sink);
	run->start = addr;
	run->len = page;
	return err;
}

/* ---- commands ---- */

/*
 * A tracker command's result: -ENOSPC when the function has no resource
 * left for the object, otherwise any failure is -EIO: the driver sent a
 * well-formed command, so a refusal is the function failing.
 */
static int cxvdpa_track_cmd(struct cxvdpa_res *res, const void *in, size_t inlen, void *out,
			    size_t outlen)
{
	int err = cxvdpa_cmd(res, in, inlen, out, outlen);

	if (!err)
		return 0;
	/* -ENOSPC comes only from a status, so @out holds one. */
	if (err == -ENOSPC &&
	    MLX5_GET(general_obj_out_cmd_hdr, out, status) == MLX5_CMD_STAT_NO_RES_ERR)
		return -ENOSPC;
	return -EIO;
}

static void cxvdpa_track_hdr(void *in, u16 opcode, u16 type, u32 id)
{
	MLX5_SET(general_obj_in_cmd_hdr, in, opcode, opcode);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type, type);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_id, id);
}

static int cxvdpa_track_obj_destroy(struct cxvdpa_res *res, u16 type, u32 id)
{
	u32 in[MLX5_ST_SZ_DW(general_obj_in_cmd_hdr)] = {};
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};

	cxvdpa_track_hdr(in, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, type, id);
	return cxvdpa_track_cmd(res, in, sizeof(in), out, sizeof(out));
}

#define CXVDPA_TRACK_RQ_IN_DW (MLX5_ST_SZ_DW(general_obj_in_cmd_hdr) + \
			       sizeof(struct cxdev_track_rq) / sizeof(u32))

static int cxvdpa_track_rq_create(struct cxvdpa_res *res, struct cxvdpa_tracker *t)
{
	struct cxdev_track_rq rq = {
		.mkey = cpu_to_be32(t->key.key),
		.pd = cpu_to_be32(res->pd),
		.log_size = t->log_size,
		.log_stride = t->log_stride,
		.buf_addr = cpu_to_be64(page_to_phys(t->msg_pages)),
		.cqe_addr = cpu_to_be64(virt_to_phys(t->cqes)),
		.dbr_addr = cpu_to_be64(virt_to_phys(t->dbr)),
	};
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	u32 in[CXVDPA_TRACK_RQ_IN_DW] = {};
	int err;

	cxvdpa_track_hdr(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, CXDEV_OBJ_TYPE_TRACK_RQ, 0);
	memcpy((u8 *)in + MLX5_ST_SZ_BYTES(general_obj_in_cmd_hdr), &rq, sizeof(rq));
	err = cxvdpa_track_cmd(res, in, sizeof(in), out, sizeof(out));
	if (!err)
		t->rq = MLX5_GET(general_obj_out_cmd_hdr, out, obj_id);
	return err;
}

static int cxvdpa_tracker_create(struct cxvdpa_res *res, struct cxvdpa_tracker *t, u8 log_space)
{
	size_t range_bytes = MLX5_ST_SZ_BYTES(page_track_range);
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	void *in, *obj, *ranges, *r;
	size_t inlen;
	u32 i;
	int err;

	inlen = MLX5_ST_SZ_BYTES(create_page_track_obj_in) + t->nranges * range_bytes;
	in = kzalloc(inlen, GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	cxvdpa_track_hdr(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK, 0);
	obj = MLX5_ADDR_OF(create_page_track_obj_in, in, obj_context);
	MLX5_SET(page_track, obj, state, MLX5_PAGE_TRACK_STATE_TRACKING);
	MLX5_SET(page_track, obj, track_type, CXDEV_PAGE_TRACK_TYPE_WRITE);
	MLX5_SET(page_track, obj, log_addr_space_size, log_space);
	MLX5_SET(page_track, obj, log_page_size, t->log_page);
	MLX5_SET(page_track, obj, log_msg_size, t->log_msg);
	MLX5_SET(page_track, obj, reporting_qpn, t->rq);
	MLX5_SET(page_track, obj, num_ranges, t->nranges);
	ranges = MLX5_ADDR_OF(page_track, obj, track_range);
	for (i = 0; i < t->nranges; i++) {
		r = ranges + i * range_bytes;
		MLX5_SET64(page_track_range, r, start_address, t->range[i].iova);
		MLX5_SET64(page_track_range, r, length, t->range[i].length);
	}
	err = cxvdpa_track_cmd(res, in, inlen, out, sizeof(out));
	if (!err)
		t->obj = MLX5_GET(general_obj_out_cmd_hdr, out, obj_id);
	kfree(in);
	return err;
}

/* Start a report of [@iova, @iova + @length): TRACKING -> REPORTING. */
static int cxvdpa_tracker_modify(struct cxvdpa_res *res, struct cxvdpa_tracker *t, u64 iova,
				 u64 length)
{
	u32 in[MLX5_ST_SZ_DW(modify_page_track_obj_in)] = {};
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	void *obj = MLX5_ADDR_OF(modify_page_track_obj_in, in, obj_context);

	cxvdpa_track_hdr(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK, t->obj);
	MLX5_SET64(page_track, obj, modify_field_select,
		   CXDEV_PAGE_TRACK_SELECT_STATE | CXDEV_PAGE_TRACK_SELECT_RANGE);
	MLX5_SET(page_track, obj, state, MLX5_PAGE_TRACK_STATE_REPORTING);
	MLX5_SET64(page_track, obj, range_start_address, iova);
	MLX5_SET64(page_track, obj, length, length);
	return cxvdpa_track_cmd(res, in, sizeof(in), out, sizeof(out));
}

static int cxvdpa_tracker_query_state(struct cxvdpa_res *res, struct cxvdpa_tracker *t,
				      u8 *state)
{
	u32 in[MLX5_ST_SZ_DW(general_obj_in_cmd_hdr)] = {};
	u32 out[MLX5_ST_SZ_DW(query_page_track_obj_out)] = {};
	int err;

	cxvdpa_track_hdr(in, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK, t->obj);
	err = cxvdpa_track_cmd(res, in, sizeof(in), out, sizeof(out));
	if (!err)
		*state = MLX5_GET(page_track,
				  MLX5_ADDR_OF(query_page_track_obj_out, out, obj_context), state);
	return err;
}

/* ---- capabilities ---- */

/*
 * Take the capability page's limits, checked: a function whose limits
 * contradict each other, or leave no tracking page of 4 KiB or more or no
 * message a report queue buffer can hold, is treated as having no tracker.
 */
static bool cxvdpa_track_caps_take(struct cxvdpa_res *res, const void *cap,
				   struct cxvdpa_track_caps *c)
{
	u8 min_msg = MLX5_GET(adv_virtualization_cap, cap, pg_track_log_min_msg_size);
	u8 max_msg = MLX5_GET(adv_virtualization_cap, cap, pg_track_log_max_msg_size);

	c->log_max_num = MLX5_GET(adv_virtualization_cap, cap, pg_track_log_max_num);
	c->max_num_range = MLX5_GET(adv_virtualization_cap, cap, pg_track_max_num_range);
	c->log_min_addr_space = MLX5_GET(adv_virtualization_cap, cap, pg_track_log_min_addr_space);
	c->log_max_addr_space = MLX5_GET(adv_virtualization_cap, cap, pg_track_log_max_addr_space);
	c->log_min_page = MLX5_GET(adv_virtualization_cap, cap, pg_track_log_min_page_size);
	c->log_max_page = MLX5_GET(adv_virtualization_cap, cap, pg_track_log_max_page_size);
	/* A message holds at least one 8-byte address. */
	min_msg = max_t(u8, min_msg, ilog2(sizeof(__be64)));
	if (!c->max_num_range || c->log_min_page > c->log_max_page || c->log_max_page < 12 ||
	    c->log_min_addr_space > c->log_max_addr_space || min_msg > max_msg ||
	    min_msg > CXDEV_TRACK_RQ_LOG_MAX_STRIDE) {
		dev_warn(res->dev, "page tracker limits unusable, dirty-page tracking not offered\n");
		return false;
	}
	/* A page's worth of addresses per message, if the function allows. */
	max_msg = min_t(u8, max_msg, CXDEV_TRACK_RQ_LOG_MAX_STRIDE);
	c->log_msg = clamp_t(u8, PAGE_SHIFT, min_msg, max_msg);
	return true;
}

/**
 * cxvdpa_dirty_query_caps() - what page tracker the function has
 * @res: the function
 * @caps: filled in; @caps->present is false when the function has none
 *	(cmd_hca_cap.adv_virtualization clear, or unusable limits)
 *
 * Asked when a device is created: a device offers the dirty_* ops exactly
 * when its function had a tracker then.
 *
 * Context: process context.
 * Return: 0, or -errno when a capability query failed.
 */
int cxvdpa_dirty_query_caps(struct cxvdpa_res *res, struct cxvdpa_track_caps *caps)
{
	void *out, *cap;
	int err;

	memset(caps, 0, sizeof(*caps));
	out = kzalloc(MLX5_ST_SZ_BYTES(query_hca_cap_out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	cap = MLX5_ADDR_OF(query_hca_cap_out, out, capability);
	err = cxvdpa_query_cap(res, MLX5_CAP_GENERAL, out);
	if (err || !MLX5_GET(cmd_hca_cap, cap, adv_virtualization))
		goto out;
	err = cxvdpa_query_cap(res, MLX5_CAP_ADV_VIRTUALIZATION, out);
	if (!err)
		caps->present = cxvdpa_track_caps_take(res, cap, caps);
out:
	kfree(out);
	return err;
}

/**
 * cxvdpa_dirty_caps() - &vdpa_config_ops.dirty_caps
 * @vdpa: the device
 * @caps: filled in from the function's limits
 *
 * The function checks the total length of a tracker's ranges against its
 * address space size, so that bounds the span. Reports always clear.
 *
 * Context: process context.
 */
void cxvdpa_dirty_caps(struct vdpa_device *vdpa, struct vdpa_dirty_caps *caps)
{
	const struct cxvdpa_track_caps *c = &vdpa_to_cxvdpa(vdpa)->track_caps;

	*caps = (struct vdpa_dirty_caps){
		.page_sizes = GENMASK_ULL(c->log_max_page, c->log_min_page),
		.max_ranges = c->max_num_range,
		/* The field is 8 bits wide: 2^64 and beyond is no limit. */
		.max_span = c->log_max_addr_space < 64 ? BIT_ULL(c->log_max_addr_space) : 0,
		.max_trackers = min_t(u32, CXVDPA_AS, BIT_ULL(c->log_max_num)),
		.no_clear = false,
	};
}

/* ---- a tracker's memory and objects ---- */

static void cxvdpa_tracker_free(struct cxvdpa_tracker *t)
{
	xa_destroy(&t->cpu_log);
	if (t->msg_pages)
		__free_pages(t->msg_pages, t->msg_order);
	kfree(t->cqes);
	kfree(t->dbr);
	kfree(t);
}

/*
 * The report queue's memory, zeroed: each area physically contiguous and
 * in the direct map, for the physical key (see the top of this file).
 */
static int cxvdpa_tracker_alloc_queue(struct cxvdpa_tracker *t)
{
	t->log_stride = max_t(u8, t->log_msg, CXDEV_TRACK_RQ_LOG_MIN_STRIDE);
	t->log_size = t->log_stride < CXVDPA_TRACK_LOG_BUF_BYTES ?
		      min(CXVDPA_TRACK_LOG_BUF_BYTES - t->log_stride,
			  CXDEV_TRACK_RQ_LOG_MAX_SIZE) : 0;
	t->msg_order = get_order(BIT(t->log_size + t->log_stride));
	t->msg_pages = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, t->msg_order);
	t->cqes = kcalloc(BIT(t->log_size), sizeof(*t->cqes), GFP_KERNEL_ACCOUNT);
	t->dbr = kzalloc(sizeof(*t->dbr), GFP_KERNEL_ACCOUNT);
	return t->msg_pages && t->cqes && t->dbr ? 0 : -ENOMEM;
}

/*
 * Destroy what is left of @t, tracker, report queue, key, in that order
 * (the tracker holds the queue, the queue the key), then free it. False
 * when the function refused a tracker or queue DESTROY: then @t, memory
 * included, stays as it is, since the function may still write to it.
 */
static bool cxvdpa_tracker_destroy(struct cxvdpa_res *res, struct cxvdpa_tracker *t)
{
	if (t->obj) {
		if (cxvdpa_track_obj_destroy(res, MLX5_OBJ_TYPE_PAGE_TRACK, t->obj))
			return false;
		t->obj = 0;
	}
	if (t->rq) {
		if (cxvdpa_track_obj_destroy(res, CXDEV_OBJ_TYPE_TRACK_RQ, t->rq))
			return false;
		t->rq = 0;
	}
	/*
	 * No object uses the key now, so nothing writes to the memory: a key
	 * the function fails to destroy is forgotten, as mr.c forgets one,
	 * and the function counts it when it is disabled.
	 */
	cxvdpa_mr_destroy(res, &t->key);
	cxvdpa_tracker_free(t);
	return true;
}

/* Keep @t for a later try: it still has objects the function may write through. */
static void cxvdpa_tracker_leave(struct cxvdpa_dev *d, struct cxvdpa_tracker *t)
{
	dev_warn(&d->vdpa.dev, "page tracker %u / report queue %u not destroyed, kept for later\n",
		 t->obj, t->rq);
	mutex_lock(&d->lock);
	list_add_tail(&t->node, &d->track_leftovers);
	mutex_unlock(&d->lock);
}

/* Try the leftovers again; those the function still refuses stay. */
static void cxvdpa_dirty_reap(struct cxvdpa_dev *d)
{
	struct cxvdpa_tracker *t, *next;
	LIST_HEAD(todo);

	mutex_lock(&d->lock);
	list_splice_init(&d->track_leftovers, &todo);
	mutex_unlock(&d->lock);
	list_for_each_entry_safe(t, next, &todo, node) {
		list_del_init(&t->node);
		if (cxvdpa_tracker_destroy(cxvdpa_dev_res(d), t))
			continue;
		mutex_lock(&d->lock);
		list_add_tail(&t->node, &d->track_leftovers);
		mutex_unlock(&d->lock);
	}
}

/* Hand @n more buffers to the function (cxdev.h, "Page tracker", step 4). */
static void cxvdpa_tracker_post(struct cxvdpa_tracker *t, u32 n)
{
	t->posted += n;
	/*
	 * Every read of the slots being posted is done before the count
	 * that lets the function write them again: a full barrier, for a
	 * function on another CPU or behind a bus alike.
	 */
	mb();
	WRITE_ONCE(t->dbr->posted, cpu_to_be32(t->posted));
}

/* Completions the function has written, free running. */
static u32 cxvdpa_tracker_completed(struct cxvdpa_tracker *t)
{
	return be32_to_cpu(READ_ONCE(t->dbr->completed));
}

/*
 * What the bus driver promises (sorted, disjoint, aligned ranges within
 * the limits) checked again; the address space size of the tracker: the
 * smallest power of two holding the ranges' total length, within limits.
 */
static int cxvdpa_dirty_check(const struct cxvdpa_track_caps *c,
			      const struct vdpa_dirty_range *ranges, u32 nranges,
			      u64 page_size, u8 *log_space)
{
	u64 total = 0, prev_last = 0;
	u8 log_page, log;
	u32 i;

	if (!nranges || nranges > c->max_num_range || !is_power_of_2(page_size))
		return -EINVAL;
	log_page = __ffs64(page_size);
	if (log_page < c->log_min_page || log_page > c->log_max_page)
		return -EINVAL;
	for (i = 0; i < nranges; i++) {
		const struct vdpa_dirty_range *r = &ranges[i];

		if (!r->length || !IS_ALIGNED(r->iova | r->length, page_size) ||
		    r->length - 1 > U64_MAX - r->iova || (i && r->iova <= prev_last) ||
		    r->length > U64_MAX - total)
			return -EINVAL;
		total += r->length;
		prev_last = r->iova + (r->length - 1);
	}
	log = max_t(u8, fls64(total - 1), c->log_min_addr_space);
	if (log > c->log_max_addr_space)
		return -EINVAL;
	*log_space = log;
	return 0;
}

/**
 * cxvdpa_dirty_start() - &vdpa_config_ops.dirty_start
 * @vdpa: the device
 * @asid: the address space
 * @ranges: sorted, disjoint, aligned to @page_size
 * @nranges: entries in @ranges, at most the function's ranges per tracker
 * @page_size: the tracking page size, one of the function's
 *
 * Allocates the report queue's memory, builds its key, creates the report
 * queue and the tracker, posts every buffer, then lets the control queue
 * log into it. Leftovers of earlier stops are destroyed first, so they
 * give their trackers back.
 *
 * Context: process context; takes cxvdpa_dirty.lock, then cxvdpa_dev.lock.
 * Return: 0; -EINVAL for an address space the device lacks or ranges it
 * cannot track; -EBUSY when @asid is tracked already; -EINTR on a fatal
 * signal; -ENOMEM; -ENOSPC when the function has no tracker (or queue)
 * left; -EIO when it failed a command. Nothing is left started on error.
 */
int cxvdpa_dirty_start(struct vdpa_device *vdpa, unsigned int asid,
		       const struct vdpa_dirty_range *ranges, u32 nranges, u64 page_size)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	struct cxvdpa_res *res = cxvdpa_dev_res(d);
	struct cxvdpa_tracker *t;
	struct cxvdpa_dirty *dt;
	u8 log_space;
	int err;

	if (asid >= CXVDPA_AS)
		return -EINVAL;
	err = cxvdpa_dirty_check(&d->track_caps, ranges, nranges, page_size, &log_space);
	if (err)
		return err;
	dt = &d->dirty[asid];
	if (mutex_lock_killable(&dt->lock))
		return -EINTR;
	if (dt->tracker) {
		err = -EBUSY;
		goto out_unlock;
	}
	cxvdpa_dirty_reap(d);

	t = kzalloc(struct_size(t, range, nranges), GFP_KERNEL_ACCOUNT);
	if (!t) {
		err = -ENOMEM;
		goto out_unlock;
	}
	t->nranges = nranges;
	memcpy(t->range, ranges, flex_array_size(t, range, nranges));
	t->log_page = __ffs64(page_size);
	t->log_msg = d->track_caps.log_msg;
	xa_init(&t->cpu_log);
	INIT_LIST_HEAD(&t->node);
	err = cxvdpa_tracker_alloc_queue(t);
	if (err)
		goto err_free;
	err = cxvdpa_mr_build_pa(res, &t->key);
	if (err) {
		err = -EIO;
		goto err_free;
	}
	err = cxvdpa_track_rq_create(res, t);
	if (err)
		goto err_destroy_key;
	err = cxvdpa_tracker_create(res, t, log_space);
	if (err)
		goto err_destroy_rq;
	cxvdpa_tracker_post(t, BIT(t->log_size));

	/* A stale error event for an earlier tracker with this id is checked later. */
	WRITE_ONCE(dt->error_event, false);
	WRITE_ONCE(dt->obj, t->obj);
	mutex_lock(&d->lock);
	dt->tracker = t;
	mutex_unlock(&d->lock);
	mutex_unlock(&dt->lock);
	return 0;

err_destroy_rq:
	if (cxvdpa_track_obj_destroy(res, CXDEV_OBJ_TYPE_TRACK_RQ, t->rq)) {
		/* The queue still holds the key and the memory. */
		cxvdpa_tracker_leave(d, t);
		goto out_unlock;
	}
	t->rq = 0;
err_destroy_key:
	cxvdpa_mr_destroy(res, &t->key);
err_free:
	cxvdpa_tracker_free(t);
out_unlock:
	mutex_unlock(&dt->lock);
	return err;
}

/* Stop tracking @dt's space: 0, or -EIO when an object had to be kept. */
static int cxvdpa_dirty_end(struct cxvdpa_dev *d, struct cxvdpa_dirty *dt)
{
	struct cxvdpa_tracker *t = dt->tracker;

	lockdep_assert_held(&dt->lock);
	if (!t)
		return 0;
	/* The control queue logs no more, and events no longer find it. */
	mutex_lock(&d->lock);
	dt->tracker = NULL;
	mutex_unlock(&d->lock);
	WRITE_ONCE(dt->obj, 0);
	xa_destroy(&t->cpu_log);
	if (cxvdpa_tracker_destroy(cxvdpa_dev_res(d), t))
		return 0;
	cxvdpa_tracker_leave(d, t);
	return -EIO;
}

/**
 * cxvdpa_dirty_stop() - &vdpa_config_ops.dirty_stop
 * @vdpa: the device
 * @asid: the address space
 *
 * The log is forgotten. Tracking is off afterwards whatever happens; an
 * object the function refuses to destroy is kept for a later try.
 *
 * Context: process context; takes cxvdpa_dirty.lock, then cxvdpa_dev.lock.
 * Return: 0 (also when @asid was not tracked), -EINVAL for an address
 * space the device lacks, -EIO when an object could not be destroyed.
 */
int cxvdpa_dirty_stop(struct vdpa_device *vdpa, unsigned int asid)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	struct cxvdpa_dirty *dt;
	int err;

	if (asid >= CXVDPA_AS)
		return -EINVAL;
	dt = &d->dirty[asid];
	/* Not killable: a stop that returns has stopped. */
	mutex_lock(&dt->lock);
	err = cxvdpa_dirty_end(d, dt);
	cxvdpa_dirty_reap(d);
	mutex_unlock(&dt->lock);
	return err;
}

/* ---- reports ---- */

/*
 * An error event names a tracker id, which a tracker started later may
 * have again: ask the object whether this one failed (main.c does the
 * same for queue errors).
 */
static int cxvdpa_tracker_check_error(struct cxvdpa_dev *d, struct cxvdpa_dirty *dt,
				      struct cxvdpa_tracker *t)
{
	u8 state;
	int err;

	if (!READ_ONCE(dt->error_event))
		return 0;
	/* Cleared before the query: an event raised meanwhile is seen next time. */
	WRITE_ONCE(dt->error_event, false);
	err = cxvdpa_tracker_query_state(cxvdpa_dev_res(d), t, &state);
	if (!err && state == MLX5_PAGE_TRACK_STATE_ERROR)
		err = -EIO;
	if (err)
		dev_err_ratelimited(&d->vdpa.dev, "page tracker %u failed: dirty log lost\n",
				    t->obj);
	return err;
}

/* Report (and clear) what the driver wrote from the CPU in [@iova, @last]. */
static int cxvdpa_tracker_report_cpu(struct cxvdpa_tracker *t, u64 iova, u64 last,
				     struct vdpa_dirty_sink *sink)
{
	struct cxvdpa_dirty_run run = {};
	u64 page = BIT_ULL(t->log_page);
	unsigned long index;
	void *entry;
	int err;

	xa_for_each_range(&t->cpu_log, index, entry, iova >> t->log_page, last >> t->log_page) {
		/* Cleared before it is reported: a page written again stays for the next. */
		xa_erase(&t->cpu_log, index);
		err = cxvdpa_dirty_run_add(&run, (u64)index << t->log_page, page, sink);
		if (err)
			return err;
	}
	return cxvdpa_dirty_run_flush(&run, sink);
}

/*
 * Take the next completion: its addresses go to the sink (checked: whole
 * tracking pages inside the report's range), its slot is posted again.
 * *@done tells whether it was the report's last.
 */
static int cxvdpa_tracker_consume(struct cxvdpa_dev *d, struct cxvdpa_tracker *t, u64 iova,
				  u64 last, struct cxvdpa_dirty_run *run,
				  struct vdpa_dirty_sink *sink, bool *done)
{
	u32 slot = t->consumed & (BIT(t->log_size) - 1), count, i;
	const __be64 *msg = page_address(t->msg_pages) + ((size_t)slot << t->log_stride);
	struct cxdev_track_cqe cqe = t->cqes[slot];
	u64 page = BIT_ULL(t->log_page), addr;
	int err;

	count = be32_to_cpu(cqe.count);
	if (be16_to_cpu(cqe.seq) != (u16)t->consumed ||
	    count > BIT(t->log_msg) / sizeof(*msg) ||
	    (cqe.state != MLX5_PAGE_TRACK_STATE_REPORTING &&
	     cqe.state != MLX5_PAGE_TRACK_STATE_TRACKING)) {
		dev_err_ratelimited(&d->vdpa.dev,
				    "page tracker %u: malformed completion %u (seq %u count %u state %u)\n",
				    t->obj, t->consumed, be16_to_cpu(cqe.seq), count, cqe.state);
		return -EIO;
	}
	for (i = 0; i < count; i++) {
		addr = be64_to_cpu(msg[i]);
		/* The range is page aligned: an aligned address in it is a whole page in it. */
		if (!IS_ALIGNED(addr, page) || addr < iova || addr > last) {
			dev_err_ratelimited(&d->vdpa.dev,
					    "page tracker %u: reported %#llx outside [%#llx, %#llx]\n",
					    t->obj, addr, iova, last);
			return -EIO;
		}
		err = cxvdpa_dirty_run_add(run, addr, page, sink);
		if (err)
			return err;
	}
	*done = cqe.state == MLX5_PAGE_TRACK_STATE_TRACKING;
	t->consumed++;
	cxvdpa_tracker_post(t, 1);
	return 0;
}

static bool cxvdpa_tracker_woken(struct cxvdpa_dirty *dt, struct cxvdpa_tracker *t)
{
	return cxvdpa_tracker_completed(t) != t->consumed || READ_ONCE(dt->error_event);
}

/*
 * Drain the report started by the MODIFY, until its last completion. The
 * wait is for a completion event or a tracker error event, with the
 * doorbell record read every CXVDPA_TRACK_POLL anyway; it fails after
 * CXVDPA_TRACK_TIMEOUT without a completion, or on a fatal signal.
 */
static int cxvdpa_tracker_drain(struct cxvdpa_dev *d, struct cxvdpa_dirty *dt,
				struct cxvdpa_tracker *t, u64 iova, u64 last,
				struct vdpa_dirty_sink *sink)
{
	unsigned long deadline = jiffies + CXVDPA_TRACK_TIMEOUT;
	struct cxvdpa_dirty_run run = {};
	bool done = false;
	u32 ready;
	long left;
	int err;

	while (!done) {
		ready = cxvdpa_tracker_completed(t) - t->consumed;
		if (ready > t->posted - t->consumed) {
			dev_err_ratelimited(&d->vdpa.dev,
					    "page tracker %u: %u completions for %u buffers\n",
					    t->obj, ready, t->posted - t->consumed);
			return -EIO;
		}
		if (ready) {
			/* The completions and messages counted are read after the count. */
			rmb();
			while (ready-- && !done) {
				err = cxvdpa_tracker_consume(d, t, iova, last, &run, sink, &done);
				if (err)
					return err;
			}
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
			deadline = jiffies + CXVDPA_TRACK_TIMEOUT;
			continue;
		}
		err = cxvdpa_tracker_check_error(d, dt, t);
		if (err)
			return err;
		if (time_after_eq(jiffies, deadline)) {
			dev_err_ratelimited(&d->vdpa.dev, "page tracker %u: report timed out\n",
					    t->obj);
			return -ETIMEDOUT;
		}
		left = wait_event_killable_timeout(dt->wait, cxvdpa_tracker_woken(dt, t),
						   min(CXVDPA_TRACK_POLL, deadline - jiffies));
		if (left < 0)
			return -EINTR;
	}
	return cxvdpa_dirty_run_flush(&run, sink);
}

/* A whole report of [@iova, @last]; any error loses the log of the range. */
static int cxvdpa_tracker_report(struct cxvdpa_dev *d, struct cxvdpa_dirty *dt,
				 struct cxvdpa_tracker *t, u64 iova, u64 last,
				 struct vdpa_dirty_sink *sink)
{
	int err;

	if (READ_ONCE(t->cpu_lost))
		return -EIO;
	err = cxvdpa_tracker_check_error(d, dt, t);
	if (err)
		return err;
	err = cxvdpa_tracker_report_cpu(t, iova, last, sink);
	if (err)
		return err;
	/* The last report ended with its final completion: nothing may be pending. */
	if (cxvdpa_tracker_completed(t) != t->consumed)
		return -EIO;
	err = cxvdpa_tracker_modify(cxvdpa_dev_res(d), t, iova, last - iova + 1);
	if (err)
		return err;
	return cxvdpa_tracker_drain(d, dt, t, iova, last, sink);
}

/**
 * cxvdpa_dirty_report() - &vdpa_config_ops.dirty_report
 * @vdpa: the device
 * @asid: the address space
 * @iova: first byte of the range, aligned to the tracking page
 * @length: bytes, a nonzero multiple of the tracking page
 * @flags: 0 (VDPA_DIRTY_REPORT_NO_CLEAR is not supported)
 * @sink: takes runs of dirty tracking pages, all inside the range
 *
 * Reads and clears the function's log of the range and the driver's own
 * (CPU) log of it. Waits on the function without cxvdpa_dev.lock, so the
 * datapath's config ops and the control queue go on; bounded (no
 * completion for CXVDPA_TRACK_TIMEOUT fails it) and killable.
 *
 * Context: process context; takes cxvdpa_dirty.lock (killable) and calls
 * @sink with only that held.
 * Return: 0; -EINVAL when @asid is not tracked, for unknown @flags or a
 * range that is not whole tracking pages; -EOPNOTSUPP for NO_CLEAR;
 * -EINTR on a fatal signal; -ETIMEDOUT; -EIO once the tracker failed;
 * or the sink's error. After an error other than -EINVAL, -EOPNOTSUPP
 * and an -EINTR before the report began, every report returns -EIO
 * until dirty_stop.
 */
int cxvdpa_dirty_report(struct vdpa_device *vdpa, unsigned int asid, u64 iova, u64 length,
			u32 flags, struct vdpa_dirty_sink *sink)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	struct cxvdpa_tracker *t;
	struct cxvdpa_dirty *dt;
	int err;

	if (asid >= CXVDPA_AS || (flags & ~VDPA_DIRTY_REPORT_NO_CLEAR))
		return -EINVAL;
	if (flags & VDPA_DIRTY_REPORT_NO_CLEAR)
		return -EOPNOTSUPP;
	dt = &d->dirty[asid];
	if (mutex_lock_killable(&dt->lock))
		return -EINTR;
	t = dt->tracker;
	if (!t || !length || !IS_ALIGNED(iova | length, BIT_ULL(t->log_page)) ||
	    length - 1 > U64_MAX - iova) {
		err = -EINVAL;
	} else if (t->error) {
		err = -EIO;
	} else {
		err = cxvdpa_tracker_report(d, dt, t, iova, iova + (length - 1), sink);
		/* Part of the log may be cleared and not delivered: sticky. */
		if (err)
			t->error = true;
	}
	mutex_unlock(&dt->lock);
	return err;
}

/* ---- glue for main.c and cvq.c ---- */

/**
 * cxvdpa_dirty_cpu_write() - the driver wrote guest memory from the CPU
 * @d: the device
 * @asid: the address space the write went through
 * @iova: first byte written
 * @len: bytes written
 *
 * Logs each tracking page of the write inside the tracked ranges of
 * @asid, if tracked: the function's tracker never sees CPU writes. When
 * the log cannot grow, the tracker's error goes sticky instead: a write
 * is never lost silently. Called after the bytes are in memory.
 *
 * Context: cxvdpa_dev.lock held; does not sleep.
 */
void cxvdpa_dirty_cpu_write(struct cxvdpa_dev *d, u32 asid, u64 iova, u64 len)
{
	struct cxvdpa_tracker *t;
	unsigned long pg, end;
	u64 last, r_last;
	u32 i;

	lockdep_assert_held(&d->lock);
	/* Page indexes are unsigned long: this stack is 64-bit only. */
	BUILD_BUG_ON(sizeof(unsigned long) < sizeof(u64));
	if (asid >= CXVDPA_AS || !len)
		return;
	t = d->dirty[asid].tracker;
	if (!t || READ_ONCE(t->cpu_lost))
		return;
	last = len - 1 > U64_MAX - iova ? U64_MAX : iova + (len - 1);
	for (i = 0; i < t->nranges; i++) {
		r_last = t->range[i].iova + (t->range[i].length - 1);
		if (r_last < iova)
			continue;
		if (t->range[i].iova > last)
			break;
		pg = max(iova, t->range[i].iova) >> t->log_page;
		end = min(last, r_last) >> t->log_page;
		do {
			if (xa_is_err(xa_store(&t->cpu_log, pg, xa_mk_value(0), GFP_ATOMIC))) {
				WRITE_ONCE(t->cpu_lost, true);
				dev_err_ratelimited(&d->vdpa.dev,
						    "address space %u: no memory to log a CPU write, dirty log lost\n",
						    asid);
				return;
			}
		} while (pg++ != end);
	}
}

/**
 * cxvdpa_dirty_event() - a tracker event from the function
 * @d: the device
 * @event: CXDEV_EVENT_TRACKER_COMPLETION or CXDEV_EVENT_TRACKER_ERROR
 * @id: the tracker's object id
 *
 * Wakes the report waiting on that tracker; an error is recorded for the
 * report to confirm. Ids of no current tracker (a stopped one, a
 * leftover) are ignored.
 *
 * Context: the function's event handler (softirqs off); takes no lock.
 */
void cxvdpa_dirty_event(struct cxvdpa_dev *d, enum cxdev_event event, u32 id)
{
	struct cxvdpa_dirty *dt;
	u32 asid;

	if (!id)
		return;
	for (asid = 0; asid < CXVDPA_AS; asid++) {
		dt = &d->dirty[asid];
		if (READ_ONCE(dt->obj) != id)
			continue;
		if (event == CXDEV_EVENT_TRACKER_ERROR)
			WRITE_ONCE(dt->error_event, true);
		wake_up(&dt->wait);
	}
}

/**
 * cxvdpa_dirty_init() - dirty tracking state of a new device
 * @d: the device, just allocated
 * @caps: the function's page tracker (cxvdpa_dirty_query_caps())
 *
 * Done whether or not the function has a tracker, so that release and
 * the event handler never meet uninitialised state.
 *
 * Context: process context, before the device is published.
 */
void cxvdpa_dirty_init(struct cxvdpa_dev *d, const struct cxvdpa_track_caps *caps)
{
	u32 asid;

	d->track_caps = *caps;
	INIT_LIST_HEAD(&d->track_leftovers);
	for (asid = 0; asid < CXVDPA_AS; asid++) {
		mutex_init(&d->dirty[asid].lock);
		init_waitqueue_head(&d->dirty[asid].wait);
	}
}

/**
 * cxvdpa_dirty_free() - stop every tracker of a device being released
 * @d: the device; the function's events are off, the control queue stopped
 *
 * What the function refuses to destroy even now goes to the management
 * device, whose unbind frees the memory once the function is disabled.
 *
 * Context: process context (the device's release).
 */
void cxvdpa_dirty_free(struct cxvdpa_dev *d)
{
	u32 asid;

	for (asid = 0; asid < CXVDPA_AS; asid++) {
		mutex_lock(&d->dirty[asid].lock);
		cxvdpa_dirty_end(d, &d->dirty[asid]);
		mutex_unlock(&d->dirty[asid].lock);
		mutex_destroy(&d->dirty[asid].lock);
	}
	cxvdpa_dirty_reap(d);
	mutex_lock(&d->lock);
	list_splice_init(&d->track_leftovers, &d->mgmt->track_leftovers);
	mutex_unlock(&d->lock);
}

/**
 * cxvdpa_dirty_leftovers_free() - free what released devices left
 * @mgmt: the management device, its function disabled (which destroyed
 *	every object still there and counted it as leaked)
 *
 * Only memory is freed: no command reaches a disabled function.
 *
 * Context: process context (unbind).
 */
void cxvdpa_dirty_leftovers_free(struct cxvdpa_mgmt *mgmt)
{
	struct cxvdpa_tracker *t, *next;

	list_for_each_entry_safe(t, next, &mgmt->track_leftovers, node) {
		list_del(&t->node);
		/* The key went with the function; only a region's memory is left. */
		kfree(t->key.direct);
		cxvdpa_tracker_free(t);
	}
}
