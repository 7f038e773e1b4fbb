// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_sim core: the vdpa_config_ops of a simulated device with an on-chip
 * IOMMU (one vhost_iotlb per address space), shared by the net and blk
 * classes. Lock rules: vdpa_sim.h.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vdpa.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_config.h>
#include <linux/wait_bit.h>
#include <uapi/linux/vdpa.h>

#include "vdpa_sim.h"

#define VDPASIM_VQ_NUM_MAX 256
#define VDPASIM_VQ_ALIGN 64
#define VDPASIM_VENDOR_ID 0

static char *map_mode = "set_map";
module_param(map_mode, charp, 0444);
MODULE_PARM_DESC(map_mode,
		 "how devices take IOTLB changes: \"set_map\" (whole table) or \"dma_map\" (incremental)");

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
	/*
	 * Nothing to do until the device-side ring engine processes
	 * virtqueues; the kick is accepted so drivers can run.
	 */
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
	mutex_unlock(&sim->lock);
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
	if ((sim->status & VIRTIO_CONFIG_S_DRIVER_OK) && !sim->suspended)
		err = -EBUSY;
	else
		sim->vqs[idx].state = *state;
	mutex_unlock(&sim->lock);
	return err;
}

static int vdpasim_get_vq_state(struct vdpa_device *vdpa, u16 idx,
				struct vdpa_vq_state *state)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	*state = sim->vqs[idx].state;
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
	sim->features = features & sim->dev_attr.supported_features;
	mutex_unlock(&sim->lock);
	return 0;
}

static u64 vdpasim_get_driver_features(struct vdpa_device *vdpa)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	u64 features;

	mutex_lock(&sim->lock);
	features = sim->features;
	mutex_unlock(&sim->lock);
	return features;
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
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	u8 status;

	mutex_lock(&sim->lock);
	status = sim->status;
	mutex_unlock(&sim->lock);
	return status;
}

static void vdpasim_set_status(struct vdpa_device *vdpa, u8 status)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	sim->status = status;
	mutex_unlock(&sim->lock);
}

/* Back to power-on state; mappings are not part of it (reset_map is). */
static void vdpasim_reset_locked(struct vdpasim *sim)
{
	u32 i;

	lockdep_assert_held(&sim->lock);
	for (i = 0; i < sim->dev_attr.nvqs; i++)
		memset(&sim->vqs[i], 0, sizeof(sim->vqs[i]));
	for (i = 0; i < sim->dev_attr.ngroups; i++)
		sim->group_asid[i] = 0;
	memset(&sim->config_cb, 0, sizeof(sim->config_cb));
	sim->status = 0;
	sim->features = 0;
	sim->suspended = false;
	sim->generation++;
}

static int vdpasim_reset(struct vdpa_device *vdpa)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	vdpasim_reset_locked(sim);
	mutex_unlock(&sim->lock);
	return 0;
}

static int vdpasim_suspend(struct vdpa_device *vdpa)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	sim->suspended = true;
	mutex_unlock(&sim->lock);
	return 0;
}

static int vdpasim_resume(struct vdpa_device *vdpa)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	mutex_lock(&sim->lock);
	sim->suspended = false;
	mutex_unlock(&sim->lock);
	return 0;
}

static size_t vdpasim_get_config_size(struct vdpa_device *vdpa)
{
	return vdpa_to_sim(vdpa)->dev_attr.config_size;
}

static void vdpasim_get_config(struct vdpa_device *vdpa, unsigned int offset,
			       void *buf, unsigned int len)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	size_t size = sim->dev_attr.config_size;

	if (offset > size || len > size - offset)
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
	size_t size = sim->dev_attr.config_size;

	if (offset > size || len > size - offset)
		return;
	mutex_lock(&sim->lock);
	sim->dev_attr.get_config(sim, sim->config);
	memcpy(sim->config + offset, buf, len);
	if (sim->dev_attr.set_config)
		sim->dev_attr.set_config(sim, sim->config);
	sim->generation++;
	mutex_unlock(&sim->lock);
}

static u32 vdpasim_get_generation(struct vdpa_device *vdpa)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	u32 gen;

	mutex_lock(&sim->lock);
	gen = sim->generation;
	mutex_unlock(&sim->lock);
	return gen;
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
	mutex_unlock(&sim->lock);
	return 0;
}

/*
 * Copy every range of @src into a new IOTLB. Building the replacement
 * before switching keeps ranges that stay mapped valid throughout.
 */
static struct vhost_iotlb *vdpasim_iotlb_clone(struct vhost_iotlb *src)
{
	struct vhost_iotlb_map *map;
	struct vhost_iotlb *dst;

	dst = vhost_iotlb_alloc(0, 0);
	if (!dst)
		return NULL;
	for (map = vhost_iotlb_itree_first(src, 0, U64_MAX); map;
	     map = vhost_iotlb_itree_next(map, 0, U64_MAX)) {
		if (vhost_iotlb_add_range_ctx(dst, map->start, map->last,
					      map->addr, map->perm, map->opaque)) {
			vhost_iotlb_free(dst);
			return NULL;
		}
	}
	return dst;
}

static int vdpasim_set_map(struct vdpa_device *vdpa, unsigned int asid,
			   struct vhost_iotlb *iotlb)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);
	struct vhost_iotlb *new, *old;

	if (asid >= sim->dev_attr.nas)
		return -EINVAL;
	new = vdpasim_iotlb_clone(iotlb);
	if (!new)
		return -ENOMEM;

	spin_lock(&sim->iommu_lock);
	old = sim->iommu[asid];
	sim->iommu[asid] = new;
	sim->passthrough[asid] = false;
	spin_unlock(&sim->iommu_lock);
	vhost_iotlb_free(old);
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
	spin_lock(&sim->iommu_lock);
	vdpasim_leave_passthrough(sim, asid);
	err = vhost_iotlb_add_range_ctx(sim->iommu[asid], iova, iova + size - 1,
					pa, perm, opaque);
	spin_unlock(&sim->iommu_lock);
	return err;
}

static int vdpasim_dma_unmap(struct vdpa_device *vdpa, unsigned int asid,
			     u64 iova, u64 size)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	if (asid >= sim->dev_attr.nas || !size || iova + size - 1 < iova)
		return -EINVAL;
	spin_lock(&sim->iommu_lock);
	vdpasim_leave_passthrough(sim, asid);
	vhost_iotlb_del_range(sim->iommu[asid], iova, iova + size - 1);
	spin_unlock(&sim->iommu_lock);
	return 0;
}

static int vdpasim_reset_map(struct vdpa_device *vdpa, unsigned int asid)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	if (asid >= sim->dev_attr.nas)
		return -EINVAL;
	spin_lock(&sim->iommu_lock);
	vhost_iotlb_reset(sim->iommu[asid]);
	sim->passthrough[asid] = true;
	spin_unlock(&sim->iommu_lock);
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

	if (sim->dev_attr.free)
		sim->dev_attr.free(sim);
	if (sim->iommu)
		for (asid = 0; asid < sim->dev_attr.nas; asid++)
			vhost_iotlb_free(sim->iommu[asid]);
	kfree(sim->iommu);
	kfree(sim->passthrough);
	kfree(sim->group_asid);
	kfree(sim->config);
	kfree(sim->vqs);
	mutex_destroy(&sim->lock);
	if (atomic_dec_and_test(&mgmt->live))
		wake_up_var(&mgmt->live);
}

#define VDPASIM_COMMON_OPS						\
	.set_vq_address = vdpasim_set_vq_address,			\
	.set_vq_num = vdpasim_set_vq_num,				\
	.kick_vq = vdpasim_kick_vq,					\
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
	.free = vdpasim_free

/* Whole-table updates, as a device that rebuilds its translation. */
static const struct vdpa_config_ops vdpasim_set_map_ops = {
	VDPASIM_COMMON_OPS,
	.set_map = vdpasim_set_map,
};

/* Incremental updates, as a device with a page-table walker. */
static const struct vdpa_config_ops vdpasim_dma_map_ops = {
	VDPASIM_COMMON_OPS,
	.dma_map = vdpasim_dma_map,
	.dma_unmap = vdpasim_dma_unmap,
};

/* Chosen once, at load, from map_mode. */
static const struct vdpa_config_ops *vdpasim_ops = &vdpasim_set_map_ops;

/**
 * vdpasim_create() - allocate a simulated device of a class
 * @attr: the class's description; copied
 * @config: the management attributes it was created with
 *
 * Every address space starts in the identity mapping. The device is not
 * registered: the class fills its state and calls _vdpa_register_device().
 *
 * Context: process context.
 * Return: the device or an ERR_PTR(); after success it is freed with
 * put_device(&sim->vdpa.dev), which calls @attr->free. A failure never
 * calls @attr->free.
 */
struct vdpasim *vdpasim_create(const struct vdpasim_dev_attr *attr,
			       const struct vdpa_dev_set_config *config)
{
	const struct vdpa_config_ops *ops = vdpasim_ops;
	struct vdpa_device *vdpa;
	struct vdpasim *sim;
	u32 asid;

	vdpa = __vdpa_alloc_device(attr->mgmt_dev->device, ops, attr->ngroups,
				   attr->nas, attr->alloc_size, attr->name, false);
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
	vdpa->mdev = attr->mgmt_dev;

	sim->vqs = kcalloc(attr->nvqs, sizeof(*sim->vqs), GFP_KERNEL);
	sim->config = kzalloc(attr->config_size, GFP_KERNEL);
	sim->group_asid = kcalloc(attr->ngroups, sizeof(*sim->group_asid), GFP_KERNEL);
	sim->iommu = kcalloc(attr->nas, sizeof(*sim->iommu), GFP_KERNEL);
	sim->passthrough = kcalloc(attr->nas, sizeof(*sim->passthrough), GFP_KERNEL);
	if (!sim->vqs || !sim->config || !sim->group_asid || !sim->iommu ||
	    !sim->passthrough)
		goto err_put;
	for (asid = 0; asid < attr->nas; asid++) {
		sim->iommu[asid] = vhost_iotlb_alloc(0, 0);
		if (!sim->iommu[asid])
			goto err_put;
		sim->passthrough[asid] = true;
	}
	return sim;

err_put:
	/*
	 * vdpasim_free() copes with whatever was allocated; the class has
	 * nothing to free yet, and a failed create never calls its free.
	 */
	sim->dev_attr.free = NULL;
	put_device(&vdpa->dev);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_GPL(vdpasim_create);

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
	if (!strcmp(map_mode, "dma_map")) {
		vdpasim_ops = &vdpasim_dma_map_ops;
	} else if (strcmp(map_mode, "set_map")) {
		pr_err("vdpa_sim: map_mode must be \"set_map\" or \"dma_map\", not \"%s\"\n",
		       map_mode);
		return -EINVAL;
	}
	return 0;
}
module_init(vdpasim_init);

static void __exit vdpasim_exit(void)
{
}
module_exit(vdpasim_exit);

MODULE_DESCRIPTION("vDPA device simulator core");
MODULE_LICENSE("GPL");
