/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vdpa_devring: the device side of a virtqueue, for software devices (the
 * simulator, the emulated ConnectX device). It walks split and packed
 * rings, chained and indirect descriptors, honours event-index
 * notification suppression and writes used entries. Every guest address,
 * the rings' own included, goes through the owner's translate callback
 * (or a translation it let the ring keep, until it flushes them), so a
 * wrong mapping shows up as a fault, never as a stray access.
 *
 * A ring is not locked: its owner serialises every call on one ring.
 */
#ifndef _LINUX_VDPA_DEVRING_H
#define _LINUX_VDPA_DEVRING_H

#include <linux/hrtimer.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/uio.h>

struct page;
struct vhost_iotlb;
struct vdpa_notification_area;
struct vdpa_vq_state;

/* Most segments one request may have after translation. */
#define VDPA_DEVRING_MAX_SEGS 64

/**
 * struct vdpa_devring_ops - how a ring reaches guest memory
 * @translate: map [@iova, @iova + @len) for an access that writes when
 *	@write is true; store a kernel address of the first byte in @va and
 *	return how many bytes from there are contiguous and allow the access
 *	(1 to @len), or -EFAULT when @iova is unmapped, -EACCES when the
 *	mapping forbids the access. May be called with the owner's locks
 *	held; must not sleep.
 * @dirty: optional; the ring wrote guest memory at [@iova, @iova + @len)
 *	(a used entry or index, the event it publishes, or a used buffer's
 *	writable part, whole): called once the bytes are in memory (data
 *	before bit), from the ring's calls, with the owner's locks held.
 *	For a dirty-page log.
 * @cache: the ring may keep answers of @translate and use them again
 *	without asking; the owner then calls vdpa_devring_flush() on every
 *	ring before an answer may change (a map change, a reset)
 */
struct vdpa_devring_ops {
	long (*translate)(void *ctx, u64 iova, u64 len, bool write, void **va);
	void (*dirty)(void *ctx, u64 iova, u64 len);
	bool cache;
};

/* Translations a ring keeps when its owner allows it (8: rings, buffers). */
#define VDPA_DEVRING_TLB_SIZE 8

/**
 * struct vdpa_devring_tlb - a translation a ring keeps
 * @iova: first guest address it covers
 * @len: bytes it covers; 0 when unused
 * @va: kernel address of @iova; the rest follows contiguously
 * @write: the access @translate allowed (a write, else a read)
 */
struct vdpa_devring_tlb {
	u64 iova;
	u64 len;
	void *va;
	bool write;
};

/**
 * struct vdpa_devring_req - one buffer (descriptor chain) taken from a ring
 * @id: what goes back in the used entry: the head index (split) or the
 *	buffer id (packed)
 * @ndesc: ring slots the chain occupies (packed rings skip them when used)
 * @nout: segments the device reads, in @out
 * @nin: segments the device writes, in @in
 * @out_len: bytes in @out
 * @in_len: bytes in @in
 * @out: device-readable segments, translated
 * @in: device-writable segments, translated
 * @in_iova: guest address of each segment of @in
 */
struct vdpa_devring_req {
	u16 id;
	u16 ndesc;
	unsigned int nout;
	unsigned int nin;
	size_t out_len;
	size_t in_len;
	struct kvec out[VDPA_DEVRING_MAX_SEGS];
	struct kvec in[VDPA_DEVRING_MAX_SEGS];
	u64 in_iova[VDPA_DEVRING_MAX_SEGS];
};

/**
 * struct vdpa_devring - the device's view of one virtqueue
 * @ops: translation
 * @ctx: argument of @ops
 * @desc: IOVA of the descriptor area
 * @driver: IOVA of the driver area (split: available ring; packed: driver
 *	event suppression)
 * @device: IOVA of the device area (split: used ring; packed: device event
 *	suppression)
 * @num: ring size
 * @packed: VIRTIO_F_RING_PACKED
 * @event_idx: VIRTIO_RING_F_EVENT_IDX
 * @indirect: VIRTIO_RING_F_INDIRECT_DESC
 * @avail_idx: split: next available ring entry to read (free running);
 *	packed: next descriptor slot to read
 * @avail_wrap: packed: wrap counter of @avail_idx
 * @used_idx: split: next used ring entry to write (free running); packed:
 *	next descriptor slot to write
 * @used_wrap: packed: wrap counter of @used_idx
 * @unsignalled: used entries (split) or slots (packed) written since the
 *	driver was last considered for notification
 * @avail_event: what the ring last wrote to ask for kicks (split with
 *	EVENT_IDX: avail_event)
 * @armed: @avail_event is in the ring's memory since the last start or
 *	flush
 * @tlb: translations kept (&vdpa_devring_ops.cache)
 * @tlb_next: the slot of @tlb the next one replaces
 */
struct vdpa_devring {
	const struct vdpa_devring_ops *ops;
	void *ctx;
	u64 desc;
	u64 driver;
	u64 device;
	u16 num;
	bool packed;
	bool event_idx;
	bool indirect;
	u16 avail_idx;
	bool avail_wrap;
	u16 used_idx;
	bool used_wrap;
	u16 unsignalled;
	u16 avail_event;
	bool armed;
	struct vdpa_devring_tlb tlb[VDPA_DEVRING_TLB_SIZE];
	u8 tlb_next;
};

int vdpa_devring_init(struct vdpa_devring *r, const struct vdpa_devring_ops *ops,
		      void *ctx, u64 desc, u64 driver, u64 device, u32 num,
		      u64 features);
void vdpa_devring_set_state(struct vdpa_devring *r,
			    const struct vdpa_vq_state *state);
void vdpa_devring_get_state(const struct vdpa_devring *r,
			    struct vdpa_vq_state *state);
int vdpa_devring_pop(struct vdpa_devring *r, struct vdpa_devring_req *req);
int vdpa_devring_push(struct vdpa_devring *r, const struct vdpa_devring_req *req,
		      u32 written);
int vdpa_devring_need_notify(struct vdpa_devring *r);
void vdpa_devring_flush(struct vdpa_devring *r);
size_t vdpa_devring_read(const struct vdpa_devring_req *req, size_t offset,
			 void *buf, size_t len);
size_t vdpa_devring_write(const struct vdpa_devring_req *req, size_t offset,
			  const void *buf, size_t len);
long vdpa_devring_ram(u64 pa, u64 len, void **va);
long vdpa_devring_iotlb_translate(struct vhost_iotlb *iotlb, u64 iova, u64 len, bool write,
				  void **va);
struct vhost_iotlb *vdpa_devring_iotlb_clone(struct vhost_iotlb *src, unsigned int limit);

/**
 * struct vdpa_devring_range - one range of a &struct vdpa_devring_table
 * @start: first IOVA
 * @last: last IOVA
 * @addr: physical address of @start
 * @perm: VHOST_MAP_* permission
 */
struct vdpa_devring_range {
	u64 start;
	u64 last;
	u64 addr;
	u32 perm;
};

/**
 * struct vdpa_devring_table - an IOTLB's ranges, sorted and not overlapping
 * @n: number of ranges
 * @range: the ranges
 */
struct vdpa_devring_table {
	u32 n;
	struct vdpa_devring_range range[] __counted_by(n);
};

struct vdpa_devring_table *vdpa_devring_table_build(struct vhost_iotlb *src);
void vdpa_devring_table_free(struct vdpa_devring_table *t);
long vdpa_devring_table_lookup(const struct vdpa_devring_table *t, u64 iova, u64 len,
			       bool write, u64 *addr);
long vdpa_devring_table_translate(const struct vdpa_devring_table *t, u64 iova, u64 len,
				  bool write, void **va);
size_t vdpa_devring_transfer(const struct vdpa_devring_req *dst, size_t dst_off,
			     const struct vdpa_devring_req *src, size_t src_off, size_t len);

/* What a doorbell word reads while nobody has rung it. */
#define VDPA_DEVRING_BELL_IDLE 0xffffffffU

/**
 * struct vdpa_devring_bells - polled doorbell pages of a software device
 * @pages: one page per virtqueue, allocated when first handed out; the
 *	first 32-bit word is the doorbell
 * @n: number of virtqueues
 * @period: polling period
 * @ring: called (softirq context) for a virtqueue whose doorbell rang
 * @ctx: argument of @ring
 * @timer: the poll
 * @handed_out: some page was handed out, so polling is worth it
 * @polling: the owner started polling and did not stop it
 *
 * The owner serialises vdpa_devring_bells_area(), _start() and _stop();
 * the poll runs concurrently with them and takes no lock.
 */
struct vdpa_devring_bells {
	struct page **pages;
	u32 n;
	ktime_t period;
	void (*ring)(void *ctx, u16 idx);
	void *ctx;
	struct hrtimer timer;
	bool handed_out;
	bool polling;
};

int vdpa_devring_bells_init(struct vdpa_devring_bells *b, u32 n, u32 period_us,
			    void (*ring)(void *ctx, u16 idx), void *ctx);
void vdpa_devring_bells_destroy(struct vdpa_devring_bells *b);
struct vdpa_notification_area vdpa_devring_bells_area(struct vdpa_devring_bells *b, u16 idx);
void vdpa_devring_bells_start(struct vdpa_devring_bells *b);
void vdpa_devring_bells_stop(struct vdpa_devring_bells *b);

/**
 * struct vdpa_devring_port - a host interface cabled to a software net device
 * @ndev: the interface (the port is its private data)
 * @to_device: frames the host sent, waiting for receive buffers
 * @wake: runs the device when the host sent a frame
 * @ctx: argument of @wake
 * @peer: the device's name: the interface's phys_port_name
 */
struct vdpa_devring_port {
	struct net_device *ndev;
	struct sk_buff_head to_device;
	void (*wake)(void *ctx);
	void *ctx;
	char peer[32];
};

u32 vdpa_devring_net_loop(const struct vdpa_devring_req *tx, const struct vdpa_devring_req *rx);
struct vdpa_devring_port *vdpa_devring_port_create(const char *ifname, const char *peer,
						   u32 mtu, void (*wake)(void *ctx), void *ctx);
void vdpa_devring_port_destroy(struct vdpa_devring_port *port);
void vdpa_devring_port_carrier(struct vdpa_devring_port *port, bool up);
void vdpa_devring_port_to_host(struct vdpa_devring_port *port,
			       const struct vdpa_devring_req *tx, size_t hdr);
struct sk_buff *vdpa_devring_port_next(struct vdpa_devring_port *port);
void vdpa_devring_port_unget(struct vdpa_devring_port *port, struct sk_buff *skb);
u32 vdpa_devring_port_deliver(struct vdpa_devring_port *port,
			      const struct vdpa_devring_req *rx, size_t hdr, struct sk_buff *skb);
void vdpa_devring_port_drained(struct vdpa_devring_port *port);
void vdpa_devring_port_purge(struct vdpa_devring_port *port);

#endif /* _LINUX_VDPA_DEVRING_H */
