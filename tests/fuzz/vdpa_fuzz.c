// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_fuzz: a bounded, seeded fuzzer of one vhost-vdpa character device.
 *
 *   vdpa_fuzz DEV SEED OPS SECONDS
 *
 * Runs OPS random operations on DEV (/dev/vhost-vdpa-N), or fewer if
 * SECONDS pass first: vhost and vhost-vdpa ioctls with random and
 * boundary arguments, IOTLB v1 and v2 messages (batches, address spaces,
 * overlaps, huge and zero sizes, odd lengths), the dirty log and the vhost
 * log, garbage rings (descriptor loops, indirect tables, huge lengths)
 * kicked by eventfd and by doorbell, status sequences, resets, suspend and
 * resume, fork, close and reopen, and memory that changes under its
 * mappings. Every choice comes from SEED: a run is repeated by giving its
 * seed again (the kernel's answers may still differ in timing). With
 * AREA_MEMFD=1 its scratch memory is a shared memfd mapping, which a
 * VA-mode device reaches too.
 *
 * The fuzzer gives the kernel only memory it can lose: every user address
 * it passes is in its scratch area, its memfd, a PROT_NONE guard, NULL or
 * a kernel address, so a device writing where a garbage ring says cannot
 * corrupt the fuzzer itself.
 *
 * It checks what must hold whatever the calls did: each time it closes
 * the device (and at the end) nothing of its memory is pinned any more,
 * and no call kills it. The harness checks the kernel's side: dmesg, kmemleak,
 * and that the device works afterwards. Exit status 0 when all held.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "../vhost/vhost_client.h"

#define PAGE 4096UL
#define AREA_PAGES 256			/* the scratch area: 1 MiB */
#define MEMFD_PAGES 64
#define GUARD_PAGES 16
#define IOVA_BASE 0x40000000ULL
#define MAX_VQS 8
#define MAX_BELLS 4
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* What the run did, by kind, printed at the end. */
enum kind {
	K_IOTLB, K_VRING, K_STATUS, K_FEATURES, K_RING, K_BELL, K_SUSPEND,
	K_CONFIG, K_QUERY, K_DIRTY, K_LOG, K_LIFE, K_FORK, K_MEMORY, K_RANDOM,
	K_BRINGUP, K_NR
};

static const char *const kind_name[K_NR] = {
	"iotlb", "vring", "status", "features", "ring", "doorbell", "suspend",
	"config", "query", "dirty", "log", "lifecycle", "fork", "memory", "random",
	"bringup",
};

static struct {
	const char *path;
	int fd;
	__u8 *area;		/* scratch: rings, buffers, what the kernel writes */
	__u8 *mem;		/* a shared memfd mapping */
	__u8 *guard;		/* PROT_NONE: every access faults */
	int memfd;		/* AREA_MEMFD: the area is this file's start */
	int kick[MAX_VQS], call[MAX_VQS];
	void *bell[MAX_BELLS];
	__u64 features;		/* offered by the device */
	__u64 backend;		/* backend features offered */
	long pin0;
	unsigned int nvqs;	/* the device's, for the doorbell check */
	unsigned long count[K_NR];
	double secs[K_NR];	/* time spent in each kind */
	bool failed;
	bool child;		/* a forked child: the parent holds the file */
} fz = { .fd = -1 };

static __u64 rng_state;

/* splitmix64: small, fast, and the same sequence everywhere. */
static __u64 rnd(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(unsigned int n)
{
	return rnd() % n;
}

static bool one_in(unsigned int n)
{
	return below(n) == 0;
}

static long vmpin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void fail(const char *what)
{
	printf("FAIL: %s\n", what);
	fz.failed = true;
}

/* A user address the kernel may read, write, pin or fault on. */
static __u64 pick_uaddr(void)
{
	switch (below(10)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)fz.guard + below(GUARD_PAGES) * PAGE;
	case 2:
		return 0xffff888000000000ULL + below(1024) * PAGE;	/* kernel */
	case 3:
		return (uintptr_t)fz.mem + below(MEMFD_PAGES) * PAGE;
	case 4:
		/* Unaligned, or straddling the area's end. */
		return (uintptr_t)fz.area + below(AREA_PAGES * PAGE);
	case 5:
		return (uintptr_t)fz.area + (AREA_PAGES - 1 - below(2)) * PAGE;
	default:
		return (uintptr_t)fz.area + below(AREA_PAGES) * PAGE;
	}
}

/* A pointer for the kernel to copy to or from. */
static void *pick_ptr(size_t len)
{
	switch (below(8)) {
	case 0:
		return NULL;
	case 1:
		return fz.guard;
	case 2:
		return (void *)0xffff888000000000ULL;
	default:
		/* The area's end: a long copy runs into the guard after it. */
		return fz.area + AREA_PAGES * PAGE - (len < PAGE ? len : PAGE) -
		       below(2) * 8;
	}
}

static __u64 pick_iova(void)
{
	switch (below(10)) {
	case 0:
		return 0;
	case 1:
		return rnd();
	case 2:
		return ~0ULL - below(4) * PAGE;
	case 3:
		return 1ULL << (32 + below(32));
	case 4:
		return IOVA_BASE + below(AREA_PAGES * PAGE);	/* unaligned */
	default:
		return IOVA_BASE + below(AREA_PAGES) * PAGE;
	}
}

static __u64 pick_size(void)
{
	switch (below(10)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(PAGE);
	case 2:
		return ~0ULL - below(2);
	case 3:
		return rnd();
	case 4:
		return 1ULL << (20 + below(40));
	default:
		return (1 + below(16)) * PAGE;
	}
}

static unsigned int pick_vq(void)
{
	if (one_in(16))
		return rnd() & 0xffff;
	return below(MAX_VQS);
}

static int pick_fd(void)
{
	switch (below(6)) {
	case 0:
		return -1;
	case 1:
		return fz.fd;			/* not an eventfd */
	case 2:
		return 1000 + below(10);	/* not open */
	case 3:
		return fz.call[below(MAX_VQS)];
	default:
		return fz.kick[below(MAX_VQS)];
	}
}

/* A doorbell store: a virtqueue index, as a driver writes it. */
static void bell_store(void *bell)
{
	__atomic_store_n((__u16 *)bell, (__u16)below(MAX_VQS), __ATOMIC_RELEASE);
}

static void open_dev(void)
{
	fz.fd = open(fz.path, O_RDWR);
	if (fz.fd >= 0 && !one_in(20))
		xioctl(fz.fd, VHOST_SET_OWNER, NULL);
}

static void unmap_bells(void)
{
	int i;

	for (i = 0; i < MAX_BELLS; i++)
		if (fz.bell[i]) {
			munmap(fz.bell[i], PAGE);
			fz.bell[i] = NULL;
		}
}

/* Close: with nothing else holding the file, every pin must be gone. */
static void close_dev(void)
{
	char why[96];
	long kb;

	unmap_bells();
	if (fz.fd >= 0)
		close(fz.fd);
	fz.fd = -1;
	kb = vmpin_kb();
	if (!fz.child && kb != fz.pin0) {
		snprintf(why, sizeof(why), "VmPin %ld kB after close, %ld before", kb, fz.pin0);
		fail(why);
	}
}

/* ---- the operations ---- */

static void op_iotlb(void)
{
	static const __u8 types[] = {
		VHOST_IOTLB_UPDATE, VHOST_IOTLB_UPDATE, VHOST_IOTLB_UPDATE,
		VHOST_IOTLB_INVALIDATE, VHOST_IOTLB_INVALIDATE,
		VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END,
		VHOST_IOTLB_MISS, VHOST_IOTLB_ACCESS_FAIL, 0, 255,
	};
	struct vhost_msg_v2 m2 = { .type = VHOST_IOTLB_MSG_V2 };
	struct vhost_msg m1 = { .type = VHOST_IOTLB_MSG };
	struct vhost_iotlb_msg *msg;
	struct iovec iov[2];
	size_t len;
	void *buf;
	ssize_t r;

	if (one_in(3)) {
		msg = &m1.iotlb;
		buf = &m1;
		len = sizeof(m1);
		if (one_in(20))
			m1.type = rnd();
	} else {
		msg = &m2.iotlb;
		buf = &m2;
		len = sizeof(m2);
		m2.asid = one_in(4) ? below(4) : 0;
		if (one_in(20))
			m2.type = rnd();
	}
	msg->type = types[below(sizeof(types))];
	msg->iova = pick_iova();
	msg->size = pick_size();
	msg->uaddr = pick_uaddr();
	msg->perm = one_in(8) ? below(256) : 1 + below(3);
	/* A short write, or two messages in one writev. */
	if (one_in(20))
		len = below(len + 8);
	if (one_in(10)) {
		iov[0].iov_base = buf;
		iov[0].iov_len = len;
		iov[1].iov_base = buf;
		iov[1].iov_len = len;
		r = writev(fz.fd, iov, 2);
	} else {
		r = write(fz.fd, buf, len);
	}
	(void)r;
}

/* Map [IOVA_BASE, +size) onto the area, as a VMM maps its memory. */
static void map_area(void)
{
	__u64 n = 1 + below(AREA_PAGES);

	map(fz.fd, 0, IOVA_BASE, n * PAGE, fz.area, VHOST_ACCESS_RW);
}

static void op_vring(void)
{
	struct vhost_vring_state s = { .index = pick_vq() };
	struct vhost_vring_file f = { .index = pick_vq() };
	struct vhost_vring_addr a = { .index = pick_vq() };
	static const unsigned int nums[] = { 0, 1, 2, 64, 256, 257, 1024, 32768, 65535 };

	switch (below(10)) {
	case 0:
		s.num = one_in(4) ? rnd() : nums[below(ARRAY_SIZE(nums))];
		xioctl(fz.fd, VHOST_SET_VRING_NUM, &s);
		break;
	case 1:
		a.flags = one_in(8) ? rnd() : 0;
		a.desc_user_addr = one_in(2) ? IOVA_BASE + below(8) * PAGE : pick_iova();
		a.avail_user_addr = one_in(2) ? a.desc_user_addr + PAGE : pick_iova();
		a.used_user_addr = one_in(2) ? a.desc_user_addr + 2 * PAGE : pick_iova();
		a.log_guest_addr = pick_iova();
		xioctl(fz.fd, VHOST_SET_VRING_ADDR, &a);
		break;
	case 2:
		s.num = one_in(2) ? below(4) : rnd();
		xioctl(fz.fd, VHOST_SET_VRING_BASE, &s);
		break;
	case 3:
		xioctl(fz.fd, VHOST_GET_VRING_BASE, &s);
		break;
	case 4:
		f.fd = pick_fd();
		xioctl(fz.fd, VHOST_SET_VRING_KICK, &f);
		break;
	case 5:
		f.fd = pick_fd();
		xioctl(fz.fd, VHOST_SET_VRING_CALL, &f);
		break;
	case 6:
		s.num = one_in(8) ? rnd() : below(2);
		xioctl(fz.fd, VHOST_VDPA_SET_VRING_ENABLE, &s);
		break;
	case 7:
		xioctl(fz.fd, one_in(2) ? VHOST_VDPA_GET_VRING_GROUP :
			      VHOST_VDPA_GET_VRING_DESC_GROUP, &s);
		break;
	case 8:
		xioctl(fz.fd, VHOST_VDPA_GET_VRING_SIZE, &s);
		break;
	default:
		xioctl(fz.fd, VHOST_VDPA_GET_VRING_NUM, &s.num);
		break;
	}
}

/* A driver's start-up, cut short or not, or a random status. */
static void op_status(void)
{
	static const __u8 steps[] = {
		0, VIRTIO_CONFIG_S_ACKNOWLEDGE,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK,
	};
	__u64 f = fz.features;
	__u8 st;

	if (one_in(6)) {
		set_status(fz.fd, rnd());
		return;
	}
	if (one_in(6)) {
		/* The whole sequence, as a VMM does it (a reset, the area mapped). */
		f &= rnd() | (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM);
		set_status(fz.fd, 0);
		set_status(fz.fd, steps[2]);
		xioctl(fz.fd, VHOST_SET_FEATURES, &f);
		set_status(fz.fd, steps[3]);
		if (one_in(2))
			map_area();
		set_status(fz.fd, steps[4]);
		return;
	}
	st = steps[below(sizeof(steps))];
	set_status(fz.fd, st);
}

static void op_ring(void);

/*
 * A whole, valid start: two rings of 256 in the area's first pages, their
 * eventfds, the area mapped, the rings enabled, DRIVER_OK; so that the
 * garbage op_ring writes there reaches the device's datapath.
 */
static void op_bringup(void)
{
	__u64 f = fz.features & ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
				 (one_in(2) ? 1ULL << VIRTIO_RING_F_INDIRECT_DESC : 0) |
				 (one_in(2) ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0));
	__u64 backend = fz.backend & ((1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
				      (1ULL << VHOST_BACKEND_F_IOTLB_BATCH));
	int q;

	set_status(fz.fd, 0);
	xioctl(fz.fd, VHOST_SET_BACKEND_FEATURES, &backend);
	set_status(fz.fd, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	xioctl(fz.fd, VHOST_SET_FEATURES, &f);
	set_status(fz.fd, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		   VIRTIO_CONFIG_S_FEATURES_OK);
	for (q = 0; q < 2; q++) {
		struct vhost_vring_state num = { .index = q, .num = 256 };
		struct vhost_vring_state base = { .index = q, .num = 0 };
		struct vhost_vring_addr a = {
			.index = q,
			.desc_user_addr = IOVA_BASE + q * 4 * PAGE,
			.avail_user_addr = IOVA_BASE + q * 4 * PAGE + PAGE,
			.used_user_addr = IOVA_BASE + q * 4 * PAGE + 2 * PAGE,
		};
		struct vhost_vring_file kick = { .index = q, .fd = fz.kick[q] };
		struct vhost_vring_file call = { .index = q, .fd = fz.call[q] };
		struct vhost_vring_state en = { .index = q, .num = 1 };

		xioctl(fz.fd, VHOST_SET_VRING_NUM, &num);
		xioctl(fz.fd, VHOST_SET_VRING_BASE, &base);
		xioctl(fz.fd, VHOST_SET_VRING_ADDR, &a);
		xioctl(fz.fd, VHOST_SET_VRING_KICK, &kick);
		xioctl(fz.fd, VHOST_SET_VRING_CALL, &call);
		xioctl(fz.fd, VHOST_VDPA_SET_VRING_ENABLE, &en);
	}
	map(fz.fd, 0, IOVA_BASE, AREA_PAGES * PAGE, fz.area, VHOST_ACCESS_RW);
	set_status(fz.fd, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	/* Garbage on the running rings at once, before anything stops them. */
	for (q = 1 + below(4); q > 0; q--)
		op_ring();
}

static void op_features(void)
{
	__u64 f;

	switch (below(4)) {
	case 0:
		xioctl(fz.fd, VHOST_GET_FEATURES, &f);
		break;
	case 1:
		f = one_in(4) ? rnd() : fz.features & rnd();
		xioctl(fz.fd, VHOST_SET_FEATURES, &f);
		break;
	case 2:
		xioctl(fz.fd, VHOST_GET_BACKEND_FEATURES, &f);
		break;
	default:
		f = one_in(4) ? rnd() : fz.backend & rnd();
		xioctl(fz.fd, VHOST_SET_BACKEND_FEATURES, &f);
		break;
	}
}

/*
 * Garbage where the rings may point (the area's first pages, which
 * op_vring's addresses favour): random descriptors, chains that loop,
 * indirect tables, huge lengths, a random avail index; then a kick.
 */
static void op_ring(void)
{
	/* The pages op_bringup's rings use, mostly: descriptors, avail ring. */
	unsigned int q4 = below(2) * 4;
	struct vring_desc *d = (void *)(fz.area + (one_in(4) ? below(8) : q4) * PAGE);
	struct vring_avail *av = (void *)(fz.area + (one_in(4) ? below(8) : q4 + 1) * PAGE);
	unsigned int i, n = 1 + below(32);
	__u64 one = 1;
	ssize_t r;

	for (i = 0; i < n; i++) {
		d[i].addr = one_in(2) ? IOVA_BASE + below(AREA_PAGES * PAGE) : pick_iova();
		d[i].len = one_in(4) ? rnd() : below(2 * PAGE);
		d[i].flags = one_in(3) ? rnd() & 7 : VRING_DESC_F_NEXT;
		d[i].next = one_in(3) ? i : below(n + 2);	/* loops */
	}
	av->flags = one_in(8) ? rnd() : 0;
	for (i = 0; i < 16; i++)
		av->ring[i] = below(n + 2);
	av->idx = one_in(2) ? av->idx + 1 + below(4) : rnd();
	if (one_in(2) || !fz.bell[0]) {
		r = write(fz.kick[below(MAX_VQS)], &one, sizeof(one));
		(void)r;
		xioctl(fz.fd, VHOST_VDPA_GET_STATUS, &one);	/* a call while it runs */
	} else {
		bell_store(fz.bell[0]);
	}
}

static void op_bell(void)
{
	int i = below(MAX_BELLS), q = one_in(8) ? (int)below(1024) : i;
	int prot = one_in(6) ? PROT_READ | PROT_WRITE : PROT_WRITE;
	int flags = one_in(8) ? MAP_PRIVATE : MAP_SHARED;
	size_t len = one_in(10) ? 2 * PAGE : PAGE;
	void *p;

	/* Mostly a store; mapping again (mmap and munmap) costs far more. */
	if (fz.bell[i] && !one_in(5)) {
		bell_store(fz.bell[i]);
		return;
	}
	if (fz.bell[i]) {
		munmap(fz.bell[i], PAGE);
		fz.bell[i] = NULL;
	}
	p = mmap(NULL, len, prot, flags, fz.fd, (off_t)q * PAGE);
	if (p == MAP_FAILED)
		return;
	/* Only what vhost_vdpa allows may come back: one write-only shared page. */
	if (len != PAGE || prot != PROT_WRITE || flags != MAP_SHARED ||
	    (unsigned int)q >= fz.nvqs) {
		char why[96];

		snprintf(why, sizeof(why), "doorbell mmap allowed: len %zu prot %d flags %d q %d",
			 len, prot, flags, q);
		fail(why);
		munmap(p, len);
		return;
	}
	fz.bell[i] = p;
}

static void op_suspend(void)
{
	xioctl(fz.fd, one_in(2) ? VHOST_VDPA_SUSPEND : VHOST_VDPA_RESUME, NULL);
}

static void op_config(void)
{
	size_t len = one_in(4) ? rnd() & 0xffff : below(64);
	struct vhost_vdpa_config *c = pick_ptr(sizeof(*c) + len);

	if ((__u8 *)c >= fz.area && (__u8 *)c < fz.area + AREA_PAGES * PAGE) {
		c->off = one_in(4) ? rnd() : below(64);
		c->len = len;
	}
	xioctl(fz.fd, one_in(3) ? VHOST_VDPA_SET_CONFIG : VHOST_VDPA_GET_CONFIG, c);
}

static void op_query(void)
{
	static const unsigned long cmds[] = {
		VHOST_VDPA_GET_DEVICE_ID, VHOST_VDPA_GET_STATUS, VHOST_VDPA_GET_CONFIG_SIZE,
		VHOST_VDPA_GET_VQS_COUNT, VHOST_VDPA_GET_GROUP_NUM, VHOST_VDPA_GET_AS_NUM,
		VHOST_VDPA_GET_IOVA_RANGE, VHOST_VDPA_DIRTY_LOG_CAPS,
	};
	struct vhost_vring_state s = { .index = pick_vq(), .num = below(4) };

	if (one_in(4)) {
		xioctl(fz.fd, VHOST_VDPA_SET_GROUP_ASID, &s);
		return;
	}
	/* Enough room for any of them, at the area's start. */
	memset(fz.area, 0, 64);
	*(__u32 *)fz.area = one_in(4) ? rnd() : sizeof(struct vhost_vdpa_dirty_caps);
	xioctl(fz.fd, cmds[below(ARRAY_SIZE(cmds))],
	       one_in(8) ? pick_ptr(64) : fz.area);
}

static void op_dirty(void)
{
	struct vhost_vdpa_dirty_range *r = (void *)(fz.area + 8 * PAGE);
	__u64 page = one_in(4) ? rnd() : PAGE << below(4);
	unsigned int i, n = one_in(8) ? rnd() : below(20);

	switch (below(3)) {
	case 0:
		for (i = 0; i < 32; i++) {
			r[i].iova = one_in(2) ? IOVA_BASE + below(AREA_PAGES) * PAGE : pick_iova();
			r[i].length = one_in(2) ? (1 + below(64)) * PAGE : pick_size();
		}
		{
			struct vhost_vdpa_dirty_start st = {
				.size = one_in(10) ? rnd() : sizeof(st),
				.flags = one_in(10) ? rnd() : 0,
				.asid = one_in(4) ? below(4) : 0,
				.nranges = n,
				.page_size = page,
				.ranges = one_in(6) ? (uintptr_t)pick_ptr(n * sizeof(*r)) :
						      (uintptr_t)r,
			};

			xioctl(fz.fd, VHOST_VDPA_DIRTY_LOG_START, &st);
		}
		break;
	case 1:
		dirty_stop(fz.fd, one_in(4) ? below(4) : 0);
		break;
	default: {
		struct vhost_vdpa_dirty_report rp = {
			.size = one_in(10) ? rnd() : sizeof(rp),
			.flags = one_in(4) ? rnd() & 3 : 0,
			.asid = one_in(4) ? below(4) : 0,
			.iova = one_in(2) ? IOVA_BASE : pick_iova(),
			.length = one_in(2) ? (1 + below(64)) * PAGE : pick_size(),
			.page_size = page,
			.bitmap = one_in(4) ? (uintptr_t)pick_ptr(PAGE) :
					      (uintptr_t)(fz.area + 16 * PAGE),
		};

		xioctl(fz.fd, VHOST_VDPA_DIRTY_LOG_REPORT, &rp);
		break;
	}
	}
}

/* The vhost log QEMU uses: a base, LOG_ALL, rings that log. */
static void op_log(void)
{
	__u64 base, f;

	switch (below(3)) {
	case 0:
		base = one_in(3) ? (uintptr_t)pick_ptr(PAGE) : (uintptr_t)(fz.area + 32 * PAGE);
		xioctl(fz.fd, VHOST_SET_LOG_BASE, &base);
		break;
	case 1:
		f = (fz.features & rnd()) | (1ULL << VHOST_F_LOG_ALL);
		xioctl(fz.fd, VHOST_SET_FEATURES, &f);
		break;
	default: {
		int fd = pick_fd();

		xioctl(fz.fd, VHOST_SET_LOG_FD, &fd);
		break;
	}
	}
}

static void op_life(void)
{
	int fd2;

	switch (below(5)) {
	case 0:
		/* Close and reopen, a third of the time: it resets and unpins all. */
		if (one_in(3)) {
			close_dev();
			open_dev();
		} else {
			xioctl(fz.fd, VHOST_SET_OWNER, NULL);
		}
		break;
	case 1:
		xioctl(fz.fd, VHOST_SET_OWNER, NULL);
		break;
	case 2:
		xioctl(fz.fd, VHOST_RESET_OWNER, NULL);
		break;
	case 3:
		/* A second opener is refused while the first holds it. */
		fd2 = open(fz.path, O_RDWR);
		if (fd2 >= 0 && fz.fd >= 0)
			fail("a second open succeeded");
		if (fd2 >= 0)
			close(fd2);
		break;
	default:
		/* Hard resets: without and with the mappings kept. */
		set_status(fz.fd, 0);
		break;
	}
}

static void run_one(void);

/* A child has the file (not the ownership): its calls, then it exits. */
static void op_fork(void)
{
	pid_t pid;
	int i, status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		rng_state ^= 0x5a5a5a5a;
		fz.child = true;
		for (i = 0; i < 8; i++)
			run_one();
		fflush(stdout);
		_exit(fz.failed);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char why[64];

		snprintf(why, sizeof(why), "forked child ended with status 0x%x", status);
		fail(why);
	}
}

/* Memory changes under the mappings: pages replaced, dropped, unmapped. */
static void op_memory(void)
{
	unsigned int first = below(AREA_PAGES), n = 1 + below(8);
	void *p;

	if (first + n > AREA_PAGES)
		n = AREA_PAGES - first;
	switch (below(3)) {
	case 0:
		/* Pages dropped: from the file too when the area is a memfd. */
		if (fz.memfd >= 0)
			fallocate(fz.memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  first * PAGE, n * PAGE);
		else
			madvise(fz.area + first * PAGE, n * PAGE, MADV_DONTNEED);
		break;
	case 1:
		/*
		 * Other pages at the same addresses (the memfd's far part, or
		 * fresh anonymous ones): old pins keep the old pages.
		 */
		if (fz.memfd >= 0)
			p = mmap(fz.area + first * PAGE, n * PAGE, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED, fz.memfd,
				 (AREA_PAGES + below(MEMFD_PAGES - 8)) * PAGE);
		else
			p = mmap(fz.area + first * PAGE, n * PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED)
			fail("remapping scratch pages");
		break;
	default:
		/* Read-only for a while: UPDATEs that want to write fail. */
		mprotect(fz.area + first * PAGE, n * PAGE, PROT_READ);
		map(fz.fd, 0, pick_iova(), n * PAGE, fz.area + first * PAGE, VHOST_ACCESS_RW);
		mprotect(fz.area + first * PAGE, n * PAGE, PROT_READ | PROT_WRITE);
		break;
	}
}

/* Any ioctl number of the vhost type, with any size and argument. */
static void op_random(void)
{
	unsigned long cmd = _IOC(below(4), VHOST_VIRTIO, below(256), below(128));
	void *arg = one_in(2) ? pick_ptr(128) : fz.area + 40 * PAGE;

	if (arg == fz.area + 40 * PAGE)
		for (int i = 0; i < 16; i++)
			((__u64 *)arg)[i] = one_in(2) ? rnd() : below(8);
	/* Not ones that end the fuzzer's ownership of its own flow. */
	if (cmd == VHOST_SET_OWNER || cmd == VHOST_RESET_OWNER)
		return;
	xioctl(fz.fd, cmd, arg);
}

/*
 * How often each kind runs. The calls that change what the others act on
 * (bring-up, fork, close and reopen, memory changes, doorbell mappings, a
 * whole status sequence) cost one to two orders of magnitude more than an
 * ioctl under the debug kernel (perf: a fork with its exit some 17 ms of
 * CPU); they run rarely, here and inside their kinds, so that the many
 * cheap calls fill the run, each on whatever state the rare ones left.
 * Forks are not drawn at all (not in this table): main() forks every 1024
 * calls, so that a short run forks too.
 */
static const struct {
	enum kind kind;
	unsigned int weight;
	void (*op)(void);
} ops[] = {
	{ K_IOTLB, 240, op_iotlb },
	{ K_VRING, 140, op_vring },
	{ K_STATUS, 50, op_status },
	{ K_FEATURES, 50, op_features },
	{ K_RING, 120, op_ring },
	{ K_BELL, 20, op_bell },
	{ K_SUSPEND, 30, op_suspend },
	{ K_CONFIG, 30, op_config },
	{ K_QUERY, 50, op_query },
	{ K_DIRTY, 60, op_dirty },
	{ K_LOG, 30, op_log },
	{ K_LIFE, 10, op_life },
	{ K_MEMORY, 10, op_memory },
	{ K_RANDOM, 60, op_random },
	{ K_BRINGUP, 7, op_bringup },
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Runs op, counted and timed as KIND (wall-clock: a fork's includes its child's calls). */
static void run_op(enum kind kind, void (*op)(void))
{
	double t0 = now();

	fz.count[kind]++;
	op();
	fz.secs[kind] += now() - t0;
}

static void run_one(void)
{
	unsigned int total = 0, w, i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	w = below(total);
	for (i = 0; w >= ops[i].weight; i++)
		w -= ops[i].weight;
	run_op(ops[i].kind, ops[i].op);
}

static void *map_or_die(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(addr, len, prot, flags, fd, off);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

int main(int argc, char **argv)
{
	unsigned long long seed, max_ops, done = 0;
	struct timespec t0, t;
	double secs;
	int i, mfd;

	if (argc != 5) {
		fprintf(stderr, "usage: %s /dev/vhost-vdpa-N SEED OPS SECONDS\n", argv[0]);
		return 2;
	}
	fz.path = argv[1];
	seed = strtoull(argv[2], NULL, 0);
	max_ops = strtoull(argv[3], NULL, 0);
	secs = strtod(argv[4], NULL);
	rng_state = seed;

	/*
	 * The area with a guard after it, which long copies run into. With
	 * AREA_MEMFD=1 it is a shared memfd mapping, which a VA-mode device
	 * can reach (anonymous memory it leaves unmapped).
	 */
	fz.area = map_or_die(NULL, (AREA_PAGES + GUARD_PAGES) * PAGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fz.guard = fz.area + AREA_PAGES * PAGE;
	mfd = memfd_create("vdpa_fuzz", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (AREA_PAGES + MEMFD_PAGES) * PAGE)) {
		perror("memfd");
		return 2;
	}
	fz.memfd = getenv("AREA_MEMFD") ? mfd : -1;
	if (fz.memfd >= 0)
		map_or_die(fz.area, AREA_PAGES * PAGE, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_FIXED | MAP_POPULATE, mfd, 0);
	else
		map_or_die(fz.area, AREA_PAGES * PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);
	fz.mem = map_or_die(NULL, MEMFD_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
			    AREA_PAGES * PAGE);
	for (i = 0; i < MAX_VQS; i++) {
		fz.kick[i] = eventfd(0, EFD_NONBLOCK);
		fz.call[i] = eventfd(0, EFD_NONBLOCK);
	}
	fz.pin0 = vmpin_kb();

	open_dev();
	if (fz.fd < 0) {
		perror(fz.path);
		return 2;
	}
	xioctl(fz.fd, VHOST_GET_FEATURES, &fz.features);
	xioctl(fz.fd, VHOST_GET_BACKEND_FEATURES, &fz.backend);
	if (xioctl(fz.fd, VHOST_VDPA_GET_VQS_COUNT, &fz.nvqs)) {
		perror("GET_VQS_COUNT");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < max_ops) {
		if (done % 1024 == 512)
			run_op(K_FORK, op_fork);
		else
			run_one();
		done++;
		if (!(done % 64)) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 > secs)
				break;
		}
		if (fz.fd < 0)
			open_dev();
	}
	close_dev();
	printf("fuzz: seed %llu ops %llu", seed, done);
	for (i = 0; i < K_NR; i++)
		printf(" %s %lu", kind_name[i], fz.count[i]);
	printf("\nfuzz: wall-clock seconds by kind");
	for (i = 0; i < K_NR; i++)
		printf(" %s %.1f", kind_name[i], fz.secs[i]);
	printf("\n");
	return fz.failed ? 1 : 0;
}
