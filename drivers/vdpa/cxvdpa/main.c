// SPDX-License-Identifier: GPL-2.0
/*
 * cxvdpa: the mlx5-style vDPA parent for cxdev functions. It binds to
 * every "<provider>.vnet" auxiliary device, enables the function and takes
 * its resources (resources.c), and registers a management device named
 * after it ("auxiliary/cxemu.vnet.0"), on which "vdpa dev add" creates one
 * virtio-net device (mac, mtu, max_vqp). The device's vdpa_config_ops
 * are here; see cxvdpa.h for its layout and locks.
 *
 * Translation: every address space starts as, and after reset_map is,
 * the identity map (one physical key). set_map builds the new region
 * before it retires the old one; when the data group's space changes
 * under running queues, they move to the new key without a gap
 * (cxvdpa_vqs_swap_key()). An empty map is a key through which every
 * access faults (mr.c), so all memory can be taken from running queues:
 * the map succeeds, and queues that touch memory afterwards fault and
 * the device needs a reset. A device reset keeps every region
 * (IOTLB_PERSIST).
 *
 * Dirty-page tracking (dirty.c) is offered only on a function with a page
 * tracker: the device gets one of two ops tables when it is created,
 * with or without the dirty_* ops, since the bus takes all four or none
 * and vhost-vdpa offers the feature whenever dirty_caps is there.
 */
#include <linux/auxiliary_bus.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/vdpa.h>

#include "cxvdpa.h"

#define CXVDPA_FEATURES (BIT_ULL(VIRTIO_F_VERSION_1) |		\
			 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |	\
			 BIT_ULL(VIRTIO_F_RING_PACKED) |	\
			 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |	\
			 BIT_ULL(VIRTIO_NET_F_MAC) |		\
			 BIT_ULL(VIRTIO_NET_F_MTU) |		\
			 BIT_ULL(VIRTIO_NET_F_STATUS) |		\
			 BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |	\
			 BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR) |	\
			 BIT_ULL(VIRTIO_NET_F_MQ))

static bool cxvdpa_is_cvq(struct cxvdpa_dev *d, u16 idx)
{
	return idx == cxvdpa_cvq_idx(d);
}

/* The config interrupt; the caller may hold cxvdpa_dev.lock. */
static void cxvdpa_config_irq(struct cxvdpa_dev *d)
{
	spin_lock_bh(&d->cb_lock);
	if (d->config_cb.callback)
		d->config_cb.callback(d->config_cb.private);
	spin_unlock_bh(&d->cb_lock);
}

/**
 * cxvdpa_needs_reset() - the device cannot go on: tell the driver
 * @d: the device
 * @why: what failed
 * @err: how
 *
 * Context: cxvdpa_dev.lock held.
 */
void cxvdpa_needs_reset(struct cxvdpa_dev *d, const char *why, int err)
{
	lockdep_assert_held(&d->lock);
	dev_err_ratelimited(&d->vdpa.dev, "%s: error %d, device needs reset\n", why, err);
	WRITE_ONCE(d->status, d->status | VIRTIO_CONFIG_S_NEEDS_RESET);
	cxvdpa_config_irq(d);
}

/**
 * cxvdpa_start_state() - where a queue starts when it runs
 * @d: the device
 * @idx: the queue
 * @state: the position set or kept, else a new ring's start (packed wrap
 *	counters set)
 *
 * Context: cxvdpa_dev.lock held.
 */
void cxvdpa_start_state(struct cxvdpa_dev *d, u16 idx, struct vdpa_vq_state *state)
{
	lockdep_assert_held(&d->lock);
	*state = d->vqs[idx].state;
	if (!d->vqs[idx].state_set && (d->features & BIT_ULL(VIRTIO_F_RING_PACKED))) {
		state->packed.last_avail_counter = 1;
		state->packed.last_used_counter = 1;
	}
}

/**
 * cxvdpa_vq_where() - where a queue without an object (or a stopped
 *	control queue) is, for get_vq_state
 * @d: the device
 * @idx: the queue
 * @state: where it was positioned or stopped, else where it stood at the
 *	last reset, else a new ring's start
 *
 * QEMU 7.2 asks the last vhost device where its rings are only after
 * resetting it; answered a new ring's start, it would take again every
 * buffer the device had used (control commands whose indirect tables the
 * driver has freed since).
 *
 * Context: cxvdpa_dev.lock held.
 */
void cxvdpa_vq_where(struct cxvdpa_dev *d, u16 idx, struct vdpa_vq_state *state)
{
	lockdep_assert_held(&d->lock);
	if (!d->vqs[idx].state_set && d->vqs[idx].stood)
		*state = d->vqs[idx].before_reset;
	else
		cxvdpa_start_state(d, idx, state);
}

/*
 * The function's events: page trackers' completions and errors, queue
 * objects gone to ERR, and interrupts. A tracker's data is an object id,
 * never a queue index: those are sorted out first, and an event of a kind
 * this driver does not know is no interrupt either.
 */
static void cxvdpa_event(void *ctx, enum cxdev_event event, u32 data)
{
	struct cxvdpa_dev *d = ctx;
	struct vdpa_callback *cb;

	switch (event) {
	case CXDEV_EVENT_TRACKER_COMPLETION:
	case CXDEV_EVENT_TRACKER_ERROR:
		cxvdpa_dirty_event(d, event, data);
		return;
	case CXDEV_EVENT_QUEUE_ERROR:
		schedule_work(&d->error_work);
		return;
	case CXDEV_EVENT_COMPLETION:
		break;
	default:
		return;
	}
	if (data >= cxvdpa_data_vqs(d))
		return;
	/* Softirqs are off already (cxdev_ops.set_events). */
	spin_lock(&d->cb_lock);
	cb = &d->vqs[data].cb;
	if (cb->callback)
		cb->callback(cb->private);
	spin_unlock(&d->cb_lock);
}

static void cxvdpa_error_work(struct work_struct *work)
{
	struct cxvdpa_dev *d = container_of(work, struct cxvdpa_dev, error_work);

	/* An event may be older than the last reset: ask the objects. */
	mutex_lock(&d->lock);
	if ((d->status & VIRTIO_CONFIG_S_DRIVER_OK) && cxvdpa_vqs_in_error(d))
		cxvdpa_needs_reset(d, "virtio queue object", -EIO);
	mutex_unlock(&d->lock);
}

static int cxvdpa_set_vq_address(struct vdpa_device *vdpa, u16 idx, u64 desc_area,
				 u64 driver_area, u64 device_area)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);

	mutex_lock(&d->lock);
	d->vqs[idx].desc = desc_area;
	d->vqs[idx].driver = driver_area;
	d->vqs[idx].device = device_area;
	mutex_unlock(&d->lock);
	return 0;
}

static void cxvdpa_set_vq_num(struct vdpa_device *vdpa, u16 idx, u32 num)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);

	if (!num || num > CXVDPA_VQ_NUM_MAX) {
		dev_err_ratelimited(&vdpa->dev, "vq %u: size %u out of range\n", idx, num);
		return;
	}
	mutex_lock(&d->lock);
	d->vqs[idx].num = num;
	mutex_unlock(&d->lock);
}

static void cxvdpa_kick_vq(struct vdpa_device *vdpa, u16 idx)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	struct cxdev *cx = cxvdpa_dev_res(d)->cx;

	if (cxvdpa_is_cvq(d, idx))
		queue_work(system_unbound_wq, &d->cvq.work);
	else
		cx->ops->ring(cx, idx);
}

/* A data queue's doorbell is the function's; the control queue has none. */
static struct vdpa_notification_area cxvdpa_get_vq_notification(struct vdpa_device *vdpa,
								u16 idx)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	struct cxdev *cx = cxvdpa_dev_res(d)->cx;
	struct vdpa_notification_area area = {};

	if (cxvdpa_is_cvq(d, idx))
		return area;
	area.addr = cx->ops->doorbell(cx, idx);
	area.size = area.addr ? PAGE_SIZE : 0;
	return area;
}

static void cxvdpa_set_vq_cb(struct vdpa_device *vdpa, u16 idx, struct vdpa_callback *cb)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);

	spin_lock_bh(&d->cb_lock);
	d->vqs[idx].cb = *cb;
	spin_unlock_bh(&d->cb_lock);
}

/*
 * Only a data queue or the control queue of the negotiated features can
 * be enabled: another index (above the control queue without
 * VIRTIO_NET_F_MQ) is no queue of this device, so its ready bit is not
 * recorded and it never gets an object. The features are the driver's by
 * then (a driver sets queues up after FEATURES_OK). Disabling is always
 * taken.
 */
static void cxvdpa_set_vq_ready(struct vdpa_device *vdpa, u16 idx, bool ready)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	bool cvq;
	int err;

	mutex_lock(&d->lock);
	cvq = cxvdpa_is_cvq(d, idx);
	if (ready && !cvq && !cxvdpa_is_data_vq(d, idx)) {
		mutex_unlock(&d->lock);
		dev_err_ratelimited(&vdpa->dev,
				    "vq %u: not a queue with the negotiated features, not enabled\n",
				    idx);
		return;
	}
	d->vqs[idx].ready = ready;
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		if (cvq && ready) {
			cxvdpa_cvq_start(d);
		} else if (cvq) {
			cxvdpa_cvq_stop(d);
		} else if (ready && !d->vqs[idx].obj) {
			err = cxvdpa_vq_start(d, idx);
			if (err)
				cxvdpa_needs_reset(d, "queue start", err);
		} else if (!ready) {
			cxvdpa_vq_stop(d, idx);
		}
	}
	mutex_unlock(&d->lock);
}

static bool cxvdpa_get_vq_ready(struct vdpa_device *vdpa, u16 idx)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	bool ready;

	mutex_lock(&d->lock);
	ready = d->vqs[idx].ready;
	mutex_unlock(&d->lock);
	return ready;
}

/* A position is taken only by a queue the device does not run. */
static int cxvdpa_set_vq_state(struct vdpa_device *vdpa, u16 idx,
			       const struct vdpa_vq_state *state)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	int err = 0;

	mutex_lock(&d->lock);
	if (d->vqs[idx].obj || (cxvdpa_is_cvq(d, idx) && d->cvq.running)) {
		err = -EBUSY;
	} else {
		d->vqs[idx].state = *state;
		d->vqs[idx].state_set = true;
	}
	mutex_unlock(&d->lock);
	return err;
}

static int cxvdpa_get_vq_state(struct vdpa_device *vdpa, u16 idx, struct vdpa_vq_state *state)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	int err = 0;

	mutex_lock(&d->lock);
	if (cxvdpa_is_cvq(d, idx))
		cxvdpa_cvq_get_state(d, state);
	else
		err = cxvdpa_vq_get_state(d, idx, state);
	mutex_unlock(&d->lock);
	return err;
}

static u32 cxvdpa_get_vq_align(struct vdpa_device *vdpa)
{
	return PAGE_SIZE;
}

static u32 cxvdpa_get_vq_group(struct vdpa_device *vdpa, u16 idx)
{
	return cxvdpa_is_cvq(vdpa_to_cxvdpa(vdpa), idx) ? CXVDPA_CVQ_GROUP : CXVDPA_DATA_GROUP;
}

static u64 cxvdpa_get_device_features(struct vdpa_device *vdpa)
{
	return vdpa_to_cxvdpa(vdpa)->device_features;
}

static int cxvdpa_set_driver_features(struct vdpa_device *vdpa, u64 features)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);

	mutex_lock(&d->lock);
	WRITE_ONCE(d->features, features & d->device_features);
	mutex_unlock(&d->lock);
	return 0;
}

/* Single values written under cxvdpa_dev.lock are read without it. */
static u64 cxvdpa_get_driver_features(struct vdpa_device *vdpa)
{
	return READ_ONCE(vdpa_to_cxvdpa(vdpa)->features);
}

static void cxvdpa_set_config_cb(struct vdpa_device *vdpa, struct vdpa_callback *cb)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);

	spin_lock_bh(&d->cb_lock);
	d->config_cb = *cb;
	spin_unlock_bh(&d->cb_lock);
}

static u16 cxvdpa_get_vq_num_max(struct vdpa_device *vdpa)
{
	return CXVDPA_VQ_NUM_MAX;
}

static u32 cxvdpa_get_device_id(struct vdpa_device *vdpa)
{
	return VIRTIO_ID_NET;
}

static u32 cxvdpa_get_vendor_id(struct vdpa_device *vdpa)
{
	return 0;
}

static u8 cxvdpa_get_status(struct vdpa_device *vdpa)
{
	return READ_ONCE(vdpa_to_cxvdpa(vdpa)->status);
}

static void cxvdpa_set_status(struct vdpa_device *vdpa, u8 status)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	bool start;
	int err;

	mutex_lock(&d->lock);
	start = (status & ~d->status) & VIRTIO_CONFIG_S_DRIVER_OK;
	WRITE_ONCE(d->status, status);
	if (start) {
		err = cxvdpa_vqs_start(d);
		if (err)
			cxvdpa_needs_reset(d, "queue start", err);
		else
			cxvdpa_cvq_start(d);
	}
	mutex_unlock(&d->lock);
}

/*
 * Back to power-on state; address spaces are not part of it (reset_map
 * is), nor is dirty-page tracking: the queues stop, and what their
 * trackers logged stays readable until dirty_stop.
 */
static void cxvdpa_reset_locked(struct cxvdpa_dev *d)
{
	u16 i;

	lockdep_assert_held(&d->lock);
	/* Stopping records each position, for get_vq_state after the reset. */
	for (i = 0; i < CXVDPA_MAX_VQS; i++)
		cxvdpa_vq_stop(d, i);
	cxvdpa_cvq_stop(d);
	spin_lock_bh(&d->cb_lock);
	for (i = 0; i < d->nvqs; i++) {
		struct cxvdpa_vq *vq = &d->vqs[i];
		struct vdpa_vq_state where;
		u32 obj = vq->obj;

		cxvdpa_vq_where(d, i, &where);
		memset(vq, 0, sizeof(*vq));
		vq->before_reset = where;
		vq->stood = true;
		/* One whose DESTROY failed: the next reset or release tries again. */
		vq->obj = obj;
	}
	memset(&d->config_cb, 0, sizeof(d->config_cb));
	spin_unlock_bh(&d->cb_lock);
	for (i = 0; i < CXVDPA_GROUPS; i++)
		d->group_asid[i] = 0;
	d->cur_vqp = 1;
	d->suspended = false;
	WRITE_ONCE(d->features, 0);
	WRITE_ONCE(d->status, 0);
	WRITE_ONCE(d->generation, d->generation + 1);
}

static int cxvdpa_reset(struct vdpa_device *vdpa)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);

	mutex_lock(&d->lock);
	cxvdpa_reset_locked(d);
	mutex_unlock(&d->lock);
	/* Work queued before the reset finds a stopped device; let it end. */
	flush_work(&d->cvq.work);
	flush_work(&d->error_work);
	return 0;
}

static int cxvdpa_set_suspended(struct vdpa_device *vdpa, bool suspended)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	int err;

	mutex_lock(&d->lock);
	d->suspended = suspended;
	err = cxvdpa_vqs_suspend(d, suspended);
	mutex_unlock(&d->lock);
	if (!suspended)
		queue_work(system_unbound_wq, &d->cvq.work);
	else
		flush_work(&d->cvq.work);
	return err;
}

static int cxvdpa_suspend(struct vdpa_device *vdpa)
{
	return cxvdpa_set_suspended(vdpa, true);
}

static int cxvdpa_resume(struct vdpa_device *vdpa)
{
	return cxvdpa_set_suspended(vdpa, false);
}

static size_t cxvdpa_get_config_size(struct vdpa_device *vdpa)
{
	return sizeof(struct virtio_net_config);
}

static void cxvdpa_get_config(struct vdpa_device *vdpa, unsigned int offset, void *buf,
			      unsigned int len)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);

	if (offset > sizeof(d->config) || len > sizeof(d->config) - offset)
		return;
	mutex_lock(&d->lock);
	memcpy(buf, (u8 *)&d->config + offset, len);
	mutex_unlock(&d->lock);
}

/* Nothing in a modern virtio-net config space is writable. */
static void cxvdpa_set_config(struct vdpa_device *vdpa, unsigned int offset, const void *buf,
			      unsigned int len)
{
}

static u32 cxvdpa_get_generation(struct vdpa_device *vdpa)
{
	return READ_ONCE(vdpa_to_cxvdpa(vdpa)->generation);
}

static struct vdpa_iova_range cxvdpa_get_iova_range(struct vdpa_device *vdpa)
{
	return (struct vdpa_iova_range){ .first = 0, .last = U64_MAX };
}

/* Groups move between address spaces only while the device is stopped. */
static int cxvdpa_set_group_asid(struct vdpa_device *vdpa, unsigned int group,
				 unsigned int asid)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	int err = 0;

	if (group >= CXVDPA_GROUPS || asid >= CXVDPA_AS)
		return -EINVAL;
	mutex_lock(&d->lock);
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK)
		err = -EBUSY;
	else
		d->group_asid[group] = asid;
	mutex_unlock(&d->lock);
	return err;
}

/*
 * Make @mr and @iotlb address space @asid. Running data queues move to
 * the new key before the old region goes; one that cannot is gone, and
 * the device needs a reset. Dirty tracking is left alone: its log is by
 * IOVA, not by key (dirty.c).
 */
static int cxvdpa_as_install(struct cxvdpa_dev *d, u32 asid, struct cxvdpa_mr *mr,
			     struct vhost_iotlb *iotlb, bool identity)
{
	struct cxvdpa_as *as = &d->as[asid];
	struct vhost_iotlb *old_iotlb = as->iotlb;
	struct cxvdpa_mr old = as->mr;
	int err = 0;

	lockdep_assert_held(&d->lock);
	as->mr = *mr;
	as->iotlb = iotlb;
	as->identity = identity;
	if (d->group_asid[CXVDPA_DATA_GROUP] == asid) {
		err = cxvdpa_vqs_swap_key(d, mr->key);
		if (err)
			cxvdpa_needs_reset(d, "memory region swap", err);
	}
	cxvdpa_mr_destroy(cxvdpa_dev_res(d), &old);
	if (old_iotlb)
		vhost_iotlb_free(old_iotlb);
	return err;
}

/* A new region and IOTLB copy for @asid: @src's mappings, or the identity. */
static int cxvdpa_as_set(struct cxvdpa_dev *d, u32 asid, struct vhost_iotlb *src)
{
	struct cxvdpa_res *res = cxvdpa_dev_res(d);
	struct vhost_iotlb *iotlb;
	struct cxvdpa_mr mr;
	int err;

	iotlb = src ? vdpa_devring_iotlb_clone(src, UINT_MAX) :
	      vhost_iotlb_alloc(UINT_MAX, 0);
	if (!iotlb)
		return -ENOMEM;
	err = src ? cxvdpa_mr_build(res, src, &mr) : cxvdpa_mr_build_pa(res, &mr);
	if (err) {
		vhost_iotlb_free(iotlb);
		return err;
	}
	mutex_lock(&d->lock);
	err = cxvdpa_as_install(d, asid, &mr, iotlb, !src);
	mutex_unlock(&d->lock);
	return err;
}

static int cxvdpa_set_map(struct vdpa_device *vdpa, unsigned int asid, struct vhost_iotlb *iotlb)
{
	if (asid >= CXVDPA_AS)
		return -EINVAL;
	return cxvdpa_as_set(vdpa_to_cxvdpa(vdpa), asid, iotlb);
}

static int cxvdpa_reset_map(struct vdpa_device *vdpa, unsigned int asid)
{
	if (asid >= CXVDPA_AS)
		return -EINVAL;
	return cxvdpa_as_set(vdpa_to_cxvdpa(vdpa), asid, NULL);
}

static int cxvdpa_compat_reset(struct vdpa_device *vdpa, u32 flags)
{
	u32 asid;

	cxvdpa_reset(vdpa);
	if (flags & VDPA_RESET_F_CLEAN_MAP)
		for (asid = 0; asid < CXVDPA_AS; asid++)
			cxvdpa_reset_map(vdpa, asid);
	return 0;
}

static void cxvdpa_free(struct vdpa_device *vdpa)
{
	struct cxvdpa_dev *d = vdpa_to_cxvdpa(vdpa);
	struct cxvdpa_res *res = cxvdpa_dev_res(d);
	struct cxvdpa_mgmt *mgmt = d->mgmt;
	u32 asid;

	res->cx->ops->set_events(res->cx, NULL, NULL);
	cancel_work_sync(&d->cvq.work);
	cancel_work_sync(&d->error_work);
	mutex_lock(&d->lock);
	cxvdpa_vqs_destroy(d);
	mutex_unlock(&d->lock);
	cxvdpa_dirty_free(d);
	for (asid = 0; asid < CXVDPA_AS; asid++) {
		cxvdpa_mr_destroy(res, &d->as[asid].mr);
		if (d->as[asid].iotlb)
			vhost_iotlb_free(d->as[asid].iotlb);
	}
	mutex_destroy(&d->lock);
	if (atomic_dec_and_test(&mgmt->live))
		wake_up_var(&mgmt->live);
}

#define CXVDPA_COMMON_OPS						\
	/* virtqueues */						\
	.set_vq_address = cxvdpa_set_vq_address,			\
	.set_vq_num = cxvdpa_set_vq_num,				\
	.kick_vq = cxvdpa_kick_vq,					\
	.get_vq_notification = cxvdpa_get_vq_notification,		\
	.set_vq_cb = cxvdpa_set_vq_cb,					\
	.set_vq_ready = cxvdpa_set_vq_ready,				\
	.get_vq_ready = cxvdpa_get_vq_ready,				\
	.set_vq_state = cxvdpa_set_vq_state,				\
	.get_vq_state = cxvdpa_get_vq_state,				\
	.get_vq_align = cxvdpa_get_vq_align,				\
	.get_vq_group = cxvdpa_get_vq_group,				\
	.get_vq_num_max = cxvdpa_get_vq_num_max,			\
	/* device */							\
	.get_device_features = cxvdpa_get_device_features,		\
	.set_driver_features = cxvdpa_set_driver_features,		\
	.get_driver_features = cxvdpa_get_driver_features,		\
	.set_config_cb = cxvdpa_set_config_cb,				\
	.get_device_id = cxvdpa_get_device_id,				\
	.get_vendor_id = cxvdpa_get_vendor_id,				\
	.get_status = cxvdpa_get_status,				\
	.set_status = cxvdpa_set_status,				\
	.reset = cxvdpa_reset,						\
	.compat_reset = cxvdpa_compat_reset,				\
	.suspend = cxvdpa_suspend,					\
	.resume = cxvdpa_resume,					\
	.get_config_size = cxvdpa_get_config_size,			\
	.get_config = cxvdpa_get_config,				\
	.set_config = cxvdpa_set_config,				\
	.get_generation = cxvdpa_get_generation,			\
	/* translation */						\
	.get_iova_range = cxvdpa_get_iova_range,			\
	.set_group_asid = cxvdpa_set_group_asid,			\
	.set_map = cxvdpa_set_map,					\
	.reset_map = cxvdpa_reset_map,					\
	.free = cxvdpa_free

/* A function without a page tracker: no dirty_* ops (the bus takes none or all). */
static const struct vdpa_config_ops cxvdpa_ops = {
	CXVDPA_COMMON_OPS,
};

/* A function with a page tracker (dirty.c). */
static const struct vdpa_config_ops cxvdpa_dirty_ops = {
	CXVDPA_COMMON_OPS,
	.dirty_caps = cxvdpa_dirty_caps,
	.dirty_start = cxvdpa_dirty_start,
	.dirty_stop = cxvdpa_dirty_stop,
	.dirty_report = cxvdpa_dirty_report,
};

static struct cxvdpa_mgmt *mdev_to_mgmt(struct vdpa_mgmt_dev *mdev)
{
	return container_of(mdev, struct cxvdpa_mgmt, mdev);
}

static int cxvdpa_dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
			  const struct vdpa_dev_set_config *config)
{
	struct cxvdpa_mgmt *mgmt = mdev_to_mgmt(mdev);
	struct cxvdpa_res *res = &mgmt->res;
	struct cxvdpa_track_caps track_caps;
	struct cxvdpa_dev *d;
	u16 max_vqp = 1;
	u32 asid;
	int err;

	/* One device per function: its queue indexes are the function's. */
	if (atomic_read(&mgmt->live)) {
		dev_err(mdev->device, "%s: the function already has a device\n", name);
		return -EEXIST;
	}
	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MAX_VQP)) {
		max_vqp = config->net.max_vq_pairs;
		if (!max_vqp || max_vqp > CXVDPA_MAX_VQP) {
			dev_err(mdev->device, "%s: max_vqp %u not in 1..%u\n", name, max_vqp,
				CXVDPA_MAX_VQP);
			return -ERANGE;
		}
	}
	/*
	 * The ops table is fixed at allocation, so the function's tracker is
	 * asked first; a device can track dirty pages exactly when it had one.
	 */
	err = cxvdpa_dirty_query_caps(res, &track_caps);
	if (err) {
		dev_err(mdev->device, "%s: cannot query the page tracker: %d\n", name, err);
		return err;
	}
	d = vdpa_alloc_device(struct cxvdpa_dev, vdpa, mdev->device,
			      track_caps.present ? &cxvdpa_dirty_ops : &cxvdpa_ops,
			      CXVDPA_GROUPS, CXVDPA_AS, name, false);
	if (IS_ERR(d))
		return PTR_ERR(d);
	/* From here on cxvdpa_free() runs at release and uncounts it. */
	atomic_inc(&mgmt->live);
	d->mgmt = mgmt;
	mutex_init(&d->lock);
	spin_lock_init(&d->cb_lock);
	INIT_WORK(&d->error_work, cxvdpa_error_work);
	cxvdpa_cvq_init(d);
	cxvdpa_dirty_init(d, &track_caps);
	/* The function reads memory itself: DMA addresses are physical. */
	d->vdpa.dma_dev = &d->vdpa.dev;
	d->vdpa.mdev = mdev;
	d->max_vqp = max_vqp;
	d->cur_vqp = 1;
	d->nvqs = 2 * max_vqp + 1;
	d->device_features = CXVDPA_FEATURES;
	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR))
		ether_addr_copy(d->config.mac, config->net.mac);
	else
		eth_random_addr(d->config.mac);
	d->config.mtu = __cpu_to_virtio16(true, config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MTU) ?
					  config->net.mtu : ETH_DATA_LEN);
	d->config.status = __cpu_to_virtio16(true, VIRTIO_NET_S_LINK_UP);
	d->config.max_virtqueue_pairs = __cpu_to_virtio16(true, max_vqp);

	for (asid = 0; asid < CXVDPA_AS; asid++) {
		err = cxvdpa_as_set(d, asid, NULL);
		if (err)
			goto err_put;
	}
	res->cx->ops->set_events(res->cx, cxvdpa_event, d);
	err = _vdpa_register_device(&d->vdpa, d->nvqs);
	if (err)
		goto err_put;
	return 0;

err_put:
	/* cxvdpa_free() stops the events and destroys what exists. */
	put_device(&d->vdpa.dev);
	return err;
}

static void cxvdpa_dev_del(struct vdpa_mgmt_dev *mdev, struct vdpa_device *vdpa)
{
	_vdpa_unregister_device(vdpa);
}

static const struct vdpa_mgmtdev_ops cxvdpa_mgmtdev_ops = {
	.dev_add = cxvdpa_dev_add,
	.dev_del = cxvdpa_dev_del,
};

static struct virtio_device_id cxvdpa_id_table[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static int cxvdpa_probe(struct auxiliary_device *adev, const struct auxiliary_device_id *id)
{
	struct cxvdpa_mgmt *mgmt;
	int err;

	mgmt = kzalloc(sizeof(*mgmt), GFP_KERNEL);
	if (!mgmt)
		return -ENOMEM;
	err = cxvdpa_res_init(&mgmt->res, adev_to_cxdev(adev), &adev->dev);
	if (err) {
		dev_err(&adev->dev, "cannot enable the function: %d\n", err);
		goto err_free;
	}
	atomic_set(&mgmt->live, 0);
	INIT_LIST_HEAD(&mgmt->track_leftovers);
	mgmt->mdev.device = &adev->dev;
	mgmt->mdev.ops = &cxvdpa_mgmtdev_ops;
	mgmt->mdev.id_table = cxvdpa_id_table;
	mgmt->mdev.config_attr_mask = BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR) |
				      BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MTU) |
				      BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MAX_VQP);
	mgmt->mdev.supported_features = CXVDPA_FEATURES;
	mgmt->mdev.max_supported_vqs = CXVDPA_MAX_VQS;
	err = vdpa_mgmtdev_register(&mgmt->mdev);
	if (err) {
		dev_err(&adev->dev, "cannot register the management device: %d\n", err);
		goto err_fini;
	}
	auxiliary_set_drvdata(adev, mgmt);
	return 0;

err_fini:
	cxvdpa_res_fini(&mgmt->res);
err_free:
	kfree(mgmt);
	return err;
}

static void cxvdpa_remove(struct auxiliary_device *adev)
{
	struct cxvdpa_mgmt *mgmt = auxiliary_get_drvdata(adev);

	/* Deletes the device; its release may come later (a bus driver's hold). */
	vdpa_mgmtdev_unregister(&mgmt->mdev);
	wait_var_event(&mgmt->live, !atomic_read(&mgmt->live));
	cxvdpa_res_fini(&mgmt->res);
	/* Disabled, the function writes no more to what trackers left behind. */
	cxvdpa_dirty_leftovers_free(mgmt);
	kfree(mgmt);
}

static const struct auxiliary_device_id cxvdpa_aux_ids[] = {
	{ .name = "cxemu.vnet" },
	{}
};
MODULE_DEVICE_TABLE(auxiliary, cxvdpa_aux_ids);

static struct auxiliary_driver cxvdpa_driver = {
	.name = "vnet",
	.probe = cxvdpa_probe,
	.remove = cxvdpa_remove,
	.id_table = cxvdpa_aux_ids,
};
module_auxiliary_driver(cxvdpa_driver);

MODULE_DESCRIPTION("mlx5-style vDPA parent for ConnectX-like functions (cxdev)");
MODULE_LICENSE("GPL");
