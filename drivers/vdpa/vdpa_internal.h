/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between the vDPA bus (vdpa_bus.c) and its management netlink
 * family (vdpa_netlink.c); not for parents or bus drivers.
 *
 * Locking, outermost first:
 *
 *   vdpa_dev_lock (rw_semaphore, vdpa_bus.c)
 *     Protects the list of management devices and the set of registered
 *     vDPA devices: their names, their creation and deletion, and
 *     vdpa_device.mdev. Taken for write to register or unregister a
 *     management device or a vDPA device (so around mgmtdev dev_add and
 *     dev_del); for read by netlink requests that only look.
 *   device_lock(&vdev->dev) (driver core)
 *     Held by the driver core around a bus driver's probe and remove,
 *     which run inside device_add()/device_del() and therefore inside
 *     vdpa_dev_lock. A bus driver's probe or remove must never take
 *     vdpa_dev_lock. Our bus drivers' remove never waits for userspace
 *     (vhost-vdpa revokes open files instead): a remove that waits, as
 *     6.12's vhost_vdpa does, stalls every vdpa management request while
 *     it waits.
 *   vdev->cf_lock (rw_semaphore, per device)
 *     Serialises config space reads (shared) with feature negotiation,
 *     config writes, status changes and reset (exclusive).
 */
#ifndef _VDPA_INTERNAL_H
#define _VDPA_INTERNAL_H

#include <linux/rwsem.h>
#include <linux/vdpa.h>

extern struct rw_semaphore vdpa_dev_lock;
/* Bumped on every device or management device change; under vdpa_dev_lock. */
extern unsigned int vdpa_dev_gen;
extern const struct bus_type vdpa_bus;

/**
 * vdpa_mgmtdev_find() - look up a management device by its handle
 * @bus_name: bus name of its parent device, or NULL for any bus
 * @name: device name of its parent device
 *
 * Context: vdpa_dev_lock held.
 * Return: the management device or NULL.
 */
struct vdpa_mgmt_dev *vdpa_mgmtdev_find(const char *bus_name,
					const char *name);

/**
 * vdpa_mgmtdev_for_each() - call @fn for each management device in order
 * @fn: callback; a non-zero return stops the walk and is returned
 * @data: passed to @fn
 *
 * Context: vdpa_dev_lock held.
 * Return: 0 or the first non-zero value @fn returned.
 */
int vdpa_mgmtdev_for_each(int (*fn)(struct vdpa_mgmt_dev *mdev, void *data),
			  void *data);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * vdpa_kunit_dev_add() - call a management device's dev_add() as netlink does
 * @mdev: the management device
 * @name: the new device's name
 * @config: its attributes
 *
 * A test seam: vdpa_dev_lock is private to the bus.
 *
 * Context: process context; takes vdpa_dev_lock.
 * Return: what dev_add() returned.
 */
int vdpa_kunit_dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
		       const struct vdpa_dev_set_config *config);

/**
 * vdpa_kunit_dev_del() - delete a device through its management device
 * @vdev: a device that management device created and still has
 *
 * As "vdpa dev del" does, for tests.
 *
 * Context: process context; takes vdpa_dev_lock.
 */
void vdpa_kunit_dev_del(struct vdpa_device *vdev);
#endif

int vdpa_netlink_init(void);
void vdpa_netlink_exit(void);

#endif /* _VDPA_INTERNAL_H */
