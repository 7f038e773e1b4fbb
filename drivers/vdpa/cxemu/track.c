// SPDX-License-Identifier: GPL-2.0
/*
 * cxemu page trackers: the PAGE_TRACK general object (the mlx5_ifc.h
 * page_track layout), the report queue object through which a tracker
 * hands its log to the driver (CXDEV_OBJ_TYPE_TRACK_RQ, laid out in
 * include/linux/cxdev.h, "Page tracker"), the log the datapath feeds, the
 * report work, and the knobs tests use to shape them.
 *
 * Object rules, each broken one failing with its own syndrome and leaving
 * everything as it was:
 *   report queue, create: the mailbox is the header and a struct
 *     cxdev_track_rq, no obj_id, the query-only and reserved fields zero;
 *     sizes within CXDEV_TRACK_RQ_*; areas aligned and not past 2^64; a
 *     live PD and a live key of that PD through which every byte of the
 *     areas can be written (and the doorbell record read, in one piece).
 *     No modify; no destroy while a tracker uses it.
 *   tracker, create: see cxemu_tracker_create(); modify: TRACKING ->
 *     REPORTING for an aligned sub-range; query and destroy in any state.
 *
 * The log is a bitmap per tracked range, allocated at create (so marking
 * never allocates), one bit per tracking page. It is read and written
 * under cxemu.lock only, which also keeps the tracker alive; the bit
 * operations are atomic anyway, so that a datapath marking without that
 * lock (queues run in parallel) needs no change here.
 *
 * A report runs from the function's own work item, never in the command:
 * a bounded number of messages per run, with cxemu.lock dropped between
 * runs so the datapath keeps writing (and marking) while a report is in
 * progress. With no buffer posted the work polls the doorbell record.
 */
#include <linux/align.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/minmax.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "cxemu.h"

/* Tracker ids fit an event mask (bit n: tracker n). */
#define CXEMU_TRACK_MAX_ID 63
/* reporting_qpn is 24 bits wide. */
#define CXEMU_TRACK_RQ_MAX_ID 0xffffff
/* Most tracking pages a tracker may log: 2^27 bits, 16 MiB of bitmap. */
#define CXEMU_TRACK_LOG_MAX_BITS 27
/* Messages one run writes for a tracker before the datapath gets a turn. */
#define CXEMU_TRACK_BUDGET 16
/* How often a stalled report looks for posted buffers. */
#define CXEMU_TRACK_POLL msecs_to_jiffies(1)

/**
 * struct cxemu_track_range - one tracked range and its log
 * @start: first IOVA, aligned to the tracking page
 * @last: last IOVA (start + length - 1: a range may end at 2^64)
 * @bits: bit n set when the function wrote page @start + n * page
 */
struct cxemu_track_range {
	u64 start;
	u64 last;
	unsigned long *bits;
};

/**
 * struct cxemu_track_rq - a report queue object
 * @id: object id
 * @mkey: the key every access goes through (held: &cxemu_mkey.users)
 * @log_size: log2 of its slots
 * @log_stride: log2 of the bytes of one message buffer
 * @buf: IOVA of the message buffers
 * @cqe: IOVA of the completions
 * @dbr: IOVA of the doorbell record
 * @posted: &cxdev_track_dbr.posted as last read
 * @completed: completions written, free running
 * @tracker: the tracker using it, or NULL
 * @error: it faulted or was overrun; no tracker may use it again
 */
struct cxemu_track_rq {
	u32 id;
	struct cxemu_mkey *mkey;
	u8 log_size;
	u8 log_stride;
	u64 buf;
	u64 cqe;
	u64 dbr;
	u32 posted;
	u32 completed;
	struct cxemu_tracker *tracker;
	bool error;
};

/**
 * struct cxemu_tracker - a page tracker object
 * @id: object id, 1..CXEMU_TRACK_MAX_ID
 * @state: MLX5_PAGE_TRACK_STATE_*
 * @log_page: tracking page (log2 bytes)
 * @log_space: address space (log2 bytes)
 * @log_msg: report message (log2 bytes)
 * @rq: its report queue
 * @rep_start: first IOVA of the last report asked for
 * @rep_len: its length
 * @cursor: the report's next IOVA to look at
 * @rep_done: the report looked at its whole sub-range
 * @msg: the message being written, 2^@log_msg bytes
 * @node: on &cxemu.track_list, which the datapath walks
 * @nranges: entries in @range
 * @range: the ranges, in address order
 */
struct cxemu_tracker {
	u32 id;
	u8 state;
	u8 log_page;
	u8 log_space;
	u8 log_msg;
	struct cxemu_track_rq *rq;
	u64 rep_start;
	u64 rep_len;
	u64 cursor;
	bool rep_done;
	__be64 *msg;
	struct list_head node;
	u32 nranges;
	struct cxemu_track_range range[] __counted_by(nranges);
};

/**
 * struct cxemu_track_events - events a run raises, delivered after it,
 *	outside cxemu.lock
 * @completions: bit n: tracker n wrote completions
 * @errors: bit n: tracker n went to ERROR
 */
struct cxemu_track_events {
	u64 completions;
	u64 errors;
};

/**
 * enum cxemu_track_progress - what a report run left, in order: the
 *	largest of several trackers' wins
 * @CXEMU_TRACK_IDLE: no report waits on the function
 * @CXEMU_TRACK_STALLED: a report waits for buffers
 * @CXEMU_TRACK_MORE: a report has messages ready to write
 */
enum cxemu_track_progress {
	CXEMU_TRACK_IDLE,
	CXEMU_TRACK_STALLED,
	CXEMU_TRACK_MORE,
};

/**
 * cxemu_track_supported() - whether the function has a page tracker
 * @emu: the function
 *
 * Context: any context.
 * Return: true unless a test took it away (pg_track_max_num_range 0).
 */
bool cxemu_track_supported(struct cxemu *emu)
{
	return READ_ONCE(emu->limits.pg_track_max_num_range);
}

/**
 * cxemu_track_query_cap() - the advanced virtualization capability page
 * @emu: the function
 * @cap: the capability area of query_hca_cap_out
 * @syndrome: set on failure
 *
 * Context: cxemu.lock held.
 * Return: MLX5_CMD_STAT_OK, or BAD_PARAM_ERR without a page tracker.
 */
u8 cxemu_track_query_cap(struct cxemu *emu, void *cap, u32 *syndrome)
{
	const struct cxemu_limits *l = &emu->limits;

	if (!cxemu_track_supported(emu)) {
		*syndrome = CXDEV_SYN_CAP_TYPE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	MLX5_SET(adv_virtualization_cap, cap, pg_track_log_max_num, l->pg_track_log_max_num);
	MLX5_SET(adv_virtualization_cap, cap, pg_track_max_num_range, l->pg_track_max_num_range);
	MLX5_SET(adv_virtualization_cap, cap, pg_track_log_min_addr_space,
		 l->pg_track_log_min_addr_space);
	MLX5_SET(adv_virtualization_cap, cap, pg_track_log_max_addr_space,
		 l->pg_track_log_max_addr_space);
	MLX5_SET(adv_virtualization_cap, cap, pg_track_log_min_msg_size,
		 l->pg_track_log_min_msg_size);
	MLX5_SET(adv_virtualization_cap, cap, pg_track_log_max_msg_size,
		 l->pg_track_log_max_msg_size);
	MLX5_SET(adv_virtualization_cap, cap, pg_track_log_min_page_size,
		 l->pg_track_log_min_page_size);
	MLX5_SET(adv_virtualization_cap, cap, pg_track_log_max_page_size,
		 l->pg_track_log_max_page_size);
	return MLX5_CMD_STAT_OK;
}

/* ---- the log ---- */

static void cxemu_tracker_mark(struct cxemu_tracker *tr, u64 first, u64 last)
{
	struct cxemu_track_range *r;
	u64 bit, end;
	u32 i;

	for (i = 0; i < tr->nranges; i++) {
		r = &tr->range[i];
		if (r->last < first)
			continue;
		if (r->start > last)
			break;
		bit = (max(first, r->start) - r->start) >> tr->log_page;
		end = (min(last, r->last) - r->start) >> tr->log_page;
		for (; bit <= end; bit++)
			set_bit(bit, r->bits);
	}
}

/**
 * cxemu_track_mark() - the function wrote guest memory: log it
 * @emu: the function
 * @iova: first byte written, in the writing queue's address space
 * @len: bytes written
 *
 * Every tracker not in ERROR logs each of its pages the write touches,
 * inside its ranges only. Never allocates.
 *
 * Context: cxemu.lock held (the datapath holds it); any context.
 */
void cxemu_track_mark(struct cxemu *emu, u64 iova, u64 len)
{
	struct cxemu_tracker *tr;
	u64 last;

	lockdep_assert_held(&emu->lock);
	if (!emu->ntrackers || !len)
		return;
	last = len - 1 > U64_MAX - iova ? U64_MAX : iova + (len - 1);
	/*
	 * A list, not the id xarray: this runs for every buffer the datapath
	 * returns, and an xarray walk (RCU, lockdep on debug kernels) cost
	 * the datapath most of its packet rate.
	 */
	list_for_each_entry(tr, &emu->track_list, node)
		if (tr->state != MLX5_PAGE_TRACK_STATE_ERROR)
			cxemu_tracker_mark(tr, iova, last);
}

/* A test's write, as if the function had made it. */
static void cxemu_track_inject(struct cxemu *emu, u64 iova, u64 len)
{
	mutex_lock(&emu->lock);
	cxemu_track_mark(emu, iova, len);
	mutex_unlock(&emu->lock);
}

/* Pages a tracker holds logged (for debugfs). */
static u64 cxemu_tracker_logged(const struct cxemu_tracker *tr)
{
	const struct cxemu_track_range *r;
	u64 n = 0;
	u32 i;

	for (i = 0; i < tr->nranges; i++) {
		r = &tr->range[i];
		n += bitmap_weight(r->bits, ((r->last - r->start) >> tr->log_page) + 1);
	}
	return n;
}

/* ---- driver memory, through the report queue's key ---- */

/* Whether every byte of [@addr, @addr + @len) is reachable through @mk. */
static bool cxemu_track_reach(struct cxemu_mkey *mk, u64 addr, u64 len, bool write)
{
	void *va;
	long n;

	while (len) {
		n = cxemu_translate_key(mk, addr, len, write, &va);
		if (n < 0)
			return false;
		addr += n;
		len -= n;
	}
	return true;
}

static int cxemu_track_copy(struct cxemu_mkey *mk, u64 addr, const void *src, size_t len)
{
	void *va;
	long n;

	while (len) {
		n = cxemu_translate_key(mk, addr, len, true, &va);
		if (n < 0)
			return n;
		memcpy(va, src, n);
		addr += n;
		src += n;
		len -= n;
	}
	return 0;
}

/* The doorbell record, in one piece (its words are accessed whole), or NULL. */
static struct cxdev_track_dbr *cxemu_track_dbr(struct cxemu_mkey *mk, u64 dbr, bool write)
{
	void *va;

	if (cxemu_translate_key(mk, dbr, sizeof(struct cxdev_track_dbr), write, &va) !=
	    (long)sizeof(struct cxdev_track_dbr))
		return NULL;
	return va;
}

/* Read the driver's producer index into @rq->posted. */
static int cxemu_track_posted(struct cxemu_track_rq *rq)
{
	struct cxdev_track_dbr *dbr = cxemu_track_dbr(rq->mkey, rq->dbr, false);

	if (!dbr)
		return -EFAULT;
	rq->posted = be32_to_cpu(READ_ONCE(dbr->posted));
	/*
	 * The driver posts a buffer after reading it: the message written
	 * into it must not pass that read.
	 */
	smp_mb();
	return 0;
}

/* Write @n addresses of @tr->msg and their completion into the next slot. */
static int cxemu_tracker_emit(struct cxemu_tracker *tr, u32 n, u8 state)
{
	struct cxemu_track_rq *rq = tr->rq;
	u32 slot = rq->completed & (BIT(rq->log_size) - 1);
	struct cxdev_track_cqe cqe = {
		.count = cpu_to_be32(n),
		.state = state,
		.seq = cpu_to_be16((u16)rq->completed),
	};
	struct cxdev_track_dbr *dbr;
	int err;

	err = cxemu_track_copy(rq->mkey, rq->buf + ((u64)slot << rq->log_stride), tr->msg,
			       n * sizeof(*tr->msg));
	if (!err)
		err = cxemu_track_copy(rq->mkey, rq->cqe + (u64)slot * sizeof(cqe), &cqe,
				       sizeof(cqe));
	if (err)
		return err;
	dbr = cxemu_track_dbr(rq->mkey, rq->dbr, true);
	if (!dbr)
		return -EFAULT;
	rq->completed++;
	/* The message and its completion are in memory before the count shows them. */
	smp_wmb();
	WRITE_ONCE(dbr->completed, cpu_to_be32(rq->completed));
	return 0;
}

/* ---- reports ---- */

static void cxemu_tracker_fail(struct cxemu *emu, struct cxemu_tracker *tr, int err,
			       struct cxemu_track_events *ev)
{
	if (tr->state == MLX5_PAGE_TRACK_STATE_ERROR)
		return;
	tr->state = MLX5_PAGE_TRACK_STATE_ERROR;
	ev->errors |= BIT_ULL(tr->id);
	dev_err_ratelimited(&emu->cx.adev.dev, "page tracker %u: error %d, tracking stopped\n",
			    tr->id, err);
}

/* The report's next logged page at or after its cursor, cleared. */
static bool cxemu_tracker_next(struct cxemu_tracker *tr, u64 *addr)
{
	u64 last = tr->rep_start + (tr->rep_len - 1);
	struct cxemu_track_range *r;
	unsigned long bit, end;
	u32 i;

	for (i = 0; i < tr->nranges; i++) {
		r = &tr->range[i];
		if (r->last < tr->cursor)
			continue;
		if (r->start > last)
			break;
		bit = (max(tr->cursor, r->start) - r->start) >> tr->log_page;
		end = ((min(last, r->last) - r->start) >> tr->log_page) + 1;
		bit = find_next_bit(r->bits, end, bit);
		/* Clear only what is read: a bit set meanwhile is never lost. */
		while (bit < end && !test_and_clear_bit(bit, r->bits))
			bit = find_next_bit(r->bits, end, bit + 1);
		if (bit < end) {
			*addr = r->start + ((u64)bit << tr->log_page);
			return true;
		}
	}
	return false;
}

/* Fill @tr->msg from the log; how many addresses it got. */
static u32 cxemu_tracker_fill(struct cxemu_tracker *tr)
{
	u32 room = BIT(tr->log_msg) / sizeof(*tr->msg), n = 0;
	u64 page = BIT_ULL(tr->log_page), addr;

	while (n < room && !tr->rep_done) {
		if (!cxemu_tracker_next(tr, &addr)) {
			tr->rep_done = true;
			break;
		}
		tr->msg[n++] = cpu_to_be64(addr);
		/* The sub-range may end at 2^64: stop on its last page, not past it. */
		if (addr + (page - 1) == tr->rep_start + (tr->rep_len - 1))
			tr->rep_done = true;
		else
			tr->cursor = addr + page;
	}
	return n;
}

/* Write up to a budget of @tr's report messages. */
static enum cxemu_track_progress cxemu_tracker_report(struct cxemu *emu, struct cxemu_tracker *tr,
						      struct cxemu_track_events *ev)
{
	struct cxemu_track_rq *rq = tr->rq;
	unsigned int budget;
	int err;
	u32 n;

	for (budget = 0; budget < CXEMU_TRACK_BUDGET; budget++) {
		err = cxemu_track_posted(rq);
		if (err)
			goto err_queue;
		if (rq->posted - rq->completed > BIT(rq->log_size)) {
			err = -EOVERFLOW;
			goto err_queue;
		}
		/* Nothing is cleared until a buffer can take it: a stall drops nothing. */
		if (rq->posted == rq->completed)
			return CXEMU_TRACK_STALLED;
		if (cxemu_should_fail(CXEMU_OP_TRACK_REPORT)) {
			cxemu_tracker_fail(emu, tr, -EIO, ev);
			return CXEMU_TRACK_IDLE;
		}
		n = cxemu_tracker_fill(tr);
		err = cxemu_tracker_emit(tr, n, tr->rep_done ? MLX5_PAGE_TRACK_STATE_TRACKING :
							      MLX5_PAGE_TRACK_STATE_REPORTING);
		if (err)
			goto err_queue;
		ev->completions |= BIT_ULL(tr->id);
		if (tr->rep_done) {
			tr->state = MLX5_PAGE_TRACK_STATE_TRACKING;
			return CXEMU_TRACK_IDLE;
		}
	}
	return CXEMU_TRACK_MORE;

err_queue:
	/* Its counters no longer say where the driver is: the queue is done for. */
	rq->error = true;
	cxemu_tracker_fail(emu, tr, err, ev);
	return CXEMU_TRACK_IDLE;
}

static void cxemu_track_deliver(struct cxemu *emu, const struct cxemu_track_events *ev)
{
	cxemu_raise(emu, CXDEV_EVENT_TRACKER_COMPLETION, ev->completions);
	cxemu_raise(emu, CXDEV_EVENT_TRACKER_ERROR, ev->errors);
}

/* One bounded run over every report in progress. */
static enum cxemu_track_progress cxemu_track_run(struct cxemu *emu)
{
	enum cxemu_track_progress progress = CXEMU_TRACK_IDLE, p;
	struct cxemu_track_events ev = {};
	struct cxemu_tracker *tr;
	unsigned long id;

	mutex_lock(&emu->lock);
	xa_for_each(&emu->trackers, id, tr) {
		if (!emu->enabled || tr->state != MLX5_PAGE_TRACK_STATE_REPORTING)
			continue;
		p = cxemu_tracker_report(emu, tr, &ev);
		if (p > progress)
			progress = p;
	}
	mutex_unlock(&emu->lock);
	cxemu_track_deliver(emu, &ev);
	return progress;
}

/**
 * cxemu_track_work() - write the messages of reports in progress
 * @work: &cxemu.track_work
 *
 * Requeues itself while a report has messages ready, and polls while one
 * waits for buffers.
 *
 * Context: workqueue; takes cxemu.lock, then the event lock to deliver.
 */
void cxemu_track_work(struct work_struct *work)
{
	struct cxemu *emu = container_of(to_delayed_work(work), struct cxemu, track_work);

	switch (cxemu_track_run(emu)) {
	case CXEMU_TRACK_MORE:
		queue_delayed_work(system_unbound_wq, &emu->track_work, 0);
		break;
	case CXEMU_TRACK_STALLED:
		queue_delayed_work(system_unbound_wq, &emu->track_work, CXEMU_TRACK_POLL);
		break;
	case CXEMU_TRACK_IDLE:
		break;
	}
}

/* An asynchronous error in tracker @id, as the function would have one. */
static int cxemu_track_fail_id(struct cxemu *emu, u64 id)
{
	struct cxemu_track_events ev = {};
	struct cxemu_tracker *tr;
	int err = 0;

	if (!id || id > CXEMU_TRACK_MAX_ID)
		return -EINVAL;
	mutex_lock(&emu->lock);
	tr = xa_load(&emu->trackers, id);
	if (tr)
		cxemu_tracker_fail(emu, tr, -EIO, &ev);
	else
		err = -ENOENT;
	mutex_unlock(&emu->lock);
	cxemu_track_deliver(emu, &ev);
	return err;
}

/* ---- the tracker object ---- */

#define CXEMU_RANGE_BYTES MLX5_ST_SZ_BYTES(page_track_range)

static void cxemu_tracker_release(struct cxemu_tracker *tr)
{
	u32 i;

	for (i = 0; i < tr->nranges; i++)
		kvfree(tr->range[i].bits);
	kvfree(tr->msg);
	kfree(tr);
}

static void cxemu_tracker_free(struct cxemu *emu, struct cxemu_tracker *tr)
{
	xa_erase(&emu->trackers, tr->id);
	list_del(&tr->node);
	emu->ntrackers--;
	tr->rq->tracker = NULL;
	cxemu_tracker_release(tr);
}

/* The fields a create leaves at zero, or sets to what the model knows. */
static bool cxemu_tracker_create_fields_ok(const void *in, const void *obj)
{
	return !MLX5_GET(general_obj_in_cmd_hdr, in, obj_id) &&
	       !MLX5_GET64(page_track, obj, modify_field_select) &&
	       !MLX5_GET(page_track, obj, vhca_id) &&
	       MLX5_GET(page_track, obj, state) == MLX5_PAGE_TRACK_STATE_TRACKING &&
	       !MLX5_GET64(page_track, obj, range_start_address) &&
	       !MLX5_GET64(page_track, obj, length);
}

/*
 * Check the ranges; their total length and pages logged. Each is nonzero,
 * page aligned, inside 2^64, after the one before, and they fit the
 * address space together.
 */
static u8 cxemu_tracker_check_ranges(const void *ranges, u32 n, u8 log_page, u8 log_space,
				     u64 *pages, u32 *syndrome)
{
	u64 page = BIT_ULL(log_page), space = BIT_ULL(log_space), total = 0, start, len;
	u64 prev_last = 0;
	const void *r;
	u32 i;

	for (i = 0; i < n; i++) {
		r = ranges + i * CXEMU_RANGE_BYTES;
		start = MLX5_GET64(page_track_range, r, start_address);
		len = MLX5_GET64(page_track_range, r, length);
		if (!len || !IS_ALIGNED(start, page) || !IS_ALIGNED(len, page)) {
			*syndrome = CXDEV_SYN_TRACK_RANGE_ALIGN;
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
		if (len - 1 > U64_MAX - start) {
			*syndrome = CXDEV_SYN_TRACK_RANGE_OVERFLOW;
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
		if (i && start <= prev_last) {
			*syndrome = CXDEV_SYN_TRACK_RANGE_ORDER;
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
		if (len > space - total) {
			*syndrome = CXDEV_SYN_TRACK_SPAN;
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
		total += len;
		prev_last = start + (len - 1);
	}
	*pages = total >> log_page;
	return MLX5_CMD_STAT_OK;
}

/* Memory for a tracker whose create passed every check. */
static struct cxemu_tracker *cxemu_tracker_alloc(const void *ranges, u32 n, u8 log_page,
						 u8 log_msg)
{
	struct cxemu_tracker *tr = kzalloc(struct_size(tr, range, n), GFP_KERNEL);
	struct cxemu_track_range *r;
	u64 start, len;
	u32 i;

	if (!tr)
		return NULL;
	tr->nranges = n;
	tr->msg = kvmalloc(BIT(log_msg), GFP_KERNEL);
	if (!tr->msg)
		goto err_release;
	for (i = 0; i < n; i++) {
		r = &tr->range[i];
		start = MLX5_GET64(page_track_range, ranges + i * CXEMU_RANGE_BYTES,
				   start_address);
		len = MLX5_GET64(page_track_range, ranges + i * CXEMU_RANGE_BYTES, length);
		r->start = start;
		r->last = start + (len - 1);
		r->bits = kvcalloc(BITS_TO_LONGS(len >> log_page), sizeof(long), GFP_KERNEL);
		if (!r->bits)
			goto err_release;
	}
	return tr;

err_release:
	cxemu_tracker_release(tr);
	return NULL;
}

/*
 * CREATE of a tracker. The header and object are there (the caller
 * checked); num_ranges ranges must follow, exactly.
 */
static u8 cxemu_tracker_create(struct cxemu *emu, const void *in, size_t inlen, void *out,
			       u32 *syndrome)
{
	const void *obj = MLX5_ADDR_OF(create_page_track_obj_in, in, obj_context);
	const void *ranges = MLX5_ADDR_OF(page_track, obj, track_range);
	const struct cxemu_limits *l = &emu->limits;
	u32 n = MLX5_GET(page_track, obj, num_ranges);
	u8 log_page = MLX5_GET(page_track, obj, log_page_size);
	u8 log_msg = MLX5_GET(page_track, obj, log_msg_size);
	u8 log_space = MLX5_GET(page_track, obj, log_addr_space_size);
	struct cxemu_track_rq *rq;
	struct cxemu_tracker *tr;
	u64 pages;
	u32 id;
	u8 status;

	if (!cxemu_tracker_create_fields_ok(in, obj)) {
		*syndrome = CXDEV_SYN_TRACK_FIELDS;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (MLX5_GET(page_track, obj, track_type) != CXDEV_PAGE_TRACK_TYPE_WRITE) {
		*syndrome = CXDEV_SYN_TRACK_TYPE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (!n || n > l->pg_track_max_num_range) {
		*syndrome = CXDEV_SYN_TRACK_NUM_RANGES;
		return MLX5_CMD_STAT_LIM_ERR;
	}
	if (inlen != MLX5_ST_SZ_BYTES(create_page_track_obj_in) + n * CXEMU_RANGE_BYTES) {
		*syndrome = CXDEV_SYN_INLEN;
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	}
	if (emu->ntrackers >= BIT(l->pg_track_log_max_num)) {
		*syndrome = CXDEV_SYN_TRACK_TOO_MANY;
		return MLX5_CMD_STAT_NO_RES_ERR;
	}
	if (log_page < l->pg_track_log_min_page_size || log_page > l->pg_track_log_max_page_size) {
		*syndrome = CXDEV_SYN_TRACK_PAGE_SIZE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (log_msg < l->pg_track_log_min_msg_size || log_msg > l->pg_track_log_max_msg_size) {
		*syndrome = CXDEV_SYN_TRACK_MSG_SIZE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (log_space < l->pg_track_log_min_addr_space ||
	    log_space > l->pg_track_log_max_addr_space) {
		*syndrome = CXDEV_SYN_TRACK_ADDR_SPACE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	rq = xa_load(&emu->track_rqs, MLX5_GET(page_track, obj, reporting_qpn));
	if (!rq || rq->tracker || rq->error) {
		*syndrome = CXDEV_SYN_TRACK_CHANNEL;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	if (log_msg > rq->log_stride) {
		*syndrome = CXDEV_SYN_TRACK_CHANNEL_SIZE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	status = cxemu_tracker_check_ranges(ranges, n, log_page, log_space, &pages, syndrome);
	if (status != MLX5_CMD_STAT_OK)
		return status;
	if (pages > BIT_ULL(CXEMU_TRACK_LOG_MAX_BITS)) {
		*syndrome = CXDEV_SYN_TRACK_TOO_BIG;
		return MLX5_CMD_STAT_LIM_ERR;
	}

	tr = cxemu_tracker_alloc(ranges, n, log_page, log_msg);
	if (!tr || xa_alloc(&emu->trackers, &id, tr, XA_LIMIT(1, CXEMU_TRACK_MAX_ID),
			    GFP_KERNEL)) {
		if (tr)
			cxemu_tracker_release(tr);
		*syndrome = CXDEV_SYN_NO_RESOURCE;
		return MLX5_CMD_STAT_NO_RES_ERR;
	}
	tr->id = id;
	tr->state = MLX5_PAGE_TRACK_STATE_TRACKING;
	tr->log_page = log_page;
	tr->log_space = log_space;
	tr->log_msg = log_msg;
	tr->rq = rq;
	rq->tracker = tr;
	list_add_tail(&tr->node, &emu->track_list);
	emu->ntrackers++;
	MLX5_SET(general_obj_out_cmd_hdr, out, obj_id, id);
	return MLX5_CMD_STAT_OK;
}

/* MODIFY: TRACKING -> REPORTING of a sub-range, the only change there is. */
static u8 cxemu_tracker_modify(struct cxemu *emu, struct cxemu_tracker *tr, const void *in,
			       u32 *syndrome)
{
	const void *obj = MLX5_ADDR_OF(modify_page_track_obj_in, in, obj_context);
	u64 start = MLX5_GET64(page_track, obj, range_start_address);
	u64 len = MLX5_GET64(page_track, obj, length);
	u64 page = BIT_ULL(tr->log_page);

	lockdep_assert_held(&emu->lock);
	if (MLX5_GET64(page_track, obj, modify_field_select) !=
	    (CXDEV_PAGE_TRACK_SELECT_STATE | CXDEV_PAGE_TRACK_SELECT_RANGE)) {
		*syndrome = CXDEV_SYN_TRACK_MODIFY;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (MLX5_GET(page_track, obj, vhca_id) || MLX5_GET(page_track, obj, track_type) ||
	    MLX5_GET(page_track, obj, log_addr_space_size) ||
	    MLX5_GET(page_track, obj, log_page_size) || MLX5_GET(page_track, obj, log_msg_size) ||
	    MLX5_GET(page_track, obj, reporting_qpn) || MLX5_GET(page_track, obj, num_ranges)) {
		*syndrome = CXDEV_SYN_TRACK_FIELDS;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (tr->state != MLX5_PAGE_TRACK_STATE_TRACKING ||
	    MLX5_GET(page_track, obj, state) != MLX5_PAGE_TRACK_STATE_REPORTING) {
		*syndrome = CXDEV_SYN_TRACK_STATE;
		return MLX5_CMD_STAT_BAD_SYS_STATE_ERR;
	}
	if (!len || !IS_ALIGNED(start, page) || !IS_ALIGNED(len, page)) {
		*syndrome = CXDEV_SYN_TRACK_REPORT_RANGE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (len - 1 > U64_MAX - start) {
		*syndrome = CXDEV_SYN_TRACK_RANGE_OVERFLOW;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	tr->state = MLX5_PAGE_TRACK_STATE_REPORTING;
	tr->rep_start = start;
	tr->rep_len = len;
	tr->cursor = start;
	tr->rep_done = false;
	/* The report runs outside the command, as on a device. */
	mod_delayed_work(system_unbound_wq, &emu->track_work, 0);
	return MLX5_CMD_STAT_OK;
}

static void cxemu_tracker_query(struct cxemu_tracker *tr, void *out, size_t outlen)
{
	void *obj = MLX5_ADDR_OF(query_page_track_obj_out, out, obj_context);
	void *ranges = MLX5_ADDR_OF(page_track, obj, track_range);
	size_t room = outlen - MLX5_ST_SZ_BYTES(query_page_track_obj_out);
	void *r;
	u32 i;

	MLX5_SET(general_obj_out_cmd_hdr, out, obj_id, tr->id);
	MLX5_SET(page_track, obj, state, tr->state);
	MLX5_SET(page_track, obj, track_type, CXDEV_PAGE_TRACK_TYPE_WRITE);
	MLX5_SET(page_track, obj, log_addr_space_size, tr->log_space);
	MLX5_SET(page_track, obj, log_page_size, tr->log_page);
	MLX5_SET(page_track, obj, log_msg_size, tr->log_msg);
	MLX5_SET(page_track, obj, reporting_qpn, tr->rq->id);
	MLX5_SET(page_track, obj, num_ranges, tr->nranges);
	MLX5_SET64(page_track, obj, range_start_address, tr->rep_start);
	MLX5_SET64(page_track, obj, length, tr->rep_len);
	if (room < tr->nranges * CXEMU_RANGE_BYTES)
		return;
	for (i = 0; i < tr->nranges; i++) {
		r = ranges + i * CXEMU_RANGE_BYTES;
		MLX5_SET64(page_track_range, r, start_address, tr->range[i].start);
		MLX5_SET64(page_track_range, r, length,
			   tr->range[i].last - tr->range[i].start + 1);
	}
}

/**
 * cxemu_track_obj() - CREATE, MODIFY, QUERY and DESTROY_GENERAL_OBJECT of a
 *	page tracker
 * @emu: the function
 * @in: input mailbox: general_obj_in_cmd_hdr, then for create the
 *	page_track object and its ranges, for modify the object alone
 * @inlen: its size
 * @out: output mailbox
 * @outlen: its size
 * @syndrome: set on failure
 *
 * The object type is PAGE_TRACK and the function has a tracker (checked
 * by the caller). Rules: include/linux/cxdev.h, "Page tracker".
 *
 * Context: cxemu.lock held.
 * Return: MLX5_CMD_STAT_*.
 */
u8 cxemu_track_obj(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		   u32 *syndrome)
{
	u16 opcode = MLX5_GET(general_obj_in_cmd_hdr, in, opcode);
	struct cxemu_tracker *tr;
	size_t want;

	lockdep_assert_held(&emu->lock);
	switch (opcode) {
	case MLX5_CMD_OP_CREATE_GENERAL_OBJECT:
		/* At least the object: the ranges' count is in it. */
		if (inlen < MLX5_ST_SZ_BYTES(create_page_track_obj_in)) {
			*syndrome = CXDEV_SYN_INLEN;
			return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
		}
		return cxemu_tracker_create(emu, in, inlen, out, syndrome);
	case MLX5_CMD_OP_MODIFY_GENERAL_OBJECT:
		want = MLX5_ST_SZ_BYTES(modify_page_track_obj_in);
		break;
	default:
		want = MLX5_ST_SZ_BYTES(general_obj_in_cmd_hdr);
		break;
	}
	if (inlen != want) {
		*syndrome = CXDEV_SYN_INLEN;
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	}
	if (opcode == MLX5_CMD_OP_QUERY_GENERAL_OBJECT &&
	    outlen < MLX5_ST_SZ_BYTES(query_page_track_obj_out)) {
		*syndrome = CXDEV_SYN_OUTLEN;
		return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
	}
	tr = xa_load(&emu->trackers, MLX5_GET(general_obj_in_cmd_hdr, in, obj_id));
	if (!tr) {
		*syndrome = CXDEV_SYN_BAD_OBJ;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	switch (opcode) {
	case MLX5_CMD_OP_MODIFY_GENERAL_OBJECT:
		return cxemu_tracker_modify(emu, tr, in, syndrome);
	case MLX5_CMD_OP_QUERY_GENERAL_OBJECT:
		cxemu_tracker_query(tr, out, outlen);
		return MLX5_CMD_STAT_OK;
	default:
		cxemu_tracker_free(emu, tr);
		return MLX5_CMD_STAT_OK;
	}
}

/* ---- the report queue object ---- */

#define CXEMU_RQ_IN_BYTES (MLX5_ST_SZ_BYTES(general_obj_in_cmd_hdr) + \
			   sizeof(struct cxdev_track_rq))
#define CXEMU_RQ_OUT_BYTES (MLX5_ST_SZ_BYTES(general_obj_out_cmd_hdr) + \
			    sizeof(struct cxdev_track_rq))

static void cxemu_track_rq_free(struct cxemu *emu, struct cxemu_track_rq *rq)
{
	xa_erase(&emu->track_rqs, rq->id);
	rq->mkey->users--;
	kfree(rq);
}

/* Fields a create leaves at zero. */
static bool cxemu_track_rq_fields_ok(const void *in, const struct cxdev_track_rq *c)
{
	return !MLX5_GET(general_obj_in_cmd_hdr, in, obj_id) && !c->state && !c->reserved0 &&
	       !c->tracker && !c->posted && !c->completed && !c->reserved1[0] &&
	       !c->reserved1[1];
}

/* Every area aligned, and not past 2^64. */
static bool cxemu_track_rq_addrs_ok(const struct cxemu_track_rq *rq)
{
	u64 bufs = BIT_ULL(rq->log_size + rq->log_stride);
	u64 cqes = BIT_ULL(rq->log_size) * sizeof(struct cxdev_track_cqe);
	u64 dbr = sizeof(struct cxdev_track_dbr);

	return IS_ALIGNED(rq->buf, 64) && IS_ALIGNED(rq->cqe, sizeof(struct cxdev_track_cqe)) &&
	       IS_ALIGNED(rq->dbr, dbr) && bufs - 1 <= U64_MAX - rq->buf &&
	       cqes - 1 <= U64_MAX - rq->cqe && dbr - 1 <= U64_MAX - rq->dbr;
}

/* The function can write every area, and read the doorbell record. */
static bool cxemu_track_rq_reachable(const struct cxemu_track_rq *rq, struct cxemu_mkey *mk)
{
	return cxemu_track_reach(mk, rq->buf, BIT_ULL(rq->log_size + rq->log_stride), true) &&
	       cxemu_track_reach(mk, rq->cqe,
				 BIT_ULL(rq->log_size) * sizeof(struct cxdev_track_cqe), true) &&
	       cxemu_track_dbr(mk, rq->dbr, true) && cxemu_track_dbr(mk, rq->dbr, false);
}

static u8 cxemu_track_rq_create(struct cxemu *emu, const void *in, void *out, u32 *syndrome)
{
	struct cxemu_track_rq want = {}, *rq;
	struct cxdev_track_rq c;
	struct cxemu_mkey *mk;
	u32 pd, id;

	/* The mailbox need not be 8-byte aligned: take a copy. */
	memcpy(&c, in + MLX5_ST_SZ_BYTES(general_obj_in_cmd_hdr), sizeof(c));
	if (!cxemu_track_rq_fields_ok(in, &c)) {
		*syndrome = CXDEV_SYN_TRACK_RQ_FIELDS;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	want.log_size = c.log_size;
	want.log_stride = c.log_stride;
	if (want.log_size > CXDEV_TRACK_RQ_LOG_MAX_SIZE ||
	    want.log_stride < CXDEV_TRACK_RQ_LOG_MIN_STRIDE ||
	    want.log_stride > CXDEV_TRACK_RQ_LOG_MAX_STRIDE) {
		*syndrome = CXDEV_SYN_TRACK_RQ_SIZE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	want.buf = be64_to_cpu(c.buf_addr);
	want.cqe = be64_to_cpu(c.cqe_addr);
	want.dbr = be64_to_cpu(c.dbr_addr);
	if (!cxemu_track_rq_addrs_ok(&want)) {
		*syndrome = CXDEV_SYN_TRACK_RQ_ADDR;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	pd = be32_to_cpu(c.pd);
	if (!xa_load(&emu->pds, pd)) {
		*syndrome = CXDEV_SYN_BAD_PD;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	mk = cxemu_mkey_find(emu, be32_to_cpu(c.mkey));
	if (!mk || mk->pd != pd) {
		*syndrome = CXDEV_SYN_BAD_MKEY;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	if (!cxemu_track_rq_reachable(&want, mk)) {
		*syndrome = CXDEV_SYN_TRACK_RQ_ACCESS;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}

	rq = kmemdup(&want, sizeof(want), GFP_KERNEL);
	if (!rq || xa_alloc(&emu->track_rqs, &id, rq, XA_LIMIT(1, CXEMU_TRACK_RQ_MAX_ID),
			    GFP_KERNEL)) {
		kfree(rq);
		*syndrome = CXDEV_SYN_NO_RESOURCE;
		return MLX5_CMD_STAT_NO_RES_ERR;
	}
	rq->id = id;
	rq->mkey = mk;
	mk->users++;
	MLX5_SET(general_obj_out_cmd_hdr, out, obj_id, id);
	return MLX5_CMD_STAT_OK;
}

static void cxemu_track_rq_query(struct cxemu_track_rq *rq, void *out)
{
	struct cxdev_track_rq c = {
		.mkey = cpu_to_be32(rq->mkey->key),
		.pd = cpu_to_be32(rq->mkey->pd),
		.log_size = rq->log_size,
		.log_stride = rq->log_stride,
		.state = rq->error ? CXDEV_TRACK_RQ_STATE_ERR : CXDEV_TRACK_RQ_STATE_RDY,
		.tracker = cpu_to_be32(rq->tracker ? rq->tracker->id : 0),
		.buf_addr = cpu_to_be64(rq->buf),
		.cqe_addr = cpu_to_be64(rq->cqe),
		.dbr_addr = cpu_to_be64(rq->dbr),
		.posted = cpu_to_be32(rq->posted),
		.completed = cpu_to_be32(rq->completed),
	};

	MLX5_SET(general_obj_out_cmd_hdr, out, obj_id, rq->id);
	memcpy(out + MLX5_ST_SZ_BYTES(general_obj_out_cmd_hdr), &c, sizeof(c));
}

/**
 * cxemu_track_rq_obj() - CREATE, QUERY and DESTROY_GENERAL_OBJECT of a
 *	report queue
 * @emu: the function
 * @in: input mailbox: general_obj_in_cmd_hdr, then for create a
 *	&struct cxdev_track_rq
 * @inlen: its size
 * @out: output mailbox: general_obj_out_cmd_hdr, then for query a
 *	&struct cxdev_track_rq
 * @outlen: its size
 * @syndrome: set on failure
 *
 * The object type is CXDEV_OBJ_TYPE_TRACK_RQ and the function has a
 * tracker (checked by the caller). A report queue cannot be modified.
 *
 * Context: cxemu.lock held.
 * Return: MLX5_CMD_STAT_*.
 */
u8 cxemu_track_rq_obj(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		      u32 *syndrome)
{
	u16 opcode = MLX5_GET(general_obj_in_cmd_hdr, in, opcode);
	struct cxemu_track_rq *rq;

	lockdep_assert_held(&emu->lock);
	if (opcode == MLX5_CMD_OP_MODIFY_GENERAL_OBJECT) {
		*syndrome = CXDEV_SYN_TRACK_RQ_MODIFY;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (inlen != (opcode == MLX5_CMD_OP_CREATE_GENERAL_OBJECT ? CXEMU_RQ_IN_BYTES :
				 MLX5_ST_SZ_BYTES(general_obj_in_cmd_hdr))) {
		*syndrome = CXDEV_SYN_INLEN;
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	}
	if (opcode == MLX5_CMD_OP_CREATE_GENERAL_OBJECT)
		return cxemu_track_rq_create(emu, in, out, syndrome);
	if (opcode == MLX5_CMD_OP_QUERY_GENERAL_OBJECT && outlen < CXEMU_RQ_OUT_BYTES) {
		*syndrome = CXDEV_SYN_OUTLEN;
		return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
	}
	rq = xa_load(&emu->track_rqs, MLX5_GET(general_obj_in_cmd_hdr, in, obj_id));
	if (!rq) {
		*syndrome = CXDEV_SYN_BAD_OBJ;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	if (opcode == MLX5_CMD_OP_QUERY_GENERAL_OBJECT) {
		cxemu_track_rq_query(rq, out);
		return MLX5_CMD_STAT_OK;
	}
	if (rq->tracker) {
		*syndrome = CXDEV_SYN_TRACK_RQ_BUSY;
		return MLX5_CMD_STAT_RES_BUSY;
	}
	cxemu_track_rq_free(emu, rq);
	return MLX5_CMD_STAT_OK;
}

/**
 * cxemu_track_reclaim() - destroy every tracker and report queue
 * @emu: the function
 *
 * Context: cxemu.lock held.
 */
void cxemu_track_reclaim(struct cxemu *emu)
{
	struct cxemu_track_rq *rq;
	struct cxemu_tracker *tr;
	unsigned long id;

	lockdep_assert_held(&emu->lock);
	/* Trackers first: they hold their report queues. */
	xa_for_each(&emu->trackers, id, tr)
		cxemu_tracker_free(emu, tr);
	xa_for_each(&emu->track_rqs, id, rq)
		cxemu_track_rq_free(emu, rq);
}

/**
 * cxemu_track_init() - power-on state of the page tracker
 * @emu: the function, zeroed
 *
 * Default limits: 4 trackers of up to 4 ranges, pages of 4 KiB to 2 MiB,
 * address spaces of 4 KiB to 512 GiB (the most a 4 KiB tracker can log in
 * 2^CXEMU_TRACK_LOG_MAX_BITS bits), messages of 64 bytes to 4 KiB.
 *
 * Context: process context.
 */
void cxemu_track_init(struct cxemu *emu)
{
	struct cxemu_limits *l = &emu->limits;

	xa_init_flags(&emu->trackers, XA_FLAGS_ALLOC1);
	INIT_LIST_HEAD(&emu->track_list);
	xa_init_flags(&emu->track_rqs, XA_FLAGS_ALLOC1);
	INIT_DELAYED_WORK(&emu->track_work, cxemu_track_work);
	l->pg_track_log_max_num = 2;
	l->pg_track_max_num_range = 4;
	l->pg_track_log_min_page_size = 12;
	l->pg_track_log_max_page_size = 21;
	l->pg_track_log_min_addr_space = 12;
	l->pg_track_log_max_addr_space = 12 + CXEMU_TRACK_LOG_MAX_BITS;
	l->pg_track_log_min_msg_size = 6;
	l->pg_track_log_max_msg_size = 12;
}

/* ---- debugfs ---- */

/**
 * struct cxemu_track_limit - a page tracker limit a debugfs file sets
 * @name: the file, named as the capability field
 * @offset: the limit in &struct cxemu_limits
 * @lo: smallest value the model takes
 * @hi: largest value the model takes
 * @pair: index of the other end of its range in cxemu_track_limits, or -1
 * @is_min: it is the lower end of that range
 */
struct cxemu_track_limit {
	const char *name;
	size_t offset;
	u8 lo;
	u8 hi;
	s8 pair;
	bool is_min;
};

#define CXEMU_TRACK_LIMIT(field, lo, hi, pair, is_min) \
	{ #field, offsetof(struct cxemu_limits, field), lo, hi, pair, is_min }

/*
 * Bounds: a page of at least 4 KiB (the uAPI's smallest) and at most
 * 1 GiB; a message of at least one address and at most the largest report
 * queue buffer; an address space below 2^64; the field widths of
 * adv_virtualization_cap.
 */
static const struct cxemu_track_limit cxemu_track_limits[CXEMU_TRACK_KNOBS] = {
	CXEMU_TRACK_LIMIT(pg_track_log_max_num, 0, 5, -1, false),
	CXEMU_TRACK_LIMIT(pg_track_max_num_range, 0, 255, -1, false),
	CXEMU_TRACK_LIMIT(pg_track_log_min_addr_space, 12, 63, 3, true),
	CXEMU_TRACK_LIMIT(pg_track_log_max_addr_space, 12, 63, 2, false),
	CXEMU_TRACK_LIMIT(pg_track_log_min_msg_size, 3, CXDEV_TRACK_RQ_LOG_MAX_STRIDE, 5, true),
	CXEMU_TRACK_LIMIT(pg_track_log_max_msg_size, 3, CXDEV_TRACK_RQ_LOG_MAX_STRIDE, 4, false),
	CXEMU_TRACK_LIMIT(pg_track_log_min_page_size, 12, 30, 7, true),
	CXEMU_TRACK_LIMIT(pg_track_log_max_page_size, 12, 30, 6, false),
};

static u8 *cxemu_track_limit_at(struct cxemu *emu, unsigned int index)
{
	return (u8 *)&emu->limits + cxemu_track_limits[index].offset;
}

static int cxemu_track_limit_get(void *data, u64 *val)
{
	struct cxemu_knob *k = data;

	*val = READ_ONCE(*cxemu_track_limit_at(k->emu, k->index));
	return 0;
}

/*
 * Within the model's bounds, and never a minimum above its maximum. The
 * tracker cannot go while objects of it exist: they could not be destroyed.
 */
static int cxemu_track_limit_set(void *data, u64 val)
{
	struct cxemu_knob *k = data;
	const struct cxemu_track_limit *lim = &cxemu_track_limits[k->index];
	struct cxemu *emu = k->emu;
	int err = 0;
	u8 other;

	if (val < lim->lo || val > lim->hi)
		return -EINVAL;
	mutex_lock(&emu->lock);
	if (!val && lim->offset == offsetof(struct cxemu_limits, pg_track_max_num_range) &&
	    (emu->ntrackers || !xa_empty(&emu->track_rqs)))
		err = -EBUSY;
	if (!err && lim->pair >= 0) {
		other = *cxemu_track_limit_at(emu, lim->pair);
		if (lim->is_min ? val > other : val < other)
			err = -EINVAL;
	}
	if (!err)
		WRITE_ONCE(*cxemu_track_limit_at(emu, k->index), val);
	mutex_unlock(&emu->lock);
	return err;
}
DEFINE_DEBUGFS_ATTRIBUTE(cxemu_track_limit_fops, cxemu_track_limit_get, cxemu_track_limit_set,
			 "%llu\n");

static ssize_t cxemu_dirty_inject_write(struct file *file, const char __user *ubuf,
					size_t count, loff_t *ppos)
{
	struct cxemu *emu = file->private_data;
	char buf[64], *p, *tok;
	u64 iova, len;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	p = strim(buf);
	tok = strsep(&p, " \t");
	if (!p || kstrtou64(tok, 0, &iova) || kstrtou64(skip_spaces(p), 0, &len) || !len)
		return -EINVAL;
	cxemu_track_inject(emu, iova, len);
	return count;
}

static const struct file_operations cxemu_dirty_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = cxemu_dirty_inject_write,
	.llseek = noop_llseek,
};

static int cxemu_track_error_set(void *data, u64 val)
{
	return cxemu_track_fail_id(data, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(cxemu_track_error_fops, NULL, cxemu_track_error_set, "%llu\n");

static int cxemu_trackers_show(struct seq_file *m, void *unused)
{
	static const char * const states[] = { "tracking", "reporting", "error" };
	struct cxemu *emu = m->private;
	struct cxemu_tracker *tr;
	unsigned long id;

	mutex_lock(&emu->lock);
	xa_for_each(&emu->trackers, id, tr)
		seq_printf(m, "%u %s page %u msg %u space %u ranges %u rq %u logged %llu\n",
			   tr->id, states[tr->state], tr->log_page, tr->log_msg, tr->log_space,
			   tr->nranges, tr->rq->id, cxemu_tracker_logged(tr));
	mutex_unlock(&emu->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cxemu_trackers);

/**
 * cxemu_track_debugfs() - the page tracker's files in a function's directory
 * @emu: the function
 * @dir: its debugfs directory
 *
 * The limits (named as the capability fields), "trackers", "dirty_inject"
 * and "track_error"; see main.c.
 *
 * Context: process context, before the device is published.
 */
void cxemu_track_debugfs(struct cxemu *emu, struct dentry *dir)
{
	unsigned int i;

	for (i = 0; i < CXEMU_TRACK_KNOBS; i++) {
		emu->knobs[i].emu = emu;
		emu->knobs[i].index = i;
		debugfs_create_file_unsafe(cxemu_track_limits[i].name, 0600, dir, &emu->knobs[i],
					   &cxemu_track_limit_fops);
	}
	debugfs_create_file("trackers", 0400, dir, emu, &cxemu_trackers_fops);
	debugfs_create_file("dirty_inject", 0200, dir, emu, &cxemu_dirty_inject_fops);
	debugfs_create_file_unsafe("track_error", 0200, dir, emu, &cxemu_track_error_fops);
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * cxemu_kunit_dirty() - log a write, as the dirty_inject file does
 * @cx: the function
 * @iova: first byte written
 * @len: bytes written
 *
 * Context: process context; takes cxemu.lock.
 */
void cxemu_kunit_dirty(struct cxdev *cx, u64 iova, u64 len)
{
	cxemu_track_inject(cx_to_emu(cx), iova, len);
}
EXPORT_SYMBOL_IF_KUNIT(cxemu_kunit_dirty);

/**
 * cxemu_kunit_track_run() - do now what the report work would
 * @cx: the function
 *
 * Returns when every report in progress is complete or waits for buffers,
 * and the events of a run of the work item that raced with it are
 * delivered.
 *
 * Context: process context; takes cxemu.lock.
 */
void cxemu_kunit_track_run(struct cxdev *cx)
{
	struct cxemu *emu = cx_to_emu(cx);

	while (cxemu_track_run(emu) == CXEMU_TRACK_MORE)
		cond_resched();
	flush_delayed_work(&emu->track_work);
}
EXPORT_SYMBOL_IF_KUNIT(cxemu_kunit_track_run);

/**
 * cxemu_kunit_track_error() - an asynchronous error, as track_error does
 * @cx: the function
 * @id: the tracker's object id
 *
 * Context: process context; takes cxemu.lock.
 * Return: 0, -EINVAL for an id no tracker can have, -ENOENT for no tracker.
 */
int cxemu_kunit_track_error(struct cxdev *cx, u32 id)
{
	return cxemu_track_fail_id(cx_to_emu(cx), id);
}
EXPORT_SYMBOL_IF_KUNIT(cxemu_kunit_track_error);
#endif
