// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of cxvdpa's memory regions, built against the emulated
 * function: an IOTLB goes in, keys come out, and every IOVA is checked by
 * translating it through the indirect key the way the device's datapath
 * does, so a wrong region shows up as a wrong page or a fault.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/mlx5/mlx5_ifc_vdpa.h>
#include <linux/module.h>
#include <linux/vhost_iotlb.h>
#include <uapi/linux/vhost_types.h>

#include "../cxemu/cxemu.h"
#include "../cxvdpa/cxvdpa.h"

#define NPAGES 8
#define HUGE_ORDER 9	/* 2 MiB */
#define RING_IOVA 0x100000ULL	/* a queue's three areas: a page each from here */

struct mr_test {
	struct cxdev *cx;
	struct cxvdpa_res res;
	bool res_up;
	struct vhost_iotlb *iotlb;
	struct page *pages[NPAGES];
	struct page *huge;
	struct cxvdpa_mr mr;
	struct cxvdpa_mr other;
	u32 vq;
};

/*
 * A virtio net queue object command on object @id, straight to the
 * function: its status, or MLX5_CMD_STAT_INT_ERR when it did not run.
 */
static u8 vq_run(struct mr_test *t, void *in, size_t inlen, u16 opcode, u32 id, void *out,
		 size_t outlen)
{
	MLX5_SET(general_obj_in_cmd_hdr, in, opcode, opcode);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_OBJ_TYPE_VIRTIO_NET_Q);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_id, id);
	if (t->cx->ops->exec(t->cx, in, inlen, out, outlen))
		return MLX5_CMD_STAT_INT_ERR;
	return MLX5_GET(general_obj_out_cmd_hdr, out, status);
}

/* A split queue object at index 0 (in INIT) translating through @key. */
static u8 vq_create(struct mr_test *t, u32 key)
{
	u32 in[MLX5_ST_SZ_DW(create_virtio_net_q_in)] = {};
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	void *obj = MLX5_ADDR_OF(create_virtio_net_q_in, in, obj_context);
	void *q = MLX5_ADDR_OF(virtio_net_q_object, obj, virtio_q_context);
	u8 status;

	MLX5_SET(virtio_q, q, virtio_q_type, MLX5_VIRTIO_EMULATION_VIRTIO_QUEUE_TYPE_SPLIT);
	MLX5_SET(virtio_q, q, queue_size, 16);
	MLX5_SET(virtio_q, q, virtio_version_1_0, 1);
	MLX5_SET64(virtio_q, q, desc_addr, RING_IOVA);
	MLX5_SET64(virtio_q, q, available_addr, RING_IOVA + PAGE_SIZE);
	MLX5_SET64(virtio_q, q, used_addr, RING_IOVA + 2 * PAGE_SIZE);
	MLX5_SET(virtio_q, q, virtio_q_mkey, key);
	MLX5_SET(virtio_q, q, pd, t->res.pd);
	status = vq_run(t, in, sizeof(in), MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, out,
			sizeof(out));
	if (status == MLX5_CMD_STAT_OK)
		t->vq = MLX5_GET(general_obj_out_cmd_hdr, out, obj_id);
	return status;
}

/* Set what @sel names of the queue object: its state, its key. */
static u8 vq_modify(struct mr_test *t, u64 sel, u8 state, u32 key)
{
	u32 in[MLX5_ST_SZ_DW(modify_virtio_net_q_in)] = {};
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	void *obj = MLX5_ADDR_OF(modify_virtio_net_q_in, in, obj_context);
	void *q = MLX5_ADDR_OF(virtio_net_q_object, obj, virtio_q_context);

	MLX5_SET64(virtio_net_q_object, obj, modify_field_select, sel);
	MLX5_SET(virtio_net_q_object, obj, state, state);
	MLX5_SET(virtio_q, q, virtio_q_mkey, key);
	return vq_run(t, in, sizeof(in), MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, t->vq, out,
		      sizeof(out));
}

static u8 vq_destroy(struct mr_test *t)
{
	u32 in[MLX5_ST_SZ_DW(general_obj_in_cmd_hdr)] = {};
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	u8 status;

	status = vq_run(t, in, sizeof(in), MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, t->vq, out,
			sizeof(out));
	if (status == MLX5_CMD_STAT_OK)
		t->vq = 0;
	return status;
}

static int mr_test_init(struct kunit *test)
{
	struct mr_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;
	t->cx = cxemu_kunit_new();
	KUNIT_ASSERT_NOT_NULL(test, t->cx);
	KUNIT_ASSERT_EQ(test, cxvdpa_res_init(&t->res, t->cx, &t->cx->adev.dev), 0);
	t->res_up = true;
	t->iotlb = vhost_iotlb_alloc(UINT_MAX, 0);
	KUNIT_ASSERT_NOT_NULL(test, t->iotlb);
	for (i = 0; i < NPAGES; i++) {
		t->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, t->pages[i]);
	}
	return 0;
}

static void mr_test_exit(struct kunit *test)
{
	struct mr_test *t = test->priv;
	int i;

	cxemu_kunit_fail(0, 0, 0);
	/* The queue object first: it holds a key. */
	if (t->vq)
		vq_destroy(t);
	cxvdpa_mr_destroy(&t->res, &t->mr);
	cxvdpa_mr_destroy(&t->res, &t->other);
	if (t->res_up)
		cxvdpa_res_fini(&t->res);
	if (t->cx)
		KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 0);
	vhost_iotlb_free(t->iotlb);
	for (i = 0; i < NPAGES; i++)
		if (t->pages[i])
			__free_page(t->pages[i]);
	if (t->huge)
		__free_pages(t->huge, HUGE_ORDER);
}

static void map_page(struct kunit *test, u64 iova, struct page *page, u32 perm)
{
	struct mr_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(t->iotlb, iova, iova + PAGE_SIZE - 1,
						    page_to_phys(page), perm), 0);
}

/* Translate through the region's key; the kernel address, or an ERR_PTR. */
static void *xlate(struct mr_test *t, u64 iova, u64 len, bool write, long *got)
{
	void *va = NULL;

	*got = cxemu_kunit_translate(t->cx, t->mr.key, iova, len, write, &va);
	return *got < 0 ? ERR_PTR(*got) : va;
}

static void expect_at(struct kunit *test, struct mr_test *t, u64 iova, struct page *page,
		      size_t off)
{
	long got;
	void *va = xlate(t, iova, 8, false, &got);

	KUNIT_EXPECT_EQ(test, got, 8);
	KUNIT_EXPECT_PTR_EQ(test, va, page_address(page) + off);
}

#define EXPECT_FAULT(test, t, iova, write, err) do {				\
	long __got;								\
	xlate(t, iova, 8, write, &__got);					\
	KUNIT_EXPECT_EQ(test, __got, (long)(err));				\
} while (0)

/* Scattered pages at contiguous IOVAs: one chunk, each page where it was put. */
static void mr_contiguous(struct kunit *test)
{
	struct mr_test *t = test->priv;
	u64 base = 0x100000;
	int i;

	for (i = 0; i < NPAGES; i++)
		map_page(test, base + i * PAGE_SIZE, t->pages[NPAGES - 1 - i], VHOST_MAP_RW);
	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), 0);
	KUNIT_EXPECT_EQ(test, t->mr.ndirect, 1);
	KUNIT_EXPECT_EQ(test, t->mr.start, base);
	KUNIT_EXPECT_EQ(test, t->mr.len, NPAGES * PAGE_SIZE);
	for (i = 0; i < NPAGES; i++)
		expect_at(test, t, base + i * PAGE_SIZE + 24, t->pages[NPAGES - 1 - i], 24);
	EXPECT_FAULT(test, t, base - PAGE_SIZE, false, -EFAULT);
	EXPECT_FAULT(test, t, base + NPAGES * PAGE_SIZE, false, -EFAULT);
}

/* Three runs with holes between: three direct keys, holes fault. */
static void mr_fragmented(struct kunit *test)
{
	struct mr_test *t = test->priv;

	map_page(test, 0x0, t->pages[0], VHOST_MAP_RW);
	map_page(test, 0x3000, t->pages[1], VHOST_MAP_RW);
	map_page(test, 0x4000, t->pages[2], VHOST_MAP_RW);
	map_page(test, 0x10000, t->pages[3], VHOST_MAP_RW);
	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), 0);
	KUNIT_EXPECT_EQ(test, t->mr.ndirect, 3);
	KUNIT_EXPECT_EQ(test, t->mr.len, 0x11000);
	expect_at(test, t, 0x10, t->pages[0], 0x10);
	expect_at(test, t, 0x3ff0, t->pages[1], 0xff0);
	expect_at(test, t, 0x4000, t->pages[2], 0);
	expect_at(test, t, 0x10ff0, t->pages[3], 0xff0);
	EXPECT_FAULT(test, t, 0x1000, false, -EFAULT);
	EXPECT_FAULT(test, t, 0x2ff8, false, -EFAULT);
	EXPECT_FAULT(test, t, 0x5000, false, -EFAULT);
	EXPECT_FAULT(test, t, 0xf000, false, -EFAULT);
}

/* Permissions split chunks and hold in the device. */
static void mr_permissions(struct kunit *test)
{
	struct mr_test *t = test->priv;

	map_page(test, 0x0, t->pages[0], VHOST_MAP_RO);
	map_page(test, 0x1000, t->pages[1], VHOST_MAP_RW);
	map_page(test, 0x2000, t->pages[2], VHOST_MAP_WO);
	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), 0);
	KUNIT_EXPECT_EQ(test, t->mr.ndirect, 3);
	expect_at(test, t, 0x8, t->pages[0], 8);
	EXPECT_FAULT(test, t, 0x8, true, -EACCES);
	expect_at(test, t, 0x1008, t->pages[1], 8);
	EXPECT_FAULT(test, t, 0x2008, false, -EACCES);
	{
		long got;

		xlate(t, 0x2008, 8, true, &got);
		KUNIT_EXPECT_EQ(test, got, 8);
	}
}

/* A 2 MiB aligned page in one entry: 2 MiB MTT pages, not 512 small ones. */
static void mr_huge_page(struct kunit *test)
{
	struct mr_test *t = test->priv;
	u64 iova = 0x40000000;
	long got;
	void *va;

	t->huge = alloc_pages(GFP_KERNEL | __GFP_ZERO, HUGE_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, t->huge);
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(t->iotlb, iova, iova + SZ_2M - 1,
						    page_to_phys(t->huge), VHOST_MAP_RW), 0);
	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), 0);
	/* Contiguous across 4 KiB boundaries: the device's page is 2 MiB. */
	va = xlate(t, iova + 0x1800, SZ_1M, false, &got);
	KUNIT_EXPECT_EQ(test, got, SZ_1M);
	KUNIT_EXPECT_PTR_EQ(test, va, page_address(t->huge) + 0x1800);
}

/* A 3 GiB run (one page mapped 1536 times) is cut at 2 GiB: two keys. */
static void mr_chunk_limit(struct kunit *test)
{
	struct mr_test *t = test->priv;
	u64 iova;

	t->huge = alloc_pages(GFP_KERNEL | __GFP_ZERO, HUGE_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, t->huge);
	for (iova = 0; iova < 3ULL * SZ_1G; iova += SZ_2M)
		KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(t->iotlb, iova, iova + SZ_2M - 1,
							    page_to_phys(t->huge),
							    VHOST_MAP_RW), 0);
	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), 0);
	KUNIT_EXPECT_EQ(test, t->mr.ndirect, 2);
	expect_at(test, t, (u64)SZ_2G + SZ_512M + 64, t->huge, 64);
	expect_at(test, t, (u64)SZ_2G - 8, t->huge, SZ_2M - 8);
}

/* A hole over 2 GiB takes several null entries (a KLM counts 32 bits). */
static void mr_big_hole(struct kunit *test)
{
	struct mr_test *t = test->priv;
	u64 far = 5ULL * SZ_1G;

	map_page(test, 0x0, t->pages[0], VHOST_MAP_RW);
	map_page(test, far, t->pages[1], VHOST_MAP_RW);
	/* Two chunks and three hole pieces: five entries; four are too few. */
	t->res.log_max_klm_list_size = 2;
	KUNIT_EXPECT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), -ENOSPC);
	t->res.log_max_klm_list_size = 3;
	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), 0);
	KUNIT_EXPECT_EQ(test, t->mr.len, far + PAGE_SIZE);
	expect_at(test, t, 0x8, t->pages[0], 8);
	expect_at(test, t, far + 8, t->pages[1], 8);
	EXPECT_FAULT(test, t, 4ULL * SZ_1G, false, -EFAULT);
	EXPECT_FAULT(test, t, SZ_2G, false, -EFAULT);
}

/* More KLM entries than the device allows: refused, nothing left behind. */
static void mr_klm_limit(struct kunit *test)
{
	struct mr_test *t = test->priv;

	map_page(test, 0x0, t->pages[0], VHOST_MAP_RW);
	map_page(test, 0x2000, t->pages[1], VHOST_MAP_RW);
	/* Two chunks and a hole need three entries; allow two. */
	t->res.log_max_klm_list_size = 1;
	KUNIT_EXPECT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), -ENOSPC);
	KUNIT_EXPECT_EQ(test, t->mr.key, 0);
	KUNIT_EXPECT_EQ(test, t->mr.ndirect, 0);
	/* Exactly two entries fit: two chunks (permissions differ), no hole. */
	vhost_iotlb_del_range(t->iotlb, 0x2000, 0x2fff);
	map_page(test, 0x1000, t->pages[2], VHOST_MAP_RO);
	KUNIT_EXPECT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), 0);
	KUNIT_EXPECT_EQ(test, t->mr.ndirect, 2);
	expect_at(test, t, 0x1000, t->pages[2], 0);
}

/* The device refusing a key midway: the keys made so far are destroyed. */
static void mr_device_failure(struct kunit *test)
{
	struct mr_test *t = test->priv;

	map_page(test, 0x0, t->pages[0], VHOST_MAP_RW);
	map_page(test, 0x2000, t->pages[1], VHOST_MAP_RW);
	map_page(test, 0x4000, t->pages[2], VHOST_MAP_RW);
	/* The third key (the last direct one) fails. */
	cxemu_kunit_fail(MLX5_CMD_OP_CREATE_MKEY, 2, 1);
	KUNIT_EXPECT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), -EIO);
	KUNIT_EXPECT_EQ(test, t->mr.key, 0);
	/* The fourth (the indirect key, every direct one made) fails. */
	cxemu_kunit_fail(MLX5_CMD_OP_CREATE_MKEY, 3, 1);
	KUNIT_EXPECT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), -EIO);
	KUNIT_EXPECT_EQ(test, t->mr.key, 0);
	/* The exit checks that the function holds nothing but the PD. */
}

/* An empty map: no direct key, but a live key a queue takes; nothing translates. */
static void mr_empty(struct kunit *test)
{
	struct mr_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), 0);
	KUNIT_EXPECT_NE(test, t->mr.key, 0);
	KUNIT_EXPECT_EQ(test, t->mr.ndirect, 0);
	KUNIT_EXPECT_EQ(test, t->mr.len, 0);
	EXPECT_FAULT(test, t, 0, false, -EFAULT);
	EXPECT_FAULT(test, t, 0, true, -EFAULT);
	EXPECT_FAULT(test, t, RING_IOVA + PAGE_SIZE, false, -EFAULT);
	EXPECT_FAULT(test, t, U64_MAX - 7, true, -EFAULT);
	KUNIT_EXPECT_EQ(test, vq_create(t, t->mr.key), MLX5_CMD_STAT_OK);
}

/* The empty map's key fits the smallest limits a function may report. */
static void mr_empty_least_limits(struct kunit *test)
{
	struct mr_test *t = test->priv;
	struct cxemu_limits *lim = cxemu_kunit_limits(t->cx);

	lim->log_max_klm_list_size = 0;
	lim->log_max_mrw_sz = 0;
	t->res.log_max_klm_list_size = 0;
	t->res.log_max_mrw_sz = 0;
	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), 0);
	KUNIT_EXPECT_NE(test, t->mr.key, 0);
	EXPECT_FAULT(test, t, 0, false, -EFAULT);
}

/*
 * A running queue moves to the empty map's key and back to a new region,
 * as cxvdpa's key swap does it (suspend, then key and RDY in one modify),
 * and the regions it left can go. Queue 0 has no sender at index 1, so
 * the loopback datapath never touches its ring.
 */
static void mr_empty_swap(struct kunit *test)
{
	const u64 st = MLX5_VIRTQ_MODIFY_MASK_STATE, mk = MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_MKEY;
	const u8 rdy = MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY;
	const u8 susp = MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND;
	struct mr_test *t = test->priv;
	u32 old_key;
	void *va;
	int i;

	for (i = 0; i < 3; i++)
		map_page(test, RING_IOVA + i * PAGE_SIZE, t->pages[i], VHOST_MAP_RW);
	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->other), 0);
	KUNIT_ASSERT_EQ(test, vq_create(t, t->other.key), MLX5_CMD_STAT_OK);
	KUNIT_ASSERT_EQ(test, vq_modify(t, st, rdy, 0), MLX5_CMD_STAT_OK);

	vhost_iotlb_del_range(t->iotlb, 0, U64_MAX);
	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->mr), 0);
	KUNIT_EXPECT_EQ(test, vq_modify(t, st, susp, 0), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, vq_modify(t, st | mk, rdy, t->mr.key), MLX5_CMD_STAT_OK);
	/* Nothing holds the old keys: they are destroyed, and translate no more. */
	old_key = t->other.key;
	cxvdpa_mr_destroy(&t->res, &t->other);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, old_key, RING_IOVA, 8, false, &va),
			-EFAULT);

	/* Memory comes back: the queue moves to a new region. */
	map_page(test, RING_IOVA, t->pages[3], VHOST_MAP_RW);
	KUNIT_ASSERT_EQ(test, cxvdpa_mr_build(&t->res, t->iotlb, &t->other), 0);
	KUNIT_EXPECT_EQ(test, vq_modify(t, st, susp, 0), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, vq_modify(t, st | mk, rdy, t->other.key), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, vq_destroy(t), MLX5_CMD_STAT_OK);
	/* The exit checks that every key went and nothing leaked. */
}

static struct kunit_case cxvdpa_mr_cases[] = {
	KUNIT_CASE(mr_contiguous),
	KUNIT_CASE(mr_fragmented),
	KUNIT_CASE(mr_permissions),
	KUNIT_CASE(mr_huge_page),
	KUNIT_CASE(mr_chunk_limit),
	KUNIT_CASE(mr_big_hole),
	KUNIT_CASE(mr_klm_limit),
	KUNIT_CASE(mr_device_failure),
	KUNIT_CASE(mr_empty),
	KUNIT_CASE(mr_empty_least_limits),
	KUNIT_CASE(mr_empty_swap),
	{}
};

static struct kunit_suite cxvdpa_mr_suite = {
	.name = "cxvdpa_mr",
	.init = mr_test_init,
	.exit = mr_test_exit,
	.test_cases = cxvdpa_mr_cases,
};

kunit_test_suite(cxvdpa_mr_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for cxvdpa memory regions");
MODULE_LICENSE("GPL");
