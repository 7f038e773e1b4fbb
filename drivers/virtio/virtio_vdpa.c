// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_vdpa: a virtio transport over the vDPA bus, so the kernel's own
 * virtio drivers (virtio_net, virtio_blk, ...) drive a vDPA device.
 *
 * The rings live in kernel memory mapped through the DMA API of the
 * device's DMA device, so the parent must translate DMA addresses: an
 * on-chip IOMMU parent does it with its default (identity) mapping, which
 * probe restores in case another bus driver changed it.
 */
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vdpa.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/virtio_ring.h>

/**
 * struct virtio_vdpa - a virtio device on top of a vDPA device
 * @vdev: the virtio device
 * @vdpa: the vDPA device underneath
 */
struct virtio_vdpa {
	struct virtio_device vdev;
	struct vdpa_device *vdpa;
};

static struct virtio_vdpa *to_vv(struct virtio_device *vdev)
{
	return container_of(vdev, struct virtio_vdpa, vdev);
}

static struct vdpa_device *to_vdpa(struct virtio_device *vdev)
{
	return to_vv(vdev)->vdpa;
}

static void virtio_vdpa_get(struct virtio_device *vdev, unsigned int offset,
			    void *buf, unsigned int len)
{
	vdpa_get_config(to_vdpa(vdev), offset, buf, len);
}

static void virtio_vdpa_set(struct virtio_device *vdev, unsigned int offset,
			    const void *buf, unsigned int len)
{
	vdpa_set_config(to_vdpa(vdev), offset, buf, len);
}

static u32 virtio_vdpa_generation(struct virtio_device *vdev)
{
	struct vdpa_device *vdpa = to_vdpa(vdev);

	return vdpa->config->get_generation ? vdpa->config->get_generation(vdpa) : 0;
}

static u8 virtio_vdpa_get_status(struct virtio_device *vdev)
{
	struct vdpa_device *vdpa = to_vdpa(vdev);

	return vdpa->config->get_status(vdpa);
}

static void virtio_vdpa_set_status(struct virtio_device *vdev, u8 status)
{
	vdpa_set_status(to_vdpa(vdev), status);
}

static void virtio_vdpa_reset(struct virtio_device *vdev)
{
	vdpa_reset(to_vdpa(vdev), 0);
}

static bool virtio_vdpa_notify(struct virtqueue *vq)
{
	struct vdpa_device *vdpa = to_vdpa(vq->vdev);

	vdpa->config->kick_vq(vdpa, vq->index);
	return true;
}

static irqreturn_t virtio_vdpa_vq_interrupt(void *private)
{
	return vring_interrupt(0, private);
}

/*
 * A device that sets DEVICE_NEEDS_RESET will not complete what it holds:
 * its queues are broken, so a driver waiting on one (virtio_net spins on
 * its control queue with rtnl held) gives up instead of waiting forever.
 * A reset and DRIVER_OK (virtio_device_ready()) mend them.
 */
static irqreturn_t virtio_vdpa_config_interrupt(void *private)
{
	struct virtio_device *vdev = private;
	struct vdpa_device *vdpa = to_vdpa(vdev);

	if (vdpa->config->get_status(vdpa) & VIRTIO_CONFIG_S_NEEDS_RESET) {
		dev_err_ratelimited(&vdev->dev, "device needs reset: its queues are broken\n");
		virtio_break_device(vdev);
	}
	virtio_config_changed(vdev);
	return IRQ_HANDLED;
}

/* Size of virtqueue @idx: its own when the parent says, else the maximum. */
static u16 virtio_vdpa_vq_size(struct vdpa_device *vdpa, u16 idx)
{
	const struct vdpa_config_ops *ops = vdpa->config;

	return ops->get_vq_size ? ops->get_vq_size(vdpa, idx) : ops->get_vq_num_max(vdpa);
}

static struct virtqueue *virtio_vdpa_setup_vq(struct virtio_device *vdev,
					      u16 idx, const struct virtqueue_info *info)
{
	struct vdpa_device *vdpa = to_vdpa(vdev);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vdpa_vq_state state = {};
	struct vdpa_callback cb = {};
	struct device *dma_dev;
	struct virtqueue *vq;
	u16 num;
	int err;

	/* The index first: every op below takes it. */
	if (idx >= vdpa->nvqs)
		return ERR_PTR(-ENOENT);
	dma_dev = ops->get_vq_dma_dev ? ops->get_vq_dma_dev(vdpa, idx) : vdpa_get_dma_dev(vdpa);
	num = virtio_vdpa_vq_size(vdpa, idx);
	if (ops->get_vq_ready(vdpa, idx))
		return ERR_PTR(-EBUSY);
	if (!num)
		return ERR_PTR(-EINVAL);

	vq = vring_create_virtqueue_dma(idx, num, ops->get_vq_align(vdpa), vdev,
					true, true, info->ctx, virtio_vdpa_notify,
					info->callback, info->name, dma_dev);
	if (!vq)
		return ERR_PTR(-ENOMEM);

	cb.callback = info->callback ? virtio_vdpa_vq_interrupt : NULL;
	cb.private = vq;
	ops->set_vq_cb(vdpa, idx, &cb);
	ops->set_vq_num(vdpa, idx, virtqueue_get_vring_size(vq));
	err = ops->set_vq_address(vdpa, idx, virtqueue_get_desc_addr(vq),
				  virtqueue_get_avail_addr(vq),
				  virtqueue_get_used_addr(vq));
	if (err)
		goto err_del;
	/* A fresh ring: indexes 0, packed wrap counters 1. */
	if (virtio_has_feature(vdev, VIRTIO_F_RING_PACKED)) {
		state.packed.last_avail_counter = 1;
		state.packed.last_used_counter = 1;
	}
	err = ops->set_vq_state(vdpa, idx, &state);
	if (err)
		goto err_del;
	ops->set_vq_ready(vdpa, idx, true);
	return vq;

err_del:
	memset(&cb, 0, sizeof(cb));
	ops->set_vq_cb(vdpa, idx, &cb);
	vring_del_virtqueue(vq);
	return ERR_PTR(err);
}

static void virtio_vdpa_del_vq(struct virtqueue *vq)
{
	struct vdpa_device *vdpa = to_vdpa(vq->vdev);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vdpa_callback cb = {};

	ops->set_vq_ready(vdpa, vq->index, false);
	ops->set_vq_cb(vdpa, vq->index, &cb);
	vring_del_virtqueue(vq);
}

static void virtio_vdpa_del_vqs(struct virtio_device *vdev)
{
	struct virtqueue *vq, *n;

	list_for_each_entry_safe(vq, n, &vdev->vqs, list)
		virtio_vdpa_del_vq(vq);
}

/*
 * Spread the virtqueues over CPUs when the parent can steer them: one CPU
 * per queue, round robin. (irq_create_affinity_masks() is not available
 * in every kernel this builds against, and a parent interrupt is not an
 * IRQ vector anyway.)
 */
static void virtio_vdpa_set_affinity(struct virtio_device *vdev, unsigned int nvqs,
				     struct virtqueue *vqs[])
{
	struct vdpa_device *vdpa = to_vdpa(vdev);
	unsigned int i, n = 0;

	if (!vdpa->config->set_vq_affinity)
		return;
	for (i = 0; i < nvqs; i++) {
		unsigned int cpu;

		if (!vqs[i])
			continue;
		cpu = cpumask_local_spread(n++, NUMA_NO_NODE);
		vdpa->config->set_vq_affinity(vdpa, vqs[i]->index, cpumask_of(cpu));
	}
}

static int virtio_vdpa_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
				struct virtqueue *vqs[],
				struct virtqueue_info vqs_info[],
				struct irq_affinity *desc)
{
	struct vdpa_device *vdpa = to_vdpa(vdev);
	struct vdpa_callback cb = {
		.callback = virtio_vdpa_config_interrupt,
		.private = vdev,
	};
	unsigned int i;
	u16 idx = 0;
	int err;

	for (i = 0; i < nvqs; i++) {
		/* An unnamed entry is a queue the driver does not use. */
		if (!vqs_info[i].name) {
			vqs[i] = NULL;
			continue;
		}
		vqs[i] = virtio_vdpa_setup_vq(vdev, idx++, &vqs_info[i]);
		if (IS_ERR(vqs[i])) {
			err = PTR_ERR(vqs[i]);
			goto err_del;
		}
	}
	vdpa->config->set_config_cb(vdpa, &cb);
	virtio_vdpa_set_affinity(vdev, nvqs, vqs);
	return 0;

err_del:
	virtio_vdpa_del_vqs(vdev);
	return err;
}

static u64 virtio_vdpa_get_features(struct virtio_device *vdev)
{
	struct vdpa_device *vdpa = to_vdpa(vdev);

	return vdpa->config->get_device_features(vdpa);
}

static int virtio_vdpa_finalize_features(struct virtio_device *vdev)
{
	vring_transport_features(vdev);
	return vdpa_set_features(to_vdpa(vdev), vdev->features);
}

static const char *virtio_vdpa_bus_name(struct virtio_device *vdev)
{
	return dev_name(&to_vdpa(vdev)->dev);
}

static int virtio_vdpa_set_vq_affinity(struct virtqueue *vq,
				       const struct cpumask *cpu_mask)
{
	struct vdpa_device *vdpa = to_vdpa(vq->vdev);

	if (!vdpa->config->set_vq_affinity)
		return -EOPNOTSUPP;
	return vdpa->config->set_vq_affinity(vdpa, vq->index, cpu_mask);
}

static const struct cpumask *virtio_vdpa_get_vq_affinity(struct virtio_device *vdev,
							 int index)
{
	struct vdpa_device *vdpa = to_vdpa(vdev);

	return vdpa->config->get_vq_affinity ?
	       vdpa->config->get_vq_affinity(vdpa, index) : NULL;
}

static const struct virtio_config_ops virtio_vdpa_config_ops = {
	/* negotiation and life cycle */
	.get_features = virtio_vdpa_get_features,
	.finalize_features = virtio_vdpa_finalize_features,
	.get_status = virtio_vdpa_get_status,
	.set_status = virtio_vdpa_set_status,
	.reset = virtio_vdpa_reset,
	/* config space */
	.generation = virtio_vdpa_generation,
	.get = virtio_vdpa_get,
	.set = virtio_vdpa_set,
	/* virtqueues */
	.find_vqs = virtio_vdpa_find_vqs,
	.del_vqs = virtio_vdpa_del_vqs,
	.get_vq_affinity = virtio_vdpa_get_vq_affinity,
	.set_vq_affinity = virtio_vdpa_set_vq_affinity,
	.bus_name = virtio_vdpa_bus_name,
};

static void virtio_vdpa_release(struct device *dev)
{
	kfree(container_of(dev, struct virtio_vdpa, vdev.dev));
}

/*
 * Another bus driver (vhost-vdpa) may have moved groups to other address
 * spaces or left mappings: put every group in ASID 0 and every address
 * space back in the parent's default mapping, which is ours to use.
 */
static int virtio_vdpa_default_map(struct vdpa_device *vdpa)
{
	const struct vdpa_config_ops *ops = vdpa->config;
	unsigned int i;
	int err;

	for (i = 0; ops->set_group_asid && i < vdpa->ngroups; i++) {
		err = ops->set_group_asid(vdpa, i, 0);
		if (err)
			return err;
	}
	for (i = 0; ops->reset_map && i < vdpa->nas; i++) {
		err = ops->reset_map(vdpa, i);
		if (err)
			return err;
	}
	return 0;
}

static int virtio_vdpa_probe(struct vdpa_device *vdpa)
{
	const struct vdpa_config_ops *ops = vdpa->config;
	struct virtio_vdpa *vv;
	int err;

	err = virtio_vdpa_default_map(vdpa);
	if (err) {
		dev_err(&vdpa->dev, "cannot restore the default mapping: %d\n", err);
		return err;
	}

	vv = kzalloc(sizeof(*vv), GFP_KERNEL);
	if (!vv)
		return -ENOMEM;
	vv->vdpa = vdpa;
	vv->vdev.dev.parent = &vdpa->dev;
	vv->vdev.dev.release = virtio_vdpa_release;
	vv->vdev.config = &virtio_vdpa_config_ops;
	vv->vdev.id.device = ops->get_device_id(vdpa);
	vv->vdev.id.vendor = ops->get_vendor_id(vdpa);
	if (!vv->vdev.id.device) {
		kfree(vv);
		return -ENODEV;
	}

	vdpa_set_drvdata(vdpa, vv);
	err = register_virtio_device(&vv->vdev);
	if (err) {
		/* The virtio device was initialised: its release frees it. */
		put_device(&vv->vdev.dev);
		vdpa_set_drvdata(vdpa, NULL);
		return err;
	}
	return 0;
}

static void virtio_vdpa_remove(struct vdpa_device *vdpa)
{
	struct virtio_vdpa *vv = vdpa_get_drvdata(vdpa);

	unregister_virtio_device(&vv->vdev);
	vdpa_set_drvdata(vdpa, NULL);
}

static struct vdpa_driver virtio_vdpa_driver = {
	.driver.name = "virtio_vdpa",
	.probe = virtio_vdpa_probe,
	.remove = virtio_vdpa_remove,
};

module_vdpa_driver(virtio_vdpa_driver);

MODULE_DESCRIPTION("virtio transport over the vDPA bus");
MODULE_LICENSE("GPL");
