// SPDX-License-Identifier: GPL-2.0
/*
 * cxvdpa virtqueues. A ready data queue becomes a virtio net queue object
 * when the device starts (DRIVER_OK), or when it is made ready on a
 * running device: created at the position the driver set (else 0) with
 * the data group's key, events by MSI-X with the queue index as vector,
 * then moved to RDY. Suspend and resume move objects between RDY and
 * SUSPEND. A new memory region reaches running objects by suspending
 * each one and then, in one modify, giving it the new key and making it
 * ready again, so no access ever finds its key gone. Objects go away at
 * reset, or when the driver disables their queue (position kept).
 *
 * Only a data queue of the negotiated features gets an object
 * (cxvdpa_vq_start() is the one place that creates them). The loops over
 * objects walk every slot (CXVDPA_MAX_VQS), not the data queues the
 * features name now: an object must never escape a reset, a suspend or
 * a key swap because the features changed its index's role.
 *
 * Context: everything here runs with cxvdpa_dev.lock held.
 */
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/mlx5/mlx5_ifc_vdpa.h>
#include <linux/virtio_config.h>

#include "cxvdpa.h"

/**
 * cxvdpa_data_key() - the key data queues translate through
 * @d: the device
 *
 * Return: the key of the data group's address space (of an empty one
 * too: a key through which every access faults).
 */
u32 cxvdpa_data_key(struct cxvdpa_dev *d)
{
	return d->as[d->group_asid[CXVDPA_DATA_GROUP]].mr.key;
}

static bool cxvdpa_packed(struct cxvdpa_dev *d)
{
	return d->features & BIT_ULL(VIRTIO_F_RING_PACKED);
}

static void cxvdpa_obj_hdr(void *in, u16 opcode, u32 obj_id)
{
	MLX5_SET(general_obj_in_cmd_hdr, in, opcode, opcode);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_OBJ_TYPE_VIRTIO_NET_Q);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_id, obj_id);
}

/* The object's index fields: split keeps one position, packed two with wraps. */
static void cxvdpa_state_to_obj(bool packed, const struct vdpa_vq_state *st, void *obj)
{
	u16 avail, used;

	if (packed) {
		avail = st->packed.last_avail_idx | st->packed.last_avail_counter << 15;
		used = st->packed.last_used_idx | st->packed.last_used_counter << 15;
	} else {
		avail = st->split.avail_index;
		used = st->split.avail_index;
	}
	MLX5_SET(virtio_net_q_object, obj, hw_available_index, avail);
	MLX5_SET(virtio_net_q_object, obj, hw_used_index, used);
}

static void cxvdpa_obj_to_state(bool packed, const void *obj, struct vdpa_vq_state *st)
{
	u16 avail = MLX5_GET(virtio_net_q_object, obj, hw_available_index);
	u16 used = MLX5_GET(virtio_net_q_object, obj, hw_used_index);

	memset(st, 0, sizeof(*st));
	if (packed) {
		st->packed.last_avail_idx = avail & 0x7fff;
		st->packed.last_avail_counter = avail >> 15;
		st->packed.last_used_idx = used & 0x7fff;
		st->packed.last_used_counter = used >> 15;
	} else {
		st->split.avail_index = avail;
	}
}

static int cxvdpa_vq_create(struct cxvdpa_dev *d, u16 idx)
{
	u32 in[MLX5_ST_SZ_DW(create_virtio_net_q_in)] = {};
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	void *obj = MLX5_ADDR_OF(create_virtio_net_q_in, in, obj_context);
	void *q = MLX5_ADDR_OF(virtio_net_q_object, obj, virtio_q_context);
	struct cxvdpa_vq *vq = &d->vqs[idx];
	struct vdpa_vq_state st;
	int err;

	cxvdpa_start_state(d, idx, &st);
	cxvdpa_obj_hdr(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0);
	cxvdpa_state_to_obj(cxvdpa_packed(d), &st, obj);
	MLX5_SET(virtio_q, q, virtio_q_type,
		 cxvdpa_packed(d) ? MLX5_VIRTIO_EMULATION_VIRTIO_QUEUE_TYPE_PACKED :
				    MLX5_VIRTIO_EMULATION_VIRTIO_QUEUE_TYPE_SPLIT);
	MLX5_SET(virtio_q, q, event_mode, MLX5_VIRTIO_Q_EVENT_MODE_MSIX_MODE);
	MLX5_SET(virtio_q, q, event_qpn_or_msix, idx);
	MLX5_SET(virtio_q, q, queue_index, idx);
	MLX5_SET(virtio_q, q, doorbell_stride_index, idx);
	MLX5_SET(virtio_q, q, queue_size, vq->num);
	MLX5_SET(virtio_q, q, virtio_version_1_0, 1);
	MLX5_SET64(virtio_q, q, desc_addr, vq->desc);
	MLX5_SET64(virtio_q, q, available_addr, vq->driver);
	MLX5_SET64(virtio_q, q, used_addr, vq->device);
	MLX5_SET(virtio_q, q, virtio_q_mkey, cxvdpa_data_key(d));
	MLX5_SET(virtio_q, q, pd, cxvdpa_dev_res(d)->pd);
	err = cxvdpa_cmd(cxvdpa_dev_res(d), in, sizeof(in), out, sizeof(out));
	if (!err)
		vq->obj = MLX5_GET(general_obj_out_cmd_hdr, out, obj_id);
	return err;
}

/* Change what @sel selects: the state to @state, the key to @key. */
static int cxvdpa_vq_modify(struct cxvdpa_dev *d, u16 idx, u64 sel, u8 state, u32 key)
{
	u32 in[MLX5_ST_SZ_DW(modify_virtio_net_q_in)] = {};
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	void *obj = MLX5_ADDR_OF(modify_virtio_net_q_in, in, obj_context);
	void *q = MLX5_ADDR_OF(virtio_net_q_object, obj, virtio_q_context);
	int err;

	cxvdpa_obj_hdr(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, d->vqs[idx].obj);
	MLX5_SET64(virtio_net_q_object, obj, modify_field_select, sel);
	MLX5_SET(virtio_net_q_object, obj, state, state);
	MLX5_SET(virtio_q, q, virtio_q_mkey, key);
	err = cxvdpa_cmd(cxvdpa_dev_res(d), in, sizeof(in), out, sizeof(out));
	if (!err && (sel & MLX5_VIRTQ_MODIFY_MASK_STATE))
		d->vqs[idx].suspended = state == MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND;
	return err;
}

static int cxvdpa_vq_set_state(struct cxvdpa_dev *d, u16 idx, u8 state)
{
	return cxvdpa_vq_modify(d, idx, MLX5_VIRTQ_MODIFY_MASK_STATE, state, 0);
}

/* The object's state and position. */
static int cxvdpa_vq_query(struct cxvdpa_dev *d, u16 idx, u8 *state, struct vdpa_vq_state *st)
{
	u32 in[MLX5_ST_SZ_DW(query_virtio_net_q_in)] = {};
	u32 out[MLX5_ST_SZ_DW(query_virtio_net_q_out)] = {};
	void *obj = MLX5_ADDR_OF(query_virtio_net_q_out, out, obj_context);
	int err;

	cxvdpa_obj_hdr(in, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, d->vqs[idx].obj);
	err = cxvdpa_cmd(cxvdpa_dev_res(d), in, sizeof(in), out, sizeof(out));
	if (err)
		return err;
	*state = MLX5_GET(virtio_net_q_object, obj, state);
	cxvdpa_obj_to_state(cxvdpa_packed(d), obj, st);
	return 0;
}

/*
 * An object that could not be destroyed stays recorded: the next reset
 * tries again, and one left at the end is the function's to count.
 */
static void cxvdpa_vq_destroy(struct cxvdpa_dev *d, u16 idx)
{
	u32 in[MLX5_ST_SZ_DW(destroy_virtio_net_q_in)] = {};
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)];

	if (!d->vqs[idx].obj)
		return;
	cxvdpa_obj_hdr(in, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, d->vqs[idx].obj);
	if (cxvdpa_cmd(cxvdpa_dev_res(d), in, sizeof(in), out, sizeof(out)))
		return;
	d->vqs[idx].obj = 0;
	d->vqs[idx].suspended = false;
}

/**
 * cxvdpa_vq_start() - give a ready data queue its object, running
 * @d: the device, started
 * @idx: the queue, a data queue of the negotiated features
 *
 * On a suspended device the object stays in INIT (marked suspended), so
 * it never runs before resume, which makes it ready.
 *
 * Return: 0 or -errno; on failure the queue has no object.
 */
int cxvdpa_vq_start(struct cxvdpa_dev *d, u16 idx)
{
	int err;

	lockdep_assert_held(&d->lock);
	/* Callers pass data queues only: anything else is a bug here. */
	if (WARN_ON_ONCE(!cxvdpa_is_data_vq(d, idx)))
		return -EINVAL;
	err = cxvdpa_vq_create(d, idx);
	if (err)
		return err;
	if (d->suspended) {
		d->vqs[idx].suspended = true;
		return 0;
	}
	err = cxvdpa_vq_set_state(d, idx, MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY);
	if (err)
		cxvdpa_vq_destroy(d, idx);
	return err;
}

/**
 * cxvdpa_vq_stop() - take a queue's object away, keeping its position
 * @d: the device
 * @idx: the queue
 */
void cxvdpa_vq_stop(struct cxvdpa_dev *d, u16 idx)
{
	struct vdpa_vq_state st;
	u8 state;

	lockdep_assert_held(&d->lock);
	if (!d->vqs[idx].obj)
		return;
	/* Suspend first, so the position read is final. */
	if (!d->vqs[idx].suspended)
		cxvdpa_vq_set_state(d, idx, MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND);
	if (!cxvdpa_vq_query(d, idx, &state, &st)) {
		d->vqs[idx].state = st;
		d->vqs[idx].state_set = true;
	}
	cxvdpa_vq_destroy(d, idx);
}

/**
 * cxvdpa_vqs_start() - objects for every ready data queue
 * @d: the device, going to DRIVER_OK
 *
 * Return: 0 or -errno; on failure no queue has an object.
 */
int cxvdpa_vqs_start(struct cxvdpa_dev *d)
{
	int err;
	u16 i;

	lockdep_assert_held(&d->lock);
	for (i = 0; i < cxvdpa_data_vqs(d); i++) {
		if (!d->vqs[i].ready)
			continue;
		err = cxvdpa_vq_start(d, i);
		if (err) {
			cxvdpa_vqs_destroy(d);
			return err;
		}
	}
	return 0;
}

/**
 * cxvdpa_vqs_destroy() - destroy every queue object (reset, release)
 * @d: the device
 */
void cxvdpa_vqs_destroy(struct cxvdpa_dev *d)
{
	u16 i;

	lockdep_assert_held(&d->lock);
	for (i = 0; i < CXVDPA_MAX_VQS; i++)
		cxvdpa_vq_destroy(d, i);
}

/**
 * cxvdpa_vqs_suspend() - move every object to SUSPEND, or to RDY
 * @d: the device
 * @suspend: which way (RDY from SUSPEND, or from INIT for a queue started
 *	while the device was suspended)
 *
 * Return: 0, or the first -errno (the others are still moved).
 */
int cxvdpa_vqs_suspend(struct cxvdpa_dev *d, bool suspend)
{
	u8 to = suspend ? MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND :
			  MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY;
	int err, ret = 0;
	u16 k, i;

	lockdep_assert_held(&d->lock);
	/* Senders stop before receivers and start after them: no frame is lost. */
	for (k = 0; k < CXVDPA_MAX_VQS; k++) {
		i = suspend ? CXVDPA_MAX_VQS - 1 - k : k;
		if (!d->vqs[i].obj || d->vqs[i].suspended == suspend)
			continue;
		err = cxvdpa_vq_set_state(d, i, to);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

/*
 * Stop one object before its key changes; @was is the state it was found
 * in: RDY (suspended now), INIT or SUSPEND (left alone), or ERR (it
 * faulted, perhaps while being suspended).
 */
static int cxvdpa_vq_hold(struct cxvdpa_dev *d, u16 idx, u8 *was)
{
	struct vdpa_vq_state st;
	int err;

	err = cxvdpa_vq_query(d, idx, was, &st);
	if (err)
		return err;
	switch (*was) {
	case MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY:
		err = cxvdpa_vq_set_state(d, idx, MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND);
		/* Refused: only a fault since the query explains that. */
		if (err && (cxvdpa_vq_query(d, idx, was, &st) ||
			    *was != MLX5_VIRTIO_NET_Q_OBJECT_STATE_ERR))
			return err;
		return 0;
	case MLX5_VIRTIO_NET_Q_OBJECT_STATE_INIT:
	case MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND:
	case MLX5_VIRTIO_NET_Q_OBJECT_STATE_ERR:
		return 0;
	default:
		return -EIO;
	}
}

/**
 * cxvdpa_vqs_swap_key() - point every object at a new key, no gap
 * @d: the device
 * @key: the new key
 *
 * Every running object is suspended first, senders before receivers (a
 * frame in flight never meets a stopped receive queue); then each one gets
 * @key, and the ones that ran are made ready again in the same modify,
 * receivers first. One that did not run (SUSPEND, or INIT on a suspended
 * device) only gets @key.
 *
 * An object in ERR can change no more: it is destroyed, and the device is
 * marked as needing a reset here (the error event's work would find no
 * object in ERR left to report). That does not fail the swap: the object
 * holds no key any more, and a queue that touched memory the driver took
 * away (all of it, say) must not stop the driver from changing the map
 * again.
 *
 * Return: 0 when every object took @key or faulted and is gone, else the
 * first -errno; objects that failed are destroyed, so none keeps the old
 * key.
 */
int cxvdpa_vqs_swap_key(struct cxvdpa_dev *d, u32 key)
{
	const u64 sel = MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_MKEY;
	bool faulted = false;
	u32 was_running = 0;
	int err, ret = 0;
	u8 state;
	u16 i;

	lockdep_assert_held(&d->lock);
	BUILD_BUG_ON(CXVDPA_MAX_VQS > 32);
	for (i = CXVDPA_MAX_VQS; i-- > 0;) {
		if (!d->vqs[i].obj)
			continue;
		err = cxvdpa_vq_hold(d, i, &state);
		if (!err && state == MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY)
			was_running |= BIT(i);
		if (!err && state != MLX5_VIRTIO_NET_Q_OBJECT_STATE_ERR)
			continue;
		cxvdpa_vq_destroy(d, i);
		if (!err && !d->vqs[i].obj)
			faulted = true;
		else
			ret = ret ?: err ?: -EBUSY;
	}
	for (i = 0; i < CXVDPA_MAX_VQS; i++) {
		if (!d->vqs[i].obj)
			continue;
		err = was_running & BIT(i) ?
		      cxvdpa_vq_modify(d, i, sel | MLX5_VIRTQ_MODIFY_MASK_STATE,
				       MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY, key) :
		      cxvdpa_vq_modify(d, i, sel, MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND, key);
		if (err) {
			cxvdpa_vq_destroy(d, i);
			ret = ret ?: err;
		}
	}
	if (faulted)
		cxvdpa_needs_reset(d, "virtio queue object", -EFAULT);
	return ret;
}

/**
 * cxvdpa_vqs_in_error() - whether some object is in ERR
 * @d: the device
 *
 * Return: true when one is (an error event is about this instance).
 */
bool cxvdpa_vqs_in_error(struct cxvdpa_dev *d)
{
	struct vdpa_vq_state st;
	u8 state;
	u16 i;

	lockdep_assert_held(&d->lock);
	for (i = 0; i < CXVDPA_MAX_VQS; i++)
		if (d->vqs[i].obj && !cxvdpa_vq_query(d, i, &state, &st) &&
		    state == MLX5_VIRTIO_NET_Q_OBJECT_STATE_ERR)
			return true;
	return false;
}

/**
 * cxvdpa_vq_get_state() - where a queue is
 * @d: the device
 * @idx: the queue
 * @state: filled in
 *
 * Return: 0 or -errno.
 */
int cxvdpa_vq_get_state(struct cxvdpa_dev *d, u16 idx, struct vdpa_vq_state *state)
{
	u8 obj_state;

	lockdep_assert_held(&d->lock);
	/*
	 * QEMU 7.2 stops without suspending: it asks each queue pair where
	 * its rings are while the device runs and takes the answer as
	 * final. A running queue asked is therefore stopped first, as if
	 * disabled (enabling it again resumes from there).
	 */
	if (d->vqs[idx].obj && !d->suspended)
		cxvdpa_vq_stop(d, idx);
	if (!d->vqs[idx].obj) {
		cxvdpa_vq_where(d, idx, state);
		return 0;
	}
	return cxvdpa_vq_query(d, idx, &obj_state, state);
}
