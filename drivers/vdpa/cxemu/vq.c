// SPDX-License-Identifier: GPL-2.0
/*
 * cxemu virtio net queues: the VIRTIO_NET_Q general object (create,
 * modify, query, destroy), the virtio emulation capability, doorbells,
 * events, and the datapath that runs every queue in the RDY state.
 *
 * Object rules, each broken one failing with its own syndrome:
 *   create: obj_type VIRTIO_NET_Q, no obj_id, state INIT; split or packed;
 *     event mode none, or MSI-X with a vector below CXEMU_MAX_VQS; virtio
 *     1.0; a queue_index below CXEMU_MAX_VQS that no other object has,
 *     and doorbell_stride_index equal to it; a queue_size the ring format
 *     allows; a live PD and a live key of that PD; none of the fields this
 *     model does not implement (umems, counters, offloads, TIS, dirty
 *     bitmap, queue features, tunnelling, descriptor group key) set.
 *   modify: modify_field_select names only state, addresses, available
 *     and used index, key. States go INIT -> RDY, RDY -> SUSPEND and
 *     SUSPEND -> RDY (freeze to ready); other fields change only in INIT
 *     or SUSPEND. Going RDY sets the ring up; a size or alignment the
 *     format forbids, or a packed position outside the ring, fails it.
 *     A failed modify changes nothing.
 *   query (into query_virtio_net_q_out) and destroy: in any state.
 * Every write a queue makes to the driver's memory is logged by the page
 * trackers (cxemu_vq_dirty()).
 * A queue whose ring is malformed or whose access faults goes to ERR: it
 * stops where it was, error_type says why (1: translation, 2: ring), and
 * the driver gets CXDEV_EVENT_QUEUE_ERROR. Only destroy leaves ERR.
 *
 * The wire (module parameter, per function at creation):
 *   loopback  a frame sent on queue 2N+1 arrives on queue 2N with a clean
 *             virtio-net header, or is dropped when 2N has no buffer;
 *   netdev    the function is cabled to a host interface (cxemu%d, its
 *             phys_port_name the function's name): frames sent on any
 *             queue arrive there, frames the host sends arrive on queue 0.
 *             The carrier is up while queue 0 is ready.
 */
#include <linux/device.h>
#include <linux/log2.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/mlx5/mlx5_ifc_vdpa.h>
#include <linux/slab.h>
#include <linux/vdpa.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "cxemu.h"

/* Buffers one datapath run takes from a queue before the others run. */
#define CXEMU_BUDGET 64
#define CXEMU_VQ_ERROR_TRANSLATION 1
#define CXEMU_VQ_ERROR_RING 2

#define CXEMU_VQ_MODIFIABLE (MLX5_VIRTQ_MODIFY_MASK_STATE |			\
			     MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_ADDRS |		\
			     MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_AVAIL_IDX |	\
			     MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_USED_IDX |		\
			     MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_MKEY)

/* Interrupts and errors one datapath run raises, delivered after it. */
struct cxemu_batch {
	u64 vectors;
	u64 errors;
};

/**
 * cxemu_query_emulation_cap() - the virtio emulation capability page
 * @emu: the function
 * @cap: the capability area of query_hca_cap_out
 *
 * Return: MLX5_CMD_STAT_OK.
 */
u8 cxemu_query_emulation_cap(struct cxemu *emu, void *cap)
{
	MLX5_SET(virtio_emulation_cap, cap, virtio_version_1_0, 1);
	MLX5_SET(virtio_emulation_cap, cap, event_mode,
		 BIT(MLX5_VIRTIO_Q_EVENT_MODE_NO_MSIX_MODE) |
		 BIT(MLX5_VIRTIO_Q_EVENT_MODE_MSIX_MODE));
	MLX5_SET(virtio_emulation_cap, cap, virtio_queue_type,
		 MLX5_VIRTIO_EMULATION_CAP_VIRTIO_QUEUE_TYPE_SPLIT |
		 MLX5_VIRTIO_EMULATION_CAP_VIRTIO_QUEUE_TYPE_PACKED);
	MLX5_SET(virtio_emulation_cap, cap, log_doorbell_stride, CXEMU_LOG_DOORBELL_STRIDE);
	MLX5_SET(virtio_emulation_cap, cap, log_doorbell_bar_size,
		 CXEMU_LOG_DOORBELL_STRIDE + ilog2(CXEMU_MAX_VQS));
	MLX5_SET(virtio_emulation_cap, cap, max_num_virtio_queues, CXEMU_MAX_VQS);
	MLX5_SET(virtio_emulation_cap, cap, freeze_to_rdy_supported, 1);
	return MLX5_CMD_STAT_OK;
}

static long cxemu_vq_translate(void *ctx, u64 iova, u64 len, bool write, void **va)
{
	struct cxemu_vq *vq = ctx;

	lockdep_assert_held(&vq->emu->lock);
	return cxemu_translate_key(vq->mkey, iova, len, write, va);
}

/*
 * The ring wrote [@iova, @iova + @len) of the queue's address space: the
 * trackers log it there, before the key translates it, so the log follows
 * the IOVA whatever key the queue uses next.
 */
static void cxemu_vq_dirty(void *ctx, u64 iova, u64 len)
{
	struct cxemu_vq *vq = ctx;

	lockdep_assert_held(&vq->emu->lock);
	cxemu_track_mark(vq->emu, iova, len);
}

static const struct vdpa_devring_ops cxemu_ring_ops = {
	.translate = cxemu_vq_translate,
	.dirty = cxemu_vq_dirty,
};

/*
 * Set @nv's ring up at its indexes; @vq is the object the ring will
 * translate for (@nv is a copy that becomes it).
 */
static int cxemu_vq_ring_start(struct cxemu_vq *vq, struct cxemu_vq *nv)
{
	/* No event index field exists: the model implements flags only. */
	u64 features = BIT_ULL(VIRTIO_F_VERSION_1) | BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
		       (nv->packed ? BIT_ULL(VIRTIO_F_RING_PACKED) : 0);
	struct vdpa_vq_state st = {};
	int err;

	/* A packed position is a slot (and a wrap bit): it must be in the ring. */
	if (nv->packed && ((nv->avail_idx & 0x7fff) >= nv->size ||
			   (nv->used_idx & 0x7fff) >= nv->size))
		return -EINVAL;
	err = vdpa_devring_init(&nv->ring, &cxemu_ring_ops, vq, nv->desc, nv->driver,
				nv->device, nv->size, features);
	if (err)
		return err;
	if (nv->packed) {
		st.packed.last_avail_idx = nv->avail_idx & 0x7fff;
		st.packed.last_avail_counter = nv->avail_idx >> 15;
		st.packed.last_used_idx = nv->used_idx & 0x7fff;
		st.packed.last_used_counter = nv->used_idx >> 15;
		vdpa_devring_set_state(&nv->ring, &st);
	} else {
		st.split.avail_index = nv->avail_idx;
		vdpa_devring_set_state(&nv->ring, &st);
		/* The model keeps both split indexes, as the object does. */
		nv->ring.used_idx = nv->used_idx;
	}
	return 0;
}

/* Keep where a running ring is, in the object's index fields. */
static void cxemu_vq_save(struct cxemu_vq *vq)
{
	struct vdpa_vq_state st;

	if (vq->state != MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY)
		return;
	vdpa_devring_get_state(&vq->ring, &st);
	if (vq->packed) {
		vq->avail_idx = st.packed.last_avail_idx | st.packed.last_avail_counter << 15;
		vq->used_idx = st.packed.last_used_idx | st.packed.last_used_counter << 15;
	} else {
		vq->avail_idx = st.split.avail_index;
		vq->used_idx = vq->ring.used_idx;
	}
}

static void cxemu_vq_fail(struct cxemu_vq *vq, int err, struct cxemu_batch *b)
{
	cxemu_vq_save(vq);
	vq->state = MLX5_VIRTIO_NET_Q_OBJECT_STATE_ERR;
	vq->error = err;
	b->errors |= BIT_ULL(vq->index);
	dev_err_ratelimited(&vq->emu->cx.adev.dev, "virtio queue %u: error %d, queue stopped\n",
			    vq->index, err);
}

static bool cxemu_vq_running(const struct cxemu_vq *vq)
{
	return vq && vq->state == MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY;
}

static int cxemu_vq_pop(struct cxemu_vq *vq, struct vdpa_devring_req *req,
			struct cxemu_batch *b)
{
	int ret;

	if (!cxemu_vq_running(vq))
		return 0;
	ret = vdpa_devring_pop(&vq->ring, req);
	if (ret < 0)
		cxemu_vq_fail(vq, ret, b);
	else
		vq->received += ret;
	return ret;
}

static void cxemu_vq_push(struct cxemu_vq *vq, struct vdpa_devring_req *req, u32 written,
			  struct cxemu_batch *b)
{
	int ret;

	if (!cxemu_vq_running(vq))
		return;
	ret = vdpa_devring_push(&vq->ring, req, written);
	if (!ret)
		ret = vdpa_devring_need_notify(&vq->ring);
	if (ret < 0) {
		cxemu_vq_fail(vq, ret, b);
		return;
	}
	vq->completed++;
	if (ret && vq->events)
		b->vectors |= BIT_ULL(vq->msix);
}

/* Frames the host sent, into queue 0; true when work is left. */
static bool cxemu_from_host(struct cxemu *emu, struct cxemu_batch *b)
{
	struct vdpa_devring_req *rx = &emu->req[1];
	struct cxemu_vq *rxq = emu->by_index[0];
	struct sk_buff *skb;
	int n;

	for (n = 0; n < CXEMU_BUDGET; n++) {
		skb = vdpa_devring_port_next(emu->port);
		if (!skb)
			break;
		if (cxemu_vq_pop(rxq, rx, b) <= 0) {
			vdpa_devring_port_unget(emu->port, skb);
			break;
		}
		cxemu_vq_push(rxq, rx, vdpa_devring_port_deliver(emu->port, rx,
								 sizeof(struct virtio_net_hdr_v1),
								 skb), b);
	}
	vdpa_devring_port_drained(emu->port);
	return n == CXEMU_BUDGET;
}

/* One bounded run over every queue pair; true when work is left. */
static bool cxemu_net_run(struct cxemu *emu, struct cxemu_batch *b)
{
	struct vdpa_devring_req *tx = &emu->req[0], *rx = &emu->req[1];
	struct cxemu_vq *txq, *rxq;
	bool more = false;
	int n, ret;
	u16 i;

	lockdep_assert_held(&emu->lock);
	if (emu->port)
		vdpa_devring_port_carrier(emu->port, cxemu_vq_running(emu->by_index[0]));
	for (i = 1; i < CXEMU_MAX_VQS; i += 2) {
		txq = emu->by_index[i];
		rxq = emu->by_index[i - 1];
		for (n = 0; n < CXEMU_BUDGET; n++) {
			if (cxemu_vq_pop(txq, tx, b) <= 0)
				break;
			if (emu->port) {
				vdpa_devring_port_to_host(emu->port, tx,
							  sizeof(struct virtio_net_hdr_v1));
			} else {
				ret = cxemu_vq_pop(rxq, rx, b);
				if (ret > 0)
					cxemu_vq_push(rxq, rx, vdpa_devring_net_loop(tx, rx), b);
			}
			cxemu_vq_push(txq, tx, 0, b);
		}
		more |= n == CXEMU_BUDGET;
	}
	if (emu->port)
		more |= cxemu_from_host(emu, b);
	return more;
}

/**
 * cxemu_raise() - deliver one kind of event to the driver
 * @emu: the function
 * @event: what happened
 * @which: a bit per event to deliver, bit n for data n
 *
 * Context: any context; cxemu.lock not held (the handler is the driver's
 * and may take its own locks).
 */
void cxemu_raise(struct cxemu *emu, enum cxdev_event event, u64 which)
{
	if (!which)
		return;
	spin_lock_bh(&emu->event_lock);
	for (; emu->event_fn && which; which &= which - 1)
		emu->event_fn(emu->event_ctx, event, __ffs64(which));
	spin_unlock_bh(&emu->event_lock);
}

/* Events, as the device raises them: after the run, outside cxemu.lock. */
static void cxemu_deliver(struct cxemu *emu, const struct cxemu_batch *b)
{
	cxemu_raise(emu, CXDEV_EVENT_QUEUE_ERROR, b->errors);
	cxemu_raise(emu, CXDEV_EVENT_COMPLETION, b->vectors);
}

/**
 * cxemu_datapath() - run the queues in RDY, a bounded batch per run
 * @work: &cxemu.work
 */
void cxemu_datapath(struct work_struct *work)
{
	struct cxemu *emu = container_of(work, struct cxemu, work);
	struct cxemu_batch b = {};
	bool again = false;

	mutex_lock(&emu->lock);
	if (emu->enabled)
		again = cxemu_net_run(emu, &b);
	mutex_unlock(&emu->lock);
	cxemu_deliver(emu, &b);
	if (again)
		queue_work(system_unbound_wq, &emu->work);
}

/**
 * cxemu_set_events() - &cxdev_ops.set_events of the model
 * @cx: the function
 * @fn: the handler, or NULL
 * @ctx: its argument
 */
void cxemu_set_events(struct cxdev *cx, cxdev_event_fn fn, void *ctx)
{
	struct cxemu *emu = cx_to_emu(cx);

	/* Events are delivered under the lock: none of the old runs after. */
	spin_lock_bh(&emu->event_lock);
	emu->event_fn = fn;
	emu->event_ctx = ctx;
	spin_unlock_bh(&emu->event_lock);
}

/**
 * cxemu_ring() - &cxdev_ops.ring of the model
 * @cx: the function
 * @index: the queue whose doorbell rings
 */
void cxemu_ring(struct cxdev *cx, u16 index)
{
	/* One datapath serves every queue; which one rang does not matter. */
	queue_work(system_unbound_wq, &cx_to_emu(cx)->work);
}

/**
 * cxemu_bell_rang() - a doorbell page was stored to
 * @ctx: the function
 * @index: its queue
 */
void cxemu_bell_rang(void *ctx, u16 index)
{
	struct cxemu *emu = ctx;

	cxemu_ring(&emu->cx, index);
}

/**
 * cxemu_doorbell() - &cxdev_ops.doorbell of the model
 * @cx: the function
 * @index: the queue
 *
 * Return: the page's physical address, 0 without doorbell pages.
 */
phys_addr_t cxemu_doorbell(struct cxdev *cx, u16 index)
{
	struct cxemu *emu = cx_to_emu(cx);
	struct vdpa_notification_area area;

	if (index >= CXEMU_MAX_VQS)
		return 0;
	mutex_lock(&emu->lock);
	area = vdpa_devring_bells_area(&emu->bells, index);
	if (emu->enabled)
		vdpa_devring_bells_start(&emu->bells);
	mutex_unlock(&emu->lock);
	return area.addr;
}

/* Fields this model does not implement: all must be zero. */
static bool cxemu_vq_unsupported(const void *obj)
{
	const void *q = MLX5_ADDR_OF(virtio_net_q_object, obj, virtio_q_context);

	return MLX5_GET(virtio_net_q_object, obj, vhca_id) ||
	       MLX5_GET(virtio_net_q_object, obj, queue_feature_bit_mask_12_3) ||
	       MLX5_GET(virtio_net_q_object, obj, queue_feature_bit_mask_2_0) ||
	       MLX5_GET(virtio_net_q_object, obj, dirty_bitmap_dump_enable) ||
	       MLX5_GET(virtio_net_q_object, obj, vhost_log_page) ||
	       MLX5_GET(virtio_net_q_object, obj, tisn_or_qpn) ||
	       MLX5_GET(virtio_net_q_object, obj, dirty_bitmap_mkey) ||
	       MLX5_GET(virtio_net_q_object, obj, dirty_bitmap_size) ||
	       MLX5_GET64(virtio_net_q_object, obj, dirty_bitmap_addr) ||
	       MLX5_GET(virtio_q, q, full_emulation) || MLX5_GET(virtio_q, q, offload_type) ||
	       MLX5_GET(virtio_q, q, device_emulation_id) ||
	       MLX5_GET(virtio_q, q, max_tunnel_desc) || MLX5_GET(virtio_q, q, error_type) ||
	       MLX5_GET(virtio_q, q, umem_1_id) || MLX5_GET(virtio_q, q, umem_1_size) ||
	       MLX5_GET64(virtio_q, q, umem_1_offset) ||
	       MLX5_GET(virtio_q, q, umem_2_id) || MLX5_GET(virtio_q, q, umem_2_size) ||
	       MLX5_GET64(virtio_q, q, umem_2_offset) ||
	       MLX5_GET(virtio_q, q, umem_3_id) || MLX5_GET(virtio_q, q, umem_3_size) ||
	       MLX5_GET64(virtio_q, q, umem_3_offset) ||
	       MLX5_GET(virtio_q, q, counter_set_id) || MLX5_GET(virtio_q, q, desc_group_mkey);
}

/* The key a queue names: live, of the queue's PD. */
static struct cxemu_mkey *cxemu_vq_key(struct cxemu *emu, u32 key, u32 pd, u32 *syndrome)
{
	struct cxemu_mkey *mk = cxemu_mkey_find(emu, key);

	if (!mk || mk->pd != pd) {
		*syndrome = CXDEV_SYN_BAD_MKEY;
		return NULL;
	}
	return mk;
}

static u8 cxemu_vq_create(struct cxemu *emu, const void *in, void *out, u32 *syndrome)
{
	const void *obj = MLX5_ADDR_OF(create_virtio_net_q_in, in, obj_context);
	const void *q = MLX5_ADDR_OF(virtio_net_q_object, obj, virtio_q_context);
	u8 type = MLX5_GET(virtio_q, q, virtio_q_type);
	u8 mode = MLX5_GET(virtio_q, q, event_mode);
	u32 msix = MLX5_GET(virtio_q, q, event_qpn_or_msix);
	u16 index = MLX5_GET(virtio_q, q, queue_index);
	u16 size = MLX5_GET(virtio_q, q, queue_size);
	u32 pd = MLX5_GET(virtio_q, q, pd);
	struct cxemu_mkey *mk;
	struct cxemu_vq *vq;
	u32 id;

	if (MLX5_GET(general_obj_in_cmd_hdr, in, obj_id) ||
	    MLX5_GET64(virtio_net_q_object, obj, modify_field_select) ||
	    MLX5_GET(virtio_net_q_object, obj, state) != MLX5_VIRTIO_NET_Q_OBJECT_STATE_INIT ||
	    !MLX5_GET(virtio_q, q, virtio_version_1_0) || cxemu_vq_unsupported(obj)) {
		*syndrome = CXDEV_SYN_VQ_FIELDS;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (type != MLX5_VIRTIO_EMULATION_VIRTIO_QUEUE_TYPE_SPLIT &&
	    type != MLX5_VIRTIO_EMULATION_VIRTIO_QUEUE_TYPE_PACKED) {
		*syndrome = CXDEV_SYN_VQ_TYPE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (!(mode == MLX5_VIRTIO_Q_EVENT_MODE_NO_MSIX_MODE && !msix) &&
	    !(mode == MLX5_VIRTIO_Q_EVENT_MODE_MSIX_MODE && msix < CXEMU_MAX_VQS)) {
		*syndrome = CXDEV_SYN_VQ_EVENT;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (index >= CXEMU_MAX_VQS || emu->by_index[index] ||
	    MLX5_GET(virtio_q, q, doorbell_stride_index) != index) {
		*syndrome = CXDEV_SYN_VQ_INDEX;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (!size || size > 32768 ||
	    (type == MLX5_VIRTIO_EMULATION_VIRTIO_QUEUE_TYPE_SPLIT && !is_power_of_2(size))) {
		*syndrome = CXDEV_SYN_VQ_SIZE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (!xa_load(&emu->pds, pd)) {
		*syndrome = CXDEV_SYN_BAD_PD;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	mk = cxemu_vq_key(emu, MLX5_GET(virtio_q, q, virtio_q_mkey), pd, syndrome);
	if (!mk)
		return MLX5_CMD_STAT_BAD_RES_ERR;

	vq = kzalloc(sizeof(*vq), GFP_KERNEL);
	if (!vq || xa_alloc(&emu->vqs, &id, vq, XA_LIMIT(1, BIT(CXEMU_LOG_MAX_VQ_OBJ) - 1),
			    GFP_KERNEL)) {
		kfree(vq);
		*syndrome = CXDEV_SYN_NO_RESOURCE;
		return MLX5_CMD_STAT_NO_RES_ERR;
	}
	vq->emu = emu;
	vq->id = id;
	vq->index = index;
	vq->state = MLX5_VIRTIO_NET_Q_OBJECT_STATE_INIT;
	vq->packed = type == MLX5_VIRTIO_EMULATION_VIRTIO_QUEUE_TYPE_PACKED;
	vq->events = mode == MLX5_VIRTIO_Q_EVENT_MODE_MSIX_MODE;
	vq->msix = msix;
	vq->size = size;
	vq->desc = MLX5_GET64(virtio_q, q, desc_addr);
	vq->driver = MLX5_GET64(virtio_q, q, available_addr);
	vq->device = MLX5_GET64(virtio_q, q, used_addr);
	vq->avail_idx = MLX5_GET(virtio_net_q_object, obj, hw_available_index);
	vq->used_idx = MLX5_GET(virtio_net_q_object, obj, hw_used_index);
	vq->mkey = mk;
	mk->users++;
	emu->by_index[index] = vq;
	MLX5_SET(general_obj_out_cmd_hdr, out, obj_id, id);
	return MLX5_CMD_STAT_OK;
}

static bool cxemu_vq_transition_ok(u8 from, u8 to)
{
	switch (from) {
	case MLX5_VIRTIO_NET_Q_OBJECT_STATE_INIT:
		return to == MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY;
	case MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY:
		return to == MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND;
	case MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND:
		return to == MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY;
	default:
		return false;
	}
}

static u8 cxemu_vq_modify(struct cxemu *emu, struct cxemu_vq *vq, const void *in,
			  u32 *syndrome)
{
	const void *obj = MLX5_ADDR_OF(modify_virtio_net_q_in, in, obj_context);
	const void *q = MLX5_ADDR_OF(virtio_net_q_object, obj, virtio_q_context);
	u64 sel = MLX5_GET64(virtio_net_q_object, obj, modify_field_select);
	u8 to = MLX5_GET(virtio_net_q_object, obj, state);
	bool frozen = vq->state == MLX5_VIRTIO_NET_Q_OBJECT_STATE_INIT ||
		      vq->state == MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND;
	struct cxemu_vq nv;

	lockdep_assert_held(&emu->lock);
	if (!sel || (sel & ~CXEMU_VQ_MODIFIABLE)) {
		*syndrome = CXDEV_SYN_VQ_MODIFY;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (((sel & ~MLX5_VIRTQ_MODIFY_MASK_STATE) && !frozen) ||
	    ((sel & MLX5_VIRTQ_MODIFY_MASK_STATE) && !cxemu_vq_transition_ok(vq->state, to))) {
		*syndrome = CXDEV_SYN_VQ_STATE;
		return MLX5_CMD_STAT_BAD_SYS_STATE_ERR;
	}
	/* Build the object as it will be; nothing changes unless all is well. */
	nv = *vq;
	cxemu_vq_save(&nv);
	if (sel & MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_MKEY) {
		nv.mkey = cxemu_vq_key(emu, MLX5_GET(virtio_q, q, virtio_q_mkey),
				       vq->mkey->pd, syndrome);
		if (!nv.mkey)
			return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	if (sel & MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_ADDRS) {
		nv.desc = MLX5_GET64(virtio_q, q, desc_addr);
		nv.driver = MLX5_GET64(virtio_q, q, available_addr);
		nv.device = MLX5_GET64(virtio_q, q, used_addr);
	}
	if (sel & MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_AVAIL_IDX)
		nv.avail_idx = MLX5_GET(virtio_net_q_object, obj, hw_available_index);
	if (sel & MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_USED_IDX)
		nv.used_idx = MLX5_GET(virtio_net_q_object, obj, hw_used_index);
	if (sel & MLX5_VIRTQ_MODIFY_MASK_STATE) {
		if (to == MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY && cxemu_vq_ring_start(vq, &nv)) {
			*syndrome = CXDEV_SYN_VQ_RING;
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
		nv.state = to;
	}
	nv.mkey->users++;
	vq->mkey->users--;
	*vq = nv;
	/*
	 * A queue made ready looks at its ring, as hardware does: no kick is
	 * lost. Any state change may change the carrier, too.
	 */
	queue_work(system_unbound_wq, &emu->work);
	return MLX5_CMD_STAT_OK;
}

static void cxemu_vq_query(struct cxemu_vq *vq, void *out)
{
	void *obj = MLX5_ADDR_OF(query_virtio_net_q_out, out, obj_context);
	void *q = MLX5_ADDR_OF(virtio_net_q_object, obj, virtio_q_context);
	struct cxemu_vq now = *vq;

	cxemu_vq_save(&now);
	MLX5_SET(general_obj_out_cmd_hdr, out, obj_id, vq->id);
	MLX5_SET(virtio_net_q_object, obj, state, now.state);
	MLX5_SET(virtio_net_q_object, obj, hw_available_index, now.avail_idx);
	MLX5_SET(virtio_net_q_object, obj, hw_used_index, now.used_idx);
	MLX5_SET(virtio_q, q, virtio_q_type, vq->packed);
	MLX5_SET(virtio_q, q, event_mode, vq->events ? MLX5_VIRTIO_Q_EVENT_MODE_MSIX_MODE :
						      MLX5_VIRTIO_Q_EVENT_MODE_NO_MSIX_MODE);
	MLX5_SET(virtio_q, q, event_qpn_or_msix, vq->msix);
	MLX5_SET(virtio_q, q, queue_index, vq->index);
	MLX5_SET(virtio_q, q, doorbell_stride_index, vq->index);
	MLX5_SET(virtio_q, q, queue_size, vq->size);
	MLX5_SET(virtio_q, q, virtio_version_1_0, 1);
	MLX5_SET64(virtio_q, q, desc_addr, vq->desc);
	MLX5_SET64(virtio_q, q, available_addr, vq->driver);
	MLX5_SET64(virtio_q, q, used_addr, vq->device);
	MLX5_SET(virtio_q, q, virtio_q_mkey, vq->mkey->key);
	MLX5_SET(virtio_q, q, pd, vq->mkey->pd);
	if (vq->error)
		MLX5_SET(virtio_q, q, error_type,
			 vq->error == -EFAULT || vq->error == -EACCES ?
			 CXEMU_VQ_ERROR_TRANSLATION : CXEMU_VQ_ERROR_RING);
}

static void cxemu_vq_free(struct cxemu *emu, struct cxemu_vq *vq)
{
	xa_erase(&emu->vqs, vq->id);
	emu->by_index[vq->index] = NULL;
	vq->mkey->users--;
	/* Frames for a driver that is gone are not the next one's. */
	if (emu->port && !vq->index)
		vdpa_devring_port_purge(emu->port);
	kfree(vq);
	/* The datapath updates the carrier. */
	queue_work(system_unbound_wq, &emu->work);
}

/**
 * cxemu_vq_reclaim() - destroy every queue object
 * @emu: the function
 *
 * Context: cxemu.lock held.
 */
void cxemu_vq_reclaim(struct cxemu *emu)
{
	struct cxemu_vq *vq;
	unsigned long id;

	lockdep_assert_held(&emu->lock);
	xa_for_each(&emu->vqs, id, vq)
		cxemu_vq_free(emu, vq);
}

/**
 * cxemu_vq_obj() - CREATE, MODIFY, QUERY and DESTROY_GENERAL_OBJECT of a
 *	virtio net queue
 * @emu: the function
 * @in: input mailbox: general_obj_in_cmd_hdr, then the object's context
 *	for create and modify
 * @inlen: its size
 * @out: output mailbox
 * @outlen: its size
 * @syndrome: set on failure
 *
 * The object type is VIRTIO_NET_Q (checked by the caller).
 *
 * Context: cxemu.lock held.
 * Return: MLX5_CMD_STAT_*.
 */
u8 cxemu_vq_obj(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		u32 *syndrome)
{
	u16 opcode = MLX5_GET(general_obj_in_cmd_hdr, in, opcode);
	bool with_obj = opcode == MLX5_CMD_OP_CREATE_GENERAL_OBJECT ||
			opcode == MLX5_CMD_OP_MODIFY_GENERAL_OBJECT;
	struct cxemu_vq *vq;

	lockdep_assert_held(&emu->lock);
	if (inlen != (with_obj ? MLX5_ST_SZ_BYTES(create_virtio_net_q_in) :
				 MLX5_ST_SZ_BYTES(general_obj_in_cmd_hdr))) {
		*syndrome = CXDEV_SYN_INLEN;
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	}
	if (opcode == MLX5_CMD_OP_QUERY_GENERAL_OBJECT &&
	    outlen < MLX5_ST_SZ_BYTES(query_virtio_net_q_out)) {
		*syndrome = CXDEV_SYN_OUTLEN;
		return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
	}
	if (opcode == MLX5_CMD_OP_CREATE_GENERAL_OBJECT)
		return cxemu_vq_create(emu, in, out, syndrome);

	vq = xa_load(&emu->vqs, MLX5_GET(general_obj_in_cmd_hdr, in, obj_id));
	if (!vq) {
		*syndrome = CXDEV_SYN_BAD_OBJ;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	switch (opcode) {
	case MLX5_CMD_OP_MODIFY_GENERAL_OBJECT:
		return cxemu_vq_modify(emu, vq, in, syndrome);
	case MLX5_CMD_OP_QUERY_GENERAL_OBJECT:
		cxemu_vq_query(vq, out);
		return MLX5_CMD_STAT_OK;
	default:
		cxemu_vq_free(emu, vq);
		return MLX5_CMD_STAT_OK;
	}
}
