// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of vhost_vdpa's dirty-log bitmap writer,
 * vhost_vdpa_bitmap_fill(): a fake parent marks pages through the sink,
 * and the bitmap, real user memory of an mm attached to the test thread,
 * is read back and compared word by word with bits the test sets itself
 * from each case's table, bytes before the bitmap and a page after it
 * included.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "../vhost_vdpa.h"

/* User memory of the largest case (bm_huge_tracking_page): 1026 pages. */
#define BM_BUF_PAGES 1040
#define BM_MAX_MARKS 20
#define BM_MAX_WIN 8
#define BM_OUTSIDE 4

/*
 * A page the fake parent marks, and the bits the test expects it to set
 * (counted from the report's bit 0), written out by hand in the tables.
 */
struct bm_mark {
	u64 iova;
	u64 len;
	u64 first;
	u64 last;
};

#define BM_MARK(_iova, _len, _first, _last) \
	{ .iova = (_iova), .len = (_len), .first = (_first), .last = (_last) }

/* A report: bitmap at @off in the user buffer, every byte around it @fill. */
struct bm_case {
	const char *desc;
	unsigned long off;
	u64 iova;
	u64 page;
	u64 track;
	u64 nbits;
	u8 fill;
	struct bm_mark marks[BM_MAX_MARKS];	/* up to the first with len 0 */
};

struct bm_test {
	unsigned long ubuf;		/* BM_BUF_PAGES of user memory */
	/* the fake parent */
	spinlock_t lock;		/* held around mark(), as a parent may */
	const struct bm_mark *marks;
	unsigned int nmarks;
	unsigned int delivered;		/* marks that returned 0 */
	unsigned int fail_window;	/* 1-based window whose report fails; 0: none */
	int fail_err;
	bool outside;			/* also mark outside each window */
	int outside_ret[BM_OUTSIDE];
	/* windows the parent was asked for */
	unsigned int nwin;
	u64 win_iova[BM_MAX_WIN];
	u64 win_len[BM_MAX_WIN];
	/* the user memory a case checks: from the buffer's start to a page past the bitmap */
	unsigned long off;
	size_t region;
	u8 *want;
	u8 *got;
};

KUNIT_DEFINE_ACTION_WRAPPER(bm_kvfree, kvfree, const void *);

/*
 * The fake parent's dirty_report: marks each page of the case that lies
 * in the window, and records the window.
 */
static int fake_report(void *arg, u64 iova, u64 len, struct vdpa_dirty_sink *sink)
{
	struct bm_test *t = arg;
	u64 last = iova + (len - 1);
	unsigned int i;
	int ret = 0;

	if (t->nwin < BM_MAX_WIN) {
		t->win_iova[t->nwin] = iova;
		t->win_len[t->nwin] = len;
	}
	t->nwin++;

	/* A spinlock: mark() must neither sleep nor fault. */
	spin_lock(&t->lock);
	for (i = 0; i < t->nmarks && !ret; i++) {
		const struct bm_mark *m = &t->marks[i];

		if (m->iova < iova || m->iova + (m->len - 1) > last)
			continue;
		ret = sink->mark(sink, m->iova, m->len);
		if (!ret)
			t->delivered++;
	}
	if (t->outside) {
		/* Before, after, across the end, empty; the errors are dropped. */
		t->outside_ret[0] = sink->mark(sink, iova - SZ_4K, SZ_4K);
		t->outside_ret[1] = sink->mark(sink, last + 1, SZ_4K);
		t->outside_ret[2] = sink->mark(sink, last + 1 - SZ_4K, SZ_8K);
		t->outside_ret[3] = sink->mark(sink, iova, 0);
	}
	spin_unlock(&t->lock);

	if (!ret && t->nwin == t->fail_window)
		ret = t->fail_err;
	return ret;
}

static int bm_init(struct kunit *test)
{
	struct bm_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	spin_lock_init(&t->lock);
	/* This attaches an mm to the test thread: the code pins from current->mm. */
	t->ubuf = kunit_vm_mmap(test, NULL, 0, BM_BUF_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
				MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, t->ubuf, 0, "no user memory");
	KUNIT_ASSERT_LT_MSG(test, t->ubuf, (unsigned long)TASK_SIZE, "no user memory");
	test->priv = t;
	return 0;
}

static u8 *bm_kvmalloc(struct kunit *test, size_t size)
{
	u8 *p = kvmalloc(size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bm_kvfree, p), 0);
	return p;
}

/* Fill the user memory up to a page past a bitmap at @off with @fill. */
static void bm_prepare(struct kunit *test, unsigned long off, u64 nbits, u8 fill)
{
	struct bm_test *t = test->priv;

	t->off = off;
	t->region = round_up(off + DIV_ROUND_UP(nbits, 64) * sizeof(u64), PAGE_SIZE) + PAGE_SIZE;
	KUNIT_ASSERT_LE(test, t->region, BM_BUF_PAGES * PAGE_SIZE);
	t->want = bm_kvmalloc(test, t->region);
	t->got = bm_kvmalloc(test, t->region);
	memset(t->want, fill, t->region);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)t->ubuf, t->want, t->region), 0);
}

/* The test's own model: bits @first to @last of the bitmap are set. */
static void bm_want(struct bm_test *t, u64 first, u64 last)
{
	u64 *words = (u64 *)(t->want + t->off);
	u64 b;

	for (b = first; b <= last; b++)
		words[b / 64] |= 1ULL << (b % 64);
}

static int bm_run(struct kunit *test, u64 iova, u64 nbits, u64 page, u64 track, bool *touched)
{
	struct bm_test *t = test->priv;

	return vhost_vdpa_bitmap_fill((u64 __user *)(t->ubuf + t->off), iova, nbits * page, page,
				      track, fake_report, t, touched);
}

/* The user memory is the model, word for word. */
static void bm_check(struct kunit *test)
{
	struct bm_test *t = test->priv;
	const u64 *got = (const u64 *)t->got, *want = (const u64 *)t->want;
	size_t i, bad = 0, first = 0;

	KUNIT_ASSERT_EQ(test, copy_from_user(t->got, (void __user *)t->ubuf, t->region), 0);
	for (i = 0; i < t->region / sizeof(u64); i++) {
		if (got[i] != want[i] && !bad++)
			first = i;
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0,
			    "%zu words differ, first at byte %zu (bitmap at %lu): %#llx, want %#llx",
			    bad, first * sizeof(u64), t->off, got[first], want[first]);
}

/*
 * The windows the parent was asked for tile [@iova, @iova + @len) in
 * order, each aligned to both page sizes (the end may wrap to 0).
 */
static void bm_check_windows(struct kunit *test, u64 iova, u64 len, u64 page, u64 track)
{
	struct bm_test *t = test->priv;
	u64 mask = max(page, track) - 1, next = iova;
	unsigned int i;

	KUNIT_ASSERT_GE(test, t->nwin, 1);
	KUNIT_ASSERT_LE(test, t->nwin, BM_MAX_WIN);
	for (i = 0; i < t->nwin; i++) {
		KUNIT_EXPECT_EQ_MSG(test, t->win_iova[i], next, "window %u", i);
		KUNIT_EXPECT_NE_MSG(test, t->win_len[i], 0, "window %u", i);
		KUNIT_EXPECT_EQ_MSG(test, t->win_iova[i] & mask, 0, "window %u", i);
		KUNIT_EXPECT_EQ_MSG(test, t->win_len[i] & mask, 0, "window %u", i);
		next = t->win_iova[i] + t->win_len[i];
	}
	KUNIT_EXPECT_EQ(test, next, iova + len);
}

#define BM_2_40 BIT_ULL(40)
#define BM_2_31 BIT_ULL(31)
#define BM_2_32 BIT_ULL(32)
/* 128 pages of 4 GiB ending at 2^64. */
#define BM_TOP (0ULL - 128 * BM_2_32)
/* One 4 KiB mark in the 64 KiB report page 5 of case "coalesce". */
#define BM_C5(i) BM_MARK(SZ_1G + 5 * SZ_64K + (i) * SZ_4K, SZ_4K, 5, 5)

static const struct bm_case bm_cases[] = {
	{
		/* 4 KiB pages: the bitmap's page boundary is bit 32704 */
		.desc = "bitmap at offset 8, bits across a page boundary",
		.off = 8, .iova = SZ_1G, .page = SZ_4K, .track = SZ_4K, .nbits = 33024,
		.marks = {
			BM_MARK(SZ_1G, SZ_4K, 0, 0),
			BM_MARK(SZ_1G + 32650ULL * SZ_4K, 151 * SZ_4K, 32650, 32800),
			BM_MARK(SZ_1G + 33023ULL * SZ_4K, SZ_4K, 33023, 33023),
		},
	}, {
		/* the page boundary is bit 64 */
		.desc = "bitmap at PAGE_SIZE - 8, bits across a page boundary",
		.off = PAGE_SIZE - 8, .iova = 0, .page = SZ_4K, .track = SZ_4K, .nbits = 256,
		.marks = {
			BM_MARK(0, SZ_4K, 0, 0),
			BM_MARK(60 * SZ_4K, 11 * SZ_4K, 60, 70),
			BM_MARK(255 * SZ_4K, SZ_4K, 255, 255),
		},
	}, {
		/* a page of bits, then 100: bits 100-127 of the last word are not ours */
		.desc = "last page partial, last word partial",
		.off = 0, .iova = SZ_2M, .page = SZ_4K, .track = SZ_4K,
		.nbits = PAGE_SIZE * 8 + 100, .fill = 0xa5,
		.marks = {
			BM_MARK(SZ_2M, SZ_4K, 0, 0),
			BM_MARK(SZ_2M + (PAGE_SIZE * 8 + 64) * SZ_4K, 36 * SZ_4K,
				PAGE_SIZE * 8 + 64, PAGE_SIZE * 8 + 99),
		},
	}, {
		/* tracking page 63's bits, 32256-32767, straddle the bitmap's page boundary */
		.desc = "tracking page 2 MiB over report page 4 KiB",
		.off = 8, .iova = BM_2_40, .page = SZ_4K, .track = SZ_2M, .nbits = 65536,
		.marks = {
			BM_MARK(BM_2_40, SZ_2M, 0, 511),
			BM_MARK(BM_2_40 + 63ULL * SZ_2M, SZ_2M, 32256, 32767),
			BM_MARK(BM_2_40 + 100ULL * SZ_2M, 2ULL * SZ_2M, 51200, 52223),
			BM_MARK(BM_2_40 + 127ULL * SZ_2M, SZ_2M, 65024, 65535),
		},
	}, {
		.desc = "tracking page 4 KiB under report page 64 KiB",
		.off = 0, .iova = SZ_1G, .page = SZ_64K, .track = SZ_4K, .nbits = 128,
		.marks = {
			BM_C5(0), BM_C5(1), BM_C5(2), BM_C5(3),
			BM_C5(4), BM_C5(5), BM_C5(6), BM_C5(7),
			BM_C5(8), BM_C5(9), BM_C5(10), BM_C5(11),
			BM_C5(12), BM_C5(13), BM_C5(14), BM_C5(15),
			BM_MARK(SZ_1G + 10 * SZ_64K - SZ_4K, 3 * SZ_4K, 9, 10),
			BM_MARK(SZ_1G + 128 * SZ_64K - SZ_4K, SZ_4K, 127, 127),
		},
	}, {
		.desc = "report page 2^31 at iova 2^40",
		.off = 0, .iova = BM_2_40, .page = BM_2_31, .track = SZ_4K, .nbits = 100,
		.marks = {
			BM_MARK(BM_2_40, SZ_4K, 0, 0),
			BM_MARK(BM_2_40 + 33 * BM_2_31 + 5 * SZ_4K, SZ_4K, 33, 33),
			BM_MARK(BM_2_40 + 100 * BM_2_31 - SZ_4K, SZ_4K, 99, 99),
		},
	}, {
		.desc = "report page 2^32 at iova 2^40, tracking page 2 MiB",
		.off = 0, .iova = BM_2_40, .page = BM_2_32, .track = SZ_2M, .nbits = 100,
		.marks = {
			BM_MARK(BM_2_40 + 70 * BM_2_32, SZ_2M, 70, 70),
			BM_MARK(BM_2_40 + 32 * BM_2_32 - SZ_2M, SZ_4M, 31, 32),
			BM_MARK(BM_2_40 + 100 * BM_2_32 - SZ_2M, SZ_2M, 99, 99),
		},
	}, {
		.desc = "report page 2^32, range ending at 2^64",
		.off = 0, .iova = BM_TOP, .page = BM_2_32, .track = SZ_4K, .nbits = 128,
		.marks = {
			BM_MARK(BM_TOP, SZ_4K, 0, 0),
			BM_MARK(BM_TOP + 64 * BM_2_32 - SZ_4K, SZ_8K, 63, 64),
			BM_MARK(U64_MAX - SZ_4K + 1, SZ_4K, 127, 127),
		},
	}, {
		/* 0x5a: bit 0 clear, others of the word set */
		.desc = "one report page of 2^63",
		.off = 0, .iova = BIT_ULL(63), .page = BIT_ULL(63), .track = SZ_4K, .nbits = 1,
		.fill = 0x5a,
		.marks = {
			BM_MARK(U64_MAX - SZ_4K + 1, SZ_4K, 0, 0),
		},
	}, {
		/* 0x5a: bit 100 is set already; bits 193-255 are past the end */
		.desc = "set bits stay set, bits past the end untouched",
		.off = 24, .iova = 0, .page = SZ_4K, .track = SZ_4K, .nbits = 193, .fill = 0x5a,
		.marks = {
			BM_MARK(0, SZ_4K, 0, 0),
			BM_MARK(64 * SZ_4K, 64 * SZ_4K, 64, 127),
			BM_MARK(100 * SZ_4K, SZ_4K, 100, 100),
			BM_MARK(192 * SZ_4K, SZ_4K, 192, 192),
		},
	},
};

KUNIT_ARRAY_PARAM_DESC(bm_cases, bm_cases, desc);

/* One window: exactly the bits of the marked pages, nothing around them. */
static void bm_geometry(struct kunit *test)
{
	const struct bm_case *c = test->param_value;
	struct bm_test *t = test->priv;
	bool touched = false;
	unsigned int n;

	bm_prepare(test, c->off, c->nbits, c->fill);
	for (n = 0; n < BM_MAX_MARKS && c->marks[n].len; n++)
		bm_want(t, c->marks[n].first, c->marks[n].last);
	t->marks = c->marks;
	t->nmarks = n;

	KUNIT_EXPECT_EQ(test, bm_run(test, c->iova, c->nbits, c->page, c->track, &touched), 0);
	KUNIT_EXPECT_TRUE(test, touched);
	KUNIT_EXPECT_EQ(test, t->delivered, n);
	bm_check_windows(test, c->iova, c->nbits * c->page, c->page, c->track);
	bm_check(test);
}

/*
 * 515 pages of bits at offset 8, tracking page 2 MiB (512 bits): two
 * windows, the first as large as 512 pinned pages allow. Marks in the
 * first window, on both sides of the seam (which lies in page 511, pinned
 * by both windows) and at the very end; with @fail_window, that window's
 * report fails after marking.
 */
static void bm_seam(struct kunit *test, unsigned int fail_window)
{
	const u64 iova = BM_2_40, nbits = (VHOST_VDPA_BITMAP_WINDOW_PAGES + 3) * PAGE_SIZE * 8;
	/* The bits 512 pages hold after the offset, in whole tracking pages. */
	const u64 w1 = round_down((VHOST_VDPA_BITMAP_WINDOW_PAGES * PAGE_SIZE - 8) * 8, 512);
	const struct bm_mark marks[] = {
		BM_MARK(iova + 3 * SZ_2M, SZ_2M, 1536, 2047),
		BM_MARK(iova + (w1 - 512) * SZ_4K, SZ_2M, w1 - 512, w1 - 1),
		BM_MARK(iova + w1 * SZ_4K, SZ_2M, w1, w1 + 511),
		BM_MARK(iova + (nbits - 512) * SZ_4K, SZ_2M, nbits - 512, nbits - 1),
	};
	struct bm_test *t = test->priv;
	bool touched = false;
	unsigned int i;

	bm_prepare(test, 8, nbits, 0);
	/* The first two are in window 1, which a failure there ends with. */
	for (i = 0; i < (fail_window == 1 ? 2 : ARRAY_SIZE(marks)); i++)
		bm_want(t, marks[i].first, marks[i].last);
	t->marks = marks;
	t->nmarks = ARRAY_SIZE(marks);
	t->fail_window = fail_window;
	t->fail_err = -EIO;

	KUNIT_EXPECT_EQ(test, bm_run(test, iova, nbits, SZ_4K, SZ_2M, &touched),
			fail_window ? -EIO : 0);
	KUNIT_EXPECT_TRUE(test, touched);
	KUNIT_EXPECT_EQ(test, t->delivered, fail_window == 1 ? 2 : ARRAY_SIZE(marks));
	KUNIT_EXPECT_EQ(test, t->nwin, fail_window == 1 ? 1 : 2);
	KUNIT_EXPECT_EQ(test, t->win_iova[0], iova);
	KUNIT_EXPECT_EQ(test, t->win_len[0], w1 * SZ_4K);
	if (!fail_window)
		bm_check_windows(test, iova, nbits * SZ_4K, SZ_4K, SZ_2M);
	bm_check(test);
}

/* A range needing two windows of pinned pages: they tile it, every bit lands. */
static void bm_two_windows(struct kunit *test)
{
	bm_seam(test, 0);
}

/*
 * The parent's error ends the report: no later window, the bits set
 * before stay, and @touched tells the caller the log may be partly gone.
 */
static void bm_report_error(struct kunit *test)
{
	bm_seam(test, 1);
}

/*
 * A tracking page of 64 GiB over 4 KiB report pages has 2^24 bits, 513
 * pages of them at offset 8: each window grows to exactly one tracking
 * page, and one mark sets every bit of it across all those pages.
 */
static void bm_huge_tracking_page(struct kunit *test)
{
	const u64 track = BIT_ULL(36), gbits = track / SZ_4K, nbits = 2 * gbits;
	const struct bm_mark marks[] = {
		BM_MARK(track, track, gbits, 2 * gbits - 1),
	};
	struct bm_test *t = test->priv;
	bool touched = false;

	bm_prepare(test, 8, nbits, 0);
	bm_want(t, marks[0].first, marks[0].last);
	t->marks = marks;
	t->nmarks = ARRAY_SIZE(marks);

	KUNIT_EXPECT_EQ(test, bm_run(test, 0, nbits, SZ_4K, track, &touched), 0);
	KUNIT_EXPECT_TRUE(test, touched);
	KUNIT_EXPECT_EQ(test, t->delivered, 1);
	KUNIT_EXPECT_EQ(test, t->nwin, 2);
	bm_check_windows(test, 0, nbits * SZ_4K, SZ_4K, track);
	bm_check(test);
}

/*
 * A bitmap the caller cannot write, wholly or from its second page on:
 * -EFAULT before the parent is asked for anything, its log untouched.
 */
static void bm_read_only(struct kunit *test)
{
	struct bm_test *t = test->priv;
	unsigned long ro;
	bool touched = false;
	u64 zero = 0;

	ro = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, ro, 0);
	KUNIT_ASSERT_LT(test, ro, (unsigned long)TASK_SIZE);
	KUNIT_EXPECT_EQ(test, vhost_vdpa_bitmap_fill((u64 __user *)ro, 0, 64 * SZ_4K, SZ_4K, SZ_4K,
						     fake_report, t, &touched), -EFAULT);
	KUNIT_EXPECT_FALSE(test, touched);
	KUNIT_EXPECT_EQ(test, t->nwin, 0);

	/* A writable, present first page and a read-only second: a short pin. */
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(t->ubuf + PAGE_SIZE - 8), &zero,
					   sizeof(zero)), 0);
	ro = kunit_vm_mmap(test, NULL, t->ubuf + PAGE_SIZE, PAGE_SIZE, PROT_READ,
			   MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, 0);
	KUNIT_ASSERT_EQ(test, ro, t->ubuf + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vhost_vdpa_bitmap_fill((u64 __user *)(t->ubuf + PAGE_SIZE - 8), 0,
						     128 * SZ_4K, SZ_4K, SZ_4K, fake_report, t,
						     &touched), -EFAULT);
	KUNIT_EXPECT_FALSE(test, touched);
	KUNIT_EXPECT_EQ(test, t->nwin, 0);
}

/*
 * A parent marking outside its window (before it, after it, across its
 * end, nothing) gets -EINVAL and writes no bit, not even the one inside;
 * the report fails although this parent drops the errors.
 */
static void bm_mark_outside(struct kunit *test)
{
	struct bm_test *t = test->priv;
	bool touched = false;
	unsigned int i;

	bm_prepare(test, 0, 64, 0);
	t->outside = true;

	KUNIT_EXPECT_EQ(test, bm_run(test, SZ_1G, 64, SZ_4K, SZ_4K, &touched), -EINVAL);
	KUNIT_EXPECT_TRUE(test, touched);
	KUNIT_EXPECT_EQ(test, t->nwin, 1);
	for (i = 0; i < BM_OUTSIDE; i++)
		KUNIT_EXPECT_EQ_MSG(test, t->outside_ret[i], -EINVAL, "mark %u", i);
	bm_check(test);
}

static struct kunit_case vhost_vdpa_bitmap_cases[] = {
	KUNIT_CASE_PARAM(bm_geometry, bm_cases_gen_params),
	KUNIT_CASE(bm_two_windows),
	KUNIT_CASE(bm_report_error),
	KUNIT_CASE(bm_huge_tracking_page),
	KUNIT_CASE(bm_read_only),
	KUNIT_CASE(bm_mark_outside),
	{}
};

static struct kunit_suite vhost_vdpa_bitmap_suite = {
	.name = "vhost_vdpa_bitmap",
	.init = bm_init,
	.test_cases = vhost_vdpa_bitmap_cases,
};

kunit_test_suite(vhost_vdpa_bitmap_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for vhost_vdpa's dirty-log bitmap writer");
MODULE_LICENSE("GPL");
