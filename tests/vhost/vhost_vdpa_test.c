// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_vdpa_test: a small VMM against /dev/vhost-vdpa-N, printing TAP.
 *
 *   vhost_vdpa_test net /dev/vhost-vdpa-N   every case for a simulated
 *                                           net device (loopback wire)
 *   vhost_vdpa_test blk /dev/vhost-vdpa-N   I/O cases for a blk device
 *   vhost_vdpa_test session /dev/vhost-vdpa-N  one short net session
 *   vhost_vdpa_test strict /dev/vhost-vdpa-N   a dma_map simulator with
 *                                           strict_dma_map on; fail_map in
 *                                           $FAIL_MAP, as for mapfail
 *   vhost_vdpa_test uffdhold /dev/vhost-vdpa-N  as hold, with an ioctl
 *                                           and an UPDATE waiting on
 *                                           userfaultfd pages meanwhile
 *   vhost_vdpa_test memlock2 DEV1 DEV2      two threads map through two
 *                                           devices at RLIMIT_MEMLOCK
 *   vhost_vdpa_test pktloop IFNAME          frames come back on a kernel
 *                                           netdev (virtio_net, loopback)
 *   vhost_vdpa_test mapfail /dev/vhost-vdpa-N  arms the simulator's
 *                                           fail_map ($FAIL_MAP, its debugfs
 *                                           directory) for one failure: the
 *                                           next UPDATE fails whole
 *   vhost_vdpa_test unmapfail /dev/vhost-vdpa-N set_map|dma_map
 *                                           the simulator refuses to give
 *                                           pages back ($FAIL_MAP or
 *                                           $FAIL_UNMAP): they stay pinned
 *                                           until a reset
 *   vhost_vdpa_test hold /dev/vhost-vdpa-N  map memory, run traffic, print
 *                                           "ready", wait for a line on
 *                                           stdin (the device is removed
 *                                           meanwhile), then check that
 *                                           the file fails cleanly and the
 *                                           pins are gone
 *   vhost_vdpa_test cvqidx /dev/vhost-vdpa-N   a net device with max_vqp > 1:
 *                                           the control queue's index, group
 *                                           and commands, without and with MQ;
 *                                           frames on a second queue pair
 *   vhost_vdpa_test strayvq /dev/vhost-vdpa-N  cxvdpa with max_vqp > 1:
 *                                           queues the features do not give
 *                                           get no object ($CXEMU_DBG: the
 *                                           function's debugfs directory);
 *                                           a failed key swap keeps the
 *                                           pages pinned (cxemu's fail_cmd)
 *   vhost_vdpa_test vhostlog /dev/vhost-vdpa-N the vhost log unmodified QEMU
 *                                           uses (VHOST_F_LOG_ALL,
 *                                           SET_LOG_BASE), on a parent that
 *                                           tracks dirty pages: QEMU's PC
 *                                           layout with VRAM the log leaves
 *                                           out, start, cancel, new base
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
#include <linux/userfaultfd.h>
#include <linux/vhost.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vhost_client.h"

#define PAGE 4096UL
#define QSZ 64
#define IOVA_BASE 0x40000000ULL
#define AREA_SIZE (64 * PAGE)
#define NET_HDR 12	/* struct virtio_net_hdr_v1 */
#define NET_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM))
#define BIT(n) (1ULL << (n))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

/* Record why a case fails (the first reason) and return @cond. */
static bool check(bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond || tap_why[0])
		return cond;
	va_start(ap, fmt);
	vsnprintf(tap_why, sizeof(tap_why), fmt, ap);
	va_end(ap);
	return false;
}

/* The result of the call a case checks next with expect_err(). */
static int last;

/* Whether @last is -@err (0: success); records the line when not. */
static bool expect_err(int err, int line)
{
	return check(last == -err, "line %d: %d, expected %d", line, last, -err);
}

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
	__u64 off;		/* of the ring page in the area */
	__u16 avail;		/* buffers made available */
	__u16 used_seen;
	int kick, call;
	/* packed: */
	bool wrap;		/* driver's wrap counter */
	__u16 next;		/* next descriptor slot to fill */
	__u16 upos;		/* next slot the device writes a used buffer in */
	bool uwrap;		/* device's wrap counter at upos */
	__u16 chain[QSZ];	/* descriptors per buffer id */
};

struct vdev {
	int fd;
	__u8 *area;
	__u64 iova;
	__u64 size;		/* of the area, mapped at iova by dev_start() */
	__u32 ring_flags;	/* SET_VRING_ADDR flags dev_start() passes */
	__u64 log;		/* if set, dev_start() sends it as SET_LOG_BASE */
	bool packed;
	struct ring q[5];
	int nq;
	__u16 *bell[5];	/* mapped doorbells; kicks go there when set */
};

/* Field @field ("VmPin", "AnonHugePages") of /proc/self/@file, in kB; -1 if none. */
static long proc_kb(const char *file, const char *field)
{
	char line[256], path[64];
	size_t n = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':' &&
		    sscanf(line + n + 1, "%ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static long vmpin_kb(void)
{
	return proc_kb("status", "VmPin");
}

/* VmPin of this process is @want kB; records what it is when not. */
static bool expect_pin(long want, int line)
{
	long kb = vmpin_kb();

	return check(kb == want, "line %d: VmPin %ld kB, expected %ld", line, kb, want);
}

static int dev_open(void)
{
	return open(dev_path, O_RDWR);
}

static __u64 qiova(struct vdev *d, int q, __u64 off)
{
	return d->iova + d->q[q].off + off;
}

static void *qva(struct vdev *d, int q, __u64 off)
{
	return d->area + d->q[q].off + off;
}

/* Split layout in a queue's 4 pages: descriptors, avail at +0x1000, used at +0x2000. */
#define DESC_OFF 0
#define AVAIL_OFF 0x1000
#define USED_OFF 0x2000

/*
 * Everything dev_start() does before DRIVER_OK: features, rings (with
 * d->ring_flags), memory (unless !do_map), the log base (if d->log), the
 * rings enabled.
 */
static bool dev_prepare(struct vdev *d, __u64 features, __u64 backend, bool do_map)
{
	__u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	int q, err;

	if (!check(!xioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &backend), "SET_BACKEND_FEATURES"))
		return false;
	if (!check(!set_status(d->fd, status), "SET_STATUS driver"))
		return false;
	if (!check(!xioctl(d->fd, VHOST_SET_FEATURES, &features), "SET_FEATURES"))
		return false;
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	if (!check(!set_status(d->fd, status), "SET_STATUS features_ok"))
		return false;
	if (!check(get_status(d->fd) & VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK did not stick"))
		return false;
	d->packed = features & BIT(VIRTIO_F_RING_PACKED);
	for (q = 0; q < d->nq; q++) {
		struct vhost_vring_state num = { .index = q, .num = QSZ };
		/* Packed rings start with both wrap counters at 1. */
		__u32 start = d->packed ? 1 << 15 | 1u << 31 : 0;
		struct vhost_vring_state base = { .index = q, .num = start };
		struct vhost_vring_addr addr = {
			.index = q,
			.desc_user_addr = qiova(d, q, DESC_OFF),
			.avail_user_addr = qiova(d, q, AVAIL_OFF),
			.used_user_addr = qiova(d, q, USED_OFF),
			.flags = d->ring_flags,
		};
		struct vhost_vring_file kick = { .index = q }, call = { .index = q };

		memset(qva(d, q, 0), 0, 4 * PAGE);
		d->q[q].avail = 0;
		d->q[q].used_seen = 0;
		d->q[q].wrap = true;
		d->q[q].next = 0;
		d->q[q].upos = 0;
		d->q[q].uwrap = true;
		kick.fd = d->q[q].kick;
		call.fd = d->q[q].call;
		if (!check(!xioctl(d->fd, VHOST_SET_VRING_NUM, &num), "SET_VRING_NUM %d", q))
			return false;
		if (!check(!xioctl(d->fd, VHOST_SET_VRING_BASE, &base), "SET_VRING_BASE %d", q))
			return false;
		if (!check(!xioctl(d->fd, VHOST_SET_VRING_ADDR, &addr), "SET_VRING_ADDR %d", q))
			return false;
		if (!check(!xioctl(d->fd, VHOST_SET_VRING_KICK, &kick), "SET_VRING_KICK %d", q))
			return false;
		if (!check(!xioctl(d->fd, VHOST_SET_VRING_CALL, &call), "SET_VRING_CALL %d", q))
			return false;
	}
	if (do_map) {
		err = iotlb_msg(d->fd, 0, VHOST_IOTLB_BATCH_BEGIN, 0, 0, 0, 0);
		if (!check(!err, "BATCH_BEGIN"))
			return false;
		err = map(d->fd, 0, d->iova, d->size, d->area, VHOST_ACCESS_RW);
		if (!check(!err, "map: %s", strerror(-err)))
			return false;
		if (!check(!iotlb_msg(d->fd, 0, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0), "BATCH_END"))
			return false;
	}
	if (d->log && !check(!xioctl(d->fd, VHOST_SET_LOG_BASE, &d->log), "SET_LOG_BASE"))
		return false;
	for (q = 0; q < d->nq; q++) {
		struct vhost_vring_state en = { .index = q, .num = 1 };

		if (!check(!xioctl(d->fd, VHOST_VDPA_SET_VRING_ENABLE, &en), "ENABLE %d", q))
			return false;
	}
	return true;
}

/* The statuses dev_prepare() has set. */
#define PREPARED (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
		  VIRTIO_CONFIG_S_FEATURES_OK)

/* Bring the device up: dev_prepare(), then DRIVER_OK. */
static bool dev_start(struct vdev *d, __u64 features, __u64 backend, bool do_map)
{
	return dev_prepare(d, features, backend, do_map) &&
	       check(!set_status(d->fd, PREPARED | VIRTIO_CONFIG_S_DRIVER_OK), "DRIVER_OK");
}

/* Open, own, and lay out the rings (queue q in pages 4q..4q+3, buffers after). */
static bool dev_init(struct vdev *d, int nq)
{
	int q;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->nq = nq;
	d->iova = IOVA_BASE;
	d->size = AREA_SIZE;
	/*
	 * AREA_MEMFD=1: the memory is a shared memfd mapping, as a VA-mode
	 * parent's userspace end (VDUSE's daemon) must map it too.
	 */
	if (getenv("AREA_MEMFD")) {
		int mfd = memfd_create("vhost_vdpa_test", MFD_CLOEXEC);

		if (!check(mfd >= 0 && !ftruncate(mfd, AREA_SIZE), "memfd: %s", strerror(errno)))
			return false;
		d->area = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			       mfd, 0);
		close(mfd);
	} else {
		d->area = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	}
	if (!check(d->area != MAP_FAILED, "mmap"))
		return false;
	for (q = 0; q < nq; q++) {
		d->q[q].off = q * 4 * PAGE;
		d->q[q].kick = eventfd(0, EFD_NONBLOCK);
		d->q[q].call = eventfd(0, EFD_NONBLOCK);
	}
	d->fd = dev_open();
	if (!check(d->fd >= 0, "open %s: %s", dev_path, strerror(errno)))
		return false;
	if (!check(!xioctl(d->fd, VHOST_SET_OWNER, NULL), "SET_OWNER"))
		return false;
	return true;
}

static void dev_fini(struct vdev *d)
{
	int q;

	/* A mapped doorbell holds the file open: unmap first. */
	for (q = 0; q < d->nq; q++)
		if (d->bell[q])
			munmap(d->bell[q], PAGE);
	if (d->fd >= 0)
		close(d->fd);
	for (q = 0; q < d->nq; q++) {
		close(d->q[q].kick);
		close(d->q[q].call);
	}
	if (d->area && d->area != MAP_FAILED)
		munmap(d->area, d->size);
	d->fd = -1;
}

static __u8 *buf_va(struct vdev *d, int n)
{
	return d->area + (16 + n) * PAGE;
}

static __u64 buf_iova(struct vdev *d, int n)
{
	return d->iova + (16 + n) * PAGE;
}

/* Offer a buffer: device-readable [out, out_len), then device-writable [in, in_len). */
static void ring_add(struct vdev *d, int q, __u64 out, __u32 out_len, __u64 in,
		     __u32 in_len)
{
	struct ring *r = &d->q[q];
	struct vring_desc *desc = qva(d, q, DESC_OFF);
	__u16 n = out_len && in_len ? 2 : 1;

	if (d->packed) {
		struct vring_packed_desc *pd = qva(d, q, DESC_OFF);
		__u16 first = r->next, flags, i;
		__u16 avail = r->wrap ? 1 << VRING_PACKED_DESC_F_AVAIL :
					1 << VRING_PACKED_DESC_F_USED;
		__u16 first_flags = 0;

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
		__u16 head = (r->avail * 2) % QSZ, i = head;

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
	__u64 one = 1;

	/* What a virtio-pci driver stores at its notify address: the queue index. */
	if (d->bell[q]) {
		__atomic_store_n(d->bell[q], q, __ATOMIC_RELEASE);
		return;
	}
	if (write(d->q[q].kick, &one, sizeof(one)) != sizeof(one))
		perror("kick");
}

/* Buffers the device has returned so far. */
static __u16 ring_used(struct vdev *d, int q)
{
	struct ring *r = &d->q[q];

	if (d->packed) {
		struct vring_packed_desc *pd = qva(d, q, DESC_OFF);
		__u16 flags, id;
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

static bool ring_wait(struct vdev *d, int q, __u16 want)
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

/* A receive buffer on queue 0 and a frame on queue 1, not kicked yet. */
static void net_post(struct vdev *d, __u8 seed, int len)
{
	__u8 *tx = buf_va(d, 1);
	int i;

	memset(tx, 0, NET_HDR);
	for (i = 0; i < len; i++)
		tx[NET_HDR + i] = seed + i;
	memset(buf_va(d, 0), 0xee, PAGE);
	ring_add(d, 0, 0, 0, buf_iova(d, 0), PAGE);
	ring_add(d, 1, buf_iova(d, 1), NET_HDR + len, 0, 0);
}

static void net_send(struct vdev *d, __u8 seed, int len)
{
	net_post(d, seed, len);
	ring_kick(d, 0);
	ring_kick(d, 1);
}

static bool net_expect(struct vdev *d, __u8 seed, int len)
{
	__u8 *rx = buf_va(d, 0);
	int i;

	if (!check(ring_wait(d, 0, d->q[0].avail), "no frame received (status 0x%x)",
		   get_status(d->fd)))
		return false;
	for (i = 0; i < len; i++)
		if (!check(rx[NET_HDR + i] == (__u8)(seed + i), "payload differs at byte %d", i))
			return false;
	return true;
}

/* ---- cases ---- */

/* The device answers the identity queries as a net simulator does. */
static bool t_queries(void)
{
	struct vhost_vring_state s = { .index = 2 };
	struct vhost_vdpa_iova_range range;
	__u64 backend, expect;
	__u32 u32;
	__u16 u16;
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
		 BIT(VHOST_BACKEND_F_RESUME) | BIT(VHOST_BACKEND_F_IOTLB_PERSIST) |
		 BIT(VHOST_BACKEND_F_DIRTY_LOG);
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
	    range.last != ((__u64)-1)) {
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
	if (!check(a >= 0, "first open failed"))
		return false;
	if (!check(b < 0 && err == EBUSY, "second open: %d (%s)", b, strerror(err)))
		return false;
	b = dev_open();
	if (!check(b >= 0, "open after close failed"))
		return false;
	close(b);
	return true;
}

/* Every bad ioctl argument is refused with the documented errno. */
static bool t_ioctl_errors(void)
{
	struct vhost_vring_state s;
	/* VHOST_VRING_F_LOG (bit 0) is the one flag there is. */
	struct vhost_vring_addr a = { .index = 0, .flags = 1 << 1 };
	struct {
		struct vhost_vdpa_config hdr;
		__u8 buf[64];
	} cfg;
	__u64 f;
	__u8 status;
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 3))
		goto out;
	s = (struct vhost_vring_state){ .index = 0, .num = 0 };
	last = xioctl(d.fd, VHOST_SET_VRING_NUM, &s);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	s.num = 48;
	last = xioctl(d.fd, VHOST_SET_VRING_NUM, &s);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	s.num = 512;
	last = xioctl(d.fd, VHOST_SET_VRING_NUM, &s);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	s = (struct vhost_vring_state){ .index = 3, .num = 64 };
	last = xioctl(d.fd, VHOST_SET_VRING_NUM, &s);
	if (!expect_err(ENOBUFS, __LINE__))
		goto out;
	s.index = 0xffffffff;
	last = xioctl(d.fd, VHOST_VDPA_SET_VRING_ENABLE, &s);
	if (!expect_err(ENOBUFS, __LINE__))
		goto out;
	last = xioctl(d.fd, VHOST_SET_VRING_ADDR, &a);
	if (!expect_err(EOPNOTSUPP, __LINE__))
		goto out;
	s = (struct vhost_vring_state){ .index = 0, .num = 0x10000 };
	last = xioctl(d.fd, VHOST_SET_VRING_BASE, &s);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	cfg.hdr.off = sizeof(struct virtio_net_config) - 2;
	cfg.hdr.len = 4;
	last = xioctl(d.fd, VHOST_VDPA_GET_CONFIG, &cfg);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	cfg.hdr.off = 0xffffffff;
	cfg.hdr.len = 2;
	last = xioctl(d.fd, VHOST_VDPA_SET_CONFIG, &cfg);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	cfg.hdr.off = 0;
	cfg.hdr.len = 6;
	last = xioctl(d.fd, VHOST_VDPA_GET_CONFIG, &cfg);
	if (!expect_err(0, __LINE__))
		goto out;
	f = BIT(63);
	last = xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &f);
	if (!expect_err(EOPNOTSUPP, __LINE__))
		goto out;
	f = BIT(VHOST_BACKEND_F_DESC_ASID);
	last = xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &f);
	if (!expect_err(EOPNOTSUPP, __LINE__))
		goto out;
	f = BIT(63);
	last = xioctl(d.fd, VHOST_SET_FEATURES, &f);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	s = (struct vhost_vring_state){ .index = 2, .num = 0 };
	last = xioctl(d.fd, VHOST_VDPA_SET_GROUP_ASID, &s);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	s = (struct vhost_vring_state){ .index = 1, .num = 2 };
	last = xioctl(d.fd, VHOST_VDPA_SET_GROUP_ASID, &s);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	s = (struct vhost_vring_state){ .index = 1, .num = 1 };
	last = xioctl(d.fd, VHOST_VDPA_SET_GROUP_ASID, &s);
	if (!expect_err(0, __LINE__))
		goto out;
	f = 0x1004;	/* the log is of u64 words */
	last = xioctl(d.fd, VHOST_SET_LOG_BASE, &f);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = xioctl(d.fd, VHOST_SET_OWNER, NULL);
	if (!expect_err(EBUSY, __LINE__))
		goto out;

	status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	last = set_status(d.fd, status);
	if (!expect_err(0, __LINE__))
		goto out;
	last = set_status(d.fd, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = set_status(d.fd, status | VIRTIO_CONFIG_S_NEEDS_RESET);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	f = NET_FEATURES;
	last = xioctl(d.fd, VHOST_SET_FEATURES, &f);
	if (!expect_err(0, __LINE__))
		goto out;
	last = set_status(d.fd, status | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!expect_err(0, __LINE__))
		goto out;
	/* Past FEATURES_OK only VHOST_F_LOG_ALL may change (the vhostlog cases). */
	f = BIT(VIRTIO_F_VERSION_1);
	last = xioctl(d.fd, VHOST_SET_FEATURES, &f);
	if (!expect_err(EBUSY, __LINE__))
		goto out;
	last = set_status(d.fd, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	if (get_status(d.fd) != 0) {
		fail_why("status after reset 0x%x", get_status(d.fd));
		goto out;
	}
	/* A driver that skips FEATURES_OK cannot change features once running. */
	last = set_status(d.fd, status | VIRTIO_CONFIG_S_DRIVER_OK);
	if (!expect_err(0, __LINE__))
		goto out;
	last = xioctl(d.fd, VHOST_SET_FEATURES, &f);
	if (!expect_err(EBUSY, __LINE__))
		goto out;
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
	__u8 *p;

	if (!dev_init(&d, 3))
		goto out;
	p = d.area;
	last = map(d.fd, 0, IOVA_BASE, 0, p, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, ((__u64)-1) - PAGE + 1, 2 * PAGE, p, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE + 1, PAGE, p, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, PAGE + 1, p, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, PAGE, p + 1, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, PAGE, p, 0);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, PAGE, p, 0x8);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 2, IOVA_BASE, PAGE, p, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, PAGE, NULL, VHOST_ACCESS_RW);
	if (!expect_err(EFAULT, __LINE__))
		goto out;
	last = unmap(d.fd, 0, IOVA_BASE, 0);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = unmap(d.fd, 0, ((__u64)-1), 2);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = unmap(d.fd, 5, IOVA_BASE, PAGE);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	if (write(d.fd, &bad, sizeof(bad)) >= 0 || errno != EINVAL) {
		fail_why("unknown message type accepted");
		goto out;
	}
	/* An ASID without IOTLB_ASID acked is an error, not a silent 0. */
	last = map(d.fd, 1, IOVA_BASE, PAGE, p, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, 4 * PAGE, p, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE + 3 * PAGE, 2 * PAGE, p, VHOST_ACCESS_RW);
	if (!expect_err(EEXIST, __LINE__))
		goto out;
	if (!expect_pin(pin0 + 16, __LINE__))
		goto out;
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
	__u8 *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = dev_open(), status = -1, r;
	pid_t pid;

	if (!check(fd >= 0, "open"))
		return false;
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
	if (!check(WIFEXITED(status) && !WEXITSTATUS(status), "a child's map was not refused"))
		return false;
	return true;
}

/* Frames go round the loopback through mapped memory, byte for byte. */
static bool net_traffic(bool packed)
{
	__u64 f = NET_FEATURES | (packed ? BIT(VIRTIO_F_RING_PACKED) : 0);
	long pin0 = vmpin_kb();
	struct vdev d;
	bool ok = false;
	int i;

	if (!dev_init(&d, 2) || !dev_start(&d, f, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) |
					   BIT(VHOST_BACKEND_F_IOTLB_BATCH), true))
		goto out;
	/* VA mode (AREA_MEMFD=1 VA_MODE=1) pins nothing. */
	if (!expect_pin(pin0 + (getenv("VA_MODE") ? 0 : (long)(AREA_SIZE / 1024)), __LINE__))
		goto out;
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

/*
 * The driver's half of VIRTIO_RING_F_EVENT_IDX: after making buffers
 * available from @old on, kick only when the avail index passed the one the
 * device published at the end of its used ring.
 */
static bool ring_kick_wanted(struct vdev *d, int q, __u16 old)
{
	struct vring_used *u = qva(d, q, USED_OFF);
	__u16 event, new = d->q[q].avail;

	/* Our avail index before the device's request (virtio_mb). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	event = __atomic_load_n((__u16 *)&u->ring[QSZ], __ATOMIC_ACQUIRE);
	return (__u16)(new - event - 1) < (__u16)(new - old);
}

/*
 * With EVENT_IDX the device must publish where it wants the next kick, or
 * a driver that follows the rule kicks once and never again. Frames are
 * sent one by one and kicked only when the device asked for it. A device
 * that does not offer the feature must refuse it.
 */
static bool t_event_idx(void)
{
	__u64 f = NET_FEATURES | BIT(VIRTIO_RING_F_EVENT_IDX), offered = 0;
	__u16 old[2], *avail_event;
	struct vdev d;
	bool ok = false;
	int i, q;

	if (!dev_init(&d, 2))
		goto out;
	if (!check(!xioctl(d.fd, VHOST_GET_FEATURES, &offered), "GET_FEATURES"))
		goto out;
	if (!(offered & BIT(VIRTIO_RING_F_EVENT_IDX))) {
		last = xioctl(d.fd, VHOST_SET_FEATURES, &f) ? -errno : 0;
		ok = expect_err(EINVAL, __LINE__);
		goto out;
	}
	if (!dev_start(&d, f, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) |
		       BIT(VHOST_BACKEND_F_IOTLB_BATCH), true))
		goto out;
	for (i = 0; i < 40; i++) {
		for (q = 0; q < 2; q++)
			old[q] = d.q[q].avail;
		net_post(&d, i, 60 + i);
		for (q = 0; q < 2; q++)
			if (ring_kick_wanted(&d, q, old[q]))
				ring_kick(&d, q);
		if (!net_expect(&d, i, 60 + i))
			goto out;
	}
	/* Idle again, the device waits for a kick at the next buffer. */
	avail_event = (__u16 *)&((struct vring_used *)qva(&d, 1, USED_OFF))->ring[QSZ];
	for (i = 0; i < 400 && __atomic_load_n(avail_event, __ATOMIC_ACQUIRE) != d.q[1].avail; i++)
		usleep(5000);
	ok = check(*avail_event == d.q[1].avail, "avail_event %u, avail index %u",
		   *avail_event, d.q[1].avail);
out:
	dev_fini(&d);
	return ok;
}

/* A device nobody mapped reaches nothing, not even at physical addresses. */
static bool t_unmapped_is_device_error(void)
{
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) ||
	    !dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2), false))
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
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH) |
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
	if (!expect_pin(pinned, __LINE__))
		goto out;
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

	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_ASID);

	if (!dev_init(&d, 2))
		goto out;
	last = xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &backend);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = unmap(d.fd, 0, IOVA_BASE + 2 * PAGE, 2 * PAGE);
	if (!expect_err(0, __LINE__))
		goto out;
	if (!expect_pin(pin0 + 24, __LINE__))
		goto out;
	/* The halves stay mapped: the range is busy, the hole is free. */
	last = map(d.fd, 0, IOVA_BASE, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(EEXIST, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE + 7 * PAGE, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(EEXIST, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE + 2 * PAGE, 2 * PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = unmap(d.fd, 0, 0x1000000, PAGE);
	if (!expect_err(0, __LINE__))
		goto out;
	last = unmap(d.fd, 1, IOVA_BASE, PAGE);
	if (!expect_err(0, __LINE__))
		goto out;
	if (!expect_pin(pin0 + 32, __LINE__))
		goto out;
	/* Unaligned: every page it touches goes. */
	last = unmap(d.fd, 0, IOVA_BASE + 5 * PAGE + 100, 10);
	if (!expect_err(0, __LINE__))
		goto out;
	if (!expect_pin(pin0 + 28, __LINE__))
		goto out;
	last = unmap(d.fd, 0, 0, ((__u64)-1));
	if (!expect_err(0, __LINE__))
		goto out;
	if (!expect_pin(pin0, __LINE__))
		goto out;
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

	if (!dev_init(&d, 2) ||
	    !dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2), true))
		goto out;
	net_send(&d, 1, 100);
	if (!net_expect(&d, 1, 100))
		goto out;
	/* Page 40 is neither ring nor buffer. */
	last = unmap(d.fd, 0, d.iova + 40 * PAGE, PAGE);
	if (!expect_err(0, __LINE__))
		goto out;
	net_send(&d, 2, 100);
	if (!net_expect(&d, 2, 100))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/*
 * Map changes while frames are in flight: each frame is kicked, then a
 * page that is neither ring nor buffer is unmapped and mapped again
 * before the frame is looked for. A parent that rebuilds its translation
 * must never leave the rings without one.
 */
static bool t_remap_during_traffic(void)
{
	struct vdev d;
	bool ok = false;
	int i;

	if (!dev_init(&d, 2) ||
	    !dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2), true))
		goto out;
	for (i = 0; i < 3 * QSZ; i++) {
		net_send(&d, i, 200);
		last = unmap(d.fd, 0, d.iova + 40 * PAGE, PAGE);
		if (!expect_err(0, __LINE__))
			goto out;
		last = map(d.fd, 0, d.iova + 40 * PAGE, PAGE, d.area + 40 * PAGE, VHOST_ACCESS_RW);
		if (!expect_err(0, __LINE__))
			goto out;
		if (!net_expect(&d, i, 200))
			goto out;
	}
	ok = check(!(get_status(d.fd) & VIRTIO_CONFIG_S_NEEDS_RESET), "device needs reset");
out:
	dev_fini(&d);
	return ok;
}

/*
 * The control queue in its own address space: its group moves to ASID 1,
 * its ring and buffers are mapped there and unmapped from ASID 0, and a
 * MAC_ADDR_SET through it is acked and sets the config MAC. A parent that
 * translated the control queue through ASID 0 would fault instead.
 */
static bool t_cvq_own_asid(void)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_ASID);
	__u64 features = NET_FEATURES | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_CTRL_VQ) |
			 BIT(VIRTIO_NET_F_CTRL_MAC_ADDR);
	static const __u8 mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x0c, 0x01 };
	struct vhost_vring_state grp = { .index = 1, .num = 1 };
	struct {
		struct vhost_vdpa_config hdr;
		__u8 buf[6];
	} cfg = { .hdr = { .off = 0, .len = 6 } };
	__u8 *cmd, *ack;
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 3))
		goto out;
	last = xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &backend);
	if (!expect_err(0, __LINE__))
		goto out;
	last = xioctl(d.fd, VHOST_VDPA_SET_GROUP_ASID, &grp);
	if (!expect_err(0, __LINE__))
		goto out;
	/* Queue 2's ring and buffers 2-3: in ASID 1 (before it starts), then only there. */
	last = map(d.fd, 1, qiova(&d, 2, 0), 4 * PAGE, qva(&d, 2, 0), VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 1, buf_iova(&d, 2), 2 * PAGE, buf_va(&d, 2), VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	if (!dev_start(&d, features, backend, true))
		goto out;
	last = unmap(d.fd, 0, qiova(&d, 2, 0), 4 * PAGE);
	if (!expect_err(0, __LINE__))
		goto out;
	last = unmap(d.fd, 0, buf_iova(&d, 2), 2 * PAGE);
	if (!expect_err(0, __LINE__))
		goto out;
	cmd = buf_va(&d, 2);
	ack = buf_va(&d, 3);
	cmd[0] = VIRTIO_NET_CTRL_MAC;
	cmd[1] = VIRTIO_NET_CTRL_MAC_ADDR_SET;
	memcpy(cmd + 2, mac, sizeof(mac));
	*ack = 0xff;
	ring_add(&d, 2, buf_iova(&d, 2), 2 + sizeof(mac), buf_iova(&d, 3), 1);
	ring_kick(&d, 2);
	if (!check(ring_wait(&d, 2, d.q[2].avail), "no ack (status 0x%x)", get_status(d.fd)) ||
	    !check(*ack == VIRTIO_NET_OK, "ack %u", *ack))
		goto out;
	last = xioctl(d.fd, VHOST_VDPA_GET_CONFIG, &cfg);
	if (!expect_err(0, __LINE__))
		goto out;
	ok = check(!memcmp(cfg.buf, mac, sizeof(mac)), "config MAC not the one set");
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
	lim.rlim_cur = limit_pages * PAGE;
	lim.rlim_max = lim.rlim_cur;
	if (setrlimit(RLIMIT_MEMLOCK, &lim)) {
		fail_why("setrlimit");
		goto out;
	}
	last = map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE + 8 * PAGE, PAGE, d.area + 8 * PAGE, VHOST_ACCESS_RW);
	if (!expect_err(ENOMEM, __LINE__))
		goto out;
	if (!expect_pin(pin0 + 32, __LINE__))
		goto out;
	last = unmap(d.fd, 0, IOVA_BASE + 7 * PAGE, PAGE);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE + 8 * PAGE, PAGE, d.area + 8 * PAGE, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	/* A batch that remaps what it invalidated (DPDK does) fits the same limit. */
	last = iotlb_msg(d.fd, 0, VHOST_IOTLB_BATCH_BEGIN, 0, 0, 0, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	last = unmap(d.fd, 0, 0, ((__u64)-1));
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = iotlb_msg(d.fd, 0, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	if (!expect_pin(pin0 + 32, __LINE__))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	setrlimit(RLIMIT_MEMLOCK, &old);
	return ok;
}

/* The same page at two IOVAs and in two ASIDs: charged per mapping, each unmapped alone. */
static bool t_same_page_twice(void)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_ASID);
	long pin0 = vmpin_kb();
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2))
		goto out;
	last = xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &backend);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE + PAGE, PAGE, d.area, VHOST_ACCESS_RO);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 1, IOVA_BASE, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	if (!expect_pin(pin0 + 12, __LINE__))
		goto out;
	last = unmap(d.fd, 1, IOVA_BASE, PAGE);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(EEXIST, __LINE__))
		goto out;
	if (!expect_pin(pin0 + 8, __LINE__))
		goto out;
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
	if (!check(vmpin_kb() == pin0 + 32, "VmPin %ld while the child holds the file", vmpin_kb()))
		return false;
	waitpid(pid, &status, 0);
	for (i = 0; i < 100 && vmpin_kb() != pin0; i++)
		usleep(10000);
	dev_fini(&d);
	if (!check(vmpin_kb() == pin0, "VmPin %ld after the child's close, expected %ld",
		   vmpin_kb(), pin0))
		return false;
	return true;
}

/* A file passed over a unix socket: the receiver is not the owner. */
static bool t_fd_passing(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int sv[2], status = -1, fd;
	struct vdev d;
	pid_t pid;

	if (!check(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair"))
		return false;
	pid = fork();
	if (!pid) {
		/* The receiver: its own memory, someone else's file. */
		void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

		if (recvmsg(sv[1], &mh, 0) != 1)
			_exit(2);
		cm = CMSG_FIRSTHDR(&mh);
		if (!cm)
			_exit(2);
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		fd = map(fd, 0, IOVA_BASE + AREA_SIZE, PAGE, p, VHOST_ACCESS_RW);
		_exit(fd == -EPERM ? 0 : 1);
	}
	if (!dev_init(&d, 2)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return false;
	}
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &d.fd, sizeof(int));
	if (sendmsg(sv[0], &mh, 0) != 1)
		perror("sendmsg");
	waitpid(pid, &status, 0);
	close(sv[0]);
	close(sv[1]);
	dev_fini(&d);
	if (!check(WIFEXITED(status) && !WEXITSTATUS(status),
		   "the receiver's map was not refused (%d)", status))
		return false;
	return true;
}

/*
 * The owner maps and exits while another process still has the file:
 * the last close releases the pins of an mm that is gone.
 */
static bool t_owner_exits(void)
{
	int fd = dev_open(), status = -1;
	__u8 st;
	pid_t pid;

	if (!check(fd >= 0, "open"))
		return false;
	pid = fork();
	if (!pid) {
		void *p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

		if (xioctl(fd, VHOST_SET_OWNER, NULL) ||
		    map(fd, 0, IOVA_BASE, 16 * PAGE, p, VHOST_ACCESS_RW))
			_exit(1);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		close(fd);
		fail_why("the owner child failed");
		return false;
	}
	/* The file still works for what does not need the owner's mm. */
	if (xioctl(fd, VHOST_VDPA_GET_STATUS, &st)) {
		close(fd);
		fail_why("GET_STATUS after the owner exited");
		return false;
	}
	close(fd);
	/* Open again: the device was released and is free. */
	fd = dev_open();
	if (!check(fd >= 0, "reopen after the last close: %s", strerror(errno)))
		return false;
	close(fd);
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

	if (!check(mfd >= 0 && !ftruncate(mfd, AREA_SIZE), "memfd"))
		return false;
	p = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, mfd, 0);
	close(mfd);
	if (!check(p != MAP_FAILED, "mmap memfd"))
		return false;
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

	if (!check(p != MAP_FAILED, "no 2M hugepage (vm.nr_hugepages)"))
		return false;
	ok = traffic_on(p);
	munmap(p, len);
	return ok;
}

/* SUSPEND stops the device; the ring base is final; RESUME carries on. */
static bool t_suspend_resume(void)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH) |
			   BIT(VHOST_BACKEND_F_SUSPEND) | BIT(VHOST_BACKEND_F_RESUME);
	struct vhost_vring_state base = { .index = 1 };
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, backend, true))
		goto out;
	net_send(&d, 1, 64);
	if (!net_expect(&d, 1, 64))
		goto out;
	last = xioctl(d.fd, VHOST_VDPA_SUSPEND, NULL);
	if (!expect_err(0, __LINE__))
		goto out;
	net_send(&d, 2, 64);
	usleep(100000);
	last = xioctl(d.fd, VHOST_GET_VRING_BASE, &base);
	if (!expect_err(0, __LINE__))
		goto out;
	if (base.num != 1 || ring_used(&d, 0) != 1) {
		fail_why("suspended device moved: base %u used %u", base.num, ring_used(&d, 0));
		goto out;
	}
	last = xioctl(d.fd, VHOST_VDPA_RESUME, NULL);
	if (!expect_err(0, __LINE__))
		goto out;
	if (!net_expect(&d, 2, 64))
		goto out;
	last = xioctl(d.fd, VHOST_GET_VRING_BASE, &base);
	if (!expect_err(0, __LINE__))
		goto out;
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
	const char *env = getenv("REOPEN_ROUNDS");
	int i, rounds = env ? atoi(env) : 20;
	long pin0 = vmpin_kb();

	for (i = 0; i < rounds; i++)
		if (!check(net_traffic(i & 1), "round %d", i))
			return false;
	if (!check(vmpin_kb() == pin0, "VmPin %ld, expected %ld", vmpin_kb(), pin0))
		return false;
	return true;
}

/* ---- blk ---- */

/* Header, data (device-readable for a write, writable for a read), status. */
static void blk_add(struct vdev *d, bool write)
{
	struct vring_desc *desc = qva(d, 0, DESC_OFF);
	struct vring_avail *av = qva(d, 0, AVAIL_OFF);
	__u16 head = (d->q[0].avail * 3) % QSZ;

	desc[head] = (struct vring_desc){ buf_iova(d, 0), sizeof(struct virtio_blk_outhdr),
					  VRING_DESC_F_NEXT, head + 1 };
	desc[head + 1] = (struct vring_desc){ buf_iova(d, 1), 2 * PAGE,
					      VRING_DESC_F_NEXT | (write ? 0 : VRING_DESC_F_WRITE),
					      head + 2 };
	desc[head + 2] = (struct vring_desc){ buf_iova(d, 3), 1, VRING_DESC_F_WRITE, 0 };
	av->ring[d->q[0].avail % QSZ] = head;
	d->q[0].avail++;
	__atomic_store_n(&av->idx, d->q[0].avail, __ATOMIC_RELEASE);
}

/*
 * Open a blk device with one queue and start it with what it offers of
 * VERSION_1, ACCESS_PLATFORM and FLUSH, all the area mapped; @backend is
 * acked beside IOTLB_MSG_V2.
 */
static bool blk_start(struct vdev *d, __u64 backend)
{
	__u64 f = NET_FEATURES | BIT(VIRTIO_BLK_F_FLUSH), offered = 0;

	if (!dev_init(d, 1) || !check(!xioctl(d->fd, VHOST_GET_FEATURES, &offered), "GET_FEATURES"))
		return false;
	return dev_start(d, f & offered, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | backend, true);
}

static bool t_blk_io(void)
{
	long pin0 = vmpin_kb();
	struct virtio_blk_outhdr *hdr;
	__u8 *data, *status;
	struct vdev d;
	bool ok = false;
	int i, round;

	if (!blk_start(&d, BIT(VHOST_BACKEND_F_IOTLB_BATCH)))
		goto out;
	/* VA mode pins nothing; otherwise the whole area is pinned. */
	if (!expect_pin(pin0 + (getenv("VA_MODE") ? 0 : (long)(AREA_SIZE / 1024)), __LINE__))
		goto out;
	hdr = (void *)buf_va(&d, 0);
	data = buf_va(&d, 1);
	status = buf_va(&d, 3);
	for (round = 0; round < 2; round++) {
		bool write = round == 0;

		hdr->type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
		hdr->sector = 64;
		for (i = 0; i < 2 * (int)PAGE; i++)
			data[i] = write ? (__u8)(i * 13 + 1) : 0;
		*status = 0xff;
		blk_add(&d, write);
		ring_kick(&d, 0);
		if (!ring_wait(&d, 0, d.q[0].avail) || *status != VIRTIO_BLK_S_OK) {
			fail_why("%s: status %u", write ? "write" : "read", *status);
			goto out;
		}
	}
	for (i = 0; i < 2 * (int)PAGE; i++)
		if (data[i] != (__u8)(i * 13 + 1)) {
			fail_why("read back differs at byte %d", i);
			goto out;
		}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/*
 * INVALIDATE of a request's first data page, in the middle of the mapped
 * area, splits its entry (in VA mode the tail takes its own reference to
 * the file); mapped again, requests through it and around it work.
 */
static bool t_blk_split(void)
{
	__u64 hole = 17 * PAGE;
	struct virtio_blk_outhdr *hdr;
	__u8 *status;
	struct vdev d;
	bool ok = false;
	int round;

	if (!blk_start(&d, BIT(VHOST_BACKEND_F_IOTLB_BATCH)))
		goto out;
	hdr = (void *)buf_va(&d, 0);
	status = buf_va(&d, 3);
	for (round = 0; round < 2; round++) {
		last = unmap(d.fd, 0, d.iova + hole, PAGE);
		if (!expect_err(0, __LINE__))
			goto out;
		last = map(d.fd, 0, d.iova + hole, PAGE, d.area + hole, VHOST_ACCESS_RW);
		if (!expect_err(0, __LINE__))
			goto out;
		hdr->type = VIRTIO_BLK_T_OUT;
		hdr->sector = 128 + round;
		*status = 0xff;
		blk_add(&d, true);
		ring_kick(&d, 0);
		if (!check(ring_wait(&d, 0, d.q[0].avail) && *status == VIRTIO_BLK_S_OK,
			   "write after split %d: status %u", round, *status))
			goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/* ---- doorbells ---- */

static __u16 *bell_map(int fd, int prot, int flags, size_t len, int q)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)q * PAGE);

	return p == MAP_FAILED ? NULL : p;
}

/* mmap's checks; then traffic kicked by nothing but the doorbells, across a reset. */
static bool t_doorbell(void)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH) |
			BIT(VHOST_BACKEND_F_IOTLB_PERSIST);
	struct vhost_vring_file unbind = { .fd = -1 };
	bool ok = false;
	struct vdev d;
	__u32 nvqs;
	int q, round;

	if (!dev_init(&d, 2))
		goto out;
	if (!check(!xioctl(d.fd, VHOST_VDPA_GET_VQS_COUNT, &nvqs), "GET_VQS_COUNT"))
		goto out;
	if (!check(!bell_map(d.fd, PROT_READ | PROT_WRITE, MAP_SHARED, PAGE, 0) && errno == EINVAL,
		   "a readable doorbell mapping: %s", strerror(errno)))
		goto out;
	if (!check(!bell_map(d.fd, PROT_WRITE, MAP_PRIVATE, PAGE, 0) && errno == EINVAL,
		   "a private doorbell mapping: %s", strerror(errno)))
		goto out;
	if (!check(!bell_map(d.fd, PROT_WRITE, MAP_SHARED, 2 * PAGE, 0) && errno == EINVAL,
		   "two doorbell pages at once: %s", strerror(errno)))
		goto out;
	if (!check(!bell_map(d.fd, PROT_WRITE, MAP_SHARED, PAGE, nvqs) && errno == EINVAL,
		   "doorbell of queue %u of %u: %s", nvqs, nvqs, strerror(errno)))
		goto out;
	for (q = 0; q < d.nq; q++) {
		d.bell[q] = bell_map(d.fd, PROT_WRITE, MAP_SHARED | MAP_POPULATE, PAGE, q);
		if (!check(d.bell[q], "doorbell %d: %s", q, strerror(errno)))
			goto out;
	}
	if (!check(mprotect(d.bell[0], PAGE, PROT_READ | PROT_WRITE) && errno == EACCES,
		   "doorbell made readable: %s", strerror(errno)))
		goto out;
	for (round = 0; round < 2; round++) {
		/* The second round runs after a reset, on the same mappings. */
		if (round && !check(!set_status(d.fd, 0), "reset"))
			goto out;
		if (!dev_start(&d, NET_FEATURES, backend, !round))
			goto out;
		for (q = 0; q < d.nq; q++) {
			unbind.index = q;
			if (!check(!xioctl(d.fd, VHOST_SET_VRING_KICK, &unbind), "unbind %d", q))
				goto out;
		}
		/* Let the device's own look at DRIVER_OK pass, then post. */
		usleep(100000);
		net_post(&d, round, 500);
		usleep(100000);
		if (!check(ring_used(&d, 1) == 0, "frame sent with no doorbell rung"))
			goto out;
		ring_kick(&d, 0);
		ring_kick(&d, 1);
		if (!net_expect(&d, round, 500))
			goto out;
	}
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/* ---- all memory taken from a running device ---- */

/*
 * A VMM removing all guest memory while the device runs: one INVALIDATE
 * of everything mapped, DRIVER_OK still set. It must succeed and give
 * back every pin, and the device must reach none of that memory after
 * (a frame sent then is not delivered; the device may fault and ask for
 * a reset). Mapping the memory again must work on the running device
 * too; after a reset (IOTLB_PERSIST keeps the map) and DRIVER_OK, frames
 * flow again.
 */
static bool t_unmap_all_running(void)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_PERSIST);
	long pin0 = vmpin_kb(), area_kb = AREA_SIZE / 1024;
	__u16 rx_used, tx_used;
	struct vdev d;
	bool ok = false;
	int i;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, backend, true))
		goto out;
	net_send(&d, 1, 100);
	if (!net_expect(&d, 1, 100) || !expect_pin(pin0 + area_kb, __LINE__))
		goto out;

	last = unmap(d.fd, 0, d.iova, AREA_SIZE);
	if (!expect_err(0, __LINE__) || !expect_pin(pin0, __LINE__))
		goto out;
	/* Still our memory, but no longer the device's: the frame goes nowhere. */
	rx_used = ring_used(&d, 0);
	tx_used = ring_used(&d, 1);
	net_send(&d, 2, 100);
	for (i = 0; i < 40 && !(get_status(d.fd) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(5000);
	if (!check(ring_used(&d, 0) == rx_used && ring_used(&d, 1) == tx_used,
		   "the device used buffers in unmapped memory (used %u/%u, was %u/%u)",
		   ring_used(&d, 0), ring_used(&d, 1), rx_used, tx_used))
		goto out;

	last = map(d.fd, 0, d.iova, AREA_SIZE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__) || !expect_pin(pin0 + area_kb, __LINE__))
		goto out;
	if (!check(!set_status(d.fd, 0), "reset") ||
	    !dev_start(&d, NET_FEATURES, backend, false))
		goto out;
	net_send(&d, 3, 100);
	if (!net_expect(&d, 3, 100))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	if (ok && vmpin_kb() != pin0) {
		fail_why("VmPin %ld kB after close, expected %ld", vmpin_kb(), pin0);
		ok = false;
	}
	return ok;
}

/* ---- paths the other cases do not observe ---- */

/* The count an eventfd holds (0 when none), read and reset. */
static __u64 efd_take(int fd)
{
	__u64 n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* Wait up to 2 s for eventfd @fd to be signalled; its count, or 0. */
static __u64 efd_wait(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 2000) != 1)
		return 0;
	return efd_take(fd);
}

/* A used buffer raises the queue's interrupt: its call eventfd is signalled. */
static bool t_vring_interrupts(void)
{
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) ||
	    !dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2), true))
		goto out;
	efd_take(d.q[0].call);
	efd_take(d.q[1].call);
	net_send(&d, 5, 200);
	if (!net_expect(&d, 5, 200))
		goto out;
	ok = check(efd_wait(d.q[0].call) > 0, "no interrupt for the frame received") &&
	     check(efd_wait(d.q[1].call) > 0, "no interrupt for the frame sent");
out:
	dev_fini(&d);
	return ok;
}

/*
 * SET_VRING_ENABLE 0 stops a queue of a running device: a frame sent on
 * the disabled TX queue stays there (and nothing arrives); enabled again,
 * the same queue carries it, which shows the device was alive meanwhile.
 */
static bool t_vring_disable(void)
{
	struct vhost_vring_state en = { .index = 1, .num = 0 };
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) ||
	    !dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2), true))
		goto out;
	net_send(&d, 1, 100);
	if (!net_expect(&d, 1, 100))
		goto out;
	last = xioctl(d.fd, VHOST_VDPA_SET_VRING_ENABLE, &en);
	if (!expect_err(0, __LINE__))
		goto out;
	net_send(&d, 2, 100);
	usleep(300000);
	if (!check(ring_used(&d, 1) == 1 && ring_used(&d, 0) == 1,
		   "a disabled queue moved: tx used %u, rx used %u", ring_used(&d, 1),
		   ring_used(&d, 0)))
		goto out;
	en.num = 1;
	last = xioctl(d.fd, VHOST_VDPA_SET_VRING_ENABLE, &en);
	if (!expect_err(0, __LINE__))
		goto out;
	ring_kick(&d, 1);
	ok = net_expect(&d, 2, 100);
out:
	dev_fini(&d);
	return ok;
}

/* GET_VRING_BASE of queue pair 0 is @rx and @tx; records what it is when not. */
static bool expect_bases(struct vdev *d, unsigned int rx, unsigned int tx, const char *when)
{
	struct vhost_vring_state b0 = { .index = 0 }, b1 = { .index = 1 };

	if (!check(!xioctl(d->fd, VHOST_GET_VRING_BASE, &b0) &&
		   !xioctl(d->fd, VHOST_GET_VRING_BASE, &b1), "GET_VRING_BASE %s", when))
		return false;
	return check(b0.num == rx && b1.num == tx, "%s: bases rx %u tx %u, expected %u %u",
		     when, b0.num, b1.num, rx, tx);
}

/*
 * QEMU 7.2's stop: GET_VRING_BASE on the running, unsuspended device is
 * final (the queue stops there), and after SET_STATUS 0 the device still
 * says where each ring stood; QEMU resumes its own virtqueues from that.
 */
static bool t_qemu_stop(void)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_PERSIST);
	struct vhost_vring_state en = { .num = 1 };
	struct vdev d;
	bool ok = false;
	int q;

	if (!dev_init(&d, 2) ||
	    !dev_start(&d, NET_FEATURES, backend, true))
		goto out;
	for (q = 1; q <= 3; q++) {
		net_send(&d, q, 80);
		if (!net_expect(&d, q, 80))
			goto out;
	}
	if (!expect_bases(&d, 3, 3, "running"))
		goto out;
	net_send(&d, 4, 80);
	usleep(300000);
	if (!check(ring_used(&d, 1) == 3 && ring_used(&d, 0) == 3,
		   "a queue asked for its base moved on: tx used %u, rx used %u",
		   ring_used(&d, 1), ring_used(&d, 0)))
		goto out;
	/* Not merely slow: enabled again, the pair resumes where it stopped. */
	for (q = 0; q < 2; q++) {
		en.index = q;
		last = xioctl(d.fd, VHOST_VDPA_SET_VRING_ENABLE, &en);
		if (!expect_err(0, __LINE__))
			goto out;
		ring_kick(&d, q);
	}
	if (!net_expect(&d, 4, 80) || !expect_bases(&d, 4, 4, "resumed"))
		goto out;
	if (!check(!set_status(d.fd, 0), "SET_STATUS 0") ||
	    !check(!set_status(d.fd, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER),
		   "SET_STATUS driver") ||
	    !expect_bases(&d, 4, 4, "after reset"))
		goto out;
	/* A device started again from scratch runs as before. */
	if (!dev_start(&d, NET_FEATURES, backend, false))
		goto out;
	net_send(&d, 5, 80);
	ok = net_expect(&d, 5, 80);
out:
	dev_fini(&d);
	return ok;
}

/*
 * The config interrupt reaches SET_CONFIG_CALL's eventfd: the link goes
 * down through the simulator's debugfs ($LINK_UP names the file) and the
 * config space says so; skipped (passed) where $LINK_UP is not set.
 */
static bool t_config_interrupt(void)
{
	const char *link = getenv("LINK_UP");
	int cfd = eventfd(0, EFD_NONBLOCK);
	struct {
		struct vhost_vdpa_config hdr;
		struct virtio_net_config cfg;
	} c = { .hdr = { .off = 0, .len = sizeof(struct virtio_net_config) } };
	struct vdev d;
	bool ok = false;
	FILE *f;

	if (!link)
		return check(false, "LINK_UP is not set");
	if (!dev_init(&d, 2) ||
	    !dev_start(&d, NET_FEATURES | BIT(VIRTIO_NET_F_STATUS),
		       BIT(VHOST_BACKEND_F_IOTLB_MSG_V2), true))
		goto out;
	last = xioctl(d.fd, VHOST_VDPA_SET_CONFIG_CALL, &cfd);
	if (!expect_err(0, __LINE__))
		goto out;
	f = fopen(link, "w");
	if (!check(f && fputs("0\n", f) >= 0 && !fclose(f), "cannot write %s", link))
		goto out;
	if (!check(efd_wait(cfd) > 0, "no config interrupt for the link going down"))
		goto restore;
	last = xioctl(d.fd, VHOST_VDPA_GET_CONFIG, &c);
	ok = expect_err(0, __LINE__) &&
	     check(!(c.cfg.status & VIRTIO_NET_S_LINK_UP), "config still says link up");
restore:
	f = fopen(link, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
out:
	dev_fini(&d);
	close(cfd);
	return ok;
}

/* ---- removal while open ---- */

static bool plat_once(struct vdev *d);

static int hold(void)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH);
	struct vhost_vdpa_dirty_range r = { IOVA_BASE, AREA_SIZE };
	__u64 offered = 0, page = 4096, bm[2];
	long pin0 = vmpin_kb();
	char line[16];
	struct vdev d;
	int err, status;
	bool dirty;
	pid_t pid;
	__u8 st;

	/* Where the parent can, the device is removed while it tracks dirty pages. */
	if (!dev_init(&d, 2) || xioctl(d.fd, VHOST_GET_BACKEND_FEATURES, &offered)) {
		printf("not ok 1 - setup # %s\n", tap_why);
		return 1;
	}
	dirty = offered & BIT(VHOST_BACKEND_F_DIRTY_LOG);
	if (dirty)
		backend |= BIT(VHOST_BACKEND_F_DIRTY_LOG);
	if (!dev_start(&d, NET_FEATURES, backend, true) ||
	    (dirty && !check(!dirty_start(d.fd, 0, &r, 1, &page), "DIRTY_LOG_START"))) {
		printf("not ok 1 - setup # %s\n", tap_why);
		return 1;
	}
	/* On a wire (PEER_IF set, vp_vdpa), a frame each way; else the loopback. */
	if (getenv("PEER_IF") ? !plat_once(&d) : (net_send(&d, 3, 300), !net_expect(&d, 3, 300))) {
		printf("not ok 1 - traffic # %s\n", tap_why);
		return 1;
	}
	d.bell[0] = bell_map(d.fd, PROT_WRITE, MAP_SHARED, PAGE, 0);
	if (!d.bell[0]) {
		printf("not ok 1 - doorbell mmap # %s\n", strerror(errno));
		return 1;
	}
	ring_kick(&d, 0);
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
	/* The doorbell page went with the device: a store to it is SIGBUS. */
	pid = fork();
	if (!pid) {
		ring_kick(&d, 0);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	printf("%s 4 - doorbell store after removal: %s\n",
	       WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS ? "ok" : "not ok",
	       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "no signal");
	err = dirty ? dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, bm, 0) : -ENODEV;
	printf("%s 5 - dirty report after removal (tracking: %s): %d\n",
	       err == -ENODEV ? "ok" : "not ok", dirty ? "yes" : "no", err);
	dev_fini(&d);
	printf("1..5\n");
	return 0;
}

/*
 * A blk device whose userspace end dies with a request in flight
 * (t-vduse.sh kills VDUSE's daemon after "ready", then removes the device
 * after "submitted"): the request never completes, removal goes ahead,
 * and afterwards the file's calls fail with ENODEV.
 */
static int blk_dead(void)
{
	struct virtio_blk_outhdr *hdr;
	char line[16];
	struct vdev d;
	__u8 *status;
	int err;
	__u8 st;

	if (!blk_start(&d, 0)) {
		printf("not ok 1 - setup # %s\n", tap_why);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	hdr = (void *)buf_va(&d, 0);
	status = buf_va(&d, 3);
	hdr->type = VIRTIO_BLK_T_OUT;
	hdr->sector = 256;
	*status = 0xff;
	blk_add(&d, true);
	ring_kick(&d, 0);
	usleep(500000);
	printf("%s 1 - pending request with the daemon dead: %u used\n",
	       ring_used(&d, 0) == 0 ? "ok" : "not ok", ring_used(&d, 0));
	printf("submitted\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	err = xioctl(d.fd, VHOST_VDPA_GET_STATUS, &st);
	printf("%s 2 - ioctl after removal: %d\n", err == -ENODEV ? "ok" : "not ok", err);
	err = map(d.fd, 0, IOVA_BASE + AREA_SIZE, PAGE, d.area, VHOST_ACCESS_RW);
	printf("%s 3 - iotlb write after removal: %d\n", err == -ENODEV ? "ok" : "not ok", err);
	printf("%s 4 - never-completed request: status 0x%x\n",
	       ring_used(&d, 0) == 0 && *status == 0xff ? "ok" : "not ok", *status);
	dev_fini(&d);
	printf("1..4\n");
	return 0;
}

/* ---- removal while calls wait on userspace memory (userfaultfd) ---- */

struct uffd_call {
	int fd;
	void *arg;
	int err;
};

/* SET_VRING_NUM with its argument on a page that faults until resolved. */
static void *uffd_ioctl(void *arg)
{
	struct uffd_call *c = arg;

	c->err = xioctl(c->fd, VHOST_SET_VRING_NUM, c->arg);
	return NULL;
}

/* An UPDATE of memory that faults until resolved: pinning waits on it. */
static void *uffd_map(void *arg)
{
	struct uffd_call *c = arg;

	c->err = map(c->fd, 0, IOVA_BASE + AREA_SIZE, PAGE, c->arg, VHOST_ACCESS_RW);
	return NULL;
}

/*
 * uffdhold DEV: one thread's ioctl argument and another thread's mapped
 * page are on userfaultfd-registered pages nobody has filled, so both
 * calls wait in the kernel. Prints "ready" once both have faulted and
 * waits for a line on stdin (the device is removed meanwhile, which must
 * not wait for them), then fills the pages: both calls fail with ENODEV
 * and nothing stays pinned.
 */
static int uffd_hold(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {};
	struct uffdio_zeropage zero = {};
	struct uffd_call c[2] = {};
	long pin0 = vmpin_kb();
	struct uffd_msg msg;
	pthread_t t[2];
	char line[16];
	struct vdev d;
	__u8 *mem;
	int uffd, i, faults = 0;

	mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	reg.range.start = (unsigned long)mem;
	reg.range.len = 2 * PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (mem == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("not ok 1 - userfaultfd # %s\n1..1\n", strerror(errno));
		return 1;
	}
	if (!dev_init(&d, 2) ||
	    !dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2), true)) {
		printf("not ok 1 - setup # %s\n1..1\n", tap_why);
		return 1;
	}
	/* Both arguments are on pages nobody has filled yet. */
	c[0] = (struct uffd_call){ .fd = d.fd, .arg = mem };
	c[1] = (struct uffd_call){ .fd = d.fd, .arg = mem + PAGE };
	pthread_create(&t[0], NULL, uffd_ioctl, &c[0]);
	pthread_create(&t[1], NULL, uffd_map, &c[1]);
	/* Bounded: a kernel that serialises the two calls shows only one. */
	for (i = 0; faults < 2 && i < 50; i++) {
		struct pollfd pfd = { .fd = uffd, .events = POLLIN };

		if (poll(&pfd, 1, 100) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg))
			faults += msg.event == UFFD_EVENT_PAGEFAULT;
	}
	printf("ready %d\n", faults);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (i = 0; i < 2; i++) {
		zero.range.start = (unsigned long)mem + i * PAGE;
		zero.range.len = PAGE;
		ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("%s 1 - ioctl-waiting-on-its-argument # %d\n",
	       c[0].err == -ENODEV ? "ok" : "not ok", c[0].err);
	printf("%s 2 - update-waiting-on-pinning # %d\n",
	       c[1].err == -ENODEV ? "ok" : "not ok", c[1].err);
	printf("%s 3 - pins-released # %ld kB left\n",
	       vmpin_kb() == pin0 ? "ok" : "not ok", vmpin_kb() - pin0);
	dev_fini(&d);
	printf("1..3\n");
	return 0;
}

/* One VMM session: map, traffic both ways, close; pins back to where they were. */
static int session(void)
{
	bool ok = net_traffic(false) && t_unmapped_is_device_error();

	printf("%s 1 - vmm-round%s%s\n", ok ? "ok" : "not ok", ok ? "" : " # ", ok ? "" : tap_why);
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
	last = map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(ENOMEM, __LINE__))
		goto out;
	/*
	 * A dma_map parent refused a range: it is unpinned at once. A set_map
	 * parent that refused a table may still translate the old one: the
	 * pages wait until the device takes the next table.
	 */
	if (!check(vmpin_kb() == pin0 || vmpin_kb() == pin0 + 32,
		   "VmPin %ld kB after a refused map", vmpin_kb()))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, 8 * PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	if (!expect_pin(pin0 + 32, __LINE__))
		goto out;
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

/* ---- a parent that knows ranges only as they were mapped ---- */

/* Write @val to @name in the directory the environment variable @env names. */
static bool env_file_set(const char *env, const char *name, const char *val)
{
	const char *dir = getenv(env);
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "", name);
	f = fopen(path, "w");
	if (f && fputs(val, f) >= 0 && !fclose(f))
		return true;
	fail_why("cannot write %s", path);
	return false;
}

/* Write @val to @name in the directory $FAIL_MAP names (the simulator's fail_map). */
static bool fail_map_set(const char *name, const char *val)
{
	return env_file_set("FAIL_MAP", name, val);
}

/*
 * With the simulator's strict_dma_map on: unmapping from inside one run
 * (a hugepage) gives the device back exactly the whole run, once, and
 * maps the outer parts again. Pins follow what the device holds.
 */
static bool t_strict_dma(void)
{
	size_t len = 2UL << 20;
	__u8 *huge = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	long pin0 = vmpin_kb();
	struct vdev d;
	bool ok = false;

	if (!check(huge != MAP_FAILED, "no 2M hugepage (vm.nr_hugepages)"))
		return false;
	if (!dev_init(&d, 2))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, len, huge, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	/* Both ends inside the one run: it leaves the device once, as it was mapped. */
	last = unmap(d.fd, 0, IOVA_BASE + PAGE, PAGE);
	if (!expect_err(0, __LINE__) || !expect_pin(pin0 + 2048 - 4, __LINE__))
		goto out;
	last = unmap(d.fd, 0, IOVA_BASE, 2 * PAGE);
	if (!expect_err(0, __LINE__) || !expect_pin(pin0 + 2048 - 8, __LINE__))
		goto out;
	last = unmap(d.fd, 0, IOVA_BASE, len);
	if (!expect_err(0, __LINE__) || !expect_pin(pin0, __LINE__))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	munmap(huge, len);
	return ok;
}

/*
 * With the simulator's strict_dma_map on: a map whose second run the
 * device refuses takes back exactly the first one, as it was given.
 */
static bool t_strict_dma_rollback(void)
{
	long pin0 = vmpin_kb();
	__u8 *two = MAP_FAILED;
	struct vdev d;
	bool ok = false;
	int mfd = -1;

	if (!dev_init(&d, 2))
		goto out;
	/* Two runs for sure: one page of a memfd, mapped twice side by side. */
	mfd = memfd_create("two", 0);
	if (!check(mfd >= 0 && !ftruncate(mfd, PAGE), "memfd"))
		goto out;
	two = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!check(two != MAP_FAILED &&
		   mmap(two, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd, 0) == two &&
		   mmap(two + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd, 0) ==
		   two + PAGE, "mmap twice"))
		goto out;
	/* The device takes the first run and refuses the second. */
	if (!fail_map_set("space", "2\n") || !fail_map_set("times", "1\n") ||
	    !fail_map_set("probability", "100\n"))
		goto out;
	last = map(d.fd, 0, IOVA_BASE, 2 * PAGE, two, VHOST_ACCESS_RW);
	fail_map_set("probability", "0\n");
	fail_map_set("space", "0\n");
	if (!expect_err(ENOMEM, __LINE__) || !expect_pin(pin0, __LINE__))
		goto out;
	/* Had the first run stayed in the device, it would refuse it now. */
	last = map(d.fd, 0, IOVA_BASE, 2 * PAGE, two, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__) || !expect_pin(pin0 + 8, __LINE__))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	if (two != MAP_FAILED)
		munmap(two, 2 * PAGE);
	if (mfd >= 0)
		close(mfd);
	return ok;
}

/*
 * unmapfail DEV set_map|dma_map: the parent refuses to give pages back
 * (set_map: the simulator's fail_map refuses the new table; dma_map:
 * fail_unmap refuses the unmap, $FAIL_MAP and $FAIL_UNMAP name them).
 * The pages it may still translate stay pinned until a reset empties it;
 * the INVALIDATE says so (set_map) or keeps them quietly (dma_map).
 */
static int unmap_fail(const char *mode)
{
	bool dma = mode && !strcmp(mode, "dma_map");
	const char *env = dma ? "FAIL_UNMAP" : "FAIL_MAP";
	long pin0 = vmpin_kb();
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2))
		goto out;
	/* Pages 0 and 1 as two entries: a dma_map parent refuses the first only. */
	last = map(d.fd, 0, IOVA_BASE, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, IOVA_BASE + PAGE, PAGE, d.area + PAGE, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__) || !expect_pin(pin0 + 8, __LINE__))
		goto out;
	if (!env_file_set(env, "times", "1\n") || !env_file_set(env, "probability", "100\n"))
		goto out;
	last = unmap(d.fd, 0, IOVA_BASE, 2 * PAGE);
	env_file_set(env, "probability", "0\n");
	if (!expect_err(dma ? 0 : ENOMEM, __LINE__) ||
	    !expect_pin(pin0 + (dma ? 4 : 8), __LINE__))
		goto out;
	/* The reset empties the device's translation: now they may go. */
	if (!check(!set_status(d.fd, 0), "reset") || !expect_pin(pin0, __LINE__))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	if (ok && vmpin_kb() != pin0) {
		fail_why("VmPin %ld after close, expected %ld", vmpin_kb(), pin0);
		ok = false;
	}
	printf("%s 1 - parent-keeps-pages-%s%s%s\n", ok ? "ok" : "not ok", dma ? "dma" : "set",
	       ok ? "" : " # ", ok ? "" : tap_why);
	printf("1..1\n");
	return !ok;
}

/* ---- RLIMIT_MEMLOCK across two devices ---- */

#define RACE_PAGES 64
#define RACE_ROUNDS 300

struct racer {
	int fd;
	__u8 *mem;
	int err;
	pthread_barrier_t *go;
};

static void *racer_run(void *arg)
{
	struct racer *r = arg;
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		pthread_barrier_wait(r->go);
		r->err = map(r->fd, 0, IOVA_BASE, RACE_PAGES * PAGE, r->mem, VHOST_ACCESS_RW);
		pthread_barrier_wait(r->go);
		/* The main thread looks at both results here. */
		pthread_barrier_wait(r->go);
		if (!r->err)
			unmap(r->fd, 0, IOVA_BASE, RACE_PAGES * PAGE);
	}
	return NULL;
}

/*
 * memlock2 DEV1 DEV2: two threads of one process map at once through two
 * devices, with room under RLIMIT_MEMLOCK for one of them only: never
 * both succeed, and what is pinned never passes the limit.
 */
static int memlock_race(const char *dev2)
{
	struct racer r[2] = {};
	pthread_barrier_t go;
	pthread_t t[2];
	struct rlimit lim;
	long pin0 = vmpin_kb();
	int i, round, both = 0, one = 0, over = 0;
	bool ok;

	pthread_barrier_init(&go, NULL, 3);
	for (i = 0; i < 2; i++) {
		r[i].fd = open(i ? dev2 : dev_path, O_RDWR);
		r[i].mem = mmap(NULL, RACE_PAGES * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		r[i].go = &go;
		if (r[i].fd < 0 || r[i].mem == MAP_FAILED ||
		    xioctl(r[i].fd, VHOST_SET_OWNER, NULL)) {
			printf("not ok 1 - memlock-two-devices # setup: %s\n", strerror(errno));
			printf("1..1\n");
			return 1;
		}
	}
	/* Room for one mapping, not two. */
	lim.rlim_cur = (pin0 / 4 + RACE_PAGES + RACE_PAGES / 2) * PAGE;
	lim.rlim_max = lim.rlim_cur;
	if (setrlimit(RLIMIT_MEMLOCK, &lim)) {
		printf("not ok 1 - memlock-two-devices # setrlimit\n");
		printf("1..1\n");
		return 1;
	}
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, racer_run, &r[i]);
	for (round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(&go);
		pthread_barrier_wait(&go);
		both += !r[0].err && !r[1].err;
		one += !r[0].err != !r[1].err;
		over += vmpin_kb() > (long)(lim.rlim_cur / 1024);
		pthread_barrier_wait(&go);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		close(r[i].fd);
	}
	/* Each round one thread maps: the limit was neither wrongly refused nor passed. */
	ok = !both && !over && one == RACE_ROUNDS && vmpin_kb() == pin0;
	printf("%s 1 - memlock-two-devices # %d rounds: %d both mapped, %d one, ",
	       ok ? "ok" : "not ok", RACE_ROUNDS, both, one);
	printf("%d over the limit, VmPin %+ld kB after\n", over, vmpin_kb() - pin0);
	printf("1..1\n");
	return !ok;
}

/* pktloop IFNAME: frames of 60 and 1514 bytes come back unchanged on a loopback wire. */
static int pktloop(const char *ifname)
{
	static const int sizes[] = { 60, 1514 };
	__u8 frame[1514], got[2048];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(0x88b5) };
	struct timeval tv = { .tv_sec = 5 };
	struct ifreq ifr;
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
	/* To the interface's own MAC: the device filters what it receives. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		perror("SIOCGIFHWADDR");
		return 1;
	}
	for (n = 0; n < 2; n++) {
		memcpy(frame, ifr.ifr_hwaddr.sa_data, 6);
		memcpy(frame + 6, ifr.ifr_hwaddr.sa_data, 6);
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

/* ---- control queue index and queues the features do not give ---- */

/*
 * cvqidx and strayvq: net devices with more than one queue pair, driven
 * without and with VIRTIO_NET_F_MQ. Queue slots 0-2 keep their pages
 * (slot s in pages 4s..4s+3, buffers from page 16) whatever device index
 * they are programmed as: slot 2 is the control queue, at index 2 or at
 * 2 * max_vqp. It is in group 1, which is moved to address space 1; its
 * ring and its buffers (2 and 3) are mapped only there, so a parent that
 * took another queue for the control queue, or translated it through
 * address space 0, never answers. Rings of queues the features do not
 * give the device go in pages 40-47.
 */
#define QIDX_STRAY_OFF (40 * PAGE)
#define QIDX_MID_OFF (44 * PAGE)
#define QIDX_FEATURES (NET_FEATURES | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_CTRL_VQ) | \
		       BIT(VIRTIO_NET_F_CTRL_MAC_ADDR))

/* Program device queue @idx with the ring at @off; kick and call when >= 0. */
static bool qidx_vring(struct vdev *d, __u64 off, __u32 idx, int kick_fd, int call_fd)
{
	struct vhost_vring_state num = { .index = idx, .num = QSZ };
	struct vhost_vring_state base = { .index = idx };
	struct vhost_vring_addr addr = {
		.index = idx,
		.desc_user_addr = d->iova + off + DESC_OFF,
		.avail_user_addr = d->iova + off + AVAIL_OFF,
		.used_user_addr = d->iova + off + USED_OFF,
	};
	struct vhost_vring_file kick = { .index = idx, .fd = kick_fd };
	struct vhost_vring_file call = { .index = idx, .fd = call_fd };

	memset(d->area + off, 0, 4 * PAGE);
	return check(!xioctl(d->fd, VHOST_SET_VRING_NUM, &num) &&
		     !xioctl(d->fd, VHOST_SET_VRING_BASE, &base) &&
		     !xioctl(d->fd, VHOST_SET_VRING_ADDR, &addr) &&
		     (kick_fd < 0 || (!xioctl(d->fd, VHOST_SET_VRING_KICK, &kick) &&
				      !xioctl(d->fd, VHOST_SET_VRING_CALL, &call))),
		     "programming queue %u: %s", idx, strerror(errno));
}

static bool qidx_enable(struct vdev *d, __u32 idx)
{
	struct vhost_vring_state en = { .index = idx, .num = 1 };

	return check(!xioctl(d->fd, VHOST_VDPA_SET_VRING_ENABLE, &en), "ENABLE %u", idx);
}

/* Queue pairs of the device, from its queue count (2 per pair, one control queue). */
static __u32 qidx_pairs(struct vdev *d)
{
	__u32 nvqs = 0;

	if (xioctl(d->fd, VHOST_VDPA_GET_VQS_COUNT, &nvqs))
		return 0;
	return (nvqs - 1) / 2;
}

/* Map pages [@first, @end) of the area, at their IOVAs, in address space @asid. */
static bool qidx_map(struct vdev *d, __u32 asid, int first, int end)
{
	int err = map(d->fd, asid, d->iova + first * PAGE, (end - first) * PAGE,
		      d->area + first * PAGE, VHOST_ACCESS_RW);

	return check(!err, "map pages %d-%d in ASID %u: %s", first, end - 1, asid,
		     strerror(-err));
}

/* The group of queue @idx is @want (after FEATURES_OK). */
static bool qidx_group_is(struct vdev *d, __u32 idx, __u32 want)
{
	struct vhost_vring_state s = { .index = idx };

	return check(!xioctl(d->fd, VHOST_VDPA_GET_VRING_GROUP, &s) && s.num == want,
		     "queue %u in group %u, expected %u", idx, s.num, want);
}

/*
 * Up to FEATURES_OK with @features (and backend features @more_backend
 * besides IOTLB_MSG_V2 and IOTLB_ASID), group 1 in address space 1, the
 * memory mapped as described above, slots 0 and 1 programmed as queues 0
 * and 1 and slot 2 as queue @cvq. Nothing enabled yet.
 */
static bool qidx_negotiate(struct vdev *d, __u64 features, __u32 cvq, __u64 more_backend)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_ASID) |
			more_backend;
	__u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	struct vhost_vring_state grp = { .index = 1, .num = 1 };
	/* Pages of address space 0, and of 1: the control queue's ring, buffers 2-3. */
	static const int as0[][2] = { { 0, 8 }, { 12, 18 }, { 20, 64 } };
	static const int as1[][2] = { { 8, 12 }, { 18, 20 } };
	int i;

	if (!check(!xioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &backend), "SET_BACKEND_FEATURES") ||
	    !check(!set_status(d->fd, status), "SET_STATUS driver") ||
	    !check(!xioctl(d->fd, VHOST_SET_FEATURES, &features), "SET_FEATURES"))
		return false;
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	if (!check(!set_status(d->fd, status), "SET_STATUS features_ok") ||
	    !check(get_status(d->fd) & VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK did not stick") ||
	    !check(!xioctl(d->fd, VHOST_VDPA_SET_GROUP_ASID, &grp), "SET_GROUP_ASID"))
		return false;
	for (i = 0; i < 3; i++)
		if (!qidx_map(d, 0, as0[i][0], as0[i][1]))
			return false;
	for (i = 0; i < 2; i++)
		if (!qidx_map(d, 1, as1[i][0], as1[i][1]))
			return false;
	for (i = 0; i < 3; i++) {
		d->q[i].avail = 0;
		d->q[i].used_seen = 0;
		if (!qidx_vring(d, d->q[i].off, i < 2 ? (__u32)i : cvq, d->q[i].kick, d->q[i].call))
			return false;
	}
	return true;
}

/* Enable queues 0, 1 and @cvq, then DRIVER_OK. */
static bool qidx_run(struct vdev *d, __u32 cvq)
{
	__u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;

	return qidx_enable(d, 0) && qidx_enable(d, 1) && qidx_enable(d, cvq) &&
	       check(!set_status(d->fd, status), "DRIVER_OK");
}

/* A command on the control queue (slot 2); false when it was not answered. */
static bool qidx_ctrl(struct vdev *d, __u8 class, __u8 cmd, const void *data, __u32 len,
		      __u8 *ack)
{
	__u8 *c = buf_va(d, 2), *a = buf_va(d, 3);

	c[0] = class;
	c[1] = cmd;
	memcpy(c + 2, data, len);
	*a = 0xff;
	ring_add(d, 2, buf_iova(d, 2), 2 + len, buf_iova(d, 3), 1);
	ring_kick(d, 2);
	if (!check(ring_wait(d, 2, d->q[2].avail), "no answer on the control queue (status 0x%x)",
		   get_status(d->fd)))
		return false;
	*ack = *a;
	return true;
}

/*
 * With max_vqp > 1, the control queue is at 2 without MQ and at
 * 2 * max_vqp with it: in group 1 there, the other index in group 0; it
 * answers MAC_ADDR_SET through address space 1 and the config MAC
 * changes; a second queue pair can be turned on only with MQ; pair 0
 * carries frames.
 */
static bool cvq_index(bool mq)
{
	static const __u8 mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x0c, 0x02 };
	__u64 features = QIDX_FEATURES | (mq ? BIT(VIRTIO_NET_F_MQ) : 0);
	struct {
		struct vhost_vdpa_config hdr;
		__u8 buf[6];
	} cfg = { .hdr = { .off = 0, .len = 6 } };
	__u8 pairs_le[2] = { 2, 0 }, ack = 0xff;
	__u32 pairs, cvq, other;
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 3))
		goto out;
	pairs = qidx_pairs(&d);
	if (!check(pairs > 1, "needs a device with max_vqp > 1, it has %u", pairs))
		goto out;
	cvq = mq ? 2 * pairs : 2;
	other = mq ? 2 : 2 * pairs;
	if (!qidx_negotiate(&d, features, cvq, 0) || !qidx_group_is(&d, cvq, 1) ||
	    !qidx_group_is(&d, other, 0) || !qidx_group_is(&d, 1, 0) || !qidx_run(&d, cvq))
		goto out;
	if (!qidx_ctrl(&d, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, sizeof(mac),
		       &ack) || !check(ack == VIRTIO_NET_OK, "MAC_ADDR_SET answered %u", ack))
		goto out;
	last = xioctl(d.fd, VHOST_VDPA_GET_CONFIG, &cfg);
	if (!expect_err(0, __LINE__) ||
	    !check(!memcmp(cfg.buf, mac, sizeof(mac)), "config MAC not the one set"))
		goto out;
	if (!qidx_ctrl(&d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pairs_le,
		       sizeof(pairs_le), &ack) ||
	    !check(ack == (mq ? VIRTIO_NET_OK : VIRTIO_NET_ERR), "VQ_PAIRS_SET 2 answered %u",
		   ack))
		goto out;
	net_send(&d, 21, 200);
	ok = net_expect(&d, 21, 200);
out:
	dev_fini(&d);
	return ok;
}

/*
 * A second queue pair through vhost-vdpa. With MQ, queues 2 and 3 (slots
 * 3 and 4, rings in pages 40-47, buffers 4 and 5) are programmed and
 * enabled before DRIVER_OK, as a virtio driver does; once VQ_PAIRS_SET 2
 * is acked, a frame sent on queue 3 comes back on queue 2 (both parents'
 * loopback wire returns pair N's frames on pair N), and pair 0 still
 * carries frames.
 */
static bool t_second_pair(void)
{
	__u8 pairs_le[2] = { 2, 0 }, ack = 0xff, *rx, *tx;
	__u32 pairs, cvq;
	struct vdev d;
	bool ok = false;
	int i;

	if (!dev_init(&d, 5))
		goto out;
	pairs = qidx_pairs(&d);
	if (!check(pairs > 1, "needs a device with max_vqp > 1, it has %u", pairs))
		goto out;
	cvq = 2 * pairs;
	d.q[3].off = QIDX_STRAY_OFF;
	d.q[4].off = QIDX_MID_OFF;
	if (!qidx_negotiate(&d, QIDX_FEATURES | BIT(VIRTIO_NET_F_MQ), cvq, 0) ||
	    !qidx_vring(&d, d.q[3].off, 2, d.q[3].kick, d.q[3].call) ||
	    !qidx_vring(&d, d.q[4].off, 3, d.q[4].kick, d.q[4].call) ||
	    !qidx_enable(&d, 2) || !qidx_enable(&d, 3) || !qidx_run(&d, cvq))
		goto out;
	if (!qidx_ctrl(&d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pairs_le,
		       sizeof(pairs_le), &ack) ||
	    !check(ack == VIRTIO_NET_OK, "VQ_PAIRS_SET 2 answered %u", ack))
		goto out;
	rx = buf_va(&d, 4);
	tx = buf_va(&d, 5);
	memset(tx, 0, NET_HDR);
	for (i = 0; i < 300; i++)
		tx[NET_HDR + i] = 0x5a ^ i;
	memset(rx, 0xee, PAGE);
	ring_add(&d, 3, 0, 0, buf_iova(&d, 4), PAGE);
	ring_add(&d, 4, buf_iova(&d, 5), NET_HDR + 300, 0, 0);
	ring_kick(&d, 3);
	ring_kick(&d, 4);
	if (!check(ring_wait(&d, 4, 1), "queue 3 did not return the frame (status 0x%x)",
		   get_status(d.fd)) ||
	    !check(ring_wait(&d, 3, 1), "no frame on queue 2 (status 0x%x)", get_status(d.fd)) ||
	    !check(!memcmp(rx + NET_HDR, tx + NET_HDR, 300), "queue 2 got another frame"))
		goto out;
	net_send(&d, 22, 200);
	ok = net_expect(&d, 22, 200);
out:
	dev_fini(&d);
	return ok;
}

/*
 * The control queue's writes (its used ring, the ack byte) are logged in
 * its own address space (1 here): on cxvdpa the driver writes them from
 * the CPU, which no device tracker sees.
 */
static bool t_dirty_cvq(void)
{
	static const __u8 mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x0c, 0x03 };
	struct vhost_vdpa_dirty_range r = { IOVA_BASE, AREA_SIZE };
	__u64 page = 4096, bm[2] = { 0 };
	struct vdev d;
	bool ok = false;
	__u8 ack;

	if (!dev_init(&d, 3) ||
	    !qidx_negotiate(&d, QIDX_FEATURES, 2, BIT(VHOST_BACKEND_F_DIRTY_LOG)))
		goto out;
	last = dirty_start(d.fd, 1, &r, 1, &page);
	if (!expect_err(0, __LINE__) || !qidx_run(&d, 2))
		goto out;
	/* What starting the rings wrote, out of the way. */
	last = dirty_report_asid(d.fd, 1, IOVA_BASE, AREA_SIZE, 4096, bm, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	memset(bm, 0, sizeof(bm));
	if (!qidx_ctrl(&d, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, sizeof(mac),
		       &ack) || !check(ack == VIRTIO_NET_OK, "MAC_ADDR_SET answered %u", ack))
		goto out;
	last = dirty_report_asid(d.fd, 1, IOVA_BASE, AREA_SIZE, 4096, bm, 0);
	/*
	 * Pages 10 (the control queue's used ring) and 19 (the ack, buffer
	 * 3). cxemu's tracker also sees what the data queues write at the
	 * same IOVAs (it covers every queue of the function: over-tracking,
	 * which is safe), so other pages may be there too.
	 */
	ok = expect_err(0, __LINE__) &&
	     check((bm[0] & (1ULL << 10 | 1ULL << 19)) == (1ULL << 10 | 1ULL << 19),
		   "control queue pages logged %#llx %#llx, expected pages 10 and 19",
		   (unsigned long long)bm[0], (unsigned long long)bm[1]);
out:
	dev_fini(&d);
	return ok;
}

static bool t_cvq_index_no_mq(void)
{
	return cvq_index(false);
}

static bool t_cvq_index_mq(void)
{
	return cvq_index(true);
}

/* A number of the emulated function's "resources" file in $CXEMU_DBG; -1 if none. */
static long cxemu_held(const char *what)
{
	const char *dir = getenv("CXEMU_DBG");
	char path[256], name[32];
	long n, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/resources", dir ? dir : "");
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%31s %ld", name, &n) == 2)
		if (!strcmp(name, what))
			found = n;
	fclose(f);
	return found;
}

/* The function holds @vqs queue objects; records the line when not. */
static bool expect_vq_objects(long vqs, int line)
{
	long n = cxemu_held("vq");

	return check(n == vqs, "line %d: the function holds %ld queue objects, expected %ld",
		     line, n, vqs);
}

/*
 * cxvdpa without MQ, max_vqp > 1: queue 2 * max_vqp (the control queue
 * with MQ) and queue 3 (a data queue with MQ) are no queues of this
 * device. Programmed, and enabled (the first before DRIVER_OK too),
 * neither gets an object: the function holds objects for queues 0 and 1, a
 * reset leaves it none, and closing the device gives every key back. The
 * control queue at 2 still answers.
 */
static bool t_stray_vq(void)
{
	long mkeys = cxemu_held("mkey"), leaked = cxemu_held("leaked");
	static const __u8 mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x0c, 0x03 };
	__u8 ack = 0xff;
	__u32 stray;
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 3) ||
	    !check(mkeys >= 0 && leaked >= 0, "no resources file in $CXEMU_DBG") ||
	    !expect_vq_objects(0, __LINE__))
		goto out;
	stray = 2 * qidx_pairs(&d);
	if (!check(stray > 2, "needs a device with max_vqp > 1") ||
	    !qidx_negotiate(&d, QIDX_FEATURES, 2, 0) ||
	    !qidx_vring(&d, QIDX_STRAY_OFF, stray, -1, -1) ||
	    !qidx_vring(&d, QIDX_MID_OFF, 3, -1, -1) ||
	    !qidx_enable(&d, stray) || !qidx_run(&d, 2) ||
	    !expect_vq_objects(2, __LINE__))
		goto out;
	/* On a running device, enabling a data queue creates its object at once. */
	if (!qidx_enable(&d, stray) || !qidx_enable(&d, 3) || !expect_vq_objects(2, __LINE__))
		goto out;
	if (!qidx_ctrl(&d, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, sizeof(mac),
		       &ack) || !check(ack == VIRTIO_NET_OK, "MAC_ADDR_SET answered %u", ack))
		goto out;
	if (!check(!set_status(d.fd, 0), "reset") || !expect_vq_objects(0, __LINE__))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	/* Closed: back to the default map's keys, none busy, nothing leaked. */
	if (ok && !check(cxemu_held("mkey") == mkeys && cxemu_held("vq") == 0 &&
			 cxemu_held("leaked") == leaked,
			 "after close: mkey %ld (was %ld), vq %ld, leaked %ld (was %ld)",
			 cxemu_held("mkey"), mkeys, cxemu_held("vq"), cxemu_held("leaked"), leaked))
		ok = false;
	return ok;
}

/* cvqidx /dev/vhost-vdpa-N: a net device with max_vqp > 1 (either parent). */
static int cvq_index_cases(void)
{
	run("cvq-index-no-mq", t_cvq_index_no_mq);
	run("cvq-index-mq", t_cvq_index_mq);
	run("second-pair-carries-frames", t_second_pair);
	run("dirty-cvq-writes-logged", t_dirty_cvq);
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

/* Write @val to @name under the parent of $CXEMU_DBG (cxemu's debugfs root). */
static bool cxemu_root_set(const char *name, const char *val)
{
	char up[64];

	snprintf(up, sizeof(up), "../%s", name);
	return env_file_set("CXEMU_DBG", up, val);
}

/* The next virtio queue object MODIFY (MLX5_CMD_OP_MODIFY_GENERAL_OBJECT) fails, once. */
static bool cxemu_fail_next_modify(void)
{
	return cxemu_root_set("fail_opcode", "0xa01\n") &&
	       cxemu_root_set("fail_cmd/verbose", "0\n") &&
	       cxemu_root_set("fail_cmd/interval", "1\n") &&
	       cxemu_root_set("fail_cmd/space", "0\n") &&
	       cxemu_root_set("fail_cmd/times", "1\n") &&
	       cxemu_root_set("fail_cmd/probability", "100\n");
}

/*
 * cxvdpa refuses a map after installing it: on a running device the new
 * region is in place when moving a queue to its key fails. The UPDATE
 * fails, but the device may translate to the new pages, so they stay
 * pinned until a reset proves it does not; closing gives everything back.
 */
static bool t_swap_fail(void)
{
	const size_t extra = 256 * PAGE;
	long pin0 = vmpin_kb(), mkeys = cxemu_held("mkey"), leaked = cxemu_held("leaked");
	long area_kb = AREA_SIZE / 1024, extra_kb = extra / 1024;
	__u8 *more = mmap(NULL, extra, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct vdev d;
	bool ok = false;

	if (!check(more != MAP_FAILED, "mmap") ||
	    !check(mkeys >= 0 && leaked >= 0, "no resources file in $CXEMU_DBG") ||
	    !dev_init(&d, 2) ||
	    !dev_start(&d, NET_FEATURES, BIT(VHOST_BACKEND_F_IOTLB_MSG_V2), true))
		goto out;
	net_send(&d, 1, 100);
	if (!net_expect(&d, 1, 100) || !expect_pin(pin0 + area_kb, __LINE__) ||
	    !cxemu_fail_next_modify())
		goto out;
	last = map(d.fd, 0, d.iova + AREA_SIZE, extra, more, VHOST_ACCESS_RW);
	cxemu_root_set("fail_cmd/probability", "0\n");
	cxemu_root_set("fail_opcode", "0\n");
	if (!check(last < 0, "the UPDATE succeeded although the key swap failed") ||
	    !expect_pin(pin0 + area_kb + extra_kb, __LINE__) ||
	    !check(get_status(d.fd) & VIRTIO_CONFIG_S_NEEDS_RESET,
		   "status 0x%x: no NEEDS_RESET after a failed key swap", get_status(d.fd)))
		goto out;
	/* Reset: the device translates nothing, the refused range is let go. */
	if (!check(!set_status(d.fd, 0), "reset") || !expect_pin(pin0 + area_kb, __LINE__))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	if (more != MAP_FAILED)
		munmap(more, extra);
	if (ok && !check(vmpin_kb() == pin0 && cxemu_held("mkey") == mkeys &&
			 cxemu_held("vq") == 0 && cxemu_held("leaked") == leaked,
			 "after close: VmPin %ld (was %ld), mkey %ld (was %ld), vq %ld, leaked %ld",
			 vmpin_kb(), pin0, cxemu_held("mkey"), mkeys, cxemu_held("vq"),
			 cxemu_held("leaked")))
		ok = false;
	return ok;
}

/* ---- device dirty-page tracking (include/uapi/linux/vhost_vdpa_dirty.h) ---- */

#define DIRTY_BACKEND (BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH) | \
		       BIT(VHOST_BACKEND_F_SUSPEND) | BIT(VHOST_BACKEND_F_RESUME) | \
		       BIT(VHOST_BACKEND_F_DIRTY_LOG))
/* Receive buffers: one page each, pages DIRTY_RX0 .. DIRTY_RX0 + DIRTY_NRX - 1. */
#define DIRTY_RX0 20
#define DIRTY_NRX 32
#define DIRTY_PAGES (AREA_SIZE / PAGE)

/* The device offers the dirty log; the ioctls wait for the bit; caps are sane. */
static bool t_dirty_discovery(void)
{
	struct vhost_vdpa_dirty_caps caps = { .size = sizeof(caps) };
	__u64 backend = 0, acked;
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2))
		goto out;
	last = xioctl(d.fd, VHOST_GET_BACKEND_FEATURES, &backend);
	if (!expect_err(0, __LINE__) ||
	    !check(backend & BIT(VHOST_BACKEND_F_DIRTY_LOG), "DIRTY_LOG not offered: %#llx",
		   (unsigned long long)backend))
		goto out;
	last = xioctl(d.fd, VHOST_VDPA_DIRTY_LOG_CAPS, &caps);
	if (!expect_err(ENOTTY, __LINE__))
		goto out;
	acked = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_DIRTY_LOG);
	last = xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &acked);
	if (!expect_err(0, __LINE__))
		goto out;
	last = xioctl(d.fd, VHOST_VDPA_DIRTY_LOG_CAPS, &caps);
	if (!expect_err(0, __LINE__))
		goto out;
	ok = check((caps.page_sizes & 4096) && caps.max_ranges >= 1 &&
		   caps.max_start_ranges >= 256 && caps.max_trackers >= 1,
		   "caps: sizes %#llx ranges %u start %u trackers %u",
		   (unsigned long long)caps.page_sizes, caps.max_ranges, caps.max_start_ranges,
		   caps.max_trackers);
out:
	dev_fini(&d);
	return ok;
}

/* START, STOP and REPORT refuse what DIRTY_LOG.md says they refuse, and change nothing. */
static bool t_dirty_errors(void)
{
	struct vhost_vdpa_dirty_range r[2] = { { IOVA_BASE, AREA_SIZE } };
	struct vhost_vdpa_dirty_range many[1100];
	struct vhost_vdpa_dirty_caps caps = { .size = sizeof(caps) };
	struct vhost_vring_state gs = { .index = 0, .num = 0 };
	__u64 bm[2] = { 0 }, page, off;
	struct vdev d;
	bool ok = false;
	void *ro = MAP_FAILED;
	int i;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, DIRTY_BACKEND, true))
		goto out;
	last = xioctl(d.fd, VHOST_VDPA_DIRTY_LOG_CAPS, &caps);
	if (!expect_err(0, __LINE__))
		goto out;
	/* Not started: STOP is fine, REPORT is not. */
	last = dirty_stop(d.fd, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, bm, 0);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	page = 4096;
	last = dirty_start(d.fd, 0, r, 0, &page);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	for (i = 0; i < 1100; i++)
		many[i] = (struct vhost_vdpa_dirty_range){ IOVA_BASE + i * 2 * 4096ULL, 4096 };
	last = dirty_start(d.fd, 0, many, 1100, &page);
	if (!expect_err(E2BIG, __LINE__))
		goto out;
	for (off = 0; off < 4; off++) {
		__u64 bad[] = { 0, 3000, 4096 + 512, 1ULL << 63 | 1 };

		page = bad[off];
		last = dirty_start(d.fd, 0, r, 1, &page);
		if (!expect_err(EINVAL, __LINE__))
			goto out;
	}
	page = 4096;
	r[1] = (struct vhost_vdpa_dirty_range){ IOVA_BASE + 4096, 4096 };	/* overlaps r[0] */
	last = dirty_start(d.fd, 0, r, 2, &page);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	/* Unaligned. */
	r[1] = (struct vhost_vdpa_dirty_range){ IOVA_BASE + AREA_SIZE + 100, 4096 };
	last = dirty_start(d.fd, 0, r, 2, &page);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	r[1] = (struct vhost_vdpa_dirty_range){ IOVA_BASE + 2 * AREA_SIZE, 0 };	/* empty */
	last = dirty_start(d.fd, 0, r, 2, &page);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	r[1] = (struct vhost_vdpa_dirty_range){ ~0ULL - 4095, 8192 };	/* wraps */
	last = dirty_start(d.fd, 0, r, 2, &page);
	if (!expect_err(EOVERFLOW, __LINE__))
		goto out;
	page = 4096;
	last = dirty_start(d.fd, 5, r, 1, &page);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	/* A hint between sizes: the next size up, written back. */
	page = 4096 + 4096;
	last = dirty_start(d.fd, 0, r, 1, &page);
	if (!expect_err(0, __LINE__) ||
	    !check(page >= 8192 && (page & (page - 1)) == 0 && (caps.page_sizes & page),
		   "page size %llu chosen", (unsigned long long)page))
		goto out;
	last = dirty_start(d.fd, 0, r, 1, &page);
	if (!expect_err(EBUSY, __LINE__))
		goto out;
	/* While tracking: no group moves, the feature bit stays. */
	last = xioctl(d.fd, VHOST_VDPA_SET_GROUP_ASID, &gs);
	if (!expect_err(EBUSY, __LINE__))
		goto out;
	off = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2);
	last = xioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &off);
	if (!expect_err(EBUSY, __LINE__))
		goto out;
	/* REPORT: page size, alignment to it and to the tracking page, bitmap. */
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 2048, bm, 0);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE + 4096, 4096, 4096, bm, 0);
	if (page > 4096 && !expect_err(EINVAL, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, 0, 4096, bm, 0);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, (__u64 *)((char *)bm + 4), 0);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, bm, 0x80);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, ro, 0);
	if (!expect_err(EFAULT, __LINE__))
		goto out;
	/* None of that lost the log: a report still works. */
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, bm, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_stop(d.fd, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, bm, 0);
	ok = expect_err(EINVAL, __LINE__);
out:
	if (ro != MAP_FAILED)
		munmap(ro, 4096);
	dev_fini(&d);
	return ok;
}

/* AnonHugePages of this process, in kB (-1 if unknown). */
static long anon_huge_kb(void)
{
	return proc_kb("smaps_rollup", "AnonHugePages");
}

/* Set bit n of a u64-word bitmap. */
static void bm_set(__u64 *bm, __u64 n)
{
	bm[n / 64] |= 1ULL << (n % 64);
}

static bool bm_test(const __u64 *bm, __u64 n)
{
	return bm[n / 64] >> (n % 64) & 1;
}

/*
 * Copy to @b the report pages of @a that @bm (report page @rpage) says
 * are dirty, and the pages the driver wrote itself (@cpu, in 4 KiB pages:
 * what a VMM's CPU dirty log would give it). Returns the report pages
 * copied.
 */
static int dirty_copy(const __u8 *a, __u8 *b, const __u64 *bm, __u64 rpage, const __u64 *cpu)
{
	__u64 n, copied = 0;

	for (n = 0; n < AREA_SIZE / rpage; n++) {
		if (!bm_test(bm, n))
			continue;
		memcpy(b + n * rpage, a + n * rpage, rpage);
		copied++;
	}
	for (n = 0; n < DIRTY_PAGES; n++)
		if (bm_test(cpu, n))
			memcpy(b + n * PAGE, a + n * PAGE, PAGE);
	return copied;
}

/* The pages a driver writes to send one frame: transmit ring (desc, avail) and buffer. */
static void dirty_cpu_tx(__u64 *cpu)
{
	bm_set(cpu, 4);
	bm_set(cpu, 5);
	bm_set(cpu, 16);
}

/*
 * Pre-copy migration of the area (A) into a copy (B) while the device
 * writes frames into it: everything first, then rounds of REPORT + copy
 * while frames keep arriving, then SUSPEND, a last REPORT + copy. B must
 * equal A byte for byte; without the last round (@control) it must not,
 * so the comparison can fail. @rpage: the report page size; @remap: an
 * INVALIDATE and UPDATE of the transmit buffer's page during tracking.
 */
static bool dirty_precopy(__u64 rpage, bool remap, bool control, bool thp)
{
	struct vhost_vdpa_dirty_range r = { IOVA_BASE, AREA_SIZE };
	__u64 bm[DIRTY_PAGES / 64 + 1], cpu[DIRTY_PAGES / 64 + 1], page = 4096;
	const size_t huge = 2UL << 20;
	__u8 *b = malloc(AREA_SIZE), *raw = MAP_FAILED;
	int round, i, sent = 0;
	struct vdev d;
	bool ok = false;

	if (!check(b, "malloc") || !dev_init(&d, 2))
		goto out;
	if (thp) {
		/* The area inside one transparent huge page, as QEMU's RAM is. */
		raw = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
		if (!check(raw != MAP_FAILED, "mmap"))
			goto out;
		munmap(d.area, AREA_SIZE);
		d.area = (__u8 *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
		if (!check(!madvise(d.area, huge, MADV_HUGEPAGE), "MADV_HUGEPAGE"))
			goto out;
		memset(d.area, 0, huge);
		if (!check(anon_huge_kb() >= 2048,
			   "no transparent huge page (AnonHugePages %ld kB)", anon_huge_kb()))
			goto out;
	}
	if (!dev_start(&d, NET_FEATURES, DIRTY_BACKEND, true))
		goto out;
	last = dirty_start(d.fd, 0, &r, 1, &page);
	if (!expect_err(0, __LINE__))
		goto out;
	for (i = 0; i < DIRTY_NRX; i++)
		ring_add(&d, 0, 0, 0, d.iova + (DIRTY_RX0 + i) * PAGE, PAGE);
	ring_kick(&d, 0);
	memcpy(b, d.area, AREA_SIZE);

	for (round = 0; round < 4; round++) {
		memset(cpu, 0, sizeof(cpu));
		for (i = 0; i < 3; i++, sent++) {
			__u8 *tx = buf_va(&d, 0);

			memset(tx, 0, NET_HDR);
			memset(tx + NET_HDR, 0x40 + sent, 200);
			ring_add(&d, 1, buf_iova(&d, 0), NET_HDR + 200, 0, 0);
			ring_kick(&d, 1);
			dirty_cpu_tx(cpu);
			if (!check(ring_wait(&d, 0, sent + 1), "frame %d not received", sent))
				goto out;
		}
		if (remap && round == 1) {
			last = unmap(d.fd, 0, buf_iova(&d, 0), PAGE);
			if (!expect_err(0, __LINE__))
				goto out;
			last = map(d.fd, 0, buf_iova(&d, 0), PAGE, buf_va(&d, 0), VHOST_ACCESS_RW);
			if (!expect_err(0, __LINE__))
				goto out;
		}
		memset(bm, 0, sizeof(bm));
		last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, rpage, bm, 0);
		if (!expect_err(0, __LINE__))
			goto out;
		if (!check(dirty_copy(d.area, b, bm, rpage, cpu) > 0, "round %d: nothing dirty",
			   round))
			goto out;
	}
	/* Frames after the last round: only the final REPORT knows of them. */
	memset(cpu, 0, sizeof(cpu));
	for (i = 0; i < 2; i++, sent++) {
		memset(buf_va(&d, 0) + NET_HDR, 0x80 + sent, 200);
		ring_add(&d, 1, buf_iova(&d, 0), NET_HDR + 200, 0, 0);
		ring_kick(&d, 1);
		dirty_cpu_tx(cpu);
		if (!check(ring_wait(&d, 0, sent + 1), "frame %d not received", sent))
			goto out;
	}
	last = xioctl(d.fd, VHOST_VDPA_SUSPEND, NULL);
	if (!expect_err(0, __LINE__))
		goto out;
	memset(bm, 0, sizeof(bm));
	if (!control) {
		last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, rpage, bm, 0);
		if (!expect_err(0, __LINE__))
			goto out;
	}
	dirty_copy(d.area, b, bm, rpage, cpu);
	if (control) {
		ok = check(memcmp(d.area, b, AREA_SIZE),
			   "the copy is right without the last round");
		goto out;
	}
	if (!check(!memcmp(d.area, b, AREA_SIZE), "the copy differs from the memory"))
		goto out;
	/* Suspended: that report emptied the log. */
	memset(bm, 0, sizeof(bm));
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, rpage, bm, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	for (i = 0; i < (int)ARRAY_SIZE(bm); i++)
		if (!check(!bm[i], "a report after the final one found pages (word %d %#llx)", i,
			   (unsigned long long)bm[i]))
			goto out;
	ok = true;
out:
	free(b);
	dev_fini(&d);
	if (raw != MAP_FAILED)
		munmap(raw, 2 * huge);
	return ok;
}

static bool t_dirty_precopy(void)
{
	return dirty_precopy(4096, false, false, false);
}

static bool t_dirty_precopy_control(void)
{
	return dirty_precopy(4096, false, true, false);
}

static bool t_dirty_precopy_64k(void)
{
	return dirty_precopy(65536, false, false, false);
}

static bool t_dirty_precopy_remap(void)
{
	return dirty_precopy(4096, true, false, false);
}

static bool t_dirty_precopy_thp(void)
{
	return dirty_precopy(4096, false, false, true);
}

/* A writable mapping outside the tracked ranges loses the log: REPORT says EIO until STOP. */
static bool t_dirty_map_outside(void)
{
	struct vhost_vdpa_dirty_range r = { IOVA_BASE, AREA_SIZE / 2 };
	__u64 bm[2], page = 4096;
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, DIRTY_BACKEND, false))
		goto out;
	last = map(d.fd, 0, d.iova, AREA_SIZE / 2, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_start(d.fd, 0, &r, 1, &page);
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE / 2, 4096, bm, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	/* Read-only outside is harmless; writable is not. */
	last = map(d.fd, 0, d.iova + AREA_SIZE / 2, PAGE, d.area + AREA_SIZE / 2, VHOST_ACCESS_RO);
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE / 2, 4096, bm, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, d.iova + AREA_SIZE / 2 + PAGE, PAGE, d.area + AREA_SIZE / 2 + PAGE,
		   VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE / 2, 4096, bm, 0);
	if (!expect_err(EIO, __LINE__))
		goto out;
	last = dirty_stop(d.fd, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	r.length = AREA_SIZE;
	last = dirty_start(d.fd, 0, &r, 1, &page);
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, bm, 0);
	ok = expect_err(0, __LINE__);
out:
	dev_fini(&d);
	return ok;
}

/*
 * cxvdpa on a function with odd page-tracker limits (t-cxvdpa sets them:
 * one range per tracker, 64 KiB pages at least, a 16 MiB address space):
 * the caps say so, ranges are combined into one, the page size goes up,
 * a larger span is refused, and the pre-copy is still exact.
 */
static bool t_dirty_odd(void)
{
	struct vhost_vdpa_dirty_range r[3] = {
		{ IOVA_BASE, 65536 },
		{ IOVA_BASE + 0x40000, 65536 },
		{ IOVA_BASE + 0x100000, 65536 },
	};
	struct vhost_vdpa_dirty_caps caps = { .size = sizeof(caps) };
	__u64 page = 4096, bm[8] = { 0 };
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, DIRTY_BACKEND, true))
		goto out;
	last = xioctl(d.fd, VHOST_VDPA_DIRTY_LOG_CAPS, &caps);
	if (!expect_err(0, __LINE__) ||
	    !check(caps.max_ranges == 1 && (caps.page_sizes & -caps.page_sizes) == 65536 &&
		   caps.max_span == 16 << 20, "caps: ranges %u sizes %#llx span %#llx",
		   caps.max_ranges, (unsigned long long)caps.page_sizes,
		   (unsigned long long)caps.max_span))
		goto out;
	last = dirty_start(d.fd, 0, r, 3, &page);
	if (!expect_err(0, __LINE__) ||
	    !check(page == 65536, "page %llu, expected 64 KiB", (unsigned long long)page))
		goto out;
	/* One tracker range spans all three: a page between them is logged too. */
	last = xioctl(d.fd, VHOST_VDPA_DIRTY_LOG_REPORT, &(struct vhost_vdpa_dirty_report){
		.size = sizeof(struct vhost_vdpa_dirty_report), .iova = IOVA_BASE,
		.length = 0x110000, .page_size = 65536, .bitmap = (uintptr_t)bm });
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_stop(d.fd, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	r[0].length = 32 << 20;
	last = dirty_start(d.fd, 0, r, 1, &page);
	if (!expect_err(EOPNOTSUPP, __LINE__))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	return ok;
}

/*
 * The function's tracker fails (cxemu's track_error, $CXEMU_DBG): REPORT
 * answers EIO, again, until STOP; a new START works.
 */
static bool t_dirty_tracker_error(void)
{
	struct vhost_vdpa_dirty_range r = { IOVA_BASE, AREA_SIZE };
	__u64 page = 4096, bm[2];
	struct vdev d;
	bool ok = false;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, DIRTY_BACKEND, true))
		goto out;
	last = dirty_start(d.fd, 0, &r, 1, &page);
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, bm, 0);
	if (!expect_err(0, __LINE__) || !env_file_set("CXEMU_DBG", "track_error", "1\n"))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, bm, 0);
	if (!expect_err(EIO, __LINE__))
		goto out;
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, bm, 0);
	if (!expect_err(EIO, __LINE__))
		goto out;
	last = dirty_stop(d.fd, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	last = dirty_start(d.fd, 0, &r, 1, &page);
	if (!expect_err(0, __LINE__))
		goto out;
	net_send(&d, 1, 100);
	if (!net_expect(&d, 1, 100))
		goto out;
	memset(bm, 0, sizeof(bm));
	last = dirty_report(d.fd, IOVA_BASE, AREA_SIZE, 4096, bm, 0);
	ok = expect_err(0, __LINE__) && check(bm[0] || bm[1], "nothing dirty after a frame");
out:
	dev_fini(&d);
	return ok;
}

/*
 * A firmware command of START fails (cxemu's fail_cmd on
 * CREATE_GENERAL_OBJECT: the report queue's, then the tracker's): START
 * fails, and nothing it made is left in the function; then it works.
 */
static bool t_dirty_start_fails(void)
{
	struct vhost_vdpa_dirty_range r = { IOVA_BASE, AREA_SIZE };
	__u64 page = 65536;
	long mkeys;
	struct vdev d;
	bool ok = false;
	int skip;

	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, DIRTY_BACKEND, true))
		goto out;
	mkeys = cxemu_held("mkey");
	for (skip = 0; skip < 2; skip++) {
		char n[8];

		snprintf(n, sizeof(n), "%d\n", skip);
		if (!cxemu_root_set("fail_opcode", "0xa00\n") ||
		    !cxemu_root_set("fail_cmd/verbose", "0\n") ||
		    !cxemu_root_set("fail_cmd/interval", "1\n") ||
		    !cxemu_root_set("fail_cmd/space", n) ||
		    !cxemu_root_set("fail_cmd/times", "1\n") ||
		    !cxemu_root_set("fail_cmd/probability", "100\n"))
			goto out;
		last = dirty_start(d.fd, 0, &r, 1, &page);
		cxemu_root_set("fail_cmd/probability", "0\n");
		cxemu_root_set("fail_opcode", "0\n");
		if (!check(last < 0, "START succeeded with create %d failing", skip) ||
		    !check(cxemu_held("tracker") == 0 && cxemu_held("track_rq") == 0 &&
			   cxemu_held("mkey") == mkeys,
			   "after a failed START: tracker %ld track_rq %ld mkey %ld (was %ld)",
			   cxemu_held("tracker"), cxemu_held("track_rq"), cxemu_held("mkey"),
			   mkeys))
			goto out;
	}
	last = dirty_start(d.fd, 0, &r, 1, &page);
	ok = expect_err(0, __LINE__);
out:
	dev_fini(&d);
	return ok;
}

/* ---- the vhost log unmodified QEMU uses (VHOST_F_LOG_ALL, VHOST_SET_LOG_BASE) ---- */

/*
 * A small guest as QEMU 7.2 lays out a PC (DIRTY_LOG.md, "The vhost log
 * that unmodified QEMU uses"): RAM at IOVA 0, holding the rings and the
 * buffers (the vdev's area), and display VRAM in the 3-4 GiB hole, mapped
 * writable but left out of QEMU's log, whose bits cover RAM only: highest
 * RAM address / 256 KiB + 1 words, allocated with nothing said to the
 * kernel about its size.
 */
#define VLOG_RAM (2UL << 20)
/* Where the display memory is: QEMU's default, or a BAR the guest moved. */
#define VLOG_HIGH_DEFAULT 0xfd000000ULL
static __u64 vlog_high = VLOG_HIGH_DEFAULT;
#define VLOG_HIGH_SIZE (16UL << 20)
#define VLOG_CHUNK (64 * PAGE)		/* what one u64 word of the log covers */
#define VLOG_WORDS ((VLOG_RAM - 1) / VLOG_CHUNK + 1)
/*
 * After the log, zeroed pages as far as the bits of the VRAM would reach:
 * a kernel that logged VRAM writes past QEMU's buffer sets bits there, and
 * the case sees them, instead of in whatever memory follows.
 */
#define VLOG_GUARD_BYTES ((VLOG_HIGH_DEFAULT + VLOG_HIGH_SIZE) / VLOG_CHUNK * 8)
#define VLOG_GUARD ((VLOG_GUARD_BYTES + PAGE - 1) / PAGE * PAGE)
/* The backend features QEMU 7.2 acks: no DIRTY_LOG, it knows nothing of it. */
#define VLOG_BACKEND (BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH))
#define VLOG_RING_F_LOG BIT(VHOST_VRING_F_LOG)

struct vlog {
	__u8 *map;	/* one page, the log at its end; VLOG_GUARD bytes of guard after */
	__u64 *w;	/* VLOG_WORDS words */
};

/* A case's guest: the device with RAM as its area, the VRAM, two logs. */
struct vguest {
	struct vdev d;
	__u8 *high;
	struct vlog log[2];
	__u8 seed;	/* of the last frame */
};

/* Whether the parent tracks dirty pages, as the vhostlog cases need; why not when not. */
static bool vlog_parent_tracks(struct vdev *d)
{
	__u64 backend = 0, features = 0;

	if (!check(!xioctl(d->fd, VHOST_GET_BACKEND_FEATURES, &backend) &&
		   !xioctl(d->fd, VHOST_GET_FEATURES, &features), "GET_(BACKEND_)FEATURES failed"))
		return false;
	if (!check(backend & BIT(VHOST_BACKEND_F_DIRTY_LOG),
		   "the parent cannot track dirty pages (backend features %#llx, no DIRTY_LOG): vhostlog needs a device that can",
		   (unsigned long long)backend))
		return false;
	return check(features & BIT(VHOST_F_LOG_ALL), "GET_FEATURES %#llx lacks VHOST_F_LOG_ALL",
		     (unsigned long long)features);
}

/*
 * Open the device, lay the guest out (not started) and map the VRAM. The
 * rings keep off page 0: QEMU takes a descriptor address of 0 for a queue
 * that was never started.
 */
static bool vguest_init(struct vguest *g)
{
	const int prot = PROT_READ | PROT_WRITE;
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
	int i, q;

	g->high = MAP_FAILED;
	g->seed = 0;
	for (i = 0; i < 2; i++)
		g->log[i].map = MAP_FAILED;
	if (!dev_init(&g->d, 2))
		return false;
	munmap(g->d.area, g->d.size);
	g->d.area = mmap(NULL, VLOG_RAM, prot, flags, -1, 0);
	g->d.size = VLOG_RAM;
	g->d.iova = 0;
	for (q = 0; q < g->d.nq; q++)
		g->d.q[q].off = (8 + 4 * q) * PAGE;
	g->high = mmap(NULL, VLOG_HIGH_SIZE, prot, flags, -1, 0);
	if (!check(g->d.area != MAP_FAILED && g->high != MAP_FAILED, "mmap"))
		return false;
	for (i = 0; i < 2; i++) {
		g->log[i].map = mmap(NULL, PAGE + VLOG_GUARD, prot, flags, -1, 0);
		if (!check(g->log[i].map != MAP_FAILED, "mmap log"))
			return false;
		g->log[i].w = (__u64 *)(g->log[i].map + PAGE) - VLOG_WORDS;
	}
	if (!vlog_parent_tracks(&g->d))
		return false;
	last = map(g->d.fd, 0, vlog_high, VLOG_HIGH_SIZE, g->high, VHOST_ACCESS_RW);
	return expect_err(0, __LINE__);
}

static void vguest_fini(struct vguest *g)
{
	int i;

	dev_fini(&g->d);
	if (g->high != MAP_FAILED)
		munmap(g->high, VLOG_HIGH_SIZE);
	for (i = 0; i < 2; i++)
		if (g->log[i].map != MAP_FAILED)
			munmap(g->log[i].map, PAGE + VLOG_GUARD);
}

/*
 * One frame round the loopback into a one-page receive buffer at @iova
 * (@va here), checked byte for byte; both queues' buffers all used after.
 */
static bool vlog_frame(struct vguest *g, __u64 iova, __u8 *va)
{
	struct vdev *d = &g->d;
	__u8 seed = ++g->seed, *tx = buf_va(d, 1);
	int i, len = 256;

	memset(tx, 0, NET_HDR);
	for (i = 0; i < len; i++)
		tx[NET_HDR + i] = seed + i;
	memset(va, 0xee, PAGE);
	ring_add(d, 0, 0, 0, iova, PAGE);
	ring_add(d, 1, buf_iova(d, 1), NET_HDR + len, 0, 0);
	ring_kick(d, 0);
	ring_kick(d, 1);
	if (!check(ring_wait(d, 0, d->q[0].avail) && ring_wait(d, 1, d->q[1].avail),
		   "frame %u into IOVA %#llx did not come round (status 0x%x)", seed,
		   (unsigned long long)iova, get_status(d->fd)))
		return false;
	for (i = 0; i < len; i++)
		if (!check(va[NET_HDR + i] == (__u8)(seed + i),
			   "frame %u into IOVA %#llx differs at byte %d", seed,
			   (unsigned long long)iova, i))
			return false;
	return true;
}

/* A frame into RAM page @page, or into page @page of the VRAM. */
static bool vlog_frame_ram(struct vguest *g, __u64 page)
{
	return vlog_frame(g, g->d.iova + page * PAGE, g->d.area + page * PAGE);
}

static bool vlog_frame_high(struct vguest *g, __u64 page)
{
	return vlog_frame(g, vlog_high + page * PAGE, g->high + page * PAGE);
}

/* The RAM page of queue @q's used ring: the device writes it for every buffer. */
static __u64 vlog_used_page(struct vguest *g, int q)
{
	return qiova(&g->d, q, USED_OFF) / PAGE;
}

/* vhost_vdpa's log_interval_ms: how often the kernel fills the log. */
static unsigned int vlog_interval_ms(void)
{
	FILE *f = fopen("/sys/module/vhost_vdpa/parameters/log_interval_ms", "r");
	unsigned int ms = 30;

	if (f) {
		if (fscanf(f, "%u", &ms) != 1 || !ms)
			ms = 30;
		fclose(f);
	}
	return ms;
}

static bool vlog_bit(const struct vlog *l, __u64 page)
{
	return __atomic_load_n(&l->w[page / 64], __ATOMIC_ACQUIRE) >> (page % 64) & 1;
}

/* Empty the log as QEMU reads it: an atomic exchange per word. */
static void vlog_clear(struct vlog *l)
{
	unsigned int i;

	for (i = 0; i < VLOG_WORDS; i++)
		__atomic_exchange_n(&l->w[i], 0, __ATOMIC_ACQ_REL);
}

/* The bits of the @n pages @pages (4 KiB pages of IOVA) are set in @l now. */
static bool vlog_has(const struct vlog *l, const __u64 *pages, int n, const char *when)
{
	int i;

	for (i = 0; i < n; i++)
		if (!check(vlog_bit(l, pages[i]), "%s: IOVA %#llx, device-written, not logged",
			   when, (unsigned long long)pages[i] * PAGE))
			return false;
	return true;
}

/* As vlog_has(), within 2 s or 10 log intervals, whichever is longer. */
static bool vlog_wait(const struct vlog *l, const __u64 *pages, int n, const char *when)
{
	unsigned int ms = 10 * vlog_interval_ms(), t;
	int i;

	if (ms < 2000)
		ms = 2000;
	for (t = 0; t < ms; t += 10) {
		for (i = 0; i < n && vlog_bit(l, pages[i]); i++)
			;
		if (i == n)
			return true;
		usleep(10000);
	}
	return vlog_has(l, pages, n, when);
}

/*
 * Nothing logged past the RAM: the log's bits from the end of RAM on, and
 * the guard after the log, are zero.
 */
static bool vlog_clean(const struct vlog *l, const char *when)
{
	__u64 n, w;

	for (n = VLOG_RAM / PAGE; n < VLOG_WORDS * 64; n++)
		if (!check(!vlog_bit(l, n), "%s: IOVA %#llx logged, past the RAM", when,
			   (unsigned long long)n * PAGE))
			return false;
	for (n = VLOG_WORDS; n < VLOG_WORDS + VLOG_GUARD / 8; n++) {
		w = __atomic_load_n(&l->w[n], __ATOMIC_ACQUIRE);
		if (!check(!w, "%s: a bit for IOVA %#llx set past the end of the log", when,
			   (unsigned long long)(n * 64 + __builtin_ctzll(w | BIT(63))) * PAGE))
			return false;
	}
	return true;
}

/* Nothing logged at all. */
static bool vlog_empty(const struct vlog *l, const char *when)
{
	__u64 n;

	for (n = 0; n < VLOG_WORDS * 64; n++)
		if (!check(!vlog_bit(l, n), "%s: IOVA %#llx logged", when,
			   (unsigned long long)n * PAGE))
			return false;
	return vlog_clean(l, when);
}

/* Five log intervals later, @l is still all zero: nothing writes it. */
static bool vlog_stays_empty(const struct vlog *l, const char *when)
{
	usleep(5 * vlog_interval_ms() * 1000);
	return vlog_empty(l, when);
}

/* SET_VRING_ADDR of every queue again with @flags, the addresses unchanged. */
static bool vlog_ring_addrs(struct vdev *d, __u32 flags)
{
	int q;

	for (q = 0; q < d->nq; q++) {
		struct vhost_vring_addr addr = {
			.index = q,
			.flags = flags,
			.desc_user_addr = qiova(d, q, DESC_OFF),
			.avail_user_addr = qiova(d, q, AVAIL_OFF),
			.used_user_addr = qiova(d, q, USED_OFF),
			/* What QEMU passes; the kernel ignores it. */
			.log_guest_addr = qiova(d, q, USED_OFF),
		};

		last = xioctl(d->fd, VHOST_SET_VRING_ADDR, &addr);
		if (!check(!last, "SET_VRING_ADDR %d, flags %#x: %d", q, flags, last))
			return false;
	}
	return true;
}

/*
 * Logging on or off on a configured (here: running) device, the way QEMU
 * 7.2 switches it: SET_FEATURES with or without VHOST_F_LOG_ALL, the status
 * read and written back, the backend features read and acked again,
 * SET_VRING_ADDR of each queue with or without VHOST_VRING_F_LOG. QEMU
 * aborts when any of it fails.
 */
static bool vlog_qemu_set_log(struct vdev *d, bool on)
{
	__u64 f = NET_FEATURES | (on ? BIT(VHOST_F_LOG_ALL) : 0), backend = 0;
	__u8 status;

	last = xioctl(d->fd, VHOST_SET_FEATURES, &f);
	if (!check(!last, "SET_FEATURES %#llx: %d", (unsigned long long)f, last))
		return false;
	status = get_status(d->fd);
	last = set_status(d->fd, status);
	if (!check(!last, "SET_STATUS 0x%x again: %d", status, last) ||
	    !check(get_status(d->fd) == status, "status 0x%x after SET_STATUS 0x%x",
		   get_status(d->fd), status))
		return false;
	last = xioctl(d->fd, VHOST_GET_BACKEND_FEATURES, &backend);
	if (!check(!last, "GET_BACKEND_FEATURES: %d", last))
		return false;
	backend = VLOG_BACKEND;
	last = xioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &backend);
	if (!check(!last, "SET_BACKEND_FEATURES with logging %s: %d", on ? "on" : "off", last))
		return false;
	return vlog_ring_addrs(d, on ? VLOG_RING_F_LOG : 0);
}

/* QEMU's migration start on a running device: SET_LOG_BASE, then logging on. */
static bool vlog_qemu_start(struct vdev *d, const struct vlog *l)
{
	__u64 base = (uintptr_t)l->w;

	last = xioctl(d->fd, VHOST_SET_LOG_BASE, &base);
	if (!check(!last, "SET_LOG_BASE: %d", last))
		return false;
	return vlog_qemu_set_log(d, true);
}

/* The guest laid out and running without a log, a frame round to show it. */
static bool vguest_start(struct vguest *g)
{
	if (!vguest_init(g) || !dev_start(&g->d, NET_FEATURES, VLOG_BACKEND, true))
		return false;
	return vlog_frame_ram(g, 64);
}

/*
 * VHOST_F_LOG_ALL is offered exactly where the parent tracks dirty pages;
 * a log base must be aligned; before FEATURES_OK the bit is negotiated as
 * any other, after it only the bit may change; rings take VHOST_VRING_F_LOG.
 */
static bool t_vlog_offered(void)
{
	__u64 features = 0, backend = 0, f, base;
	__u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	struct vdev d;
	bool ok = false, tracks;

	if (!dev_init(&d, 2))
		goto out;
	last = xioctl(d.fd, VHOST_GET_FEATURES, &features);
	if (!expect_err(0, __LINE__))
		goto out;
	last = xioctl(d.fd, VHOST_GET_BACKEND_FEATURES, &backend);
	if (!expect_err(0, __LINE__))
		goto out;
	tracks = backend & BIT(VHOST_BACKEND_F_DIRTY_LOG);
	if (!check(!(features & BIT(VHOST_F_LOG_ALL)) == !tracks,
		   "features %#llx, backend features %#llx: LOG_ALL without DIRTY_LOG or back",
		   (unsigned long long)features, (unsigned long long)backend))
		goto out;
	if (!tracks) {
		/* Not offered, so refused like any feature not offered. */
		f = NET_FEATURES | BIT(VHOST_F_LOG_ALL);
		last = xioctl(d.fd, VHOST_SET_FEATURES, &f);
		ok = expect_err(EINVAL, __LINE__);
		goto out;
	}
	base = (uintptr_t)d.area + 4;
	last = xioctl(d.fd, VHOST_SET_LOG_BASE, &base);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	base = (uintptr_t)d.area;
	last = xioctl(d.fd, VHOST_SET_LOG_BASE, &base);
	if (!expect_err(0, __LINE__))
		goto out;
	base = 0;
	last = xioctl(d.fd, VHOST_SET_LOG_BASE, &base);
	if (!expect_err(0, __LINE__))
		goto out;
	last = set_status(d.fd, status);
	if (!expect_err(0, __LINE__))
		goto out;
	f = NET_FEATURES | BIT(VHOST_F_LOG_ALL);
	last = xioctl(d.fd, VHOST_SET_FEATURES, &f);
	if (!expect_err(0, __LINE__))
		goto out;
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	last = set_status(d.fd, status);
	if (!expect_err(0, __LINE__) ||
	    !check(get_status(d.fd) == status,
		   "status 0x%x after FEATURES_OK with LOG_ALL (the parent was given bit 26?)",
		   get_status(d.fd)))
		goto out;
	f = NET_FEATURES;
	last = xioctl(d.fd, VHOST_SET_FEATURES, &f);
	if (!expect_err(0, __LINE__))
		goto out;
	f = NET_FEATURES | BIT(VHOST_F_LOG_ALL);
	last = xioctl(d.fd, VHOST_SET_FEATURES, &f);
	if (!expect_err(0, __LINE__))
		goto out;
	f = BIT(VIRTIO_F_VERSION_1) | BIT(VHOST_F_LOG_ALL);
	last = xioctl(d.fd, VHOST_SET_FEATURES, &f);
	if (!expect_err(EBUSY, __LINE__))
		goto out;
	f = BIT(VIRTIO_F_VERSION_1);
	last = xioctl(d.fd, VHOST_SET_FEATURES, &f);
	if (!expect_err(EBUSY, __LINE__))
		goto out;
	if (!vlog_ring_addrs(&d, VLOG_RING_F_LOG))
		goto out;
	last = set_status(d.fd, 0);
	ok = expect_err(0, __LINE__);
out:
	dev_fini(&d);
	return ok;
}

/*
 * What the issue is about: QEMU 7.2 starts a migration of a running guest
 * whose VRAM the device may write. Every call of its sequence succeeds;
 * the pages the device writes in RAM are logged (the last RAM page among
 * them); its writes to the VRAM are not, and nothing is written past the
 * log's end, which QEMU never told the kernel. Then QEMU's stop:
 * GET_VRING_BASE of the running queues, SET_STATUS 0.
 */
static bool t_vlog_qemu_layout(void)
{
	const __u64 ram_rx[] = { 65, 300, VLOG_RAM / PAGE - 1 };
	const __u64 high_rx[] = { 0, 1, 37, 2048, VLOG_HIGH_SIZE / PAGE - 1 };
	__u64 want[2 + ARRAY_SIZE(ram_rx)];
	struct vguest g;
	bool ok = false;
	unsigned int i;
	int q;

	if (!vguest_start(&g) || !vlog_qemu_start(&g.d, &g.log[0]))
		goto out;
	want[0] = vlog_used_page(&g, 0);
	want[1] = vlog_used_page(&g, 1);
	for (i = 0; i < ARRAY_SIZE(high_rx); i++)
		if (!vlog_frame_high(&g, high_rx[i]))
			goto out;
	for (i = 0; i < ARRAY_SIZE(ram_rx); i++) {
		want[2 + i] = ram_rx[i];
		if (!vlog_frame_ram(&g, ram_rx[i]) || !vlog_frame_high(&g, high_rx[i]))
			goto out;
	}
	if (!vlog_wait(&g.log[0], want, ARRAY_SIZE(want), "logging") ||
	    !vlog_clean(&g.log[0], "logging"))
		goto out;
	for (q = 0; q < 2; q++) {
		struct vhost_vring_state base = { .index = q };

		last = xioctl(g.d.fd, VHOST_GET_VRING_BASE, &base);
		if (!expect_err(0, __LINE__) ||
		    !check(base.num == g.d.q[q].avail, "GET_VRING_BASE %d: %u, expected %u", q,
			   base.num, g.d.q[q].avail))
			goto out;
	}
	last = set_status(g.d.fd, 0);
	ok = expect_err(0, __LINE__) && vlog_clean(&g.log[0], "after the reset");
out:
	vguest_fini(&g);
	return ok;
}

/*
 * The same with the display memory at 0x90000000, where a guest with
 * 2 GiB of RAM may move its BAR: still not RAM, still not logged.
 */
static bool t_vlog_bar_moved(void)
{
	bool ok;

	vlog_high = 0x90000000ULL;
	ok = t_vlog_qemu_layout();
	vlog_high = VLOG_HIGH_DEFAULT;
	return ok;
}

/*
 * Migration cancelled (logging off): SET_FEATURES without LOG_ALL logs
 * what was written before it, and the kernel never writes the log after
 * it (QEMU frees it without a SET_LOG_BASE).
 */
static bool t_vlog_cancel(void)
{
	struct vguest g;
	bool ok = false;
	__u64 want[2];

	if (!vguest_start(&g) || !vlog_qemu_start(&g.d, &g.log[0]))
		goto out;
	want[0] = vlog_used_page(&g, 0);
	want[1] = 100;
	if (!vlog_frame_ram(&g, 100) || !vlog_wait(&g.log[0], want, 2, "logging"))
		goto out;
	vlog_clear(&g.log[0]);
	want[1] = 101;
	if (!vlog_frame_ram(&g, 101) || !vlog_qemu_set_log(&g.d, false) ||
	    !vlog_has(&g.log[0], want, 2, "after SET_FEATURES without LOG_ALL"))
		goto out;
	vlog_clear(&g.log[0]);
	if (!vlog_frame_ram(&g, 102) || !vlog_frame_high(&g, 3) || !vlog_frame_ram(&g, 103))
		goto out;
	ok = vlog_stays_empty(&g.log[0], "after logging stopped");
out:
	vguest_fini(&g);
	return ok;
}

/*
 * A new log (QEMU's memory map changed): SET_LOG_BASE logs what was
 * written before it into the old log, never writes the old one after it
 * (QEMU frees it), and logs into the new one from then on.
 */
static bool t_vlog_new_base(void)
{
	__u64 want[3], base;
	struct vguest g;
	bool ok = false;

	if (!vguest_start(&g) || !vlog_qemu_start(&g.d, &g.log[0]))
		goto out;
	want[0] = vlog_used_page(&g, 0);
	want[1] = 120;
	if (!vlog_frame_ram(&g, 120) || !vlog_wait(&g.log[0], want, 2, "logging"))
		goto out;
	vlog_clear(&g.log[0]);
	want[1] = 121;
	if (!vlog_frame_ram(&g, 121))
		goto out;
	base = (uintptr_t)g.log[1].w;
	last = xioctl(g.d.fd, VHOST_SET_LOG_BASE, &base);
	if (!expect_err(0, __LINE__) ||
	    !vlog_has(&g.log[0], want, 2, "old log after SET_LOG_BASE"))
		goto out;
	vlog_clear(&g.log[0]);
	want[1] = 122;
	want[2] = 123;
	if (!vlog_frame_ram(&g, 122) || !vlog_frame_high(&g, 9) || !vlog_frame_ram(&g, 123) ||
	    !vlog_wait(&g.log[1], want, 3, "new log"))
		goto out;
	ok = vlog_stays_empty(&g.log[0], "old log after SET_LOG_BASE") &&
	     vlog_clean(&g.log[1], "new log");
out:
	vguest_fini(&g);
	return ok;
}

/*
 * Logging on before the device starts (QEMU starting a device while a
 * migration runs): SET_FEATURES with LOG_ALL before FEATURES_OK, the rings
 * with VHOST_VRING_F_LOG, the memory, SET_LOG_BASE, DRIVER_OK; the device's
 * writes are logged. A reset forgets the log: started again without
 * LOG_ALL and a base, the device writes and nothing is logged.
 */
static bool t_vlog_before_start(void)
{
	__u64 want[4];
	struct vguest g;
	bool ok = false;

	if (!vguest_init(&g))
		goto out;
	g.d.ring_flags = VLOG_RING_F_LOG;
	g.d.log = (uintptr_t)g.log[0].w;
	if (!dev_start(&g.d, NET_FEATURES | BIT(VHOST_F_LOG_ALL), VLOG_BACKEND, true))
		goto out;
	want[0] = vlog_used_page(&g, 0);
	want[1] = vlog_used_page(&g, 1);
	want[2] = 130;
	want[3] = 131;
	if (!vlog_frame_ram(&g, 130) || !vlog_frame_high(&g, 7) || !vlog_frame_ram(&g, 131) ||
	    !vlog_wait(&g.log[0], want, 4, "logging from the start") ||
	    !vlog_clean(&g.log[0], "logging from the start"))
		goto out;
	last = set_status(g.d.fd, 0);
	if (!expect_err(0, __LINE__))
		goto out;
	vlog_clear(&g.log[0]);
	/* No IOTLB_PERSIST: the memory is mapped again, as QEMU does. */
	last = unmap(g.d.fd, 0, 0, ~0ULL);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(g.d.fd, 0, vlog_high, VLOG_HIGH_SIZE, g.high, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	g.d.ring_flags = 0;
	g.d.log = 0;
	if (!dev_start(&g.d, NET_FEATURES, VLOG_BACKEND, true) || !vlog_frame_ram(&g, 132) ||
	    !vlog_frame_high(&g, 8))
		goto out;
	ok = vlog_stays_empty(&g.log[0], "after a reset and a start without logging");
out:
	vguest_fini(&g);
	return ok;
}

/* dirtyodd /dev/vhost-vdpa-N: cxvdpa on odd tracker limits, $CXEMU_DBG its function. */
static int dirty_odd_cases(void)
{
	run("dirty-odd-limits", t_dirty_odd);
	run("dirty-odd-precopy", t_dirty_precopy);
	run("dirty-tracker-error-sticky", t_dirty_tracker_error);
	run("dirty-start-fails-cleanly", t_dirty_start_fails);
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

/* dirty /dev/vhost-vdpa-N: the dirty log, on a parent that offers it. */
static int dirty_cases(void)
{
	run("dirty-discovery", t_dirty_discovery);
	run("dirty-errors", t_dirty_errors);
	run("dirty-precopy", t_dirty_precopy);
	run("dirty-precopy-control-differs", t_dirty_precopy_control);
	run("dirty-precopy-64k-report", t_dirty_precopy_64k);
	run("dirty-precopy-remap", t_dirty_precopy_remap);
	run("dirty-precopy-thp", t_dirty_precopy_thp);
	run("dirty-map-outside-loses-log", t_dirty_map_outside);
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

/* vhostlog /dev/vhost-vdpa-N: the vhost log QEMU 7.2 uses, on a parent that tracks. */
/*
 * cxvdpa: the function's tracker fails (cxemu's track_error; $CXEMU_DBG is
 * its debugfs directory). QEMU has no error path, so the log must then say
 * that every page of RAM is dirty: all of them are logged, past it nothing.
 */
static bool t_vlog_tracker_error(void)
{
	__u64 want[VLOG_RAM / PAGE];
	char path[256], line[256], *end = line;
	unsigned int id, i;
	struct vguest g;
	bool ok = false;
	FILE *f;

	if (!vguest_start(&g) || !vlog_qemu_start(&g.d, &g.log[0]))
		goto out;
	/* The log's tracker is the function's only one. */
	snprintf(path, sizeof(path), "%s/trackers", getenv("CXEMU_DBG"));
	f = fopen(path, "r");
	ok = f && fgets(line, sizeof(line), f);
	if (f)
		fclose(f);
	id = ok ? strtoul(line, &end, 10) : 0;
	ok = ok && end != line;
	if (!check(ok, "no tracker in %s", path))
		goto out;
	ok = false;
	vlog_clear(&g.log[0]);
	snprintf(line, sizeof(line), "%u\n", id);
	if (!env_file_set("CXEMU_DBG", "track_error", line))
		goto out;
	for (i = 0; i < VLOG_RAM / PAGE; i++)
		want[i] = i;
	ok = vlog_wait(&g.log[0], want, VLOG_RAM / PAGE, "after the tracker failed") &&
	     vlog_clean(&g.log[0], "after the tracker failed");
out:
	vguest_fini(&g);
	return ok;
}

static int vhost_log_cases(void)
{
	run("log-all-offered", t_vlog_offered);
	run("log-qemu-layout", t_vlog_qemu_layout);
	run("log-display-bar-moved", t_vlog_bar_moved);
	run("log-cancel-stops-writes", t_vlog_cancel);
	run("log-new-base", t_vlog_new_base);
	run("log-before-start", t_vlog_before_start);
	if (getenv("CXEMU_DBG"))
		run("log-tracker-error-marks-all", t_vlog_tracker_error);
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

/* strayvq /dev/vhost-vdpa-N: cxvdpa, max_vqp > 1, $CXEMU_DBG its function's directory. */
static int stray_vq_cases(void)
{
	run("stray-vq-no-object", t_stray_vq);
	run("key-swap-failure-keeps-pages", t_swap_fail);
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

/*
 * ---- a parent behind the platform IOMMU (vp_vdpa) ----
 *
 * The device is a NIC on a wire: frames it sends arrive at a peer NIC of
 * the machine (PEER_IF, with nothing else of its own to send), and frames
 * the peer sends arrive in its receive queue. Everything the device reads
 * and writes goes through the domain vhost_vdpa attached to it.
 */

#define PLAT_ETHERTYPE 0x88b5	/* IEEE 802 local experimental */
#define PLAT_TX_BUF 8

/* A packet socket on PEER_IF for PLAT_ETHERTYPE frames, or -1. */
static int peer_sock(struct sockaddr_ll *sll)
{
	const char *ifname = getenv("PEER_IF");
	int fd;

	memset(sll, 0, sizeof(*sll));
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons(PLAT_ETHERTYPE);
	sll->sll_ifindex = ifname ? if_nametoindex(ifname) : 0;
	sll->sll_halen = 6;
	memset(sll->sll_addr, 0xff, 6);
	if (!check(sll->sll_ifindex, "PEER_IF '%s' is no interface", ifname ?: ""))
		return -1;
	fd = socket(AF_PACKET, SOCK_RAW, htons(PLAT_ETHERTYPE));
	if (!check(fd >= 0, "packet socket: %s", strerror(errno)))
		return -1;
	if (!check(!bind(fd, (struct sockaddr *)sll, sizeof(*sll)), "bind to %s: %s", ifname,
		   strerror(errno))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A broadcast frame of @len bytes, header included, its payload from @seed. */
static void plat_frame(__u8 *f, __u8 seed, int len)
{
	static const __u8 src[6] = { 0x02, 0, 0, 0, 0x5e, 0x01 };
	int i;

	memset(f, 0xff, 6);
	memcpy(f + 6, src, 6);
	f[12] = PLAT_ETHERTYPE >> 8;
	f[13] = PLAT_ETHERTYPE & 0xff;
	for (i = 14; i < len; i++)
		f[i] = seed + i;
}

static bool plat_frame_is(const __u8 *f, __u8 seed, int len)
{
	int i;

	if (f[12] != PLAT_ETHERTYPE >> 8 || f[13] != (PLAT_ETHERTYPE & 0xff))
		return false;
	for (i = 14; i < len; i++)
		if (f[i] != (__u8)(seed + i))
			return false;
	return true;
}

/* The device sends a frame from buffer @buf; the peer must receive it whole. */
static bool plat_tx(struct vdev *d, int sock, int buf, __u8 seed, int len)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	__u16 want = d->q[1].avail + 1;
	__u8 got[2048];
	ssize_t n;
	int i;

	memset(buf_va(d, buf), 0, NET_HDR);
	plat_frame(buf_va(d, buf) + NET_HDR, seed, len);
	ring_add(d, 1, buf_iova(d, buf), NET_HDR + len, 0, 0);
	ring_kick(d, 1);
	if (!check(ring_wait(d, 1, want), "frame %u not sent (status 0x%x)", seed,
		   get_status(d->fd)))
		return false;
	/* Copies of frames the peer sent itself come by too: skip them. */
	for (i = 0; i < 50; i++) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(sock, got, sizeof(got), 0);
		if (n == len && plat_frame_is(got, seed, len))
			return true;
	}
	fail_why("the peer did not receive frame %u (%d bytes)", seed, len);
	return false;
}

/* The peer sends a frame; the device must put it whole in a fresh buffer. */
static bool plat_rx(struct vdev *d, int sock, struct sockaddr_ll *to, __u8 seed, int len)
{
	int buf = d->q[0].avail % PLAT_TX_BUF;
	__u16 want = d->q[0].avail + 1;
	__u8 f[2048];

	memset(buf_va(d, buf), 0xee, PAGE);
	ring_add(d, 0, 0, 0, buf_iova(d, buf), PAGE);
	ring_kick(d, 0);
	plat_frame(f, seed, len);
	if (!check(sendto(sock, f, len, 0, (struct sockaddr *)to, sizeof(*to)) == len,
		   "peer send: %s", strerror(errno)))
		return false;
	if (!check(ring_wait(d, 0, want), "frame %u not received (status 0x%x)", seed,
		   get_status(d->fd)))
		return false;
	return check(plat_frame_is(buf_va(d, buf) + NET_HDR, seed, len),
		     "receive buffer %d does not hold frame %u", buf, seed);
}

/* @n frames each way, from 60 bytes up to a full 1514-byte frame. */
static bool plat_traffic(struct vdev *d, int sock, struct sockaddr_ll *to, __u8 seed, int n)
{
	int i, len;

	for (i = 0; i < n; i++) {
		len = n > 1 ? 60 + i * (1514 - 60) / (n - 1) : 60;
		if (!plat_tx(d, sock, PLAT_TX_BUF, seed + i, len) ||
		    !plat_rx(d, sock, to, seed + 0x80 + i, len))
			return false;
	}
	return true;
}

static bool plat_once(struct vdev *d)
{
	struct sockaddr_ll to;
	int sock = peer_sock(&to);
	bool ok;

	if (sock < 0)
		return false;
	ok = plat_traffic(d, sock, &to, 0x70, 1);
	close(sock);
	return ok;
}

#define PLAT_BACKEND (BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH))

/*
 * What the domain offers: one address space, IOTLB_PERSIST, no dirty log,
 * the IOVA range of the IOMMU's address width (IOVA_BITS), and no
 * mapping over the MSI window, where a DMA write is an interrupt.
 */
static bool t_plat_queries(void)
{
	__u64 want = PLAT_BACKEND | BIT(VHOST_BACKEND_F_IOTLB_ASID) |
		     BIT(VHOST_BACKEND_F_IOTLB_PERSIST), backend = 0;
	const char *bits = getenv("IOVA_BITS");
	struct vhost_vdpa_iova_range range;
	long pin0 = vmpin_kb();
	unsigned int as = 0;
	__u64 top;
	struct vdev d;
	bool ok = false;

	if (!check(bits && atoi(bits) > 32 && atoi(bits) < 64, "IOVA_BITS '%s'", bits ?: ""))
		return false;
	top = (1ULL << atoi(bits)) - 1;
	if (!dev_init(&d, 2))
		goto out;
	if (!check(!xioctl(d.fd, VHOST_GET_BACKEND_FEATURES, &backend) && backend == want,
		   "backend features 0x%llx, expected 0x%llx", (unsigned long long)backend,
		   (unsigned long long)want))
		goto out;
	if (!check(!xioctl(d.fd, VHOST_VDPA_GET_AS_NUM, &as) && as == 1, "%u address spaces", as))
		goto out;
	if (!check(!xioctl(d.fd, VHOST_VDPA_GET_IOVA_RANGE, &range) && !range.first &&
		   range.last == top, "IOVA range [%#llx, %#llx], expected [0, %#llx]",
		   (unsigned long long)range.first, (unsigned long long)range.last,
		   (unsigned long long)top))
		goto out;
	last = map(d.fd, 0, top + 1 - PAGE, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, top + 1, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	/* The MSI window, 0xfee00000-0xfeefffff: neither in it nor across its edges. */
	last = map(d.fd, 0, 0xfee00000, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, 0xfedff000, 2 * PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, 0xfeeff000, 2 * PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(EINVAL, __LINE__))
		goto out;
	last = map(d.fd, 0, 0xfedff000, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	last = map(d.fd, 0, 0xfef00000, PAGE, d.area, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__))
		goto out;
	if (!expect_pin(pin0 + 12, __LINE__))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	if (ok && !expect_pin(pin0, __LINE__))
		ok = false;
	return ok;
}

/* Frames both ways through the domain, kicked by eventfd, then by doorbell. */
static bool t_plat_net(void)
{
	struct sockaddr_ll to;
	long pin0 = vmpin_kb();
	int sock = peer_sock(&to), q;
	struct vdev d;
	bool ok = false;

	if (sock < 0)
		return false;
	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, PLAT_BACKEND, true))
		goto out;
	if (!expect_pin(pin0 + (long)(AREA_SIZE / 1024), __LINE__))
		goto out;
	if (!plat_traffic(&d, sock, &to, 0, 8))
		goto out;
	for (q = 0; q < d.nq; q++) {
		d.bell[q] = bell_map(d.fd, PROT_WRITE, MAP_SHARED, PAGE, q);
		if (!check(d.bell[q], "doorbell %d: %s", q, strerror(errno)))
			goto out;
	}
	if (!plat_traffic(&d, sock, &to, 0x40, 4))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	close(sock);
	if (ok && !expect_pin(pin0, __LINE__))
		ok = false;
	return ok;
}

/*
 * A reset with IOTLB_PERSIST keeps the domain as it is; without it the
 * domain is emptied with the pins kept, and the next UPDATE maps the
 * whole table again (before DRIVER_OK: an empty domain faults).
 */
static bool plat_reset(bool persist)
{
	__u64 backend = PLAT_BACKEND | (persist ? BIT(VHOST_BACKEND_F_IOTLB_PERSIST) : 0);
	long pin0 = vmpin_kb(), pinned;
	struct sockaddr_ll to;
	int sock = peer_sock(&to);
	struct vdev d;
	bool ok = false;

	if (sock < 0)
		return false;
	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, backend, true))
		goto out;
	if (!plat_traffic(&d, sock, &to, 0x10, 2))
		goto out;
	pinned = vmpin_kb();
	if (!check(!set_status(d.fd, 0), "reset"))
		goto out;
	if (!expect_pin(pinned, __LINE__))
		goto out;
	if (!persist) {
		last = map(d.fd, 0, d.iova + d.size, PAGE, d.area, VHOST_ACCESS_RO);
		if (!expect_err(0, __LINE__) || !expect_pin(pinned + 4, __LINE__))
			goto out;
	}
	if (!dev_start(&d, NET_FEATURES, backend, false) || !plat_traffic(&d, sock, &to, 0x20, 2))
		goto out;
	last = unmap(d.fd, 0, 0, ~0ULL);
	if (!expect_err(0, __LINE__) || !expect_pin(pin0, __LINE__))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	close(sock);
	return ok;
}

static bool t_plat_persist(void)
{
	return plat_reset(true);
}

static bool t_plat_no_persist(void)
{
	return plat_reset(false);
}

/*
 * INVALIDATE of one page inside a mapped run, on the running device: the
 * domain gives it back (the run is unmapped whole and its outer parts
 * mapped again), the rest keeps working, and the page maps again.
 */
static bool t_plat_invalidate(void)
{
	__u64 hole = 12 * PAGE + 16 * PAGE;
	long pin0 = vmpin_kb(), full;
	struct sockaddr_ll to;
	int sock = peer_sock(&to);
	struct vdev d;
	bool ok = false;

	if (sock < 0)
		return false;
	if (!dev_init(&d, 2) || !dev_start(&d, NET_FEATURES, PLAT_BACKEND, true))
		goto out;
	full = vmpin_kb();
	last = unmap(d.fd, 0, d.iova + hole, PAGE);
	if (!expect_err(0, __LINE__) || !expect_pin(full - 4, __LINE__))
		goto out;
	if (!plat_traffic(&d, sock, &to, 0x30, 3))
		goto out;
	last = map(d.fd, 0, d.iova + hole, PAGE, d.area + hole, VHOST_ACCESS_RW);
	if (!expect_err(0, __LINE__) || !expect_pin(full, __LINE__))
		goto out;
	if (!plat_tx(&d, sock, 12, 0x60, 700))
		goto out;
	ok = true;
out:
	dev_fini(&d);
	close(sock);
	if (ok && !expect_pin(pin0, __LINE__))
		ok = false;
	return ok;
}

static int platform_cases(void)
{
	run("platform-queries", t_plat_queries);
	run("platform-net", t_plat_net);
	run("platform-persist", t_plat_persist);
	run("platform-no-persist", t_plat_no_persist);
	run("platform-invalidate", t_plat_invalidate);
	run("exclusive-open", t_exclusive);
	run("owner-only", t_owner_only);
	run("memlock-limit", t_memlock_limit);
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

/* ---- fault-injection sweep (t-fault.sh) ---- */

/*
 * /proc/thread-self/fail-nth (Documentation/fault-injection): writing N
 * makes the Nth fault-injection check this thread reaches fail: slab and
 * page allocations (t-fault.sh lets failslab and fail_page_alloc take
 * sleeping and order-0 ones) and our own attributes (vdpa_sim's fail_map,
 * cxemu's fail_cmd). Reading 0 afterwards says it fired. The file cannot
 * seek: one descriptor writes, and each reading gets a fresh one, opened
 * before arming so that opening it is not counted.
 */
static int nth_fd = -1, nth_rfd = -1;

static void nth_write(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (write(nth_fd, buf, len) != len) {
		perror("fail-nth");
		exit(2);
	}
}

static void nth_arm(int n)
{
	nth_rfd = open("/proc/thread-self/fail-nth", O_RDONLY);
	if (nth_rfd < 0) {
		perror("fail-nth");
		exit(2);
	}
	nth_write(n);
}

/* Whether the armed failure fired; disarms either way. */
static bool nth_fired(void)
{
	char buf[16] = "";
	ssize_t r = read(nth_rfd, buf, sizeof(buf) - 1);

	nth_write(0);
	close(nth_rfd);
	if (r <= 0) {
		perror("fail-nth");
		exit(2);
	}
	return atoi(buf) == 0;
}

/* What the emulated function holds (CXEMU_DBG set): "mkey N vq N ... leaked N". */
static void cx_held(char *out, size_t len)
{
	const char *dir = getenv("CXEMU_DBG");
	char path[256], line[64], *p = out;
	FILE *f;

	*out = 0;
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/resources", dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "mkey ", 5) || !strncmp(line, "vq ", 3) ||
		    !strncmp(line, "tracker ", 8) || !strncmp(line, "track_rq ", 9) ||
		    !strncmp(line, "leaked ", 7))
			p += snprintf(p, len - (p - out), "%.*s ", (int)strcspn(line, "\n"), line);
	fclose(f);
}

/* Errors an allocation or a firmware command failing may give; others are findings. */
static bool sane_errno(int err)
{
	return err == -ENOMEM || err == -EIO || err == -EFAULT || err == -ENOSPC ||
	       err == -ENFILE || err == -EAGAIN;
}

/*
 * One path of the sweep: @prep brings a fresh session to where the path
 * starts (no failure armed), @op is the path, with the Nth injection point
 * failing, for N = 1, 2, ... until it runs without reaching the Nth. After
 * each: the errno is one an allocation failure may give, the session
 * closes with nothing left pinned and the function holding what it held
 * before, and on a running device (@traffic) a frame still goes round
 * when the path succeeded. The path must succeed without an injection,
 * and a session with traffic works once the sweep ends.
 */
struct sweep_path {
	const char *name;
	bool (*prep)(struct vdev *d);
	int (*op)(struct vdev *d);
	bool traffic;
};

static __u64 sweep_backend;

static bool sp_open(struct vdev *d)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->nq = 2;
	d->iova = IOVA_BASE;
	d->size = AREA_SIZE;
	d->area = MAP_FAILED;
	for (int q = 0; q < 2; q++) {
		d->q[q].kick = -1;
		d->q[q].call = -1;
	}
	return true;
}

static bool sp_init(struct vdev *d)
{
	return dev_init(d, 2);
}

static bool sp_mapped(struct vdev *d)
{
	return dev_init(d, 2) &&
	       check(!xioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &sweep_backend), "backend") &&
	       check(!map(d->fd, 0, d->iova, d->size, d->area, VHOST_ACCESS_RW), "map");
}

static bool sp_prepared(struct vdev *d)
{
	return dev_init(d, 2) && dev_prepare(d, NET_FEATURES, sweep_backend, true);
}

static bool sp_running(struct vdev *d)
{
	return dev_init(d, 2) && dev_start(d, NET_FEATURES, sweep_backend, true) &&
	       (net_send(d, 7, 64), net_expect(d, 7, 64));
}

static bool sp_tracking(struct vdev *d)
{
	struct vhost_vdpa_dirty_range r = { IOVA_BASE, AREA_SIZE };
	__u64 page = PAGE;

	return sp_running(d) && check(!dirty_start(d->fd, 0, &r, 1, &page), "dirty start");
}

static int op_open(struct vdev *d)
{
	d->fd = dev_open();
	return d->fd < 0 ? -errno : 0;
}

static int op_set_owner(struct vdev *d)
{
	d->fd = dev_open();
	if (d->fd < 0)
		return -errno;
	return xioctl(d->fd, VHOST_SET_OWNER, NULL);
}

static int op_update(struct vdev *d)
{
	return map(d->fd, 0, d->iova, d->size, d->area, VHOST_ACCESS_RW);
}

static int op_batch(struct vdev *d)
{
	int err, i;

	err = xioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &sweep_backend);
	if (!err)
		err = batch(d->fd, true);
	for (i = 0; !err && i < 4; i++)
		err = map(d->fd, 0, d->iova + i * AREA_SIZE / 4, AREA_SIZE / 4,
			  d->area + i * AREA_SIZE / 4, VHOST_ACCESS_RW);
	if (!err)
		err = batch(d->fd, false);
	return err;
}

/* An INVALIDATE in the middle of a mapping: its entry (and run) splits. */
static int op_split(struct vdev *d)
{
	return unmap(d->fd, 0, d->iova + 20 * PAGE, PAGE);
}

static int op_driver_ok(struct vdev *d)
{
	return set_status(d->fd, PREPARED | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* More memory mapped while the device runs (cxvdpa builds and swaps a region). */
static int op_update_running(struct vdev *d)
{
	return map(d->fd, 0, d->iova + AREA_SIZE, 16 * PAGE, d->area + 32 * PAGE,
		   VHOST_ACCESS_RO);
}

static int op_unmap_running(struct vdev *d)
{
	return unmap(d->fd, 0, d->iova + 60 * PAGE, 4 * PAGE);
}

static int op_doorbell(struct vdev *d)
{
	void *p = mmap(NULL, PAGE, PROT_WRITE, MAP_SHARED, d->fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	d->bell[0] = p;
	/* The first store faults the page in. */
	__atomic_store_n(d->bell[0], 0, __ATOMIC_RELEASE);
	return 0;
}

static int op_reset(struct vdev *d)
{
	return set_status(d->fd, 0);
}

static int op_suspend(struct vdev *d)
{
	int err = xioctl(d->fd, VHOST_VDPA_SUSPEND, NULL);

	return err ? err : xioctl(d->fd, VHOST_VDPA_RESUME, NULL);
}

static int op_dirty_start(struct vdev *d)
{
	struct vhost_vdpa_dirty_range r = { IOVA_BASE, AREA_SIZE };
	__u64 page = PAGE;

	return dirty_start(d->fd, 0, &r, 1, &page);
}

static int op_dirty_report(struct vdev *d)
{
	__u64 bm[AREA_SIZE / PAGE / 64 + 1];

	return dirty_report(d->fd, IOVA_BASE, AREA_SIZE, PAGE, bm, 0);
}

static int op_dirty_stop(struct vdev *d)
{
	return dirty_stop(d->fd, 0);
}

static const struct sweep_path sweep_paths[] = {
	{ "open", sp_open, op_open, false },
	{ "set-owner", sp_open, op_set_owner, false },
	{ "update", sp_init, op_update, false },
	{ "update-batch", sp_init, op_batch, false },
	{ "invalidate-split", sp_mapped, op_split, false },
	{ "driver-ok", sp_prepared, op_driver_ok, true },
	{ "update-running", sp_running, op_update_running, true },
	{ "invalidate-running", sp_running, op_unmap_running, true },
	{ "doorbell", sp_running, op_doorbell, true },
	{ "suspend-resume", sp_running, op_suspend, true },
	{ "reset", sp_running, op_reset, false },
	{ "dirty-start", sp_running, op_dirty_start, true },
	{ "dirty-report", sp_tracking, op_dirty_report, true },
	{ "dirty-stop", sp_tracking, op_dirty_stop, true },
};

static bool sweep_one(const struct sweep_path *p, int *points)
{
	char held0[256], held[256];
	long pin0 = vmpin_kb();
	int n, err, errs[6] = {}, other = 0;
	struct vdev d;
	bool fired;

	cx_held(held0, sizeof(held0));
	for (n = 1; n < 5000; n++) {
		if (!p->prep(&d)) {
			fail_why("%s: setup failed before injection %d: %s", p->name, n, tap_why);
			dev_fini(&d);
			return false;
		}
		nth_arm(n);
		err = p->op(&d);
		fired = nth_fired();
		if (!fired) {
			*points = n - 1;
			if (err) {
				fail_why("%s: fails without an injection: %s", p->name,
					 strerror(-err));
				dev_fini(&d);
				return false;
			}
		} else if (err && !sane_errno(err)) {
			fail_why("%s: injection %d gave %s", p->name, n, strerror(-err));
			dev_fini(&d);
			return false;
		}
		if (err)
			errs[err == -ENOMEM ? 0 : err == -EIO ? 1 : err == -EFAULT ? 2 : 3]++;
		/* Where the path went through, the device still moves frames. */
		if (p->traffic && !err && (get_status(d.fd) & VIRTIO_CONFIG_S_DRIVER_OK) &&
		    !(get_status(d.fd) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
			net_send(&d, n, 60);
			if (!net_expect(&d, n, 60)) {
				fail_why("%s: injection %d: no traffic after the path succeeded",
					 p->name, n);
				dev_fini(&d);
				return false;
			}
		} else if (p->traffic && !err) {
			other++;	/* went through, but left the device stopped */
		}
		dev_fini(&d);
		if (vmpin_kb() != pin0) {
			fail_why("%s: injection %d: VmPin %ld kB after close, %ld before",
				 p->name, n, vmpin_kb(), pin0);
			return false;
		}
		cx_held(held, sizeof(held));
		if (getenv("SWEEP_TRACE"))
			printf("# %s %d: %s fired %d: %s\n", p->name, n, strerror(-err), fired,
			       held);
		if (strcmp(held, held0)) {
			fail_why("%s: injection %d: the function holds \"%s\", before \"%s\"",
				 p->name, n, held, held0);
			return false;
		}
		if (!fired)
			break;
	}
	printf("# %s: %d injection points: ENOMEM %d EIO %d EFAULT %d other %d, stopped %d\n",
	       p->name, *points, errs[0], errs[1], errs[2], errs[3], other);
	/* And a whole session works afterwards. */
	return net_traffic(false);
}

/* Whether @name is one of the comma-separated @list. */
static bool name_in_list(const char *name, const char *list)
{
	size_t len = strlen(name);

	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

/*
 * faults DEV: every path of sweep_paths[], each its own TAP result; the
 * dirty paths only where the device offers the dirty log. Prints the
 * injection points per path and their total.
 */
static int fault_sweep(void)
{
	const char *only = getenv("SWEEP_ONLY");
	int i, points, total = 0, n = 0, fd;
	__u64 offered = 0;
	bool ok;

	nth_fd = open("/proc/thread-self/fail-nth", O_WRONLY);
	fd = dev_open();
	if (nth_fd < 0 || fd < 0 || xioctl(fd, VHOST_GET_BACKEND_FEATURES, &offered)) {
		printf("not ok 1 - setup # %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	sweep_backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_IOTLB_BATCH) |
			(offered & BIT(VHOST_BACKEND_F_DIRTY_LOG)) |
			(offered & BIT(VHOST_BACKEND_F_SUSPEND)) |
			(offered & BIT(VHOST_BACKEND_F_RESUME));
	for (i = 0; i < (int)ARRAY_SIZE(sweep_paths); i++) {
		const struct sweep_path *p = &sweep_paths[i];

		/*
		 * SWEEP_ONLY=NAME[,NAME...]: those paths alone (empty: all;
		 * to trace one, SWEEP_TRACE=1).
		 */
		if (only && *only && !name_in_list(p->name, only))
			continue;
		if (!strncmp(p->name, "dirty", 5) && !(offered & BIT(VHOST_BACKEND_F_DIRTY_LOG)))
			continue;
		if (!strncmp(p->name, "suspend", 7) && !(offered & BIT(VHOST_BACKEND_F_SUSPEND)))
			continue;
		tap_why[0] = 0;
		points = 0;
		ok = sweep_one(p, &points);
		printf("%s %d - sweep-%s%s%s\n", ok ? "ok" : "not ok", ++n, p->name,
		       ok ? "" : " # ", ok ? "" : tap_why);
		total += points;
	}
	printf("# injection points: %d over %d paths\n", total, n);
	printf("1..%d\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "memlock2")) {
		dev_path = argv[2];
		return memlock_race(argv[3]);
	}
	if (argc == 4 && !strcmp(argv[1], "unmapfail")) {
		dev_path = argv[2];
		return unmap_fail(argv[3]);
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s net|reopen|blk|hold|uffdhold|session|mapfail|strict|\n"
			"          cvqidx|strayvq|dirty|dirtyodd|vhostlog|platform|blkdead|faults\n"
			"          /dev/vhost-vdpa-N\n"
			"       %s memlock2 /dev/vhost-vdpa-N /dev/vhost-vdpa-M\n"
			"       %s unmapfail /dev/vhost-vdpa-N set_map|dma_map\n"
			"       %s pktloop IFNAME\n", argv[0], argv[0], argv[0], argv[0]);
		return 2;
	}
	dev_path = argv[2];
	if (!strcmp(argv[1], "cvqidx"))
		return cvq_index_cases();
	if (!strcmp(argv[1], "platform"))
		return platform_cases();
	if (!strcmp(argv[1], "blkdead"))
		return blk_dead();
	if (!strcmp(argv[1], "strayvq"))
		return stray_vq_cases();
	if (!strcmp(argv[1], "hold"))
		return hold();
	if (!strcmp(argv[1], "uffdhold"))
		return uffd_hold();
	if (!strcmp(argv[1], "session"))
		return session();
	if (!strcmp(argv[1], "faults"))
		return fault_sweep();
	if (!strcmp(argv[1], "pktloop"))
		return pktloop(argv[2]);
	if (!strcmp(argv[1], "dirty"))
		return dirty_cases();
	if (!strcmp(argv[1], "dirtyodd"))
		return dirty_odd_cases();
	if (!strcmp(argv[1], "vhostlog"))
		return vhost_log_cases();
	if (!strcmp(argv[1], "mapfail"))
		return map_fail();
	if (!strcmp(argv[1], "blk")) {
		run("blk-io", t_blk_io);
		run("blk-split", t_blk_split);
	} else if (!strcmp(argv[1], "reopen")) {
		/* net's last case alone: make check-long's REOPEN_ROUNDS. */
		run("reopen-loop", t_reopen_loop);
	} else if (!strcmp(argv[1], "strict")) {
		run("strict-dma-unmap-inside-a-run", t_strict_dma);
		run("strict-dma-map-rollback", t_strict_dma_rollback);
		run("invalidate", t_invalidate);
	} else {
		run("queries", t_queries);
		run("exclusive-open", t_exclusive);
		run("ioctl-errors", t_ioctl_errors);
		run("iotlb-errors", t_iotlb_errors);
		run("owner-only", t_owner_only);
		run("net-split-traffic", t_net_split);
		run("net-packed-traffic", t_net_packed);
		run("event-idx", t_event_idx);
		run("unmapped-is-device-error", t_unmapped_is_device_error);
		run("iotlb-persist", t_persist);
		run("no-persist", t_no_persist);
		run("invalidate", t_invalidate);
		run("invalidate-keeps-rest", t_invalidate_keeps_rest);
		run("remap-during-traffic", t_remap_during_traffic);
		run("unmap-all-while-running", t_unmap_all_running);
		run("vring-interrupts", t_vring_interrupts);
		run("vring-disable-stops-queue", t_vring_disable);
		run("qemu-stop", t_qemu_stop);
		if (getenv("LINK_UP"))
			run("config-interrupt", t_config_interrupt);
		run("cvq-own-asid", t_cvq_own_asid);
		run("memlock-limit", t_memlock_limit);
		run("same-page-twice", t_same_page_twice);
		run("close-by-child", t_close_by_child);
		run("fd-passing", t_fd_passing);
		run("owner-exits", t_owner_exits);
		run("memfd", t_memfd);
		run("hugetlb", t_hugetlb);
		run("suspend-resume", t_suspend_resume);
		run("doorbell", t_doorbell);
		run("reopen-loop", t_reopen_loop);
	}
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}
