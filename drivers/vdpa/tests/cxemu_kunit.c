// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of cxemu, the emulated ConnectX-like function: mailbox
 * encoding, the firmware's checks (each bad command fails with its status
 * and syndrome), memory keys and translation through them, virtio queue
 * objects, page trackers and their report queues, resource accounting and
 * fault injection. The test is the driver: it builds
 * mailboxes with MLX5_SET() exactly as a parent does.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/mlx5/mlx5_ifc_vdpa.h>
#include <linux/mlx5/qp.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../cxemu/cxemu.h"

#define NPAGES 4
#define IOVA 0x200000ULL	/* where the direct key starts */

struct cx_test {
	struct cxdev *cx;
	struct page *pages[NPAGES];
	u32 pd;
	u32 out[MLX5_ST_SZ_DW(query_virtio_net_q_out)];
};

/* Run a command; the status, with the syndrome in *syndrome. */
static u8 cx_run(struct cx_test *t, const void *in, size_t inlen, u32 *syndrome)
{
	int err = t->cx->ops->exec(t->cx, in, inlen, t->out, sizeof(t->out));

	if (err)
		return 0xff;
	*syndrome = MLX5_GET(alloc_pd_out, t->out, syndrome);
	return MLX5_GET(alloc_pd_out, t->out, status);
}

/* A fixed-size command with only an opcode (and op_mod). */
static u8 cx_simple(struct cx_test *t, u16 opcode, u16 op_mod, size_t inlen, u32 *syndrome)
{
	u32 in[16] = {};

	MLX5_SET(alloc_pd_in, in, opcode, opcode);
	MLX5_SET(alloc_pd_in, in, op_mod, op_mod);
	return cx_run(t, in, inlen, syndrome);
}

static void cx_expect(struct kunit *test, u8 status, u32 syndrome, u8 got, u32 got_syndrome)
{
	KUNIT_EXPECT_EQ(test, got, status);
	KUNIT_EXPECT_EQ(test, got_syndrome, syndrome);
}

/* @call is evaluated with __syn in scope, to receive the syndrome. */
#define EXPECT_CMD(test, t, status, syn, call) do {			\
	u32 __syn = 0;							\
	u8 __st = call;							\
	(void)t;							\
	cx_expect(test, status, syn, __st, __syn);			\
} while (0)

static int cx_test_init(struct kunit *test)
{
	struct cx_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	u32 syn, in[4] = {};
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->cx = cxemu_kunit_new();
	KUNIT_ASSERT_NOT_NULL(test, t->cx);
	test->priv = t;
	for (i = 0; i < NPAGES; i++) {
		t->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, t->pages[i]);
	}
	MLX5_SET(enable_hca_in, in, opcode, MLX5_CMD_OP_ENABLE_HCA);
	KUNIT_ASSERT_EQ(test, cx_run(t, in, sizeof(in), &syn), MLX5_CMD_STAT_OK);
	KUNIT_ASSERT_EQ(test, cx_simple(t, MLX5_CMD_OP_ALLOC_PD, 0, 16, &syn), MLX5_CMD_STAT_OK);
	t->pd = MLX5_GET(alloc_pd_out, t->out, pd);
	return 0;
}

static void cx_test_exit(struct kunit *test)
{
	struct cx_test *t = test->priv;
	int i;

	cxemu_kunit_fail(0, 0, 0);
	if (t->cx)
		cxemu_kunit_free(t->cx);
	for (i = 0; i < NPAGES; i++)
		if (t->pages[i])
			__free_page(t->pages[i]);
}

/* ---- mailbox builders ---- */

struct mk_desc {
	bool indirect;
	bool lr, lw;
	u64 start, len;
	u8 log_page;
	u32 n;			/* MTT or KLM entries */
	u64 mtt[NPAGES];	/* MTT entries as the device reads them */
	struct { u32 key; u64 va; u32 len; } klm[4];
};

/* create_mkey_in for @d in a new buffer; *inlen its size. */
static void *mk_build(struct kunit *test, struct cx_test *t, const struct mk_desc *d,
		      size_t *inlen)
{
	u32 octs = d->indirect ? d->n : DIV_ROUND_UP(d->n, 2);
	void *in, *mkc;
	__be64 *mtt;
	struct mlx5_klm *klm;
	u32 i;

	*inlen = MLX5_ST_SZ_BYTES(create_mkey_in) + octs * 16;
	in = kunit_kzalloc(test, *inlen + 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, in);
	MLX5_SET(create_mkey_in, in, opcode, MLX5_CMD_OP_CREATE_MKEY);
	MLX5_SET(create_mkey_in, in, translations_octword_actual_size, octs);
	mkc = MLX5_ADDR_OF(create_mkey_in, in, memory_key_mkey_entry);
	MLX5_SET(mkc, mkc, access_mode_1_0, d->indirect ? MLX5_MKC_ACCESS_MODE_KLMS :
							  MLX5_MKC_ACCESS_MODE_MTT);
	MLX5_SET(mkc, mkc, lr, d->lr);
	MLX5_SET(mkc, mkc, lw, d->lw);
	MLX5_SET(mkc, mkc, qpn, 0xffffff);
	MLX5_SET(mkc, mkc, pd, t->pd);
	MLX5_SET(mkc, mkc, mkey_7_0, 0x5a);
	MLX5_SET64(mkc, mkc, start_addr, d->start);
	MLX5_SET64(mkc, mkc, len, d->len);
	MLX5_SET(mkc, mkc, log_page_size, d->log_page);
	MLX5_SET(mkc, mkc, translations_octword_size, octs);
	mtt = MLX5_ADDR_OF(create_mkey_in, in, klm_pas_mtt);
	klm = MLX5_ADDR_OF(create_mkey_in, in, klm_pas_mtt);
	for (i = 0; i < d->n; i++) {
		if (d->indirect) {
			klm[i].bcount = cpu_to_be32(d->klm[i].len);
			klm[i].key = cpu_to_be32(d->klm[i].key);
			klm[i].va = cpu_to_be64(d->klm[i].va);
		} else {
			mtt[i] = cpu_to_be64(d->mtt[i]);
		}
	}
	return in;
}

/* A read-write direct key over the test's pages, in their order. */
static void mk_direct_desc(struct cx_test *t, struct mk_desc *d)
{
	int i;

	memset(d, 0, sizeof(*d));
	d->lr = true;
	d->lw = true;
	d->start = IOVA;
	d->len = NPAGES * PAGE_SIZE;
	d->log_page = PAGE_SHIFT;
	d->n = NPAGES;
	for (i = 0; i < NPAGES; i++)
		d->mtt[i] = page_to_phys(t->pages[i]) | 3;	/* rd_en | wr_en */
}

/* Create; the key (index << 8 | 0x5a) on success, 0 on failure. */
static u32 mk_create(struct kunit *test, struct cx_test *t, const struct mk_desc *d,
		     u8 *status, u32 *syndrome)
{
	size_t inlen;
	void *in = mk_build(test, t, d, &inlen);

	*status = cx_run(t, in, inlen, syndrome);
	if (*status != MLX5_CMD_STAT_OK)
		return 0;
	return MLX5_GET(create_mkey_out, t->out, mkey_index) << 8 | 0x5a;
}

static u8 mk_destroy(struct cx_test *t, u32 key, u32 *syndrome)
{
	u32 in[MLX5_ST_SZ_DW(destroy_mkey_in)] = {};

	MLX5_SET(destroy_mkey_in, in, opcode, MLX5_CMD_OP_DESTROY_MKEY);
	MLX5_SET(destroy_mkey_in, in, mkey_index, key >> 8);
	return cx_run(t, in, sizeof(in), syndrome);
}

/* ---- cases ---- */

/* The header checks every command goes through, in order. */
static void cx_mailbox_checks(struct kunit *test)
{
	struct cx_test *t = test->priv;
	u32 in[16] = {};

	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_OP_ERR, CXDEV_SYN_BAD_OPCODE,
		   cx_simple(t, 0x7ff, 0, 16, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_INP_LEN_ERR, CXDEV_SYN_INLEN,
		   cx_simple(t, MLX5_CMD_OP_ALLOC_PD, 0, 4, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_INP_LEN_ERR, CXDEV_SYN_INLEN,
		   cx_simple(t, MLX5_CMD_OP_ALLOC_PD, 0, 8, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_INP_LEN_ERR, CXDEV_SYN_INLEN,
		   cx_simple(t, MLX5_CMD_OP_ALLOC_PD, 0, 20, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_BAD_OP_MOD,
		   cx_simple(t, MLX5_CMD_OP_ALLOC_PD, 1, 16, &__syn));
	MLX5_SET(alloc_pd_in, in, opcode, MLX5_CMD_OP_ALLOC_PD);
	MLX5_SET(alloc_pd_in, in, uid, 7);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_BAD_UID,
		   cx_run(t, in, 16, &__syn));
	/* An output mailbox that cannot hold the answer. */
	MLX5_SET(alloc_pd_in, in, uid, 0);
	KUNIT_EXPECT_EQ(test, t->cx->ops->exec(t->cx, in, 16, t->out, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, t->cx->ops->exec(t->cx, in, 16, t->out, 8), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET(alloc_pd_out, t->out, status),
			MLX5_CMD_STAT_BAD_OUTP_LEN_ERR);
	KUNIT_EXPECT_EQ(test, t->cx->ops->exec(t->cx, in, 16, t->out, 16), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET(alloc_pd_out, t->out, status), MLX5_CMD_STAT_OK);
}

/* Nothing but capabilities and ENABLE_HCA before ENABLE_HCA; not twice. */
static void cx_enable_state(struct kunit *test)
{
	struct cx_test *t = test->priv;
	u32 in[4] = {};

	MLX5_SET(enable_hca_in, in, opcode, MLX5_CMD_OP_ENABLE_HCA);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_SYS_STATE_ERR, CXDEV_SYN_ALREADY_ENABLED,
		   cx_run(t, in, sizeof(in), &__syn));
	MLX5_SET(disable_hca_in, in, opcode, MLX5_CMD_OP_DISABLE_HCA);
	MLX5_SET(disable_hca_in, in, function_id, 3);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_BAD_OP_MOD,
		   cx_run(t, in, sizeof(in), &__syn));
	MLX5_SET(disable_hca_in, in, function_id, 0);
	/* The fixture's PD is reclaimed and counted as leaked. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0, cx_run(t, in, sizeof(in), &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_SYS_STATE_ERR, CXDEV_SYN_NOT_ENABLED,
		   cx_simple(t, MLX5_CMD_OP_ALLOC_PD, 0, 16, &__syn));
	MLX5_SET(enable_hca_in, in, opcode, MLX5_CMD_OP_ENABLE_HCA);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0, cx_run(t, in, sizeof(in), &__syn));
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 1);
	t->cx = NULL;
}

/* Capabilities come back in the manual's layout; unknown types fail. */
static void cx_query_caps(struct kunit *test)
{
	struct cx_test *t = test->priv;
	size_t inlen = MLX5_ST_SZ_BYTES(query_hca_cap_in);
	void *cap = MLX5_ADDR_OF(query_hca_cap_out, t->out, capability);
	u32 in[MLX5_ST_SZ_DW(query_hca_cap_in)] = {};
	u8 st;
	u32 syn;

	cxemu_kunit_limits(t->cx)->log_max_klm_list_size = 9;
	MLX5_SET(query_hca_cap_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	MLX5_SET(query_hca_cap_in, in, op_mod, MLX5_CAP_GENERAL << 1 | HCA_CAP_OPMOD_GET_CUR);
	/* The output mailbox must hold the whole capability page. */
	KUNIT_EXPECT_EQ(test, t->cx->ops->exec(t->cx, in, inlen, t->out, sizeof(t->out)), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET(alloc_pd_out, t->out, status),
			MLX5_CMD_STAT_BAD_OUTP_LEN_ERR);
	{
		size_t outlen = MLX5_ST_SZ_BYTES(query_hca_cap_out);
		void *out = kunit_kzalloc(test, outlen, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, out);
		cap = MLX5_ADDR_OF(query_hca_cap_out, out, capability);
		KUNIT_ASSERT_EQ(test, t->cx->ops->exec(t->cx, in, inlen, out, outlen), 0);
		KUNIT_EXPECT_EQ(test, MLX5_GET(query_hca_cap_out, out, status), MLX5_CMD_STAT_OK);
		KUNIT_EXPECT_EQ(test, MLX5_GET(cmd_hca_cap, cap, log_max_klm_list_size), 9);
		KUNIT_EXPECT_EQ(test, MLX5_GET(cmd_hca_cap, cap, log_max_mrw_sz), 40);
		KUNIT_EXPECT_EQ(test, MLX5_GET(cmd_hca_cap, cap, log_max_mkey),
				CXEMU_LOG_MAX_MKEY);
		KUNIT_EXPECT_EQ(test, MLX5_GET(cmd_hca_cap, cap, max_indirection), 1);

		KUNIT_EXPECT_EQ(test, MLX5_GET64(cmd_hca_cap, cap, general_obj_types),
				MLX5_GENERAL_OBJ_TYPES_CAP_VIRTIO_NET_Q);

		MLX5_SET(query_hca_cap_in, in, op_mod, MLX5_CAP_VDPA_EMULATION << 1);
		KUNIT_ASSERT_EQ(test, t->cx->ops->exec(t->cx, in, inlen, out, outlen), 0);
		KUNIT_EXPECT_EQ(test, MLX5_GET(query_hca_cap_out, out, status), MLX5_CMD_STAT_OK);
		KUNIT_EXPECT_EQ(test, MLX5_GET(virtio_emulation_cap, cap, max_num_virtio_queues),
				CXEMU_MAX_VQS);
		KUNIT_EXPECT_EQ(test, MLX5_GET(virtio_emulation_cap, cap, log_doorbell_stride),
				PAGE_SHIFT);
		KUNIT_EXPECT_EQ(test, MLX5_GET(virtio_emulation_cap, cap, virtio_queue_type),
				MLX5_VIRTIO_EMULATION_CAP_VIRTIO_QUEUE_TYPE_SPLIT |
				MLX5_VIRTIO_EMULATION_CAP_VIRTIO_QUEUE_TYPE_PACKED);

		MLX5_SET(query_hca_cap_in, in, op_mod, MLX5_CAP_ETHERNET_OFFLOADS << 1);
		KUNIT_ASSERT_EQ(test, t->cx->ops->exec(t->cx, in, inlen, out, outlen), 0);
		st = MLX5_GET(query_hca_cap_out, out, status);
		syn = MLX5_GET(query_hca_cap_out, out, syndrome);
		KUNIT_EXPECT_EQ(test, st, MLX5_CMD_STAT_BAD_PARAM_ERR);
		KUNIT_EXPECT_EQ(test, syn, CXDEV_SYN_CAP_TYPE);
	}
}

/* PDs and UARs: distinct numbers; freeing one twice, or one in use, fails. */
static void cx_pd_uar(struct kunit *test)
{
	struct cx_test *t = test->priv;
	u32 in[4] = {}, uar, syn, pd2;
	struct mk_desc d;
	u8 st;
	u32 key;

	KUNIT_ASSERT_EQ(test, cx_simple(t, MLX5_CMD_OP_ALLOC_PD, 0, 16, &syn), MLX5_CMD_STAT_OK);
	pd2 = MLX5_GET(alloc_pd_out, t->out, pd);
	KUNIT_EXPECT_NE(test, pd2, t->pd);
	KUNIT_EXPECT_NE(test, pd2, 0);
	KUNIT_ASSERT_EQ(test, cx_simple(t, MLX5_CMD_OP_ALLOC_UAR, 0, 16, &syn), MLX5_CMD_STAT_OK);
	uar = MLX5_GET(alloc_uar_out, t->out, uar);
	KUNIT_EXPECT_NE(test, uar, 0);

	MLX5_SET(dealloc_uar_in, in, opcode, MLX5_CMD_OP_DEALLOC_UAR);
	MLX5_SET(dealloc_uar_in, in, uar, uar);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0, cx_run(t, in, 16, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_UAR,
		   cx_run(t, in, 16, &__syn));

	/* The fixture's PD holds a key: it cannot go until the key goes. */
	mk_direct_desc(t, &d);
	key = mk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);
	memset(in, 0, sizeof(in));
	MLX5_SET(dealloc_pd_in, in, opcode, MLX5_CMD_OP_DEALLOC_PD);
	MLX5_SET(dealloc_pd_in, in, pd, t->pd);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_RES_BUSY, CXDEV_SYN_PD_BUSY, cx_run(t, in, 16, &__syn));
	KUNIT_EXPECT_EQ(test, mk_destroy(t, key, &syn), MLX5_CMD_STAT_OK);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0, cx_run(t, in, 16, &__syn));
	MLX5_SET(dealloc_pd_in, in, pd, pd2);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0, cx_run(t, in, 16, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_PD,
		   cx_run(t, in, 16, &__syn));
	/* Everything freed: nothing leaks. */
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 0);
	t->cx = NULL;
}

/* A direct key reaches its pages in MTT order, with its permissions. */
static void cx_mkey_direct(struct kunit *test)
{
	struct cx_test *t = test->priv;
	struct mk_desc d;
	void *va;
	u32 key, syn;
	u8 st;
	int i;

	mk_direct_desc(t, &d);
	/* Out of order on purpose: translation must follow the MTT. */
	swap(d.mtt[0], d.mtt[3]);
	d.lw = false;
	d.mtt[0] &= ~2ULL;
	d.mtt[1] &= ~2ULL;
	d.mtt[2] &= ~2ULL;
	d.mtt[3] &= ~2ULL;
	key = mk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);
	KUNIT_ASSERT_EQ(test, syn, 0);

	for (i = 0; i < NPAGES; i++) {
		int want = i == 0 ? 3 : i == 3 ? 0 : i;

		KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, key, IOVA + i * PAGE_SIZE + 8,
							    64, false, &va), 64);
		KUNIT_EXPECT_PTR_EQ(test, va, page_address(t->pages[want]) + 8);
	}
	/* Contiguous only up to the page's end. */
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, key, IOVA + PAGE_SIZE - 16, 64, false,
						    &va), 16);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, key, IOVA, 8, true, &va), -EACCES);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, key, IOVA - 1, 8, false, &va),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, key, IOVA + NPAGES * PAGE_SIZE, 8,
						    false, &va), -EFAULT);
	/* The variant byte is part of the key. */
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, key ^ 1, IOVA, 8, false, &va),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, mk_destroy(t, key, &syn), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, key, IOVA, 8, false, &va), -EFAULT);
	KUNIT_EXPECT_EQ(test, mk_destroy(t, key, &syn), MLX5_CMD_STAT_BAD_RES_ERR);
	KUNIT_EXPECT_EQ(test, syn, CXDEV_SYN_BAD_MKEY);
}

/*
 * An indirect key: pages 2-3 of a direct key, a hole through the null
 * key, then page 0; the direct key cannot go while the indirect one
 * points into it.
 */
static void cx_mkey_indirect(struct kunit *test)
{
	struct cx_test *t = test->priv;
	u32 direct, indirect, syn;
	struct mk_desc d;
	void *va;
	u8 st;

	mk_direct_desc(t, &d);
	direct = mk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);

	memset(&d, 0, sizeof(d));
	d.indirect = true;
	d.lr = true;
	d.lw = true;
	d.start = 0;
	d.len = 5 * PAGE_SIZE;
	d.n = 3;
	d.klm[0].key = direct;
	d.klm[0].va = IOVA + 2 * PAGE_SIZE;
	d.klm[0].len = 2 * PAGE_SIZE;
	d.klm[1].key = CXEMU_NULL_MKEY;
	d.klm[1].len = 2 * PAGE_SIZE;
	d.klm[2].key = direct;
	d.klm[2].va = IOVA;
	d.klm[2].len = PAGE_SIZE;
	indirect = mk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);

	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, indirect, 100, 50, true, &va), 50);
	KUNIT_EXPECT_PTR_EQ(test, va, page_address(t->pages[2]) + 100);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, indirect, PAGE_SIZE + 4, 8, false,
						    &va), 8);
	KUNIT_EXPECT_PTR_EQ(test, va, page_address(t->pages[3]) + 4);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, indirect, 2 * PAGE_SIZE, 8, false,
						    &va), -EFAULT);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, indirect, 4 * PAGE_SIZE + 1, 8192,
						    false, &va), PAGE_SIZE - 1);
	KUNIT_EXPECT_PTR_EQ(test, va, page_address(t->pages[0]) + 1);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, indirect, 5 * PAGE_SIZE, 8, false,
						    &va), -EFAULT);

	KUNIT_EXPECT_EQ(test, mk_destroy(t, direct, &syn), MLX5_CMD_STAT_RES_BUSY);
	KUNIT_EXPECT_EQ(test, syn, CXDEV_SYN_MKEY_BUSY);
	KUNIT_EXPECT_EQ(test, mk_destroy(t, indirect, &syn), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, mk_destroy(t, direct, &syn), MLX5_CMD_STAT_OK);
}

/* ---- every bad CREATE_MKEY fails with its own status and syndrome ---- */

struct bad_mkey {
	const char *name;
	bool indirect;
	void (*spoil)(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen);
	u8 status;
	u32 syndrome;
};

#define MKC(in) MLX5_ADDR_OF(create_mkey_in, in, memory_key_mkey_entry)

static void spoil_length64(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(mkc, MKC(in), length64, 1);
}

static void spoil_mode(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(mkc, MKC(in), access_mode_1_0, MLX5_MKC_ACCESS_MODE_KSM);
}

static void spoil_umr(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(mkc, MKC(in), umr_en, 1);
}

static void spoil_remote(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(mkc, MKC(in), rr, 1);
}

static void spoil_qpn(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(mkc, MKC(in), qpn, 0);
}

static void spoil_umem(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(create_mkey_in, in, mkey_umem_valid, 1);
}

static void spoil_octs(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(mkc, MKC(in), translations_octword_size, 1);
}

static void spoil_inlen(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	*inlen += 16;
}

static void spoil_pd(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(mkc, MKC(in), pd, t->pd + 1);
}

static void spoil_len0(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(mkc, MKC(in), len, 0);
}

static void spoil_start(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(mkc, MKC(in), start_addr, IOVA + 512);
}

static void spoil_page_size(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(mkc, MKC(in), log_page_size, 11);
}

static void spoil_page_size_big(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(mkc, MKC(in), log_page_size, 31);
}

static void spoil_too_long(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	cxemu_kunit_limits(t->cx)->log_max_mrw_sz = PAGE_SHIFT + 1;
}

static void spoil_few_mtts(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	/* Five pages long, four MTT entries. */
	MLX5_SET64(mkc, MKC(in), len, (NPAGES + 1) * PAGE_SIZE);
}

static __be64 *mtt_of(void *in)
{
	return MLX5_ADDR_OF(create_mkey_in, in, klm_pas_mtt);
}

static void spoil_mtt_rd(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	mtt_of(in)[1] &= ~cpu_to_be64(1);
}

static void spoil_mtt_wr(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	mtt_of(in)[2] &= ~cpu_to_be64(2);
}

static void spoil_mtt_align(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	mtt_of(in)[0] |= cpu_to_be64(0x800);
}

static void spoil_mtt_flags(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	mtt_of(in)[3] |= cpu_to_be64(4);
}

static struct mlx5_klm *klm_of(void *in)
{
	return MLX5_ADDR_OF(create_mkey_in, in, klm_pas_mtt);
}

static void spoil_klm_many(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	cxemu_kunit_limits(t->cx)->log_max_klm_list_size = 0;
}

static void spoil_klm_key(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	klm_of(in)[1].key = cpu_to_be32(be32_to_cpu(klm_of(in)[1].key) + 0x100);
}

static void spoil_klm_range(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	klm_of(in)[1].va = cpu_to_be64(IOVA + 3 * PAGE_SIZE + 1);
}

static void spoil_klm_before(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	klm_of(in)[0].va = cpu_to_be64(IOVA - PAGE_SIZE);
}

static void spoil_klm_beyond(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	klm_of(in)[1].va = cpu_to_be64(IOVA + 2 * NPAGES * PAGE_SIZE);
}

static void spoil_klm_sum(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(mkc, MKC(in), len, 3 * PAGE_SIZE);
}

static void spoil_klm_zero(struct cx_test *t, struct mk_desc *d, void *in, size_t *inlen)
{
	klm_of(in)[0].bcount = 0;
}

static const struct bad_mkey bad_mkeys[] = {
	{ "access mode KSM", false, spoil_mode, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_ACCESS_MODE },
	{ "UMR enabled", false, spoil_umr, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_MKEY_FLAGS },
	{ "remote read", false, spoil_remote, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_MKEY_FLAGS },
	{ "a QP number", false, spoil_qpn, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_MKEY_FLAGS },
	{ "umem", false, spoil_umem, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_MKEY_FLAGS },
	{ "octword sizes differ", false, spoil_octs, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRANSLATIONS },
	{ "mailbox longer than its entries", false, spoil_inlen,
	  MLX5_CMD_STAT_BAD_INP_LEN_ERR, CXDEV_SYN_INLEN },
	{ "unknown PD", false, spoil_pd, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_PD },
	{ "zero length", false, spoil_len0, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_MKEY_RANGE },
	{ "unaligned start", false, spoil_start, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_MKEY_RANGE },
	{ "page size 2K", false, spoil_page_size, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_PAGE_SIZE },
	{ "page size 2G", false, spoil_page_size_big, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_PAGE_SIZE },
	{ "longer than log_max_mrw_sz", false, spoil_too_long, MLX5_CMD_STAT_LIM_ERR,
	  CXDEV_SYN_MKEY_TOO_LONG },
	{ "fewer MTTs than pages", false, spoil_few_mtts, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRANSLATIONS },
	{ "MTT without rd_en", false, spoil_mtt_rd, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_MTT_ENTRY },
	{ "MTT without wr_en in a writable key", false, spoil_mtt_wr,
	  MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_MTT_ENTRY },
	{ "unaligned MTT address", false, spoil_mtt_align, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_MTT_ENTRY },
	{ "MTT with unknown flags", false, spoil_mtt_flags, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_MTT_ENTRY },
	{ "more KLMs than log_max_klm_list_size", true, spoil_klm_many, MLX5_CMD_STAT_LIM_ERR,
	  CXDEV_SYN_KLM_TOO_MANY },
	{ "KLM to a key that is not there", true, spoil_klm_key, MLX5_CMD_STAT_BAD_RES_ERR,
	  CXDEV_SYN_KLM_TARGET },
	{ "KLM past its key's end", true, spoil_klm_range, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_KLM_RANGE },
	{ "KLM before its key's start", true, spoil_klm_before, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_KLM_RANGE },
	{ "KLM starting beyond its key", true, spoil_klm_beyond, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_KLM_RANGE },
	{ "KLMs longer than the key", true, spoil_klm_sum, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_KLM_LENGTH },
	{ "KLM of zero bytes", true, spoil_klm_zero, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_KLM_LENGTH },
	{ "length64 on a direct key", false, spoil_length64, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_MKEY_RANGE },
};

KUNIT_ARRAY_PARAM_DESC(bad_mkeys, bad_mkeys, name);

/* The good key, then one thing wrong with it: refused, and nothing stays. */
static void cx_mkey_bad(struct kunit *test)
{
	const struct bad_mkey *bad = test->param_value;
	struct cx_test *t = test->priv;
	u32 direct = 0, syn;
	struct mk_desc d;
	size_t inlen;
	void *in;
	u8 st;

	mk_direct_desc(t, &d);
	if (bad->indirect) {
		direct = mk_create(test, t, &d, &st, &syn);
		KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);
		memset(&d, 0, sizeof(d));
		d.indirect = true;
		d.lr = true;
		d.len = 2 * PAGE_SIZE;
		d.n = 2;
		d.klm[0].key = direct;
		d.klm[0].va = IOVA;
		d.klm[0].len = PAGE_SIZE;
		d.klm[1].key = direct;
		d.klm[1].va = IOVA + 3 * PAGE_SIZE;
		d.klm[1].len = PAGE_SIZE;
	}
	/* Unspoilt, the command succeeds: the spoil is what fails it. */
	in = mk_build(test, t, &d, &inlen);
	KUNIT_ASSERT_EQ(test, cx_run(t, in, inlen, &syn), MLX5_CMD_STAT_OK);
	KUNIT_ASSERT_EQ(test, mk_destroy(t, MLX5_GET(create_mkey_out, t->out, mkey_index) << 8,
					 &syn), MLX5_CMD_STAT_OK);

	bad->spoil(t, &d, in, &inlen);
	st = cx_run(t, in, inlen, &syn);
	KUNIT_EXPECT_EQ(test, st, bad->status);
	KUNIT_EXPECT_EQ(test, syn, bad->syndrome);
	/* A failed command returns nothing but its status and syndrome. */
	KUNIT_EXPECT_EQ(test, MLX5_GET(create_mkey_out, t->out, mkey_index), 0);
	if (direct)
		KUNIT_EXPECT_EQ(test, mk_destroy(t, direct, &syn), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 1);	/* the fixture's PD */
	t->cx = NULL;
}

/* ---- virtio net queue objects ---- */

#define VQ_INLEN MLX5_ST_SZ_BYTES(create_virtio_net_q_in)

/* A good create_virtio_net_q_in: split, 16 entries, MSI-X, through @key. */
static void vq_build(struct cx_test *t, void *in, u32 key, u16 index)
{
	void *obj = MLX5_ADDR_OF(create_virtio_net_q_in, in, obj_context);
	void *q = MLX5_ADDR_OF(virtio_net_q_object, obj, virtio_q_context);

	memset(in, 0, VQ_INLEN);
	MLX5_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_OBJ_TYPE_VIRTIO_NET_Q);
	MLX5_SET(virtio_q, q, virtio_q_type, MLX5_VIRTIO_EMULATION_VIRTIO_QUEUE_TYPE_SPLIT);
	MLX5_SET(virtio_q, q, event_mode, MLX5_VIRTIO_Q_EVENT_MODE_MSIX_MODE);
	MLX5_SET(virtio_q, q, event_qpn_or_msix, index);
	MLX5_SET(virtio_q, q, queue_index, index);
	MLX5_SET(virtio_q, q, doorbell_stride_index, index);
	MLX5_SET(virtio_q, q, queue_size, 16);
	MLX5_SET(virtio_q, q, virtio_version_1_0, 1);
	MLX5_SET64(virtio_q, q, desc_addr, IOVA);
	MLX5_SET64(virtio_q, q, available_addr, IOVA + PAGE_SIZE);
	MLX5_SET64(virtio_q, q, used_addr, IOVA + 2 * PAGE_SIZE);
	MLX5_SET(virtio_q, q, virtio_q_mkey, key);
	MLX5_SET(virtio_q, q, pd, t->pd);
	MLX5_SET(virtio_net_q_object, obj, hw_available_index, 7);
	MLX5_SET(virtio_net_q_object, obj, hw_used_index, 7);
}

/* QUERY, MODIFY or DESTROY of object @id; MODIFY's context from @in if given. */
static u8 vq_cmd(struct cx_test *t, u16 opcode, u32 id, void *in, u32 *syndrome)
{
	u32 hdr[MLX5_ST_SZ_DW(general_obj_in_cmd_hdr)] = {};
	void *mbox = in ? in : hdr;

	MLX5_SET(general_obj_in_cmd_hdr, mbox, opcode, opcode);
	MLX5_SET(general_obj_in_cmd_hdr, mbox, obj_type, MLX5_OBJ_TYPE_VIRTIO_NET_Q);
	MLX5_SET(general_obj_in_cmd_hdr, mbox, obj_id, id);
	return cx_run(t, mbox, in ? VQ_INLEN : sizeof(hdr), syndrome);
}

static u8 vq_modify(struct cx_test *t, u32 id, u64 sel, u8 state, u32 key, u32 *syndrome)
{
	u32 in[MLX5_ST_SZ_DW(modify_virtio_net_q_in)] = {};
	void *obj = MLX5_ADDR_OF(modify_virtio_net_q_in, in, obj_context);
	void *q = MLX5_ADDR_OF(virtio_net_q_object, obj, virtio_q_context);

	MLX5_SET64(virtio_net_q_object, obj, modify_field_select, sel);
	MLX5_SET(virtio_net_q_object, obj, state, state);
	MLX5_SET(virtio_q, q, virtio_q_mkey, key);
	return vq_cmd(t, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, id, in, syndrome);
}

static u8 vq_state(struct kunit *test, struct cx_test *t, u32 id)
{
	void *obj = MLX5_ADDR_OF(query_virtio_net_q_out, t->out, obj_context);
	u32 syn;

	KUNIT_EXPECT_EQ(test, vq_cmd(t, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, id, NULL, &syn),
			MLX5_CMD_STAT_OK);
	return MLX5_GET(virtio_net_q_object, obj, state);
}

/*
 * A queue's life: INIT -> RDY -> SUSPEND -> RDY, what each state allows,
 * the key held while the queue exists, and the index kept across states.
 */
static void cx_vq_states(struct kunit *test)
{
	const u64 st = MLX5_VIRTQ_MODIFY_MASK_STATE, mk = MLX5_VIRTQ_MODIFY_MASK_VIRTIO_Q_MKEY;
	struct cx_test *t = test->priv;
	u32 in[MLX5_ST_SZ_DW(create_virtio_net_q_in)];
	void *obj = MLX5_ADDR_OF(query_virtio_net_q_out, t->out, obj_context);
	struct mk_desc d;
	u32 key, key2, id, syn;
	u8 status;

	mk_direct_desc(t, &d);
	key = mk_create(test, t, &d, &status, &syn);
	KUNIT_ASSERT_EQ(test, status, MLX5_CMD_STAT_OK);
	key2 = mk_create(test, t, &d, &status, &syn);
	KUNIT_ASSERT_EQ(test, status, MLX5_CMD_STAT_OK);
	vq_build(t, in, key, 1);
	KUNIT_ASSERT_EQ(test, cx_run(t, in, VQ_INLEN, &syn), MLX5_CMD_STAT_OK);
	id = MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id);
	KUNIT_EXPECT_NE(test, id, 0);
	KUNIT_EXPECT_EQ(test, vq_state(test, t, id), MLX5_VIRTIO_NET_Q_OBJECT_STATE_INIT);
	KUNIT_EXPECT_EQ(test, MLX5_GET(virtio_net_q_object, obj, hw_available_index), 7);

	/* The same queue index twice is refused. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_VQ_INDEX,
		   cx_run(t, in, VQ_INLEN, &__syn));
	/* INIT cannot suspend; a key in use cannot go. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_SYS_STATE_ERR, CXDEV_SYN_VQ_STATE,
		   vq_modify(t, id, st, MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND, 0, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_RES_BUSY, CXDEV_SYN_MKEY_BUSY,
		   mk_destroy(t, key, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_VQ_MODIFY,
		   vq_modify(t, id, BIT_ULL(3), 0, 0, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_MKEY,
		   vq_modify(t, id, mk, 0, key ^ 1, &__syn));

	/* The driver's side of the ring: avail index 7, as the object says. */
	*(__le16 *)(page_address(t->pages[1]) + 2) = cpu_to_le16(7);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0,
		   vq_modify(t, id, st, MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY, 0, &__syn));
	KUNIT_EXPECT_EQ(test, vq_state(test, t, id), MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY);
	/* Running: only the state may change. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_SYS_STATE_ERR, CXDEV_SYN_VQ_STATE,
		   vq_modify(t, id, mk, 0, key2, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_SYS_STATE_ERR, CXDEV_SYN_VQ_STATE,
		   vq_modify(t, id, st, MLX5_VIRTIO_NET_Q_OBJECT_STATE_INIT, 0, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0,
		   vq_modify(t, id, st, MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND, 0, &__syn));
	/* Suspended: a new key and back to RDY in one modify; the old key is free. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0,
		   vq_modify(t, id, st | mk, MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY, key2, &__syn));
	KUNIT_EXPECT_EQ(test, vq_state(test, t, id), MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY);
	KUNIT_EXPECT_EQ(test, MLX5_GET(virtio_q, MLX5_ADDR_OF(virtio_net_q_object, obj,
							      virtio_q_context), virtio_q_mkey),
			key2);
	KUNIT_EXPECT_EQ(test, MLX5_GET(virtio_net_q_object, obj, hw_available_index), 7);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0, mk_destroy(t, key, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_RES_BUSY, CXDEV_SYN_MKEY_BUSY,
		   mk_destroy(t, key2, &__syn));

	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0,
		   vq_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, id, NULL, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_OBJ,
		   vq_cmd(t, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, id, NULL, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0, mk_destroy(t, key2, &__syn));
	/* A queue and a key left at teardown are counted with the PD. */
	key = mk_create(test, t, &d, &status, &syn);
	vq_build(t, in, key, 0);
	KUNIT_ASSERT_EQ(test, cx_run(t, in, VQ_INLEN, &syn), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 3);
	t->cx = NULL;
}

struct bad_vq {
	const char *name;
	void (*spoil)(void *in);
	u8 status;
	u32 syndrome;
};

#define VQ_OBJ(in) MLX5_ADDR_OF(create_virtio_net_q_in, in, obj_context)
#define VQ_Q(in) MLX5_ADDR_OF(virtio_net_q_object, VQ_OBJ(in), virtio_q_context)

static void spoil_vq_type(void *in)
{
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_OBJ_TYPE_VIRTIO_Q_COUNTERS);
}

static void spoil_vq_obj_id(void *in)
{
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_id, 5);
}

static void spoil_vq_state(void *in)
{
	MLX5_SET(virtio_net_q_object, VQ_OBJ(in), state, MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY);
}

static void spoil_vq_version(void *in)
{
	MLX5_SET(virtio_q, VQ_Q(in), virtio_version_1_0, 0);
}

static void spoil_vq_umem(void *in)
{
	MLX5_SET(virtio_q, VQ_Q(in), umem_2_id, 9);
}

static void spoil_vq_features(void *in)
{
	MLX5_SET(virtio_net_q_object, VQ_OBJ(in), queue_feature_bit_mask_12_3, 1);
}

static void spoil_vq_ring_type(void *in)
{
	MLX5_SET(virtio_q, VQ_Q(in), virtio_q_type, 2);
}

static void spoil_vq_event_qp(void *in)
{
	MLX5_SET(virtio_q, VQ_Q(in), event_mode, MLX5_VIRTIO_Q_EVENT_MODE_QP_MODE);
}

static void spoil_vq_vector(void *in)
{
	MLX5_SET(virtio_q, VQ_Q(in), event_qpn_or_msix, CXEMU_MAX_VQS);
}

static void spoil_vq_index(void *in)
{
	MLX5_SET(virtio_q, VQ_Q(in), queue_index, CXEMU_MAX_VQS);
	MLX5_SET(virtio_q, VQ_Q(in), doorbell_stride_index, CXEMU_MAX_VQS);
}

static void spoil_vq_stride(void *in)
{
	MLX5_SET(virtio_q, VQ_Q(in), doorbell_stride_index, 2);
}

static void spoil_vq_size(void *in)
{
	MLX5_SET(virtio_q, VQ_Q(in), queue_size, 24);
}

static void spoil_vq_pd(void *in)
{
	MLX5_SET(virtio_q, VQ_Q(in), pd, 77);
}

static void spoil_vq_mkey(void *in)
{
	MLX5_SET(virtio_q, VQ_Q(in), virtio_q_mkey, 0x12345);
}

static const struct bad_vq bad_vqs[] = {
	{ "object type not a virtio net queue", spoil_vq_type, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_OBJ_TYPE },
	{ "create naming an object id", spoil_vq_obj_id, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_VQ_FIELDS },
	{ "created in RDY", spoil_vq_state, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_VQ_FIELDS },
	{ "not virtio 1.0", spoil_vq_version, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_VQ_FIELDS },
	{ "a umem", spoil_vq_umem, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_VQ_FIELDS },
	{ "queue feature bits", spoil_vq_features, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_VQ_FIELDS },
	{ "unknown ring type", spoil_vq_ring_type, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_VQ_TYPE },
	{ "QP event mode", spoil_vq_event_qp, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_VQ_EVENT },
	{ "vector out of range", spoil_vq_vector, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_VQ_EVENT },
	{ "queue index out of range", spoil_vq_index, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_VQ_INDEX },
	{ "doorbell stride index not the queue's", spoil_vq_stride,
	  MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_VQ_INDEX },
	{ "split size not a power of 2", spoil_vq_size, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_VQ_SIZE },
	{ "PD not allocated", spoil_vq_pd, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_PD },
	{ "key not there", spoil_vq_mkey, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_MKEY },
};

KUNIT_ARRAY_PARAM_DESC(bad_vqs, bad_vqs, name);

/* The good queue, then one thing wrong with it: refused, and nothing stays. */
static void cx_vq_bad(struct kunit *test)
{
	const struct bad_vq *bad = test->param_value;
	struct cx_test *t = test->priv;
	u32 in[MLX5_ST_SZ_DW(create_virtio_net_q_in)];
	struct mk_desc d;
	u32 key, syn;
	u8 st;

	mk_direct_desc(t, &d);
	key = mk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);
	vq_build(t, in, key, 1);
	KUNIT_ASSERT_EQ(test, cx_run(t, in, VQ_INLEN, &syn), MLX5_CMD_STAT_OK);
	KUNIT_ASSERT_EQ(test, vq_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT,
				     MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id), NULL,
				     &syn), MLX5_CMD_STAT_OK);

	vq_build(t, in, key, 1);
	bad->spoil(in);
	st = cx_run(t, in, VQ_INLEN, &syn);
	KUNIT_EXPECT_EQ(test, st, bad->status);
	KUNIT_EXPECT_EQ(test, syn, bad->syndrome);
	KUNIT_EXPECT_EQ(test, MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id), 0);
	KUNIT_EXPECT_EQ(test, mk_destroy(t, key, &syn), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 1);	/* the fixture's PD */
	t->cx = NULL;
}

/* A physical key reaches allocated pages at their address; its shape is fixed. */
static void cx_mkey_physical(struct kunit *test)
{
	struct cx_test *t = test->priv;
	u32 in[MLX5_ST_SZ_DW(create_mkey_in)] = {};
	void *mkc = MLX5_ADDR_OF(create_mkey_in, in, memory_key_mkey_entry);
	phys_addr_t pa = page_to_phys(t->pages[2]);
	u32 syn, key;
	void *va;

	MLX5_SET(create_mkey_in, in, opcode, MLX5_CMD_OP_CREATE_MKEY);
	MLX5_SET(mkc, mkc, access_mode_1_0, MLX5_MKC_ACCESS_MODE_PA);
	MLX5_SET(mkc, mkc, lr, 1);
	MLX5_SET(mkc, mkc, qpn, 0xffffff);
	MLX5_SET(mkc, mkc, pd, t->pd);
	/* Without length64, or with a start, it is refused. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_MKEY_RANGE,
		   cx_run(t, in, sizeof(in), &__syn));
	MLX5_SET(mkc, mkc, length64, 1);
	MLX5_SET64(mkc, mkc, start_addr, PAGE_SIZE);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_MKEY_RANGE,
		   cx_run(t, in, sizeof(in), &__syn));
	MLX5_SET64(mkc, mkc, start_addr, 0);
	KUNIT_ASSERT_EQ(test, cx_run(t, in, sizeof(in), &syn), MLX5_CMD_STAT_OK);
	key = MLX5_GET(create_mkey_out, t->out, mkey_index) << 8;
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, key, pa + 16, 32, false, &va), 32);
	KUNIT_EXPECT_PTR_EQ(test, va, page_address(t->pages[2]) + 16);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_translate(t->cx, key, pa, 8, true, &va), -EACCES);
	KUNIT_EXPECT_EQ(test, mk_destroy(t, key, &syn), MLX5_CMD_STAT_OK);
}

/* fail_cmd fails the chosen opcode, the given number of times. */
static void cx_fault_injection(struct kunit *test)
{
	struct cx_test *t = test->priv;

	cxemu_kunit_fail(MLX5_CMD_OP_ALLOC_UAR, 0, 1);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0,
		   cx_simple(t, MLX5_CMD_OP_ALLOC_PD, 0, 16, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_INT_ERR, CXDEV_SYN_INJECTED,
		   cx_simple(t, MLX5_CMD_OP_ALLOC_UAR, 0, 16, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0,
		   cx_simple(t, MLX5_CMD_OP_ALLOC_UAR, 0, 16, &__syn));
	/* Two PDs and a UAR left behind are counted. */
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 3);
	t->cx = NULL;
}

/* ---- page trackers ---- */

/*
 * The report queue lives in the fixture's pages, through their direct
 * key: four 1 KiB message buffers in page 0, the completions and the
 * doorbell record in page 1.
 */
#define TK_LOG_SIZE 2
#define TK_SLOTS BIT(TK_LOG_SIZE)
#define TK_LOG_STRIDE 10
#define TK_BUF IOVA
#define TK_CQE (IOVA + PAGE_SIZE)
#define TK_DBR (IOVA + PAGE_SIZE + 0x100)
#define TK_RQ_INLEN (MLX5_ST_SZ_BYTES(general_obj_in_cmd_hdr) + sizeof(struct cxdev_track_rq))
#define TK_SEL (CXDEV_PAGE_TRACK_SELECT_STATE | CXDEV_PAGE_TRACK_SELECT_RANGE)
#define TK_MAX_ADDRS 64

/* A driver's side of one report queue and tracker. */
struct tk {
	u32 key;
	u32 rq;
	u32 tracker;
	u32 posted;
	u32 consumed;
	u8 *buf;
	struct cxdev_track_cqe *cqe;
	struct cxdev_track_dbr *dbr;
};

struct tk_range {
	u64 start;
	u64 len;
};

/* A tracker as the test asks for it. */
struct tk_desc {
	u32 n;
	struct tk_range r[4];
	u8 log_page;
	u8 log_msg;
	u8 log_space;
	u32 rq;
};

static void tk_rq_desc(struct cx_test *t, struct cxdev_track_rq *c, u32 key)
{
	memset(c, 0, sizeof(*c));
	c->mkey = cpu_to_be32(key);
	c->pd = cpu_to_be32(t->pd);
	c->log_size = TK_LOG_SIZE;
	c->log_stride = TK_LOG_STRIDE;
	c->buf_addr = cpu_to_be64(TK_BUF);
	c->cqe_addr = cpu_to_be64(TK_CQE);
	c->dbr_addr = cpu_to_be64(TK_DBR);
}

static u8 tk_rq_run(struct cx_test *t, const struct cxdev_track_rq *c, size_t inlen,
		    u32 *syndrome)
{
	u32 in[DIV_ROUND_UP(TK_RQ_INLEN, 4) + 4] = {};

	MLX5_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type, CXDEV_OBJ_TYPE_TRACK_RQ);
	memcpy((u8 *)in + MLX5_ST_SZ_BYTES(general_obj_in_cmd_hdr), c, sizeof(*c));
	return cx_run(t, in, inlen, syndrome);
}

/* A good report queue over the fixture's pages; its id. */
static u32 tk_rq_create(struct kunit *test, struct cx_test *t, u32 key)
{
	struct cxdev_track_rq c;
	u32 syn;

	tk_rq_desc(t, &c, key);
	KUNIT_ASSERT_EQ(test, tk_rq_run(t, &c, TK_RQ_INLEN, &syn), MLX5_CMD_STAT_OK);
	return MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id);
}

/* The fixture's key and a report queue in its pages, nothing posted. */
static struct tk *tk_setup(struct kunit *test, struct cx_test *t)
{
	struct tk *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct mk_desc d;
	u8 st;
	u32 syn;

	KUNIT_ASSERT_NOT_NULL(test, k);
	mk_direct_desc(t, &d);
	k->key = mk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);
	k->rq = tk_rq_create(test, t, k->key);
	k->buf = page_address(t->pages[0]);
	k->cqe = page_address(t->pages[1]);
	k->dbr = page_address(t->pages[1]) + 0x100;
	/* What the function does not write must stay as it was. */
	memset(k->buf, 0xa5, PAGE_SIZE);
	return k;
}

/* Two ranges: 16 pages at 1 MiB, 4 pages at 4 MiB; 4 KiB pages, 8 per message. */
static void tk_good(struct tk *k, struct tk_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->n = 2;
	d->r[0].start = 0x100000;
	d->r[0].len = 16 * SZ_4K;
	d->r[1].start = 0x400000;
	d->r[1].len = 4 * SZ_4K;
	d->log_page = 12;
	d->log_msg = 6;
	d->log_space = 20;
	d->rq = k->rq;
}

#define TK_OBJ(in) MLX5_ADDR_OF(create_page_track_obj_in, in, obj_context)
#define TK_RANGE(in, i) (MLX5_ADDR_OF(page_track, TK_OBJ(in), track_range) + \
			 (i) * MLX5_ST_SZ_BYTES(page_track_range))

/* create_page_track_obj_in for @d in a new buffer; *inlen its size. */
static void *tk_build(struct kunit *test, const struct tk_desc *d, size_t *inlen)
{
	void *in, *obj;
	u32 i;

	*inlen = MLX5_ST_SZ_BYTES(create_page_track_obj_in) +
		 d->n * MLX5_ST_SZ_BYTES(page_track_range);
	in = kunit_kzalloc(test, *inlen + 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, in);
	MLX5_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_OBJ_TYPE_PAGE_TRACK);
	obj = TK_OBJ(in);
	MLX5_SET(page_track, obj, track_type, CXDEV_PAGE_TRACK_TYPE_WRITE);
	MLX5_SET(page_track, obj, log_addr_space_size, d->log_space);
	MLX5_SET(page_track, obj, log_page_size, d->log_page);
	MLX5_SET(page_track, obj, log_msg_size, d->log_msg);
	MLX5_SET(page_track, obj, reporting_qpn, d->rq);
	MLX5_SET(page_track, obj, num_ranges, d->n);
	for (i = 0; i < d->n; i++) {
		MLX5_SET64(page_track_range, TK_RANGE(in, i), start_address, d->r[i].start);
		MLX5_SET64(page_track_range, TK_RANGE(in, i), length, d->r[i].len);
	}
	return in;
}

/* Create @d; its id, 0 on failure. */
static u32 tk_create(struct kunit *test, struct cx_test *t, const struct tk_desc *d, u8 *status,
		     u32 *syndrome)
{
	size_t inlen;
	void *in = tk_build(test, d, &inlen);

	*status = cx_run(t, in, inlen, syndrome);
	return *status == MLX5_CMD_STAT_OK ? MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id) : 0;
}

/* Create @d, expecting a failure: its status. */
static u8 tk_try(struct kunit *test, struct cx_test *t, const struct tk_desc *d, u32 *syndrome)
{
	u8 st;

	tk_create(test, t, d, &st, syndrome);
	return st;
}

/* A header-only command (QUERY, DESTROY, or a bare MODIFY) on an object. */
static u8 tk_cmd(struct cx_test *t, u16 opcode, u16 type, u32 id, u32 *syndrome)
{
	u32 in[MLX5_ST_SZ_DW(general_obj_in_cmd_hdr)] = {};

	MLX5_SET(general_obj_in_cmd_hdr, in, opcode, opcode);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type, type);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_id, id);
	return cx_run(t, in, sizeof(in), syndrome);
}

#define TK_MOD_DW MLX5_ST_SZ_DW(modify_page_track_obj_in)
#define TK_MOD_OBJ(in) MLX5_ADDR_OF(modify_page_track_obj_in, in, obj_context)

static void tk_modify_build(u32 *in, u32 id, u64 sel, u8 state, u64 start, u64 len)
{
	void *obj = TK_MOD_OBJ(in);

	memset(in, 0, TK_MOD_DW * 4);
	MLX5_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_OBJ_TYPE_PAGE_TRACK);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_id, id);
	MLX5_SET64(page_track, obj, modify_field_select, sel);
	MLX5_SET(page_track, obj, state, state);
	MLX5_SET64(page_track, obj, range_start_address, start);
	MLX5_SET64(page_track, obj, length, len);
}

static u8 tk_modify(struct cx_test *t, u32 id, u64 sel, u8 state, u64 start, u64 len,
		    u32 *syndrome)
{
	u32 in[TK_MOD_DW];

	tk_modify_build(in, id, sel, state, start, len);
	return cx_run(t, in, sizeof(in), syndrome);
}

/* A report of [@start, @start + @len). */
static u8 tk_report(struct cx_test *t, struct tk *k, u64 start, u64 len, u32 *syndrome)
{
	return tk_modify(t, k->tracker, TK_SEL, MLX5_PAGE_TRACK_STATE_REPORTING, start, len,
			 syndrome);
}

#define TK_Q_OBJ(out) MLX5_ADDR_OF(query_page_track_obj_out, out, obj_context)
#define TK_Q_RANGE(out, i) (MLX5_ADDR_OF(page_track, TK_Q_OBJ(out), track_range) + \
			    (i) * MLX5_ST_SZ_BYTES(page_track_range))

static u8 tk_state(struct kunit *test, struct cx_test *t, u32 id)
{
	u32 syn;

	KUNIT_EXPECT_EQ(test, tk_cmd(t, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK,
				     id, &syn), MLX5_CMD_STAT_OK);
	return MLX5_GET(page_track, TK_Q_OBJ(t->out), state);
}

/* Post buffers up to a full queue (the driver's step 4). */
static void tk_post_all(struct tk *k)
{
	k->posted = k->consumed + TK_SLOTS;
	WRITE_ONCE(k->dbr->posted, cpu_to_be32(k->posted));
}

static void tk_post(struct tk *k, u32 n)
{
	k->posted += n;
	WRITE_ONCE(k->dbr->posted, cpu_to_be32(k->posted));
}

/*
 * Take the completions the function wrote: their addresses appended to
 * @addrs at *@n, the state of the last in *@state. Returns how many.
 */
static u32 tk_take(struct kunit *test, struct tk *k, u64 *addrs, u32 *n, u8 *state)
{
	u32 done = be32_to_cpu(READ_ONCE(k->dbr->completed)), taken = 0, slot, count, i;
	struct cxdev_track_cqe *c;
	__be64 *msg;

	/* The count first, then what it counts (the function wrote them in that order). */
	smp_rmb();
	for (; k->consumed != done; k->consumed++, taken++) {
		slot = k->consumed & (TK_SLOTS - 1);
		c = &k->cqe[slot];
		msg = (__be64 *)(k->buf + (slot << TK_LOG_STRIDE));
		count = be32_to_cpu(c->count);
		KUNIT_EXPECT_EQ(test, be16_to_cpu(c->seq), (u16)k->consumed);
		KUNIT_ASSERT_LE(test, *n + count, TK_MAX_ADDRS);
		for (i = 0; i < count; i++)
			addrs[(*n)++] = be64_to_cpu(msg[i]);
		*state = c->state;
	}
	return taken;
}

/* A whole report of [@start, @start + @len), reposting as it goes; addresses it gave. */
static u32 tk_read(struct kunit *test, struct cx_test *t, struct tk *k, u64 start, u64 len,
		   u64 *addrs)
{
	u8 state = MLX5_PAGE_TRACK_STATE_REPORTING;
	u32 n = 0, syn;
	int rounds;

	KUNIT_ASSERT_EQ(test, tk_report(t, k, start, len, &syn), MLX5_CMD_STAT_OK);
	for (rounds = 0; state == MLX5_PAGE_TRACK_STATE_REPORTING && rounds < 32; rounds++) {
		tk_post_all(k);
		cxemu_kunit_track_run(t->cx);
		tk_take(test, k, addrs, &n, &state);
	}
	KUNIT_EXPECT_EQ(test, state, MLX5_PAGE_TRACK_STATE_TRACKING);
	KUNIT_EXPECT_EQ(test, tk_state(test, t, k->tracker), MLX5_PAGE_TRACK_STATE_TRACKING);
	return n;
}

/* The fixture, a report queue and the good tracker. */
static struct tk *tk_start(struct kunit *test, struct cx_test *t)
{
	struct tk *k = tk_setup(test, t);
	struct tk_desc d;
	u32 syn;
	u8 st;

	tk_good(k, &d);
	k->tracker = tk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);
	KUNIT_ASSERT_NE(test, k->tracker, 0);
	return k;
}

/* Writes in and around the good tracker's ranges; tk_dirty_want what it logs. */
static void tk_dirty(struct cx_test *t)
{
	cxemu_kunit_dirty(t->cx, 0x100010, 8);
	cxemu_kunit_dirty(t->cx, 0x102ff8, 16);		/* two pages */
	cxemu_kunit_dirty(t->cx, 0x0ffffe, 4);		/* the first page, and before */
	cxemu_kunit_dirty(t->cx, 0x110000, SZ_4K);	/* just past the first range */
	cxemu_kunit_dirty(t->cx, 0x403000, 1);		/* the last tracked page */
	cxemu_kunit_dirty(t->cx, 0x3ff000, 0x2000);	/* before, into the second range */
	cxemu_kunit_dirty(t->cx, 0x105000, 3 * SZ_4K);
	cxemu_kunit_dirty(t->cx, 0x108800, 3 * SZ_4K);	/* unaligned: four pages */
	cxemu_kunit_dirty(t->cx, 0x200000, SZ_1M);	/* between the ranges */
}

static const u64 tk_dirty_want[] = {
	0x100000, 0x102000, 0x103000, 0x105000, 0x106000, 0x107000,
	0x108000, 0x109000, 0x10a000, 0x10b000, 0x400000, 0x403000,
};

static void tk_expect_addrs(struct kunit *test, const u64 *got, u32 n, const u64 *want,
			    u32 nwant)
{
	u32 i;

	KUNIT_EXPECT_EQ(test, n, nwant);
	for (i = 0; i < min(n, nwant); i++)
		KUNIT_EXPECT_EQ_MSG(test, got[i], want[i], "address %u", i);
}

/* Record of the events the function raised. */
struct tk_events {
	int n[4];
	u32 data[4];
};

static void tk_event(void *ctx, enum cxdev_event event, u32 data)
{
	struct tk_events *e = ctx;

	if ((unsigned int)event < ARRAY_SIZE(e->n)) {
		e->n[event]++;
		e->data[event] = data;
	}
}

/* Record the function's events from now on, into memory that outlives the function. */
static struct tk_events *tk_events(struct kunit *test, struct cx_test *t)
{
	struct tk_events *ev = kunit_kzalloc(test, sizeof(*ev), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ev);
	t->cx->ops->set_events(t->cx, tk_event, ev);
	return ev;
}

/* The tracker's limits come back in adv_virtualization_cap and follow the knobs. */
static void cx_track_caps(struct kunit *test)
{
	struct cx_test *t = test->priv;
	size_t inlen = MLX5_ST_SZ_BYTES(query_hca_cap_in), outlen;
	u32 in[MLX5_ST_SZ_DW(query_hca_cap_in)] = {};
	struct cxemu_limits *l = cxemu_kunit_limits(t->cx);
	struct cxdev_track_rq c;
	void *out, *cap;

	outlen = MLX5_ST_SZ_BYTES(query_hca_cap_out);
	out = kunit_kzalloc(test, outlen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out);
	cap = MLX5_ADDR_OF(query_hca_cap_out, out, capability);
	MLX5_SET(query_hca_cap_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	MLX5_SET(query_hca_cap_in, in, op_mod, MLX5_CAP_GENERAL << 1 | HCA_CAP_OPMOD_GET_CUR);
	KUNIT_ASSERT_EQ(test, t->cx->ops->exec(t->cx, in, inlen, out, outlen), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET(cmd_hca_cap, cap, adv_virtualization), 1);

	MLX5_SET(query_hca_cap_in, in, op_mod,
		 MLX5_CAP_ADV_VIRTUALIZATION << 1 | HCA_CAP_OPMOD_GET_CUR);
	KUNIT_ASSERT_EQ(test, t->cx->ops->exec(t->cx, in, inlen, out, outlen), 0);
	KUNIT_ASSERT_EQ(test, MLX5_GET(query_hca_cap_out, out, status), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_log_max_num), 2);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_max_num_range), 4);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_log_min_addr_space),
			12);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_log_max_addr_space),
			39);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_log_min_msg_size), 6);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_log_max_msg_size),
			12);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_log_min_page_size),
			12);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_log_max_page_size),
			21);

	/* An odd device: one range, 64 KiB pages at least, a 1 MiB space at most. */
	l->pg_track_max_num_range = 1;
	l->pg_track_log_min_page_size = 16;
	l->pg_track_log_max_addr_space = 20;
	KUNIT_ASSERT_EQ(test, t->cx->ops->exec(t->cx, in, inlen, out, outlen), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_max_num_range), 1);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_log_min_page_size),
			16);
	KUNIT_EXPECT_EQ(test, MLX5_GET(adv_virtualization_cap, cap, pg_track_log_max_addr_space),
			20);

	/* No ranges: no tracker, no capability page, no objects. */
	l->pg_track_max_num_range = 0;
	KUNIT_ASSERT_EQ(test, t->cx->ops->exec(t->cx, in, inlen, out, outlen), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET(query_hca_cap_out, out, status),
			MLX5_CMD_STAT_BAD_PARAM_ERR);
	KUNIT_EXPECT_EQ(test, MLX5_GET(query_hca_cap_out, out, syndrome), CXDEV_SYN_CAP_TYPE);
	MLX5_SET(query_hca_cap_in, in, op_mod, MLX5_CAP_GENERAL << 1 | HCA_CAP_OPMOD_GET_CUR);
	KUNIT_ASSERT_EQ(test, t->cx->ops->exec(t->cx, in, inlen, out, outlen), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET(cmd_hca_cap, cap, adv_virtualization), 0);
	tk_rq_desc(t, &c, 0);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_OBJ_TYPE,
		   tk_rq_run(t, &c, TK_RQ_INLEN, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_OBJ_TYPE,
		   tk_cmd(t, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK, 1,
			  &__syn));
}

/* ---- every bad tracker CREATE fails with its own status and syndrome ---- */

struct bad_tracker {
	const char *name;
	void (*spoil)(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen);
	u8 status;
	u32 syndrome;
};

static void spoil_tk_obj_id(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_id, 1);
}

static void spoil_tk_vhca(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), vhca_id, 2);
}

static void spoil_tk_state(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), state, MLX5_PAGE_TRACK_STATE_REPORTING);
}

static void spoil_tk_select(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(page_track, TK_OBJ(in), modify_field_select, TK_SEL);
}

static void spoil_tk_subrange(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(page_track, TK_OBJ(in), length, SZ_4K);
}

static void spoil_tk_type(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), track_type, 0);
}

static void spoil_tk_no_ranges(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), num_ranges, 0);
	*inlen = MLX5_ST_SZ_BYTES(create_page_track_obj_in);
}

static void spoil_tk_many_ranges(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	cxemu_kunit_limits(t->cx)->pg_track_max_num_range = 1;
}

static void spoil_tk_inlen(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	*inlen -= MLX5_ST_SZ_BYTES(page_track_range);
}

static void spoil_tk_page_small(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), log_page_size, 11);
}

static void spoil_tk_page_big(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), log_page_size, 22);
}

static void spoil_tk_page_min(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	cxemu_kunit_limits(t->cx)->pg_track_log_min_page_size = 16;
}

static void spoil_tk_msg_small(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), log_msg_size, 5);
}

static void spoil_tk_msg_big(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), log_msg_size, 13);
}

static void spoil_tk_msg_stride(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), log_msg_size, TK_LOG_STRIDE + 1);
}

static void spoil_tk_space_small(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), log_addr_space_size, 11);
}

static void spoil_tk_space_big(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), log_addr_space_size, 40);
}

static void spoil_tk_span(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	/* 20 pages do not fit in 64 KiB. */
	MLX5_SET(page_track, TK_OBJ(in), log_addr_space_size, 16);
}

static void spoil_tk_rq(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET(page_track, TK_OBJ(in), reporting_qpn, d->rq + 1);
}

static void spoil_tk_start(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(page_track_range, TK_RANGE(in, 1), start_address, 0x400800);
}

static void spoil_tk_length(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(page_track_range, TK_RANGE(in, 0), length, 16 * SZ_4K + 8);
}

static void spoil_tk_empty(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(page_track_range, TK_RANGE(in, 1), length, 0);
}

static void spoil_tk_wrap(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(page_track_range, TK_RANGE(in, 1), start_address, 0ULL - 2 * SZ_4K);
}

static void spoil_tk_overlap(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(page_track_range, TK_RANGE(in, 1), start_address, 0x10f000);
}

static void spoil_tk_order(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	MLX5_SET64(page_track_range, TK_RANGE(in, 1), start_address, 0x80000);
}

static void spoil_tk_too_big(struct cx_test *t, struct tk_desc *d, void *in, size_t *inlen)
{
	/* 2^28 pages of 4 KiB: more than the model logs. */
	cxemu_kunit_limits(t->cx)->pg_track_log_max_addr_space = 48;
	MLX5_SET(page_track, TK_OBJ(in), log_addr_space_size, 48);
	MLX5_SET64(page_track_range, TK_RANGE(in, 1), length, 1ULL << 40);
}

static const struct bad_tracker bad_trackers[] = {
	{ "create naming an object id", spoil_tk_obj_id, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_FIELDS },
	{ "another function's vhca_id", spoil_tk_vhca, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_FIELDS },
	{ "created in REPORTING", spoil_tk_state, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_FIELDS },
	{ "modify_field_select on create", spoil_tk_select, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_FIELDS },
	{ "a report sub-range on create", spoil_tk_subrange, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_FIELDS },
	{ "unknown track_type", spoil_tk_type, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_TYPE },
	{ "no ranges", spoil_tk_no_ranges, MLX5_CMD_STAT_LIM_ERR, CXDEV_SYN_TRACK_NUM_RANGES },
	{ "more ranges than pg_track_max_num_range", spoil_tk_many_ranges, MLX5_CMD_STAT_LIM_ERR,
	  CXDEV_SYN_TRACK_NUM_RANGES },
	{ "mailbox without its last range", spoil_tk_inlen, MLX5_CMD_STAT_BAD_INP_LEN_ERR,
	  CXDEV_SYN_INLEN },
	{ "page below the minimum", spoil_tk_page_small, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_PAGE_SIZE },
	{ "page above the maximum", spoil_tk_page_big, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_PAGE_SIZE },
	{ "4 KiB page on a 64 KiB device", spoil_tk_page_min, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_PAGE_SIZE },
	{ "message below the minimum", spoil_tk_msg_small, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_MSG_SIZE },
	{ "message above the maximum", spoil_tk_msg_big, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_MSG_SIZE },
	{ "message larger than the queue's buffers", spoil_tk_msg_stride,
	  MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_TRACK_CHANNEL_SIZE },
	{ "address space below the minimum", spoil_tk_space_small, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_ADDR_SPACE },
	{ "address space above the maximum", spoil_tk_space_big, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_ADDR_SPACE },
	{ "ranges longer than the address space", spoil_tk_span, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_SPAN },
	{ "report queue not there", spoil_tk_rq, MLX5_CMD_STAT_BAD_RES_ERR,
	  CXDEV_SYN_TRACK_CHANNEL },
	{ "range start not page aligned", spoil_tk_start, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RANGE_ALIGN },
	{ "range length not page aligned", spoil_tk_length, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RANGE_ALIGN },
	{ "empty range", spoil_tk_empty, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RANGE_ALIGN },
	{ "range past 2^64", spoil_tk_wrap, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RANGE_OVERFLOW },
	{ "overlapping ranges", spoil_tk_overlap, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RANGE_ORDER },
	{ "ranges out of order", spoil_tk_order, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RANGE_ORDER },
	{ "more pages than the model logs", spoil_tk_too_big, MLX5_CMD_STAT_LIM_ERR,
	  CXDEV_SYN_TRACK_TOO_BIG },
};

KUNIT_ARRAY_PARAM_DESC(bad_trackers, bad_trackers, name);

/* The good tracker, then one thing wrong with it: refused, and nothing stays. */
static void cx_track_bad(struct kunit *test)
{
	const struct bad_tracker *bad = test->param_value;
	struct cx_test *t = test->priv;
	struct tk *k = tk_setup(test, t);
	struct tk_desc d;
	size_t inlen;
	void *in;
	u32 syn;
	u8 st;

	tk_good(k, &d);
	/* Unspoilt, the command succeeds: the spoil is what fails it. */
	in = tk_build(test, &d, &inlen);
	KUNIT_ASSERT_EQ(test, cx_run(t, in, inlen, &syn), MLX5_CMD_STAT_OK);
	KUNIT_ASSERT_EQ(test, tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT,
				     MLX5_OBJ_TYPE_PAGE_TRACK,
				     MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id), &syn),
			MLX5_CMD_STAT_OK);

	bad->spoil(t, &d, in, &inlen);
	st = cx_run(t, in, inlen, &syn);
	KUNIT_EXPECT_EQ(test, st, bad->status);
	KUNIT_EXPECT_EQ(test, syn, bad->syndrome);
	KUNIT_EXPECT_EQ(test, MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id), 0);
	/* The report queue was not taken, and no tracker is left to leak. */
	KUNIT_EXPECT_EQ(test, tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT,
				     CXDEV_OBJ_TYPE_TRACK_RQ, k->rq, &syn), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, mk_destroy(t, k->key, &syn), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 1);	/* the fixture's PD */
	t->cx = NULL;
}

/* ---- every bad report queue CREATE fails with its own status and syndrome ---- */

struct bad_track_rq {
	const char *name;
	void (*spoil)(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen);
	u8 status;
	u32 syndrome;
};

static void spoil_rq_inlen(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	*inlen -= 8;
}

static void spoil_rq_state(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->state = CXDEV_TRACK_RQ_STATE_ERR;
}

static void spoil_rq_posted(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->posted = cpu_to_be32(1);
}

static void spoil_rq_reserved(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->reserved1[1] = cpu_to_be64(1);
}

static void spoil_rq_size(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->log_size = CXDEV_TRACK_RQ_LOG_MAX_SIZE + 1;
}

static void spoil_rq_stride_small(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->log_stride = CXDEV_TRACK_RQ_LOG_MIN_STRIDE - 1;
}

static void spoil_rq_stride_big(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->log_stride = CXDEV_TRACK_RQ_LOG_MAX_STRIDE + 1;
}

static void spoil_rq_buf_align(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->buf_addr = cpu_to_be64(TK_BUF + 32);
}

static void spoil_rq_dbr_align(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->dbr_addr = cpu_to_be64(TK_DBR + 4);
}

static void spoil_rq_cqe_wrap(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->cqe_addr = cpu_to_be64(0ULL - 16);
}

static void spoil_rq_pd(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->pd = cpu_to_be32(t->pd + 1);
}

static void spoil_rq_key(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->mkey = cpu_to_be32(be32_to_cpu(c->mkey) + 0x100);
}

static void spoil_rq_dbr_out(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	c->dbr_addr = cpu_to_be64(IOVA + NPAGES * PAGE_SIZE);
}

static void spoil_rq_buf_out(struct cx_test *t, struct cxdev_track_rq *c, size_t *inlen)
{
	/* The last three buffers past the key's end. */
	c->buf_addr = cpu_to_be64(IOVA + NPAGES * PAGE_SIZE - BIT(TK_LOG_STRIDE));
}

static const struct bad_track_rq bad_track_rqs[] = {
	{ "mailbox shorter than its context", spoil_rq_inlen, MLX5_CMD_STAT_BAD_INP_LEN_ERR,
	  CXDEV_SYN_INLEN },
	{ "created in ERR", spoil_rq_state, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RQ_FIELDS },
	{ "created with buffers posted", spoil_rq_posted, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RQ_FIELDS },
	{ "reserved field set", spoil_rq_reserved, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RQ_FIELDS },
	{ "too many slots", spoil_rq_size, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_TRACK_RQ_SIZE },
	{ "buffers too small", spoil_rq_stride_small, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RQ_SIZE },
	{ "buffers too large", spoil_rq_stride_big, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RQ_SIZE },
	{ "buffers not 64-byte aligned", spoil_rq_buf_align, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RQ_ADDR },
	{ "record not 8-byte aligned", spoil_rq_dbr_align, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RQ_ADDR },
	{ "completions past 2^64", spoil_rq_cqe_wrap, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RQ_ADDR },
	{ "PD not allocated", spoil_rq_pd, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_PD },
	{ "key not there", spoil_rq_key, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_MKEY },
	{ "record outside the key", spoil_rq_dbr_out, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RQ_ACCESS },
	{ "buffers past the key's end", spoil_rq_buf_out, MLX5_CMD_STAT_BAD_PARAM_ERR,
	  CXDEV_SYN_TRACK_RQ_ACCESS },
};

KUNIT_ARRAY_PARAM_DESC(bad_track_rqs, bad_track_rqs, name);

/* The good report queue, then one thing wrong with it: refused, and nothing stays. */
static void cx_track_rq_bad(struct kunit *test)
{
	const struct bad_track_rq *bad = test->param_value;
	struct cx_test *t = test->priv;
	size_t inlen = TK_RQ_INLEN;
	struct cxdev_track_rq c;
	struct mk_desc d;
	u32 key, syn;
	u8 st;

	mk_direct_desc(t, &d);
	key = mk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);
	tk_rq_desc(t, &c, key);
	KUNIT_ASSERT_EQ(test, tk_rq_run(t, &c, inlen, &syn), MLX5_CMD_STAT_OK);
	KUNIT_ASSERT_EQ(test, tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, CXDEV_OBJ_TYPE_TRACK_RQ,
				     MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id), &syn),
			MLX5_CMD_STAT_OK);

	bad->spoil(t, &c, &inlen);
	st = tk_rq_run(t, &c, inlen, &syn);
	KUNIT_EXPECT_EQ(test, st, bad->status);
	KUNIT_EXPECT_EQ(test, syn, bad->syndrome);
	KUNIT_EXPECT_EQ(test, MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id), 0);
	/* The key was not taken. */
	KUNIT_EXPECT_EQ(test, mk_destroy(t, key, &syn), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 1);	/* the fixture's PD */
	t->cx = NULL;
}

/*
 * A tracker's life: QUERY echoes it, it holds its report queue and that
 * the key, it is one of at most 2^pg_track_log_max_num, MODIFY refuses
 * all but TRACKING -> REPORTING of an aligned sub-range, DESTROY works in
 * any state, and whatever is left at teardown is counted.
 */
static void cx_track_objects(struct kunit *test)
{
	struct cx_test *t = test->priv;
	struct tk *k = tk_setup(test, t);
	void *obj = TK_Q_OBJ(t->out);
	u32 in[TK_MOD_DW + 4], syn, rq2, id;
	struct tk_desc d;
	u8 st;

	tk_good(k, &d);
	id = tk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, id, 1);
	k->tracker = id;

	KUNIT_ASSERT_EQ(test, tk_cmd(t, MLX5_CMD_OP_QUERY_GENERAL_OBJECT,
				     MLX5_OBJ_TYPE_PAGE_TRACK, id, &syn), MLX5_CMD_STAT_OK);
	KUNIT_EXPECT_EQ(test, MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id), id);
	KUNIT_EXPECT_EQ(test, MLX5_GET(page_track, obj, state), MLX5_PAGE_TRACK_STATE_TRACKING);
	KUNIT_EXPECT_EQ(test, MLX5_GET(page_track, obj, track_type), CXDEV_PAGE_TRACK_TYPE_WRITE);
	KUNIT_EXPECT_EQ(test, MLX5_GET(page_track, obj, log_page_size), 12);
	KUNIT_EXPECT_EQ(test, MLX5_GET(page_track, obj, log_msg_size), 6);
	KUNIT_EXPECT_EQ(test, MLX5_GET(page_track, obj, log_addr_space_size), 20);
	KUNIT_EXPECT_EQ(test, MLX5_GET(page_track, obj, reporting_qpn), k->rq);
	KUNIT_EXPECT_EQ(test, MLX5_GET(page_track, obj, num_ranges), 2);
	/* The output mailbox has room: the ranges follow. */
	KUNIT_EXPECT_EQ(test, MLX5_GET64(page_track_range, TK_Q_RANGE(t->out, 0), start_address),
			0x100000);
	KUNIT_EXPECT_EQ(test, MLX5_GET64(page_track_range, TK_Q_RANGE(t->out, 1), start_address),
			0x400000);
	KUNIT_EXPECT_EQ(test, MLX5_GET64(page_track_range, TK_Q_RANGE(t->out, 1), length),
			4 * SZ_4K);
	/* An output mailbox without room for the object. */
	memset(in, 0, sizeof(in));
	MLX5_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_QUERY_GENERAL_OBJECT);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_OBJ_TYPE_PAGE_TRACK);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_id, id);
	KUNIT_ASSERT_EQ(test, t->cx->ops->exec(t->cx, in, MLX5_ST_SZ_BYTES(general_obj_in_cmd_hdr),
					       t->out, 32), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET(general_obj_out_cmd_hdr, t->out, status),
			MLX5_CMD_STAT_BAD_OUTP_LEN_ERR);
	KUNIT_EXPECT_EQ(test, MLX5_GET(general_obj_out_cmd_hdr, t->out, syndrome),
			CXDEV_SYN_OUTLEN);

	/* One tracker per report queue; at most 2^pg_track_log_max_num of them. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_TRACK_CHANNEL,
		   tk_try(test, t, &d, &__syn));
	rq2 = tk_rq_create(test, t, k->key);
	d.rq = rq2;
	cxemu_kunit_limits(t->cx)->pg_track_log_max_num = 0;
	EXPECT_CMD(test, t, MLX5_CMD_STAT_NO_RES_ERR, CXDEV_SYN_TRACK_TOO_MANY,
		   tk_try(test, t, &d, &__syn));

	/* What is in use cannot go; a report queue cannot change. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_RES_BUSY, CXDEV_SYN_TRACK_RQ_BUSY,
		   tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, CXDEV_OBJ_TYPE_TRACK_RQ, k->rq,
			  &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_RES_BUSY, CXDEV_SYN_MKEY_BUSY,
		   mk_destroy(t, k->key, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_TRACK_RQ_MODIFY,
		   tk_cmd(t, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, CXDEV_OBJ_TYPE_TRACK_RQ, rq2,
			  &__syn));

	/* MODIFY: exactly state and range, nothing else, TRACKING -> REPORTING only. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_TRACK_MODIFY,
		   tk_modify(t, id, CXDEV_PAGE_TRACK_SELECT_STATE, MLX5_PAGE_TRACK_STATE_REPORTING,
			     0x100000, SZ_4K, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_TRACK_MODIFY,
		   tk_modify(t, id, TK_SEL | BIT_ULL(2), MLX5_PAGE_TRACK_STATE_REPORTING,
			     0x100000, SZ_4K, &__syn));
	tk_modify_build(in, id, TK_SEL, MLX5_PAGE_TRACK_STATE_REPORTING, 0x100000, SZ_4K);
	MLX5_SET(page_track, TK_MOD_OBJ(in), log_page_size, 12);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_TRACK_FIELDS,
		   cx_run(t, in, TK_MOD_DW * 4, &__syn));
	tk_modify_build(in, id, TK_SEL, MLX5_PAGE_TRACK_STATE_REPORTING, 0x100000, SZ_4K);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_INP_LEN_ERR, CXDEV_SYN_INLEN,
		   cx_run(t, in, TK_MOD_DW * 4 + 16, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_SYS_STATE_ERR, CXDEV_SYN_TRACK_STATE,
		   tk_modify(t, id, TK_SEL, MLX5_PAGE_TRACK_STATE_TRACKING, 0x100000, SZ_4K,
			     &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_TRACK_REPORT_RANGE,
		   tk_report(t, k, 0x100800, SZ_4K, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_TRACK_REPORT_RANGE,
		   tk_report(t, k, 0x100000, SZ_4K + 1, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_TRACK_REPORT_RANGE,
		   tk_report(t, k, 0x100000, 0, &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_PARAM_ERR, CXDEV_SYN_TRACK_RANGE_OVERFLOW,
		   tk_report(t, k, 0ULL - SZ_4K, 2 * SZ_4K, &__syn));
	KUNIT_EXPECT_EQ(test, tk_state(test, t, id), MLX5_PAGE_TRACK_STATE_TRACKING);

	/* Reporting (no buffer posted: it stays so), it refuses another report. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0, tk_report(t, k, 0x104000, 2 * SZ_4K, &__syn));
	KUNIT_EXPECT_EQ(test, tk_state(test, t, id), MLX5_PAGE_TRACK_STATE_REPORTING);
	KUNIT_EXPECT_EQ(test, MLX5_GET64(page_track, obj, range_start_address), 0x104000);
	KUNIT_EXPECT_EQ(test, MLX5_GET64(page_track, obj, length), 2 * SZ_4K);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_SYS_STATE_ERR, CXDEV_SYN_TRACK_STATE,
		   tk_report(t, k, 0x100000, SZ_4K, &__syn));

	/* DESTROY in REPORTING; then it is gone, and its queue free for another. */
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0,
		   tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK, id,
			  &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_OBJ,
		   tk_cmd(t, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK, id,
			  &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_OBJ,
		   tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK, id,
			  &__syn));
	d.rq = k->rq;
	KUNIT_EXPECT_NE(test, tk_create(test, t, &d, &st, &syn), 0);
	KUNIT_EXPECT_EQ(test, st, MLX5_CMD_STAT_OK);

	/* Left at teardown: the tracker, two report queues, the key and the PD. */
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 5);
	t->cx = NULL;
}

/*
 * Writes inside the ranges are reported once each, page by page in address
 * order as big-endian addresses, full messages first; nothing outside them
 * is; the function writes nothing past a message's count.
 */
static void cx_track_report(struct kunit *test)
{
	struct cx_test *t = test->priv;
	struct tk *k = tk_start(test, t);
	u8 state = MLX5_PAGE_TRACK_STATE_REPORTING;
	struct tk_events *ev = tk_events(test, t);
	u64 addrs[TK_MAX_ADDRS];
	u32 n = 0, syn;

	tk_dirty(t);
	KUNIT_ASSERT_EQ(test, tk_report(t, k, 0, 0ULL - SZ_4K, &syn), MLX5_CMD_STAT_OK);
	tk_post_all(k);
	cxemu_kunit_track_run(t->cx);
	KUNIT_EXPECT_EQ(test, tk_take(test, k, addrs, &n, &state), 2);
	tk_expect_addrs(test, addrs, n, tk_dirty_want, ARRAY_SIZE(tk_dirty_want));
	/* Eight addresses fill a 64-byte message; the last one says TRACKING. */
	KUNIT_EXPECT_EQ(test, be32_to_cpu(k->cqe[0].count), 8);
	KUNIT_EXPECT_EQ(test, k->cqe[0].state, MLX5_PAGE_TRACK_STATE_REPORTING);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(k->cqe[1].count), 4);
	KUNIT_EXPECT_EQ(test, k->cqe[1].state, MLX5_PAGE_TRACK_STATE_TRACKING);
	KUNIT_EXPECT_EQ(test, state, MLX5_PAGE_TRACK_STATE_TRACKING);
	KUNIT_EXPECT_EQ(test, be64_to_cpu(*(__be64 *)k->buf), 0x100000);
	KUNIT_EXPECT_EQ(test, k->buf[BIT(TK_LOG_STRIDE) + 4 * 8], 0xa5);
	KUNIT_EXPECT_EQ(test, k->buf[8 * 8], 0xa5);
	KUNIT_EXPECT_EQ(test, tk_state(test, t, k->tracker), MLX5_PAGE_TRACK_STATE_TRACKING);
	KUNIT_EXPECT_GE(test, ev->n[CXDEV_EVENT_TRACKER_COMPLETION], 1);
	KUNIT_EXPECT_EQ(test, ev->data[CXDEV_EVENT_TRACKER_COMPLETION], k->tracker);
	KUNIT_EXPECT_EQ(test, ev->n[CXDEV_EVENT_TRACKER_ERROR], 0);
}

/* A report of a sub-range reads and clears exactly that sub-range. */
static void cx_track_subrange(struct kunit *test)
{
	static const u64 rest[] = {
		0x100000, 0x102000, 0x103000, 0x107000, 0x108000, 0x109000, 0x10a000, 0x10b000,
		0x400000, 0x403000,
	};
	static const u64 two[] = { 0x105000, 0x106000 };
	struct cx_test *t = test->priv;
	struct tk *k = tk_start(test, t);
	u64 addrs[TK_MAX_ADDRS];
	u32 n;

	tk_dirty(t);
	n = tk_read(test, t, k, 0x104000, 3 * SZ_4K, addrs);
	tk_expect_addrs(test, addrs, n, two, ARRAY_SIZE(two));
	n = tk_read(test, t, k, 0x100000, 0x400000, addrs);
	tk_expect_addrs(test, addrs, n, rest, ARRAY_SIZE(rest));
}

/* Read and clear: a second report is empty; a page written after the first is in the next. */
static void cx_track_clear(struct kunit *test)
{
	static const u64 again[] = { 0x107000 };
	struct cx_test *t = test->priv;
	struct tk *k = tk_start(test, t);
	u64 addrs[TK_MAX_ADDRS];
	u32 n, before;

	tk_dirty(t);
	n = tk_read(test, t, k, 0x100000, 0x400000, addrs);
	tk_expect_addrs(test, addrs, n, tk_dirty_want, ARRAY_SIZE(tk_dirty_want));
	before = k->consumed;
	n = tk_read(test, t, k, 0x100000, 0x400000, addrs);
	KUNIT_EXPECT_EQ(test, n, 0);
	/* An empty report is one completion, saying TRACKING. */
	KUNIT_EXPECT_EQ(test, k->consumed - before, 1);
	cxemu_kunit_dirty(t->cx, 0x107ff0, 8);
	n = tk_read(test, t, k, 0x100000, 0x400000, addrs);
	tk_expect_addrs(test, addrs, n, again, ARRAY_SIZE(again));
}

/*
 * With no buffer posted a report waits and clears nothing; buffers posted
 * later get every page. Pages written meanwhile are in this report if the
 * report had not reached them, in the next if it had.
 */
static void cx_track_stall(struct kunit *test)
{
	static const u64 first[] = {
		0x100000, 0x102000, 0x103000, 0x105000, 0x106000, 0x107000, 0x108000, 0x109000,
	};
	static const u64 second[] = { 0x10a000, 0x10b000, 0x10f000, 0x400000, 0x403000 };
	static const u64 next[] = { 0x100000 };
	struct cx_test *t = test->priv;
	struct tk *k = tk_start(test, t);
	u8 state = MLX5_PAGE_TRACK_STATE_REPORTING;
	u64 addrs[TK_MAX_ADDRS];
	u32 n = 0, syn;

	tk_dirty(t);
	KUNIT_ASSERT_EQ(test, tk_report(t, k, 0x100000, 0x400000, &syn), MLX5_CMD_STAT_OK);
	cxemu_kunit_track_run(t->cx);
	KUNIT_EXPECT_EQ(test, tk_take(test, k, addrs, &n, &state), 0);
	KUNIT_EXPECT_EQ(test, tk_state(test, t, k->tracker), MLX5_PAGE_TRACK_STATE_REPORTING);

	/* One buffer: one message, and the report waits again. */
	tk_post(k, 1);
	cxemu_kunit_track_run(t->cx);
	KUNIT_EXPECT_EQ(test, tk_take(test, k, addrs, &n, &state), 1);
	tk_expect_addrs(test, addrs, n, first, ARRAY_SIZE(first));
	KUNIT_EXPECT_EQ(test, state, MLX5_PAGE_TRACK_STATE_REPORTING);
	KUNIT_EXPECT_EQ(test, tk_state(test, t, k->tracker), MLX5_PAGE_TRACK_STATE_REPORTING);

	/* Written while it waits: behind it, ahead of it, and already logged. */
	cxemu_kunit_dirty(t->cx, 0x100000, 8);
	cxemu_kunit_dirty(t->cx, 0x10f000, 8);
	cxemu_kunit_dirty(t->cx, 0x10a000, 8);
	n = 0;
	tk_post_all(k);
	cxemu_kunit_track_run(t->cx);
	KUNIT_EXPECT_EQ(test, tk_take(test, k, addrs, &n, &state), 1);
	tk_expect_addrs(test, addrs, n, second, ARRAY_SIZE(second));
	KUNIT_EXPECT_EQ(test, state, MLX5_PAGE_TRACK_STATE_TRACKING);

	n = tk_read(test, t, k, 0x100000, 0x400000, addrs);
	tk_expect_addrs(test, addrs, n, next, ARRAY_SIZE(next));
}

/*
 * Asynchronous errors: an injected one, an overrun report queue and a
 * failed report message put the tracker in ERROR with an event; ERROR
 * refuses reports and stays until DESTROY.
 */
static void cx_track_error(struct kunit *test)
{
	struct cx_test *t = test->priv;
	struct tk *k = tk_start(test, t);
	struct tk_events *ev = tk_events(test, t);
	struct cxdev_track_rq c;
	struct tk_desc d;
	u32 syn;
	u8 st;

	KUNIT_EXPECT_EQ(test, cxemu_kunit_track_error(t->cx, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_track_error(t->cx, k->tracker + 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, ev->n[CXDEV_EVENT_TRACKER_ERROR], 0);
	KUNIT_EXPECT_EQ(test, cxemu_kunit_track_error(t->cx, k->tracker), 0);
	KUNIT_EXPECT_EQ(test, tk_state(test, t, k->tracker), MLX5_PAGE_TRACK_STATE_ERROR);
	KUNIT_EXPECT_EQ(test, ev->n[CXDEV_EVENT_TRACKER_ERROR], 1);
	KUNIT_EXPECT_EQ(test, ev->data[CXDEV_EVENT_TRACKER_ERROR], k->tracker);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_SYS_STATE_ERR, CXDEV_SYN_TRACK_STATE,
		   tk_report(t, k, 0x100000, SZ_4K, &__syn));
	/* Sticky: a second error raises nothing more. */
	KUNIT_EXPECT_EQ(test, cxemu_kunit_track_error(t->cx, k->tracker), 0);
	KUNIT_EXPECT_EQ(test, ev->n[CXDEV_EVENT_TRACKER_ERROR], 1);
	KUNIT_ASSERT_EQ(test, tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT,
				     MLX5_OBJ_TYPE_PAGE_TRACK, k->tracker, &syn), MLX5_CMD_STAT_OK);

	/* The queue did not fault: a new tracker may use it. A failed message. */
	tk_good(k, &d);
	k->tracker = tk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);
	tk_dirty(t);
	cxemu_kunit_fail(CXEMU_OP_TRACK_REPORT, 0, 1);
	KUNIT_ASSERT_EQ(test, tk_report(t, k, 0x100000, 0x400000, &syn), MLX5_CMD_STAT_OK);
	tk_post_all(k);
	cxemu_kunit_track_run(t->cx);
	cxemu_kunit_fail(0, 0, 0);
	KUNIT_EXPECT_EQ(test, tk_state(test, t, k->tracker), MLX5_PAGE_TRACK_STATE_ERROR);
	KUNIT_EXPECT_EQ(test, ev->n[CXDEV_EVENT_TRACKER_ERROR], 2);
	/* No completion says otherwise. */
	KUNIT_EXPECT_EQ(test, be32_to_cpu(READ_ONCE(k->dbr->completed)), k->consumed);
	KUNIT_ASSERT_EQ(test, tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT,
				     MLX5_OBJ_TYPE_PAGE_TRACK, k->tracker, &syn), MLX5_CMD_STAT_OK);

	/* More buffers posted than the queue has slots: it and its tracker fail. */
	k->tracker = tk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);
	tk_dirty(t);
	tk_post(k, TK_SLOTS + 1);
	KUNIT_ASSERT_EQ(test, tk_report(t, k, 0x100000, 0x400000, &syn), MLX5_CMD_STAT_OK);
	cxemu_kunit_track_run(t->cx);
	KUNIT_EXPECT_EQ(test, tk_state(test, t, k->tracker), MLX5_PAGE_TRACK_STATE_ERROR);
	KUNIT_EXPECT_EQ(test, ev->n[CXDEV_EVENT_TRACKER_ERROR], 3);
	KUNIT_EXPECT_EQ(test, ev->data[CXDEV_EVENT_TRACKER_ERROR], k->tracker);
	KUNIT_ASSERT_EQ(test, tk_cmd(t, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, CXDEV_OBJ_TYPE_TRACK_RQ,
				     k->rq, &syn), MLX5_CMD_STAT_OK);
	memcpy(&c, (u8 *)t->out + MLX5_ST_SZ_BYTES(general_obj_out_cmd_hdr), sizeof(c));
	KUNIT_EXPECT_EQ(test, c.state, CXDEV_TRACK_RQ_STATE_ERR);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c.tracker), k->tracker);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c.posted), k->posted);
	KUNIT_ASSERT_EQ(test, tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT,
				     MLX5_OBJ_TYPE_PAGE_TRACK, k->tracker, &syn), MLX5_CMD_STAT_OK);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_TRACK_CHANNEL,
		   tk_try(test, t, &d, &__syn));
}

/* Fault injection reaches the tracker's commands: a failed CREATE leaves nothing. */
static void cx_track_fault_injection(struct kunit *test)
{
	struct cx_test *t = test->priv;
	struct tk *k = tk_setup(test, t);
	struct tk_desc d;
	u32 syn, id;
	u8 st;

	tk_good(k, &d);
	cxemu_kunit_fail(MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 1);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_INT_ERR, CXDEV_SYN_INJECTED,
		   tk_try(test, t, &d, &__syn));
	id = tk_create(test, t, &d, &st, &syn);
	KUNIT_EXPECT_EQ(test, st, MLX5_CMD_STAT_OK);
	cxemu_kunit_fail(MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, 0, 1);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_INT_ERR, CXDEV_SYN_INJECTED,
		   tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK, id,
			  &__syn));
	EXPECT_CMD(test, t, MLX5_CMD_STAT_OK, 0,
		   tk_cmd(t, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK, id,
			  &__syn));
	/* One report queue, the key and the PD: the failed CREATE made no tracker. */
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 3);
	t->cx = NULL;
}

/* DISABLE_HCA reclaims trackers and report queues and counts them; nothing is left after. */
static void cx_track_reclaim(struct kunit *test)
{
	struct cx_test *t = test->priv;
	u32 in[4] = {}, syn;

	tk_start(test, t);
	MLX5_SET(disable_hca_in, in, opcode, MLX5_CMD_OP_DISABLE_HCA);
	KUNIT_ASSERT_EQ(test, cx_run(t, in, sizeof(in), &syn), MLX5_CMD_STAT_OK);
	MLX5_SET(enable_hca_in, in, opcode, MLX5_CMD_OP_ENABLE_HCA);
	KUNIT_ASSERT_EQ(test, cx_run(t, in, sizeof(in), &syn), MLX5_CMD_STAT_OK);
	EXPECT_CMD(test, t, MLX5_CMD_STAT_BAD_RES_ERR, CXDEV_SYN_BAD_OBJ,
		   tk_cmd(t, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, MLX5_OBJ_TYPE_PAGE_TRACK, 1,
			  &__syn));
	/* The tracker, its report queue, the key and the PD, counted once. */
	KUNIT_EXPECT_EQ(test, cxemu_kunit_free(t->cx), 4);
	t->cx = NULL;
}

static void tk_free_page(void *page)
{
	__free_page(page);
}

/* A zeroed page freed after the test (and after the function). */
static struct page *tk_page(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, tk_free_page, page), 0);
	return page;
}

/* A split ring as the driver lays it out. */
struct tk_desc_le {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

#define TK_DP_IOVA 0x400000ULL
#define TK_DP_QSIZE 4

/* One buffer on a ring at @ring (desc), @ring + 0x100 (avail), @ring + 0x200 (used). */
static void tk_ring_one(u8 *ring, u64 addr, u32 len, u16 flags)
{
	struct tk_desc_le *desc = (void *)ring;
	__le16 *avail = (void *)(ring + 0x100);

	desc[0].addr = cpu_to_le64(addr);
	desc[0].len = cpu_to_le32(len);
	desc[0].flags = cpu_to_le16(flags);
	avail[2] = cpu_to_le16(0);	/* ring[0]: descriptor 0 */
	avail[1] = cpu_to_le16(1);	/* idx */
}

static u32 tk_vq_create(struct kunit *test, struct cx_test *t, u32 key, u16 index, u64 ring)
{
	u32 in[MLX5_ST_SZ_DW(create_virtio_net_q_in)], syn;

	vq_build(t, in, key, index);
	MLX5_SET(virtio_q, VQ_Q(in), queue_size, TK_DP_QSIZE);
	MLX5_SET64(virtio_q, VQ_Q(in), desc_addr, ring);
	MLX5_SET64(virtio_q, VQ_Q(in), available_addr, ring + 0x100);
	MLX5_SET64(virtio_q, VQ_Q(in), used_addr, ring + 0x200);
	MLX5_SET(virtio_net_q_object, VQ_OBJ(in), hw_available_index, 0);
	MLX5_SET(virtio_net_q_object, VQ_OBJ(in), hw_used_index, 0);
	KUNIT_ASSERT_EQ(test, cx_run(t, in, VQ_INLEN, &syn), MLX5_CMD_STAT_OK);
	return MLX5_GET(general_obj_out_cmd_hdr, t->out, obj_id);
}

/*
 * The datapath feeds the log: a frame looped from queue 1 to queue 0
 * dirties the used rings' page and the receive buffer's, at the IOVA the
 * queues use; the transmit buffer, only read, and an untouched page are
 * not logged.
 */
static void cx_track_datapath(struct kunit *test)
{
	const u64 want[] = { TK_DP_IOVA, TK_DP_IOVA + 2 * PAGE_SIZE };
	const size_t hdr = sizeof(struct virtio_net_hdr_v1);
	struct cx_test *t = test->priv;
	struct tk *k = tk_setup(test, t);
	u64 addrs[TK_MAX_ADDRS];
	__le16 *rx_used_idx;
	struct page *p[NPAGES];
	struct tk_desc d;
	struct mk_desc m;
	u32 key, rx, tx, syn, n;
	int i;
	u8 st;

	memset(&m, 0, sizeof(m));
	m.lr = true;
	m.lw = true;
	m.start = TK_DP_IOVA;
	m.len = NPAGES * PAGE_SIZE;
	m.log_page = PAGE_SHIFT;
	m.n = NPAGES;
	for (i = 0; i < NPAGES; i++) {
		p[i] = tk_page(test);
		m.mtt[i] = page_to_phys(p[i]) | 3;
	}
	key = mk_create(test, t, &m, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);

	memset(&d, 0, sizeof(d));
	d.n = 1;
	d.r[0].start = TK_DP_IOVA;
	d.r[0].len = NPAGES * PAGE_SIZE;
	d.log_page = PAGE_SHIFT;
	d.log_msg = 6;
	d.log_space = 20;
	d.rq = k->rq;
	k->tracker = tk_create(test, t, &d, &st, &syn);
	KUNIT_ASSERT_EQ(test, st, MLX5_CMD_STAT_OK);

	/* Page 0: both rings; page 1: the frame sent; page 2: the receive buffer. */
	tk_ring_one(page_address(p[0]), TK_DP_IOVA + PAGE_SIZE, hdr + 60, 0);
	tk_ring_one(page_address(p[0]) + 0x400, TK_DP_IOVA + 2 * PAGE_SIZE, 2048,
		    VRING_DESC_F_WRITE);
	memset(page_address(p[1]) + hdr, 0x5a, 60);
	rx = tk_vq_create(test, t, key, 0, TK_DP_IOVA + 0x400);
	tx = tk_vq_create(test, t, key, 1, TK_DP_IOVA);
	/* The receive queue first: a frame sent before it is ready is dropped. */
	KUNIT_ASSERT_EQ(test, vq_modify(t, rx, MLX5_VIRTQ_MODIFY_MASK_STATE,
					MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY, 0, &syn),
			MLX5_CMD_STAT_OK);
	KUNIT_ASSERT_EQ(test, vq_modify(t, tx, MLX5_VIRTQ_MODIFY_MASK_STATE,
					MLX5_VIRTIO_NET_Q_OBJECT_STATE_RDY, 0, &syn),
			MLX5_CMD_STAT_OK);
	rx_used_idx = page_address(p[0]) + 0x600 + 2;
	for (i = 0; i < 100 && le16_to_cpu(READ_ONCE(*rx_used_idx)) != 1; i++) {
		t->cx->ops->ring(t->cx, 1);
		flush_work(&cx_to_emu(t->cx)->work);
		if (le16_to_cpu(READ_ONCE(*rx_used_idx)) != 1)
			msleep(20);
	}
	KUNIT_ASSERT_EQ(test, le16_to_cpu(READ_ONCE(*rx_used_idx)), 1);
	KUNIT_EXPECT_EQ(test, *(u8 *)(page_address(p[2]) + hdr), 0x5a);

	/* The queues stop writing before the log is read: the report is complete. */
	KUNIT_ASSERT_EQ(test, vq_modify(t, rx, MLX5_VIRTQ_MODIFY_MASK_STATE,
					MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND, 0, &syn),
			MLX5_CMD_STAT_OK);
	KUNIT_ASSERT_EQ(test, vq_modify(t, tx, MLX5_VIRTQ_MODIFY_MASK_STATE,
					MLX5_VIRTIO_NET_Q_OBJECT_STATE_SUSPEND, 0, &syn),
			MLX5_CMD_STAT_OK);
	n = tk_read(test, t, k, TK_DP_IOVA, NPAGES * PAGE_SIZE, addrs);
	tk_expect_addrs(test, addrs, n, want, ARRAY_SIZE(want));
}

static struct kunit_case cxemu_cases[] = {
	KUNIT_CASE(cx_mailbox_checks),
	KUNIT_CASE(cx_enable_state),
	KUNIT_CASE(cx_query_caps),
	KUNIT_CASE(cx_pd_uar),
	KUNIT_CASE(cx_mkey_direct),
	KUNIT_CASE(cx_mkey_indirect),
	KUNIT_CASE_PARAM(cx_mkey_bad, bad_mkeys_gen_params),
	KUNIT_CASE(cx_mkey_physical),
	KUNIT_CASE(cx_vq_states),
	KUNIT_CASE_PARAM(cx_vq_bad, bad_vqs_gen_params),
	KUNIT_CASE(cx_fault_injection),
	KUNIT_CASE(cx_track_caps),
	KUNIT_CASE_PARAM(cx_track_bad, bad_trackers_gen_params),
	KUNIT_CASE_PARAM(cx_track_rq_bad, bad_track_rqs_gen_params),
	KUNIT_CASE(cx_track_objects),
	KUNIT_CASE(cx_track_report),
	KUNIT_CASE(cx_track_subrange),
	KUNIT_CASE(cx_track_clear),
	KUNIT_CASE(cx_track_stall),
	KUNIT_CASE(cx_track_error),
	KUNIT_CASE(cx_track_fault_injection),
	KUNIT_CASE(cx_track_reclaim),
	KUNIT_CASE(cx_track_datapath),
	{}
};

static struct kunit_suite cxemu_suite = {
	.name = "cxemu",
	.init = cx_test_init,
	.exit = cx_test_exit,
	.test_cases = cxemu_cases,
};

kunit_test_suite(cxemu_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for the emulated ConnectX-like function");
MODULE_LICENSE("GPL");
