/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxdev: a ConnectX-like virtio-net function as its driver sees it, an
 * auxiliary device named "<provider>.vnet" with a firmware command channel.
 *
 * Commands are the ConnectX programming-manual layouts of the kernel's
 * public include/linux/mlx5/mlx5_ifc.h and mlx5_ifc_vdpa.h, built with
 * MLX5_SET()/MLX5_GET(): an input mailbox starting with opcode and op_mod,
 * an output mailbox starting with status and syndrome. The channel is an
 * ops table, so the provider may be the software model (cxemu) or, later,
 * a shim over a real mlx5_core function.
 */
#ifndef _LINUX_CXDEV_H
#define _LINUX_CXDEV_H

#include <linux/auxiliary_bus.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/types.h>

struct cxdev;

/**
 * enum cxdev_event - what a function reports to its driver
 * @CXDEV_EVENT_COMPLETION: a virtio queue object whose event mode is
 *	MSI-X used buffers the driver wants to hear about; data: the vector
 *	(event_qpn_or_msix)
 * @CXDEV_EVENT_QUEUE_ERROR: a virtio queue object went to the ERR state
 *	(a translation fault or a malformed ring); data: its queue_index
 * @CXDEV_EVENT_TRACKER_COMPLETION: a page tracker wrote one or more
 *	completions to its report queue (see "Page tracker" below); data: the
 *	tracker's object id. Several completions may share one event.
 * @CXDEV_EVENT_TRACKER_ERROR: a page tracker went to the ERROR state (its
 *	report queue faulted or overran, or the function failed); data: the
 *	tracker's object id
 */
enum cxdev_event {
	CXDEV_EVENT_COMPLETION,
	CXDEV_EVENT_QUEUE_ERROR,
	CXDEV_EVENT_TRACKER_COMPLETION,
	CXDEV_EVENT_TRACKER_ERROR,
};

/* The driver's event handler; see &cxdev_ops.set_events. */
typedef void (*cxdev_event_fn)(void *ctx, enum cxdev_event event, u32 data);

/**
 * struct cxdev_ops - the command channel, doorbells and events of a function
 * @exec: run one command. @in is @inlen bytes of input mailbox, @out
 *	receives @outlen bytes of output mailbox. Returns 0 when the device
 *	executed the command, whatever its status (read status and syndrome
 *	from @out), or -errno when the command never reached the device
 *	(-EINVAL: an output mailbox too small to carry a status).
 *	Process context; may sleep.
 * @set_events: deliver events to @fn(@ctx, ...) from now on, or to nobody
 *	when @fn is NULL. Once it returns, no call to the previous handler
 *	is running. The handler runs in softirq-disabled context and must
 *	not call back into the function. Process context.
 * @ring: ring the doorbell of virtio queue @index, as a driver's store to
 *	the doorbell register does. Any context.
 * @doorbell: physical address of virtio queue @index's doorbell page
 *	(2^log_doorbell_stride bytes; a store of @index into its first
 *	32-bit word rings it), which a driver may map for a user; 0 when the
 *	function has none. Process context.
 */
struct cxdev_ops {
	int (*exec)(struct cxdev *cx, const void *in, size_t inlen, void *out, size_t outlen);
	void (*set_events)(struct cxdev *cx, cxdev_event_fn fn, void *ctx);
	void (*ring)(struct cxdev *cx, u16 index);
	phys_addr_t (*doorbell)(struct cxdev *cx, u16 index);
};

/**
 * struct cxdev - a function on the auxiliary bus
 * @adev: the auxiliary device the parent driver binds to
 * @ops: its command channel
 */
struct cxdev {
	struct auxiliary_device adev;
	const struct cxdev_ops *ops;
};

/**
 * adev_to_cxdev - the function behind an auxiliary device
 * @adev: an auxiliary device whose name ends in ".vnet"
 *
 * Return: the containing &struct cxdev.
 */
static inline struct cxdev *adev_to_cxdev(struct auxiliary_device *adev)
{
	return container_of(adev, struct cxdev, adev);
}

/*
 * Syndromes: the second word of every failed command's output, naming the
 * check that failed. Values are this device's own (firmware syndromes are
 * vendor specific); status carries the MLX5_CMD_STAT_* class.
 */
enum cxdev_syndrome {
	CXDEV_SYN_OK = 0,
	CXDEV_SYN_BAD_OPCODE = 0x3c0001,
	CXDEV_SYN_BAD_OP_MOD,
	CXDEV_SYN_BAD_UID,
	CXDEV_SYN_INLEN,
	CXDEV_SYN_OUTLEN,
	CXDEV_SYN_NOT_ENABLED,
	CXDEV_SYN_ALREADY_ENABLED,
	CXDEV_SYN_INJECTED,
	CXDEV_SYN_NO_RESOURCE,
	CXDEV_SYN_BAD_PD,
	CXDEV_SYN_PD_BUSY,
	CXDEV_SYN_BAD_UAR,
	CXDEV_SYN_BAD_MKEY,
	CXDEV_SYN_MKEY_BUSY,
	CXDEV_SYN_ACCESS_MODE,
	CXDEV_SYN_MKEY_FLAGS,
	CXDEV_SYN_PAGE_SIZE,
	CXDEV_SYN_MKEY_RANGE,
	CXDEV_SYN_MKEY_TOO_LONG,
	CXDEV_SYN_TRANSLATIONS,
	CXDEV_SYN_MTT_ENTRY,
	CXDEV_SYN_KLM_TOO_MANY,
	CXDEV_SYN_KLM_TARGET,
	CXDEV_SYN_KLM_RANGE,
	CXDEV_SYN_KLM_LENGTH,
	CXDEV_SYN_CAP_TYPE,
	CXDEV_SYN_OBJ_TYPE,
	CXDEV_SYN_BAD_OBJ,
	CXDEV_SYN_VQ_INDEX,
	CXDEV_SYN_VQ_SIZE,
	CXDEV_SYN_VQ_TYPE,
	CXDEV_SYN_VQ_EVENT,
	CXDEV_SYN_VQ_FIELDS,
	CXDEV_SYN_VQ_STATE,
	CXDEV_SYN_VQ_MODIFY,
	CXDEV_SYN_VQ_RING,
	CXDEV_SYN_TRACK_FIELDS,
	CXDEV_SYN_TRACK_TYPE,
	CXDEV_SYN_TRACK_TOO_MANY,
	CXDEV_SYN_TRACK_NUM_RANGES,
	CXDEV_SYN_TRACK_PAGE_SIZE,
	CXDEV_SYN_TRACK_MSG_SIZE,
	CXDEV_SYN_TRACK_ADDR_SPACE,
	CXDEV_SYN_TRACK_CHANNEL,
	CXDEV_SYN_TRACK_CHANNEL_SIZE,
	CXDEV_SYN_TRACK_RANGE_ALIGN,
	CXDEV_SYN_TRACK_RANGE_OVERFLOW,
	CXDEV_SYN_TRACK_RANGE_ORDER,
	CXDEV_SYN_TRACK_SPAN,
	CXDEV_SYN_TRACK_TOO_BIG,
	CXDEV_SYN_TRACK_MODIFY,
	CXDEV_SYN_TRACK_STATE,
	CXDEV_SYN_TRACK_REPORT_RANGE,
	CXDEV_SYN_TRACK_RQ_FIELDS,
	CXDEV_SYN_TRACK_RQ_SIZE,
	CXDEV_SYN_TRACK_RQ_ADDR,
	CXDEV_SYN_TRACK_RQ_ACCESS,
	CXDEV_SYN_TRACK_RQ_BUSY,
	CXDEV_SYN_TRACK_RQ_MODIFY,
};

/**
 * DOC: Page tracker
 *
 * The function logs every page its DMA writes (receive buffers, used
 * rings, packed descriptors written back) in page tracker general objects,
 * and reports the log through a report queue in the driver's memory.
 *
 * Discovery: cmd_hca_cap.adv_virtualization is set, and QUERY_HCA_CAP of
 * type MLX5_CAP_ADV_VIRTUALIZATION returns adv_virtualization_cap with the
 * pg_track_* limits: at most 2^pg_track_log_max_num trackers, each with
 * 1..pg_track_max_num_range ranges, a tracking page of
 * 2^pg_track_log_min_page_size..2^pg_track_log_max_page_size bytes, an
 * address space of 2^pg_track_log_min_addr_space..2^pg_track_log_max_addr_space
 * bytes and messages of 2^pg_track_log_min_msg_size..2^pg_track_log_max_msg_size
 * bytes. A function without a tracker clears adv_virtualization and
 * refuses that capability type and both object types.
 *
 * What is logged: a write the function makes through any virtio queue
 * object, at the IOVA the queue uses (before its key translates it), one
 * bit per tracking page it touches, in every tracker with a range holding
 * that page. A tracker is not tied to a key or a queue: it covers the
 * function's whole queue address space, so a driver with several address
 * spaces over-tracks (safe) unless it gives each its own IOVA ranges.
 * Writes to the report queue itself are not logged.
 *
 * Page tracker, obj_type MLX5_OBJ_TYPE_PAGE_TRACK, layout page_track of
 * mlx5_ifc.h:
 *
 * CREATE_GENERAL_OBJECT: create_page_track_obj_in followed by exactly
 * num_ranges page_track_range entries. modify_field_select, vhca_id (the
 * function itself), state (TRACKING), range_start_address and length are
 * zero; track_type is %CXDEV_PAGE_TRACK_TYPE_WRITE; log_page_size,
 * log_msg_size and log_addr_space_size are within the limits above; the
 * message fits its report queue's buffers; reporting_qpn names a report
 * queue object that is ready and used by no other tracker; the ranges are
 * nonzero, aligned to the tracking page, in increasing address order, do
 * not overlap, do not run past 2^64, and their total length is at most
 * 2^log_addr_space_size. obj_id returns the tracker's id (1..63). Tracking
 * starts when the command completes, with an empty log.
 *
 * MODIFY_GENERAL_OBJECT: modify_page_track_obj_in without ranges, with
 * modify_field_select exactly %CXDEV_PAGE_TRACK_SELECT_STATE |
 * %CXDEV_PAGE_TRACK_SELECT_RANGE, state REPORTING, and a nonzero
 * [range_start_address, range_start_address + length) aligned to the
 * tracking page and not past 2^64; every other field zero. Allowed in
 * TRACKING only. It starts a report of that sub-range (it may reach
 * outside the tracked ranges; nothing is logged there) and returns at
 * once; the report runs in the background (see below).
 *
 * QUERY_GENERAL_OBJECT: query_page_track_obj_out: the object as created,
 * its state, and the sub-range of the last report; the ranges follow when
 * the output mailbox has room for them.
 *
 * DESTROY_GENERAL_OBJECT: in any state; a report in progress ends without
 * a final completion. The log is lost.
 *
 * States: TRACKING -> REPORTING (MODIFY) -> TRACKING (the report's final
 * completion). Any state -> ERROR when the report queue faults (a
 * translation fails, or the driver posts more buffers than the queue has
 * slots) or the function fails; ERROR is left only by DESTROY. Entering
 * ERROR raises %CXDEV_EVENT_TRACKER_ERROR; no completion is written.
 *
 * A report is a read-and-clear of exactly the sub-range asked for, while
 * the function goes on writing: each dirty page is cleared as it is put in
 * a message, in increasing address order, so a page written again after
 * it was reported stays logged for the next report, and a page written
 * ahead of the report's position is in this report. Messages are
 * 2^log_msg_size bytes of big-endian 8-byte addresses of tracking pages
 * (page_track_report_entry). Each message consumes one posted buffer;
 * with no buffer posted the report waits, and nothing is dropped.
 * Completions with state REPORTING carry a full message; the last one
 * carries state TRACKING and the remaining 0 or more addresses.
 *
 * Using it, step by step:
 *
 * 1. Allocate, zeroed, 2^log_size message buffers of 2^log_stride bytes,
 *    2^log_size &struct cxdev_track_cqe and one &struct cxdev_track_dbr,
 *    reachable through a memory key with local read and write (an MTT key
 *    over the pages, or a physical key).
 * 2. CREATE_GENERAL_OBJECT of type %CXDEV_OBJ_TYPE_TRACK_RQ with a
 *    &struct cxdev_track_rq after the general_obj_in_cmd_hdr; obj_id
 *    returns the report queue's id.
 * 3. CREATE_GENERAL_OBJECT of the tracker with reporting_qpn set to it.
 * 4. Post buffers: store the number posted so far (free running, at most
 *    2^log_size ahead of the completions consumed) in
 *    &cxdev_track_dbr.posted, after the stores that freed them. The
 *    function reads it when it has a message to write.
 * 5. MODIFY to REPORTING for the sub-range to read and clear.
 * 6. On %CXDEV_EVENT_TRACKER_COMPLETION (or polling), read
 *    &cxdev_track_dbr.completed; then, ordered after that read, for each
 *    completion c not yet consumed: slot c mod 2^log_size holds its
 *    &struct cxdev_track_cqe (seq is c mod 2^16) and its message buffer;
 *    take &cxdev_track_cqe.count addresses from the buffer, post the slot
 *    again (step 4), and stop after the completion whose state is
 *    TRACKING. Then go to step 5 for the next report.
 * 7. On %CXDEV_EVENT_TRACKER_ERROR (or a QUERY showing ERROR) the log is
 *    lost: treat everything as dirty, and DESTROY the tracker.
 * 8. DESTROY the tracker, then the report queue, then its key. A report
 *    queue that did not fault may serve a new tracker; its counters go on
 *    from where they were.
 */

/* The page_track track_type this function implements: DMA writes. */
#define CXDEV_PAGE_TRACK_TYPE_WRITE 1
/* page_track modify_field_select bits. */
#define CXDEV_PAGE_TRACK_SELECT_STATE BIT_ULL(0)
#define CXDEV_PAGE_TRACK_SELECT_RANGE BIT_ULL(1)

/*
 * The report queue general object type: this function's own, clear of
 * the values mlx5_ifc.h uses. It has CREATE, QUERY and DESTROY, no MODIFY.
 */
#define CXDEV_OBJ_TYPE_TRACK_RQ 0xc046
/* Its limits: slots, and bytes of a message buffer. */
#define CXDEV_TRACK_RQ_LOG_MAX_SIZE 12
#define CXDEV_TRACK_RQ_LOG_MIN_STRIDE 6
#define CXDEV_TRACK_RQ_LOG_MAX_STRIDE 16
/* &cxdev_track_rq.state as QUERY returns it. */
#define CXDEV_TRACK_RQ_STATE_RDY 0
#define CXDEV_TRACK_RQ_STATE_ERR 1

/**
 * struct cxdev_track_rq - context of a report queue object
 * @mkey: the memory key through which the function reaches the areas
 *	below: live, of @pd, allowing local read and write over all of them
 * @pd: protection domain of @mkey
 * @log_size: log2 of the number of slots, 0..%CXDEV_TRACK_RQ_LOG_MAX_SIZE
 * @log_stride: log2 of the bytes of one message buffer,
 *	%CXDEV_TRACK_RQ_LOG_MIN_STRIDE..%CXDEV_TRACK_RQ_LOG_MAX_STRIDE
 * @state: create: 0; query: %CXDEV_TRACK_RQ_STATE_RDY, or
 *	%CXDEV_TRACK_RQ_STATE_ERR once it faulted (then no tracker may use it)
 * @reserved0: zero
 * @tracker: create: 0; query: id of the tracker using it, 0 if none
 * @buf_addr: IOVA of the message buffers, 2^@log_size of 2^@log_stride
 *	bytes each in slot order; 64-byte aligned
 * @cqe_addr: IOVA of the completions, 2^@log_size &struct cxdev_track_cqe
 *	in slot order; 8-byte aligned
 * @dbr_addr: IOVA of the &struct cxdev_track_dbr; 8-byte aligned and
 *	contiguous through @mkey
 * @posted: create: 0; query: &cxdev_track_dbr.posted as last read
 * @completed: create: 0; query: completions written (free running)
 * @reserved1: zero
 *
 * Follows general_obj_in_cmd_hdr in CREATE (the mailbox is exactly both)
 * and general_obj_out_cmd_hdr in QUERY. All fields are big-endian.
 */
struct cxdev_track_rq {
	__be32 mkey;
	__be32 pd;
	u8 log_size;
	u8 log_stride;
	u8 state;
	u8 reserved0;
	__be32 tracker;
	__be64 buf_addr;
	__be64 cqe_addr;
	__be64 dbr_addr;
	__be32 posted;
	__be32 completed;
	__be64 reserved1[2];
};

static_assert(sizeof(struct cxdev_track_rq) == 64);

/**
 * struct cxdev_track_cqe - a report queue completion, written by the function
 * @count: 8-byte addresses in the slot's message buffer
 * @state: the tracker's state once this message is taken into account:
 *	MLX5_PAGE_TRACK_STATE_REPORTING (more follows; the buffer is full) or
 *	MLX5_PAGE_TRACK_STATE_TRACKING (the report's last message)
 * @reserved: zero
 * @seq: the completion's number (free running) mod 2^16
 */
struct cxdev_track_cqe {
	__be32 count;
	u8 state;
	u8 reserved;
	__be16 seq;
};

static_assert(sizeof(struct cxdev_track_cqe) == 8);

/**
 * struct cxdev_track_dbr - a report queue's doorbell record
 * @posted: written by the driver: message buffers posted since the queue
 *	was created (free running); slot n mod 2^log_size is the n-th
 * @completed: written by the function after the completion and message
 *	it counts: completions written since the queue was created (free
 *	running)
 *
 * Posting more than 2^log_size buffers ahead of @completed is an overrun:
 * the queue and its tracker go to ERROR.
 */
struct cxdev_track_dbr {
	__be32 posted;
	__be32 completed;
};

static_assert(sizeof(struct cxdev_track_dbr) == 8);

#endif /* _LINUX_CXDEV_H */
