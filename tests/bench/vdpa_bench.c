// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_bench: the userspace VMM side of `make bench` (scripts/bench.sh).
 * It speaks the 6.12 vhost-vdpa uAPI, so the same binary measures our
 * stack and the upstream baseline; the dirty-log commands, ours only, also
 * use include/uapi/linux/vhost_vdpa_dirty.h. One measurement per run, printed as
 * "key value" pairs on one line; the caller repeats runs and takes medians.
 *
 *   vdpa_bench map DEV MIB KIND     pin+map MIB of KIND memory in one IOTLB
 *                                   batch, then unmap it in one batch:
 *                                   map_ms unmap_ms kmem_kib (growth of
 *                                   Slab plus VmallocUsed while mapped)
 *   vdpa_bench pin MIB KIND         the same memory pinned and unpinned by
 *                                   the bench-only vdpa_pinbench module (the
 *                                   floor): map_ms unmap_ms
 *   vdpa_bench reset DEV MIB MODE   a running loopback net device with MIB
 *                                   of THP memory mapped is reset; time
 *                                   from SET_STATUS 0 until a frame loops
 *                                   again: reset_ms.
 *                                   MODE persist: IOTLB_PERSIST, the map
 *                                   stays; remap: unmap and map it all again,
 *                                   as a VMM must without IOTLB_PERSIST
 *   vdpa_bench pps DEV LEN SECONDS [dirty]
 *                                   broadcast frames of LEN bytes through a
 *                                   loopback net device: pps gbps; with
 *                                   "dirty" the device logs the pages it
 *                                   writes meanwhile (ours only)
 *   vdpa_bench dirty DEV GIB PCT    (ours only) GIB GiB of IOVA tracked with
 *                                   4 KiB pages, PCT percent of them (0, 1
 *                                   or 100) logged through the simulator's
 *                                   debugfs $VDPA_DIRTY_INJECT (cxemu's when
 *                                   $VDPA_DIRTY_INJECT_CXEMU is set); the
 *                                   time of one clearing REPORT of it all:
 *                                   report_ms
 *   vdpa_bench mr DEV N             N IOTLB entries in one batch, each its
 *                                   own chunk (IOVA-adjacent, permissions
 *                                   alternating): time of the BATCH_END
 *                                   that builds the device's map (build_ms);
 *                                   then one entry more while 64 frames are
 *                                   in flight, which must all loop back
 *                                   (change_ms)
 *
 * While map holds the memory mapped it runs the shell command in
 * $VDPA_BENCH_HOOK, if set, to look at the kernel's state (slabinfo);
 * $VDPA_BENCH_MEM holds "PID ADDRESS LENGTH" of the memory for it.
 *
 * KIND: 4k (anonymous, THP off, physically scattered), thp (anonymous, 2 MiB aligned,
 * MADV_HUGEPAGE), huge (hugetlbfs 2 MiB pages). Memory is touched before
 * it is mapped, so the rows measure pinning and mapping, not page faults.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>

#include "vhost_client.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif

#define MIB (1024UL * 1024)
#define PAGE 4096UL
#define IOVA 0x100000000ULL
#define QSZ 256
#define NET_HDR 12		/* struct virtio_net_hdr_v1 */
#define RX_BUF 2048
#define BIT(n) (1ULL << (n))
#define NET_FEATURES (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_ACCESS_PLATFORM))
#define PINBENCH "/sys/kernel/debug/vdpa_pinbench/pin"

static void die(const char *what, int err)
{
	fprintf(stderr, "vdpa_bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define MEMINFO "/proc/meminfo"

/* A field of MEMINFO, in kB. */
static long meminfo_kb(const char *field)
{
	char line[128];
	size_t n = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/sys/vm/stat_refresh", "w");

	/* Fold the per-CPU counters in first, or small deltas are noise. */
	if (f) {
		fputs("1", f);
		fclose(f);
	}
	f = fopen(MEMINFO, "r");
	if (!f)
		die(MEMINFO, errno);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			kb = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return kb;
}

/* Anonymous memory, 2 MiB aligned, THP as asked. */
static char *mem_anon(size_t len, bool thp)
{
	size_t align = 2 * MIB;
	char *p;

	p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap", errno);
	p = (char *)(((uintptr_t)p + align - 1) & ~(align - 1));
	if (madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise", errno);
	return p;
}

static void *mem_get(size_t len, const char *kind)
{
	char *p, *spacer;
	size_t off;

	if (!strcmp(kind, "huge")) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB,
			 -1, 0);
		if (p == MAP_FAILED)
			die("mmap hugetlb (nr_hugepages?)", errno);
		memset(p, 1, len);
		return p;
	}
	if (!strcmp(kind, "thp")) {
		p = mem_anon(len, true);
		memset(p, 1, len);
		return p;
	}
	if (strcmp(kind, "4k"))
		die(kind, EINVAL);
	/*
	 * A guest's 4 KiB pages, as a long-running host hands them out:
	 * hardly two physically adjacent (measured through pagemap: 262143
	 * or 262144 runs in 262144 pages). Each page is faulted in between two pages
	 * of a spacer, freed afterwards, so the layout does not depend on
	 * what ran before (a fresh boot hands out long contiguous runs).
	 */
	p = mem_anon(len, false);
	spacer = mem_anon(len, false);
	for (off = 0; off < len; off += PAGE) {
		p[off] = 1;
		spacer[off] = 1;
	}
	if (munmap(spacer, len))
		die("munmap", errno);
	memset(p, 1, len);
	return p;
}

static int dev_own(const char *path, __u64 backend)
{
	__u64 offered;
	int fd = open(path, O_RDWR);

	if (fd < 0)
		die(path, errno);
	if (xioctl(fd, VHOST_SET_OWNER, NULL))
		die("SET_OWNER", errno);
	if (xioctl(fd, VHOST_GET_BACKEND_FEATURES, &offered))
		die("GET_BACKEND_FEATURES", errno);
	if ((offered & backend) != backend)
		die("backend features", EOPNOTSUPP);
	if (xioctl(fd, VHOST_SET_BACKEND_FEATURES, &backend))
		die("SET_BACKEND_FEATURES", errno);
	return fd;
}

/* Map (or unmap) [IOVA, IOVA + len) in one batch. */
static void map_all(int fd, void *p, size_t len, bool add)
{
	int err;

	err = batch(fd, true);
	if (!err)
		err = add ? map(fd, 0, IOVA, len, p, VHOST_ACCESS_RW) :
			    unmap(fd, 0, IOVA, len);
	if (!err)
		err = batch(fd, false);
	if (err)
		die(add ? "IOTLB UPDATE" : "IOTLB INVALIDATE", -err);
}

/* Kernel memory a stack may keep per mapping: slab and vmalloc, in kB. */
static long kmem_kb(void)
{
	return meminfo_kb("Slab") + meminfo_kb("VmallocUsed");
}

/*
 * $VDPA_BENCH_HOOK, run while the memory is mapped (e.g. to read
 * slabinfo); $VDPA_BENCH_MEM tells it "PID ADDRESS LENGTH" of the memory.
 */
static void hook(const void *p, size_t len)
{
	const char *cmd = getenv("VDPA_BENCH_HOOK");
	char mem[64];

	snprintf(mem, sizeof(mem), "%d %lu %zu", getpid(), (unsigned long)p, len);
	if (cmd && (setenv("VDPA_BENCH_MEM", mem, 1) || system(cmd)))
		die("VDPA_BENCH_HOOK", EIO);
}

static int cmd_map(const char *dev, size_t len, const char *kind)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) |
			BIT(VHOST_BACKEND_F_IOTLB_BATCH);
	void *p = mem_get(len, kind);
	int fd = dev_own(dev, backend);
	double t0, t1, t1b, t2;
	long kmem0, kmem1;

	kmem0 = kmem_kb();
	t0 = now_ms();
	map_all(fd, p, len, true);
	t1 = now_ms();
	kmem1 = kmem_kb();
	hook(p, len);
	t1b = now_ms();
	map_all(fd, p, len, false);
	t2 = now_ms();
	printf("map_ms %.3f unmap_ms %.3f kmem_kib %ld\n", t1 - t0, t2 - t1b,
	       kmem1 - kmem0);
	close(fd);
	return 0;
}

static void pinbench(int fd, const char *fmt, ...)
{
	char cmd[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (write(fd, cmd, n) != n)
		die(PINBENCH, errno);
}

static int cmd_pin(size_t len, const char *kind)
{
	void *p = mem_get(len, kind);
	int fd = open(PINBENCH, O_WRONLY);
	double t0, t1, t2;

	if (fd < 0)
		die(PINBENCH, errno);
	pinbench(fd, "a %zu", len);
	t0 = now_ms();
	pinbench(fd, "p %lu %zu", (unsigned long)p, len);
	t1 = now_ms();
	pinbench(fd, "u");
	t2 = now_ms();
	printf("map_ms %.3f unmap_ms %.3f\n", t1 - t0, t2 - t1);
	close(fd);
	return 0;
}

/*
 * ---- a loopback net device driven from userspace ----
 *
 * Memory layout from IOVA: queue q's split ring in pages 4q..4q+3
 * (descriptors, avail at +0x1000, used at +0x2000), then the transmit
 * frame, then one receive buffer per descriptor. Queue 0 receives,
 * queue 1 transmits.
 */
#define RING_BYTES (8 * PAGE)
#define TX_OFF RING_BYTES
#define RX_OFF (TX_OFF + PAGE)
#define NET_BYTES (RX_OFF + QSZ * RX_BUF)

struct bq {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	__u16 posted, seen;
	int kick, call;
	__u16 free[QSZ];	/* transmit: descriptor ids not in flight */
	int nfree;
};

struct bnet {
	int fd;
	__u8 *mem;
	struct bq q[2];
};

static void kick(struct bq *q)
{
	__u64 one = 1;

	if (write(q->kick, &one, sizeof(one)) != sizeof(one))
		die("kick", errno);
}

static void post(struct bq *q, __u16 id)
{
	q->avail->ring[q->posted % QSZ] = id;
	q->posted++;
}

static void publish(struct bq *q)
{
	__atomic_store_n(&q->avail->idx, q->posted, __ATOMIC_RELEASE);
}

static __u16 used_idx(struct bq *q)
{
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
}

/* Features, rings, DRIVER_OK; every receive buffer posted. */
static void net_start(struct bnet *n, int len)
{
	__u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	__u64 features = NET_FEATURES;
	int i;

	memset(n->mem, 0, RING_BYTES);
	if (set_status(n->fd, status) || xioctl(n->fd, VHOST_SET_FEATURES, &features))
		die("SET_FEATURES", errno);
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	if (set_status(n->fd, status) || !(get_status(n->fd) & VIRTIO_CONFIG_S_FEATURES_OK))
		die("FEATURES_OK", EIO);
	for (i = 0; i < 2; i++) {
		struct bq *q = &n->q[i];
		__u64 ring = IOVA + i * 4 * PAGE;
		struct vhost_vring_state num = { .index = i, .num = QSZ };
		struct vhost_vring_state base = { .index = i };
		struct vhost_vring_state en = { .index = i, .num = 1 };
		struct vhost_vring_addr addr = {
			.index = i,
			.desc_user_addr = ring,
			.avail_user_addr = ring + 0x1000,
			.used_user_addr = ring + 0x2000,
		};
		struct vhost_vring_file kfd = { .index = i, .fd = q->kick };
		struct vhost_vring_file cfd = { .index = i, .fd = q->call };
		int d;

		q->desc = (void *)(n->mem + i * 4 * PAGE);
		q->avail = (void *)(n->mem + i * 4 * PAGE + 0x1000);
		q->used = (void *)(n->mem + i * 4 * PAGE + 0x2000);
		q->posted = 0;
		q->seen = 0;
		for (q->nfree = 0; q->nfree < QSZ; q->nfree++)
			q->free[q->nfree] = q->nfree;
		/* Completions are polled; no interrupt is wanted. */
		q->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
		for (d = 0; d < QSZ; d++) {
			q->desc[d].addr = i ? IOVA + TX_OFF : IOVA + RX_OFF + d * RX_BUF;
			q->desc[d].len = i ? NET_HDR + len : RX_BUF;
			q->desc[d].flags = i ? 0 : VRING_DESC_F_WRITE;
		}
		if (xioctl(n->fd, VHOST_SET_VRING_NUM, &num) ||
		    xioctl(n->fd, VHOST_SET_VRING_BASE, &base) ||
		    xioctl(n->fd, VHOST_SET_VRING_ADDR, &addr) ||
		    xioctl(n->fd, VHOST_SET_VRING_KICK, &kfd) ||
		    xioctl(n->fd, VHOST_SET_VRING_CALL, &cfd) ||
		    xioctl(n->fd, VHOST_VDPA_SET_VRING_ENABLE, &en))
			die("vring setup", errno);
	}
	for (i = 0; i < QSZ; i++)
		post(&n->q[0], i);
	publish(&n->q[0]);
	if (set_status(n->fd, status | VIRTIO_CONFIG_S_DRIVER_OK))
		die("DRIVER_OK", errno);
}

/* A broadcast frame of @len bytes behind a zeroed virtio-net header. */
static void net_frame(struct bnet *n, int len)
{
	__u8 *f = n->mem + TX_OFF;

	memset(f, 0, NET_HDR + len);
	memset(f + NET_HDR, 0xff, 6);
	memcpy(f + NET_HDR + 6, "\x02\x00\x00\x00\xbe\x01\x08\x00", 8);
}

/* Hand the receive buffers the device filled back; returns how many. */
static unsigned int rx_recycle(struct bq *rx)
{
	__u16 u = used_idx(rx), got = u - rx->seen;

	for (; rx->seen != u; rx->seen++)
		post(rx, rx->used->ring[rx->seen % QSZ].id);
	if (got) {
		publish(rx);
		kick(rx);
	}
	return got;
}

/* Take back the transmit descriptors the device is done with. */
static void tx_reclaim(struct bq *tx)
{
	__u16 u = used_idx(tx);

	for (; tx->seen != u; tx->seen++)
		tx->free[tx->nfree++] = tx->used->ring[tx->seen % QSZ].id;
}

/* Offer up to @count frames (each descriptor holds the frame); returns how many. */
static int tx_send(struct bq *tx, int count)
{
	int i;

	for (i = 0; i < count && tx->nfree; i++)
		post(tx, tx->free[--tx->nfree]);
	if (i) {
		publish(tx);
		kick(tx);
	}
	return i;
}

/*
 * Keep the transmit ring full and recycle receive buffers until @ms have
 * passed; returns the frames received.
 */
static unsigned long net_run(struct bnet *n, double ms)
{
	struct bq *rx = &n->q[0], *tx = &n->q[1];
	double end = now_ms() + ms;
	unsigned long got = 0;
	unsigned int now;

	kick(rx);
	do {
		now = rx_recycle(rx);
		got += now;
		tx_reclaim(tx);
		/* The device's worker may share this CPU. */
		if (!tx_send(tx, QSZ) && !now)
			sched_yield();
	} while (got == 0 ? now_ms() < end + 5000 : now_ms() < end);
	return got;
}

static void net_open(struct bnet *n, const char *dev, void *mem, __u64 backend)
{
	int i;

	n->fd = dev_own(dev, backend);
	n->mem = mem;
	for (i = 0; i < 2; i++) {
		n->q[i].kick = eventfd(0, EFD_NONBLOCK);
		n->q[i].call = eventfd(0, EFD_NONBLOCK);
		if (n->q[i].kick < 0 || n->q[i].call < 0)
			die("eventfd", errno);
	}
}

/* Wait until @count frames sent earlier have come back. */
static void net_wait(struct bnet *n, unsigned int count)
{
	double end = now_ms() + 10000;
	unsigned int got = 0;

	for (;;) {
		got += rx_recycle(&n->q[0]);
		tx_reclaim(&n->q[1]);
		if (got >= count)
			return;
		if (now_ms() > end)
			die("frames did not loop back", ETIMEDOUT);
		sched_yield();
	}
}

/* One frame out and back: the device moves traffic. */
static void net_one(struct bnet *n)
{
	tx_send(&n->q[1], 1);
	net_wait(n, 1);
}

static int cmd_reset(const char *dev, size_t len, const char *mode)
{
	bool persist = !strcmp(mode, "persist");
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) |
			BIT(VHOST_BACKEND_F_IOTLB_BATCH);
	struct bnet n;
	double t0, t1;
	void *mem;

	if (!persist && strcmp(mode, "remap"))
		die(mode, EINVAL);
	if (persist)
		backend |= BIT(VHOST_BACKEND_F_IOTLB_PERSIST);
	if (len < NET_BYTES)
		die("size", EINVAL);
	/* Guest RAM as QEMU allocates it: anonymous, MADV_HUGEPAGE. */
	mem = mem_get(len, "thp");
	net_open(&n, dev, mem, backend);
	map_all(n.fd, mem, len, true);
	net_frame(&n, 64);
	net_start(&n, 64);
	net_one(&n);

	t0 = now_ms();
	if (set_status(n.fd, 0))
		die("SET_STATUS 0", errno);
	if (!persist) {
		int err = batch(n.fd, true);

		if (!err)
			err = unmap(n.fd, 0, IOVA, len);
		if (!err)
			err = map(n.fd, 0, IOVA, len, mem, VHOST_ACCESS_RW);
		if (!err)
			err = batch(n.fd, false);
		if (err)
			die("remap", -err);
	}
	net_frame(&n, 64);
	net_start(&n, 64);
	net_one(&n);
	t1 = now_ms();
	printf("reset_ms %.3f\n", t1 - t0);
	set_status(n.fd, 0);
	close(n.fd);
	return 0;
}

/* Track [IOVA, IOVA + len) of address space 0 with 4 KiB pages. */
static void dirty_track(int fd, __u64 len)
{
	struct vhost_vdpa_dirty_range r = { .iova = IOVA, .length = len };
	struct vhost_vdpa_dirty_start st = {
		.size = sizeof(st), .nranges = 1, .page_size = 4096, .ranges = (uintptr_t)&r,
	};

	if (xioctl(fd, VHOST_VDPA_DIRTY_LOG_START, &st))
		die("DIRTY_LOG_START", errno);
}

static int cmd_pps(const char *dev, int len, double secs, bool dirty)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) |
			BIT(VHOST_BACKEND_F_IOTLB_BATCH) |
			(dirty ? BIT(VHOST_BACKEND_F_DIRTY_LOG) : 0);
	size_t bytes = (NET_BYTES + 2 * MIB - 1) & ~(2 * MIB - 1);
	unsigned long frames;
	struct bnet n;
	double t0, t1;
	void *mem;

	if (len < 60 || NET_HDR + len > RX_BUF)
		die("frame length", EINVAL);
	mem = mem_get(bytes, "4k");
	net_open(&n, dev, mem, backend);
	map_all(n.fd, mem, bytes, true);
	if (dirty)
		dirty_track(n.fd, bytes);
	net_frame(&n, len);
	net_start(&n, len);
	net_run(&n, 500);	/* warm up */
	t0 = now_ms();
	frames = net_run(&n, secs * 1000);
	t1 = now_ms();
	printf("pps %.0f gbps %.4f\n", frames * 1000.0 / (t1 - t0),
	       frames * len * 8.0 / ((t1 - t0) * 1e6));
	set_status(n.fd, 0);
	close(n.fd);
	return 0;
}

/* Log @pct percent of [IOVA, IOVA + len) through the simulator's debugfs. */
static void dirty_inject(__u64 len, int pct)
{
	const char *path = getenv("VDPA_DIRTY_INJECT");
	/* The simulator's file wants the address space first, cxemu's does not. */
	const char *asid = getenv("VDPA_DIRTY_INJECT_CXEMU") ? "" : "0 ";
	__u64 off, step = pct ? 4096 * (100 / pct) : 0;
	FILE *f;

	if (!pct)
		return;
	f = path ? fopen(path, "w") : NULL;
	if (!f)
		die("VDPA_DIRTY_INJECT", path ? errno : EINVAL);
	setvbuf(f, NULL, _IONBF, 0);
	if (pct == 100) {
		if (fprintf(f, "%s%#llx %#llx\n", asid, IOVA, (unsigned long long)len) < 0)
			die("dirty_inject", errno);
	} else {
		for (off = 0; off < len; off += step)
			if (fprintf(f, "%s%#llx 0x1000\n", asid, IOVA + off) < 0)
				die("dirty_inject", errno);
	}
	fclose(f);
}

static int cmd_dirty(const char *dev, __u64 gib, int pct)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | BIT(VHOST_BACKEND_F_DIRTY_LOG);
	__u64 len = gib << 30, words = len / 4096 / 64;
	__u64 *bitmap = calloc(words, sizeof(__u64));
	struct vhost_vdpa_dirty_report rp = {
		.size = sizeof(rp), .iova = IOVA, .length = len, .page_size = 4096,
		.bitmap = (uintptr_t)bitmap,
	};
	double t0, t1;
	int fd;

	if (!bitmap || (pct != 0 && pct != 1 && pct != 100))
		die("dirty", EINVAL);
	/* The bitmap is the VMM's, touched before: the row measures the report. */
	memset(bitmap, 0, words * sizeof(__u64));
	fd = dev_own(dev, backend);
	dirty_track(fd, len);
	dirty_inject(len, pct);
	t0 = now_ms();
	if (xioctl(fd, VHOST_VDPA_DIRTY_LOG_REPORT, &rp))
		die("DIRTY_LOG_REPORT", errno);
	t1 = now_ms();
	printf("report_ms %.3f\n", t1 - t0);
	close(fd);
	free(bitmap);
	return 0;
}

#define MR_IN_FLIGHT 64

static double timed_batch_end(int fd)
{
	double t0 = now_ms();
	int err = batch(fd, false);

	if (err)
		die("BATCH_END", -err);
	return now_ms() - t0;
}

static int cmd_mr(const char *dev, unsigned long entries)
{
	__u64 backend = BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) |
			BIT(VHOST_BACKEND_F_IOTLB_BATCH);
	/* The rings and buffers: one 2 MiB THP, most likely one entry. */
	size_t ring_bytes = 2 * MIB;
	double build, change;
	unsigned long i;
	__u8 *ring, *pages;
	struct bnet n;
	int err = 0;

	if (!entries || NET_BYTES > ring_bytes)
		die("entries", EINVAL);
	ring = mem_get(ring_bytes, "thp");
	pages = mem_get(entries * PAGE, "4k");
	net_open(&n, dev, ring, backend);
	err = batch(n.fd, true);
	if (!err)
		err = map(n.fd, 0, IOVA, ring_bytes, ring, VHOST_ACCESS_RW);
	if (err)
		die("map rings", -err);
	/* Entries after the first: one page each, RO and RW in turn. */
	for (i = 1; i < entries && !err; i++)
		err = map(n.fd, 0, IOVA + ring_bytes + (i - 1) * PAGE, PAGE,
			  pages + (i - 1) * PAGE,
			  i & 1 ? VHOST_ACCESS_RO : VHOST_ACCESS_RW);
	if (err)
		die("IOTLB UPDATE", -err);
	build = timed_batch_end(n.fd);

	net_frame(&n, 64);
	net_start(&n, 64);
	net_one(&n);
	err = batch(n.fd, true);
	if (!err)
		err = map(n.fd, 0, IOVA + ring_bytes + (entries - 1) * PAGE, PAGE,
			  pages + (entries - 1) * PAGE,
			  entries & 1 ? VHOST_ACCESS_RO : VHOST_ACCESS_RW);
	if (err)
		die("IOTLB UPDATE", -err);
	/* Frames in flight while the device switches to the new map. */
	tx_send(&n.q[1], MR_IN_FLIGHT);
	change = timed_batch_end(n.fd);
	net_wait(&n, MR_IN_FLIGHT);
	printf("build_ms %.3f change_ms %.3f\n", build, change);
	set_status(n.fd, 0);
	close(n.fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "map"))
		return cmd_map(argv[2], strtoul(argv[3], NULL, 0) * MIB, argv[4]);
	if (argc == 4 && !strcmp(argv[1], "pin"))
		return cmd_pin(strtoul(argv[2], NULL, 0) * MIB, argv[3]);
	if (argc == 5 && !strcmp(argv[1], "reset"))
		return cmd_reset(argv[2], strtoul(argv[3], NULL, 0) * MIB, argv[4]);
	if ((argc == 5 || (argc == 6 && !strcmp(argv[5], "dirty"))) && !strcmp(argv[1], "pps"))
		return cmd_pps(argv[2], atoi(argv[3]), atof(argv[4]), argc == 6);
	if (argc == 5 && !strcmp(argv[1], "dirty"))
		return cmd_dirty(argv[2], strtoull(argv[3], NULL, 0), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "mr"))
		return cmd_mr(argv[2], strtoul(argv[3], NULL, 0));
	fprintf(stderr, "usage: see the comment at the top of %s\n", __FILE__);
	return 2;
}
