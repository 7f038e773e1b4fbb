// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_vdpa_test: a small VMM against /dev/vhost-vdpa-N, printing TAP.
 *
 *   vhost_vdpa_test net /dev/vhost-vdpa-N   every case for a simulated
 *                                           net device (loopback wire)
 *   vhost_vdpa_test blk /dev/vhost-vdpa-N   I/O cases for a blk device
 *   vhost_vdpa_test session /dev/vhost-vdpa-N  one short net session
 *   vhost_vdpa_test pktloop IFNAME          frames come back on a kernel
 *                                           netdev (virtio_net, loopback)
 *   vhost_vdpa_test mapfail /dev/vhost-vdpa-N  arms the simulator's
 *                                           fail_map ($FAIL_MAP, its debugfs
 *                                           directory) for one failure: the
 *                                           next UPDATE fails whole
 *   vhost_vdpa_test hold /dev/vhost-vdpa-N  map memory, run traffic, print
 *                                           "ready", wait for a line on
 *                                           stdin (the device is removed
 *                                           meanwhile), then check that
 *                                           the file fails cleanly and the
 *                                           pins are gone
 *
 * Each case opens the device itself, so a failing case leaves nothing
 * behind for the next one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <linux/vhost.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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
#ifndef VHOST_VDPA_GET_VRING_SIZE
#define VHOST_VDPA_GET_VRING_SIZE _IOWR(VHOST_VIRTIO, 0x82, struct vhost_vring_state)
#endif

#define PAGE 4096UL
#define QSZ 64
#define IOVA_BASE 0x40000000ULL
#define AREA_SIZE (64 * PAGE)
#define NET_HDR 12	/* struct virtio_net_hdr_v1 */
#define NET_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM))
#define BIT(n) (1ULL << (n))

/* ---- TAP ---- */

static int tap_count, tap_failed;
static char tap_why[256];

static void fail_why(const char *fmt, ...)
{
	va_list ap;

	if (tap_why[0])
		return;	/* the first reason is the interesting one */
	va_start(ap, fmt);
	vsnprintf(tap_why, sizeof(tap_why), fmt, ap);
	va_end(ap);
}

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fail_why(__VA_ARGS__);					\
		return false;						\
	}								\
} while (0)

/* In a case with an "out:" label: fail unless @expr returns -@err (0: success). */
#define EXPECT_ERR(expr, err) do {					\
	int __r = (expr);						\
	if (__r != -(err)) {						\
		fail_why("%s: %d, expected %d", #expr, __r, -(err));	\
		goto out;						\
	}								\
} while (0)

static void run(const char *name, bool (*fn)(void))
{
	bool ok;

	tap_why[0] = 0;
	ok = fn();
	tap_count++;
	if (ok) {
		printf("ok %d - %s\n", tap_count, name);
	} else {
		tap_failed++;
		printf("not ok %d - %s # %s\n", tap_count, name, tap_why);
	}
	fflush(stdout);
}

/* ---- the device and the driver's view of it ---- */

static const char *dev_path;

struct ring {
	uint64_t off;		/* of the ring page in the area */
	uint16_t avail;		/* buffers made available */
	uint16_t used_seen;
	int kick, call;
	/* packed: */
	bool wrap;		/* driver's wrap counter */
	uint16_t next;		/* next descriptor slot to fill */
	uint16_t upos;		/* next slot the device writes a used buffer in */
	bool uwrap;		/* device's wrap counter at upos */
	uint16_t chain[QSZ];	/* descriptors per buffer id */
};

struct vdev {
	int fd;
	uint8_t *area;
	uint64_t iova;
	bool packed;
	struct ring q[3];
	int nq;
};

static long vmpin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int dev_open(void)
{
	return open(dev_path, O_RDWR);
}

/* ioctl returning -errno, so checks can compare one value. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int iotlb_msg(int fd, uint32_t asid, uint8_t type, uint64_t iova, uint64_t size,
		     uint64_t uaddr, uint8_t perm)
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

static int map(int fd, uint32_t asid, uint64_t iova, uint64_t size, void *p, uint8_t perm)
{
	return iotlb_msg(fd, asid, VHOST_IOTLB_UPDATE, iova, size, (uintptr_t)p, perm);
}

static int unmap(int fd, uint32_t asid, uint64_t iova, uint64_t size)
{
	return iotlb_msg(fd, asid, VHOST_IOTLB_INVALIDATE, iova, size, 0, 0);
}

static int set_status(int fd, uint8_t status)
{
	return xioctl(fd, VHOST_VDPA_SET_STATUS, &status);
}

static uint8_t get_status(int fd)
{
	uint8_t status = 0xff;

	ioctl(fd, VHOST_VDPA_GET_STATUS, &status);
	return status;
}

static uint64_t qiova(struct vdev *d, int q, uint64_t off)
{
	return d->iova + d->q[q].off + off;
}

static void *qva(struct vdev *d, int q, uint64_t off)
{
	return d->area + d->q[q].off + off;
}

/* Split layout in a queue's 4 pages: descriptors, avail at +0x1000, used at +0x2000. */
#define DESC_OFF 0
#define AVAIL_OFF 0x1000
#define USED_OFF 0x2000

/* Bring the device up: features, rings, memory (unless !do_map), DRIVER_OK. */
static bool dev_start(struct vdev *d, uint64_t features, uint64_t backend, bool do_map)
{
	uint8_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	int q, err;

	CHECK(!xioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &backend), "SET_BACKEND_FEATURES");
	CHECK(!set_status(d->fd, status), "SET_STATUS driver");
	CHECK(!xioctl(d->fd, VHOST_SET_FEATURES, &features), "SET_FEATURES");
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	CHECK(!set_status(d->fd, status), "SET_STATUS features_ok");
	CHECK(get_status(d->fd) & VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK did not stick");
	d->packed = features & BIT(VIRTIO_F_RING_PACKED);
	for (q = 0; q < d->nq; q++) {
		struct vhost_vring_state num = { .index = q, .num = QSZ };
		struct vhost_vring_state base = { .index = q, .num = d->packed ? 1 << 15 | 1u << 31 : 0 };
		struct vhost_vring_addr addr = {
			.index = q,
			.desc_user_addr = qiova(d, q, DESC_OFF),
			.avail_user_addr = qiova(d, q, AVAIL_OFF),
			.used_user_addr = qiova(d, q, USED_OFF),
		};
		struct vhost_vring_file kick = { .index = q }, call = { .index = q };

		memset(qva(d, q, 0), 0, 4 * PAGE);
		d->q[q].avail = d->q[q].used_seen = 0;
		d->q[q].wrap = true;
		d->q[q].next = 0;
		d->q[q].upos = 0;
		d->q[q].uwrap = true;
		kick.fd = d->q[q].kick;
		call.fd = d->q[q].call;
		CHECK(!xioctl(d->fd, VHOST_SET_VRING_NUM, &num), "SET_VRING_NUM %d", q);
		CHECK(!xioctl(d->fd, VHOST_SET_VRING_BASE, &base), "SET_VRING_BASE %d", q);
		CHECK(!xioctl(d->fd, VHOST_SET_VRING_ADDR, &addr), "SET_VRING_ADDR %d", q);
		CHECK(!xioctl(d->fd, VHOST_SET_VRING_KICK, &kick), "SET_VRING_KICK %d", q);
		CHECK(!xioctl(d->fd, VHOST_SET_VRING_CALL, &call), "SET_VRING_CALL %d", q);
	}
	if (do_map) {
		CHECK(!iotlb_msg(d->fd, 0, VHOST_IOTLB_BATCH_BEGIN, 0, 0, 0, 0), "BATCH_BEGIN");
		err = map(d->fd, 0, d->iova, AREA_SIZE, d->area, VHOST_ACCESS_RW);
		CHECK(!err, "map: %s", strerror(-err));
		CHECK(!iotlb_msg(d->fd, 0, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0), "BATCH_END");
	}
	for (q = 0; q < d->nq; q++) {
		struct vhost_vring_state en = { .index = q, .num = 1 };

		CHECK(!xioctl(d->fd, VHOST_VDPA_SET_VRING_ENABLE, &en), "ENABLE %d", q);
	}
	CHECK(!set_status(d->fd, status | VIRTIO_CONFIG_S_DRIVER_OK), "DRIVER_OK");
	return true;
}

/* Open, own, and lay out the rings (queue q in pages 4q..4q+3, buffers after). */
static bool dev_init(struct vdev *d, int nq)
{
	int q;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->nq = nq;
	d->iova = IOVA_BASE;
	d->area = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(d->area != MAP_FAILED, "mmap");
	for (q = 0; q < nq; q++) {
		d->q[q].off = q * 4 * PAGE;
		d->q[q].kick = eventfd(0, EFD_NONBLOCK);
		d->q[q].call = eventfd(0, EFD_NONBLOCK);
	}
	d->fd = dev_open();
	CHECK(d->fd >= 0, "open %s: %s", dev_path, strerror(errno));
	CHECK(!xioctl(d->fd, VHOST_SET_OWNER, NULL), "SET_OWNER");
	return true;
}

static void dev_fini(struct vdev *d)
{
	int q;

	if (d->fd >= 0)
		close(d->fd);
	for (q = 0; q < d->nq; q++) {
		close(d->q[q].kick);
		close(d->q[q].call);
	}
	if (d->area && d->area != MAP_FAILED)
		munmap(d->area, AREA_SIZE);
	d->fd = -1;
}

static uint8_t *buf_va(struct vdev *d, int n)
{
	return d->area + (16 + n) * PAGE;
}

static uint64_t buf_iova(struct vdev *d, int n)
{
	return d->iova + (16 + n) * PAGE;
}

/* Offer a buffer: device-readable [out, out_len), then device-writable [in, in_len). */
static void ring_add(struct vdev *d, int q, uint64_t out, uint32_t out_len, uint64_t in,
		     uint32_t in_len)
{
	struct ring *r = &d->q[q];
	struct vring_desc *desc = qva(d, q, DESC_OFF);
	uint16_t n = out_len && in_len ? 2 : 1;

	if (d->packed) {
		struct vring_packed_desc *pd = qva(d, q, DESC_OFF);
		uint16_t first = r->next, flags, i;
		uint16_t avail = r->wrap ? 1 << VRING_PACKED_DESC_F_AVAIL : 1 << VRING_PACKED_DESC_F_USED;
		uint16_t first_flags = 0;

		for (i = 0; i < n; i++) {
			bool is_out = out_len && i == 0;

			pd[r->next].addr = is_out ? out : in;
			pd[r->next].len = is_out ? out_len : in_len;
			pd[r->next].id = first;
			flags = avail | (is_out ? 0 : VRING_DESC_F_WRITE) |
				(i + 1 < n ? VRING_DESC_F_NEXT : 0);
			if (i == 0)
				first_flags = flags;
			else
				pd[r->next].flags = flags;
			if (++r->next == QSZ) {
				r->next = 0;
				r->wrap = !r->wrap;
				avail = r->wrap ? 1 << VRING_PACKED_DESC_F_AVAIL :
						  1 << VRING_PACKED_DESC_F_USED;
			}
		}
		r->chain[first] = n;
		/* The head's flags last: they make the chain available. */
		__atomic_store_n(&pd[first].flags, first_flags, __ATOMIC_RELEASE);
		r->avail++;
		return;
	}

	{
		struct vring_avail *av = qva(d, q, AVAIL_OFF);
		uint16_t head = (r->avail * 2) % QSZ, i = head;

		if (out_len) {
			desc[i].addr = out;
			desc[i].len = out_len;
			desc[i].flags = in_len ? VRING_DESC_F_NEXT : 0;
			desc[i].next = i + 1;
			i++;
		}
		if (in_len) {
			desc[i].addr = in;
			desc[i].len = in_len;
			desc[i].flags = VRING_DESC_F_WRITE;
		}
		av->ring[r->avail % QSZ] = head;
		r->avail++;
		__atomic_store_n(&av->idx, r->avail, __ATOMIC_RELEASE);
	}
}

static void ring_kick(struct vdev *d, int q)
{
	uint64_t one = 1;

	if (write(d->q[q].kick, &one, sizeof(one)) != sizeof(one))
		perror("kick");
}

/* Buffers the device has returned so far. */
static uint16_t ring_used(struct vdev *d, int q)
{
	struct ring *r = &d->q[q];

	if (d->packed) {
		struct vring_packed_desc *pd = qva(d, q, DESC_OFF);
		uint16_t flags, id;
		bool avail, used;

		while (r->used_seen != r->avail) {
			flags = __atomic_load_n(&pd[r->upos].flags, __ATOMIC_ACQUIRE);
			avail = flags & (1 << VRING_PACKED_DESC_F_AVAIL);
			used = flags & (1 << VRING_PACKED_DESC_F_USED);
			if (avail != used || used != r->uwrap)
				break;
			id = pd[r->upos].id;
			r->used_seen++;
			r->upos += id < QSZ && r->chain[id] ? r->chain[id] : 1;
			if (r->upos >= QSZ) {
				r->upos -= QSZ;
				r->uwrap = !r->uwrap;
			}
		}
		return r->used_seen;
	}
	{
		struct vring_used *u = qva(d, q, USED_OFF);

		r->used_seen = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
		return r->used_seen;
	}
}

static bool ring_wait(struct vdev *d, int q, uint16_t want)
{
	int i;

	for (i = 0; i < 400; i++) {
		if (ring_used(d, q) == want)
			return true;
		usleep(5000);
	}
	return false;
}

/* ---- net datapath ---- */

static void net_send(struct vdev *d, uint8_t seed, int len)
{
	uint8_t *tx = buf_va(d, 1);
	int i;

	memset(tx, 0, NET_HDR);
	for (i = 0; i < len; i++)
		tx[NET_HDR + i] = seed + i;
	memset(buf_va(d, 0), 0xee, PAGE);
	ring_add(d, 0, 0, 0, buf_iova(d, 0), PAGE);
	ring_add(d, 1, buf_iova(d, 1), NET_HDR + len, 0, 0);
	ring_kick(d, 0);
	ring_kick(d, 1);
}

static bool net_expect(struct vdev *d, uint8_t seed, int len)
{
	uint8_t *rx = buf_va(d, 0);
	int i;

	CHECK(ring_wait(d, 0, d->q[0].avail), "no frame received (status 0x%x)",
	      get_status(d->fd));
	for (i = 0; i < len; i++)
		CHECK(rx[NET_HDR + i] == (uint8_t)(seed + i), "payload differs at byte %d", i);
	return true;
}

/* ---- cases ---- */

/* The device answers the identity queries as a net simulator does. */
static bool t_queries(void)
{
	struct vhost_vring_state s = { .index = 2 };
	struct vhost_vdpa_iova_range range;
	uint64_t backend, expect;
	uint32_t u32;
	uint16_t u16;
	unsigned int as;
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 3))
		goto out;
	if (xioctl(d.fd, VHOST_VDPA_GET_DEVICE_ID, &u32) || u32 != 1) {
		fail_why("device id %u", u32);
		goto out;
	}
	expect = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH) |
		 BIT(VHOST_BACKEND_F_IOTLB_ASID) | BIT(VHOST_BACKEND_F_SUSPEND) |
		 BIT(VHOST_BACKEND_F_RESUME) | BIT(VHOST_BACKEND_F_IOTLB_PERSIST);
	if (xioctl(d.fd, VHOST_GET_BACKEND_FEATURES, &backend) || backend != expect) {
		fail_why("backend features 0x%llx, expected 0x%llx",
			 (unsigned long long)backend, (unsigned long long)expect);
		goto out;
	}
	if (xioctl(d.fd, VHOST_VDPA_GET_VQS_COUNT, &u32) || u32 != 3 ||
	    xioctl(d.fd, VHOST_VDPA_GET_GROUP_NUM, &u32) || u32 != 2 ||
	    xioctl(d.fd, VHOST_VDPA_GET_AS_NUM, &as) || as != 2 ||
	    xioctl(d.fd, VHOST_VDPA_GET_VRING_GROUP, &s) || s.num != 1 ||
	    xioctl(d.fd, VHOST_VDPA_GET_VRING_NUM, &u16) || u16 != 256 ||
	    xioctl(d.fd, VHOST_VDPA_GET_CONFIG_SIZE, &u32) ||
	    u32 != sizeof(struct virtio_net_config) ||
	    xioctl(d.fd, VHOST_VDPA_GET_IOVA_RANGE, &range) || range.first ||
	    range.last != UINT64_MAX) {
		fail_why("a query answered wrong");
		goto out;
	}
	s.index = 0;
	if (xioctl(d.fd, VHOST_VDPA_GET_VRING_SIZE, &s) || s.num != 256) {
		fail_why("vring size %u", s.num);
		goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/* One file at a time. */
static bool t_exclusive(void)
{
	int a = dev_open(), b = dev_open(), err = errno;

	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	CHECK(a >= 0, "first open failed");
	CHECK(b < 0 && err == EBUSY, "second open: %d (%s)", b, strerror(err));
	b = dev_open();
	CHECK(b >= 0, "open after close failed");
	close(b);
	return true;
}

/* Every bad ioctl argument is refused with the documented errno. */
static bool t_ioctl_errors(void)
{
	struct vhost_vring_state s;
	struct vhost_vring_addr a = { .index = 0, .flags = 1 };
	struct {
		struct vhost_vdpa_config hdr;
		uint8_t buf[64];
	} cfg;
	uint64_t f;
	uint8_t status;
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 3))
		goto out;
	s = (struct vhost_vring_state){ .index = 0, .num = 0 };
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_VRING_NUM, &s), EINVAL);
	s.num = 48;
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_VRING_NUM, &s), EINVAL);
	s.num = 512;
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_VRING_NUM, &s), EINVAL);
	s = (struct vhost_vring_state){ .index = 3, .num = 64 };
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_VRING_NUM, &s), ENOBUFS);
	s.index = 0xffffffff;
	EXPECT_ERR(xioctl(d.fd, VHOST_VDPA_SET_VRING_ENABLE, &s), ENOBUFS);
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_VRING_ADDR, &a), EOPNOTSUPP);
	s = (struct vhost_vring_state){ .index = 0, .num = 0x10000 };
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_VRING_BASE, &s), EINVAL);
	cfg.hdr.off = sizeof(struct virtio_net_config) - 2;
	cfg.hdr.len = 4;
	EXPECT_ERR(xioctl(d.fd, VHOST_VDPA_GET_CONFIG, &cfg), EINVAL);
	cfg.hdr.off = 0xffffffff;
	cfg.hdr.len = 2;
	EXPECT_ERR(xioctl(d.fd, VHOST_VDPA_SET_CONFIG, &cfg), EINVAL);
	cfg.hdr.off = 0;
	cfg.hdr.len = 6;
	EXPECT_ERR(xioctl(d.fd, VHOST_VDPA_GET_CONFIG, &cfg), 0);
	f = BIT(63);
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &f), EOPNOTSUPP);
	f = BIT(VHOST_BACKEND_F_DESC_ASID);
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &f), EOPNOTSUPP);
	f = BIT(63);
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_FEATURES, &f), EINVAL);
	s = (struct vhost_vring_state){ .index = 2, .num = 0 };
	EXPECT_ERR(xioctl(d.fd, VHOST_VDPA_SET_GROUP_ASID, &s), EINVAL);
	s = (struct vhost_vring_state){ .index = 1, .num = 2 };
	EXPECT_ERR(xioctl(d.fd, VHOST_VDPA_SET_GROUP_ASID, &s), EINVAL);
	s = (struct vhost_vring_state){ .index = 1, .num = 1 };
	EXPECT_ERR(xioctl(d.fd, VHOST_VDPA_SET_GROUP_ASID, &s), 0);
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_LOG_BASE, &f), ENOTTY);
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_OWNER, NULL), EBUSY);

	status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	EXPECT_ERR(set_status(d.fd, status), 0);
	EXPECT_ERR(set_status(d.fd, VIRTIO_CONFIG_S_ACKNOWLEDGE), EINVAL);
	EXPECT_ERR(set_status(d.fd, status | VIRTIO_CONFIG_S_NEEDS_RESET), EINVAL);
	f = NET_FEATURES;
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_FEATURES, &f), 0);
	EXPECT_ERR(set_status(d.fd, status | VIRTIO_CONFIG_S_FEATURES_OK), 0);
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_FEATURES, &f), EBUSY);
	EXPECT_ERR(set_status(d.fd, 0), 0);
	if (get_status(d.fd) != 0) {
		fail_why("status after reset 0x%x", get_status(d.fd));
		goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/* IOTLB messages: every malformed one refused, nothing pinned by it. */
static bool t_iotlb_errors(void)
{
	long pin0 = vmpin_kb();
	struct vhost_msg_v2 bad = { .type = 7 };
	struct vdev d;
	bool ok = false;
	uint8_t *p;

	if (!dev_init(&d, 3))
		goto out;
	p = d.area;
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, 0, p, VHOST_ACCESS_RW), EINVAL);
	EXPECT_ERR(map(d.fd, 0, UINT64_MAX - PAGE + 1, 2 * PAGE, p, VHOST_ACCESS_RW), EINVAL);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE + 1, PAGE, p, VHOST_ACCESS_RW), EINVAL);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, PAGE + 1, p, VHOST_ACCESS_RW), EINVAL);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, PAGE, p + 1, VHOST_ACCESS_RW), EINVAL);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, PAGE, p, 0), EINVAL);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, PAGE, p, 0x8), EINVAL);
	EXPECT_ERR(map(d.fd, 2, IOVA_BASE, PAGE, p, VHOST_ACCESS_RW), EINVAL);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, PAGE, NULL, VHOST_ACCESS_RW), EFAULT);
	EXPECT_ERR(unmap(d.fd, 0, IOVA_BASE, 0), EINVAL);
	EXPECT_ERR(unmap(d.fd, 0, UINT64_MAX, 2), EINVAL);
	EXPECT_ERR(unmap(d.fd, 5, IOVA_BASE, PAGE), EINVAL);
	if (write(d.fd, &bad, sizeof(bad)) >= 0 || errno != EINVAL) {
		fail_why("unknown message type accepted");
		goto out;
	}
	/* An ASID without IOTLB_ASID acked is an error, not a silent 0. */
	EXPECT_ERR(map(d.fd, 1, IOVA_BASE, PAGE, p, VHOST_ACCESS_RW), EINVAL);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, 4 * PAGE, p, VHOST_ACCESS_RW), 0);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE + 3 * PAGE, 2 * PAGE, p, VHOST_ACCESS_RW), EEXIST);
	if (vmpin_kb() != pin0 + 16) {
		fail_why("VmPin %ld kB, expected %ld", vmpin_kb(), pin0 + 16);
		goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	if (ok && vmpin_kb() != pin0) {
		fail_why("VmPin %ld kB after close, expected %ld", vmpin_kb(), pin0);
		ok = false;
	}
	return ok;
}

/* Only the owner's mm writes IOTLB messages: not before SET_OWNER, not a child. */
static bool t_owner_only(void)
{
	uint8_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = dev_open(), status = -1, r;
	pid_t pid;

	CHECK(fd >= 0, "open");
	r = map(fd, 0, IOVA_BASE, PAGE, p, VHOST_ACCESS_RW);
	if (r != -EPERM) {
		close(fd);
		fail_why("map before SET_OWNER: %d", r);
		return false;
	}
	xioctl(fd, VHOST_SET_OWNER, NULL);
	pid = fork();
	if (!pid)
		_exit(map(fd, 0, IOVA_BASE, PAGE, p, VHOST_ACCESS_RW) == -EPERM ? 0 : 1);
	waitpid(pid, &status, 0);
	close(fd);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "a child's map was not refused");
	return true;
}

/* Frames go round the loopback through mapped memory, byte for byte. */
static bool net_traffic(bool packed)
{
	uint64_t f = NET_FEATURES | (packed ? BIT(VIRTIO_F_RING_PACKED) : 0);
	long pin0 = vmpin_kb();
	struct vdev d;
	bool ok = false;
	int i;

	if (!dev_init(&d, 2) || !dev_start(&d, f, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) |
					   BIT(VHOST_BACKEND_F_IOTLB_BATCH), true))
		goto out;
	if (vmpin_kb() != pin0 + (long)(AREA_SIZE / 1024)) {
		fail_why("VmPin %ld kB while mapped, expected %ld", vmpin_kb(),
			 pin0 + (long)(AREA_SIZE / 1024));
		goto out;
	}
	for (i = 0; i < 80; i++) {
		net_send(&d, i, 60 + i * 17);
		if (!net_expect(&d, i, 60 + i * 17))
			goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	if (ok && vmpin_kb() != pin0) {
		fail_why("VmPin %ld kB after close, expected %ld", vmpin_kb(), pin0);
		ok = false;
	}
	return ok;
}

static bool t_net_split(void)
{
	return net_traffic(false);
}

static bool t_net_packed(void)
{
	return net_traffic(true);
}

/* A device nobody mapped reaches nothing, not even at physical addresses. */
static bool t_unmapped_is_device_error(void)
{
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2), false))
		goto out;
	usleep(100000);
	if (!(get_status(d.fd) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		fail_why("status 0x%x: rings at unmapped IOVAs were accepted", get_status(d.fd));
		goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/*
 * IOTLB_PERSIST: after SET_STATUS 0 the device still reaches the same
 * memory with no remap. Without it, it does not.
 */
static bool persist(bool acked)
{
	uint64_t backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH) |
			   (acked ? BIT(VHOST_BACKEND_F_IOTLB_PERSIST) : 0);
	long pin0 = vmpin_kb(), pinned;
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, backend, true))
		goto out;
	net_send(&d, 1, 100);
	if (!net_expect(&d, 1, 100))
		goto out;
	pinned = vmpin_kb();
	if (set_status(d.fd, 0) || !dev_start(&d, NET_FEATURES, backend, false))
		goto out;
	if (vmpin_kb() != pinned) {
		fail_why("reset changed VmPin: %ld -> %ld kB", pinned, vmpin_kb());
		goto out;
	}
	if (acked) {
		net_send(&d, 2, 200);
		if (!net_expect(&d, 2, 200))
			goto out;
	} else {
		usleep(100000);
		if (!(get_status(d.fd) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
			fail_why("status 0x%x: the old mapping was used", get_status(d.fd));
			goto out;
		}
		/* Pins stay until INVALIDATE. */
		if (unmap(d.fd, 0, d.iova, AREA_SIZE) || vmpin_kb() != pin0) {
			fail_why("VmPin %ld kB after INVALIDATE, expected %ld", vmpin_kb(), pin0);
			goto out;
		}
	}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

static bool t_persist(void)
{
	return persist(true);
}

static bool t_no_persist(void)
{
	return persist(false);
}

/* INVALIDATE: exact, sub-range (splits), unmapped, superset; VmPin follows. */
static bool t_invalidate(void)
{
	long pin0 = vmpin_kb();
	struct vdev d;
	bool ok = false;

	uint64_t backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_ASID);

	if (!dev_init(&d, 2))
		goto out;
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &backend), 0);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW), 0);
	EXPECT_ERR(unmap(d.fd, 0, IOVA_BASE + 2 * PAGE, 2 * PAGE), 0);
	if (vmpin_kb() != pin0 + 24) {
		fail_why("after a middle invalidate VmPin %ld, expected %ld", vmpin_kb(), pin0 + 24);
		goto out;
	}
	/* The halves stay mapped: the range is busy, the hole is free. */
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, PAGE, d.area, VHOST_ACCESS_RW), EEXIST);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE + 7 * PAGE, PAGE, d.area, VHOST_ACCESS_RW), EEXIST);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE + 2 * PAGE, 2 * PAGE, d.area, VHOST_ACCESS_RW), 0);
	EXPECT_ERR(unmap(d.fd, 0, 0x1000000, PAGE), 0);
	EXPECT_ERR(unmap(d.fd, 1, IOVA_BASE, PAGE), 0);
	if (vmpin_kb() != pin0 + 32) {
		fail_why("VmPin %ld, expected %ld", vmpin_kb(), pin0 + 32);
		goto out;
	}
	/* Unaligned: every page it touches goes. */
	EXPECT_ERR(unmap(d.fd, 0, IOVA_BASE + 5 * PAGE + 100, 10), 0);
	if (vmpin_kb() != pin0 + 28) {
		fail_why("VmPin %ld after an unaligned invalidate, expected %ld", vmpin_kb(), pin0 + 28);
		goto out;
	}
	EXPECT_ERR(unmap(d.fd, 0, 0, UINT64_MAX), 0);
	if (vmpin_kb() != pin0) {
		fail_why("VmPin %ld after invalidating everything, expected %ld", vmpin_kb(), pin0);
		goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/* Invalidating part of a mapping leaves the device the rest of it. */
static bool t_invalidate_keeps_rest(void)
{
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2), true))
		goto out;
	net_send(&d, 1, 100);
	if (!net_expect(&d, 1, 100))
		goto out;
	/* Page 40 is neither ring nor buffer. */
	EXPECT_ERR(unmap(d.fd, 0, d.iova + 40 * PAGE, PAGE), 0);
	net_send(&d, 2, 100);
	if (!net_expect(&d, 2, 100))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/* RLIMIT_MEMLOCK: exactly the limit succeeds, one page more fails, nothing charged. */
static bool t_memlock_limit(void)
{
	struct rlimit old, lim;
	long pin0 = vmpin_kb(), limit_pages;
	struct vdev d;
	bool ok = false;

	getrlimit(RLIMIT_MEMLOCK, &old);
	if (!dev_init(&d, 2))
		goto out;
	limit_pages = pin0 / 4 + 8;
	lim.rlim_cur = lim.rlim_max = limit_pages * PAGE;
	if (setrlimit(RLIMIT_MEMLOCK, &lim)) {
		fail_why("setrlimit");
		goto out;
	}
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW), 0);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE + 8 * PAGE, PAGE, d.area + 8 * PAGE,
		       VHOST_ACCESS_RW), ENOMEM);
	if (vmpin_kb() != pin0 + 32) {
		fail_why("VmPin %ld after the refused map, expected %ld", vmpin_kb(), pin0 + 32);
		goto out;
	}
	EXPECT_ERR(unmap(d.fd, 0, IOVA_BASE + 7 * PAGE, PAGE), 0);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE + 8 * PAGE, PAGE, d.area + 8 * PAGE,
		       VHOST_ACCESS_RW), 0);
	/* A batch that remaps what it invalidated (DPDK does) fits the same limit. */
	EXPECT_ERR(iotlb_msg(d.fd, 0, VHOST_IOTLB_BATCH_BEGIN, 0, 0, 0, 0), 0);
	EXPECT_ERR(unmap(d.fd, 0, 0, UINT64_MAX), 0);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW), 0);
	EXPECT_ERR(iotlb_msg(d.fd, 0, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0), 0);
	if (vmpin_kb() != pin0 + 32) {
		fail_why("VmPin %ld after the batch, expected %ld", vmpin_kb(), pin0 + 32);
		goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	setrlimit(RLIMIT_MEMLOCK, &old);
	return ok;
}

/* The same page at two IOVAs and in two ASIDs: charged per mapping, each unmapped alone. */
static bool t_same_page_twice(void)
{
	uint64_t backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_ASID);
	long pin0 = vmpin_kb();
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2))
		goto out;
	EXPECT_ERR(xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &backend), 0);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, PAGE, d.area, VHOST_ACCESS_RW), 0);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE + PAGE, PAGE, d.area, VHOST_ACCESS_RO), 0);
	EXPECT_ERR(map(d.fd, 1, IOVA_BASE, PAGE, d.area, VHOST_ACCESS_RW), 0);
	if (vmpin_kb() != pin0 + 12) {
		fail_why("VmPin %ld, expected %ld", vmpin_kb(), pin0 + 12);
		goto out;
	}
	EXPECT_ERR(unmap(d.fd, 1, IOVA_BASE, PAGE), 0);
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, PAGE, d.area, VHOST_ACCESS_RW), EEXIST);
	if (vmpin_kb() != pin0 + 8) {
		fail_why("VmPin %ld, expected %ld", vmpin_kb(), pin0 + 8);
		goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/* The last close by a non-owner (a child, the owner closed first) unpins the owner's pages. */
static bool t_close_by_child(void)
{
	long pin0 = vmpin_kb();
	int status = -1, i;
	struct vdev d;
	pid_t pid;

	if (!dev_init(&d, 2))
		return false;
	if (map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW)) {
		dev_fini(&d);
		fail_why("map");
		return false;
	}
	pid = fork();
	if (!pid) {
		usleep(200000);
		close(d.fd);
		_exit(0);
	}
	close(d.fd);
	d.fd = -1;
	CHECK(vmpin_kb() == pin0 + 32, "VmPin %ld while the child holds the file", vmpin_kb());
	waitpid(pid, &status, 0);
	for (i = 0; i < 100 && vmpin_kb() != pin0; i++)
		usleep(10000);
	dev_fini(&d);
	CHECK(vmpin_kb() == pin0, "VmPin %ld after the child's close, expected %ld", vmpin_kb(), pin0);
	return true;
}

/* Mappings from memfd (shared) and hugetlbfs memory carry traffic too. */
static bool traffic_on(void *mem)
{
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2))
		goto out;
	munmap(d.area, AREA_SIZE);
	d.area = mem;
	if (!dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) |
		       BIT(VHOST_BACKEND_F_IOTLB_BATCH), true))
		goto out;
	net_send(&d, 9, 1000);
	ok = net_expect(&d, 9, 1000);
out:
	d.area = NULL;
	dev_fini(&d);
	return ok;
}

static bool t_memfd(void)
{
	int mfd = memfd_create("vhost-vdpa-test", 0);
	void *p;
	bool ok;

	CHECK(mfd >= 0 && !ftruncate(mfd, AREA_SIZE), "memfd");
	p = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, mfd, 0);
	close(mfd);
	CHECK(p != MAP_FAILED, "mmap memfd");
	ok = traffic_on(p);
	munmap(p, AREA_SIZE);
	return ok;
}

static bool t_hugetlb(void)
{
	size_t len = 2UL << 20;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	bool ok;

	CHECK(p != MAP_FAILED, "no 2M hugepage (vm.nr_hugepages)");
	ok = traffic_on(p);
	munmap(p, len);
	return ok;
}

/* SUSPEND stops the device; the ring base is final; RESUME carries on. */
static bool t_suspend_resume(void)
{
	uint64_t backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH) |
			   BIT(VHOST_BACKEND_F_SUSPEND) | BIT(VHOST_BACKEND_F_RESUME);
	struct vhost_vring_state base = { .index = 1 };
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, backend, true))
		goto out;
	net_send(&d, 1, 64);
	if (!net_expect(&d, 1, 64))
		goto out;
	EXPECT_ERR(xioctl(d.fd, VHOST_VDPA_SUSPEND, NULL), 0);
	net_send(&d, 2, 64);
	usleep(100000);
	EXPECT_ERR(xioctl(d.fd, VHOST_GET_VRING_BASE, &base), 0);
	if (base.num != 1 || ring_used(&d, 0) != 1) {
		fail_why("suspended device moved: base %u used %u", base.num, ring_used(&d, 0));
		goto out;
	}
	EXPECT_ERR(xioctl(d.fd, VHOST_VDPA_RESUME, NULL), 0);
	if (!net_expect(&d, 2, 64))
		goto out;
	EXPECT_ERR(xioctl(d.fd, VHOST_GET_VRING_BASE, &base), 0);
	if (base.num != 2) {
		fail_why("base %u after resume", base.num);
		goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/* Many open/map/traffic/close rounds leave nothing behind. */
static bool t_reopen_loop(void)
{
	long pin0 = vmpin_kb();
	int i;

	for (i = 0; i < 20; i++)
		CHECK(net_traffic(i & 1), "round %d", i);
	CHECK(vmpin_kb() == pin0, "VmPin %ld, expected %ld", vmpin_kb(), pin0);
	return true;
}

/* ---- blk ---- */

static bool t_blk_io(void)
{
	uint64_t f = NET_FEATURES | BIT(VIRTIO_BLK_F_FLUSH);
	struct virtio_blk_outhdr *hdr;
	uint8_t *data, *status;
	struct vdev d;
	bool ok = false;
	int i, round;

	if (!dev_init(&d, 1) || !dev_start(&d, f, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) |
					   BIT(VHOST_BACKEND_F_IOTLB_BATCH), true))
		goto out;
	hdr = (void *)buf_va(&d, 0);
	data = buf_va(&d, 1);
	status = buf_va(&d, 3);
	for (round = 0; round < 2; round++) {
		bool write = round == 0;

		hdr->type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
		hdr->sector = 64;
		for (i = 0; i < 2 * (int)PAGE; i++)
			data[i] = write ? (uint8_t)(i * 13 + 1) : 0;
		*status = 0xff;
		if (write) {
			struct vring_desc *desc = qva(&d, 0, DESC_OFF);
			struct vring_avail *av = qva(&d, 0, AVAIL_OFF);
			uint16_t head = (d.q[0].avail * 3) % QSZ;

			/* header, data (out), status (in): three descriptors */
			desc[head] = (struct vring_desc){ buf_iova(&d, 0), sizeof(*hdr),
							  VRING_DESC_F_NEXT, head + 1 };
			desc[head + 1] = (struct vring_desc){ buf_iova(&d, 1), 2 * PAGE,
							      VRING_DESC_F_NEXT, head + 2 };
			desc[head + 2] = (struct vring_desc){ buf_iova(&d, 3), 1,
							      VRING_DESC_F_WRITE, 0 };
			av->ring[d.q[0].avail % QSZ] = head;
			d.q[0].avail++;
			__atomic_store_n(&av->idx, d.q[0].avail, __ATOMIC_RELEASE);
		} else {
			struct vring_desc *desc = qva(&d, 0, DESC_OFF);
			struct vring_avail *av = qva(&d, 0, AVAIL_OFF);
			uint16_t head = (d.q[0].avail * 3) % QSZ;

			desc[head] = (struct vring_desc){ buf_iova(&d, 0), sizeof(*hdr),
							  VRING_DESC_F_NEXT, head + 1 };
			desc[head + 1] = (struct vring_desc){ buf_iova(&d, 1), 2 * PAGE,
							      VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
							      head + 2 };
			desc[head + 2] = (struct vring_desc){ buf_iova(&d, 3), 1,
							      VRING_DESC_F_WRITE, 0 };
			av->ring[d.q[0].avail % QSZ] = head;
			d.q[0].avail++;
			__atomic_store_n(&av->idx, d.q[0].avail, __ATOMIC_RELEASE);
		}
		ring_kick(&d, 0);
		if (!ring_wait(&d, 0, d.q[0].avail) || *status != VIRTIO_BLK_S_OK) {
			fail_why("%s: status %u", write ? "write" : "read", *status);
			goto out;
		}
	}
	for (i = 0; i < 2 * (int)PAGE; i++)
		if (data[i] != (uint8_t)(i * 13 + 1)) {
			fail_why("read back differs at byte %d", i);
			goto out;
		}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/* ---- removal while open ---- */

static int hold(void)
{
	long pin0 = vmpin_kb();
	char line[16];
	struct vdev d;
	uint8_t st;
	int err;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) |
					   BIT(VHOST_BACKEND_F_IOTLB_BATCH), true)) {
		printf("not ok 1 - hold setup # %s\n", tap_why);
		return 1;
	}
	net_send(&d, 3, 300);
	if (!net_expect(&d, 3, 300)) {
		printf("not ok 1 - hold traffic # %s\n", tap_why);
		return 1;
	}
	printf("ready %ld\n", vmpin_kb() - pin0);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	err = xioctl(d.fd, VHOST_VDPA_GET_STATUS, &st);
	printf("%s 1 - ioctl after removal: %d\n", err == -ENODEV ? "ok" : "not ok", err);
	err = map(d.fd, 0, IOVA_BASE + AREA_SIZE, PAGE, d.area, VHOST_ACCESS_RW);
	printf("%s 2 - iotlb write after removal: %d\n", err == -ENODEV ? "ok" : "not ok", err);
	printf("%s 3 - pins released by removal: %ld kB left\n",
	       vmpin_kb() == pin0 ? "ok" : "not ok", vmpin_kb() - pin0);
	dev_fini(&d);
	printf("1..3\n");
	return 0;
}

/* One VMM session: map, traffic both ways, close; pins back to where they were. */
static int session(void)
{
	bool ok = net_traffic(false) && t_unmapped_is_device_error();

	printf("%s 1 - session%s%s\n", ok ? "ok" : "not ok", ok ? "" : " # ", ok ? "" : tap_why);
	printf("1..1\n");
	return !ok;
}

/* The simulator's fail_map is armed once: the UPDATE fails whole, nothing stays pinned. */
static int map_fail(void)
{
	long pin0 = vmpin_kb();
	struct vdev d;
	bool ok = false;

	const char *dir = getenv("FAIL_MAP");
	char path[256];
	FILE *f;

	if (!dev_init(&d, 2))
		goto out;
	/* Armed only now: opening the device programs it too. */
	snprintf(path, sizeof(path), "%s/times", dir ? dir : "");
	f = fopen(path, "w");
	if (!f || fputs("1\n", f) < 0 || fclose(f)) {
		fail_why("cannot arm %s", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/probability", dir);
	f = fopen(path, "w");
	if (!f || fputs("100\n", f) < 0 || fclose(f)) {
		fail_why("cannot arm %s", path);
		goto out;
	}
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW), ENOMEM);
	/*
	 * A dma_map parent refused a range: it is unpinned at once. A set_map
	 * parent that refused a table may still translate the old one: the
	 * pages wait until the device takes the next table.
	 */
	if (vmpin_kb() != pin0 && vmpin_kb() != pin0 + 32) {
		fail_why("VmPin %ld after a refused map, expected %ld", vmpin_kb(), pin0);
		goto out;
	}
	EXPECT_ERR(map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW), 0);
	if (vmpin_kb() != pin0 + 32) {
		fail_why("VmPin %ld after the next map, expected %ld", vmpin_kb(), pin0 + 32);
		goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	if (ok && vmpin_kb() != pin0) {
		fail_why("VmPin %ld after close, expected %ld", vmpin_kb(), pin0);
		ok = false;
	}
	printf("%s 1 - parent-map-failure%s%s\n", ok ? "ok" : "not ok", ok ? "" : " # ",
	       ok ? "" : tap_why);
	printf("1..1\n");
	return !ok;
}

/* pktloop IFNAME: frames of 60 and 1514 bytes come back unchanged on a loopback wire. */
static int pktloop(const char *ifname)
{
	static const int sizes[] = { 60, 1514 };
	uint8_t frame[1514], got[2048];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(0x88b5) };
	struct timeval tv = { .tv_sec = 5 };
	unsigned int i, n;
	ssize_t len;
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, htons(0x88b5));
	sll.sll_ifindex = if_nametoindex(ifname);
	if (fd < 0 || !sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror(ifname);
		return 1;
	}
	for (n = 0; n < 2; n++) {
		memset(frame, 0x02, 12);	/* locally administered dst and src */
		frame[12] = 0x88;
		frame[13] = 0xb5;
		for (i = 14; i < (unsigned int)sizes[n]; i++)
			frame[i] = n + i;
		if (send(fd, frame, sizes[n], 0) != sizes[n]) {
			perror("send");
			return 1;
		}
		/* Bound to this ethertype, the socket sees incoming frames only. */
		len = recv(fd, got, sizeof(got), 0);
		if (len != sizes[n] || memcmp(got, frame, len)) {
			fprintf(stderr, "%s: frame of %d bytes did not come back (%zd)\n", ifname,
				sizes[n], len);
			return 1;
		}
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s net|blk|hold|session|mapfail /dev/vhost-vdpa-N\n"
			"       %s pktloop IFNAME\n", argv[0], argv[0]);
		return 2;
	}
	dev_path = argv[2];
	if (!strcmp(argv[1], "hold"))
		return hold();
	if (!strcmp(argv[1], "session"))
		return session();
	if (!strcmp(argv[1], "pktloop"))
		return pktloop(argv[2]);
	if (!strcmp(argv[1], "mapfail"))
		return map_fail();
	if (!strcmp(argv[1], "blk")) {
		run("blk-io", t_blk_io);
	} else {
		run("queries", t_queries);
		run("exclusive-open", t_exclusive);
		run("ioctl-errors", t_ioctl_errors);
		run("iotlb-errors", t_iotlb_errors);
		run("owner-only", t_owner_only);
		run("net-split-traffic", t_net_split);
		run("net-packed-traffic", t_net_packed);
		run("unmapped-is-device-error", t_unmapped_is_device_error);
		run("iotlb-persist", t_persist);
		run("no-persist", t_no_persist);
		run("invalidate", t_invalidate);
		run("invalidate-keeps-rest", t_invalidate_keeps_rest);
		run("memlock-limit", t_memlock_limit);
		run("same-page-twice", t_same_page_twice);
		run("close-by-child", t_close_by_child);
		run("memfd", t_memfd);
		run("hugetlb", t_hugetlb);
		run("suspend-resume", t_suspend_resume);
		run("reopen-loop", t_reopen_loop);
	}
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}
