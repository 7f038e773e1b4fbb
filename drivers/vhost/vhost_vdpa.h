/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost_vdpa: /dev/vhost-vdpa-N, the vDPA bus driver for userspace VMMs.
 *
 * Objects and lifetime:
 *   struct vhost_vdpa is created at probe, one per vDPA device, and is a
 *   reference-counted device (its struct device): probe holds one, every
 *   open file holds one. remove() tears the vDPA side down and drops its
 *   reference without waiting for userspace; an open file then sees a
 *   device that is gone (-ENODEV) until it is closed, when the last
 *   reference frees the structure.
 *
 * Locking, outermost first:
 *   vhost_vdpa_log.lock (mutex): the vhost log's pushes and state
 *     (vdpa_log.c); a push takes the two below inside it.
 *   vhost_vdpa.iotlb_lock (mutex): one IOTLB message of the file at a
 *     time. It is held while an UPDATE pins the owner's memory, which can
 *     wait on userspace (userfaultfd, FUSE) for as long as userspace
 *     likes, so remove() and every other path that cannot wait on
 *     userspace never take it. Only IOTLB messages enter ranges in an
 *     address space's table; between an UPDATE's windows of pinning the
 *     rest of the driver may run, and see the range partly entered (but
 *     never programmed into the device). The dirty-log ioctls
 *     (vdpa_dirty.c) hold it too, so a REPORT never interleaves with a
 *     map change, and pin the caller's bitmap under it; they take
 *     vhost_vdpa.lock inside it for each call into the parent.
 *   vhost_vdpa.lock (mutex): everything in struct vhost_vdpa and the
 *     structures hanging off it, including every address space and its
 *     IOTLB, and the pointer to the vDPA device (NULL once removed).
 *     Every file operation but mmap, and remove(), take it; calls into
 *     the parent are made with it held.
 *   mmap_lock of the owner's mm: taken (by pinning, or in VA mode by
 *     reading the owner's mappings) only outside vhost_vdpa.lock.
 *     mmap() and the doorbell page fault run inside it, so they must not
 *     take vhost_vdpa.lock.
 *   vhost_vdpa.doorbell_sem (rw_semaphore): the pointer to the vDPA device
 *     for mmap() and the fault (read); remove() clears the pointer holding
 *     both this (write) and vhost_vdpa.lock. Parent calls made under it:
 *     get_vq_notification only.
 * Taken inside vhost_vdpa.lock by what it calls: the vDPA device's
 * cf_lock (vdpa_reset, vdpa_get_config, ...), the parent's own locks,
 * i_mmap_rwsem (remove() zapping doorbell mappings), and for parents
 * translating through the platform IOMMU (vdpa_domain.c) the IOMMU
 * group's mutex and the IOMMU driver's locks. User memory is never
 * touched with the lock held: ioctl arguments are copied in before it is
 * taken and out after it is dropped, IOTLB messages read before it, and
 * pages pinned outside it (see vhost_vdpa.iotlb_lock).
 * The kick path (an eventfd wakeup, atomic) takes no lock: the kick
 * eventfd is detached (which waits for running wakeups) before anything
 * it uses goes away. Call and config eventfds are RCU pointers read from
 * the parent's interrupt callbacks.
 */
#ifndef _VHOST_VDPA_H
#define _VHOST_VDPA_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/vdpa.h>
#include <linux/vhost_iotlb.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/vhost_types.h>

struct iommu_domain;
struct iov_iter;
struct vhost_vdpa;

/**
 * struct vhost_vdpa_dirty - the tracker of one address space
 * @page_size: the tracking page size
 * @no_clear: the parent takes VDPA_DIRTY_REPORT_NO_CLEAR (its caps at START)
 * @error: the log may be lost (a report failed after it started
 *	clearing, or memory was mapped writable outside the ranges): REPORT
 *	gives -EIO until STOP
 * @log: started for the vhost log (vdpa_log.c), not by START: the
 *	DIRTY_LOG ioctls leave it alone
 * @restart: (@log only) memory was mapped writable outside the ranges;
 *	the vhost log starts a new tracker at its next push
 * @nranges: entries in @range
 * @range: what the parent tracks, sorted, disjoint, page aligned
 */
struct vhost_vdpa_dirty {
	u64 page_size;
	bool no_clear;
	bool error;
	bool log;
	bool restart;
	u32 nranges;
	struct vdpa_dirty_range range[] __counted_by(nranges);
};

/**
 * struct vhost_vdpa_call - an eventfd an interrupt signals
 * @ctx: the eventfd
 * @rcu: the interrupt path reads it under RCU; it is released after a
 *	grace period, without waiting for one
 */
struct vhost_vdpa_call {
	struct eventfd_ctx *ctx;
	struct rcu_head rcu;
};

/**
 * struct vhost_vdpa_vq - a virtqueue as userspace set it up
 * @v: the device
 * @idx: its index
 * @kick: the kick eventfd, or NULL
 * @kick_wait: our entry on @kick's wait queue
 * @kick_pt: poll table used to find that wait queue
 * @kick_wqh: the wait queue @kick_wait is on, or NULL
 * @call: the call eventfd the device's interrupt signals, or NULL
 * @desc: descriptor area address given to the parent (SET_VRING_ADDR)
 * @driver: driver area address given to the parent
 * @device: device area address given to the parent
 */
struct vhost_vdpa_vq {
	struct vhost_vdpa *v;
	u16 idx;
	u64 desc;
	u64 driver;
	u64 device;
	struct eventfd_ctx *kick;
	wait_queue_entry_t kick_wait;
	poll_table kick_pt;
	wait_queue_head_t *kick_wqh;
	struct vhost_vdpa_call __rcu *call;
};

/**
 * struct vhost_vdpa_as - one address space: the owner's mappings in it
 * @iotlb: the mappings; each entry is one physically contiguous run of
 *	pinned pages (addr is its physical address) and charged exactly
 *	its number of pages to the owner's pinned_vm; in VA mode a user
 *	range (addr) and the file behind it (opaque, vdpa_map_file)
 * @in_batch: changed inside the current batch; the device (set_map) is
 *	programmed at BATCH_END
 * @stale: the device translates nothing here, though the table has
 *	entries (a reset without IOTLB_PERSIST or a refused dma_map emptied
 *	it); the next change programs the whole table again
 * @limbo: pinned pages out of @iotlb that the device may still translate
 *	to (struct vhost_vdpa_limbo); unpinned once it no longer can
 * @spare: empty limbo pages set aside before the device is asked to take
 *	a change, so that moving pages to limbo after a refusal cannot fail
 * @dirty: its dirty-page tracker (vdpa_dirty.c), or NULL
 */
struct vhost_vdpa_as {
	struct vhost_iotlb *iotlb;
	bool in_batch;
	bool stale;
	struct list_head limbo;
	struct list_head spare;
	struct vhost_vdpa_dirty *dirty;
};

/**
 * struct vhost_vdpa_resv - a reserved IOVA region of the DMA device
 * @start: first byte
 * @last: last byte
 */
struct vhost_vdpa_resv {
	u64 start;
	u64 last;
};

/**
 * struct vhost_vdpa_domain - translation through the platform IOMMU
 * @dma_dev: the parent's DMA device, for parents with neither set_map
 *	nor dma_map (vdpa_domain.c); NULL for every other parent
 * @iommu: our paging domain, attached to @dma_dev while a file has the
 *	device; NULL otherwise (also once detaching it failed and it was
 *	left attached)
 * @nresv: entries in @resv
 * @resv: @dma_dev's reserved regions, which no UPDATE may cover
 */
struct vhost_vdpa_domain {
	struct device *dma_dev;
	struct iommu_domain *iommu;
	u32 nresv;
	struct vhost_vdpa_resv *resv;
};

/**
 * struct vhost_vdpa_log - the vhost dirty log of VHOST_F_LOG_ALL (vdpa_log.c)
 * @lock: serialises pushes into the log with changes of @base and @all;
 *	outside vhost_vdpa.iotlb_lock
 * @work: the periodic push, every log_interval_ms while logging
 * @base: user address of the log (8-byte aligned), 0 for none
 * @all: VHOST_F_LOG_ALL is acked
 * @fresh: no tracker started since the log went on: the first one misses
 *	nothing
 * @rescan: find the bound again at the next push
 * @failed: the parent could not track: each push marks every writable
 *	mapped page below the bound
 * @top: the bound: pages at or above it are never logged
 *
 * Everything here changes under both @lock and vhost_vdpa.lock, except
 * when the file lets go of the device (vhost_vdpa.lock only: a push
 * rechecks under it before each step).
 */
struct vhost_vdpa_log {
	struct mutex lock;	/* pushes, @base, @all */
	struct delayed_work work;
	u64 base;
	bool all;
	bool fresh;
	bool rescan;
	bool failed;
	u64 top;
};

/**
 * struct vhost_vdpa - a vDPA device bound to vhost_vdpa
 * @dev: the character device's device; its release frees the structure
 * @cdev: /dev/vhost-vdpa-N
 * @minor: N
 * @iotlb_lock: see the top of this file
 * @lock: see the top of this file
 * @vdpa: the vDPA device; NULL once removed
 * @nvqs: number of virtqueues
 * @nas: number of address spaces
 * @vqs: @nvqs virtqueues
 * @as: @nas address spaces, each created on the first mapping into it
 * @opened: a file has it open (the open is exclusive)
 * @owner: the mm that did VHOST_SET_OWNER (mmgrab'ed), or NULL
 * @backend_features: VHOST_BACKEND_F_* bits acked
 * @in_batch: between IOTLB BATCH_BEGIN and BATCH_END
 * @suspended: VHOST_VDPA_SUSPEND succeeded and no RESUME or reset since
 * @config_call: the config interrupt eventfd, or NULL
 * @doorbell_sem: see the top of this file
 * @mapping: the open file's address space, where its doorbell mappings
 *	are; they are zapped when the device goes
 * @log: the vhost dirty log
 * @no_log_all: VHOST_F_LOG_ALL is not offered (sysfs log_all = 0)
 * @domain: the platform IOMMU's translation, for parents without one
 * @va: the parent translates user addresses (use_va, VA mode): entries
 *	are file-backed user ranges, nothing is pinned
 */
struct vhost_vdpa {
	struct device dev;
	struct cdev cdev;
	int minor;
	struct mutex iotlb_lock;	/* IOTLB messages, see top of file */
	struct mutex lock;	/* everything here, see top of file */
	struct vdpa_device *vdpa;
	u32 nvqs;
	u32 nas;
	struct vhost_vdpa_vq *vqs;
	struct vhost_vdpa_as *as;
	bool opened;
	struct mm_struct *owner;
	u64 backend_features;
	bool in_batch;
	bool suspended;
	struct vhost_vdpa_call __rcu *config_call;
	struct rw_semaphore doorbell_sem;	/* @vdpa for mmap, see top */
	struct address_space *mapping;
	struct vhost_vdpa_log log;
	bool no_log_all;
	struct vhost_vdpa_domain domain;
	bool va;
};

/* vdpa_iotlb.c: address spaces, pinning and IOTLB messages */
int vhost_vdpa_iotlb_init(struct vhost_vdpa *v);
void vhost_vdpa_iotlb_free(struct vhost_vdpa *v);
int vhost_vdpa_iotlb_read_msg(struct iov_iter *from, u32 *asid, struct vhost_iotlb_msg *msg);
int vhost_vdpa_iotlb_write(struct vhost_vdpa *v, u32 asid, const struct vhost_iotlb_msg *msg);
void vhost_vdpa_unmap_all(struct vhost_vdpa *v, bool keep);
int vhost_vdpa_device_map_empty(struct vhost_vdpa *v, u32 asid);
int vhost_vdpa_reset_forget(struct vhost_vdpa *v);
bool vhost_vdpa_backend_has(const struct vhost_vdpa *v, unsigned int bit);

/*
 * vdpa_dirty_bitmap.c: dirty-log reports written into user bitmaps.
 * Bitmap pages pinned per report window at most (unless one tracking page
 * needs more): 2 MiB of bitmap, 64 GiB of IOVA in 4 KiB report pages.
 */
#define VHOST_VDPA_BITMAP_WINDOW_PAGES 512
int vhost_vdpa_bitmap_fill(u64 __user *bitmap, u64 iova, u64 length, u64 page_size,
			   u64 track_page,
			   int (*report)(void *arg, u64 iova, u64 length,
					 struct vdpa_dirty_sink *sink),
			   void *arg, bool *touched);

/* vdpa_dirty.c: device dirty-page tracking, the VHOST_VDPA_DIRTY_LOG_* ioctls */
bool vhost_vdpa_dirty_offered(struct vhost_vdpa *v);
bool vhost_vdpa_dirty_active(struct vhost_vdpa *v, bool started);
void vhost_vdpa_dirty_release(struct vhost_vdpa *v);
void vhost_vdpa_dirty_mapped(struct vhost_vdpa *v, u32 asid, u64 start, u64 last, u8 perm);
long vhost_vdpa_dirty_ioctl(struct vhost_vdpa *v, unsigned int cmd, void __user *arg);
void vhost_vdpa_dirty_end(struct vhost_vdpa *v, u32 asid);
int vhost_vdpa_dirty_begin(struct vhost_vdpa *v, u32 asid, struct vdpa_dirty_range *r, u32 n,
			   u64 hint, bool log, u64 *page);
int vhost_vdpa_dirty_fill(struct vhost_vdpa *v, u32 asid, struct vhost_vdpa_dirty *d,
			  u64 page, u64 __user *bitmap, u64 length);

/* vdpa_domain.c: translation through the platform IOMMU */
int vhost_vdpa_domain_usable(struct vdpa_device *vdpa);
int vhost_vdpa_domain_attach(struct vhost_vdpa *v);
bool vhost_vdpa_domain_detach(struct vhost_vdpa *v);
void vhost_vdpa_domain_reset(struct vhost_vdpa *v);
int vhost_vdpa_domain_map(struct vhost_vdpa *v, u64 iova, u64 size, u64 pa, u32 perm);
int vhost_vdpa_domain_unmap(struct vhost_vdpa *v, u64 iova, u64 size);
struct vdpa_iova_range vhost_vdpa_domain_range(struct vhost_vdpa *v);
bool vhost_vdpa_domain_allows(struct vhost_vdpa *v, u64 iova, u64 last);

/* vdpa_log.c: the vhost dirty log (VHOST_F_LOG_ALL, VHOST_SET_LOG_BASE) */
void vhost_vdpa_log_init(struct vhost_vdpa *v);
void vhost_vdpa_log_destroy(struct vhost_vdpa *v);
bool vhost_vdpa_log_offered(struct vhost_vdpa *v);
int vhost_vdpa_log_set_base(struct vhost_vdpa *v, u64 base);
void vhost_vdpa_log_enable(struct vhost_vdpa *v);
void vhost_vdpa_log_disable(struct vhost_vdpa *v);
void vhost_vdpa_log_flush(struct vhost_vdpa *v, bool rescan);
void vhost_vdpa_log_release(struct vhost_vdpa *v);
void vhost_vdpa_log_stop_sync(struct vhost_vdpa *v);

#endif /* _VHOST_VDPA_H */
