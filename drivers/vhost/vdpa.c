// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_vdpa: the vDPA bus driver behind /dev/vhost-vdpa-N, through which
 * a VMM (QEMU, DPDK's virtio_user) drives a vDPA device with the vhost
 * ioctls, and maps its memory with IOTLB messages (vdpa_iotlb.c).
 * Objects, lifetime and locks: vhost_vdpa.h.
 */
#include <linux/cdev.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vdpa.h>
#include <linux/virtio_config.h>
#include <uapi/linux/vhost.h>
#include <uapi/linux/vhost_vdpa_dirty.h>

#include "vhost_vdpa.h"

#define VHOST_VDPA_DEV_MAX BIT(MINORBITS)

static dev_t vhost_vdpa_devt;
static DEFINE_IDA(vhost_vdpa_minors);

/* ---- eventfds ---- */

static int vhost_vdpa_kick_wake(wait_queue_entry_t *wait, unsigned int mode, int sync,
				void *key)
{
	struct vhost_vdpa_vq *vq = container_of(wait, struct vhost_vdpa_vq, kick_wait);
	struct vdpa_device *vdpa = vq->v->vdpa;

	/* The eventfd is detached before the device can go: vdpa is valid. */
	if (key_to_poll(key) & EPOLLIN)
		vdpa->config->kick_vq(vdpa, vq->idx);
	return 0;
}

static void vhost_vdpa_kick_queue(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct vhost_vdpa_vq *vq = container_of(pt, struct vhost_vdpa_vq, kick_pt);

	vq->kick_wqh = wqh;
	add_wait_queue(wqh, &vq->kick_wait);
}

/* Stop listening to the kick eventfd; waits for a wakeup in progress. */
static void vhost_vdpa_kick_detach(struct vhost_vdpa_vq *vq)
{
	if (vq->kick_wqh)
		remove_wait_queue(vq->kick_wqh, &vq->kick_wait);
	vq->kick_wqh = NULL;
	if (vq->kick)
		eventfd_ctx_put(vq->kick);
	vq->kick = NULL;
}

static int vhost_vdpa_set_kick(struct vhost_vdpa_vq *vq, int fd)
{
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t mask;

	if (fd == VHOST_FILE_UNBIND) {
		vhost_vdpa_kick_detach(vq);
		return 0;
	}
	/* A bad descriptor leaves the current kick in place. */
	file = eventfd_fget(fd);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		fput(file);
		return PTR_ERR(ctx);
	}
	vhost_vdpa_kick_detach(vq);
	/* Holding the context keeps its wait queue. */
	vq->kick = ctx;
	init_waitqueue_func_entry(&vq->kick_wait, vhost_vdpa_kick_wake);
	init_poll_funcptr(&vq->kick_pt, vhost_vdpa_kick_queue);
	mask = vfs_poll(file, &vq->kick_pt);
	fput(file);
	/* A kick that came before we listened is not lost. */
	if (mask & EPOLLIN)
		vq->v->vdpa->config->kick_vq(vq->v->vdpa, vq->idx);
	return 0;
}

/* An interrupt from the parent: signal the eventfd in @slot, if any. */
static void vhost_vdpa_signal(struct vhost_vdpa_call __rcu **slot)
{
	struct vhost_vdpa_call *call;

	rcu_read_lock();
	call = rcu_dereference(*slot);
	if (call)
		eventfd_signal(call->ctx);
	rcu_read_unlock();
}

static irqreturn_t vhost_vdpa_vq_interrupt(void *private)
{
	struct vhost_vdpa_vq *vq = private;

	vhost_vdpa_signal(&vq->call);
	return IRQ_HANDLED;
}

static irqreturn_t vhost_vdpa_config_interrupt(void *private)
{
	struct vhost_vdpa *v = private;

	vhost_vdpa_signal(&v->config_call);
	return IRQ_HANDLED;
}

/* Tell the device where its interrupts go now. */
static void vhost_vdpa_program_irqs(struct vhost_vdpa *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	struct vdpa_callback cb = {};
	u32 i;

	lockdep_assert_held(&v->lock);
	for (i = 0; i < v->nvqs; i++) {
		cb.callback = rcu_access_pointer(v->vqs[i].call) ? vhost_vdpa_vq_interrupt : NULL;
		cb.private = &v->vqs[i];
		ops->set_vq_cb(v->vdpa, i, &cb);
	}
	cb.callback = rcu_access_pointer(v->config_call) ? vhost_vdpa_config_interrupt : NULL;
	cb.private = v;
	ops->set_config_cb(v->vdpa, &cb);
}

static void vhost_vdpa_call_free(struct rcu_head *head)
{
	struct vhost_vdpa_call *call = container_of(head, struct vhost_vdpa_call, rcu);

	eventfd_ctx_put(call->ctx);
	kfree(call);
}

/*
 * Put @call (may be NULL) in @slot. The one it replaces goes once no
 * interrupt can be signalling it; nobody waits for that, so a VMM setting
 * every queue's call eventfd does not sit out a grace period for each.
 */
static void vhost_vdpa_call_replace(struct vhost_vdpa *v, struct vhost_vdpa_call __rcu **slot,
				    struct vhost_vdpa_call *call)
{
	struct vhost_vdpa_call *old;

	old = rcu_replace_pointer(*slot, call, lockdep_is_held(&v->lock));
	if (old)
		call_rcu(&old->rcu, vhost_vdpa_call_free);
}

/* SET_VRING_CALL, SET_CONFIG_CALL: a new eventfd for an interrupt (-1: none). */
static int vhost_vdpa_set_call(struct vhost_vdpa *v, struct vhost_vdpa_call __rcu **slot, int fd)
{
	struct vhost_vdpa_call *call = NULL;
	struct eventfd_ctx *ctx;

	if (fd != VHOST_FILE_UNBIND) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		call = kmalloc(sizeof(*call), GFP_KERNEL);
		if (!call) {
			eventfd_ctx_put(ctx);
			return -ENOMEM;
		}
		call->ctx = ctx;
	}
	vhost_vdpa_call_replace(v, slot, call);
	vhost_vdpa_program_irqs(v);
	return 0;
}

/* No more interrupts or kicks: for release and removal. */
static void vhost_vdpa_eventfds_release(struct vhost_vdpa *v)
{
	u32 i;

	for (i = 0; i < v->nvqs; i++) {
		vhost_vdpa_kick_detach(&v->vqs[i]);
		vhost_vdpa_call_replace(v, &v->vqs[i].call, NULL);
	}
	vhost_vdpa_call_replace(v, &v->config_call, NULL);
	vhost_vdpa_program_irqs(v);
}

/* ---- device ownership ---- */

/* A reset: the parent forgot the rings' addresses. */
static void vhost_vdpa_forget_rings(struct vhost_vdpa *v)
{
	u32 i;

	for (i = 0; i < v->nvqs; i++) {
		v->vqs[i].desc = 0;
		v->vqs[i].driver = 0;
		v->vqs[i].device = 0;
	}
}

/* Reset the device and wait for it to be done; the rings are forgotten. */
static int vhost_vdpa_device_reset(struct vhost_vdpa *v)
{
	int err = vdpa_reset(v->vdpa, 0);

	vhost_vdpa_domain_reset(v);
	vhost_vdpa_forget_rings(v);
	return err;
}

static int vhost_vdpa_reset(struct vhost_vdpa *v)
{
	int err = vhost_vdpa_device_reset(v), ret;

	v->suspended = false;
	if (!vhost_vdpa_backend_has(v, VHOST_BACKEND_F_IOTLB_PERSIST)) {
		ret = vhost_vdpa_reset_forget(v);
		err = err ?: ret;
	}
	return err;
}

/* Give the parent's default translation back, for the next bus driver. */
static void vhost_vdpa_restore_default_map(struct vhost_vdpa *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	u32 asid;

	if (!ops->reset_map) {
		vdpa_reset(v->vdpa, VDPA_RESET_F_CLEAN_MAP);
		return;
	}
	for (asid = 0; asid < v->nas; asid++)
		ops->reset_map(v->vdpa, asid);
}

/*
 * Take the device for a new file: reset, and no address space reaches
 * anything until the owner maps it.
 */
static int vhost_vdpa_take(struct vhost_vdpa *v)
{
	u32 asid;
	int err;

	err = vhost_vdpa_device_reset(v);
	/* A new domain of ours is empty. */
	if (!err && v->domain.dma_dev) {
		err = vhost_vdpa_domain_attach(v);
		if (err)
			vhost_vdpa_restore_default_map(v);
		return err;
	}
	for (asid = 0; !err && asid < v->nas; asid++) {
		err = vhost_vdpa_device_map_empty(v, asid);
		if (err) {
			dev_err(&v->dev, "cannot empty address space %u: %d\n", asid, err);
			vhost_vdpa_restore_default_map(v);
		}
	}
	return err;
}

/*
 * The file lets go of the device (close, or removal while open): the
 * device stops, every pin is released, and the parent's default
 * translation is back for whichever bus driver comes next.
 */
static void vhost_vdpa_let_go(struct vhost_vdpa *v)
{
	bool detached;

	lockdep_assert_held(&v->lock);
	vhost_vdpa_device_reset(v);
	vhost_vdpa_eventfds_release(v);
	vhost_vdpa_log_release(v);
	vhost_vdpa_dirty_release(v);
	/* The device translates nothing once our domain is gone, if it has one. */
	detached = vhost_vdpa_domain_detach(v);
	if (v->owner)
		vhost_vdpa_unmap_all(v, !detached);
	if (v->owner && v->va && v->vdpa->config->unbind_mm)
		v->vdpa->config->unbind_mm(v->vdpa);
	vhost_vdpa_restore_default_map(v);
	if (v->owner)
		mmdrop(v->owner);
	v->owner = NULL;
	v->backend_features = 0;
	v->suspended = false;
	/* The queues' kick and call are gone with the eventfds above. */
}

/* ---- ioctls ---- */

static u64 vhost_vdpa_backend_offered(struct vhost_vdpa *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	u64 features = BIT_ULL(VHOST_BACKEND_F_IOTLB_MSG_V2) |
		       BIT_ULL(VHOST_BACKEND_F_IOTLB_BATCH) |
		       BIT_ULL(VHOST_BACKEND_F_IOTLB_ASID);

	if (ops->suspend)
		features |= BIT_ULL(VHOST_BACKEND_F_SUSPEND);
	if (ops->resume)
		features |= BIT_ULL(VHOST_BACKEND_F_RESUME);
	if (ops->get_vq_desc_group)
		features |= BIT_ULL(VHOST_BACKEND_F_DESC_ASID);
	/* A reset leaves our own IOMMU domain alone, as reset_map parents do. */
	if (ops->reset_map || v->domain.dma_dev)
		features |= BIT_ULL(VHOST_BACKEND_F_IOTLB_PERSIST);
	if (ops->get_backend_features)
		features |= ops->get_backend_features(v->vdpa) &
			    BIT_ULL(VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK);
	if (vhost_vdpa_dirty_offered(v))
		features |= BIT_ULL(VHOST_BACKEND_F_DIRTY_LOG);
	return features;
}

static int vhost_vdpa_set_backend_features(struct vhost_vdpa *v, u64 features)
{
	if (features & ~vhost_vdpa_backend_offered(v))
		return -EOPNOTSUPP;
	if ((features & BIT_ULL(VHOST_BACKEND_F_DESC_ASID)) &&
	    !(features & BIT_ULL(VHOST_BACKEND_F_IOTLB_ASID)))
		return -EINVAL;
	/* The ioctls that would stop tracking go with the bit. */
	if (!(features & BIT_ULL(VHOST_BACKEND_F_DIRTY_LOG)) && vhost_vdpa_dirty_active(v, true))
		return -EBUSY;
	v->backend_features = features;
	return 0;
}

/*
 * VHOST_F_LOG_ALL is vhost's, never the parent's: it turns the vhost log
 * on and off (vdpa_log.c, which the caller tells once the lock is
 * dropped), also on a running device, as VMMs start logging there. Past
 * FEATURES_OK nothing else may change.
 */
static int vhost_vdpa_set_features(struct vhost_vdpa *v, u64 features)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	bool log = features & BIT_ULL(VHOST_F_LOG_ALL);

	features &= ~BIT_ULL(VHOST_F_LOG_ALL);
	if (log && !vhost_vdpa_log_offered(v))
		return -EINVAL;
	/* The log tracks address space 0: not while START tracks it. */
	if (log && v->as[0].dirty && !v->as[0].dirty->log)
		return -EBUSY;
	/* A driver that skipped FEATURES_OK still cannot change a running device. */
	if (ops->get_status(v->vdpa) & (VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK))
		return features == ops->get_driver_features(v->vdpa) ? 0 : -EBUSY;
	if (features & ~ops->get_device_features(v->vdpa))
		return -EINVAL;
	return vdpa_set_features(v->vdpa, features);
}

static int vhost_vdpa_set_status(struct vhost_vdpa *v, u8 status)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	u8 old;

	if (!status)
		return vhost_vdpa_reset(v);
	old = ops->get_status(v->vdpa);
	/* Bits go away only by a reset; DEVICE_NEEDS_RESET is the device's. */
	if ((old & ~status) || ((status & ~old) & VIRTIO_CONFIG_S_NEEDS_RESET))
		return -EINVAL;
	/* The parent forgot the interrupts at its reset: program them again. */
	if ((status & ~old) & VIRTIO_CONFIG_S_DRIVER_OK)
		vhost_vdpa_program_irqs(v);
	vdpa_set_status(v->vdpa, status);
	return 0;
}

/*
 * GET_CONFIG and SET_CONFIG: a header, then a buffer of its length. Both
 * are copied outside vhost_vdpa.lock, as for every ioctl.
 */
static long vhost_vdpa_config_ioctl(struct vhost_vdpa *v, struct vhost_vdpa_config __user *argp,
				    bool write)
{
	struct vhost_vdpa_config hdr;
	size_t size;
	void *buf;
	long err = 0;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	/* The size is the device's for its life: checked now, used later. */
	mutex_lock(&v->lock);
	if (!v->vdpa)
		err = -ENODEV;
	else
		size = v->vdpa->config->get_config_size(v->vdpa);
	mutex_unlock(&v->lock);
	if (err)
		return err;
	if (hdr.off > size || hdr.len > size - hdr.off)
		return -EINVAL;
	if (write) {
		buf = vmemdup_user(argp->buf, hdr.len);
		if (IS_ERR(buf))
			return PTR_ERR(buf);
	} else {
		buf = kvzalloc(hdr.len, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	mutex_lock(&v->lock);
	if (!v->vdpa)
		err = -ENODEV;
	else if (write)
		vdpa_set_config(v->vdpa, hdr.off, buf, hdr.len);
	else
		vdpa_get_config(v->vdpa, hdr.off, buf, hdr.len);
	mutex_unlock(&v->lock);
	if (!err && !write && copy_to_user(argp->buf, buf, hdr.len))
		err = -EFAULT;
	kvfree(buf);
	return err;
}

static bool vhost_vdpa_packed(struct vhost_vdpa *v)
{
	return v->vdpa->config->get_driver_features(v->vdpa) & BIT_ULL(VIRTIO_F_RING_PACKED);
}

/* Rings are moved only while the device does not use them. */
static bool vhost_vdpa_running(struct vhost_vdpa *v)
{
	return (v->vdpa->config->get_status(v->vdpa) & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !v->suspended;
}

static u16 vhost_vdpa_vq_max(struct vhost_vdpa *v, u16 idx)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;

	return ops->get_vq_size ? ops->get_vq_size(v->vdpa, idx) : ops->get_vq_num_max(v->vdpa);
}

/*
 * VHOST_{GET,SET}_VRING_BASE encoding: split rings carry the next avail
 * index; packed rings carry avail index and wrap counter in the low 16
 * bits (counter in bit 15) and the used ones in the high 16.
 */
static u32 vhost_vdpa_base_encode(struct vhost_vdpa *v, const struct vdpa_vq_state *s)
{
	if (!vhost_vdpa_packed(v))
		return s->split.avail_index;
	return (s->packed.last_avail_idx & 0x7fff) | (s->packed.last_avail_counter << 15) |
	       (u32)(s->packed.last_used_idx & 0x7fff) << 16 |
	       (u32)s->packed.last_used_counter << 31;
}

static int vhost_vdpa_base_decode(struct vhost_vdpa *v, u32 num, struct vdpa_vq_state *s)
{
	memset(s, 0, sizeof(*s));
	if (!vhost_vdpa_packed(v)) {
		if (num > U16_MAX)
			return -EINVAL;
		s->split.avail_index = num;
		return 0;
	}
	s->packed.last_avail_idx = num & 0x7fff;
	s->packed.last_avail_counter = (num >> 15) & 1;
	s->packed.last_used_idx = (num >> 16) & 0x7fff;
	s->packed.last_used_counter = num >> 31;
	return 0;
}

/**
 * union vhost_vdpa_ioctl_arg - an ioctl's argument, in the kernel
 * @features: VHOST_{GET,SET}_FEATURES, VHOST_{GET,SET}_BACKEND_FEATURES
 * @value: the answers that are a u32 or an unsigned int
 * @num_max: VHOST_VDPA_GET_VRING_NUM
 * @status: VHOST_VDPA_{GET,SET}_STATUS
 * @fd: VHOST_VDPA_SET_CONFIG_CALL
 * @state: the vring ioctls on struct vhost_vring_state, SET_GROUP_ASID
 * @addr: VHOST_SET_VRING_ADDR
 * @file: VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL
 * @range: VHOST_VDPA_GET_IOVA_RANGE
 *
 * Copied in (for _IOC_WRITE) before vhost_vdpa.lock is taken and out (for
 * _IOC_READ) after it is dropped, _IOC_SIZE bytes; every vring argument
 * starts with the ring index.
 */
union vhost_vdpa_ioctl_arg {
	u64 features;
	u32 value;
	u16 num_max;
	u8 status;
	int fd;
	struct vhost_vring_state state;
	struct vhost_vring_addr addr;
	struct vhost_vring_file file;
	struct vhost_vdpa_iova_range range;
};

/* The ioctls on one virtqueue: their argument starts with its index. */
static bool vhost_vdpa_vring_cmd(unsigned int cmd)
{
	switch (cmd) {
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_ADDR:
	case VHOST_SET_VRING_BASE:
	case VHOST_GET_VRING_BASE:
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_VDPA_SET_VRING_ENABLE:
	case VHOST_VDPA_GET_VRING_GROUP:
	case VHOST_VDPA_GET_VRING_DESC_GROUP:
	case VHOST_VDPA_GET_VRING_SIZE:
		return true;
	default:
		return false;
	}
}

static long vhost_vdpa_vring_ioctl(struct vhost_vdpa *v, unsigned int cmd,
				   union vhost_vdpa_ioctl_arg *arg)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	struct vhost_vring_state *s = &arg->state;
	struct vhost_vring_addr *a = &arg->addr;
	struct vdpa_vq_state state;
	struct vhost_vdpa_vq *vq;
	u32 idx;
	int err;

	if (!vhost_vdpa_vring_cmd(cmd))
		return -ENOIOCTLCMD;
	/* Every vring ioctl's argument starts with the ring index. */
	idx = s->index;
	if (idx >= v->nvqs)
		return -ENOBUFS;
	idx = array_index_nospec(idx, v->nvqs);
	vq = &v->vqs[idx];

	switch (cmd) {
	case VHOST_SET_VRING_NUM:
		if (!s->num || (s->num & (s->num - 1)) || s->num > vhost_vdpa_vq_max(v, idx) ||
		    (ops->get_vq_num_min && s->num < ops->get_vq_num_min(v->vdpa)))
			return -EINVAL;
		ops->set_vq_num(v->vdpa, idx, s->num);
		return 0;
	case VHOST_SET_VRING_ADDR:
		/* The device logs its used ring with the rest: the flag changes nothing. */
		if (a->flags & ~BIT(VHOST_VRING_F_LOG))
			return -EOPNOTSUPP;
		if (a->flags && !vhost_vdpa_log_offered(v))
			return -EOPNOTSUPP;
		/* A VMM starting the log sets the same addresses again, with the flag. */
		if (vhost_vdpa_running(v))
			return a->desc_user_addr == vq->desc && a->avail_user_addr == vq->driver &&
			       a->used_user_addr == vq->device ? 0 : -EINVAL;
		err = ops->set_vq_address(v->vdpa, idx, a->desc_user_addr, a->avail_user_addr,
					  a->used_user_addr);
		if (!err) {
			vq->desc = a->desc_user_addr;
			vq->driver = a->avail_user_addr;
			vq->device = a->used_user_addr;
		}
		return err;
	case VHOST_SET_VRING_BASE:
		if (vhost_vdpa_running(v))
			return -EINVAL;
		err = vhost_vdpa_base_decode(v, s->num, &state);
		return err ?: ops->set_vq_state(v->vdpa, idx, &state);
	case VHOST_GET_VRING_BASE:
		err = ops->get_vq_state(v->vdpa, idx, &state);
		if (err)
			return err;
		s->num = vhost_vdpa_base_encode(v, &state);
		return 0;
	case VHOST_SET_VRING_KICK:
		return vhost_vdpa_set_kick(vq, arg->file.fd);
	case VHOST_SET_VRING_CALL:
		return vhost_vdpa_set_call(v, &vq->call, arg->file.fd);
	case VHOST_VDPA_SET_VRING_ENABLE:
		ops->set_vq_ready(v->vdpa, idx, !!s->num);
		return 0;
	case VHOST_VDPA_GET_VRING_GROUP:
		s->num = ops->get_vq_group ? ops->get_vq_group(v->vdpa, idx) : 0;
		return 0;
	case VHOST_VDPA_GET_VRING_DESC_GROUP:
		if (!vhost_vdpa_backend_has(v, VHOST_BACKEND_F_DESC_ASID))
			return -EOPNOTSUPP;
		s->num = ops->get_vq_desc_group(v->vdpa, idx);
		return 0;
	case VHOST_VDPA_GET_VRING_SIZE:
		s->num = vhost_vdpa_vq_max(v, idx);
		return 0;
	default:
		return -ENOIOCTLCMD;
	}
}

static int vhost_vdpa_set_group_asid(struct vhost_vdpa *v, struct vhost_vring_state *s)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;

	if (s->index >= v->vdpa->ngroups || s->num >= v->nas)
		return -EINVAL;
	if (!ops->set_group_asid)
		return -EOPNOTSUPP;
	/* A tracker follows an address space, not the queues moving into it. */
	if (vhost_vdpa_dirty_active(v, false))
		return -EBUSY;
	/* Both index arrays in the parent: no speculation past the checks. */
	return ops->set_group_asid(v->vdpa, array_index_nospec(s->index, v->vdpa->ngroups),
				   array_index_nospec(s->num, v->nas));
}

static int vhost_vdpa_set_owner(struct vhost_vdpa *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	int err;

	if (v->owner)
		return -EBUSY;
	/* VA mode: the device translates the owner's addresses from now on. */
	if (v->va && ops->bind_mm) {
		err = ops->bind_mm(v->vdpa, current->mm);
		if (err)
			return err;
	}
	mmgrab(current->mm);
	v->owner = current->mm;
	return 0;
}

static long vhost_vdpa_device_ioctl(struct vhost_vdpa *v, unsigned int cmd,
				    union vhost_vdpa_ioctl_arg *arg)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	struct vdpa_iova_range r;
	int err;

	switch (cmd) {
	case VHOST_SET_OWNER:
		return vhost_vdpa_set_owner(v);
	case VHOST_GET_FEATURES:
		arg->features = ops->get_device_features(v->vdpa);
		if (vhost_vdpa_log_offered(v))
			arg->features |= BIT_ULL(VHOST_F_LOG_ALL);
		return 0;
	case VHOST_SET_FEATURES:
		return vhost_vdpa_set_features(v, arg->features);
	case VHOST_GET_BACKEND_FEATURES:
		arg->features = vhost_vdpa_backend_offered(v);
		return 0;
	case VHOST_SET_BACKEND_FEATURES:
		return vhost_vdpa_set_backend_features(v, arg->features);
	case VHOST_VDPA_GET_DEVICE_ID:
		arg->value = ops->get_device_id(v->vdpa);
		return 0;
	case VHOST_VDPA_GET_STATUS:
		arg->status = ops->get_status(v->vdpa);
		return 0;
	case VHOST_VDPA_SET_STATUS:
		return vhost_vdpa_set_status(v, arg->status);
	case VHOST_VDPA_GET_VRING_NUM:
		arg->num_max = ops->get_vq_num_max(v->vdpa);
		return 0;
	case VHOST_VDPA_SET_CONFIG_CALL:
		return vhost_vdpa_set_call(v, &v->config_call, arg->fd);
	case VHOST_VDPA_GET_IOVA_RANGE:
		if (v->domain.dma_dev)
			r = vhost_vdpa_domain_range(v);
		else if (ops->get_iova_range)
			r = ops->get_iova_range(v->vdpa);
		else
			r = (struct vdpa_iova_range){ .first = 0, .last = U64_MAX };
		arg->range.first = r.first;
		arg->range.last = r.last;
		return 0;
	case VHOST_VDPA_GET_CONFIG_SIZE:
		arg->value = ops->get_config_size(v->vdpa);
		return 0;
	case VHOST_VDPA_GET_AS_NUM:
		arg->value = v->nas;
		return 0;
	case VHOST_VDPA_GET_GROUP_NUM:
		arg->value = v->vdpa->ngroups;
		return 0;
	case VHOST_VDPA_GET_VQS_COUNT:
		arg->value = v->nvqs;
		return 0;
	case VHOST_VDPA_SET_GROUP_ASID:
		return vhost_vdpa_set_group_asid(v, &arg->state);
	case VHOST_VDPA_SUSPEND:
		if (!ops->suspend)
			return -EOPNOTSUPP;
		err = ops->suspend(v->vdpa);
		v->suspended |= !err;
		return err;
	case VHOST_VDPA_RESUME:
		if (!ops->resume)
			return -EOPNOTSUPP;
		err = ops->resume(v->vdpa);
		v->suspended &= !!err;
		return err;
	default:
		return vhost_vdpa_vring_ioctl(v, cmd, arg);
	}
}

/* ---- file operations ---- */

static bool vhost_vdpa_ioctl_known(unsigned int cmd)
{
	switch (cmd) {
	case VHOST_SET_OWNER:
	case VHOST_GET_FEATURES:
	case VHOST_SET_FEATURES:
	case VHOST_GET_BACKEND_FEATURES:
	case VHOST_SET_BACKEND_FEATURES:
	case VHOST_VDPA_GET_DEVICE_ID:
	case VHOST_VDPA_GET_STATUS:
	case VHOST_VDPA_SET_STATUS:
	case VHOST_VDPA_GET_VRING_NUM:
	case VHOST_VDPA_SET_CONFIG_CALL:
	case VHOST_VDPA_GET_IOVA_RANGE:
	case VHOST_VDPA_GET_CONFIG_SIZE:
	case VHOST_VDPA_GET_AS_NUM:
	case VHOST_VDPA_GET_GROUP_NUM:
	case VHOST_VDPA_GET_VQS_COUNT:
	case VHOST_VDPA_SET_GROUP_ASID:
	case VHOST_VDPA_SUSPEND:
	case VHOST_VDPA_RESUME:
		return true;
	default:
		return vhost_vdpa_vring_cmd(cmd);
	}
}

/*
 * The vhost log (vdpa_log.c) around an ioctl, with no lock held: before
 * DRIVER_OK, tracking starts on the memory now mapped, so it misses
 * nothing the device writes; after the calls that stop the device or a
 * queue, what it wrote is in the log when the call returns; a reset or
 * SET_FEATURES without VHOST_F_LOG_ALL ends the log. A reset ends it even
 * when it failed: QEMU ignores that and frees the log.
 */
static void vhost_vdpa_log_before(struct vhost_vdpa *v, unsigned int cmd,
				  const union vhost_vdpa_ioctl_arg *arg)
{
	if (cmd == VHOST_VDPA_SET_STATUS && (arg->status & VIRTIO_CONFIG_S_DRIVER_OK))
		vhost_vdpa_log_flush(v, true);
}

static void vhost_vdpa_log_after(struct vhost_vdpa *v, unsigned int cmd,
				 const union vhost_vdpa_ioctl_arg *arg, long ret)
{
	if (cmd == VHOST_VDPA_SET_STATUS && !arg->status) {
		vhost_vdpa_log_disable(v);
		return;
	}
	if (ret)
		return;
	switch (cmd) {
	case VHOST_SET_FEATURES:
		if (arg->features & BIT_ULL(VHOST_F_LOG_ALL))
			vhost_vdpa_log_enable(v);
		else
			vhost_vdpa_log_disable(v);
		break;
	case VHOST_VDPA_SUSPEND:
	case VHOST_GET_VRING_BASE:
		vhost_vdpa_log_flush(v, false);
		break;
	}
}

/*
 * User memory is copied before vhost_vdpa.lock is taken and after it is
 * dropped: an argument that faults slowly (userfaultfd, FUSE) must never
 * hold the lock that remove() needs.
 */
static long vhost_vdpa_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct vhost_vdpa *v = filp->private_data;
	void __user *argp = (void __user *)arg;
	union vhost_vdpa_ioctl_arg karg = {};
	size_t size = _IOC_SIZE(cmd);
	long ret;

	if (cmd == VHOST_VDPA_GET_CONFIG || cmd == VHOST_VDPA_SET_CONFIG)
		return vhost_vdpa_config_ioctl(v, argp, cmd == VHOST_VDPA_SET_CONFIG);
	if (cmd == VHOST_SET_LOG_BASE) {
		u64 base;

		if (copy_from_user(&base, argp, sizeof(base)))
			return -EFAULT;
		return vhost_vdpa_log_set_base(v, base);
	}
	/* Dirty logging copies its own (variable-size) arguments. */
	ret = vhost_vdpa_dirty_ioctl(v, cmd, argp);
	if (ret != -ENOIOCTLCMD)
		return ret;
	/* An unknown command is refused before its argument is looked at. */
	if (!vhost_vdpa_ioctl_known(cmd))
		return -ENOTTY;
	if (WARN_ON_ONCE(size > sizeof(karg)))
		return -ENOTTY;
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(&karg, argp, size))
		return -EFAULT;
	vhost_vdpa_log_before(v, cmd, &karg);
	mutex_lock(&v->lock);
	ret = v->vdpa ? vhost_vdpa_device_ioctl(v, cmd, &karg) : -ENODEV;
	mutex_unlock(&v->lock);
	vhost_vdpa_log_after(v, cmd, &karg, ret);
	if (ret == -ENOIOCTLCMD)
		return -ENOTTY;
	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(argp, &karg, size))
		ret = -EFAULT;
	return ret;
}

static ssize_t vhost_vdpa_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct vhost_vdpa *v = iocb->ki_filp->private_data;
	size_t len = iov_iter_count(from);
	struct vhost_iotlb_msg msg;
	u32 asid;
	int err;

	/* Copied first: a slow fault on it never holds a lock. */
	err = vhost_vdpa_iotlb_read_msg(from, &asid, &msg);
	if (err)
		return err;
	err = vhost_vdpa_iotlb_write(v, asid, &msg);
	return err ?: len;
}

static int vhost_vdpa_open(struct inode *inode, struct file *filp)
{
	struct vhost_vdpa *v = container_of(inode->i_cdev, struct vhost_vdpa, cdev);
	int err;

	mutex_lock(&v->lock);
	if (!v->vdpa)
		err = -ENODEV;
	else if (v->opened)
		err = -EBUSY;
	else
		err = vhost_vdpa_take(v);
	if (!err) {
		v->opened = true;
		v->mapping = filp->f_mapping;
		get_device(&v->dev);
		filp->private_data = v;
	}
	mutex_unlock(&v->lock);
	return err ?: stream_open(inode, filp);
}

static int vhost_vdpa_release(struct inode *inode, struct file *filp)
{
	struct vhost_vdpa *v = filp->private_data;

	mutex_lock(&v->lock);
	if (v->vdpa)
		vhost_vdpa_let_go(v);
	mutex_unlock(&v->lock);
	/*
	 * The log went with the device above: no push may outlive the file,
	 * nor may this cancel the work of the next file to open the device.
	 */
	vhost_vdpa_log_stop_sync(v);
	mutex_lock(&v->lock);
	v->opened = false;
	v->mapping = NULL;
	mutex_unlock(&v->lock);
	put_device(&v->dev);
	return 0;
}

/*
 * Doorbells: page N of the file is virtqueue N's notification area, the
 * device's own page, mapped shared, write-only and uncached. Both paths
 * here run under mmap_lock: they reach the device through doorbell_sem,
 * never vhost_vdpa.lock (see vhost_vdpa.h).
 */
static struct vdpa_notification_area
vhost_vdpa_doorbell(struct vhost_vdpa *v, unsigned long idx)
{
	struct vdpa_notification_area area = {};
	const struct vdpa_config_ops *ops;

	lockdep_assert_held(&v->doorbell_sem);
	if (!v->vdpa || idx >= v->nvqs)
		return area;
	idx = array_index_nospec(idx, v->nvqs);
	ops = v->vdpa->config;
	if (ops->get_vq_notification)
		area = ops->get_vq_notification(v->vdpa, idx);
	/* Only a whole page of its own can be handed to userspace. */
	if (area.size != PAGE_SIZE || !PAGE_ALIGNED(area.addr))
		area.size = 0;
	return area;
}

static vm_fault_t vhost_vdpa_doorbell_fault(struct vm_fault *vmf)
{
	struct vhost_vdpa *v = vmf->vma->vm_file->private_data;
	struct vdpa_notification_area area;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&v->doorbell_sem);
	area = vhost_vdpa_doorbell(v, vmf->vma->vm_pgoff);
	if (area.size)
		ret = vmf_insert_pfn(vmf->vma, vmf->address & PAGE_MASK, PHYS_PFN(area.addr));
	up_read(&v->doorbell_sem);
	return ret;
}

static const struct vm_operations_struct vhost_vdpa_doorbell_vm_ops = {
	.fault = vhost_vdpa_doorbell_fault,
};

static int vhost_vdpa_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct vhost_vdpa *v = filp->private_data;
	struct vdpa_notification_area area = {};
	int err = 0;

	if (vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED) || (vma->vm_flags & (VM_READ | VM_EXEC)))
		return -EINVAL;
	down_read(&v->doorbell_sem);
	if (!v->vdpa)
		err = -ENODEV;
	else if (vma->vm_pgoff >= v->nvqs)
		err = -EINVAL;
	else
		area = vhost_vdpa_doorbell(v, vma->vm_pgoff);
	if (!err && !area.size)
		err = -EOPNOTSUPP;
	up_read(&v->doorbell_sem);
	if (err)
		return err;
	/* No mprotect(PROT_READ) later, no growing, no core dumps of it. */
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vm_flags_clear(vma, VM_MAYREAD | VM_MAYEXEC);
	/*
	 * A register is mapped uncached; a software device's doorbell is RAM
	 * it polls through its cached kernel mapping, and must match that.
	 */
	if (!page_is_ram(PHYS_PFN(area.addr)))
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_ops = &vhost_vdpa_doorbell_vm_ops;
	return 0;
}

/*
 * No read or poll: the device never asks userspace for translations (no
 * IOTLB miss messages).
 */
static const struct file_operations vhost_vdpa_fops = {
	.owner = THIS_MODULE,
	/* IOTLB messages (stream_open: no seeking, no positional I/O) */
	.write_iter = vhost_vdpa_write_iter,
	/* vhost and vhost-vdpa ioctls; the layouts are the same on 32 bits */
	.unlocked_ioctl = vhost_vdpa_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	/* doorbells */
	.mmap = vhost_vdpa_mmap,
	/* one file at a time owns the device */
	.open = vhost_vdpa_open,
	.release = vhost_vdpa_release,
};

/* ---- bus driver ---- */

/*
 * log_all (sysfs, next to the device node): whether VHOST_F_LOG_ALL is
 * offered when the parent can track. QEMU 7.2 with x-svq=on refuses a
 * device offering any bit its shadow virtqueues do not know, bit 26
 * included, so a device meant for x-svq turns it off (0) before QEMU
 * opens it.
 */
static ssize_t log_all_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vhost_vdpa *v = container_of(dev, struct vhost_vdpa, dev);

	return sysfs_emit(buf, "%d\n", !READ_ONCE(v->no_log_all));
}

static ssize_t log_all_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct vhost_vdpa *v = container_of(dev, struct vhost_vdpa, dev);
	bool on;
	int err;

	err = kstrtobool(buf, &on);
	if (err)
		return err;
	mutex_lock(&v->lock);
	/* Not under an owner's feet: it read the features already. */
	if (v->opened)
		err = -EBUSY;
	else
		WRITE_ONCE(v->no_log_all, !on);
	mutex_unlock(&v->lock);
	return err ?: count;
}
static DEVICE_ATTR_RW(log_all);

static struct attribute *vhost_vdpa_attrs[] = {
	&dev_attr_log_all.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vhost_vdpa);

static void vhost_vdpa_release_dev(struct device *dev)
{
	struct vhost_vdpa *v = container_of(dev, struct vhost_vdpa, dev);

	vhost_vdpa_iotlb_free(v);
	vhost_vdpa_log_destroy(v);
	kfree(v->vqs);
	if (v->minor >= 0)
		ida_free(&vhost_vdpa_minors, v->minor);
	mutex_destroy(&v->lock);
	mutex_destroy(&v->iotlb_lock);
	kfree(v);
}

static int vhost_vdpa_probe(struct vdpa_device *vdpa)
{
	const struct vdpa_config_ops *ops = vdpa->config;
	bool platform = !ops->set_map && !ops->dma_map;
	struct vhost_vdpa *v;
	u32 i;
	int err;

	if (vdpa->use_va && !ops->set_map) {
		dev_err(&vdpa->dev, "vhost_vdpa: a virtual-address (use_va) parent needs set_map\n");
		return -EOPNOTSUPP;
	}
	if (platform) {
		err = vhost_vdpa_domain_usable(vdpa);
		if (err)
			return err;
	}

	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	mutex_init(&v->iotlb_lock);
	mutex_init(&v->lock);
	init_rwsem(&v->doorbell_sem);
	vhost_vdpa_log_init(v);
	v->vdpa = vdpa;
	v->nvqs = vdpa->nvqs;
	v->nas = vdpa->nas;
	if (platform)
		v->domain.dma_dev = vdpa_get_dma_dev(vdpa);
	v->va = vdpa->use_va;
	v->minor = ida_alloc_max(&vhost_vdpa_minors, VHOST_VDPA_DEV_MAX - 1, GFP_KERNEL);
	device_initialize(&v->dev);
	/* From here on vhost_vdpa_release_dev() frees whatever is set up. */
	v->dev.release = vhost_vdpa_release_dev;
	v->dev.parent = &vdpa->dev;
	v->dev.groups = vhost_vdpa_groups;
	if (v->minor < 0) {
		err = v->minor;
		goto err_put;
	}
	v->dev.devt = MKDEV(MAJOR(vhost_vdpa_devt), v->minor);
	err = dev_set_name(&v->dev, "vhost-vdpa-%d", v->minor);
	if (err)
		goto err_put;
	v->vqs = kcalloc(v->nvqs, sizeof(*v->vqs), GFP_KERNEL);
	if (!v->vqs) {
		err = -ENOMEM;
		goto err_put;
	}
	for (i = 0; i < v->nvqs; i++) {
		v->vqs[i].v = v;
		v->vqs[i].idx = i;
	}
	err = vhost_vdpa_iotlb_init(v);
	if (err)
		goto err_put;
	vdpa_set_drvdata(vdpa, v);
	cdev_init(&v->cdev, &vhost_vdpa_fops);
	v->cdev.owner = THIS_MODULE;
	/* Published last: it can be opened from here on. */
	err = cdev_device_add(&v->cdev, &v->dev);
	if (err)
		goto err_put;
	return 0;

err_put:
	put_device(&v->dev);
	return err;
}

/*
 * Never waits for the file's userspace: an open file loses the device
 * (its calls fail with -ENODEV) and keeps only its own structure until
 * closed. A parent with a userspace end of its own (VDUSE) may wait for
 * that in its reset and set_map, up to its own timeout.
 */
static void vhost_vdpa_remove(struct vdpa_device *vdpa)
{
	struct vhost_vdpa *v = vdpa_get_drvdata(vdpa);

	cdev_device_del(&v->cdev, &v->dev);
	mutex_lock(&v->lock);
	if (v->opened)
		vhost_vdpa_let_go(v);
	down_write(&v->doorbell_sem);
	v->vdpa = NULL;
	up_write(&v->doorbell_sem);
	/* Not ours to keep: it may go with the parent. */
	v->domain.dma_dev = NULL;
	/*
	 * The doorbell pages go with the device: take them out of every
	 * mapping (a later access faults and gets SIGBUS). The file cannot be
	 * released meanwhile, as that takes the lock held here.
	 */
	if (v->mapping)
		unmap_mapping_range(v->mapping, 0, 0, 1);
	mutex_unlock(&v->lock);
	put_device(&v->dev);
}

static struct vdpa_driver vhost_vdpa_driver = {
	.driver.name = "vhost_vdpa",
	.probe = vhost_vdpa_probe,
	.remove = vhost_vdpa_remove,
};

static int __init vhost_vdpa_init(void)
{
	int err;

	err = alloc_chrdev_region(&vhost_vdpa_devt, 0, VHOST_VDPA_DEV_MAX, "vhost-vdpa");
	if (err)
		return err;
	err = vdpa_register_driver(&vhost_vdpa_driver);
	if (err)
		goto err_unregister_region;
	return 0;

err_unregister_region:
	unregister_chrdev_region(vhost_vdpa_devt, VHOST_VDPA_DEV_MAX);
	return err;
}

static void __exit vhost_vdpa_exit(void)
{
	vdpa_unregister_driver(&vhost_vdpa_driver);
	unregister_chrdev_region(vhost_vdpa_devt, VHOST_VDPA_DEV_MAX);
	/* Eventfds still waiting for a grace period free them with our code. */
	rcu_barrier();
}

module_init(vhost_vdpa_init);
module_exit(vhost_vdpa_exit);

MODULE_DESCRIPTION("vDPA devices for userspace: /dev/vhost-vdpa-N");
/*
 * The default bus driver: udev loads it for any new vDPA device (the bus's
 * uevent, vdpa_bus.c), so a device nobody claimed becomes a character
 * device. virtio_vdpa declares no alias; it takes devices when loaded first
 * or when driver_override says so.
 */
MODULE_ALIAS("vdpa:d*v*");
MODULE_LICENSE("GPL");
