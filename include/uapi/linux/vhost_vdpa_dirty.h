/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Device dirty-page tracking (DMA logging) on /dev/vhost-vdpa-N.
 *
 * Offered through bit VHOST_BACKEND_F_DIRTY_LOG of VHOST_GET_BACKEND_FEATURES
 * when the parent can track the pages its device writes; the ioctls below
 * answer ENOTTY until the bit is acked with VHOST_SET_BACKEND_FEATURES.
 * Documentation/dirty-log.rst describes the calls,
 * their errors and an example.
 *
 * Every structure starts with @size, the caller's sizeof (a larger one is
 * accepted when the extra bytes are zero), and @flags (unknown bits:
 * EINVAL).
 */
#ifndef _UAPI_LINUX_VHOST_VDPA_DIRTY_H
#define _UAPI_LINUX_VHOST_VDPA_DIRTY_H

#include <linux/types.h>
#include <linux/vhost.h>

/* Bit 48 of VHOST_GET_BACKEND_FEATURES / VHOST_SET_BACKEND_FEATURES. */
#define VHOST_BACKEND_F_DIRTY_LOG 0x30

/**
 * struct vhost_vdpa_dirty_range - an IOVA range to track
 * @iova: first byte
 * @length: bytes
 */
struct vhost_vdpa_dirty_range {
	__aligned_u64 iova;
	__aligned_u64 length;
};

/**
 * struct vhost_vdpa_dirty_caps - what the device can track
 * @size: sizeof(struct vhost_vdpa_dirty_caps)
 * @flags: out: VHOST_VDPA_DIRTY_CAP_*
 * @page_sizes: bit n set: 2^n bytes can be a tracking page
 * @max_ranges: ranges tracked without combining
 * @max_start_ranges: most ranges START takes (E2BIG above); at least 256
 * @max_span: largest total length of the ranges after combining; 0: no
 *	limit
 * @max_trackers: address spaces tracked at once
 * @reserved: 0
 */
struct vhost_vdpa_dirty_caps {
	__u32 size;
	__u32 flags;
	__aligned_u64 page_sizes;
	__u32 max_ranges;
	__u32 max_start_ranges;
	__aligned_u64 max_span;
	__u32 max_trackers;
	__u32 reserved;
};

/* REPORT may leave the log as it is (VHOST_VDPA_DIRTY_REPORT_NO_CLEAR). */
#define VHOST_VDPA_DIRTY_CAP_NO_CLEAR	(1u << 0)

/**
 * struct vhost_vdpa_dirty_start - start tracking an address space
 * @size: sizeof(struct vhost_vdpa_dirty_start)
 * @flags: 0
 * @asid: the address space
 * @nranges: entries at @ranges
 * @page_size: in: the tracking page size wanted; out: the one used
 * @ranges: user pointer to @nranges struct vhost_vdpa_dirty_range
 */
struct vhost_vdpa_dirty_start {
	__u32 size;
	__u32 flags;
	__u32 asid;
	__u32 nranges;
	__aligned_u64 page_size;
	__aligned_u64 ranges;
};

/**
 * struct vhost_vdpa_dirty_stop - stop tracking an address space
 * @size: sizeof(struct vhost_vdpa_dirty_stop)
 * @flags: 0
 * @asid: the address space
 * @reserved: 0
 */
struct vhost_vdpa_dirty_stop {
	__u32 size;
	__u32 flags;
	__u32 asid;
	__u32 reserved;
};

/**
 * struct vhost_vdpa_dirty_report - read (and clear) the log of a range
 * @size: sizeof(struct vhost_vdpa_dirty_report)
 * @flags: VHOST_VDPA_DIRTY_REPORT_*
 * @asid: the address space
 * @reserved: 0
 * @iova: first byte of the range
 * @length: bytes in the range
 * @page_size: bit n of the bitmap is the page at @iova + n * @page_size
 * @bitmap: user pointer, 8-byte aligned: __u64 words, bit n % 64 of word
 *	n / 64; bits are only ever set
 */
struct vhost_vdpa_dirty_report {
	__u32 size;
	__u32 flags;
	__u32 asid;
	__u32 reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 bitmap;
};

/* Leave the log as it is (only with VHOST_VDPA_DIRTY_CAP_NO_CLEAR). */
#define VHOST_VDPA_DIRTY_REPORT_NO_CLEAR	(1u << 0)

#define VHOST_VDPA_DIRTY_LOG_CAPS	_IOWR(VHOST_VIRTIO, 0xE0, struct vhost_vdpa_dirty_caps)
#define VHOST_VDPA_DIRTY_LOG_START	_IOWR(VHOST_VIRTIO, 0xE1, struct vhost_vdpa_dirty_start)
#define VHOST_VDPA_DIRTY_LOG_STOP	_IOW(VHOST_VIRTIO, 0xE2, struct vhost_vdpa_dirty_stop)
#define VHOST_VDPA_DIRTY_LOG_REPORT	_IOW(VHOST_VIRTIO, 0xE3, struct vhost_vdpa_dirty_report)

#endif /* _UAPI_LINUX_VHOST_VDPA_DIRTY_H */
