// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of vdpa_devring, the device side of virtqueues. The test
 * plays the driver: it lays out split and packed rings in a fake guest
 * memory whose translation splits at every 4 KiB boundary, rejects
 * addresses outside it and writes to a read-only window.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/unaligned.h>
#include <linux/vdpa.h>
#include <linux/vdpa_devring.h>
#include <linux/vhost_iotlb.h>
#include <linux/vmalloc.h>
#include <uapi/linux/virtio_config.h>
#include <uapi/linux/virtio_ring.h>

#define MEM_BASE 0x100000ULL		/* IOVA of the first byte */
#define MEM_SIZE (64 * 1024)
#define RO_START (MEM_BASE + 0x8000)	/* [RO_START, RO_END) is read-only */
#define RO_END (MEM_BASE + 0x9000)
#define CHUNK 4096			/* translation splits at this boundary */

/* Ring layout in the fake memory. */
#define DESC (MEM_BASE + 0x0)
#define DRIVER (MEM_BASE + 0x400)
#define DEVICE (MEM_BASE + 0x800)
#define INDIRECT (MEM_BASE + 0xc00)
#define BUF (MEM_BASE + 0x1000)

#define NUM 8

struct ring_test {
	u8 *mem;
	u8 *alt;		/* where BUF's page translates while remapped */
	bool remapped;
	unsigned int translations;	/* calls of the translate callback */
	/* called with every write translation (a driver racing the device) */
	void (*on_write)(struct ring_test *t, u64 iova);
	struct vdpa_devring ring;
	struct vdpa_devring_req *req;
	u64 features;
	/* driver side */
	u16 avail_idx;		/* split: next avail index; packed: next slot */
	bool wrap;		/* packed: driver's wrap counter */
};

static long fake_translate(void *ctx, u64 iova, u64 len, bool write, void **va)
{
	struct ring_test *t = ctx;
	u64 end;

	if (iova < MEM_BASE || iova >= MEM_BASE + MEM_SIZE)
		return -EFAULT;
	if (write && iova >= RO_START && iova < RO_END)
		return -EACCES;
	t->translations++;
	if (write && t->on_write)
		t->on_write(t, iova);
	end = min(round_down(iova, CHUNK) + CHUNK, MEM_BASE + MEM_SIZE);
	if (t->remapped && round_down(iova, CHUNK) == BUF)
		*va = t->alt + (iova - BUF);
	else
		*va = t->mem + (iova - MEM_BASE);
	return min(len, end - iova);
}

static const struct vdpa_devring_ops fake_ops = {
	.translate = fake_translate,
};

/* The same translation, which the ring may keep (flushed by the test). */
static const struct vdpa_devring_ops fake_cached_ops = {
	.translate = fake_translate,
	.cache = true,
};

static u8 *at(struct ring_test *t, u64 iova)
{
	return t->mem + (iova - MEM_BASE);
}

static int ring_test_init(struct kunit *test)
{
	struct ring_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->mem = kunit_kzalloc(test, MEM_SIZE, GFP_KERNEL);
	t->alt = kunit_kzalloc(test, CHUNK, GFP_KERNEL);
	t->req = kunit_kzalloc(test, sizeof(*t->req), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->mem);
	KUNIT_ASSERT_NOT_NULL(test, t->alt);
	KUNIT_ASSERT_NOT_NULL(test, t->req);
	t->wrap = true;
	test->priv = t;
	return 0;
}

static void setup_ops(struct kunit *test, u64 features, const struct vdpa_devring_ops *ops)
{
	struct ring_test *t = test->priv;

	t->features = features | BIT_ULL(VIRTIO_F_VERSION_1);
	KUNIT_ASSERT_EQ(test, vdpa_devring_init(&t->ring, ops, t, DESC, DRIVER,
						DEVICE, NUM, t->features), 0);
}

static void setup(struct kunit *test, u64 features)
{
	setup_ops(test, features, &fake_ops);
}

struct desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

/* ---- the driver's side of a split ring ---- */

static void split_write_desc(u8 *p, const struct desc *d)
{
	put_unaligned_le64(d->addr, p);
	put_unaligned_le32(d->len, p + 8);
	put_unaligned_le16(d->flags, p + 12);
	put_unaligned_le16(d->next, p + 14);
}

/* Put @n descriptors in the table at @first.., chain them, publish @head. */
static void split_add(struct ring_test *t, const struct desc *d, int n, u16 first)
{
	int i;

	for (i = 0; i < n; i++)
		split_write_desc(at(t, DESC + 16 * (first + i)), &d[i]);
	put_unaligned_le16(first, at(t, DRIVER + 4 + 2 * (t->avail_idx % NUM)));
	t->avail_idx++;
	put_unaligned_le16(t->avail_idx, at(t, DRIVER + 2));
}

static u16 split_used_idx(struct ring_test *t)
{
	return get_unaligned_le16(at(t, DEVICE + 2));
}

/* One readable buffer comes out as one segment with its bytes, and goes back used. */
static void devring_split_single(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d = { BUF, 5, 0, 0 };
	char buf[8] = {};

	setup(test, 0);
	memcpy(at(t, BUF), "hello", 5);
	split_add(t, &d, 1, 3);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, t->req->id, 3);
	KUNIT_EXPECT_EQ(test, t->req->nout, 1);
	KUNIT_EXPECT_EQ(test, t->req->nin, 0);
	KUNIT_EXPECT_EQ(test, vdpa_devring_read(t->req, 0, buf, sizeof(buf)), 5);
	KUNIT_EXPECT_STREQ(test, buf, "hello");

	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
	KUNIT_EXPECT_EQ(test, split_used_idx(t), 1);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(at(t, DEVICE + 4)), 3);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(at(t, DEVICE + 8)), 0);
}

/* A readable-then-writable chain across a translation boundary is split into segments. */
static void devring_split_chain(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d[] = {
		{ BUF, 100, VRING_DESC_F_NEXT, 1 },
		{ BUF + 0x2000 - 10, 6000, VRING_DESC_F_WRITE, 0 },
	};
	u8 pattern[64];

	setup(test, 0);
	memset(pattern, 0xa5, sizeof(pattern));
	split_add(t, d, 2, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, t->req->out_len, 100);
	KUNIT_EXPECT_EQ(test, t->req->in_len, 6000);
	/* 10 bytes to the boundary, 4096, then the rest. */
	KUNIT_EXPECT_EQ(test, t->req->nin, 3);
	KUNIT_EXPECT_EQ(test, t->req->in[0].iov_len, 10);
	/* A write across the boundary lands contiguously in guest memory. */
	KUNIT_EXPECT_EQ(test, vdpa_devring_write(t->req, 0, pattern, sizeof(pattern)), 64);
	KUNIT_EXPECT_NULL(test, memchr_inv(at(t, BUF + 0x2000 - 10), 0xa5, 64));
	/* Writing past the end is cut short. */
	KUNIT_EXPECT_EQ(test, vdpa_devring_write(t->req, 5990, pattern, 64), 10);
	KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 64), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(at(t, DEVICE + 8)), 64);
	/* The device cannot claim to have written more than the buffer holds. */
	KUNIT_EXPECT_EQ(test, vdpa_devring_push(&t->ring, t->req, 6001), -EINVAL);
}

/* An indirect descriptor's table is walked like a chain. */
static void devring_split_indirect(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc table[] = {
		{ BUF, 16, VRING_DESC_F_NEXT, 1 },
		{ BUF + 16, 32, VRING_DESC_F_WRITE, 0 },
	};
	struct desc d = { INDIRECT, ARRAY_SIZE(table) * 16,
			  VRING_DESC_F_INDIRECT, 0 };

	setup(test, BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	split_write_desc(at(t, INDIRECT), &table[0]);
	split_write_desc(at(t, INDIRECT + 16), &table[1]);
	split_add(t, &d, 1, 5);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, t->req->id, 5);
	KUNIT_EXPECT_EQ(test, t->req->out_len, 16);
	KUNIT_EXPECT_EQ(test, t->req->in_len, 32);
}

/* Fill the indirect table with @n readable entries of @len bytes at @addr, chained. */
static void split_fill_indirect(struct ring_test *t, int n, u64 addr, u32 len)
{
	struct desc e = { addr, len, 0, 0 };
	int i;

	for (i = 0; i < n; i++) {
		e.flags = i < n - 1 ? VRING_DESC_F_NEXT : 0;
		e.next = i + 1;
		split_write_desc(at(t, INDIRECT + 16 * i), &e);
	}
}

/* Chains of exactly the queue size are taken, an indirect table alone or after a descriptor. */
static void devring_split_indirect_full(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc alone = { INDIRECT, 16 * NUM, VRING_DESC_F_INDIRECT, 0 };
	struct desc after[] = {
		{ BUF, 1, VRING_DESC_F_NEXT, 3 },
		{ INDIRECT, 16 * (NUM - 1), VRING_DESC_F_INDIRECT, 0 },
	};

	setup(test, BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	split_fill_indirect(t, NUM, BUF, 1);
	split_add(t, &alone, 1, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, t->req->nout, NUM);
	KUNIT_EXPECT_EQ(test, t->req->out_len, NUM);

	split_fill_indirect(t, NUM - 1, BUF, 1);
	split_add(t, after, 2, 2);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, t->req->id, 2);
	KUNIT_EXPECT_EQ(test, t->req->nout, NUM);
	KUNIT_EXPECT_EQ(test, t->req->out_len, NUM);
}

struct bad_split_case {
	const char *desc;
	u64 features;
	int err;
	void (*make)(struct ring_test *t);
};

static void bad_loop(struct ring_test *t)
{
	struct desc d = { BUF, 8, VRING_DESC_F_NEXT, 0 };

	split_add(t, &d, 1, 0);
}

static void bad_next(struct ring_test *t)
{
	struct desc d = { BUF, 8, VRING_DESC_F_NEXT, NUM };

	split_add(t, &d, 1, 0);
}

static void bad_head(struct ring_test *t)
{
	put_unaligned_le16(NUM, at(t, DRIVER + 4));
	put_unaligned_le16(1, at(t, DRIVER + 2));
}

static void bad_avail_jump(struct ring_test *t)
{
	put_unaligned_le16(NUM + 1, at(t, DRIVER + 2));
}

static void bad_indirect_next(struct ring_test *t)
{
	struct desc d = { INDIRECT, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1 };

	split_add(t, &d, 1, 0);
}

static void bad_indirect_nested(struct ring_test *t)
{
	struct desc inner = { INDIRECT, 16, VRING_DESC_F_INDIRECT, 0 };
	struct desc d = { INDIRECT, 16, VRING_DESC_F_INDIRECT, 0 };

	split_write_desc(at(t, INDIRECT), &inner);
	split_add(t, &d, 1, 0);
}

static void bad_indirect_len(struct ring_test *t)
{
	struct desc d = { INDIRECT, 24, VRING_DESC_F_INDIRECT, 0 };

	split_add(t, &d, 1, 0);
}

/* A table of no descriptor at all is malformed, not an empty buffer. */
static void bad_indirect_empty(struct ring_test *t)
{
	struct desc d = { INDIRECT, 0, VRING_DESC_F_INDIRECT, 0 };

	split_add(t, &d, 1, 0);
}

/* One entry more than the queue, all empty, so no segment limit stops the walk. */
static void bad_indirect_too_long(struct ring_test *t)
{
	struct desc d = { INDIRECT, 16 * (NUM + 1), VRING_DESC_F_INDIRECT, 0 };

	split_fill_indirect(t, NUM + 1, BUF, 0);
	split_add(t, &d, 1, 0);
}

/* 2^28 entries claimed where nothing is mapped: refused by length alone, any read faults. */
static void bad_indirect_huge(struct ring_test *t)
{
	struct desc d = { MEM_BASE + MEM_SIZE, 0xfffffff0, VRING_DESC_F_INDIRECT, 0 };

	split_add(t, &d, 1, 0);
}

/* Two descriptors then a table of NUM - 1: each fits, together one past the queue. */
static void bad_chain_then_indirect(struct ring_test *t)
{
	struct desc d[] = {
		{ BUF, 1, VRING_DESC_F_NEXT, 1 },
		{ BUF, 1, VRING_DESC_F_NEXT, 2 },
		{ INDIRECT, 16 * (NUM - 1), VRING_DESC_F_INDIRECT, 0 },
	};

	split_fill_indirect(t, NUM - 1, BUF, 1);
	split_add(t, d, 3, 0);
}

static void bad_indirect_loop(struct ring_test *t)
{
	struct desc inner = { BUF, 8, VRING_DESC_F_NEXT, 0 };
	struct desc d = { INDIRECT, 16, VRING_DESC_F_INDIRECT, 0 };

	split_write_desc(at(t, INDIRECT), &inner);
	split_add(t, &d, 1, 0);
}

static void bad_order(struct ring_test *t)
{
	struct desc d[] = {
		{ BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1 },
		{ BUF + 8, 8, 0, 0 },
	};

	split_add(t, d, 2, 0);
}

static void bad_unmapped(struct ring_test *t)
{
	struct desc d = { MEM_BASE + MEM_SIZE - 4, 8, 0, 0 };

	split_add(t, &d, 1, 0);
}

static void bad_read_only(struct ring_test *t)
{
	struct desc d = { RO_START, 8, VRING_DESC_F_WRITE, 0 };

	split_add(t, &d, 1, 0);
}

static void bad_overflow(struct ring_test *t)
{
	struct desc d = { U64_MAX - 2, 8, 0, 0 };

	split_add(t, &d, 1, 0);
}

/* NUM entries of the whole memory, a segment per chunk each: more than a request holds. */
static void bad_too_many_segs(struct ring_test *t)
{
	struct desc d = { INDIRECT, 16 * NUM, VRING_DESC_F_INDIRECT, 0 };

	BUILD_BUG_ON(NUM * (MEM_SIZE / CHUNK) <= VDPA_DEVRING_MAX_SEGS);
	split_fill_indirect(t, NUM, MEM_BASE, MEM_SIZE);
	split_add(t, &d, 1, 0);
}

static void bad_unmapped_ring(struct ring_test *t)
{
	t->ring.desc = MEM_BASE + MEM_SIZE;
	bad_loop(t);
}

static const struct bad_split_case bad_split_cases[] = {
	{ "descriptor loop", 0, -ELOOP, bad_loop },
	{ "next out of range", 0, -EINVAL, bad_next },
	{ "head out of range", 0, -EINVAL, bad_head },
	{ "avail index moved past the ring size", 0, -EINVAL, bad_avail_jump },
	{ "indirect with next", BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC), -EINVAL, bad_indirect_next },
	{ "indirect inside indirect", BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC), -EINVAL,
	  bad_indirect_nested },
	{ "indirect length not whole descriptors", BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC), -EINVAL,
	  bad_indirect_len },
	{ "indirect table of no descriptor", BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC), -EINVAL,
	  bad_indirect_empty },
	{ "indirect table longer than the ring", BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC), -EINVAL,
	  bad_indirect_too_long },
	{ "indirect table of 4 GiB, unread", BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC), -EINVAL,
	  bad_indirect_huge },
	{ "descriptors and indirect table longer than the ring",
	  BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC), -EINVAL, bad_chain_then_indirect },
	{ "indirect not negotiated", 0, -EINVAL, bad_indirect_loop },
	{ "loop inside an indirect table", BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC), -ELOOP,
	  bad_indirect_loop },
	{ "readable after writable", 0, -EINVAL, bad_order },
	{ "buffer past the mapping", 0, -EFAULT, bad_unmapped },
	{ "device write to a read-only mapping", 0, -EACCES, bad_read_only },
	{ "address plus length overflows", 0, -EINVAL, bad_overflow },
	{ "more segments than a request holds", BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC), -E2BIG,
	  bad_too_many_segs },
	{ "descriptor table unmapped", 0, -EFAULT, bad_unmapped_ring },
};

KUNIT_ARRAY_PARAM_DESC(bad_split, bad_split_cases, desc);

/* Each malformed split ring is refused with its own error, never read out of bounds. */
static void devring_split_malformed(struct kunit *test)
{
	const struct bad_split_case *c = test->param_value;
	struct ring_test *t = test->priv;

	setup(test, c->features);
	c->make(t);
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), c->err);
}

/* With event index the driver is notified when the used index passes used_event only. */
static void devring_split_event_idx(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d = { BUF, 8, 0, 0 };
	int i;

	setup(test, BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	KUNIT_EXPECT_EQ(test, vdpa_devring_need_notify(&t->ring), 0);
	/* used_event = 1: notify when the used index goes from <= 1 to 2. */
	put_unaligned_le16(1, at(t, DRIVER + 4 + 2 * NUM));
	for (i = 0; i < 3; i++) {
		split_add(t, &d, 1, 0);
		KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
		KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
		KUNIT_EXPECT_EQ(test, vdpa_devring_need_notify(&t->ring), i == 1);
	}
	/* Several entries at once, crossing used_event: one notification. */
	put_unaligned_le16(4, at(t, DRIVER + 4 + 2 * NUM));
	for (i = 0; i < 3; i++) {
		split_add(t, &d, 1, 0);
		KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
		KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
	}
	KUNIT_EXPECT_EQ(test, vdpa_devring_need_notify(&t->ring), 1);
}

/* Without event index, VRING_AVAIL_F_NO_INTERRUPT suppresses notifications. */
static void devring_split_no_interrupt(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d = { BUF, 8, 0, 0 };

	setup(test, 0);
	put_unaligned_le16(VRING_AVAIL_F_NO_INTERRUPT, at(t, DRIVER));
	split_add(t, &d, 1, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
	KUNIT_EXPECT_EQ(test, vdpa_devring_need_notify(&t->ring), 0);
	put_unaligned_le16(0, at(t, DRIVER));
	split_add(t, &d, 1, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
	KUNIT_EXPECT_EQ(test, vdpa_devring_need_notify(&t->ring), 1);
}

#define AVAIL_EVENT (DEVICE + 4 + 8 * NUM)

/* A drained ring with event index publishes where the driver must kick. */
static void devring_split_rearm(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d = { BUF, 8, 0, 0 };

	setup(test, BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	put_unaligned_le16(0xffff, at(t, AVAIL_EVENT));
	split_add(t, &d, 1, 0);
	split_add(t, &d, 1, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	/* Not drained yet: nothing published. */
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, AVAIL_EVENT)), 0xffff);
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, AVAIL_EVENT)), 2);
	split_add(t, &d, 1, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, AVAIL_EVENT)), 3);
}

static void packed_add(struct ring_test *t, const struct desc *d, int n, u16 id);

/*
 * The driver adds a buffer (split: at descriptor 1; packed: id 9) just
 * before it can see the device ask for kicks.
 */
static void race_add(struct ring_test *t, u64 iova)
{
	struct desc d = { BUF, 8, 0, 0 };

	if (iova != (t->ring.packed ? DEVICE + 2 : AVAIL_EVENT))
		return;
	t->on_write = NULL;
	if (t->ring.packed)
		packed_add(t, &d, 1, 9);
	else
		split_add(t, &d, 1, 1);
}

/* A buffer that raced the published avail_event is found, not left without a kick. */
static void devring_split_rearm_race(struct kunit *test)
{
	struct ring_test *t = test->priv;

	setup(test, BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	t->on_write = race_add;
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, t->req->id, 1);
	KUNIT_EXPECT_PTR_EQ(test, t->on_write, NULL);
}

/*
 * Without event index the device never suppresses kicks, but it clears a
 * suppression flag left in its memory, once per start.
 */
static void devring_split_no_event_idx_rearm(struct kunit *test)
{
	struct ring_test *t = test->priv;

	setup(test, 0);
	put_unaligned_le16(0xffff, at(t, AVAIL_EVENT));
	put_unaligned_le16(VRING_USED_F_NO_NOTIFY, at(t, DEVICE));
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, DEVICE)), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, AVAIL_EVENT)), 0xffff);
	/* Once is enough: the device never sets it. */
	put_unaligned_le16(0x1234, at(t, DEVICE));
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, DEVICE)), 0x1234);
}

/* An unchanged avail_event is not written again, until a flush says memory changed. */
static void devring_split_rearm_after_flush(struct kunit *test)
{
	struct ring_test *t = test->priv;

	setup(test, BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, AVAIL_EVENT)), 0);
	put_unaligned_le16(0xffff, at(t, AVAIL_EVENT));
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, AVAIL_EVENT)), 0xffff);
	vdpa_devring_flush(&t->ring);
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, AVAIL_EVENT)), 0);
}

/* One buffer taken and given back, at descriptor @head. */
static void cycle(struct kunit *test, u16 head)
{
	struct ring_test *t = test->priv;
	struct desc d[] = {
		{ BUF, 8, VRING_DESC_F_NEXT, head + 1 },
		{ BUF + 8, 8, VRING_DESC_F_WRITE, 0 },
	};

	split_add(t, d, 2, head);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 8), 0);
}

/* A ring that may keep translations asks again only for addresses it has not seen. */
static void devring_tlb_hits(struct kunit *test)
{
	struct ring_test *t = test->priv;
	unsigned int first;

	setup_ops(test, 0, &fake_cached_ops);
	cycle(test, 2);
	first = t->translations;
	KUNIT_EXPECT_GT(test, first, 0);
	cycle(test, 2);
	cycle(test, 2);
	KUNIT_EXPECT_EQ(test, t->translations, first);

	/* Without the permission to keep them, every access asks. */
	setup(test, 0);
	t->avail_idx = 0;
	t->translations = 0;
	cycle(test, 2);
	first = t->translations;
	cycle(test, 2);
	KUNIT_EXPECT_EQ(test, t->translations, 2 * first);
}

/* After a flush the ring uses the owner's new translation, not the one it kept. */
static void devring_tlb_flush(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d = { BUF, 5, 0, 0 };
	char buf[8] = {};

	setup_ops(test, 0, &fake_cached_ops);
	memcpy(at(t, BUF), "hello", 5);
	memcpy(t->alt, "world", 5);
	split_add(t, &d, 1, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, vdpa_devring_read(t->req, 0, buf, 5), 5);
	KUNIT_EXPECT_STREQ(test, buf, "hello");

	t->remapped = true;
	vdpa_devring_flush(&t->ring);
	split_add(t, &d, 1, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, vdpa_devring_read(t->req, 0, buf, 5), 5);
	KUNIT_EXPECT_STREQ(test, buf, "world");
}

/* A translation kept for reading does not let the device write. */
static void devring_tlb_keeps_permission(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc rd = { RO_START, 8, 0, 0 }, wr = { RO_START, 8, VRING_DESC_F_WRITE, 0 };

	setup_ops(test, 0, &fake_cached_ops);
	split_add(t, &rd, 1, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	split_add(t, &wr, 1, 1);
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), -EACCES);
}

/* Kept translations still split where the owner's do. */
static void devring_tlb_boundaries(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d = { BUF + 0x2000 - 10, 6000, VRING_DESC_F_WRITE, 0 };
	int round;

	setup_ops(test, 0, &fake_cached_ops);
	for (round = 0; round < 2; round++) {
		split_add(t, &d, 1, 0);
		KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
		KUNIT_EXPECT_EQ(test, t->req->in_len, 6000);
		KUNIT_EXPECT_EQ(test, t->req->nin, 3);
		KUNIT_EXPECT_EQ(test, t->req->in[0].iov_len, 10);
		KUNIT_EXPECT_EQ(test, t->req->in[1].iov_len, CHUNK);
		KUNIT_EXPECT_PTR_EQ(test, t->req->in[1].iov_base, (void *)at(t, BUF + 0x2000));
	}
}

/* A table answers as the IOTLB it was built from: ranges, holes, permissions. */
static void devring_table_lookup(struct kunit *test)
{
	struct vhost_iotlb *iotlb = vhost_iotlb_alloc(UINT_MAX, 0);
	u8 *mem = kunit_kzalloc(test, 2 * PAGE_SIZE, GFP_KERNEL);
	struct vdpa_devring_table *t;
	u64 pa, iova;
	void *va;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, iotlb);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	pa = virt_to_phys(mem);
	/* 64 one-page ranges with a page of hole after each; RO, WO, RW in turn. */
	for (i = 0; i < 64; i++) {
		iova = 0x100000 + 2 * i * PAGE_SIZE;
		KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(iotlb, iova, iova + PAGE_SIZE - 1,
							    pa + (i % 2) * PAGE_SIZE,
							    (i % 3) + 1), 0);
	}
	t = vdpa_devring_table_build(iotlb);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_EXPECT_EQ(test, t->n, 64);
	for (i = 0; i < 64; i++) {
		iova = 0x100000 + 2 * i * PAGE_SIZE;
		/* Readable unless write-only; writable unless read-only. */
		KUNIT_EXPECT_EQ(test, vdpa_devring_table_translate(t, iova + 16, 8, false, &va),
				i % 3 == 1 ? -EACCES : 8);
		KUNIT_EXPECT_EQ(test, vdpa_devring_table_translate(t, iova + 16, 8, true, &va),
				i % 3 == 0 ? -EACCES : 8);
		if (i % 3 != 1)
			KUNIT_EXPECT_PTR_EQ(test, va, (void *)(mem + (i % 2) * PAGE_SIZE + 16));
		/* A request past the range's end is cut at it. */
		KUNIT_EXPECT_EQ(test, vdpa_devring_table_translate(t, iova + PAGE_SIZE - 4,
								   64, true, &va),
				i % 3 == 0 ? -EACCES : 4);
		/* The hole after it, and the byte before it. */
		KUNIT_EXPECT_EQ(test, vdpa_devring_table_translate(t, iova + PAGE_SIZE, 1, false,
								   &va), -EFAULT);
		KUNIT_EXPECT_EQ(test, vdpa_devring_table_translate(t, iova - 1, 1, true, &va),
				-EFAULT);
	}
	vdpa_devring_table_free(t);

	/*
	 * A VA-mode table holds user addresses: lookup gives them as they
	 * are (no RAM behind them), cut at the range's end, and refuses as
	 * translate does.
	 */
	vhost_iotlb_reset(iotlb);
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(iotlb, 0x10000, 0x1ffff, 0x7f0000001000ULL,
						    VHOST_MAP_RO), 0);
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(iotlb, 0x20000, U64_MAX, 0x7e0000000000ULL,
						    VHOST_MAP_RW), 0);
	t = vdpa_devring_table_build(iotlb);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_EXPECT_EQ(test, vdpa_devring_table_lookup(t, 0x10010, 0x20000, false, &pa), 0xfff0);
	KUNIT_EXPECT_EQ(test, pa, 0x7f0000001010ULL);
	KUNIT_EXPECT_EQ(test, vdpa_devring_table_lookup(t, 0x10010, 8, true, &pa), -EACCES);
	KUNIT_EXPECT_EQ(test, vdpa_devring_table_lookup(t, 0xffff, 1, false, &pa), -EFAULT);
	/* The last range runs to the top of the space: no overflow there. */
	KUNIT_EXPECT_EQ(test, vdpa_devring_table_lookup(t, U64_MAX - 3, 64, true, &pa), 4);
	KUNIT_EXPECT_EQ(test, pa, 0x7e0000000000ULL + (U64_MAX - 3 - 0x20000));
	vdpa_devring_table_free(t);

	/* An empty IOTLB gives an empty table that translates nothing. */
	vhost_iotlb_reset(iotlb);
	t = vdpa_devring_table_build(iotlb);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_EXPECT_EQ(test, t->n, 0);
	KUNIT_EXPECT_EQ(test, vdpa_devring_table_translate(t, 0x100000, 1, false, &va), -EFAULT);
	vdpa_devring_table_free(t);

	/* Overlapping ranges have no one answer: refused. */
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(iotlb, 0x1000, 0x2fff, pa, VHOST_MAP_RW), 0);
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(iotlb, 0x2000, 0x2fff, pa, VHOST_MAP_RW), 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vdpa_devring_table_build(iotlb)), -EINVAL);
	vhost_iotlb_free(iotlb);
}

/* A split ring stopped and restored resumes at the same index. */
static void devring_split_state(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct vdpa_vq_state s = { .split.avail_index = 0xfffe };
	struct desc d = { BUF, 8, 0, 0 };

	setup(test, 0);
	vdpa_devring_set_state(&t->ring, &s);
	t->avail_idx = 0xfffe;
	split_add(t, &d, 1, 0);
	split_add(t, &d, 1, 0);
	/* The free-running indexes wrap at 2^16, the ring position at NUM. */
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
	KUNIT_EXPECT_EQ(test, split_used_idx(t), 0);
	vdpa_devring_get_state(&t->ring, &s);
	KUNIT_EXPECT_EQ(test, s.split.avail_index, 0);
}

/* ---- the driver's side of a packed ring ---- */

static u16 packed_flags(bool wrap)
{
	return wrap ? BIT(VRING_PACKED_DESC_F_AVAIL) : BIT(VRING_PACKED_DESC_F_USED);
}

/* Publish a chain of @n descriptors with buffer id @id; the head's flags last. */
static void packed_add(struct ring_test *t, const struct desc *d, int n, u16 id)
{
	u16 head = t->avail_idx, head_flags = 0;
	int i;

	for (i = 0; i < n; i++) {
		u8 *p = at(t, DESC + 16 * t->avail_idx);
		u16 flags = d[i].flags | packed_flags(t->wrap);

		put_unaligned_le64(d[i].addr, p);
		put_unaligned_le32(d[i].len, p + 8);
		put_unaligned_le16(id, p + 12);
		if (i)
			put_unaligned_le16(flags, p + 14);
		else
			head_flags = flags;
		if (++t->avail_idx == NUM) {
			t->avail_idx = 0;
			t->wrap = !t->wrap;
		}
	}
	put_unaligned_le16(head_flags, at(t, DESC + 16 * head + 14));
}

/* Buffers go round a packed ring several times; used slots carry id and flip flags. */
static void devring_packed_wrap(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d = { BUF, 8, VRING_DESC_F_WRITE, 0 };
	bool used_wrap = true;
	u16 slot = 0, flags;
	int i;

	setup(test, BIT_ULL(VIRTIO_F_RING_PACKED));
	for (i = 0; i < 3 * NUM + 1; i++) {
		packed_add(t, &d, 1, 100 + i);
		KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
		KUNIT_EXPECT_EQ(test, t->req->id, 100 + i);
		KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 0);
		t->req->id = 100 + i;
		t->req->ndesc = 1;
		t->req->in_len = 8;
		KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 4), 0);
		flags = get_unaligned_le16(at(t, DESC + 16 * slot + 14));
		KUNIT_EXPECT_EQ(test, !!(flags & BIT(VRING_PACKED_DESC_F_USED)), used_wrap);
		KUNIT_EXPECT_EQ(test, !!(flags & BIT(VRING_PACKED_DESC_F_AVAIL)), used_wrap);
		KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, DESC + 16 * slot + 12)), 100 + i);
		KUNIT_EXPECT_EQ(test, get_unaligned_le32(at(t, DESC + 16 * slot + 8)), 4);
		if (++slot == NUM) {
			slot = 0;
			used_wrap = !used_wrap;
		}
	}
}

/* A packed chain takes the id of its last descriptor and skips all its slots when used. */
static void devring_packed_chain(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d[] = {
		{ BUF, 10, VRING_DESC_F_NEXT, 0 },
		{ BUF + 10, 20, VRING_DESC_F_NEXT, 0 },
		{ BUF + 30, 30, VRING_DESC_F_WRITE, 0 },
	};
	struct vdpa_vq_state s;

	setup(test, BIT_ULL(VIRTIO_F_RING_PACKED));
	packed_add(t, d, 3, 7);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, t->req->id, 7);
	KUNIT_EXPECT_EQ(test, t->req->ndesc, 3);
	KUNIT_EXPECT_EQ(test, t->req->out_len, 30);
	KUNIT_EXPECT_EQ(test, t->req->in_len, 30);
	KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 30), 0);
	vdpa_devring_get_state(&t->ring, &s);
	KUNIT_EXPECT_EQ(test, (u16)s.packed.last_avail_idx, 3);
	KUNIT_EXPECT_EQ(test, (u16)s.packed.last_used_idx, 3);
	KUNIT_EXPECT_EQ(test, (u16)s.packed.last_used_counter, 1);
}

/* A packed indirect table is read entry by entry. */
static void devring_packed_indirect(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d = { INDIRECT, 32, VRING_DESC_F_INDIRECT, 0 };

	setup(test, BIT_ULL(VIRTIO_F_RING_PACKED) | BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	put_unaligned_le64(BUF, at(t, INDIRECT));
	put_unaligned_le32(12, at(t, INDIRECT + 8));
	put_unaligned_le64(BUF + 12, at(t, INDIRECT + 16));
	put_unaligned_le32(40, at(t, INDIRECT + 24));
	put_unaligned_le16(VRING_DESC_F_WRITE, at(t, INDIRECT + 16 + 14));
	packed_add(t, &d, 1, 9);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, t->req->id, 9);
	KUNIT_EXPECT_EQ(test, t->req->out_len, 12);
	KUNIT_EXPECT_EQ(test, t->req->in_len, 40);
}

struct packed_indirect_case {
	const char *desc;
	u64 addr;
	u32 len;
	int ret;
};

static const struct packed_indirect_case packed_indirect_cases[] = {
	{ "a table of the queue size is taken", INDIRECT, 16 * NUM, 1 },
	{ "one entry more is refused", INDIRECT, 16 * (NUM + 1), -EINVAL },
	/* Nothing is mapped there: a read would fault rather than be refused. */
	{ "4 GiB is refused unread", MEM_BASE + MEM_SIZE, 0xfffffff0, -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(packed_indirect, packed_indirect_cases, desc);

/* A packed indirect table, read in full, may fill the queue size and no more. */
static void devring_packed_indirect_bound(struct kunit *test)
{
	const struct packed_indirect_case *c = test->param_value;
	struct ring_test *t = test->priv;
	struct desc d = { c->addr, c->len, VRING_DESC_F_INDIRECT, 0 };
	int i;

	setup(test, BIT_ULL(VIRTIO_F_RING_PACKED) | BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	/* One readable byte per entry, so a walk of them all is seen in the request. */
	for (i = 0; i <= NUM; i++) {
		put_unaligned_le64(BUF + i, at(t, INDIRECT + 16 * i));
		put_unaligned_le32(1, at(t, INDIRECT + 16 * i + 8));
	}
	packed_add(t, &d, 1, 4);
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), c->ret);
	if (c->ret == 1) {
		KUNIT_EXPECT_EQ(test, t->req->id, 4);
		KUNIT_EXPECT_EQ(test, t->req->nout, NUM);
		KUNIT_EXPECT_EQ(test, t->req->out_len, NUM);
	}
}

/* Malformed packed rings: endless chains, indirect with next, a chain not fully published. */
static void devring_packed_malformed(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc loop[NUM + 1];
	struct desc ind = { INDIRECT, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 0 };
	struct desc two[] = {
		{ BUF, 8, VRING_DESC_F_NEXT, 0 },
		{ BUF, 8, 0, 0 },
	};
	int i;

	setup(test, BIT_ULL(VIRTIO_F_RING_PACKED));
	for (i = 0; i < NUM; i++)
		loop[i] = (struct desc){ BUF, 8, VRING_DESC_F_NEXT, 0 };
	packed_add(t, loop, NUM, 1);
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), -ELOOP);

	memset(t->mem, 0, MEM_SIZE);
	t->avail_idx = 0;
	t->wrap = true;
	setup(test, BIT_ULL(VIRTIO_F_RING_PACKED) | BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	packed_add(t, &ind, 1, 1);
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), -EINVAL);

	memset(t->mem, 0, MEM_SIZE);
	t->avail_idx = 0;
	t->wrap = true;
	setup(test, BIT_ULL(VIRTIO_F_RING_PACKED));
	packed_add(t, two, 2, 1);
	/* The driver published the head but the second slot still looks used. */
	put_unaligned_le16(VRING_DESC_F_NEXT | packed_flags(false), at(t, DESC + 16 + 14));
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), -EINVAL);
}

/* The driver event suppression structure decides packed notifications. */
static void devring_packed_notify(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d = { BUF, 8, 0, 0 };
	int i;

	setup(test, BIT_ULL(VIRTIO_F_RING_PACKED) | BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	put_unaligned_le16(VRING_PACKED_EVENT_FLAG_DISABLE, at(t, DRIVER + 2));
	packed_add(t, &d, 1, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
	KUNIT_EXPECT_EQ(test, vdpa_devring_need_notify(&t->ring), 0);

	put_unaligned_le16(VRING_PACKED_EVENT_FLAG_ENABLE, at(t, DRIVER + 2));
	packed_add(t, &d, 1, 0);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
	KUNIT_EXPECT_EQ(test, vdpa_devring_need_notify(&t->ring), 1);

	/* Event at slot 4 of this lap: the push that uses slot 4 notifies. */
	put_unaligned_le16(VRING_PACKED_EVENT_FLAG_DESC, at(t, DRIVER + 2));
	put_unaligned_le16(4 | BIT(VRING_PACKED_EVENT_F_WRAP_CTR), at(t, DRIVER));
	for (i = 2; i < 6; i++) {
		packed_add(t, &d, 1, 0);
		KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
		KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
		KUNIT_EXPECT_EQ(test, vdpa_devring_need_notify(&t->ring), i == 4);
	}
	/* Event in the next lap (wrap counter 0) at slot 1. */
	put_unaligned_le16(1, at(t, DRIVER));
	for (i = 6; i < 10; i++) {
		packed_add(t, &d, 1, 0);
		KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
		KUNIT_ASSERT_EQ(test, vdpa_devring_push(&t->ring, t->req, 0), 0);
		KUNIT_EXPECT_EQ(test, vdpa_devring_need_notify(&t->ring), i == 9);
	}
}

/* A drained packed ring re-enables kicks a previous backend disabled, and sees a racing buffer. */
static void devring_packed_rearm(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct desc d = { BUF, 8, 0, 0 };

	setup(test, BIT_ULL(VIRTIO_F_RING_PACKED));
	put_unaligned_le16(VRING_PACKED_EVENT_FLAG_DISABLE, at(t, DEVICE + 2));
	KUNIT_EXPECT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le16(at(t, DEVICE + 2)),
			VRING_PACKED_EVENT_FLAG_ENABLE);
	packed_add(t, &d, 1, 7);
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, t->req->id, 7);

	/* After a flush the flag is written again; a buffer racing it is found. */
	vdpa_devring_flush(&t->ring);
	t->on_write = race_add;
	KUNIT_ASSERT_EQ(test, vdpa_devring_pop(&t->ring, t->req), 1);
	KUNIT_EXPECT_EQ(test, t->req->id, 9);
	KUNIT_EXPECT_PTR_EQ(test, t->on_write, NULL);
}

/* Sizes and alignments the formats forbid are refused at setup. */
static void devring_init_rejects(struct kunit *test)
{
	struct ring_test *t = test->priv;
	struct vdpa_devring *r = &t->ring;

	KUNIT_EXPECT_EQ(test, vdpa_devring_init(r, &fake_ops, t, DESC, DRIVER, DEVICE, 0, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vdpa_devring_init(r, &fake_ops, t, DESC, DRIVER, DEVICE, 6, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vdpa_devring_init(r, &fake_ops, t, DESC, DRIVER, DEVICE, 65536, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vdpa_devring_init(r, &fake_ops, t, DESC + 8, DRIVER, DEVICE, 8, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vdpa_devring_init(r, &fake_ops, t, DESC, DRIVER + 1, DEVICE, 8, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vdpa_devring_init(r, &fake_ops, t, DESC, DRIVER, DEVICE + 2, 8, 0),
			-EINVAL);
	/* Packed rings need not be a power of two. */
	KUNIT_EXPECT_EQ(test, vdpa_devring_init(r, &fake_ops, t, DESC, DRIVER, DEVICE, 6,
						BIT_ULL(VIRTIO_F_RING_PACKED)), 0);
}

/* ---- doorbells ---- */

struct bells_test {
	struct vdpa_devring_bells bells;
	struct completion rang;
	unsigned long which;	/* bit per virtqueue whose doorbell rang */
};

static void bells_rang(void *ctx, u16 idx)
{
	struct bells_test *t = ctx;

	set_bit(idx, &t->which);
	complete(&t->rang);
}

static int bells_test_init(struct kunit *test)
{
	struct bells_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	init_completion(&t->rang);
	KUNIT_ASSERT_EQ(test, vdpa_devring_bells_init(&t->bells, 3, 100, bells_rang, t), 0);
	test->priv = t;
	return 0;
}

static void bells_test_exit(struct kunit *test)
{
	struct bells_test *t = test->priv;

	vdpa_devring_bells_destroy(&t->bells);
}

/* The doorbell word of an area, as the driver's mapping reaches it. */
static u32 *bell_word(struct vdpa_notification_area area)
{
	return phys_to_virt(area.addr);
}

/* An area is a whole page; a store into its first word kicks its queue only. */
static void bells_ring_one(struct kunit *test)
{
	struct bells_test *t = test->priv;
	struct vdpa_notification_area a1, again;

	KUNIT_EXPECT_EQ(test, vdpa_devring_bells_area(&t->bells, 3).size, 0);
	a1 = vdpa_devring_bells_area(&t->bells, 1);
	KUNIT_ASSERT_EQ(test, a1.size, PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(a1.addr));
	again = vdpa_devring_bells_area(&t->bells, 1);
	KUNIT_EXPECT_EQ(test, again.addr, a1.addr);
	KUNIT_EXPECT_EQ(test, *bell_word(a1), VDPA_DEVRING_BELL_IDLE);

	vdpa_devring_bells_start(&t->bells);
	WRITE_ONCE(*bell_word(a1), 1);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&t->rang, 5 * HZ), 0);
	vdpa_devring_bells_stop(&t->bells);
	KUNIT_EXPECT_EQ(test, t->which, BIT(1));
	KUNIT_EXPECT_EQ(test, READ_ONCE(*bell_word(a1)), VDPA_DEVRING_BELL_IDLE);
}

/* Stopped, the device does not look; a ring meanwhile is seen once it starts. */
static void bells_ring_while_stopped(struct kunit *test)
{
	struct bells_test *t = test->priv;
	struct vdpa_notification_area a0 = vdpa_devring_bells_area(&t->bells, 0);

	KUNIT_ASSERT_EQ(test, a0.size, PAGE_SIZE);
	vdpa_devring_bells_start(&t->bells);
	vdpa_devring_bells_stop(&t->bells);
	WRITE_ONCE(*bell_word(a0), 0);
	msleep(20);
	KUNIT_EXPECT_EQ(test, t->which, 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(*bell_word(a0)), 0);

	vdpa_devring_bells_start(&t->bells);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&t->rang, 5 * HZ), 0);
	vdpa_devring_bells_stop(&t->bells);
	KUNIT_EXPECT_EQ(test, t->which, BIT(0));
}

static struct kunit_case vdpa_devring_bells_cases[] = {
	KUNIT_CASE(bells_ring_one),
	KUNIT_CASE(bells_ring_while_stopped),
	{}
};

static struct kunit_suite vdpa_devring_bells_suite = {
	.name = "vdpa_devring_bells",
	.init = bells_test_init,
	.exit = bells_test_exit,
	.test_cases = vdpa_devring_bells_cases,
};

static struct kunit_case vdpa_devring_cases[] = {
	KUNIT_CASE(devring_split_single),
	KUNIT_CASE(devring_split_chain),
	KUNIT_CASE(devring_split_indirect),
	KUNIT_CASE(devring_split_indirect_full),
	KUNIT_CASE_PARAM(devring_split_malformed, bad_split_gen_params),
	KUNIT_CASE(devring_split_event_idx),
	KUNIT_CASE(devring_split_no_interrupt),
	KUNIT_CASE(devring_split_rearm),
	KUNIT_CASE(devring_split_rearm_race),
	KUNIT_CASE(devring_split_no_event_idx_rearm),
	KUNIT_CASE(devring_split_rearm_after_flush),
	KUNIT_CASE(devring_tlb_hits),
	KUNIT_CASE(devring_tlb_flush),
	KUNIT_CASE(devring_tlb_keeps_permission),
	KUNIT_CASE(devring_tlb_boundaries),
	KUNIT_CASE(devring_table_lookup),
	KUNIT_CASE(devring_split_state),
	KUNIT_CASE(devring_packed_wrap),
	KUNIT_CASE(devring_packed_chain),
	KUNIT_CASE(devring_packed_indirect),
	KUNIT_CASE_PARAM(devring_packed_indirect_bound, packed_indirect_gen_params),
	KUNIT_CASE(devring_packed_malformed),
	KUNIT_CASE(devring_packed_notify),
	KUNIT_CASE(devring_packed_rearm),
	KUNIT_CASE(devring_init_rejects),
	{}
};

static struct kunit_suite vdpa_devring_suite = {
	.name = "vdpa_devring",
	.init = ring_test_init,
	.test_cases = vdpa_devring_cases,
};

kunit_test_suites(&vdpa_devring_suite, &vdpa_devring_bells_suite);

MODULE_DESCRIPTION("KUnit tests for the device side of virtqueues");
MODULE_LICENSE("GPL");
