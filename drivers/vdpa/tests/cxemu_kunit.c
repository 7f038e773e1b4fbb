// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of cxemu, the emulated ConnectX-like function: mailbox
 * encoding, the firmware's checks (each bad command fails with its status
 * and syndrome), memory keys and translation through them, resource
 * accounting and fault injection. The test is the driver: it builds
 * mailboxes with MLX5_SET() exactly as a parent does.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/mlx5/mlx5_ifc_vdpa.h>
#include <linux/mlx5/qp.h>
#include <linux/module.h>
#include <linux/slab.h>

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
