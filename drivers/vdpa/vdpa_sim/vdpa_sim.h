/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vdpa_sim: a software vDPA parent with on-chip-IOMMU semantics, shared by
 * the net and blk simulators.
 *
 * Locking, outermost first:
 *   vdpasim.lock (mutex): device status, features, virtqueue state, the
 *     config space, group-to-ASID map and the suspended flag. Held by every
 *     config op that changes them and by the datapath while it runs a batch.
 *   vdpasim.iommu_lock (spinlock): the per-ASID IOTLBs, tables and
 *     passthrough flags. Taken inside vdpasim.lock, by the datapath's
 *     translation and by the map ops; never held across anything that
 *     sleeps.
 *   vdpasim.bells_lock (mutex): the doorbells (vdpasim.bells). Taken
 *     inside vdpasim.lock by status changes, and alone by
 *     get_vq_notification, which vhost_vdpa's doorbell fault calls under
 *     the faulting process's mmap_lock.
 *
 * In VA mode (va.c) the datapath pins pages of the bound mm, taking its
 * mmap_lock inside vdpasim.lock: vdpasim.lock is never taken inside an
 * mmap_lock, which is why get_vq_notification takes only bells_lock. The
 * order is vdpasim.lock, mmap_lock, bells_lock (also taken by a reset and
 * by status changes inside vdpasim.lock). In VA mode the rings' calls may
 * sleep, and at the end of each batch they forget their translations.
 *
 * The datapath (vdpasim.work) runs a bounded batch with vdpasim.lock held,
 * so a map change, which also takes vdpasim.lock, never lands while the
 * device is using a translation it looked up: a range is only unmapped
 * once the device has stopped using it. Every map change also flushes the
 * translations the rings keep, before it drops vdpasim.lock.
 */
#ifndef _VDPA_SIM_H
#define _VDPA_SIM_H

#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/vdpa.h>
#include <linux/vdpa_devring.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

struct dentry;
struct vdpasim;
struct vdpasim_dirty;

/**
 * struct vdpasim_mgmt - a simulator class's management device
 * @mdev: the management device; the class fills ops, id_table, attribute
 *	mask and features, vdpasim_mgmt_register() the device
 * @live: devices created and not yet released; unregistering waits for
 *	zero, because a release runs the class's code
 */
struct vdpasim_mgmt {
	struct vdpa_mgmt_dev mdev;
	atomic_t live;
};

/**
 * struct vdpasim_virtqueue - one simulated virtqueue
 * @desc_addr: IOVA of the descriptor area
 * @driver_addr: IOVA of the driver (available) area
 * @device_addr: IOVA of the device (used) area
 * @num: size
 * @ready: enabled by the driver
 * @cb: the driver's interrupt callback
 * @state: where the device resumes (split: next avail index; packed:
 *	indexes and wrap counters)
 * @state_set: @state came from set_vq_state (else a reset ring's start)
 * @before_reset: where the ring stood when the device was last reset;
 *	get_vq_state reports it until @state is set or the ring runs again
 * @received_desc: descriptors taken from the ring (vendor statistic)
 * @completed_desc: descriptors returned to the ring (vendor statistic)
 * @sim: the device, for the ring's translation
 * @idx: this virtqueue's index
 * @running: @ring is set up and the device processes it
 * @ring: the device side of the ring, valid while @running
 */
struct vdpasim_virtqueue {
	u64 desc_addr;
	u64 driver_addr;
	u64 device_addr;
	u32 num;
	bool ready;
	struct vdpa_callback cb;
	struct vdpa_vq_state state;
	bool state_set;
	struct vdpa_vq_state before_reset;
	u64 received_desc;
	u64 completed_desc;
	struct vdpasim *sim;
	u16 idx;
	bool running;
	struct vdpa_devring ring;
};

/**
 * struct vdpasim_va_pin - a page the running batch pinned (VA mode)
 * @page: the page
 * @uaddr: the user address of its start
 * @write: pinned for writing: it is marked dirty when unpinned
 */
struct vdpasim_va_pin {
	struct page *page;
	unsigned long uaddr;
	bool write;
};

/**
 * struct vdpasim_dev_attr - what a simulated device class provides
 * @mgmt_dev: the management device creating it (in a &struct vdpasim_mgmt)
 * @name: device name
 * @id: virtio device id
 * @supported_features: features the device offers
 * @config_size: size of the device-specific config space
 * @nvqs: number of virtqueues
 * @ngroups: number of virtqueue groups
 * @nas: number of address spaces
 * @alloc_size: size of the class's structure embedding &struct vdpasim
 * @vq_group: group of a virtqueue (NULL: all in group 0)
 * @get_config: fill the config space from the class's state; called with
 *	vdpasim.lock held
 * @set_config: the driver wrote the config space; called with
 *	vdpasim.lock held (NULL: writes are ignored)
 * @reset: return the class's device state to power-on (may be NULL);
 *	called with vdpasim.lock held
 * @work: process the running virtqueues, a bounded batch; called with
 *	vdpasim.lock held; returns true when work is left for another run
 * @free: release the class's resources (may be NULL)
 * @debugfs_init: add the class's files to the device's debugfs directory
 *	(may be NULL); they are removed before the device is unregistered
 */
struct vdpasim_dev_attr {
	struct vdpa_mgmt_dev *mgmt_dev;
	const char *name;
	u32 id;
	u64 supported_features;
	size_t config_size;
	u32 nvqs;
	u32 ngroups;
	u32 nas;
	size_t alloc_size;
	u32 (*vq_group)(struct vdpasim *vdpasim, u16 idx);
	void (*get_config)(struct vdpasim *vdpasim, void *config);
	void (*set_config)(struct vdpasim *vdpasim, const void *config);
	void (*reset)(struct vdpasim *vdpasim);
	bool (*work)(struct vdpasim *vdpasim);
	void (*free)(struct vdpasim *vdpasim);
	void (*debugfs_init)(struct vdpasim *vdpasim, struct dentry *dir);
};

/**
 * struct vdpasim - a simulated vDPA device
 * @vdpa: the vDPA device, first as vdpa_alloc_device() wants
 * @dev_attr: the class's description
 * @lock: see the lock comment at the top of this file
 * @iommu_lock: see the lock comment at the top of this file
 * @vqs: @dev_attr.nvqs virtqueues
 * @config: the config space, @dev_attr.config_size bytes
 * @status: virtio device status
 * @features: negotiated features
 * @generation: config generation, bumped on every config change
 * @suspended: suspend() was called and resume() was not
 * @group_asid: address space of each group
 * @iommu: one IOTLB per address space: what dma_map and dma_unmap change
 * @table: per address space, the table set_map installed, or NULL; when
 *	set, the address space translates through it and not @iommu
 * @passthrough: per address space, whether it is in the default identity
 *	mapping (set by reset_map, cleared by the first map change)
 * @config_cb: the driver's config change callback
 * @worker: the device's thread, which runs @work
 * @work: runs the datapath (vdpasim_dev_attr.work)
 * @notify: virtqueues to interrupt once the batch ends (bit per index)
 * @req: request buffers for the class's datapath, two
 * @debugfs: the device's debugfs directory
 * @bells: mappable doorbells (pages NULL when the device offers none);
 *	area, start and stop are called with @bells_lock held
 * @dirty: per address space, its dirty-page tracker or NULL (dirty.c;
 *	under @lock)
 * @bells_lock: see the lock comment at the top of this file
 * @va: VA mode (use_va): tables map IOVAs to virtual addresses of @mm
 * @mm: VA mode: the address space bind_mm named, or NULL; a reference on
 *	the mm_struct only (under @lock)
 * @batch_mm: VA mode: @mm while the running batch holds a user reference
 *	on it, else NULL (under @lock)
 * @pins: VA mode: the pages the running batch pinned, @npins of
 *	@max_pins (under @lock)
 * @npins: entries of @pins in use
 * @max_pins: entries @pins has room for
 * @binds: VA mode: address spaces bind_mm bound (debugfs "va")
 * @unbinds: VA mode: address spaces unbind_mm unbound (debugfs "va")
 * @pinned: VA mode: pages the datapath pinned (debugfs "va")
 * @unpinned: VA mode: pages the datapath unpinned (debugfs "va")
 */
struct vdpasim {
	struct vdpa_device vdpa;
	struct vdpasim_dev_attr dev_attr;
	struct mutex lock;		/* device state, see top of file */
	spinlock_t iommu_lock;		/* IOTLBs, see top of file */
	struct vdpasim_virtqueue *vqs;
	void *config;
	u8 status;
	u64 features;
	u32 generation;
	bool suspended;
	u32 *group_asid;
	struct vhost_iotlb **iommu;
	struct vdpa_devring_table **table;
	bool *passthrough;
	struct vdpa_callback config_cb;
	struct kthread_worker *worker;
	struct kthread_work work;
	u64 notify;
	struct vdpa_devring_req *req;
	struct dentry *debugfs;
	struct vdpa_devring_bells bells;
	struct vdpasim_dirty **dirty;
	struct mutex bells_lock;	/* doorbells, see top of file */
	bool va;
	struct mm_struct *mm;
	struct mm_struct *batch_mm;
	struct vdpasim_va_pin *pins;
	u32 npins;
	u32 max_pins;
	u32 binds;
	u32 unbinds;
	u64 pinned;
	u64 unpinned;
};

/**
 * struct vdpasim_choice - a two-word module parameter (vdpasim_choice_ops)
 * @names: the word for false, then the word for true
 * @value: the choice
 */
struct vdpasim_choice {
	const char *names[2];
	bool value;
};

extern const struct kernel_param_ops vdpasim_choice_ops;

/* Transport and ring features every simulated device offers. */
#define VDPASIM_COMMON_FEATURES (BIT_ULL(VIRTIO_F_VERSION_1) |		\
				 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |	\
				 BIT_ULL(VIRTIO_F_RING_PACKED) |	\
				 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |	\
				 BIT_ULL(VIRTIO_RING_F_EVENT_IDX))

/* Most virtqueues a simulated device has (one notify bit each). */
#define VDPASIM_MAX_VQS 64

/**
 * vdpa_to_sim - the simulator behind a vDPA device
 * @vdpa: the vDPA device
 *
 * Return: the containing &struct vdpasim.
 */
static inline struct vdpasim *vdpa_to_sim(struct vdpa_device *vdpa)
{
	return container_of(vdpa, struct vdpasim, vdpa);
}

int vdpasim_mgmt_register(struct vdpasim_mgmt *mgmt, const char *name);
int vdpasim_register(struct vdpasim *sim);
void vdpasim_dev_del(struct vdpa_mgmt_dev *mdev, struct vdpa_device *vdpa);
void vdpasim_mgmt_unregister(struct vdpasim_mgmt *mgmt);
int vdpasim_vq_pop(struct vdpasim *sim, u16 idx, struct vdpa_devring_req *req);
void vdpasim_vq_push(struct vdpasim *sim, u16 idx, struct vdpa_devring_req *req,
		     u32 written);
bool vdpasim_vq_running(struct vdpasim *sim, u16 idx);
void vdpasim_config_changed(struct vdpasim *sim);
void vdpasim_schedule(struct vdpasim *sim);
#if IS_ENABLED(CONFIG_KUNIT)
bool vdpasim_kunit_set_map_mode(bool dma_map);
struct vdpa_mgmt_dev *vdpasim_net_kunit_mgmtdev(void);
struct vdpa_mgmt_dev *vdpasim_blk_kunit_mgmtdev(void);
unsigned int vdpasim_blk_kunit_set_capacity(unsigned int mb);
#endif
struct vdpasim *vdpasim_create(const struct vdpasim_dev_attr *attr,
			       const struct vdpa_dev_set_config *config);

/* dirty.c: device dirty-page tracking, &vdpa_config_ops.dirty_*. */
struct vdpa_dirty_caps;
struct vdpa_dirty_range;
struct vdpa_dirty_sink;
void vdpasim_dirty_caps(struct vdpa_device *vdpa, struct vdpa_dirty_caps *caps);
int vdpasim_dirty_start(struct vdpa_device *vdpa, unsigned int asid,
			const struct vdpa_dirty_range *ranges, u32 nranges, u64 page_size);
int vdpasim_dirty_stop(struct vdpa_device *vdpa, unsigned int asid);
int vdpasim_dirty_report(struct vdpa_device *vdpa, unsigned int asid, u64 iova, u64 length,
			 u32 flags, struct vdpa_dirty_sink *sink);
void vdpasim_dirty_mark(struct vdpasim *sim, u32 asid, u64 iova, u64 len);
void vdpasim_dirty_free(struct vdpasim *sim);
void vdpasim_dirty_debugfs_init(struct vdpasim *sim, struct dentry *dir);

/* va.c: VA mode, &vdpa_config_ops.bind_mm and the datapath's pins. */
int vdpasim_bind_mm(struct vdpa_device *vdpa, struct mm_struct *mm);
void vdpasim_unbind_mm(struct vdpa_device *vdpa);
struct mm_struct *vdpasim_va_begin(struct vdpasim *sim);
void vdpasim_va_end(struct vdpasim *sim);
long vdpasim_va_translate(struct vdpasim *sim, u64 uaddr, u64 len, bool write, void **va);
void vdpasim_va_free(struct vdpasim *sim);
void vdpasim_va_debugfs_init(struct vdpasim *sim, struct dentry *dir);

#endif /* _VDPA_SIM_H */
