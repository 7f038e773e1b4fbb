// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_devring: device side of split and packed virtqueues for software
 * vDPA devices. See include/linux/vdpa_devring.h.
 *
 * The kernel's vringh does much of this, but Debian's 6.12 kernel is built
 * without CONFIG_VHOST_RING, and a device model wants every access, ring
 * metadata included, to go through its own translation (on-chip IOMMU,
 * mkeys) with its errors reported rather than skipped.
 *
 * Layouts (virtio 1.2, 2.7 and 2.8), all little endian:
 *   split descriptor: le64 addr, le32 len, le16 flags, le16 next
 *   available ring:   le16 flags, le16 idx, le16 ring[num], le16 used_event
 *   used ring:        le16 flags, le16 idx, {le32 id, le32 len}[num],
 *                     le16 avail_event
 *   packed descriptor: le64 addr, le32 len, le16 id, le16 flags
 *   event suppression: le16 off_wrap, le16 flags
 */
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/unaligned.h>
#include <linux/vdpa.h>
#include <linux/vdpa_devring.h>
#include <linux/virtio_config.h>
#include <uapi/linux/virtio_ring.h>
#include <asm/barrier.h>

#define DESC_SIZE 16
#define DESC_ADDR 0
#define DESC_LEN 8
#define DESC_SPLIT_FLAGS 12
#define DESC_SPLIT_NEXT 14
#define DESC_PACKED_ID 12
#define DESC_PACKED_FLAGS 14

#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING 4
#define USED_ELEM_SIZE 8

#define EVENT_OFF_WRAP 0
#define EVENT_FLAGS 2

#define PACKED_AVAIL BIT(VRING_PACKED_DESC_F_AVAIL)
#define PACKED_USED BIT(VRING_PACKED_DESC_F_USED)
#define PACKED_WRAP_SHIFT VRING_PACKED_EVENT_F_WRAP_CTR

/*
 * Guest address to kernel address. An owner that lets the ring keep
 * translations (ops->cache) is asked only on a miss, and then for the
 * rest of the page at least, so the next access nearby (the next
 * descriptor, ring entry or buffer byte) finds it kept. The ring's own
 * table rather than the owner's: a lookup here takes no lock and walks
 * no tree, which is most of a small packet's cost.
 */
static long devring_translate(struct vdpa_devring *r, u64 iova, u64 len, bool write,
			      void **va)
{
	struct vdpa_devring_tlb *t;
	u64 want, off;
	long n;
	int i;

	if (!r->ops->cache)
		return r->ops->translate(r->ctx, iova, len, write, va);
	for (i = 0; i < VDPA_DEVRING_TLB_SIZE; i++) {
		t = &r->tlb[i];
		off = iova - t->iova;
		if (t->write == write && off < t->len) {
			*va = t->va + off;
			return min(len, t->len - off);
		}
	}
	/* The page's end is at most 2^64: no overflow. */
	want = max(len, PAGE_SIZE - offset_in_page(iova));
	n = r->ops->translate(r->ctx, iova, want, write, va);
	if (n <= 0)
		return n;
	if (n > want)
		return -EFAULT;
	t = &r->tlb[r->tlb_next++ % VDPA_DEVRING_TLB_SIZE];
	t->iova = iova;
	t->len = n;
	t->va = *va;
	t->write = write;
	return min_t(u64, n, len);
}

/**
 * vdpa_devring_flush() - forget the translations a ring keeps
 * @r: the ring
 *
 * For owners with &vdpa_devring_ops.cache set: call before a translation
 * the ring may have kept changes or goes away.
 *
 * Context: any; serialised with the ring's other calls, as they all are.
 */
void vdpa_devring_flush(struct vdpa_devring *r)
{
	memset(r->tlb, 0, sizeof(r->tlb));
	/* What the ring wrote to the old memory is not in the new. */
	r->armed = false;
}
EXPORT_SYMBOL_GPL(vdpa_devring_flush);

/* Copy @len bytes between guest memory at @iova and @buf. */
static int devring_copy(struct vdpa_devring *r, u64 iova, void *buf,
			size_t len, bool write)
{
	while (len) {
		void *va;
		long n = devring_translate(r, iova, len, write, &va);

		if (n < 0)
			return n;
		if (!n || n > len)
			return -EFAULT;
		if (write)
			memcpy(va, buf, n);
		else
			memcpy(buf, va, n);
		iova += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Ring indexes and flags change under the device's feet: read and write
 * them in one access. Alignment checked at init keeps them in one piece.
 */
static int devring_read16(struct vdpa_devring *r, u64 iova, u16 *val)
{
	void *va;
	long n = devring_translate(r, iova, sizeof(__le16), false, &va);

	/* A kept translation may end between the two bytes: ask the owner. */
	if (n == 1)
		n = r->ops->translate(r->ctx, iova, sizeof(__le16), false, &va);
	if (n < 0)
		return n;
	if (n < sizeof(__le16))
		return -EFAULT;
	*val = le16_to_cpu(READ_ONCE(*(__le16 *)va));
	return 0;
}

/* The ring wrote [@iova, @iova + @len): tell the owner's dirty log. */
static void devring_dirty(struct vdpa_devring *r, u64 iova, u64 len)
{
	if (r->ops->dirty)
		r->ops->dirty(r->ctx, iova, len);
}

/*
 * A used buffer's writable part, whole: a device may write bytes past
 * what it reports as written (a block status byte at the end), and
 * over-logging is safe where under-logging is not. Segments that follow
 * each other in guest memory are reported as one run.
 */
static void devring_dirty_buf(struct vdpa_devring *r, const struct vdpa_devring_req *req)
{
	u64 start = 0, len = 0;
	unsigned int i;

	for (i = 0; i < req->nin; i++) {
		if (len && req->in_iova[i] == start + len) {
			len += req->in[i].iov_len;
			continue;
		}
		if (len)
			devring_dirty(r, start, len);
		start = req->in_iova[i];
		len = req->in[i].iov_len;
	}
	if (len)
		devring_dirty(r, start, len);
}

static int devring_write16(struct vdpa_devring *r, u64 iova, u16 val)
{
	void *va;
	long n = devring_translate(r, iova, sizeof(__le16), true, &va);

	if (n == 1)
		n = r->ops->translate(r->ctx, iova, sizeof(__le16), true, &va);
	if (n < 0)
		return n;
	if (n < sizeof(__le16))
		return -EFAULT;
	WRITE_ONCE(*(__le16 *)va, cpu_to_le16(val));
	return 0;
}

/**
 * vdpa_devring_init() - set a ring up from the driver's parameters
 * @r: the ring
 * @ops: translation
 * @ctx: argument of @ops->translate
 * @desc: IOVA of the descriptor area
 * @driver: IOVA of the driver area
 * @device: IOVA of the device area
 * @num: ring size
 * @features: negotiated virtio features (ring format, event index,
 *	indirect descriptors)
 *
 * The ring starts at index 0 (wrap counters set, packed); restore a saved
 * position with vdpa_devring_set_state().
 *
 * Context: any.
 * Return: 0, or -EINVAL for a size or alignment the format forbids.
 */
int vdpa_devring_init(struct vdpa_devring *r, const struct vdpa_devring_ops *ops,
		      void *ctx, u64 desc, u64 driver, u64 device, u32 num,
		      u64 features)
{
	bool packed = features & BIT_ULL(VIRTIO_F_RING_PACKED);

	if (!num || num > 32768 || (!packed && !is_power_of_2(num)))
		return -EINVAL;
	/* Alignments required by virtio 1.2, 2.7.10.2 and 2.8.21.4. */
	if (!IS_ALIGNED(desc, 16) ||
	    !IS_ALIGNED(driver, packed ? 4 : 2) || !IS_ALIGNED(device, 4))
		return -EINVAL;

	memset(r, 0, sizeof(*r));
	r->ops = ops;
	r->ctx = ctx;
	r->desc = desc;
	r->driver = driver;
	r->device = device;
	r->num = num;
	r->packed = packed;
	r->event_idx = features & BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	r->indirect = features & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC);
	r->avail_wrap = true;
	r->used_wrap = true;
	return 0;
}
EXPORT_SYMBOL_GPL(vdpa_devring_init);

/**
 * vdpa_devring_set_state() - resume a ring where it stopped
 * @r: the ring, initialised
 * @state: the position (split: next available index; packed: indexes and
 *	wrap counters)
 *
 * Every buffer taken before the stop was used: the used position of a
 * split ring equals its available position.
 *
 * Context: any.
 */
void vdpa_devring_set_state(struct vdpa_devring *r,
			    const struct vdpa_vq_state *state)
{
	if (r->packed) {
		r->avail_idx = state->packed.last_avail_idx % r->num;
		r->avail_wrap = state->packed.last_avail_counter;
		r->used_idx = state->packed.last_used_idx % r->num;
		r->used_wrap = state->packed.last_used_counter;
	} else {
		r->avail_idx = state->split.avail_index;
		r->used_idx = state->split.avail_index;
	}
	r->unsignalled = 0;
	r->armed = false;
}
EXPORT_SYMBOL_GPL(vdpa_devring_set_state);

/**
 * vdpa_devring_get_state() - where a ring is
 * @r: the ring
 * @state: filled as vdpa_devring_set_state() takes it
 *
 * Context: any.
 */
void vdpa_devring_get_state(const struct vdpa_devring *r,
			    struct vdpa_vq_state *state)
{
	memset(state, 0, sizeof(*state));
	if (r->packed) {
		state->packed.last_avail_idx = r->avail_idx;
		state->packed.last_avail_counter = r->avail_wrap;
		state->packed.last_used_idx = r->used_idx;
		state->packed.last_used_counter = r->used_wrap;
	} else {
		state->split.avail_index = r->avail_idx;
	}
}
EXPORT_SYMBOL_GPL(vdpa_devring_get_state);

/*
 * Translate one descriptor's buffer into segments of @req. Readable
 * buffers must all come before writable ones (virtio 1.2, 2.7.4.2).
 */
static int devring_add_buf(struct vdpa_devring *r, struct vdpa_devring_req *req,
			   u64 addr, u32 len, bool write)
{
	struct kvec *segs = write ? req->in : req->out;
	unsigned int *nseg = write ? &req->nin : &req->nout;
	size_t *total = write ? &req->in_len : &req->out_len;

	if (!write && req->nin)
		return -EINVAL;
	if (len && addr + len - 1 < addr)
		return -EINVAL;
	while (len) {
		void *va;
		long n;

		if (*nseg == VDPA_DEVRING_MAX_SEGS)
			return -E2BIG;
		n = devring_translate(r, addr, len, write, &va);
		if (n < 0)
			return n;
		if (!n || n > len)
			return -EFAULT;
		if (write)
			req->in_iova[*nseg] = addr;
		segs[*nseg].iov_base = va;
		segs[*nseg].iov_len = n;
		(*nseg)++;
		*total += n;
		addr += n;
		len -= n;
	}
	return 0;
}

static void devring_req_reset(struct vdpa_devring_req *req)
{
	req->nout = 0;
	req->nin = 0;
	req->out_len = 0;
	req->in_len = 0;
	req->ndesc = 0;
}

/*
 * An indirect table: @len bytes of descriptors at @addr, in either format.
 * @room is how many more descriptors the chain may have. A driver never
 * makes a chain longer than the queue (virtio 1.2, 2.7.5.3.1; the packed
 * ring has the same rule), and a bound taken from @len alone would let a
 * table of empty entries keep the device busy for 2^28 steps.
 */
static int devring_walk_indirect(struct vdpa_devring *r,
				 struct vdpa_devring_req *req, u64 addr, u32 len, u32 room)
{
	u32 n = len / DESC_SIZE, i = 0, count = 0;
	u8 d[DESC_SIZE];
	u16 flags;
	int err;

	if (!r->indirect || !len || len % DESC_SIZE)
		return -EINVAL;
	/* Bigger than any chain, whatever its links say: refused unread. */
	if (n > r->num)
		return -EINVAL;
	for (;;) {
		/* A chain visits each entry at most once. */
		if (++count > n)
			return -ELOOP;
		if (count > room)
			return -EINVAL;
		err = devring_copy(r, addr + (u64)i * DESC_SIZE, d, DESC_SIZE, false);
		if (err)
			return err;
		flags = get_unaligned_le16(d + (r->packed ? DESC_PACKED_FLAGS :
							     DESC_SPLIT_FLAGS));
		if (flags & VRING_DESC_F_INDIRECT)
			return -EINVAL;
		err = devring_add_buf(r, req, get_unaligned_le64(d + DESC_ADDR),
				      get_unaligned_le32(d + DESC_LEN),
				      flags & VRING_DESC_F_WRITE);
		if (err)
			return err;
		/* Packed tables are read in order, every entry. */
		if (r->packed) {
			if (++i == n)
				return 0;
			continue;
		}
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = get_unaligned_le16(d + DESC_SPLIT_NEXT);
		if (i >= n)
			return -EINVAL;
	}
}

/*
 * The ring is drained: make sure the driver will kick for its next
 * buffer, then look once more for one that came before it could see
 * that. With EVENT_IDX a split ring's driver kicks only for a buffer
 * past avail_event, so the index the device waits at is published on
 * every drain that moved it. Otherwise the device never suppresses
 * kicks, but the field that would (used flags, the packed device event
 * flags) is guest memory another backend may have left set: it is
 * cleared once after each (re)start or flush. @avail is the split ring's
 * available index, or the packed ring's next descriptor flags, read again.
 */
static int devring_rearm(struct vdpa_devring *r, u16 *avail)
{
	u64 at;
	u16 val;
	int err;

	if (r->packed) {
		at = r->device + EVENT_FLAGS;
		val = VRING_PACKED_EVENT_FLAG_ENABLE;
	} else if (r->event_idx) {
		at = r->device + USED_RING + (u64)r->num * USED_ELEM_SIZE;
		val = r->avail_idx;
	} else {
		at = r->device + USED_FLAGS;
		val = 0;
	}
	if (r->armed && (!r->event_idx || r->packed || r->avail_event == val))
		return 0;
	err = devring_write16(r, at, val);
	if (err)
		return err;
	devring_dirty(r, at, sizeof(__le16));
	r->avail_event = val;
	r->armed = true;
	/* Our request before our second look at the ring. */
	virt_mb();
	if (r->packed)
		return devring_read16(r, r->desc + (u64)r->avail_idx * DESC_SIZE +
				      DESC_PACKED_FLAGS, avail);
	return devring_read16(r, r->driver + AVAIL_IDX, avail);
}

static int devring_pop_split(struct vdpa_devring *r, struct vdpa_devring_req *req)
{
	u16 avail, head, i, flags;
	u32 count = 0;
	u8 d[DESC_SIZE];
	int err;

	err = devring_read16(r, r->driver + AVAIL_IDX, &avail);
	if (err)
		return err;
	if (avail == r->avail_idx) {
		err = devring_rearm(r, &avail);
		if (err || avail == r->avail_idx)
			return err;
	}
	/* The driver cannot have made more than a ring's worth available. */
	if ((u16)(avail - r->avail_idx) > r->num)
		return -EINVAL;
	/* Read the ring entry only after seeing the index that covers it. */
	virt_rmb();
	err = devring_read16(r, r->driver + AVAIL_RING +
			     2 * (r->avail_idx & (r->num - 1)), &head);
	if (err)
		return err;
	if (head >= r->num)
		return -EINVAL;

	for (i = head;;) {
		if (++count > r->num)
			return -ELOOP;
		err = devring_copy(r, r->desc + (u64)i * DESC_SIZE, d, DESC_SIZE, false);
		if (err)
			return err;
		flags = get_unaligned_le16(d + DESC_SPLIT_FLAGS);
		if (flags & VRING_DESC_F_INDIRECT) {
			/* An indirect descriptor ends the chain (2.7.5.3.1). */
			if (flags & VRING_DESC_F_NEXT)
				return -EINVAL;
			/* The descriptors before it count against the queue size. */
			err = devring_walk_indirect(r, req,
						    get_unaligned_le64(d + DESC_ADDR),
						    get_unaligned_le32(d + DESC_LEN),
						    r->num - (count - 1));
			if (err)
				return err;
			break;
		}
		err = devring_add_buf(r, req, get_unaligned_le64(d + DESC_ADDR),
				      get_unaligned_le32(d + DESC_LEN),
				      flags & VRING_DESC_F_WRITE);
		if (err)
			return err;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = get_unaligned_le16(d + DESC_SPLIT_NEXT);
		if (i >= r->num)
			return -EINVAL;
	}
	req->id = head;
	req->ndesc = 1;
	r->avail_idx++;
	return 1;
}

/* Whether descriptor flags say "available" for the wrap counter @wrap. */
static bool packed_avail(u16 flags, bool wrap)
{
	return !!(flags & PACKED_AVAIL) == wrap && !!(flags & PACKED_USED) != wrap;
}

static int devring_pop_packed(struct vdpa_devring *r, struct vdpa_devring_req *req)
{
	u16 slot = r->avail_idx, flags, id = 0;
	bool wrap = r->avail_wrap;
	u32 count = 0;
	u8 d[DESC_SIZE];
	int err;

	err = devring_read16(r, r->desc + (u64)slot * DESC_SIZE + DESC_PACKED_FLAGS,
			     &flags);
	if (err)
		return err;
	if (!packed_avail(flags, wrap)) {
		err = devring_rearm(r, &flags);
		if (err || !packed_avail(flags, wrap))
			return err;
	}
	/* The rest of the descriptor after the flags that publish it. */
	virt_rmb();

	do {
		if (++count > r->num)
			return -ELOOP;
		err = devring_copy(r, r->desc + (u64)slot * DESC_SIZE, d, DESC_SIZE, false);
		if (err)
			return err;
		flags = get_unaligned_le16(d + DESC_PACKED_FLAGS);
		/* The head's flags publish the chain: the rest must be there. */
		if (!packed_avail(flags, wrap))
			return -EINVAL;
		if (flags & VRING_DESC_F_INDIRECT) {
			if (count > 1 || (flags & VRING_DESC_F_NEXT))
				return -EINVAL;
			/* Alone in its chain: the table may fill the queue size. */
			err = devring_walk_indirect(r, req,
						    get_unaligned_le64(d + DESC_ADDR),
						    get_unaligned_le32(d + DESC_LEN), r->num);
		} else {
			err = devring_add_buf(r, req, get_unaligned_le64(d + DESC_ADDR),
					      get_unaligned_le32(d + DESC_LEN),
					      flags & VRING_DESC_F_WRITE);
		}
		if (err)
			return err;
		/* The buffer id is the one of the chain's last descriptor. */
		id = get_unaligned_le16(d + DESC_PACKED_ID);
		if (++slot == r->num) {
			slot = 0;
			wrap = !wrap;
		}
	} while (flags & VRING_DESC_F_NEXT);

	req->id = id;
	req->ndesc = count;
	r->avail_idx = slot;
	r->avail_wrap = wrap;
	return 1;
}

/**
 * vdpa_devring_pop() - take the next available buffer
 * @r: the ring
 * @req: filled with the buffer's id and translated segments
 *
 * A ring found empty asks the driver to kick for its next buffer (a split
 * ring with EVENT_IDX publishes avail_event; otherwise the suppression
 * flag is cleared once per start), so a device may go idle after 0 and
 * wait for the kick.
 *
 * Context: any; calls @r->ops->translate.
 * Return: 1 when @req holds a buffer, 0 when none is available, or a
 * negative errno when the ring is malformed (-EINVAL: bad index, flags or
 * order, or a chain or indirect table longer than the ring; -ELOOP: a
 * descriptor chain loops; -E2BIG: more than %VDPA_DEVRING_MAX_SEGS
 * segments; -EFAULT/-EACCES: translation failed).
 * After an error the ring is unusable until it is set up again.
 */
int vdpa_devring_pop(struct vdpa_devring *r, struct vdpa_devring_req *req)
{
	devring_req_reset(req);
	return r->packed ? devring_pop_packed(r, req) : devring_pop_split(r, req);
}
EXPORT_SYMBOL_GPL(vdpa_devring_pop);

/**
 * vdpa_devring_push() - return a buffer to the driver as used
 * @r: the ring
 * @req: the buffer, as vdpa_devring_pop() gave it
 * @written: bytes the device wrote into the buffer's writable part
 *
 * Buffers are used in the order they were taken.
 *
 * Context: any; calls @r->ops->translate.
 * Return: 0, -EINVAL when @written exceeds the writable part, or a
 * translation error.
 */
int vdpa_devring_push(struct vdpa_devring *r, const struct vdpa_devring_req *req,
		      u32 written)
{
	u8 elem[USED_ELEM_SIZE];
	u64 at;
	int err;

	if (written > req->in_len)
		return -EINVAL;

	if (!r->packed) {
		at = r->device + USED_RING +
		     (u64)(r->used_idx & (r->num - 1)) * USED_ELEM_SIZE;
		put_unaligned_le32(req->id, elem);
		put_unaligned_le32(written, elem + 4);
		err = devring_copy(r, at, elem, sizeof(elem), true);
		if (err)
			return err;
		/* The entry must be visible before the index that covers it. */
		virt_wmb();
		err = devring_write16(r, r->device + USED_IDX, r->used_idx + 1);
		if (err)
			return err;
		if (r->ops->dirty) {
			devring_dirty_buf(r, req);
			devring_dirty(r, at, sizeof(elem));
			devring_dirty(r, r->device + USED_IDX, sizeof(__le16));
		}
		r->used_idx++;
		r->unsignalled++;
		return 0;
	}

	at = r->desc + (u64)r->used_idx * DESC_SIZE;
	put_unaligned_le32(written, elem);
	put_unaligned_le16(req->id, elem + 4);
	err = devring_copy(r, at + DESC_LEN, elem, 6, true);
	if (err)
		return err;
	/* Id and length before the flags that hand the slot back. */
	virt_wmb();
	err = devring_write16(r, at + DESC_PACKED_FLAGS,
			      r->used_wrap ? PACKED_AVAIL | PACKED_USED : 0);
	if (err)
		return err;
	if (r->ops->dirty) {
		devring_dirty_buf(r, req);
		devring_dirty(r, at, DESC_SIZE);
	}
	r->used_idx += req->ndesc;
	if (r->used_idx >= r->num) {
		r->used_idx -= r->num;
		r->used_wrap = !r->used_wrap;
	}
	r->unsignalled += req->ndesc;
	return 0;
}
EXPORT_SYMBOL_GPL(vdpa_devring_push);

/**
 * vdpa_devring_need_notify() - whether the driver wants an interrupt now
 * @r: the ring
 *
 * Considers every buffer pushed since the last call, against the driver's
 * suppression: flags or the used-event index (split), the driver event
 * suppression structure (packed).
 *
 * Context: any; calls @r->ops->translate.
 * Return: 1 to notify, 0 not to, or a translation error.
 */
int vdpa_devring_need_notify(struct vdpa_devring *r)
{
	u16 pushed = r->unsignalled, old = r->used_idx - pushed;
	u16 event, flags;
	int err;

	if (!pushed)
		return 0;
	r->unsignalled = 0;
	/* Our used index must be visible before we read what the driver wants. */
	virt_mb();

	if (!r->packed) {
		if (!r->event_idx) {
			err = devring_read16(r, r->driver + AVAIL_FLAGS, &flags);
			return err ?: !(flags & VRING_AVAIL_F_NO_INTERRUPT);
		}
		err = devring_read16(r, r->driver + AVAIL_RING + 2 * r->num, &event);
		return err ?: vring_need_event(event, r->used_idx, old);
	}

	err = devring_read16(r, r->driver + EVENT_FLAGS, &flags);
	if (err)
		return err;
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return 0;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !r->event_idx)
		return 1;
	err = devring_read16(r, r->driver + EVENT_OFF_WRAP, &event);
	if (err)
		return err;
	/*
	 * The event offset is a slot with its wrap counter: one lap behind
	 * the used position when the counters differ, which u16 arithmetic
	 * expresses as minus the ring size.
	 */
	if (!!(event >> PACKED_WRAP_SHIFT) != r->used_wrap)
		event = (event & ~BIT(PACKED_WRAP_SHIFT)) - r->num;
	else
		event &= ~BIT(PACKED_WRAP_SHIFT);
	return vring_need_event(event, r->used_idx, old);
}
EXPORT_SYMBOL_GPL(vdpa_devring_need_notify);

/*
 * Copy between @buf and the segments of @segs starting @offset bytes in;
 * returns how many bytes were copied.
 */
static size_t devring_iov_copy(const struct kvec *segs, unsigned int nseg,
			       size_t offset, void *buf, size_t len, bool to_segs)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < nseg && done < len; i++) {
		size_t n;

		if (offset >= segs[i].iov_len) {
			offset -= segs[i].iov_len;
			continue;
		}
		n = min(segs[i].iov_len - offset, len - done);
		if (to_segs)
			memcpy(segs[i].iov_base + offset, buf + done, n);
		else
			memcpy(buf + done, segs[i].iov_base + offset, n);
		done += n;
		offset = 0;
	}
	return done;
}

/**
 * vdpa_devring_read() - copy from a buffer's readable part
 * @req: the buffer
 * @offset: where to start in its readable part
 * @buf: destination
 * @len: bytes wanted
 *
 * Context: any.
 * Return: bytes copied, less than @len at the end of the readable part.
 */
size_t vdpa_devring_read(const struct vdpa_devring_req *req, size_t offset,
			 void *buf, size_t len)
{
	return devring_iov_copy(req->out, req->nout, offset, buf, len, false);
}
EXPORT_SYMBOL_GPL(vdpa_devring_read);

/**
 * vdpa_devring_write() - copy into a buffer's writable part
 * @req: the buffer
 * @offset: where to start in its writable part
 * @buf: source
 * @len: bytes to write
 *
 * Context: any.
 * Return: bytes copied, less than @len at the end of the writable part.
 */
size_t vdpa_devring_write(const struct vdpa_devring_req *req, size_t offset,
			  const void *buf, size_t len)
{
	return devring_iov_copy(req->in, req->nin, offset, (void *)buf, len, true);
}
EXPORT_SYMBOL_GPL(vdpa_devring_write);

/**
 * vdpa_devring_transfer() - copy from one buffer into another
 * @dst: the buffer written
 * @dst_off: where to start in its writable part
 * @src: the buffer read
 * @src_off: where to start in its readable part
 * @len: bytes to copy
 *
 * What a device forwarding between two queues does, with no bounce buffer.
 *
 * Context: any.
 * Return: bytes copied, less than @len at the end of either part.
 */
size_t vdpa_devring_transfer(const struct vdpa_devring_req *dst, size_t dst_off,
			     const struct vdpa_devring_req *src, size_t src_off, size_t len)
{
	size_t done = 0, n, w;
	unsigned int i;

	for (i = 0; i < src->nout && done < len; i++) {
		if (src_off >= src->out[i].iov_len) {
			src_off -= src->out[i].iov_len;
			continue;
		}
		n = min(src->out[i].iov_len - src_off, len - done);
		w = vdpa_devring_write(dst, dst_off + done, src->out[i].iov_base + src_off, n);
		done += w;
		if (w < n)
			break;
		src_off = 0;
	}
	return done;
}
EXPORT_SYMBOL_GPL(vdpa_devring_transfer);

/**
 * vdpa_devring_ram() - kernel address of physical memory a device may reach
 * @pa: physical address
 * @len: bytes wanted (nonzero)
 * @va: set to the kernel address of @pa
 *
 * For software devices whose translation ends in a physical address.
 * Only pages the page allocator manages are reachable: not holes, not
 * MMIO, not reserved memory. At most 1 MiB per call, so a descriptor that
 * claims gigabytes is walked in steps.
 *
 * Context: any.
 * Return: bytes reachable and contiguous in the direct map from @va (1 ..
 * @len), or -EFAULT when @pa itself is not.
 */
long vdpa_devring_ram(u64 pa, u64 len, void **va)
{
	unsigned long pfn = PHYS_PFN(pa), last, p;

	len = min_t(u64, len, SZ_1M);
	last = PHYS_PFN(pa + len - 1);
	for (p = pfn; p <= last; p++)
		if (!pfn_valid(p) || PageReserved(pfn_to_page(p)))
			break;
	if (p == pfn)
		return -EFAULT;
	*va = page_address(pfn_to_page(pfn)) + offset_in_page(pa);
	return min_t(u64, len, PFN_PHYS(p) - pa);
}
EXPORT_SYMBOL_GPL(vdpa_devring_ram);

MODULE_DESCRIPTION("Device side of virtqueues for software vDPA devices");
MODULE_LICENSE("GPL");
