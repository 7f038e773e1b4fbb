/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vhost-vdpa uAPI calls a userspace VMM makes, shared by the test
 * client (vhost_vdpa_test.c) and the benchmark client
 * (tests/bench/vdpa_bench.c). Each returns 0 or -errno.
 */
#ifndef VHOST_CLIENT_H
#define VHOST_CLIENT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "../../include/uapi/linux/vhost_vdpa_dirty.h"

/* uAPI numbers newer than the distro's headers (Linux 6.12 values). */
#ifndef VHOST_BACKEND_F_RESUME
#define VHOST_BACKEND_F_RESUME 0x5
#endif
#ifndef VHOST_BACKEND_F_DESC_ASID
#define VHOST_BACKEND_F_DESC_ASID 0x7
#endif
#ifndef VHOST_BACKEND_F_IOTLB_PERSIST
#define VHOST_BACKEND_F_IOTLB_PERSIST 0x8
#endif
#ifndef VHOST_VDPA_RESUME
#define VHOST_VDPA_RESUME _IO(VHOST_VIRTIO, 0x7E)
#endif
#ifndef VHOST_VDPA_GET_VRING_DESC_GROUP
#define VHOST_VDPA_GET_VRING_DESC_GROUP _IOWR(VHOST_VIRTIO, 0x7F, struct vhost_vring_state)
#endif
#ifndef VHOST_VDPA_GET_VRING_SIZE
#define VHOST_VDPA_GET_VRING_SIZE _IOWR(VHOST_VIRTIO, 0x82, struct vhost_vring_state)
#endif

/* ioctl returning -errno, so callers compare one value. */
static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int iotlb_msg(int fd, __u32 asid, __u8 type, __u64 iova,
			    __u64 size, __u64 uaddr, __u8 perm)
{
	struct vhost_msg_v2 msg = {
		.type = VHOST_IOTLB_MSG_V2,
		.asid = asid,
		.iotlb = {
			.iova = iova, .size = size, .uaddr = uaddr,
			.perm = perm, .type = type,
		},
	};
	ssize_t n = write(fd, &msg, sizeof(msg));

	if (n < 0)
		return -errno;
	return n == sizeof(msg) ? 0 : -EIO;
}

static inline int map(int fd, __u32 asid, __u64 iova, __u64 size, void *p,
		      __u8 perm)
{
	return iotlb_msg(fd, asid, VHOST_IOTLB_UPDATE, iova, size,
			 (uintptr_t)p, perm);
}

static inline int unmap(int fd, __u32 asid, __u64 iova, __u64 size)
{
	return iotlb_msg(fd, asid, VHOST_IOTLB_INVALIDATE, iova, size, 0, 0);
}

static inline int batch(int fd, bool begin)
{
	return iotlb_msg(fd, 0, begin ? VHOST_IOTLB_BATCH_BEGIN :
			 VHOST_IOTLB_BATCH_END, 0, 0, 0, 0);
}

static inline int set_status(int fd, __u8 status)
{
	return xioctl(fd, VHOST_VDPA_SET_STATUS, &status);
}

static inline __u8 get_status(int fd)
{
	__u8 status = 0xff;

	ioctl(fd, VHOST_VDPA_GET_STATUS, &status);
	return status;
}

/* The dirty log of include/uapi/linux/vhost_vdpa_dirty.h (ours only). */
static inline int dirty_start(int fd, __u32 asid, const struct vhost_vdpa_dirty_range *r,
			      __u32 n, __u64 *page_size)
{
	struct vhost_vdpa_dirty_start st = {
		.size = sizeof(st), .asid = asid, .nranges = n, .page_size = *page_size,
		.ranges = (uintptr_t)r,
	};
	int err = xioctl(fd, VHOST_VDPA_DIRTY_LOG_START, &st);

	*page_size = st.page_size;
	return err;
}

static inline int dirty_stop(int fd, __u32 asid)
{
	struct vhost_vdpa_dirty_stop st = { .size = sizeof(st), .asid = asid };

	return xioctl(fd, VHOST_VDPA_DIRTY_LOG_STOP, &st);
}

static inline int dirty_report_asid(int fd, __u32 asid, __u64 iova, __u64 length,
				    __u64 page_size, __u64 *bitmap, __u32 flags)
{
	struct vhost_vdpa_dirty_report rp = {
		.size = sizeof(rp), .flags = flags, .asid = asid, .iova = iova,
		.length = length, .page_size = page_size, .bitmap = (uintptr_t)bitmap,
	};

	return xioctl(fd, VHOST_VDPA_DIRTY_LOG_REPORT, &rp);
}

static inline int dirty_report(int fd, __u64 iova, __u64 length, __u64 page_size,
			       __u64 *bitmap, __u32 flags)
{
	return dirty_report_asid(fd, 0, iova, length, page_size, bitmap, flags);
}

#endif /* VHOST_CLIENT_H */
