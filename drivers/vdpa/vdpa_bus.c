// SPDX-License-Identifier: GPL-2.0
/*
 * The vDPA bus: device and driver registration, matching, management
 * devices, and the config-space helpers that bus drivers use.
 *
 * Lock order and what each lock protects: vdpa_internal.h.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vdpa.h>
#include <kunit/visibility.h>

#include "vdpa_internal.h"

DECLARE_RWSEM(vdpa_dev_lock);
/* Starts at 1: netlink takes a dump sequence of 0 as "not set". */
unsigned int vdpa_dev_gen = 1;
static LIST_HEAD(vdpa_mgmtdev_list);	/* under vdpa_dev_lock */
static DEFINE_IDA(vdpa_index_ida);

static int vdpa_dev_probe(struct device *d)
{
	struct vdpa_driver *drv = drv_to_vdpa(d->driver);
	int err;

	/*
	 * Parents that DMA through the vDPA device itself (dma_dev ==
	 * &vdev->dev: software parents, on-chip IOMMUs) need a mask.
	 */
	d->dma_mask = &d->coherent_dma_mask;
	err = dma_set_mask_and_coherent(d, DMA_BIT_MASK(64));
	if (err)
		return err;
	return drv->probe ? drv->probe(dev_to_vdpa(d)) : 0;
}

static void vdpa_dev_remove(struct device *d)
{
	struct vdpa_driver *drv = drv_to_vdpa(d->driver);

	if (drv->remove)
		drv->remove(dev_to_vdpa(d));
}

/* Any bus driver can drive any vDPA device, unless driver_override says. */
static int vdpa_dev_match(struct device *dev, const struct device_driver *drv)
{
	int ret = device_match_driver_override(dev, drv);

	return ret >= 0 ? ret : 1;
}

/*
 * "vdpa:dXXXXXXXXvXXXXXXXX" (virtio device id, vendor id), so that a bus
 * driver declaring a matching MODULE_ALIAS() is loaded by udev for a new
 * device (modpost has no vdpa device table to generate one).
 */
static int vdpa_dev_uevent(const struct device *d, struct kobj_uevent_env *env)
{
	struct vdpa_device *vdev = container_of(d, struct vdpa_device, dev);
	const struct vdpa_config_ops *ops = vdev->config;

	return add_uevent_var(env, "MODALIAS=vdpa:d%08Xv%08X",
			      ops->get_device_id(vdev), ops->get_vendor_id(vdev));
}

const struct bus_type vdpa_bus = {
	.name = "vdpa",
	.driver_override = true,
	.match = vdpa_dev_match,
	.uevent = vdpa_dev_uevent,
	.probe = vdpa_dev_probe,
	.remove = vdpa_dev_remove,
};

/**
 * __vdpa_register_driver() - register a vDPA bus driver
 * @drv: the driver
 * @owner: its module
 *
 * Context: process context.
 * Return: 0 or an error from driver_register().
 */
int __vdpa_register_driver(struct vdpa_driver *drv, struct module *owner)
{
	drv->driver.bus = &vdpa_bus;
	drv->driver.owner = owner;
	return driver_register(&drv->driver);
}
EXPORT_SYMBOL_GPL(__vdpa_register_driver);

static void vdpa_release_dev(struct device *d)
{
	struct vdpa_device *vdev = dev_to_vdpa(d);

	/* config is set only once the parent's part is ready to be freed. */
	if (vdev->config && vdev->config->free)
		vdev->config->free(vdev);
	ida_free(&vdpa_index_ida, vdev->index);
	kfree(vdev);
}

/*
 * Ops the bus drivers call without checking. Everything else is optional
 * and tested for NULL where it is used.
 */
#define VDPA_OP(name) { offsetof(struct vdpa_config_ops, name), #name }
static const struct {
	size_t offset;
	const char *name;
} vdpa_mandatory_ops[] = {
	VDPA_OP(set_vq_address), VDPA_OP(set_vq_num), VDPA_OP(kick_vq),
	VDPA_OP(set_vq_cb), VDPA_OP(set_vq_ready), VDPA_OP(get_vq_ready),
	VDPA_OP(set_vq_state), VDPA_OP(get_vq_state), VDPA_OP(get_vq_align),
	VDPA_OP(get_device_features), VDPA_OP(set_driver_features),
	VDPA_OP(get_driver_features), VDPA_OP(set_config_cb),
	VDPA_OP(get_vq_num_max), VDPA_OP(get_device_id), VDPA_OP(get_vendor_id),
	VDPA_OP(get_status), VDPA_OP(set_status), VDPA_OP(reset),
	VDPA_OP(get_config_size), VDPA_OP(get_config), VDPA_OP(set_config),
};

#undef VDPA_OP

static int vdpa_check_ops(struct device *parent,
			  const struct vdpa_config_ops *ops,
			  unsigned int ngroups, unsigned int nas, bool use_va)
{
	int i, n;

	for (i = 0; i < ARRAY_SIZE(vdpa_mandatory_ops); i++) {
		const void *op = *(const void * const *)((const char *)ops +
							 vdpa_mandatory_ops[i].offset);

		if (!op) {
			dev_err(parent, "vdpa: mandatory op %s missing\n",
				vdpa_mandatory_ops[i].name);
			return -EINVAL;
		}
	}

	if (!ops->dma_map != !ops->dma_unmap) {
		dev_err(parent, "vdpa: dma_map and dma_unmap come together\n");
		return -EINVAL;
	}
	if (!ops->bind_mm != !ops->unbind_mm) {
		dev_err(parent, "vdpa: bind_mm and unbind_mm come together\n");
		return -EINVAL;
	}
	n = !!ops->dirty_caps + !!ops->dirty_start + !!ops->dirty_stop + !!ops->dirty_report;
	if (n && n != 4) {
		dev_err(parent, "vdpa: the dirty_* ops come together (%d of 4)\n", n);
		return -EINVAL;
	}
	if (use_va && !(ops->dma_map || ops->set_map)) {
		dev_err(parent, "vdpa: use_va needs dma_map or set_map\n");
		return -EINVAL;
	}
	if (!ngroups || !nas) {
		dev_err(parent, "vdpa: need at least one group and one address space (%u, %u)\n",
			ngroups, nas);
		return -EINVAL;
	}
	if (ngroups > 1 && !ops->get_vq_group) {
		dev_err(parent, "vdpa: %u groups but no get_vq_group\n", ngroups);
		return -EINVAL;
	}
	if (nas > 1 && !ops->set_group_asid) {
		dev_err(parent, "vdpa: %u address spaces but no set_group_asid\n", nas);
		return -EINVAL;
	}
	return 0;
}

/**
 * __vdpa_alloc_device() - allocate and initialise a vDPA device
 * @parent: the parent device, or NULL (the parent then sets
 *	&vdpa_device.dma_dev itself)
 * @config: the parent's ops, checked here
 * @ngroups: number of virtqueue groups (at least 1)
 * @nas: number of address spaces (at least 1)
 * @size: size of the parent's structure, which embeds the
 *	&struct vdpa_device at offset 0
 * @name: device name, or NULL for "vdpaN"
 * @use_va: the device translates user virtual addresses
 *
 * Use the vdpa_alloc_device() wrapper. On success the device is
 * initialised: drop it with put_device(), which calls @config->free.
 *
 * Context: process context; may sleep.
 * Return: the device, or an ERR_PTR(): -EINVAL for inconsistent @config,
 * @ngroups or @nas, -ENOMEM.
 */
struct vdpa_device *__vdpa_alloc_device(struct device *parent,
					const struct vdpa_config_ops *config,
					unsigned int ngroups, unsigned int nas,
					size_t size, const char *name,
					bool use_va)
{
	struct vdpa_device *vdev;
	int index, err;

	if (!config || size < sizeof(*vdev))
		return ERR_PTR(-EINVAL);
	err = vdpa_check_ops(parent, config, ngroups, nas, use_va);
	if (err)
		return ERR_PTR(err);

	vdev = kzalloc(size, GFP_KERNEL);
	if (!vdev)
		return ERR_PTR(-ENOMEM);
	index = ida_alloc(&vdpa_index_ida, GFP_KERNEL);
	if (index < 0) {
		kfree(vdev);
		return ERR_PTR(index);
	}

	vdev->index = index;
	vdev->dma_dev = parent;
	vdev->ngroups = ngroups;
	vdev->nas = nas;
	vdev->use_va = use_va;
	init_rwsem(&vdev->cf_lock);
	device_initialize(&vdev->dev);
	vdev->dev.bus = &vdpa_bus;
	vdev->dev.parent = parent;
	vdev->dev.release = vdpa_release_dev;

	if (name)
		err = dev_set_name(&vdev->dev, "%s", name);
	else
		err = dev_set_name(&vdev->dev, "vdpa%u", index);
	if (err) {
		put_device(&vdev->dev);
		return ERR_PTR(err);
	}
	vdev->config = config;
	return vdev;
}
EXPORT_SYMBOL_GPL(__vdpa_alloc_device);

static int vdpa_add_device(struct vdpa_device *vdev, u32 nvqs)
{
	const struct vdpa_config_ops *ops = vdev->config;
	u16 max = ops->get_vq_num_max(vdev);
	u16 min = ops->get_vq_num_min ? ops->get_vq_num_min(vdev) : 1;
	struct device *dup;
	int err;

	lockdep_assert_held_write(&vdpa_dev_lock);

	if (!nvqs || nvqs > U16_MAX) {
		dev_err(vdev->dev.parent, "vdpa: %s: bad number of virtqueues %u\n",
			dev_name(&vdev->dev), nvqs);
		return -EINVAL;
	}
	if (!max || min > max) {
		dev_err(vdev->dev.parent, "vdpa: %s: virtqueue size max %u below min %u\n",
			dev_name(&vdev->dev), max, min);
		return -EINVAL;
	}
	dup = bus_find_device_by_name(&vdpa_bus, NULL, dev_name(&vdev->dev));
	if (dup) {
		put_device(dup);
		return -EEXIST;
	}
	vdev->nvqs = nvqs;
	err = device_add(&vdev->dev);
	if (!err)
		vdpa_dev_gen++;
	return err;
}

/* Unbind the driver, take the device off the bus, drop its reference. */
static void vdpa_del_device(struct vdpa_device *vdev)
{
	lockdep_assert_held_write(&vdpa_dev_lock);
	vdpa_dev_gen++;
	device_unregister(&vdev->dev);
}

/**
 * vdpa_register_device() - register a device outside of a management device
 * @vdev: the device, from vdpa_alloc_device()
 * @nvqs: number of virtqueues
 *
 * After a failure the caller still owns its reference: put_device().
 *
 * Context: process context; takes vdpa_dev_lock.
 * Return: as _vdpa_register_device().
 */
int vdpa_register_device(struct vdpa_device *vdev, u32 nvqs)
{
	guard(rwsem_write)(&vdpa_dev_lock);
	return vdpa_add_device(vdev, nvqs);
}
EXPORT_SYMBOL_GPL(vdpa_register_device);

/**
 * vdpa_unregister_device() - unregister a device
 * @vdev: the device
 *
 * Context: process context; takes vdpa_dev_lock.
 */
void vdpa_unregister_device(struct vdpa_device *vdev)
{
	guard(rwsem_write)(&vdpa_dev_lock);
	vdpa_del_device(vdev);
}
EXPORT_SYMBOL_GPL(vdpa_unregister_device);

/**
 * _vdpa_register_device() - register a device from a management dev_add()
 * @vdev: the device, from vdpa_alloc_device(), with @vdev->mdev set
 * @nvqs: number of virtqueues
 *
 * After a failure the caller still owns its reference: put_device().
 *
 * Context: process context; vdpa_dev_lock held for write (it is, inside
 * &vdpa_mgmtdev_ops.dev_add).
 * Return: 0; -EINVAL for a bad @nvqs or virtqueue sizes; -EEXIST when the
 * name is taken; or an error from device_add().
 */
int _vdpa_register_device(struct vdpa_device *vdev, u32 nvqs)
{
	if (!vdev->mdev)
		return -EINVAL;
	return vdpa_add_device(vdev, nvqs);
}
EXPORT_SYMBOL_GPL(_vdpa_register_device);

/**
 * _vdpa_unregister_device() - unregister a device from a management dev_del()
 * @vdev: the device
 *
 * Unbinds the bus driver and drops the registration's reference.
 *
 * Context: process context; vdpa_dev_lock held for write (it is, inside
 * &vdpa_mgmtdev_ops.dev_del).
 */
void _vdpa_unregister_device(struct vdpa_device *vdev)
{
	WARN_ON(!vdev->mdev);
	vdpa_del_device(vdev);
}
EXPORT_SYMBOL_GPL(_vdpa_unregister_device);

/**
 * vdpa_mgmtdev_register() - make a management device visible to netlink
 * @mdev: the management device; @mdev->device, @mdev->ops with dev_add and
 *	dev_del, and @mdev->id_table must be set
 *
 * Context: process context; takes vdpa_dev_lock.
 * Return: 0, -EINVAL for an incomplete @mdev, -EEXIST when a management
 * device with the same handle is registered.
 */
int vdpa_mgmtdev_register(struct vdpa_mgmt_dev *mdev)
{
	if (!mdev->device || !mdev->ops || !mdev->ops->dev_add ||
	    !mdev->ops->dev_del || !mdev->id_table)
		return -EINVAL;

	down_write(&vdpa_dev_lock);
	if (vdpa_mgmtdev_find(mdev->device->bus ? mdev->device->bus->name : NULL,
			      dev_name(mdev->device))) {
		up_write(&vdpa_dev_lock);
		dev_err(mdev->device, "vdpa: management device already registered\n");
		return -EEXIST;
	}
	list_add_tail(&mdev->list, &vdpa_mgmtdev_list);
	vdpa_dev_gen++;
	up_write(&vdpa_dev_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(vdpa_mgmtdev_register);

static int vdpa_del_if_child(struct device *d, void *data)
{
	struct vdpa_device *vdev = dev_to_vdpa(d);
	struct vdpa_mgmt_dev *mdev = data;

	if (vdev->mdev == mdev)
		mdev->ops->dev_del(mdev, vdev);
	return 0;
}

/**
 * vdpa_mgmtdev_unregister() - remove a management device and its devices
 * @mdev: the management device
 *
 * Every vDPA device @mdev created is deleted through its dev_del() first.
 *
 * Context: process context; takes vdpa_dev_lock.
 */
void vdpa_mgmtdev_unregister(struct vdpa_mgmt_dev *mdev)
{
	down_write(&vdpa_dev_lock);
	list_del(&mdev->list);
	vdpa_dev_gen++;
	/* bus_for_each_dev() holds a klist reference: deleting is safe. */
	bus_for_each_dev(&vdpa_bus, NULL, mdev, vdpa_del_if_child);
	up_write(&vdpa_dev_lock);
}
EXPORT_SYMBOL_GPL(vdpa_mgmtdev_unregister);

static bool vdpa_mgmtdev_matches(struct vdpa_mgmt_dev *mdev,
				 const char *bus_name, const char *name)
{
	struct device *d = mdev->device;

	if (strcmp(dev_name(d), name))
		return false;
	/* "name" is a device on no bus; "bus/name" one on that bus. */
	if (!bus_name)
		return !d->bus;
	return d->bus && !strcmp(d->bus->name, bus_name);
}

struct vdpa_mgmt_dev *vdpa_mgmtdev_find(const char *bus_name,
					const char *name)
{
	struct vdpa_mgmt_dev *mdev;

	lockdep_assert_held(&vdpa_dev_lock);
	list_for_each_entry(mdev, &vdpa_mgmtdev_list, list)
		if (vdpa_mgmtdev_matches(mdev, bus_name, name))
			return mdev;
	return NULL;
}

int vdpa_mgmtdev_for_each(int (*fn)(struct vdpa_mgmt_dev *mdev, void *data),
			  void *data)
{
	struct vdpa_mgmt_dev *mdev;
	int ret;

	lockdep_assert_held(&vdpa_dev_lock);
	list_for_each_entry(mdev, &vdpa_mgmtdev_list, list) {
		ret = fn(mdev, data);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * vdpa_unregister_driver() - unregister a vDPA bus driver
 * @drv: the driver; unbound from every device first
 *
 * Context: process context.
 */
void vdpa_unregister_driver(struct vdpa_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL_GPL(vdpa_unregister_driver);

/**
 * vdpa_reset() - reset a device
 * @vdev: the device
 * @flags: VDPA_RESET_F_* quirks for a parent with compat_reset
 *
 * Context: process context; takes @vdev->cf_lock.
 * Return: 0 or the parent's error.
 */
int vdpa_reset(struct vdpa_device *vdev, u32 flags)
{
	const struct vdpa_config_ops *ops = vdev->config;
	int ret;

	down_write(&vdev->cf_lock);
	vdev->features_valid = false;
	if (flags && ops->compat_reset)
		ret = ops->compat_reset(vdev, flags);
	else
		ret = ops->reset(vdev);
	up_write(&vdev->cf_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vdpa_reset);

/**
 * vdpa_set_features_unlocked() - set driver features, cf_lock held
 * @vdev: the device
 * @features: the features the driver accepts
 *
 * Context: @vdev->cf_lock held for write.
 * Return: 0 or the parent's error.
 */
int vdpa_set_features_unlocked(struct vdpa_device *vdev, u64 features)
{
	lockdep_assert_held_write(&vdev->cf_lock);
	vdev->features_valid = true;
	return vdev->config->set_driver_features(vdev, features);
}
EXPORT_SYMBOL_GPL(vdpa_set_features_unlocked);

/**
 * vdpa_set_features() - set driver features
 * @vdev: the device
 * @features: the features the driver accepts
 *
 * Context: process context; takes @vdev->cf_lock.
 * Return: 0 or the parent's error.
 */
int vdpa_set_features(struct vdpa_device *vdev, u64 features)
{
	int ret;

	down_write(&vdev->cf_lock);
	ret = vdpa_set_features_unlocked(vdev, features);
	up_write(&vdev->cf_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vdpa_set_features);

/*
 * Whether [offset, offset + len) lies in the config space. A read that
 * does not fit reads as zeroes, all of it, without reaching the parent.
 */
static bool vdpa_config_range_ok(struct vdpa_device *vdev, unsigned int offset,
				 unsigned int len)
{
	size_t size = vdev->config->get_config_size(vdev);

	return offset <= size && len <= size - offset;
}

/**
 * vdpa_get_config() - read the device's configuration space
 * @vdev: the device
 * @offset: where to start
 * @buf: where to put the bytes
 * @len: how many
 *
 * The layout of the config space depends on the negotiated features: a
 * read before any feature negotiation negotiates none (as legacy drivers
 * expect). A range past the config space reads as zeroes.
 *
 * Context: process context; takes @vdev->cf_lock.
 */
void vdpa_get_config(struct vdpa_device *vdev, unsigned int offset,
		     void *buf, unsigned int len)
{
	down_read(&vdev->cf_lock);
	if (!vdev->features_valid) {
		up_read(&vdev->cf_lock);
		down_write(&vdev->cf_lock);
		if (!vdev->features_valid)
			vdpa_set_features_unlocked(vdev, 0);
		downgrade_write(&vdev->cf_lock);
	}
	if (vdpa_config_range_ok(vdev, offset, len)) {
		vdev->config->get_config(vdev, offset, buf, len);
	} else {
		dev_dbg(&vdev->dev, "config read [%u, +%u) out of range\n", offset, len);
		memset(buf, 0, len);
	}
	up_read(&vdev->cf_lock);
}
EXPORT_SYMBOL_GPL(vdpa_get_config);

/**
 * vdpa_set_config() - write the device's configuration space
 * @vdev: the device
 * @offset: where to start
 * @buf: the bytes
 * @length: how many; a range past the config space is ignored
 *
 * Context: process context; takes @vdev->cf_lock.
 */
void vdpa_set_config(struct vdpa_device *vdev, unsigned int offset,
		     const void *buf, unsigned int length)
{
	down_write(&vdev->cf_lock);
	if (vdpa_config_range_ok(vdev, offset, length))
		vdev->config->set_config(vdev, offset, buf, length);
	else
		dev_dbg(&vdev->dev, "config write [%u, +%u) out of range\n", offset, length);
	up_write(&vdev->cf_lock);
}
EXPORT_SYMBOL_GPL(vdpa_set_config);

/**
 * vdpa_set_status() - set the virtio device status
 * @vdev: the device
 * @status: the new status; use vdpa_reset() for zero
 *
 * Context: process context; takes @vdev->cf_lock.
 */
void vdpa_set_status(struct vdpa_device *vdev, u8 status)
{
	down_write(&vdev->cf_lock);
	vdev->config->set_status(vdev, status);
	up_write(&vdev->cf_lock);
}
EXPORT_SYMBOL_GPL(vdpa_set_status);

#if IS_ENABLED(CONFIG_KUNIT)
int vdpa_kunit_dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
		       const struct vdpa_dev_set_config *config)
{
	int err;

	down_write(&vdpa_dev_lock);
	err = mdev->ops->dev_add(mdev, name, config);
	up_write(&vdpa_dev_lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vdpa_kunit_dev_add);

void vdpa_kunit_dev_del(struct vdpa_device *vdev)
{
	down_write(&vdpa_dev_lock);
	vdev->mdev->ops->dev_del(vdev->mdev, vdev);
	up_write(&vdpa_dev_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vdpa_kunit_dev_del);
#endif

static int __init vdpa_init(void)
{
	int err;

	err = bus_register(&vdpa_bus);
	if (err)
		return err;
	err = vdpa_netlink_init();
	if (err)
		goto err_bus_unregister;
	return 0;

err_bus_unregister:
	bus_unregister(&vdpa_bus);
	return err;
}

static void __exit vdpa_exit(void)
{
	vdpa_netlink_exit();
	bus_unregister(&vdpa_bus);
	ida_destroy(&vdpa_index_ida);
}

core_initcall(vdpa_init);
module_exit(vdpa_exit);

MODULE_DESCRIPTION("vDPA bus and management interface");
MODULE_LICENSE("GPL");
