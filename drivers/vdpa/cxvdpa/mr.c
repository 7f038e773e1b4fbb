// SPDX-License-Identifier: GPL-2.0
/*
 * cxvdpa memory regions. An address space's IOTLB becomes:
 *   - direct keys, one per chunk: a run of IOVA-contiguous entries with
 *     the same permissions, at most min(2^log_max_mrw_sz, 2 GiB) long (a
 *     KLM entry counts bytes in 32 bits); its MTT page size is the largest
 *     (4 KiB .. 1 GiB) that every entry boundary, IOVA and physical
 *     address in it is aligned to, so huge pages take few MTT entries;
 *   - one indirect key from the first mapped IOVA to the last, whose KLM
 *     list walks the chunks in order and sends every hole to the null key,
 *     at most 2^log_max_klm_list_size entries.
 * The indirect key is what virtqueues use; the directs carry permissions.
 *
 * An empty IOTLB still gets an indirect key: one KLM entry into the null
 * key. Queue objects must always name a live key, and the function takes
 * neither a key of length 0 nor a KLM list without entries, so this is
 * how running queues lose all their memory (they fault on their next
 * access) instead of the map being refused.
 */
#include <linux/device.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/mlx5/qp.h>
#include <linux/slab.h>
#include <linux/vhost_iotlb.h>
#include <kunit/visibility.h>
#include <uapi/linux/vhost_types.h>

#include "cxvdpa.h"

#define CXVDPA_MIN_LOG_PAGE 12
#define CXVDPA_MAX_LOG_PAGE 30

struct cxvdpa_chunk {
	u64 start;
	u64 last;
	u32 perm;
};

/* Longest chunk or hole one key or one KLM entry may cover. */
static u64 cxvdpa_piece_max(const struct cxvdpa_res *res)
{
	return BIT_ULL(min_t(u8, res->log_max_mrw_sz, 31));
}

/* Split the IOTLB into chunks; *nchunks of them in a new array. */
static struct cxvdpa_chunk *cxvdpa_chunks(const struct cxvdpa_res *res,
					  struct vhost_iotlb *iotlb, u32 *nchunks)
{
	struct cxvdpa_chunk *c = NULL, *grown, *cur;
	u64 max = cxvdpa_piece_max(res), s;
	struct vhost_iotlb_map *map;
	u32 n = 0, cap = 0;

	/* Lengths stay below 2^64 (max - 1, last - start): nothing wraps. */
	for (map = vhost_iotlb_itree_first(iotlb, 0, U64_MAX); map;
	     map = vhost_iotlb_itree_next(map, 0, U64_MAX)) {
		s = map->start;
		do {
			cur = n ? &c[n - 1] : NULL;
			if (cur && s == cur->last + 1 && map->perm == cur->perm &&
			    cur->last - cur->start < max - 1) {
				cur->last += min(map->last - cur->last,
						 max - 1 - (cur->last - cur->start));
			} else {
				if (n == cap) {
					cap = cap ? 2 * cap : 16;
					grown = krealloc_array(c, cap, sizeof(*c), GFP_KERNEL);
					if (!grown) {
						kfree(c);
						return ERR_PTR(-ENOMEM);
					}
					c = grown;
				}
				cur = &c[n++];
				cur->start = s;
				cur->last = s + min(map->last - s, max - 1);
				cur->perm = map->perm;
			}
			s = cur->last + 1;
		} while (cur->last != map->last);
	}
	*nchunks = n;
	return c;
}

/*
 * The largest page size every boundary inside the chunk is aligned to:
 * its start, and each entry's IOVA, physical address and end (the last
 * one's too, so no MTT page reaches memory the map does not own).
 */
static int cxvdpa_chunk_log_page(struct vhost_iotlb *iotlb, const struct cxvdpa_chunk *c)
{
	struct vhost_iotlb_map *map;
	u64 align = c->start, s, e;

	for (map = vhost_iotlb_itree_first(iotlb, c->start, c->last); map;
	     map = vhost_iotlb_itree_next(map, c->start, c->last)) {
		s = max(map->start, c->start);
		e = min(map->last, c->last);
		align |= s | (map->addr + (s - map->start)) | (e + 1);
	}
	return align ? min_t(int, __ffs64(align), CXVDPA_MAX_LOG_PAGE) : CXVDPA_MAX_LOG_PAGE;
}

static int cxvdpa_create_mkey(struct cxvdpa_res *res, void *in, size_t inlen, u32 *key)
{
	u32 out[MLX5_ST_SZ_DW(create_mkey_out)] = {};
	void *mkc = MLX5_ADDR_OF(create_mkey_in, in, memory_key_mkey_entry);
	u8 variant = res->variant++;
	int err;

	MLX5_SET(create_mkey_in, in, opcode, MLX5_CMD_OP_CREATE_MKEY);
	MLX5_SET(mkc, mkc, qpn, 0xffffff);
	MLX5_SET(mkc, mkc, pd, res->pd);
	MLX5_SET(mkc, mkc, mkey_7_0, variant);
	err = cxvdpa_cmd(res, in, inlen, out, sizeof(out));
	if (!err)
		*key = MLX5_GET(create_mkey_out, out, mkey_index) << 8 | variant;
	return err;
}

static int cxvdpa_destroy_mkey_cmd(struct cxvdpa_res *res, u32 key)
{
	u32 in[MLX5_ST_SZ_DW(destroy_mkey_in)] = {};
	u32 out[MLX5_ST_SZ_DW(destroy_mkey_out)];

	MLX5_SET(destroy_mkey_in, in, opcode, MLX5_CMD_OP_DESTROY_MKEY);
	MLX5_SET(destroy_mkey_in, in, mkey_index, key >> 8);
	return cxvdpa_cmd(res, in, sizeof(in), out, sizeof(out));
}

/*
 * A key the function refuses to destroy (the command failed) stays on the
 * function: it is kept and destroyed again after the next region is
 * destroyed (every set_map and reset_map destroys one) and at unbind, so a
 * passing failure costs the function nothing for long. Past
 * CXVDPA_MAX_STALE_KEYS a key stays until the function is disabled, which
 * takes everything back.
 */
static void cxvdpa_destroy_mkey(struct cxvdpa_res *res, u32 key)
{
	if (!cxvdpa_destroy_mkey_cmd(res, key))
		return;
	mutex_lock(&res->stale_lock);
	if (res->nstale < CXVDPA_MAX_STALE_KEYS)
		res->stale[res->nstale++] = key;
	else
		dev_err(res->dev, "key 0x%x stays on the function until it is disabled\n", key);
	mutex_unlock(&res->stale_lock);
}

/**
 * cxvdpa_mr_retry_stale() - destroy again the keys the function refused
 * @res: the function
 *
 * Those it refuses again stay for the next try.
 *
 * Context: process context; takes cxvdpa_res.stale_lock.
 */
void cxvdpa_mr_retry_stale(struct cxvdpa_res *res)
{
	u32 i, kept = 0;

	mutex_lock(&res->stale_lock);
	for (i = 0; i < res->nstale; i++)
		if (cxvdpa_destroy_mkey_cmd(res, res->stale[i]))
			res->stale[kept++] = res->stale[i];
	res->nstale = kept;
	mutex_unlock(&res->stale_lock);
}

/* A mailbox for a key with @octs translation octwords, its fixed part set. */
static void *cxvdpa_mkey_in(u32 octs, bool indirect, bool lr, bool lw, u64 start, u64 len,
			    int log_page, size_t *inlen)
{
	void *in, *mkc;

	*inlen = size_add(MLX5_ST_SZ_BYTES(create_mkey_in), size_mul(octs, 16));
	in = kvzalloc(*inlen, GFP_KERNEL);
	if (!in)
		return NULL;
	MLX5_SET(create_mkey_in, in, translations_octword_actual_size, octs);
	mkc = MLX5_ADDR_OF(create_mkey_in, in, memory_key_mkey_entry);
	MLX5_SET(mkc, mkc, access_mode_1_0, indirect ? MLX5_MKC_ACCESS_MODE_KLMS :
						       MLX5_MKC_ACCESS_MODE_MTT);
	MLX5_SET(mkc, mkc, lr, lr);
	MLX5_SET(mkc, mkc, lw, lw);
	MLX5_SET64(mkc, mkc, start_addr, start);
	MLX5_SET64(mkc, mkc, len, len);
	MLX5_SET(mkc, mkc, log_page_size, log_page);
	MLX5_SET(mkc, mkc, translations_octword_size, octs);
	return in;
}

/* The direct key of one chunk: an MTT entry per page. */
static int cxvdpa_chunk_mkey(struct cxvdpa_res *res, struct vhost_iotlb *iotlb,
			     const struct cxvdpa_chunk *c, u32 *key)
{
	int log_page = cxvdpa_chunk_log_page(iotlb, c);
	bool lr = c->perm & VHOST_MAP_RO, lw = c->perm & VHOST_MAP_WO;
	u64 len = c->last - c->start + 1, page = BIT_ULL(log_page), s, e, off;
	u64 flags = MLX5_MTT_PERM_READ | (lw ? MLX5_MTT_PERM_WRITE : 0);
	u64 npages = DIV_ROUND_UP_ULL(len, page);
	struct vhost_iotlb_map *map;
	size_t inlen;
	__be64 *mtt;
	u64 i = 0;
	void *in;
	int err;

	if (log_page < CXVDPA_MIN_LOG_PAGE)
		return -EINVAL;
	in = cxvdpa_mkey_in(DIV_ROUND_UP_ULL(npages, 2), false, lr, lw, c->start, len, log_page,
			    &inlen);
	if (!in)
		return -ENOMEM;
	mtt = MLX5_ADDR_OF(create_mkey_in, in, klm_pas_mtt);
	for (map = vhost_iotlb_itree_first(iotlb, c->start, c->last); map;
	     map = vhost_iotlb_itree_next(map, c->start, c->last)) {
		s = max(map->start, c->start);
		e = min(map->last, c->last);
		for (off = s - map->start; off <= e - map->start && i < npages; off += page)
			mtt[i++] = cpu_to_be64((map->addr + off) | flags);
	}
	err = cxvdpa_create_mkey(res, in, inlen, key);
	kvfree(in);
	return err;
}

static void cxvdpa_klm_set(struct mlx5_klm *klm, u32 key, u64 va, u64 len)
{
	klm->key = cpu_to_be32(key);
	klm->va = cpu_to_be64(va);
	klm->bcount = cpu_to_be32(len);
}

/* KLM entries the indirect key needs: a chunk each, and its holes in pieces. */
static u64 cxvdpa_klm_count(const struct cxvdpa_res *res, const struct cxvdpa_chunk *c, u32 n)
{
	u64 count = n, i;

	for (i = 1; i < n; i++)
		count += DIV_ROUND_UP_ULL(c[i].start - c[i - 1].last - 1, cxvdpa_piece_max(res));
	return count;
}

/*
 * The key of an empty map: [0, one piece) sent to the null key, so every
 * access faults, inside it or past its end. One entry of the longest
 * piece fits whatever limits the function reports.
 */
static int cxvdpa_empty_mkey(struct cxvdpa_res *res, struct cxvdpa_mr *mr)
{
	u64 len = cxvdpa_piece_max(res);
	size_t inlen;
	void *in;
	int err;

	in = cxvdpa_mkey_in(1, true, true, true, 0, len, 0, &inlen);
	if (!in)
		return -ENOMEM;
	cxvdpa_klm_set(MLX5_ADDR_OF(create_mkey_in, in, klm_pas_mtt), res->null_mkey, 0, len);
	err = cxvdpa_create_mkey(res, in, inlen, &mr->key);
	kvfree(in);
	return err;
}

static int cxvdpa_indirect_mkey(struct cxvdpa_res *res, const struct cxvdpa_chunk *c, u32 n,
				const u32 *direct, struct cxvdpa_mr *mr)
{
	u64 nklm = cxvdpa_klm_count(res, c, n), hole, piece;
	struct mlx5_klm *klm;
	size_t inlen;
	u32 i, k = 0;
	void *in;
	int err;

	mr->start = c[0].start;
	mr->len = c[n - 1].last - c[0].start + 1;
	if (nklm > BIT_ULL(res->log_max_klm_list_size) ||
	    mr->len > BIT_ULL(res->log_max_mrw_sz) || !mr->len) {
		dev_err(res->dev, "map of %u chunks over %#llx bytes needs %llu KLM entries, device allows %llu in %#llx bytes\n",
			n, mr->len, nklm, BIT_ULL(res->log_max_klm_list_size),
			BIT_ULL(res->log_max_mrw_sz));
		return -ENOSPC;
	}
	in = cxvdpa_mkey_in(nklm, true, true, true, mr->start, mr->len, 0, &inlen);
	if (!in)
		return -ENOMEM;
	klm = MLX5_ADDR_OF(create_mkey_in, in, klm_pas_mtt);
	for (i = 0; i < n; i++) {
		for (hole = i ? c[i].start - c[i - 1].last - 1 : 0; hole; hole -= piece) {
			piece = min(hole, cxvdpa_piece_max(res));
			cxvdpa_klm_set(&klm[k++], res->null_mkey, 0, piece);
		}
		cxvdpa_klm_set(&klm[k++], direct[i], c[i].start, c[i].last - c[i].start + 1);
	}
	err = cxvdpa_create_mkey(res, in, inlen, &mr->key);
	kvfree(in);
	return err;
}

/**
 * cxvdpa_mr_build() - program an address space's translation
 * @res: the function
 * @iotlb: the mappings (addr is the physical address of each entry)
 * @mr: the region built; for an empty @iotlb, no mapping (@mr->len 0)
 *	and a key that faults on every access
 *
 * Context: process context.
 * Return: 0, -ENOSPC when the device's limits cannot hold the map, or
 * another -errno; on failure no key is left behind.
 */
int cxvdpa_mr_build(struct cxvdpa_res *res, struct vhost_iotlb *iotlb, struct cxvdpa_mr *mr)
{
	struct cxvdpa_chunk *c;
	u32 n, i;
	int err;

	memset(mr, 0, sizeof(*mr));
	c = cxvdpa_chunks(res, iotlb, &n);
	if (IS_ERR(c))
		return PTR_ERR(c);
	/* Nothing was allocated for no chunks. */
	if (!n)
		return cxvdpa_empty_mkey(res, mr);
	mr->direct = kcalloc(n, sizeof(*mr->direct), GFP_KERNEL);
	if (!mr->direct) {
		err = -ENOMEM;
		goto err_chunks;
	}
	for (i = 0; i < n; i++) {
		err = cxvdpa_chunk_mkey(res, iotlb, &c[i], &mr->direct[i]);
		if (err)
			goto err_direct;
		mr->ndirect++;
	}
	err = cxvdpa_indirect_mkey(res, c, n, mr->direct, mr);
	if (err)
		goto err_direct;
	kfree(c);
	return 0;

err_direct:
	cxvdpa_mr_destroy(res, mr);
err_chunks:
	kfree(c);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(cxvdpa_mr_build);

/**
 * cxvdpa_mr_build_pa() - the identity region: one physical-address key
 * @res: the function
 * @mr: the region built
 *
 * What an address space translates by default, and after reset_map: the
 * device reaches memory at its physical address, as a bus driver on the
 * DMA API without an IOMMU expects.
 *
 * Context: process context.
 * Return: 0 or -errno; on failure @mr is empty.
 */
int cxvdpa_mr_build_pa(struct cxvdpa_res *res, struct cxvdpa_mr *mr)
{
	u32 in[MLX5_ST_SZ_DW(create_mkey_in)] = {};
	void *mkc = MLX5_ADDR_OF(create_mkey_in, in, memory_key_mkey_entry);

	memset(mr, 0, sizeof(*mr));
	MLX5_SET(mkc, mkc, access_mode_1_0, MLX5_MKC_ACCESS_MODE_PA);
	MLX5_SET(mkc, mkc, lr, 1);
	MLX5_SET(mkc, mkc, lw, 1);
	MLX5_SET(mkc, mkc, length64, 1);
	return cxvdpa_create_mkey(res, in, sizeof(in), &mr->key);
}

/**
 * cxvdpa_mr_destroy() - destroy a region's keys, indirect first
 * @res: the function
 * @mr: the region; empty afterwards
 *
 * A key the function refuses to destroy is kept and tried again (see
 * cxvdpa_destroy_mkey()); the region forgets it either way.
 */
void cxvdpa_mr_destroy(struct cxvdpa_res *res, struct cxvdpa_mr *mr)
{
	u32 i;

	if (mr->key)
		cxvdpa_destroy_mkey(res, mr->key);
	for (i = mr->ndirect; i > 0; i--)
		cxvdpa_destroy_mkey(res, mr->direct[i - 1]);
	kfree(mr->direct);
	memset(mr, 0, sizeof(*mr));
	cxvdpa_mr_retry_stale(res);
}
EXPORT_SYMBOL_IF_KUNIT(cxvdpa_mr_destroy);
