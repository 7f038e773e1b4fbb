/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vDPA bus: devices whose data path is virtio but whose control path
 * is vendor specific. A parent driver allocates a &struct vdpa_device with
 * its &struct vdpa_config_ops and registers it; a bus driver (vhost-vdpa,
 * virtio-vdpa) binds to it and drives it through those ops.
 *
 * Names and signatures are those of Linux 6.12, so a 6.12 parent builds
 * against this header unchanged. Additions are marked as such.
 */
#ifndef _LINUX_VDPA_H
#define _LINUX_VDPA_H

#include <linux/device.h>
#include <linux/if_ether.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/rwsem.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_net.h>

struct netlink_ext_ack;
struct sk_buff;
struct mm_struct;
struct cpumask;
struct eventfd_ctx;

/**
 * struct vdpa_vq_state_packed - where a packed virtqueue stopped
 *
 * Each index and its wrap counter together form the 16-bit value of the
 * virtio specification's packed-ring notation: index in bits 0..14,
 * wrap counter in bit 15.
 *
 * @last_avail_idx: index of the next descriptor to read
 * @last_avail_counter: wrap counter of the next descriptor to read
 * @last_used_idx: index of the next descriptor to mark used
 * @last_used_counter: wrap counter of the next descriptor to mark used
 */
struct vdpa_vq_state_packed {
	u16 last_avail_idx:15;
	u16 last_avail_counter:1;
	u16 last_used_idx:15;
	u16 last_used_counter:1;
};

/**
 * struct vdpa_vq_state_split - where a split virtqueue stopped
 * @avail_index: the next available ring index the device will read
 */
struct vdpa_vq_state_split {
	u16 avail_index;
};

/**
 * struct vdpa_vq_state - virtqueue state; which member is valid follows
 *	VIRTIO_F_RING_PACKED
 * @packed: state of a packed virtqueue
 * @split: state of a split virtqueue
 */
struct vdpa_vq_state {
	union {
		struct vdpa_vq_state_packed packed;
		struct vdpa_vq_state_split split;
	};
};

/**
 * struct vdpa_callback - an interrupt callback installed by the bus driver
 * @callback: called by the parent when the virtqueue (or config space)
 *	needs the driver's attention
 * @private: argument for @callback
 * @trigger: optional eventfd; when set, signalling it is equivalent to
 *	calling @callback, so a parent may signal it directly
 */
struct vdpa_callback {
	struct eventfd_ctx *trigger;
	irqreturn_t (*callback)(void *data);
	void *private;
};

/**
 * struct vdpa_notification_area - a doorbell that may be mapped to userspace
 * @addr: physical address of the doorbell page
 * @size: its size; zero when the virtqueue has no mappable doorbell
 */
struct vdpa_notification_area {
	resource_size_t addr;
	resource_size_t size;
};

struct vdpa_mgmt_dev;

/**
 * struct vdpa_device - a vDPA device on the vdpa bus
 * @dev: the device model's object; its release frees the whole device
 * @config: the parent's operations
 * @mdev: the management device that created this device, if any; set by
 *	the parent's dev_add() before _vdpa_register_device()
 * @dma_dev: the device that performs DMA (the parent's, by default)
 * @index: bus-wide index, also the "vdpaN" default name
 * @nvqs: number of virtqueues, fixed at registration
 * @ngroups: number of virtqueue groups
 * @nas: number of address spaces
 * @use_va: the device translates user virtual addresses (bind_mm) rather
 *	than physical ones
 * @cf_lock: serialises configuration space access against feature
 *	negotiation and reset: readers of the config space take it shared,
 *	set_features and reset exclusive
 * @features_valid: the driver has set features since the last reset
 */
struct vdpa_device {
	struct device dev;
	const struct vdpa_config_ops *config;
	struct vdpa_mgmt_dev *mdev;
	struct device *dma_dev;
	unsigned int index;
	u32 nvqs;
	unsigned int ngroups;
	unsigned int nas;
	bool use_va;

	struct rw_semaphore cf_lock;
	bool features_valid;		/* under cf_lock */
};

/**
 * struct vdpa_iova_range - the IOVA window a device can translate
 * @first: first valid IOVA
 * @last: last valid IOVA (inclusive)
 */
struct vdpa_iova_range {
	u64 first;
	u64 last;
};

/**
 * struct vdpa_map_file - the file behind a user mapping (VA mode)
 * @file: vma->vm_file of the mapping
 * @offset: offset of the mapping in @file
 */
struct vdpa_map_file {
	struct file *file;
	u64 offset;
};

/**
 * struct vdpa_dirty_caps - what a parent's dirty-page tracker can do
 * @page_sizes: bit n set: 2^n bytes can be a tracking page (at least one
 *	of 4 KiB or more)
 * @max_ranges: ranges one tracker holds; callers combine more into this
 *	many before &vdpa_config_ops.dirty_start
 * @max_span: largest total length of one tracker's ranges; 0: no limit
 * @max_trackers: address spaces tracked at once
 * @no_clear: &vdpa_config_ops.dirty_report takes VDPA_DIRTY_REPORT_NO_CLEAR
 */
struct vdpa_dirty_caps {
	u64 page_sizes;
	u32 max_ranges;
	u64 max_span;
	u32 max_trackers;
	bool no_clear;
};

/**
 * struct vdpa_dirty_range - an IOVA range a tracker covers
 * @iova: first byte, a multiple of the tracking page size
 * @length: bytes, a non-zero multiple of the tracking page size
 */
struct vdpa_dirty_range {
	u64 iova;
	u64 length;
};

/**
 * struct vdpa_dirty_sink - where a report puts what it finds
 * @mark: the pages of [@iova, @iova + @length) were written; called for
 *	whole tracking pages inside the range asked for, in any order, with
 *	the parent's locks held (it does not sleep or fault). Returns 0, or
 *	-errno to end the report with that error.
 */
struct vdpa_dirty_sink {
	int (*mark)(struct vdpa_dirty_sink *sink, u64 iova, u64 length);
};

/* &vdpa_config_ops.dirty_report: leave the log as it is. */
#define VDPA_DIRTY_REPORT_NO_CLEAR 1

/**
 * struct vdpa_config_ops - what a parent implements for its devices
 *
 * Every op is mandatory unless it says "optional". Virtqueue indexes are
 * below &vdpa_device.nvqs; the bus drivers check them before calling.
 * Ops are called in process context unless stated otherwise.
 *
 * @get_device_id: the virtio device id.
 * @get_vendor_id: the vendor id.
 * @get_device_features: virtio features the device offers.
 * @get_backend_features: optional; VHOST_BACKEND_F_* bits the parent
 *	supports beyond what its ops imply.
 * @set_driver_features: the features the driver accepted. Returns 0 or
 *	-errno.
 * @get_driver_features: the features in effect.
 * @suspend: optional; stop processing virtqueues and DMA, keeping state,
 *	so that @get_vq_state is final. Returns 0 or -errno.
 * @resume: optional; undo @suspend. Returns 0 or -errno.
 * @reset: reset the device to its initial state. Returns 0 or -errno.
 * @compat_reset: optional; @reset with compatibility quirks in @flags
 *	(VDPA_RESET_F_CLEAN_MAP: also restore the default DMA mapping, for
 *	bus drivers that predate @reset_map). Returns 0 or -errno.
 * @set_status: set the virtio device status; zero is never passed here
 *	(see @reset).
 * @get_status: the virtio device status.
 * @set_config_cb: install the configuration change callback.
 * @get_generation: optional; configuration generation counter.
 * @get_config_size: size of the device-specific configuration space.
 * @set_config: write @len bytes at @offset of the configuration space.
 * @get_config: read @len bytes at @offset of the configuration space.
 * @get_vq_num_max: the largest virtqueue size.
 * @get_vq_num_min: optional; the smallest virtqueue size.
 * @get_vq_size: optional; the size of virtqueue @idx when sizes differ
 *	between virtqueues.
 * @get_vq_align: the ring alignment the device needs.
 * @get_vq_group: optional; the group virtqueue @idx belongs to (0 when
 *	absent).
 * @get_vq_desc_group: optional; the group of the descriptor table of
 *	virtqueue @idx when it may be placed in another address space than
 *	the rest of the virtqueue (VHOST_BACKEND_F_DESC_ASID).
 * @set_vq_address: set the guest addresses of the descriptor, driver
 *	and device areas of virtqueue @idx. Returns 0 or -errno.
 * @set_vq_num: set the size of virtqueue @idx.
 * @set_vq_cb: install the interrupt callback of virtqueue @idx.
 * @set_vq_ready: enable (true) or disable virtqueue @idx.
 * @get_vq_ready: whether virtqueue @idx is enabled.
 * @set_vq_state: set where virtqueue @idx resumes. Returns 0 or -errno.
 * @get_vq_state: report where virtqueue @idx stopped; valid once the
 *	device is suspended or DRIVER_OK is clear. Returns 0 or -errno.
 * @set_vq_affinity: optional; set the CPU affinity of virtqueue @idx.
 *	Returns 0 or -errno.
 * @get_vq_affinity: optional; the CPU affinity of virtqueue @idx.
 * @kick_vq: the driver made buffers available on virtqueue @idx. May be
 *	called in atomic context, from an eventfd wakeup: it must not call
 *	the virtqueue's callback itself (an eventfd cannot be signalled
 *	from there); defer the work.
 * @kick_vq_with_data: optional, for VIRTIO_F_NOTIFICATION_DATA: @data
 *	carries the virtqueue index in bits 0..15 and the next available
 *	index (split) or offset and wrap counter (packed) above.
 * @get_vq_notification: optional; the doorbell of virtqueue @idx, for
 *	mapping to userspace.
 * @get_vq_irq: optional; the interrupt of virtqueue @idx, for interrupt
 *	bypass. Returns the irq or -errno.
 * @get_vendor_vq_stats: optional; put vendor statistics of virtqueue @idx
 *	into @msg as VDPA_ATTR_DEV_VENDOR_ATTR_NAME/VALUE pairs; report
 *	problems through @extack. Returns 0 or -errno.
 * @get_iova_range: optional; the IOVA window the device translates
 *	(everything when absent).
 * @set_map: optional (on-chip IOMMU); replace the whole translation of
 *	address space @asid by @iotlb. Returns 0 or -errno.
 * @dma_map: optional (on-chip IOMMU, incremental); map @size bytes at
 *	@iova of address space @asid to physical address @pa with
 *	VHOST_MAP_* permission @perm; @opaque is a &struct vdpa_map_file in
 *	VA mode. Comes with @dma_unmap. Returns 0 or -errno; on failure
 *	nothing of the range is mapped.
 * @dma_unmap: optional, mandatory with @dma_map; unmap @size bytes at
 *	@iova of address space @asid. Returns 0 or -errno.
 * @reset_map: optional; restore the parent's default translation of
 *	address space @asid (identity for virtio-vdpa). Lets mappings outlive
 *	@reset (VHOST_BACKEND_F_IOTLB_PERSIST). Returns 0 or -errno.
 * @set_group_asid: optional; make virtqueue group @group use address
 *	space @asid. Returns 0 or -errno.
 * @get_vq_dma_dev: optional; the device that performs DMA for virtqueue
 *	@idx when it differs from &vdpa_device.dma_dev.
 * @bind_mm: optional (VA mode); the device translates virtual addresses
 *	of @mm from now on. Returns 0 or -errno.
 * @unbind_mm: optional, mandatory with @bind_mm; undo @bind_mm.
 * @dirty_caps: optional (device dirty-page tracking, with the other
 *	dirty_* ops, all or none); fill @caps.
 * @dirty_start: log every page the device writes through address space
 *	@asid inside @ranges (sorted, disjoint, at most &vdpa_dirty_caps.max_ranges,
 *	aligned to @page_size, a size of &vdpa_dirty_caps.page_sizes) until
 *	@dirty_stop. Writes the parent makes itself (a queue it runs in
 *	software) are logged too. Logging is on when it returns 0; -errno,
 *	with nothing started, otherwise (-ENOSPC: no tracker left).
 * @dirty_stop: end tracking of address space @asid and forget its log.
 *	Returns 0 or -errno; nothing is tracked afterwards either way.
 * @dirty_report: pass each logged page of [@iova, @iova + @length) (whole
 *	tracking pages) to @sink and clear it from the log, atomically
 *	against the device's writes: a write the device made before the call
 *	is in this report or a later one. With VDPA_DIRTY_REPORT_NO_CLEAR in
 *	@flags the log is left as it is. Bounded in time and killable.
 *	Returns 0 or -errno: -EIO once the tracker failed (sticky until
 *	@dirty_stop); after an error the log of the range may be lost.
 * @free: optional; free the parent's resources, called once from the
 *	device's release.
 */
struct vdpa_config_ops {
	/* identity and features */
	u32 (*get_device_id)(struct vdpa_device *vdev);
	u32 (*get_vendor_id)(struct vdpa_device *vdev);
	u64 (*get_device_features)(struct vdpa_device *vdev);
	u64 (*get_backend_features)(const struct vdpa_device *vdev);
	int (*set_driver_features)(struct vdpa_device *vdev, u64 features);
	u64 (*get_driver_features)(struct vdpa_device *vdev);

	/* life cycle: pause, start over, and the status that drives it */
	int (*suspend)(struct vdpa_device *vdev);
	int (*resume)(struct vdpa_device *vdev);
	int (*reset)(struct vdpa_device *vdev);
	int (*compat_reset)(struct vdpa_device *vdev, u32 flags);
#define VDPA_RESET_F_CLEAN_MAP 1
	void (*set_status)(struct vdpa_device *vdev, u8 status);
	u8 (*get_status)(struct vdpa_device *vdev);

	/* configuration space */
	void (*set_config_cb)(struct vdpa_device *vdev,
			      struct vdpa_callback *cb);
	u32 (*get_generation)(struct vdpa_device *vdev);
	size_t (*get_config_size)(struct vdpa_device *vdev);
	void (*set_config)(struct vdpa_device *vdev, unsigned int offset,
			   const void *buf, unsigned int len);
	void (*get_config)(struct vdpa_device *vdev, unsigned int offset,
			   void *buf, unsigned int len);

	/* virtqueue geometry */
	u16 (*get_vq_num_max)(struct vdpa_device *vdev);
	u16 (*get_vq_num_min)(struct vdpa_device *vdev);
	u16 (*get_vq_size)(struct vdpa_device *vdev, u16 idx);
	u32 (*get_vq_align)(struct vdpa_device *vdev);
	u32 (*get_vq_group)(struct vdpa_device *vdev, u16 idx);
	u32 (*get_vq_desc_group)(struct vdpa_device *vdev, u16 idx);

	/* virtqueue setup, in the order a driver does it */
	void (*set_vq_num)(struct vdpa_device *vdev, u16 idx, u32 num);
	int (*set_vq_address)(struct vdpa_device *vdev, u16 idx, u64 desc_area,
			      u64 driver_area, u64 device_area);
	int (*set_vq_state)(struct vdpa_device *vdev, u16 idx,
			    const struct vdpa_vq_state *state);
	int (*get_vq_state)(struct vdpa_device *vdev, u16 idx,
			    struct vdpa_vq_state *state);
	void (*set_vq_cb)(struct vdpa_device *vdev, u16 idx,
			  struct vdpa_callback *cb);
	void (*set_vq_ready)(struct vdpa_device *vdev, u16 idx, bool ready);
	bool (*get_vq_ready)(struct vdpa_device *vdev, u16 idx);
	int (*set_vq_affinity)(struct vdpa_device *vdev, u16 idx,
			       const struct cpumask *cpu_mask);
	const struct cpumask *(*get_vq_affinity)(struct vdpa_device *vdev,
						 u16 idx);

	/* virtqueue runtime */
	void (*kick_vq)(struct vdpa_device *vdev, u16 idx);
	void (*kick_vq_with_data)(struct vdpa_device *vdev, u32 data);
	struct vdpa_notification_area
	(*get_vq_notification)(struct vdpa_device *vdev, u16 idx);
	int (*get_vq_irq)(struct vdpa_device *vdev, u16 idx);
	int (*get_vendor_vq_stats)(struct vdpa_device *vdev, u16 idx,
				   struct sk_buff *msg,
				   struct netlink_ext_ack *extack);

	/* DMA translation: where DMA goes, then how it is translated */
	struct device *(*get_vq_dma_dev)(struct vdpa_device *vdev, u16 idx);
	int (*set_group_asid)(struct vdpa_device *vdev, unsigned int group,
			      unsigned int asid);
	struct vdpa_iova_range (*get_iova_range)(struct vdpa_device *vdev);
	int (*reset_map)(struct vdpa_device *vdev, unsigned int asid);
	int (*set_map)(struct vdpa_device *vdev, unsigned int asid,
		       struct vhost_iotlb *iotlb);
	int (*dma_unmap)(struct vdpa_device *vdev, unsigned int asid,
			 u64 iova, u64 size);
	int (*dma_map)(struct vdpa_device *vdev, unsigned int asid,
		       u64 iova, u64 size, u64 pa, u32 perm, void *opaque);
	void (*unbind_mm)(struct vdpa_device *vdev);
	int (*bind_mm)(struct vdpa_device *vdev, struct mm_struct *mm);

	/* device dirty-page tracking */
	void (*dirty_caps)(struct vdpa_device *vdev, struct vdpa_dirty_caps *caps);
	int (*dirty_start)(struct vdpa_device *vdev, unsigned int asid,
			   const struct vdpa_dirty_range *ranges, u32 nranges,
			   u64 page_size);
	int (*dirty_stop)(struct vdpa_device *vdev, unsigned int asid);
	int (*dirty_report)(struct vdpa_device *vdev, unsigned int asid, u64 iova,
			    u64 length, u32 flags, struct vdpa_dirty_sink *sink);

	/* teardown */
	void (*free)(struct vdpa_device *vdev);
};

/**
 * vdpa_alloc_device - allocate a parent structure that embeds a vDPA device
 * @dev_struct: type of the parent's structure
 * @member: name of its &struct vdpa_device member, which must come first
 * @parent: the parent device
 * @config: the parent's ops
 * @ngroups: number of virtqueue groups
 * @nas: number of address spaces
 * @name: device name, or NULL for "vdpaN"
 * @use_va: the device translates user virtual addresses
 *
 * The device is initialised but not registered: from here on it is freed
 * with put_device(&vdev->dev), which calls @config->free. Because @member
 * is at offset 0, an ERR_PTR() converts to a @dev_struct pointer intact.
 *
 * Context: process context; may sleep.
 * Return: a pointer to @dev_struct, or an ERR_PTR().
 */
#define vdpa_alloc_device(dev_struct, member, parent, config, ngroups, nas, \
			  name, use_va)					     \
	((typeof(dev_struct) *)__vdpa_alloc_device(parent, config, ngroups, nas, \
			sizeof(dev_struct) +				     \
			BUILD_BUG_ON_ZERO(offsetof(dev_struct, member)),     \
			name, use_va))

struct vdpa_device *__vdpa_alloc_device(struct device *parent,
					const struct vdpa_config_ops *config,
					unsigned int ngroups, unsigned int nas,
					size_t size, const char *name,
					bool use_va);

/* Registration: the _ variants from a management device's dev_add/dev_del. */
int vdpa_register_device(struct vdpa_device *vdev, u32 nvqs);
int _vdpa_register_device(struct vdpa_device *vdev, u32 nvqs);
void vdpa_unregister_device(struct vdpa_device *vdev);
void _vdpa_unregister_device(struct vdpa_device *vdev);

/**
 * struct vdpa_driver - a bus driver for vDPA devices
 * @probe: bind to a device; returns 0 or -errno
 * @remove: unbind from a device; after it returns the driver must not
 *	touch the device
 * @driver: the device model's driver
 */
struct vdpa_driver {
	int (*probe)(struct vdpa_device *vdev);
	void (*remove)(struct vdpa_device *vdev);
	struct device_driver driver;
};

void vdpa_unregister_driver(struct vdpa_driver *drv);
int __vdpa_register_driver(struct vdpa_driver *drv, struct module *owner);

/**
 * vdpa_register_driver - register a vDPA bus driver of this module
 * @drv: the driver
 *
 * Return: 0 or -errno.
 */
#define vdpa_register_driver(drv) __vdpa_register_driver(drv, THIS_MODULE)

/**
 * module_vdpa_driver - module init and exit that only (un)register a driver
 * @__vdpa_driver: the &struct vdpa_driver
 */
#define module_vdpa_driver(__vdpa_driver) \
	module_driver(__vdpa_driver, vdpa_register_driver, vdpa_unregister_driver)

/**
 * vdpa_set_drvdata - store the bus driver's private data
 * @vdev: the device
 * @data: the data
 */
static inline void vdpa_set_drvdata(struct vdpa_device *vdev, void *data)
{
	dev_set_drvdata(&vdev->dev, data);
}

/**
 * vdpa_get_drvdata - the bus driver's private data
 * @vdev: the device
 *
 * Return: what vdpa_set_drvdata() stored.
 */
static inline void *vdpa_get_drvdata(const struct vdpa_device *vdev)
{
	return dev_get_drvdata(&vdev->dev);
}

/**
 * vdpa_get_dma_dev - the device that performs DMA for @vdev
 * @vdev: the device
 *
 * Return: &vdpa_device.dma_dev.
 */
static inline struct device *vdpa_get_dma_dev(struct vdpa_device *vdev)
{
	return vdev->dma_dev;
}

/**
 * drv_to_vdpa - the vDPA driver of a device model driver
 * @driver: &vdpa_driver.driver
 *
 * Return: the containing &struct vdpa_driver.
 */
static inline struct vdpa_driver *drv_to_vdpa(struct device_driver *driver)
{
	return container_of(driver, struct vdpa_driver, driver);
}

/**
 * dev_to_vdpa - the vDPA device of a device model device
 * @_dev: &vdpa_device.dev
 *
 * Return: the containing &struct vdpa_device.
 */
static inline struct vdpa_device *dev_to_vdpa(struct device *_dev)
{
	return container_of(_dev, struct vdpa_device, dev);
}

int vdpa_reset(struct vdpa_device *vdev, u32 flags);
int vdpa_set_features_unlocked(struct vdpa_device *vdev, u64 features);
int vdpa_set_features(struct vdpa_device *vdev, u64 features);
void vdpa_get_config(struct vdpa_device *vdev, unsigned int offset,
		     void *buf, unsigned int len);
void vdpa_set_config(struct vdpa_device *dev, unsigned int offset,
		     const void *buf, unsigned int length);
void vdpa_set_status(struct vdpa_device *vdev, u8 status);

/**
 * struct vdpa_dev_set_config - attributes given to "vdpa dev add" or
 *	"vdpa dev set"
 * @device_features: virtio features to provision
 * @net: virtio-net attributes
 * @net.mac: MAC address
 * @net.mtu: MTU
 * @net.max_vq_pairs: number of queue pairs
 * @mask: which attributes are present, as BIT_ULL(VDPA_ATTR_*)
 */
struct vdpa_dev_set_config {
	u64 mask;
	u64 device_features;
	struct {
		u16 max_vq_pairs;
		u16 mtu;
		u8 mac[ETH_ALEN];
	} net;
};

/**
 * struct vdpa_mgmtdev_ops - what a management device does for netlink
 * @dev_set_attr: optional; change attributes of the existing device @dev
 *	as given in @config, with its config space lock held for write.
 *	Returns 0 or -errno.
 * @dev_add: create and register (with _vdpa_register_device()) a device
 *	named @name with the attributes in @config whose bits are set in
 *	&vdpa_dev_set_config.mask. Called with the management lock held.
 *	Returns 0 or -errno.
 * @dev_del: unregister (with _vdpa_unregister_device()) device @dev.
 *	Called with the management lock held.
 */
struct vdpa_mgmtdev_ops {
	int (*dev_set_attr)(struct vdpa_mgmt_dev *mdev, struct vdpa_device *dev,
			    const struct vdpa_dev_set_config *config);
	int (*dev_add)(struct vdpa_mgmt_dev *mdev, const char *name,
		       const struct vdpa_dev_set_config *config);
	void (*dev_del)(struct vdpa_mgmt_dev *mdev, struct vdpa_device *dev);
};

/**
 * struct vdpa_mgmt_dev - a management device: creates vDPA devices on request
 * @list: entry in the bus's list of management devices
 * @device: the parent device it manages (names it in netlink)
 * @ops: its operations
 * @id_table: the virtio device ids it can create, zero-terminated
 * @supported_features: virtio features its devices can offer
 * @max_supported_vqs: the most virtqueues one of its devices can have
 * @config_attr_mask: BIT_ULL(VDPA_ATTR_*) of the attributes dev_add accepts
 */
struct vdpa_mgmt_dev {
	struct list_head list;
	struct device *device;
	const struct vdpa_mgmtdev_ops *ops;
	/* what it creates */
	struct virtio_device_id *id_table;
	u64 supported_features;
	u32 max_supported_vqs;
	u64 config_attr_mask;
};

void vdpa_mgmtdev_unregister(struct vdpa_mgmt_dev *mdev);
int vdpa_mgmtdev_register(struct vdpa_mgmt_dev *mdev);

#endif /* _LINUX_VDPA_H */
