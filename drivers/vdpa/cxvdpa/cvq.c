// SPDX-License-Identifier: GPL-2.0
/*
 * cxvdpa control virtqueue. The function has no control queue object, so
 * the parent runs this queue itself, through vdpa_devring, translated by
 * the control group's address space: its IOTLB copy, or the identity map.
 * Commands: VIRTIO_NET_CTRL_MAC_ADDR_SET sets the config MAC,
 * VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET the queue pairs in use; anything else
 * is answered VIRTIO_NET_ERR (no receive filtering is offered).
 */
#include <linux/etherdevice.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "cxvdpa.h"

#define CXVDPA_CVQ_BUDGET 64

static long cxvdpa_cvq_translate(void *ctx, u64 iova, u64 len, bool write, void **va)
{
	struct cxvdpa_dev *d = ctx;
	struct cxvdpa_as *as = &d->as[d->group_asid[CXVDPA_CVQ_GROUP]];

	lockdep_assert_held(&d->lock);
	if (as->identity)
		return vdpa_devring_ram(iova, len, va);
	return vdpa_devring_iotlb_translate(as->iotlb, iova, len, write, va);
}

/*
 * The ring wrote guest memory from the CPU, through the control group's
 * address space: the function's page tracker never sees that, so the
 * tracker of that space (if any) logs it in software.
 */
static void cxvdpa_cvq_dirty(void *ctx, u64 iova, u64 len)
{
	struct cxvdpa_dev *d = ctx;

	lockdep_assert_held(&d->lock);
	cxvdpa_dirty_cpu_write(d, d->group_asid[CXVDPA_CVQ_GROUP], iova, len);
}

static const struct vdpa_devring_ops cxvdpa_cvq_ops = {
	.translate = cxvdpa_cvq_translate,
	.dirty = cxvdpa_cvq_dirty,
};

static u8 cxvdpa_cvq_handle(struct cxvdpa_dev *d, const struct vdpa_devring_req *req)
{
	size_t off = sizeof(struct virtio_net_ctrl_hdr);
	struct virtio_net_ctrl_hdr hdr;
	u8 mac[ETH_ALEN];
	__virtio16 vqp;
	u16 n;

	if (vdpa_devring_read(req, 0, &hdr, sizeof(hdr)) != sizeof(hdr))
		return VIRTIO_NET_ERR;
	if (hdr.class == VIRTIO_NET_CTRL_MAC && hdr.cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
		if (!(d->features & BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR)) ||
		    vdpa_devring_read(req, off, mac, ETH_ALEN) != ETH_ALEN)
			return VIRTIO_NET_ERR;
		ether_addr_copy(d->config.mac, mac);
		WRITE_ONCE(d->generation, d->generation + 1);
		return VIRTIO_NET_OK;
	}
	if (hdr.class == VIRTIO_NET_CTRL_MQ && hdr.cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) {
		if (!(d->features & BIT_ULL(VIRTIO_NET_F_MQ)) ||
		    vdpa_devring_read(req, off, &vqp, sizeof(vqp)) != sizeof(vqp))
			return VIRTIO_NET_ERR;
		n = __virtio16_to_cpu(true, vqp);
		if (n < 1 || n > d->max_vqp)
			return VIRTIO_NET_ERR;
		d->cur_vqp = n;
		return VIRTIO_NET_OK;
	}
	return VIRTIO_NET_ERR;
}

/* One bounded run over the queue; returns >0 to notify, <0 on a ring error. */
static int cxvdpa_cvq_run(struct cxvdpa_dev *d, bool *more)
{
	struct cxvdpa_cvq *cvq = &d->cvq;
	int n, ret, notify = 0;
	u8 ack;

	lockdep_assert_held(&d->lock);
	for (n = 0; n < CXVDPA_CVQ_BUDGET; n++) {
		ret = vdpa_devring_pop(&cvq->ring, &cvq->req);
		if (ret <= 0)
			return ret < 0 ? ret : notify;
		ack = cxvdpa_cvq_handle(d, &cvq->req);
		ret = vdpa_devring_push(&cvq->ring, &cvq->req,
					vdpa_devring_write(&cvq->req, 0, &ack, sizeof(ack)));
		if (!ret)
			ret = vdpa_devring_need_notify(&cvq->ring);
		if (ret < 0)
			return ret;
		notify |= ret;
	}
	*more = true;
	return notify;
}

static void cxvdpa_cvq_work(struct work_struct *work)
{
	struct cxvdpa_dev *d = container_of(work, struct cxvdpa_dev, cvq.work);
	struct vdpa_callback *cb = &d->vqs[cxvdpa_cvq_idx(d)].cb;
	bool more = false;
	int ret = 0;

	mutex_lock(&d->lock);
	if (d->cvq.running && !d->suspended) {
		ret = cxvdpa_cvq_run(d, &more);
		if (ret < 0) {
			d->cvq.running = false;
			cxvdpa_needs_reset(d, "control queue", ret);
		}
	}
	mutex_unlock(&d->lock);

	if (ret > 0) {
		spin_lock_bh(&d->cb_lock);
		if (cb->callback)
			cb->callback(cb->private);
		spin_unlock_bh(&d->cb_lock);
	}
	if (more)
		queue_work(system_unbound_wq, &d->cvq.work);
}

/**
 * cxvdpa_cvq_init() - the control queue of a new device
 * @d: the device
 */
void cxvdpa_cvq_init(struct cxvdpa_dev *d)
{
	INIT_WORK(&d->cvq.work, cxvdpa_cvq_work);
}

/**
 * cxvdpa_cvq_start() - run the control queue, if ready and negotiated
 * @d: the device, going to DRIVER_OK or its control queue made ready
 */
void cxvdpa_cvq_start(struct cxvdpa_dev *d)
{
	struct cxvdpa_vq *vq = &d->vqs[cxvdpa_cvq_idx(d)];
	struct vdpa_vq_state st;
	int err;

	lockdep_assert_held(&d->lock);
	if (d->cvq.running || !vq->ready || !(d->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)))
		return;
	err = vdpa_devring_init(&d->cvq.ring, &cxvdpa_cvq_ops, d, vq->desc, vq->driver,
				vq->device, vq->num, d->features);
	if (err) {
		cxvdpa_needs_reset(d, "control queue", err);
		return;
	}
	cxvdpa_start_state(d, cxvdpa_cvq_idx(d), &st);
	vdpa_devring_set_state(&d->cvq.ring, &st);
	d->cvq.running = true;
	queue_work(system_unbound_wq, &d->cvq.work);
}

/**
 * cxvdpa_cvq_stop() - stop the control queue, keeping its position
 * @d: the device
 */
void cxvdpa_cvq_stop(struct cxvdpa_dev *d)
{
	struct cxvdpa_vq *vq = &d->vqs[cxvdpa_cvq_idx(d)];

	lockdep_assert_held(&d->lock);
	if (!d->cvq.running)
		return;
	vdpa_devring_get_state(&d->cvq.ring, &vq->state);
	vq->state_set = true;
	d->cvq.running = false;
}

/**
 * cxvdpa_cvq_get_state() - where the control queue is
 * @d: the device
 * @state: filled in
 */
void cxvdpa_cvq_get_state(struct cxvdpa_dev *d, struct vdpa_vq_state *state)
{
	lockdep_assert_held(&d->lock);
	/* Stopped when asked on a running device, as the data queues are. */
	if (d->cvq.running && !d->suspended)
		cxvdpa_cvq_stop(d);
	if (d->cvq.running)
		vdpa_devring_get_state(&d->cvq.ring, state);
	else
		cxvdpa_vq_where(d, cxvdpa_cvq_idx(d), state);
}
