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
 * in software).
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
 *   cxvdpa_dev.lock (mutex): status, features, queue parameters and
 *     objects, address spaces, config space; held by every config op
 *     that touches them and by the control queue's work. Commands to the
 *     function are issued under it.
 *   cxvdpa_dev.cb_lock (spinlock, BH): the driver's callbacks; held while
 *     one runs, so a reset that clears them waits for a running one. The
 *     function's event handler takes it inside the function's own event
 *     lock.
 */
#ifndef _CXVDPA_H
#define _CXVDPA_H

#include <linux/cxdev.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/vdpa.h>
#include <linux/vdpa_devring.h>
#include <linux/virtio_net.h>
#include <linux/workqueue.h>

struct vhost_iotlb;

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
 */
struct cxvdpa_res {
	struct cxdev *cx;
	struct device *dev;
	u32 pd;
	u32 null_mkey;
	u8 log_max_klm_list_size;
	u8 log_max_mrw_sz;
	u8 variant;
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
};

/**
 * struct cxvdpa_mgmt - the management device of one function
 * @mdev: what "vdpa mgmtdev show" lists, named after the auxiliary device
 * @res: the function's resources
 * @dev: its one device, or NULL (under vdpa_mgmtdev's own serialisation)
 * @live: devices created and not yet released; unbind waits for zero,
 *	since a device's release issues commands through @res
 */
struct cxvdpa_mgmt {
	struct vdpa_mgmt_dev mdev;
	struct cxvdpa_res res;
	struct cxvdpa_dev *dev;
	atomic_t live;
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
int cxvdpa_res_init(struct cxvdpa_res *res, struct cxdev *cx, struct device *dev);
void cxvdpa_res_fini(struct cxvdpa_res *res);

/* mr.c */
int cxvdpa_mr_build(struct cxvdpa_res *res, struct vhost_iotlb *iotlb, struct cxvdpa_mr *mr);
int cxvdpa_mr_build_pa(struct cxvdpa_res *res, struct cxvdpa_mr *mr);
void cxvdpa_mr_destroy(struct cxvdpa_res *res, struct cxvdpa_mr *mr);

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

#endif /* _CXVDPA_H */
