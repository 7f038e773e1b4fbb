/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxvdpa: the mlx5-style vDPA parent for cxdev functions (ConnectX-like
 * virtio-net functions on the auxiliary bus, include/linux/cxdev.h).
 *
 * Files: main.c (the auxiliary driver, the management device and the
 * vdpa_config_ops glue), resources.c (commands, function-level
 * resources), mr.c (memory regions: direct MTT keys per contiguous chunk
 * under one indirect KLM key, or one physical key for the identity map),
 * virtqueues.c (virtio queue objects), cvq.c (the control virtqueue, run
 * in software), dirty.c (dirty-page tracking on the function's page
 * trackers, with the control queue's writes logged in software).
 *
 * A device has 2 * max_vqp data queues (RX, TX, ...) in group 0, run by
 * the function as virtio queue objects through the key of group 0's
 * address space, and a control queue in group 1 (index 2 * max_vqp with
 * VIRTIO_NET_F_MQ, else 2), run here through a copy
 * of group 1's IOTLB. Two address spaces, each starting in the identity
 * map.
 *
 * The negotiated features decide which queues exist: without
 * VIRTIO_NET_F_MQ only queues 0 and 1 carry data, and the indexes above
 * the control queue are no queue at all. Only a data queue of those
 * features is given an object, and a queue that is neither a data queue
 * nor the control queue cannot be enabled. Loops that tear objects down
 * (reset, suspend and resume, the key swap, release) visit every slot of
 * cxvdpa_dev.vqs all the same, whatever the features say, so no object
 * is ever left behind holding a key.
 *
 * Locking, outermost first:
 *   cxvdpa_dirty.lock (mutex, one per address space): that space's dirty
 *     tracking: start, stop and every report, which waits on the function
 *     with it held. Never two of them at once.
 *   cxvdpa_dev.lock (mutex): status, features, queue parameters and
 *     objects, address spaces, config space; held by every config op
 *     that touches them and by the control queue's work. Commands to the
 *     function are issued under it, except the page trackers' (under
 *     cxvdpa_dirty.lock alone: a report must not stall the datapath's
 *     config ops and the control queue while it waits). It also guards
 *     which tracker each address space has (cxvdpa_dirty.tracker, so the
 *     control queue can log its writes) and cxvdpa_dev.track_leftovers.
 *   cxvdpa_res.stale_lock (mutex): the keys the function refused to
 *     destroy (mr.c); taken wherever keys are made or destroyed (inside
 *     cxvdpa_dev.lock or cxvdpa_dirty.lock, or neither), and the retries'
 *     commands are sent with it held.
 *   cxvdpa_dev.cb_lock (spinlock, BH): the driver's callbacks; held while
 *     one runs, so a reset that clears them waits for a running one. The
 *     function's event handler takes it inside the function's own event
 *     lock.
 * The event handler takes no lock for a tracker's events: it matches
 * cxvdpa_dirty.obj and wakes cxvdpa_dirty.wait. A report calls the dirty
 * sink with cxvdpa_dirty.lock held and nothing else.
 */
#ifndef _CXVDPA_H
#define _CXVDPA_H

#include <linux/cxdev.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/vdpa.h>
#include <linux/vdpa_devring.h>
#include <linux/virtio_net.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct vhost_iotlb;

/* Keys kept for another destroy after the function refused one. */
#define CXVDPA_MAX_STALE_KEYS 64

/* Largest limits taken from a device, whatever it reports. */
#define CXVDPA_LOG_MAX_KLM 20
#define CXVDPA_LOG_MAX_MRW 52

/**
 * struct cxvdpa_res - what a function gives its driver at bind
 * @cx: the function
 * @dev: the device messages are about
 * @pd: protection domain of every key
 * @null_mkey: the key an indirect key's holes point into
 * @log_max_klm_list_size: most KLM entries per indirect key (log2)
 * @log_max_mrw_sz: longest key (log2 bytes)
 * @variant: the variant byte of the next key (stale keys then miss)
 * @stale_lock: protects @stale and @nstale (see the lock comment above)
 * @stale: keys the function refused to destroy, destroyed again later
 *	(mr.c)
 * @nstale: entries of @stale in use
 */
struct cxvdpa_res {
	struct cxdev *cx;
	struct device *dev;
	u32 pd;
	u32 null_mkey;
	u8 log_max_klm_list_size;
	u8 log_max_mrw_sz;
	u8 variant;
	struct mutex stale_lock;	/* @stale */
	u32 stale[CXVDPA_MAX_STALE_KEYS];
	u32 nstale;
};

/**
 * struct cxvdpa_mr - a memory region: one address space as the device
 *	translates it
 * @direct: keys of the direct chunks
 * @ndirect: entries in @direct
 * @key: the indirect key over [@start, @start + @len), which queues use;
 *	of an empty map (@len 0), one whose only KLM entry is the null key,
 *	so every access faults; 0 only while no region is built
 * @start: first IOVA of the region
 * @len: its length
 */
struct cxvdpa_mr {
	u32 *direct;
	u32 ndirect;
	u32 key;
	u64 start;
	u64 len;
};

#define CXVDPA_MAX_VQP 8
#define CXVDPA_MAX_VQS (2 * CXVDPA_MAX_VQP + 1)
#define CXVDPA_VQ_NUM_MAX 256
#define CXVDPA_DATA_GROUP 0
#define CXVDPA_CVQ_GROUP 1
#define CXVDPA_GROUPS 2
#define CXVDPA_AS 2

/**
 * struct cxvdpa_as - one address space
 * @mr: what the function translates it with (a physical key while
 *	@identity)
 * @iotlb: the mappings, for the control queue; empty while @identity
 * @identity: the default identity map (reset_map), not the driver's
 */
struct cxvdpa_as {
	struct cxvdpa_mr mr;
	struct vhost_iotlb *iotlb;
	bool identity;
};

/**
 * struct cxvdpa_vq - one virtqueue as the driver programmed it
 * @desc: descriptor area
 * @driver: driver (available) area
 * @device: device (used) area
 * @num: size
 * @ready: enabled by the driver
 * @state: where it resumes (from set_vq_state, or where its object was
 *	when destroyed)
 * @state_set: @state was set (else a new ring's start)
 * @before_reset: where the queue stood at the last device reset
 * @stood: @before_reset holds a position; get_vq_state reports it until
 *	the queue is positioned or runs again
 * @obj: its virtio queue object's id, 0 when it has none
 * @suspended: the object does not run: SUSPEND, or INIT on a suspended
 *	device
 * @cb: the driver's callback (under cxvdpa_dev.cb_lock)
 */
struct cxvdpa_vq {
	u64 desc;
	u64 driver;
	u64 device;
	u32 num;
	bool ready;
	struct vdpa_vq_state state;
	bool state_set;
	struct vdpa_vq_state before_reset;
	bool stood;
	u32 obj;
	bool suspended;
	struct vdpa_callback cb;
};

/**
 * struct cxvdpa_cvq - the control virtqueue's device side
 * @ring: the ring, valid while @running
 * @running: DRIVER_OK and ready
 * @req: the request being handled
 * @work: handles what the driver queued
 */
struct cxvdpa_cvq {
	struct vdpa_devring ring;
	bool running;
	struct vdpa_devring_req req;
	struct work_struct work;
};

/**
 * struct cxvdpa_track_caps - the function's page tracker, as found when
 *	the device was created
 * @present: the function has a usable tracker; the rest is valid only then
 * @log_max_num: trackers at once (log2)
 * @max_num_range: ranges of one tracker
 * @log_min_addr_space: smallest address space of a tracker (log2 bytes)
 * @log_max_addr_space: largest address space of a tracker (log2 bytes)
 * @log_min_page: smallest tracking page (log2 bytes)
 * @log_max_page: largest tracking page (log2 bytes)
 * @log_msg: the report message size the driver uses (log2 bytes), within
 *	the function's limits and those of a report queue buffer
 */
struct cxvdpa_track_caps {
	bool present;
	u8 log_max_num;
	u8 max_num_range;
	u8 log_min_addr_space;
	u8 log_max_addr_space;
	u8 log_min_page;
	u8 log_max_page;
	u8 log_msg;
};

struct cxvdpa_tracker;

/**
 * struct cxvdpa_dirty - dirty-page tracking of one address space
 * @lock: serialises dirty_start, dirty_stop and dirty_report of this
 *	address space (see the top of this file)
 * @tracker: the tracker while the space is tracked, else NULL; changed
 *	with @lock and cxvdpa_dev.lock both held, so either keeps it
 * @obj: @tracker's page tracker object id, 0 while there is none; read
 *	by the event handler, which takes no lock
 * @error_event: the function raised a tracker error event naming @obj;
 *	set by the event handler, cleared by the report that checks it
 * @wait: a report waits here for completions and errors
 */
struct cxvdpa_dirty {
	struct mutex lock;	/* this space's tracking, see top of file */
	struct cxvdpa_tracker *tracker;
	u32 obj;
	bool error_event;
	wait_queue_head_t wait;
};

struct cxvdpa_mgmt;

/**
 * struct cxvdpa_dev - a vDPA net device on a function
 * @vdpa: the vDPA device, first
 * @mgmt: the management device (and the function) it was created on
 * @lock: see the top of this file
 * @cb_lock: see the top of this file
 * @status: virtio status
 * @device_features: features offered
 * @features: negotiated features
 * @generation: config generation
 * @suspended: suspend() was called and resume() was not
 * @max_vqp: queue pairs
 * @cur_vqp: queue pairs the driver enabled (VIRTIO_NET_CTRL_MQ)
 * @nvqs: virtqueues (2 * @max_vqp + 1)
 * @vqs: the virtqueues; cxvdpa_cvq_idx() is the control queue. Every
 *	slot is visited when objects are torn down, not only the data
 *	queues of the current features
 * @group_asid: address space of each group
 * @as: the address spaces
 * @config: config space (little endian)
 * @config_cb: the driver's config callback (under @cb_lock)
 * @cvq: the control queue's device side
 * @error_work: a queue object went to ERR: the device needs a reset
 * @track_caps: the function's page tracker; the device has the dirty_*
 *	ops exactly when it is present
 * @dirty: dirty-page tracking of each address space
 * @track_leftovers: stopped trackers whose page tracker or report queue
 *	object the function refused to destroy (under @lock); each stop,
 *	start and release tries again, and their memory is not freed while
 *	the function may still write to it
 */
struct cxvdpa_dev {
	struct vdpa_device vdpa;
	struct cxvdpa_mgmt *mgmt;
	struct mutex lock;	/* device state, see top of file */
	spinlock_t cb_lock;	/* callbacks, see top of file */
	u8 status;
	u64 device_features;
	u64 features;
	u32 generation;
	bool suspended;
	u16 max_vqp;
	u16 cur_vqp;
	u16 nvqs;
	struct cxvdpa_vq vqs[CXVDPA_MAX_VQS];
	u32 group_asid[CXVDPA_GROUPS];
	struct cxvdpa_as as[CXVDPA_AS];
	struct virtio_net_config config;
	struct vdpa_callback config_cb;
	struct cxvdpa_cvq cvq;
	struct work_struct error_work;
	struct cxvdpa_track_caps track_caps;
	struct cxvdpa_dirty dirty[CXVDPA_AS];
	struct list_head track_leftovers;
};

/**
 * struct cxvdpa_mgmt - the management device of one function
 * @mdev: what "vdpa mgmtdev show" lists, named after the auxiliary device
 * @res: the function's resources
 * @dev: its one device, or NULL (under vdpa_mgmtdev's own serialisation)
 * @live: devices created and not yet released; unbind waits for zero,
 *	since a device's release issues commands through @res
 * @track_leftovers: trackers a released device could not destroy; their
 *	memory is freed at unbind once the function is disabled (it drops
 *	every object then). Only a device's release (one at a time: one
 *	device per function) and unbind, after every release, touch it.
 */
struct cxvdpa_mgmt {
	struct vdpa_mgmt_dev mdev;
	struct cxvdpa_res res;
	struct cxvdpa_dev *dev;
	atomic_t live;
	struct list_head track_leftovers;
};

static inline struct cxvdpa_dev *vdpa_to_cxvdpa(struct vdpa_device *vdpa)
{
	return container_of(vdpa, struct cxvdpa_dev, vdpa);
}

/*
 * Data queues in use: every pair with VIRTIO_NET_F_MQ, else one. The
 * control queue comes right after them (virtio 1.2, 5.1.2). The features
 * are the ones the driver wrote: before it writes any, no MQ, so the
 * control queue is at 2 (vdpa_sim_net answers the same way); the layout
 * is final once the driver sets FEATURES_OK.
 */
static inline u16 cxvdpa_data_vqs(struct cxvdpa_dev *d)
{
	return READ_ONCE(d->features) & BIT_ULL(VIRTIO_NET_F_MQ) ? 2 * d->max_vqp : 2;
}

static inline u16 cxvdpa_cvq_idx(struct cxvdpa_dev *d)
{
	return cxvdpa_data_vqs(d);
}

/* Whether the features make @idx a data queue: the only kind with an object. */
static inline bool cxvdpa_is_data_vq(struct cxvdpa_dev *d, u16 idx)
{
	return idx < cxvdpa_data_vqs(d);
}

static inline struct cxvdpa_res *cxvdpa_dev_res(struct cxvdpa_dev *d)
{
	return &d->mgmt->res;
}

/* resources.c */
int cxvdpa_cmd(struct cxvdpa_res *res, const void *in, size_t inlen, void *out,
	       size_t outlen);
int cxvdpa_query_cap(struct cxvdpa_res *res, u16 type, void *out);
int cxvdpa_res_init(struct cxvdpa_res *res, struct cxdev *cx, struct device *dev);
void cxvdpa_res_fini(struct cxvdpa_res *res);

/* mr.c */
int cxvdpa_mr_build(struct cxvdpa_res *res, struct vhost_iotlb *iotlb, struct cxvdpa_mr *mr);
int cxvdpa_mr_build_pa(struct cxvdpa_res *res, struct cxvdpa_mr *mr);
void cxvdpa_mr_destroy(struct cxvdpa_res *res, struct cxvdpa_mr *mr);
void cxvdpa_mr_retry_stale(struct cxvdpa_res *res);

/* main.c */
void cxvdpa_needs_reset(struct cxvdpa_dev *d, const char *why, int err);
void cxvdpa_start_state(struct cxvdpa_dev *d, u16 idx, struct vdpa_vq_state *state);
void cxvdpa_vq_where(struct cxvdpa_dev *d, u16 idx, struct vdpa_vq_state *state);

/* virtqueues.c */
int cxvdpa_vq_start(struct cxvdpa_dev *d, u16 idx);
void cxvdpa_vq_stop(struct cxvdpa_dev *d, u16 idx);
int cxvdpa_vqs_start(struct cxvdpa_dev *d);
void cxvdpa_vqs_destroy(struct cxvdpa_dev *d);
int cxvdpa_vqs_suspend(struct cxvdpa_dev *d, bool suspend);
int cxvdpa_vqs_swap_key(struct cxvdpa_dev *d, u32 key);
int cxvdpa_vq_get_state(struct cxvdpa_dev *d, u16 idx, struct vdpa_vq_state *state);
bool cxvdpa_vqs_in_error(struct cxvdpa_dev *d);
u32 cxvdpa_data_key(struct cxvdpa_dev *d);

/* cvq.c */
void cxvdpa_cvq_init(struct cxvdpa_dev *d);
void cxvdpa_cvq_start(struct cxvdpa_dev *d);
void cxvdpa_cvq_stop(struct cxvdpa_dev *d);
void cxvdpa_cvq_get_state(struct cxvdpa_dev *d, struct vdpa_vq_state *state);

/* dirty.c */
int cxvdpa_dirty_query_caps(struct cxvdpa_res *res, struct cxvdpa_track_caps *caps);
void cxvdpa_dirty_init(struct cxvdpa_dev *d, const struct cxvdpa_track_caps *caps);
void cxvdpa_dirty_free(struct cxvdpa_dev *d);
void cxvdpa_dirty_leftovers_free(struct cxvdpa_mgmt *mgmt);
void cxvdpa_dirty_event(struct cxvdpa_dev *d, enum cxdev_event event, u32 id);
void cxvdpa_dirty_cpu_write(struct cxvdpa_dev *d, u32 asid, u64 iova, u64 len);
void cxvdpa_dirty_caps(struct vdpa_device *vdpa, struct vdpa_dirty_caps *caps);
int cxvdpa_dirty_start(struct vdpa_device *vdpa, unsigned int asid,
		       const struct vdpa_dirty_range *ranges, u32 nranges, u64 page_size);
int cxvdpa_dirty_stop(struct vdpa_device *vdpa, unsigned int asid);
int cxvdpa_dirty_report(struct vdpa_device *vdpa, unsigned int asid, u64 iova, u64 length,
			u32 flags, struct vdpa_dirty_sink *sink);

#endif /* _CXVDPA_H */
