// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_sim core: the vdpa_config_ops of a simulated device with an on-chip
 * IOMMU (one vhost_iotlb per address space), shared by the net and blk
 * classes. Lock rules: vdpa_sim.h.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vdpa.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_config.h>
#include <linux/wait_bit.h>
#include <kunit/visibility.h>
#include <uapi/linux/vdpa.h>

#include "vdpa_sim.h"

#define VDPASIM_VQ_NUM_MAX 256
#define VDPASIM_VQ_ALIGN 64
#define VDPASIM_VENDOR_ID 0
/*
 * Entries per IOTLB. vhost_iotlb refuses a limit of 0; the bus driver
 * bounds what userspace maps (pinning and its accounting), not the device.
 */
#define VDPASIM_IOTLB_LIMIT UINT_MAX

static int vdpasim_choice_set(const char *val, const struct kernel_param *kp)
{
	struct vdpasim_choice *c = kp->arg;

	if (sysfs_streq(val, c->names[1]))
		WRITE_ONCE(c->value, true);
	else if (sysfs_streq(val, c->names[0]))
		WRITE_ONCE(c->value, false);
	else
		return -EINVAL;
	return 0;
}

static int vdpasim_choice_get(char *buf, const struct kernel_param *kp)
{
	const struct vdpasim_choice *c = kp->arg;

	return sysfs_emit(buf, "%s\n", c->names[READ_ONCE(c->value)]);
}

/*
 * A module parameter that is one of two words (arg: struct vdpasim_choice),
 * for the simulator classes' mode switches.
 */
const struct kernel_param_ops vdpasim_choice_ops = {
	.set = vdpasim_choice_set,
	.get = vdpasim_choice_get,
};
EXPORT_SYMBOL_GPL(vdpasim_choice_ops);

/* How devices created from now on take IOTLB changes (see map_mode). */
static struct vdpasim_choice vdpasim_map_mode = { .names = { "set_map", "dma_map" } };
module_param_cb(map_mode, &vdpasim_choice_ops, &vdpasim_map_mode, 0644);
MODULE_PARM_DESC(map_mode,
		 "how devices created afterwards take IOTLB changes: \"set_map\" (whole table, default) or \"dma_map\" (incremental)");

/* Whether devices created from now on translate their owner's virtual addresses. */
static bool use_va;
module_param(use_va, bool, 0644);
MODULE_PARM_DESC(use_va,
		 "devices created afterwards take whole tables of user virtual addresses of the process bind_mm names (VA mode, va.c; map_mode does not apply)");

/* Doorbell polling period of devices created from now on; 0: no doorbells. */
static unsigned int doorbell_poll_us = 250;
module_param(doorbell_poll_us, uint, 0644);
MODULE_PARM_DESC(doorbell_poll_us,
		 "how often devices created afterwards poll their mappable doorbells, in microseconds (0: offer none)");

/*
 * Fault injection (Documentation/fault-injection): fail_map fails map
 * operations with -ENOMEM, fail_unmap makes dma_unmap refuse (-EIO, the
 * translation kept, as a device that cannot quiesce would), fail_dma
 * fails the device's DMA as it takes a buffer from a virtqueue, which a
 * device reports as DEVICE_NEEDS_RESET.
 */
static DECLARE_FAULT_ATTR(vdpasim_fail_map);
static DECLARE_FAULT_ATTR(vdpasim_fail_unmap);
static DECLARE_FAULT_ATTR(vdpasim_fail_dma);

/*
 * strict_dma_map (debugfs, for tests): behave as an IOMMU that knows each
 * range only as it was mapped. A map may not overlap a mapped range
 * (-EEXIST); an unmap must name one mapped range exactly (-ENOENT), or
 * be the whole space, which always empties it.
 */
static bool vdpasim_strict_dma_map;

/* /sys/kernel/debug/vdpa_sim: the fault attributes and a directory per device. */
static struct dentry *vdpasim_debugfs;

/* The address space a virtqueue's DMA goes through. */
static u32 vdpasim_vq_asid(struct vdpasim_virtqueue *vq)
{
	struct vdpasim *sim = vq->sim;
	u32 group = sim->dev_attr.vq_group ? sim->dev_attr.vq_group(sim, vq->idx) : 0;

	return sim->group_asid[group];
}

/*
 * Guest address to kernel address, through the virtqueue's address space.
 * A VA-mode table gives a user virtual address, which is pinned once the
 * spinlock is dropped (and so may sleep; VA mode's rings are only driven
 * by the batch, in process context).
 */
static long vdpasim_translate(void *ctx, u64 iova, u64 len, bool write, void **va)
{
	struct vdpasim_virtqueue *vq = ctx;
	struct vdpasim *sim = vq->sim;
	u32 asid = vdpasim_vq_asid(vq);
	bool user = false;
	u64 uaddr;
	long ret;

	lockdep_assert_held(&sim->lock);
	spin_lock(&sim->iommu_lock);
	if (sim->passthrough[asid]) {
		ret = vdpa_devring_ram(iova, len, va);
	} else if (sim->va) {
		ret = sim->table[asid] ?
		      vdpa_devring_table_lookup(sim->table[asid], iova, len, write, &uaddr) :
		      -EFAULT;
		user = ret > 0;
	} else if (sim->table[asid]) {
		ret = vdpa_devring_table_translate(sim->table[asid], iova, len, write, va);
	} else {
		ret = vdpa_devring_iotlb_translate(sim->iommu[asid], iova, len, write, va);
	}
	spin_unlock(&sim->iommu_lock);
	if (user)
		ret = vdpasim_va_translate(sim, uaddr, ret, write, va);
	return ret;
}

/* Every write the datapath makes to guest memory, for the dirty log. */
static void vdpasim_ring_dirty(void *ctx, u64 iova, u64 len)
{
	struct vdpasim_virtqueue *vq = ctx;

	vdpasim_dirty_mark(vq->sim, vdpasim_vq_asid(vq), iova, len);
}

/* Map changes take sim->lock, as the datapath does, and flush the rings. */
static const struct vdpa_devring_ops vdpasim_ring_ops = {
	.translate = vdpasim_translate,
	.dirty = vdpasim_ring_dirty,
	.cache = true,
};

/* A translation changes: no ring may use one it kept. */
static void vdpasim_flush_translations(struct vdpasim *sim)
{
	u32 i;

	lockdep_assert_held(&sim->lock);
	for (i = 0; i < sim->dev_attr.nvqs; i++)
		vdpa_devring_flush(&sim->vqs[i].ring);
}

/* The config interrupt is the notify bit no virtqueue uses. */
#define VDPASIM_CONFIG_IRQ BIT_ULL(VDPASIM_MAX_VQS - 1)

/**
 * vdpasim_schedule() - have the datapath run soon
 * @sim: the device
 *
 * The device's own thread runs it: a kick wakes one task the scheduler
 * already knows, which costs less, per kick, than a shared workqueue's
 * bookkeeping (measured: queue_work_on and process_one_work were 8% of
 * the blk benchmark's cycles).
 *
 * Context: any.
 */
void vdpasim_schedule(struct vdpasim *sim)
{
	kthread_queue_work(sim->worker, &sim->work);
}
EXPORT_SYMBOL_GPL(vdpasim_schedule);

/**
 * vdpasim_config_changed() - the device changed its config space
 * @sim: the device
 *
 * Bumps the config generation and, when the driver is running, raises the
 * config interrupt.
 *
 * Context: vdpasim.lock held.
 */
void vdpasim_config_changed(struct vdpasim *sim)
{
	lockdep_assert_held(&sim->lock);
	WRITE_ONCE(sim->generation, sim->generation + 1);
	if (sim->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		sim->notify |= VDPASIM_CONFIG_IRQ;
		vdpasim_schedule(sim);
	}
}
EXPORT_SYMBOL_GPL(vdpasim_config_changed);

/* The device found an error it cannot go on from: stop, tell the driver. */
static void vdpasim_needs_reset(struct vdpasim *sim, u16 idx, int err)
{
	u32 i;

	lockdep_assert_held(&sim->lock);
	dev_err_ratelimited(&sim->vdpa.dev, "vq %u: malformed ring (%d), device needs reset\n",
			    idx, err);
	for (i = 0; i < sim->dev_attr.nvqs; i++)
		sim->vqs[i].running = false;
	WRITE_ONCE(sim->status, sim->status | VIRTIO_CONFIG_S_NEEDS_RESET);
	sim->notify |= VDPASIM_CONFIG_IRQ;
}

/* Set a virtqueue's ring up from what the driver programmed. */
static void vdpasim_vq_start(struct vdpasim *sim, struct vdpasim_virtqueue *vq)
{
	int err;

	lockdep_assert_held(&sim->lock);
	err = vdpa_devring_init(&vq->ring, &vdpasim_ring_ops, vq, vq->desc_addr,
				vq->driver_addr, vq->device_addr, vq->num,
				sim->features);
	if (err) {
		vdpasim_needs_reset(sim, vq->idx, err);
		return;
	}
	/* A ring nobody positioned starts at 0, packed wrap counters at 1. */
	if (!vq->state_set && (sim->features & BIT_ULL(VIRTIO_F_RING_PACKED))) {
		vq->state.packed.last_avail_counter = 1;
		vq->state.packed.last_used_counter = 1;
	}
	vdpa_devring_set_state(&vq->ring, &vq->state);
	vq->running = true;
}

/* Keep where a ring stopped, for get_vq_state and a later restart. */
static void vdpasim_vq_stop(struct vdpasim_virtqueue *vq)
{
	if (vq->running) {
		vdpa_devring_get_state(&vq->ring, &vq->state);
		vq->state_set = true;
	}
	vq->running = false;
}

/*
 * Where a virtqueue is, for get_vq_state: the ring itself while it runs,
 * else where it stopped or was positioned, else where it stood at the
 * last reset.
 */
static void vdpasim_vq_where(const struct vdpasim_virtqueue *vq,
			     struct vdpa_vq_state *state)
{
	if (vq->running)
		vdpa_devring_get_state(&vq->ring, state);
	else if (vq->state_set)
		*state = vq->state;
	else
		*state = vq->before_reset;
}

/**
 * vdpasim_vq_running() - whether the device processes a virtqueue
 * @sim: the device
 * @idx: the virtqueue
 *
 * Context: vdpasim.lock held.
 * Return: true when the ring is set up and the device is not stopped.
 */
bool vdpasim_vq_running(struct vdpasim *sim, u16 idx)
{
	lockdep_assert_held(&sim->lock);
	return idx < sim->dev_attr.nvqs && sim->vqs[idx].running;
}
EXPORT_SYMBOL_GPL(vdpasim_vq_running);

/**
 * vdpasim_vq_pop() - take the next buffer of a running virtqueue
 * @sim: the device
 * @idx: the virtqueue
 * @req: where the buffer goes
 *
 * A malformed ring stops the device with DEVICE_NEEDS_RESET.
 *
 * Context: vdpasim.lock held (the datapath).
 * Return: 1 with a buffer, 0 with none or when the queue does not run, a
 * negative errno when the ring was malformed.
 */
int vdpasim_vq_pop(struct vdpasim *sim, u16 idx, struct vdpa_devring_req *req)
{
	struct vdpasim_virtqueue *vq = &sim->vqs[idx];
	int ret;

	if (!vdpasim_vq_running(sim, idx))
		return 0;
	/* Every DMA of the device's goes through a popped buffer's segments. */
	if (should_fail(&vdpasim_fail_dma, 1))
		ret = -EFAULT;
	else
		ret = vdpa_devring_pop(&vq->ring, req);
	if (ret < 0)
		vdpasim_needs_reset(sim, idx, ret);
	else
		vq->received_desc += ret;
	return ret;
}
EXPORT_SYMBOL_GPL(vdpasim_vq_pop);

/**
 * vdpasim_vq_push() - give a buffer back used, interrupting if wanted
 * @sim: the device
 * @idx: the virtqueue it came from
 * @req: the buffer
 * @written: bytes written into it
 *
 * Context: vdpasim.lock held (the datapath).
 */
void vdpasim_vq_push(struct vdpasim *sim, u16 idx, struct vdpa_devring_req *req,
		     u32 written)
{
	struct vdpasim_virtqueue *vq = &sim->vqs[idx];
	int ret;

	if (!vdpasim_vq_running(sim, idx))
		return;
	ret = vdpa_devring_push(&vq->ring, req, written);
	if (!ret)
		ret = vdpa_devring_need_notify(&vq->ring);
	if (ret < 0) {
		vdpasim_needs_reset(sim, idx, ret);
		return;
	}
	vq->completed_desc++;
	if (ret)
		sim->notify |= BIT_ULL(idx);
}
EXPORT_SYMBOL_GPL(vdpasim_vq_push);

static void vdpasim_work(struct kthread_work *work)
{
	struct vdpasim *sim = container_of(work, struct vdpasim, work);
	struct vdpa_callback cbs[VDPASIM_MAX_VQS];
	struct mm_struct *mm = NULL;
	bool again = false;
	u64 notify;
	u32 i;

	mutex_lock(&sim->lock);
	if ((sim->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(sim->status & VIRTIO_CONFIG_S_NEEDS_RESET) && !sim->suspended) {
		mm = vdpasim_va_begin(sim);
		again = sim->dev_attr.work(sim);
	}
	if (sim->va) {
		/* Nothing the batch pinned may be used after it. */
		vdpasim_flush_translations(sim);
		vdpasim_va_end(sim);
	}
	notify = sim->notify;
	sim->notify = 0;
	for (i = 0; i < sim->dev_attr.nvqs; i++)
		cbs[i] = sim->vqs[i].cb;
	cbs[VDPASIM_MAX_VQS - 1] = sim->config_cb;
	mutex_unlock(&sim->lock);
	/* The last user of an exiting owner's mm tears it down: no lock held. */
	if (mm)
		mmput(mm);

	/* Interrupts, as a device raises them: outside its own locks, in BH. */
	local_bh_disable();
	for (i = 0; i < VDPASIM_MAX_VQS; i++)
		if ((notify & BIT_ULL(i)) && cbs[i].callback)
			cbs[i].callback(cbs[i].private);
	local_bh_enable();

	if (again)
		vdpasim_schedule(sim);
}

static int vdpasim_set_vq_address(struct vdpa_device *vdpa, u16 idx, u64 desc_area,
				  u64 driver_area, u64 device_area)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct vdpasim_virtqueue *vq = &sim->vqs[idx];

	mutex_lock(&sim->lock);
	vq->desc_addr = desc_area;
	vq->driver_addr = driver_area;
	vq->device_addr = device_area;
	mutex_unlock(&sim->lock);
	return 0;
}

static void vdpasim_set_vq_num(struct vdpa_device *vdpa, u16 idx, u32 num)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	/* Bus drivers check sizes; a parent does not trust them to. */
	if (!num || num > VDPASIM_VQ_NUM_MAX) {
		dev_err_ratelimited(&vdpa->dev, "vq %u: size %u out of range\n", idx, num);
		return;
	}
	mutex_lock(&sim->lock);
	sim->vqs[idx].num = num;
	mutex_unlock(&sim->lock);
}

static void vdpasim_kick_vq(struct vdpa_device *vdpa, u16 idx)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	vdpasim_schedule(sim);
}

static void vdpasim_set_vq_cb(struct vdpa_device *vdpa, u16 idx,
			      struct vdpa_callback *cb)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	sim->vqs[idx].cb = *cb;
	mutex_unlock(&sim->lock);
}

static void vdpasim_set_vq_ready(struct vdpa_device *vdpa, u16 idx, bool ready)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	sim->vqs[idx].ready = ready;
	if (!ready)
		vdpasim_vq_stop(&sim->vqs[idx]);
	else if ((sim->status & VIRTIO_CONFIG_S_DRIVER_OK) && !sim->vqs[idx].running)
		vdpasim_vq_start(sim, &sim->vqs[idx]);
	mutex_unlock(&sim->lock);
	if (ready)
		vdpasim_kick_vq(vdpa, idx);
}

static bool vdpasim_get_vq_ready(struct vdpa_device *vdpa, u16 idx)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	bool ready;

	mutex_lock(&sim->lock);
	ready = sim->vqs[idx].ready;
	mutex_unlock(&sim->lock);
	return ready;
}

static int vdpasim_set_vq_state(struct vdpa_device *vdpa, u16 idx,
				const struct vdpa_vq_state *state)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	int err = 0;

	mutex_lock(&sim->lock);
	/* The state is only consistent while the queue does not run. */
	if ((sim->status & VIRTIO_CONFIG_S_DRIVER_OK) && !sim->suspended) {
		err = -EBUSY;
	} else {
		sim->vqs[idx].state = *state;
		sim->vqs[idx].state_set = true;
		if (sim->vqs[idx].running)
			vdpa_devring_set_state(&sim->vqs[idx].ring, state);
	}
	mutex_unlock(&sim->lock);
	return err;
}

/*
 * QEMU 7.2 stops without suspending: it asks each queue pair's device
 * where its rings are while the device still runs, and records the
 * answer as final. A ring asked while it runs therefore stops there, as
 * if disabled (enabling it again resumes from that position); between
 * batches every buffer taken was used, so the answer is consistent.
 */
static int vdpasim_get_vq_state(struct vdpa_device *vdpa, u16 idx,
				struct vdpa_vq_state *state)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct vdpasim_virtqueue *vq = &sim->vqs[idx];

	mutex_lock(&sim->lock);
	if (vq->running && !sim->suspended)
		vdpasim_vq_stop(vq);
	vdpasim_vq_where(vq, state);
	mutex_unlock(&sim->lock);
	return 0;
}

static int vdpasim_get_vendor_vq_stats(struct vdpa_device *vdpa, u16 idx,
				       struct sk_buff *msg,
				       struct netlink_ext_ack *extack)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	u64 received, completed;

	mutex_lock(&sim->lock);
	received = sim->vqs[idx].received_desc;
	completed = sim->vqs[idx].completed_desc;
	mutex_unlock(&sim->lock);

	if (nla_put_string(msg, VDPA_ATTR_DEV_VENDOR_ATTR_NAME, "received_desc") ||
	    nla_put_u64_64bit(msg, VDPA_ATTR_DEV_VENDOR_ATTR_VALUE, received,
			      VDPA_ATTR_PAD) ||
	    nla_put_string(msg, VDPA_ATTR_DEV_VENDOR_ATTR_NAME, "completed_desc") ||
	    nla_put_u64_64bit(msg, VDPA_ATTR_DEV_VENDOR_ATTR_VALUE, completed,
			      VDPA_ATTR_PAD)) {
		NL_SET_ERR_MSG_MOD(extack, "statistics do not fit the message");
		return -EMSGSIZE;
	}
	return 0;
}

static u32 vdpasim_get_vq_align(struct vdpa_device *vdpa)
{
	return VDPASIM_VQ_ALIGN;
}

static u32 vdpasim_get_vq_group(struct vdpa_device *vdpa, u16 idx)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	return sim->dev_attr.vq_group ? sim->dev_attr.vq_group(sim, idx) : 0;
}

static u64 vdpasim_get_device_features(struct vdpa_device *vdpa)
{
	return vdpa_to_sim(vdpa)->dev_attr.supported_features;
}

static int vdpasim_set_driver_features(struct vdpa_device *vdpa, u64 features)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	WRITE_ONCE(sim->features, features & sim->dev_attr.supported_features);
	mutex_unlock(&sim->lock);
	return 0;
}

/* Single values written under sim->lock are read without it. */
static u64 vdpasim_get_driver_features(struct vdpa_device *vdpa)
{
	return READ_ONCE(vdpa_to_sim(vdpa)->features);
}

static void vdpasim_set_config_cb(struct vdpa_device *vdpa,
				  struct vdpa_callback *cb)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	sim->config_cb = *cb;
	mutex_unlock(&sim->lock);
}

static u16 vdpasim_get_vq_num_max(struct vdpa_device *vdpa)
{
	return VDPASIM_VQ_NUM_MAX;
}

static u32 vdpasim_get_device_id(struct vdpa_device *vdpa)
{
	return vdpa_to_sim(vdpa)->dev_attr.id;
}

static u32 vdpasim_get_vendor_id(struct vdpa_device *vdpa)
{
	return VDPASIM_VENDOR_ID;
}

static u8 vdpasim_get_status(struct vdpa_device *vdpa)
{
	return READ_ONCE(vdpa_to_sim(vdpa)->status);
}

static void vdpasim_set_status(struct vdpa_device *vdpa, u8 status)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	bool start;
	u32 i;

	mutex_lock(&sim->lock);
	start = (status & ~sim->status) & VIRTIO_CONFIG_S_DRIVER_OK;
	WRITE_ONCE(sim->status, status);
	for (i = 0; start && i < sim->dev_attr.nvqs; i++)
		if (sim->vqs[i].ready)
			vdpasim_vq_start(sim, &sim->vqs[i]);
	if (start) {
		mutex_lock(&sim->bells_lock);
		vdpa_devring_bells_start(&sim->bells);
		mutex_unlock(&sim->bells_lock);
	}
	mutex_unlock(&sim->lock);
	if (start)
		vdpasim_kick_vq(vdpa, 0);
}

/*
 * Back to power-on state; mappings are not part of it (reset_map is). The
 * class's part is vdpasim_reset_locked()'s, as a new device's class state
 * is the class's to set up.
 */
static void vdpasim_core_reset_locked(struct vdpasim *sim)
{
	u32 i;

	lockdep_assert_held(&sim->lock);
	/*
	 * The rings restart at 0, but get_vq_state still says where they
	 * stood: QEMU 7.2 asks the last vhost device only after resetting
	 * it, and from an answer of 0 it would take again every buffer the
	 * device already used (control commands whose indirect tables the
	 * driver has freed since).
	 */
	for (i = 0; i < sim->dev_attr.nvqs; i++) {
		struct vdpa_vq_state where;

		vdpasim_vq_where(&sim->vqs[i], &where);
		memset(&sim->vqs[i], 0, sizeof(sim->vqs[i]));
		sim->vqs[i].sim = sim;
		sim->vqs[i].idx = i;
		sim->vqs[i].before_reset = where;
	}
	sim->notify = 0;
	for (i = 0; i < sim->dev_attr.ngroups; i++)
		sim->group_asid[i] = 0;
	memset(&sim->config_cb, 0, sizeof(sim->config_cb));
	WRITE_ONCE(sim->status, 0);
	WRITE_ONCE(sim->features, 0);
	sim->suspended = false;
	WRITE_ONCE(sim->generation, sim->generation + 1);
	/*
	 * Doorbells stay mapped across a reset; they are polled while
	 * running. Stopped after the status is written, so that
	 * get_vq_notification, once it has bells_lock, sees it (and does
	 * not start the poll again).
	 */
	mutex_lock(&sim->bells_lock);
	vdpa_devring_bells_stop(&sim->bells);
	mutex_unlock(&sim->bells_lock);
}

static void vdpasim_reset_locked(struct vdpasim *sim)
{
	vdpasim_core_reset_locked(sim);
	if (sim->dev_attr.reset)
		sim->dev_attr.reset(sim);
}

static int vdpasim_reset(struct vdpa_device *vdpa)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	vdpasim_reset_locked(sim);
	mutex_unlock(&sim->lock);
	/*
	 * A batch that ran before the reset may still be calling the old
	 * callbacks; once reset returns, the driver may free what they use.
	 */
	kthread_flush_work(&sim->work);
	return 0;
}

/*
 * Once suspended, no batch runs (the flag is checked under the lock the
 * batch holds): the ring state is final. Resuming looks for work.
 */
static int vdpasim_set_suspended(struct vdpa_device *vdpa, bool suspended)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	sim->suspended = suspended;
	mutex_unlock(&sim->lock);
	if (!suspended)
		vdpasim_kick_vq(vdpa, 0);
	return 0;
}

static int vdpasim_suspend(struct vdpa_device *vdpa)
{
	return vdpasim_set_suspended(vdpa, true);
}

static int vdpasim_resume(struct vdpa_device *vdpa)
{
	return vdpasim_set_suspended(vdpa, false);
}

static void vdpasim_bell_rang(void *ctx, u16 idx)
{
	struct vdpasim *sim = ctx;

	vdpasim_kick_vq(&sim->vdpa, idx);
}

/*
 * One polled page per virtqueue (vdpa_devring_bells): a store of the
 * virtqueue index into its first word kicks it, as a write to a
 * virtio-pci notify address would.
 */
static struct vdpa_notification_area
vdpasim_get_vq_notification(struct vdpa_device *vdpa, u16 idx)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct vdpa_notification_area area;

	/*
	 * Not sim->lock (see vdpa_sim.h). DRIVER_OK is cleared only by a
	 * reset, which writes the status before it stops the poll under
	 * bells_lock: once this has bells_lock it cannot start a poll a
	 * reset has stopped. (A device that needs a reset keeps polling
	 * until it gets one; its batches do nothing.)
	 */
	mutex_lock(&sim->bells_lock);
	area = vdpa_devring_bells_area(&sim->bells, idx);
	if (READ_ONCE(sim->status) & VIRTIO_CONFIG_S_DRIVER_OK)
		vdpa_devring_bells_start(&sim->bells);
	mutex_unlock(&sim->bells_lock);
	return area;
}

static size_t vdpasim_get_config_size(struct vdpa_device *vdpa)
{
	return vdpa_to_sim(vdpa)->dev_attr.config_size;
}

/* The bus checks ranges already; a device does not rely on it. */
static bool vdpasim_config_range_ok(struct vdpasim *sim, unsigned int offset,
				    unsigned int len)
{
	return offset <= sim->dev_attr.config_size &&
	       len <= sim->dev_attr.config_size - offset;
}

static void vdpasim_get_config(struct vdpa_device *vdpa, unsigned int offset,
			       void *buf, unsigned int len)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	if (!vdpasim_config_range_ok(sim, offset, len))
		return;
	mutex_lock(&sim->lock);
	sim->dev_attr.get_config(sim, sim->config);
	memcpy(buf, sim->config + offset, len);
	mutex_unlock(&sim->lock);
}

static void vdpasim_set_config(struct vdpa_device *vdpa, unsigned int offset,
			       const void *buf, unsigned int len)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	if (!vdpasim_config_range_ok(sim, offset, len))
		return;
	mutex_lock(&sim->lock);
	sim->dev_attr.get_config(sim, sim->config);
	memcpy(sim->config + offset, buf, len);
	if (sim->dev_attr.set_config)
		sim->dev_attr.set_config(sim, sim->config);
	WRITE_ONCE(sim->generation, sim->generation + 1);
	mutex_unlock(&sim->lock);
}

static u32 vdpasim_get_generation(struct vdpa_device *vdpa)
{
	return READ_ONCE(vdpa_to_sim(vdpa)->generation);
}

static struct vdpa_iova_range vdpasim_get_iova_range(struct vdpa_device *vdpa)
{
	return (struct vdpa_iova_range){ .first = 0, .last = U64_MAX };
}

static int vdpasim_set_group_asid(struct vdpa_device *vdpa, unsigned int group,
				  unsigned int asid)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	if (group >= sim->dev_attr.ngroups || asid >= sim->dev_attr.nas)
		return -EINVAL;
	mutex_lock(&sim->lock);
	sim->group_asid[group] = asid;
	vdpasim_flush_translations(sim);
	mutex_unlock(&sim->lock);
	return 0;
}

static int vdpasim_set_map(struct vdpa_device *vdpa, unsigned int asid,
			   struct vhost_iotlb *iotlb)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct vdpa_devring_table *new, *old;

	if (asid >= sim->dev_attr.nas)
		return -EINVAL;
	if (should_fail(&vdpasim_fail_map, 1))
		return -ENOMEM;
	new = vdpa_devring_table_build(iotlb);
	if (IS_ERR(new))
		return PTR_ERR(new);

	/* sim->lock: no batch is using the old table when it goes. */
	mutex_lock(&sim->lock);
	spin_lock(&sim->iommu_lock);
	old = sim->table[asid];
	sim->table[asid] = new;
	sim->passthrough[asid] = false;
	spin_unlock(&sim->iommu_lock);
	vdpasim_flush_translations(sim);
	mutex_unlock(&sim->lock);
	vdpa_devring_table_free(old);
	return 0;
}

/* The first map change of an identity-mapped space starts from empty. */
static void vdpasim_leave_passthrough(struct vdpasim *sim, unsigned int asid)
{
	lockdep_assert_held(&sim->iommu_lock);
	if (sim->passthrough[asid]) {
		vhost_iotlb_reset(sim->iommu[asid]);
		sim->passthrough[asid] = false;
	}
}

static int vdpasim_dma_map(struct vdpa_device *vdpa, unsigned int asid,
			   u64 iova, u64 size, u64 pa, u32 perm, void *opaque)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	int err;

	if (asid >= sim->dev_attr.nas || !size || iova + size - 1 < iova)
		return -EINVAL;
	if (should_fail(&vdpasim_fail_map, 1))
		return -ENOMEM;
	/* Leaving passthrough changes live translations: as every map op. */
	mutex_lock(&sim->lock);
	spin_lock(&sim->iommu_lock);
	vdpasim_leave_passthrough(sim, asid);
	if (READ_ONCE(vdpasim_strict_dma_map) &&
	    vhost_iotlb_itree_first(sim->iommu[asid], iova, iova + size - 1))
		err = -EEXIST;
	else
		err = vhost_iotlb_add_range_ctx(sim->iommu[asid], iova, iova + size - 1,
						pa, perm, opaque);
	spin_unlock(&sim->iommu_lock);
	vdpasim_flush_translations(sim);
	mutex_unlock(&sim->lock);
	return err;
}

static int vdpasim_dma_unmap(struct vdpa_device *vdpa, unsigned int asid,
			     u64 iova, u64 size)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct vhost_iotlb_map *map;
	int err = 0;

	if (asid >= sim->dev_attr.nas || !size || iova + size - 1 < iova)
		return -EINVAL;
	if (should_fail(&vdpasim_fail_unmap, 1))
		return -EIO;
	mutex_lock(&sim->lock);
	spin_lock(&sim->iommu_lock);
	vdpasim_leave_passthrough(sim, asid);
	map = vhost_iotlb_itree_first(sim->iommu[asid], iova, iova + size - 1);
	if (READ_ONCE(vdpasim_strict_dma_map) && (iova || size < U64_MAX) &&
	    (!map || map->start != iova || map->size != size))
		err = -ENOENT;
	else
		vhost_iotlb_del_range(sim->iommu[asid], iova, iova + size - 1);
	spin_unlock(&sim->iommu_lock);
	vdpasim_flush_translations(sim);
	mutex_unlock(&sim->lock);
	return err;
}

static int vdpasim_reset_map(struct vdpa_device *vdpa, unsigned int asid)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct vdpa_devring_table *old;

	if (asid >= sim->dev_attr.nas)
		return -EINVAL;
	mutex_lock(&sim->lock);
	spin_lock(&sim->iommu_lock);
	vhost_iotlb_reset(sim->iommu[asid]);
	old = sim->table[asid];
	sim->table[asid] = NULL;
	sim->passthrough[asid] = true;
	spin_unlock(&sim->iommu_lock);
	vdpasim_flush_translations(sim);
	mutex_unlock(&sim->lock);
	vdpa_devring_table_free(old);
	return 0;
}

static int vdpasim_compat_reset(struct vdpa_device *vdpa, u32 flags)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	u32 asid;

	vdpasim_reset(vdpa);
	if (flags & VDPA_RESET_F_CLEAN_MAP)
		for (asid = 0; asid < sim->dev_attr.nas; asid++)
			vdpasim_reset_map(vdpa, asid);
	return 0;
}

static struct vdpasim_mgmt *mdev_to_mgmt(struct vdpa_mgmt_dev *mdev)
{
	return container_of(mdev, struct vdpasim_mgmt, mdev);
}

static void vdpasim_free(struct vdpa_device *vdpa)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct vdpasim_mgmt *mgmt = mdev_to_mgmt(sim->dev_attr.mgmt_dev);
	u32 asid;

	/* The bells kick the work: silence them first. */
	vdpa_devring_bells_destroy(&sim->bells);
	if (sim->worker) {
		kthread_cancel_work_sync(&sim->work);
		kthread_destroy_worker(sim->worker);
	}
	if (sim->dev_attr.free)
		sim->dev_attr.free(sim);
	vdpasim_dirty_free(sim);
	vdpasim_va_free(sim);
	kfree(sim->req);
	if (sim->iommu)
		for (asid = 0; asid < sim->dev_attr.nas; asid++)
			vhost_iotlb_free(sim->iommu[asid]);
	if (sim->table)
		for (asid = 0; asid < sim->dev_attr.nas; asid++)
			vdpa_devring_table_free(sim->table[asid]);
	kfree(sim->table);
	kfree(sim->iommu);
	kfree(sim->passthrough);
	kfree(sim->group_asid);
	kfree(sim->config);
	kfree(sim->vqs);
	mutex_destroy(&sim->bells_lock);
	mutex_destroy(&sim->lock);
	if (atomic_dec_and_test(&mgmt->live))
		wake_up_var(&mgmt->live);
}

#define VDPASIM_COMMON_OPS						\
	.set_vq_address = vdpasim_set_vq_address,			\
	.set_vq_num = vdpasim_set_vq_num,				\
	.kick_vq = vdpasim_kick_vq,					\
	.get_vq_notification = vdpasim_get_vq_notification,		\
	.set_vq_cb = vdpasim_set_vq_cb,					\
	.set_vq_ready = vdpasim_set_vq_ready,				\
	.get_vq_ready = vdpasim_get_vq_ready,				\
	.set_vq_state = vdpasim_set_vq_state,				\
	.get_vq_state = vdpasim_get_vq_state,				\
	.get_vendor_vq_stats = vdpasim_get_vendor_vq_stats,		\
	.get_vq_align = vdpasim_get_vq_align,				\
	.get_vq_group = vdpasim_get_vq_group,				\
	.get_device_features = vdpasim_get_device_features,		\
	.set_driver_features = vdpasim_set_driver_features,		\
	.get_driver_features = vdpasim_get_driver_features,		\
	.set_config_cb = vdpasim_set_config_cb,				\
	.get_vq_num_max = vdpasim_get_vq_num_max,			\
	.get_device_id = vdpasim_get_device_id,				\
	.get_vendor_id = vdpasim_get_vendor_id,				\
	.get_status = vdpasim_get_status,				\
	.set_status = vdpasim_set_status,				\
	.reset = vdpasim_reset,						\
	.compat_reset = vdpasim_compat_reset,				\
	.suspend = vdpasim_suspend,					\
	.resume = vdpasim_resume,					\
	.get_config_size = vdpasim_get_config_size,			\
	.get_config = vdpasim_get_config,				\
	.set_config = vdpasim_set_config,				\
	.get_generation = vdpasim_get_generation,			\
	.get_iova_range = vdpasim_get_iova_range,			\
	.set_group_asid = vdpasim_set_group_asid,			\
	.reset_map = vdpasim_reset_map,					\
	.dirty_caps = vdpasim_dirty_caps,				\
	.dirty_start = vdpasim_dirty_start,				\
	.dirty_stop = vdpasim_dirty_stop,				\
	.dirty_report = vdpasim_dirty_report,				\
	.free = vdpasim_free

/* Whole-table updates, as a device that rebuilds its translation. */
static const struct vdpa_config_ops vdpasim_set_map_ops = {
	VDPASIM_COMMON_OPS,
	.set_map = vdpasim_set_map,
};

/* Whole tables of user virtual addresses (use_va), as a device in VA mode. */
static const struct vdpa_config_ops vdpasim_va_ops = {
	VDPASIM_COMMON_OPS,
	.set_map = vdpasim_set_map,
	.bind_mm = vdpasim_bind_mm,
	.unbind_mm = vdpasim_unbind_mm,
};

/* Incremental updates, as a device with a page-table walker. */
static const struct vdpa_config_ops vdpasim_dma_map_ops = {
	VDPASIM_COMMON_OPS,
	.dma_map = vdpasim_dma_map,
	.dma_unmap = vdpasim_dma_unmap,
};

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * vdpasim_kunit_set_map_mode() - choose the map mode of the next devices
 * @dma_map: true for dma_map/dma_unmap, false for set_map
 *
 * What writing the map_mode parameter does, for tests in the kernel.
 *
 * Return: the mode before, true for dma_map.
 */
bool vdpasim_kunit_set_map_mode(bool dma_map)
{
	return xchg(&vdpasim_map_mode.value, dma_map);
}
EXPORT_SYMBOL_IF_KUNIT(vdpasim_kunit_set_map_mode);
#endif

/**
 * vdpasim_create() - allocate a simulated device of a class
 * @attr: the class's description; copied
 * @config: the management attributes it was created with
 *
 * Every address space starts in the identity mapping. The device is not
 * registered: the class sets its own state up (&vdpasim_dev_attr.reset is
 * not called) and calls vdpasim_register().
 *
 * Context: process context.
 * Return: the device or an ERR_PTR(); after success it is freed with
 * put_device(&sim->vdpa.dev), which calls @attr->free. A failure never
 * calls @attr->free.
 */
struct vdpasim *vdpasim_create(const struct vdpasim_dev_attr *attr,
			       const struct vdpa_dev_set_config *config)
{
	bool va = READ_ONCE(use_va);
	const struct vdpa_config_ops *ops = va ? &vdpasim_va_ops :
					    READ_ONCE(vdpasim_map_mode.value) ?
					    &vdpasim_dma_map_ops : &vdpasim_set_map_ops;
	struct vdpa_device *vdpa;
	unsigned int poll_us;
	struct vdpasim *sim;
	int err = -ENOMEM;
	u32 asid;

	/* The last notify bit is the config interrupt. */
	BUILD_BUG_ON(VDPASIM_MAX_VQS > 64);
	if (!attr->nvqs || attr->nvqs >= VDPASIM_MAX_VQS)
		return ERR_PTR(-EINVAL);

	vdpa = __vdpa_alloc_device(attr->mgmt_dev->device, ops, attr->ngroups,
				   attr->nas, attr->alloc_size, attr->name, va);
	if (IS_ERR(vdpa))
		return ERR_CAST(vdpa);
	/* No bus device does the DMA: the simulator reads memory itself. */
	vdpa->dma_dev = &vdpa->dev;
	sim = vdpa_to_sim(vdpa);
	sim->dev_attr = *attr;
	/* From here on vdpasim_free() runs on release and uncounts it. */
	atomic_inc(&mdev_to_mgmt(attr->mgmt_dev)->live);
	mutex_init(&sim->lock);
	spin_lock_init(&sim->iommu_lock);
	mutex_init(&sim->bells_lock);
	sim->va = va;
	vdpa->mdev = attr->mgmt_dev;

	kthread_init_work(&sim->work, vdpasim_work);
	sim->worker = kthread_create_worker(0, "vdpasim-%s", dev_name(&vdpa->dev));
	if (IS_ERR(sim->worker)) {
		err = PTR_ERR(sim->worker);
		sim->worker = NULL;
		goto err_put;
	}
	sim->vqs = kcalloc(attr->nvqs, sizeof(*sim->vqs), GFP_KERNEL);
	sim->req = kcalloc(2, sizeof(*sim->req), GFP_KERNEL);
	sim->config = kzalloc(attr->config_size, GFP_KERNEL);
	sim->group_asid = kcalloc(attr->ngroups, sizeof(*sim->group_asid), GFP_KERNEL);
	sim->iommu = kcalloc(attr->nas, sizeof(*sim->iommu), GFP_KERNEL);
	sim->table = kcalloc(attr->nas, sizeof(*sim->table), GFP_KERNEL);
	sim->passthrough = kcalloc(attr->nas, sizeof(*sim->passthrough), GFP_KERNEL);
	sim->dirty = kcalloc(attr->nas, sizeof(*sim->dirty), GFP_KERNEL);
	if (!sim->vqs || !sim->req || !sim->config || !sim->group_asid ||
	    !sim->iommu || !sim->table || !sim->passthrough || !sim->dirty)
		goto err_put;
	mutex_lock(&sim->lock);
	vdpasim_core_reset_locked(sim);
	mutex_unlock(&sim->lock);
	for (asid = 0; asid < attr->nas; asid++) {
		sim->iommu[asid] = vhost_iotlb_alloc(VDPASIM_IOTLB_LIMIT, 0);
		if (!sim->iommu[asid])
			goto err_put;
		sim->passthrough[asid] = true;
	}
	poll_us = READ_ONCE(doorbell_poll_us);
	if (poll_us && vdpa_devring_bells_init(&sim->bells, attr->nvqs, poll_us,
					       vdpasim_bell_rang, sim))
		goto err_put;
	return sim;

err_put:
	/*
	 * vdpasim_free() copes with whatever was allocated; the class has
	 * nothing to free yet, and a failed create never calls its free.
	 */
	sim->dev_attr.free = NULL;
	put_device(&vdpa->dev);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(vdpasim_create);

static int vdpasim_status_show(struct seq_file *m, void *unused)
{
	struct vdpasim *sim = m->private;

	seq_printf(m, "0x%02x\n", READ_ONCE(sim->status));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vdpasim_status);

/*
 * /sys/kernel/debug/vdpa_sim/DEV: "status" (the virtio status byte, to
 * see DEVICE_NEEDS_RESET), "dirty_inject" (dirty.c), "va" in VA mode
 * (va.c) and whatever the class adds.
 */
static void vdpasim_debugfs_init(struct vdpasim *sim)
{
	sim->debugfs = debugfs_create_dir(dev_name(&sim->vdpa.dev), vdpasim_debugfs);
	debugfs_create_file("status", 0400, sim->debugfs, sim, &vdpasim_status_fops);
	vdpasim_dirty_debugfs_init(sim, sim->debugfs);
	if (sim->va)
		vdpasim_va_debugfs_init(sim, sim->debugfs);
	if (sim->dev_attr.debugfs_init)
		sim->dev_attr.debugfs_init(sim, sim->debugfs);
}

/**
 * vdpasim_register() - register a device a class has filled in
 * @sim: the device, from vdpasim_create()
 *
 * On failure the caller still owns the device and drops it with
 * put_device(&sim->vdpa.dev), after undoing what it set up around it.
 *
 * Context: inside &vdpa_mgmtdev_ops.dev_add.
 * Return: 0 or -errno.
 */
int vdpasim_register(struct vdpasim *sim)
{
	int err;

	vdpasim_debugfs_init(sim);
	err = _vdpa_register_device(&sim->vdpa, sim->dev_attr.nvqs);
	if (err)
		debugfs_remove(sim->debugfs);
	return err;
}
EXPORT_SYMBOL_GPL(vdpasim_register);

/**
 * vdpasim_dev_del() - &vdpa_mgmtdev_ops.dev_del of every simulator class
 * @mdev: the management device
 * @vdpa: the device to delete
 *
 * Context: inside &vdpa_mgmtdev_ops.dev_del.
 */
void vdpasim_dev_del(struct vdpa_mgmt_dev *mdev, struct vdpa_device *vdpa)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	/* Waits for the files' users: none reaches the device afterwards. */
	debugfs_remove(sim->debugfs);
	_vdpa_unregister_device(vdpa);
}
EXPORT_SYMBOL_GPL(vdpasim_dev_del);

/**
 * vdpasim_mgmt_register() - register a simulator class's management device
 * @mgmt: the management device, filled but for its parent device
 * @name: its name in netlink (the handle "vdpa dev add ... mgmtdev NAME")
 *
 * Context: process context.
 * Return: 0 or -errno.
 */
int vdpasim_mgmt_register(struct vdpasim_mgmt *mgmt, const char *name)
{
	struct device *root;
	int err;

	/* A root device gives the management device its name and a release. */
	root = root_device_register(name);
	if (IS_ERR(root))
		return PTR_ERR(root);
	atomic_set(&mgmt->live, 0);
	mgmt->mdev.device = root;
	err = vdpa_mgmtdev_register(&mgmt->mdev);
	if (err)
		goto err_unregister_root;
	return 0;

err_unregister_root:
	root_device_unregister(root);
	return err;
}
EXPORT_SYMBOL_GPL(vdpasim_mgmt_register);

/**
 * vdpasim_mgmt_unregister() - delete a class's devices and its management device
 * @mgmt: the management device
 *
 * Returns once every device it created has been released: a bus driver may
 * hold one a little longer than its deletion.
 *
 * Context: process context; may sleep for as long as a device is held.
 */
void vdpasim_mgmt_unregister(struct vdpasim_mgmt *mgmt)
{
	vdpa_mgmtdev_unregister(&mgmt->mdev);
	wait_var_event(&mgmt->live, !atomic_read(&mgmt->live));
	root_device_unregister(mgmt->mdev.device);
}
EXPORT_SYMBOL_GPL(vdpasim_mgmt_unregister);

static int __init vdpasim_init(void)
{
	/* debugfs is for tests: the simulator works without it. */
	vdpasim_debugfs = debugfs_create_dir("vdpa_sim", NULL);
	fault_create_debugfs_attr("fail_map", vdpasim_debugfs, &vdpasim_fail_map);
	fault_create_debugfs_attr("fail_unmap", vdpasim_debugfs, &vdpasim_fail_unmap);
	fault_create_debugfs_attr("fail_dma", vdpasim_debugfs, &vdpasim_fail_dma);
	debugfs_create_bool("strict_dma_map", 0600, vdpasim_debugfs, &vdpasim_strict_dma_map);
	return 0;
}
module_init(vdpasim_init);

static void __exit vdpasim_exit(void)
{
	debugfs_remove(vdpasim_debugfs);
}
module_exit(vdpasim_exit);

MODULE_DESCRIPTION("vDPA device simulator core");
MODULE_LICENSE("GPL");
