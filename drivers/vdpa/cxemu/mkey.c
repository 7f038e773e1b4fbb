// SPDX-License-Identifier: GPL-2.0
/*
 * cxemu memory keys: CREATE_MKEY and DESTROY_MKEY with the checks firmware
 * makes, and translation through them.
 *
 * Accepted keys (anything else fails with a syndrome):
 *   direct: access mode MTT, local read and/or write only, qpn 0xffffff,
 *     start aligned to the page size (4 KiB .. 1 GiB), one MTT entry per
 *     page (padded to an octword), each entry a page-aligned RAM address
 *     with rd_en, and wr_en when the key allows writes;
 *   indirect: access mode KLMS, the same flags, 1 .. 2^log_max_klm_list_size
 *     entries whose byte counts add up to the key's length, each pointing
 *     into a live direct key (inside its range) or into the null key;
 *   physical: access mode PA, the same flags, length64 set, start 0 and
 *     no translation entries: an address is the physical address, and
 *     only pages the page allocator manages are reachable through it.
 * A key that another key, a virtio queue object or a page tracker's report
 * queue uses cannot be destroyed.
 */
#include <linux/minmax.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/mlx5/qp.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "cxemu.h"

#define CXEMU_MTT_FLAGS 0xffULL	/* below ptag_31_8: MLX5_MTT_PERM_* */

/**
 * cxemu_mkey_free() - free a key's memory (not its table slot)
 * @mk: the key
 */
void cxemu_mkey_free(struct cxemu_mkey *mk)
{
	kvfree(mk->pa);
	kvfree(mk->klm);
	kfree(mk);
}

/**
 * cxemu_mkey_find() - a live key by value
 * @emu: the function
 * @key: index << 8 | variant byte
 *
 * Context: cxemu.lock held.
 * Return: the key, or NULL.
 */
struct cxemu_mkey *cxemu_mkey_find(struct cxemu *emu, u32 key)
{
	struct cxemu_mkey *mk = xa_load(&emu->mkeys, key >> 8);

	/* The variant byte must match too: a stale key finds nothing. */
	return mk && mk->key == key ? mk : NULL;
}

/* Only RAM may be behind a direct key: it is what the model can reach. */
static bool cxemu_ram(u64 pa, u64 size)
{
	return region_intersects(pa, size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) ==
	       REGION_INTERSECTS;
}

static u8 cxemu_mtt_parse(struct cxemu_mkey *mk, const __be64 *mtt, u32 octs, u32 *syndrome)
{
	u64 size = BIT_ULL(mk->log_page), e, n;
	u32 i;

	if (mk->log_page < CXEMU_MIN_LOG_PAGE || mk->log_page > CXEMU_MAX_LOG_PAGE) {
		*syndrome = CXDEV_SYN_PAGE_SIZE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (!IS_ALIGNED(mk->start, size)) {
		*syndrome = CXDEV_SYN_MKEY_RANGE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	n = DIV_ROUND_UP_ULL(mk->len, size);
	if (n > U32_MAX) {
		*syndrome = CXDEV_SYN_MKEY_TOO_LONG;
		return MLX5_CMD_STAT_LIM_ERR;
	}
	mk->n = n;
	if (octs != DIV_ROUND_UP(mk->n, 2)) {
		*syndrome = CXDEV_SYN_TRANSLATIONS;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	mk->pa = kvmalloc_array(mk->n, sizeof(*mk->pa), GFP_KERNEL);
	if (!mk->pa) {
		*syndrome = CXDEV_SYN_NO_RESOURCE;
		return MLX5_CMD_STAT_NO_RES_ERR;
	}
	for (i = 0; i < mk->n; i++) {
		e = be64_to_cpu(mtt[i]);
		mk->pa[i] = e & ~CXEMU_MTT_FLAGS;
		if (!(e & MLX5_MTT_PERM_READ) || (mk->lw && !(e & MLX5_MTT_PERM_WRITE)) ||
		    (e & CXEMU_MTT_FLAGS & ~(u64)MLX5_MTT_PERM_RW) ||
		    !IS_ALIGNED(mk->pa[i], size) || !cxemu_ram(mk->pa[i], size)) {
			*syndrome = CXDEV_SYN_MTT_ENTRY;
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
	}
	return MLX5_CMD_STAT_OK;
}

static u8 cxemu_klm_parse(struct cxemu *emu, struct cxemu_mkey *mk, const struct mlx5_klm *klm,
			  u32 n, u32 *syndrome)
{
	struct cxemu_klm *k;
	u64 off = 0;
	u32 i, key;

	if (!n || n > BIT(emu->limits.log_max_klm_list_size)) {
		*syndrome = CXDEV_SYN_KLM_TOO_MANY;
		return MLX5_CMD_STAT_LIM_ERR;
	}
	mk->klm = kvcalloc(n, sizeof(*mk->klm), GFP_KERNEL);
	if (!mk->klm) {
		*syndrome = CXDEV_SYN_NO_RESOURCE;
		return MLX5_CMD_STAT_NO_RES_ERR;
	}
	mk->n = n;
	for (i = 0; i < n; i++) {
		k = &mk->klm[i];
		k->off = off;
		k->len = be32_to_cpu(klm[i].bcount);
		k->addr = be64_to_cpu(klm[i].va);
		key = be32_to_cpu(klm[i].key);
		if (!k->len || k->len > mk->len - off) {
			*syndrome = CXDEV_SYN_KLM_LENGTH;
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
		off += k->len;
		if (key == CXEMU_NULL_MKEY)
			continue;
		k->target = cxemu_mkey_find(emu, key);
		if (!k->target || k->target->indirect || k->target->physical) {
			*syndrome = CXDEV_SYN_KLM_TARGET;
			return MLX5_CMD_STAT_BAD_RES_ERR;
		}
		if (k->addr < k->target->start ||
		    k->addr - k->target->start >= k->target->len ||
		    k->len > k->target->len - (k->addr - k->target->start)) {
			*syndrome = CXDEV_SYN_KLM_RANGE;
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
	}
	if (off != mk->len) {
		*syndrome = CXDEV_SYN_KLM_LENGTH;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	return MLX5_CMD_STAT_OK;
}

/* The key context fields this model supports, and their only values. */
static bool cxemu_mkc_ok(const void *mkc)
{
	return !MLX5_GET(mkc, mkc, free) && !MLX5_GET(mkc, mkc, umr_en) &&
	       !MLX5_GET(mkc, mkc, a) && !MLX5_GET(mkc, mkc, rw) && !MLX5_GET(mkc, mkc, rr) &&
	       (MLX5_GET(mkc, mkc, lr) || MLX5_GET(mkc, mkc, lw)) &&
	       MLX5_GET(mkc, mkc, qpn) == 0xffffff &&
	       !MLX5_GET(mkc, mkc, bsf_en) && !MLX5_GET(mkc, mkc, ma_translation_mode) &&
	       !MLX5_GET(mkc, mkc, crossing_target_vhca_id);
}

/**
 * cxemu_create_mkey() - CREATE_MKEY
 * @emu: the function
 * @in: input mailbox: create_mkey_in and its translation entries
 * @inlen: its size
 * @out: output mailbox (create_mkey_out)
 * @outlen: its size
 * @syndrome: set on failure
 *
 * A &cxemu_cmd.run handler.
 *
 * Context: cxemu.lock held.
 * Return: MLX5_CMD_STAT_*.
 */
u8 cxemu_create_mkey(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		     u32 *syndrome)
{
	const void *mkc = MLX5_ADDR_OF(create_mkey_in, in, memory_key_mkey_entry);
	const void *entries = MLX5_ADDR_OF(create_mkey_in, in, klm_pas_mtt);
	u32 octs = MLX5_GET(create_mkey_in, in, translations_octword_actual_size);
	u8 mode = MLX5_GET(mkc, mkc, access_mode_1_0) | MLX5_GET(mkc, mkc, access_mode_4_2) << 2;
	struct cxemu_mkey *mk;
	bool physical;
	u32 idx, i;
	u8 status;

	lockdep_assert_held(&emu->lock);
	if (inlen != size_add(MLX5_ST_SZ_BYTES(create_mkey_in), size_mul(octs, 16))) {
		*syndrome = CXDEV_SYN_INLEN;
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	}
	if (MLX5_GET(create_mkey_in, in, pg_access) ||
	    MLX5_GET(create_mkey_in, in, mkey_umem_valid) ||
	    MLX5_GET(create_mkey_in, in, data_direct) || !cxemu_mkc_ok(mkc)) {
		*syndrome = CXDEV_SYN_MKEY_FLAGS;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (mode != MLX5_MKC_ACCESS_MODE_MTT && mode != MLX5_MKC_ACCESS_MODE_KLMS &&
	    mode != MLX5_MKC_ACCESS_MODE_PA) {
		*syndrome = CXDEV_SYN_ACCESS_MODE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	/* Only a physical key spans everything; it has no entries. */
	physical = mode == MLX5_MKC_ACCESS_MODE_PA;
	if (MLX5_GET(mkc, mkc, length64) != physical) {
		*syndrome = CXDEV_SYN_MKEY_RANGE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (MLX5_GET(mkc, mkc, translations_octword_size) != octs) {
		*syndrome = CXDEV_SYN_TRANSLATIONS;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (!xa_load(&emu->pds, MLX5_GET(mkc, mkc, pd))) {
		*syndrome = CXDEV_SYN_BAD_PD;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}

	mk = kzalloc(sizeof(*mk), GFP_KERNEL);
	if (!mk) {
		*syndrome = CXDEV_SYN_NO_RESOURCE;
		return MLX5_CMD_STAT_NO_RES_ERR;
	}
	mk->indirect = mode == MLX5_MKC_ACCESS_MODE_KLMS;
	mk->physical = physical;
	mk->lr = MLX5_GET(mkc, mkc, lr);
	mk->lw = MLX5_GET(mkc, mkc, lw);
	mk->pd = MLX5_GET(mkc, mkc, pd);
	mk->start = MLX5_GET64(mkc, mkc, start_addr);
	mk->len = MLX5_GET64(mkc, mkc, len);
	mk->log_page = MLX5_GET(mkc, mkc, log_page_size);
	if (mk->physical) {
		if (mk->start || mk->len || mk->log_page || octs) {
			*syndrome = CXDEV_SYN_MKEY_RANGE;
			status = MLX5_CMD_STAT_BAD_PARAM_ERR;
			goto err_free;
		}
		goto insert;
	}
	/* A key may end exactly at 2^64. */
	if (!mk->len || mk->start + (mk->len - 1) < mk->start) {
		*syndrome = CXDEV_SYN_MKEY_RANGE;
		status = MLX5_CMD_STAT_BAD_PARAM_ERR;
		goto err_free;
	}
	if (mk->len > BIT_ULL(emu->limits.log_max_mrw_sz)) {
		*syndrome = CXDEV_SYN_MKEY_TOO_LONG;
		status = MLX5_CMD_STAT_LIM_ERR;
		goto err_free;
	}
	if (mk->indirect)
		status = cxemu_klm_parse(emu, mk, entries, octs, syndrome);
	else
		status = cxemu_mtt_parse(mk, entries, octs, syndrome);
	if (status != MLX5_CMD_STAT_OK)
		goto err_free;
insert:
	if (xa_alloc(&emu->mkeys, &idx, mk, XA_LIMIT(1, BIT(CXEMU_LOG_MAX_MKEY) - 1),
		     GFP_KERNEL)) {
		*syndrome = CXDEV_SYN_NO_RESOURCE;
		status = MLX5_CMD_STAT_NO_RES_ERR;
		goto err_free;
	}
	mk->key = idx << 8 | MLX5_GET(mkc, mkc, mkey_7_0);
	for (i = 0; mk->indirect && i < mk->n; i++)
		if (mk->klm[i].target)
			mk->klm[i].target->users++;
	MLX5_SET(create_mkey_out, out, mkey_index, idx);
	return MLX5_CMD_STAT_OK;

err_free:
	cxemu_mkey_free(mk);
	return status;
}

/**
 * cxemu_destroy_mkey() - DESTROY_MKEY
 * @emu: the function
 * @in: input mailbox (destroy_mkey_in)
 * @inlen: its size
 * @out: output mailbox (destroy_mkey_out)
 * @outlen: its size
 * @syndrome: set on failure
 *
 * A &cxemu_cmd.run handler.
 *
 * Context: cxemu.lock held.
 * Return: MLX5_CMD_STAT_*.
 */
u8 cxemu_destroy_mkey(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		      u32 *syndrome)
{
	u32 idx = MLX5_GET(destroy_mkey_in, in, mkey_index), i;
	struct cxemu_mkey *mk = xa_load(&emu->mkeys, idx);

	lockdep_assert_held(&emu->lock);
	if (!mk) {
		*syndrome = CXDEV_SYN_BAD_MKEY;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	if (mk->users) {
		*syndrome = CXDEV_SYN_MKEY_BUSY;
		return MLX5_CMD_STAT_RES_BUSY;
	}
	for (i = 0; mk->indirect && i < mk->n; i++)
		if (mk->klm[i].target)
			mk->klm[i].target->users--;
	xa_erase(&emu->mkeys, idx);
	cxemu_mkey_free(mk);
	return MLX5_CMD_STAT_OK;
}

static bool cxemu_allows(const struct cxemu_mkey *mk, bool write)
{
	return write ? mk->lw : mk->lr;
}

/* The KLM entry holding offset @off of an indirect key: binary search. */
static const struct cxemu_klm *cxemu_klm_at(const struct cxemu_mkey *mk, u64 off)
{
	u32 lo = 0, hi = mk->n;

	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;

		if (mk->klm[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return &mk->klm[lo];
}

/**
 * cxemu_translate_key() - where an access through a memory key lands
 * @mk: the key the access uses
 * @addr: the address in the key's space
 * @len: bytes wanted (nonzero)
 * @write: the access writes
 * @va: set to the kernel address of the first byte
 *
 * Walks an indirect key's KLM entry to its direct key, then to the page.
 *
 * Context: cxemu.lock held (the key stays alive and unchanged).
 * Return: bytes contiguous from @va (1 .. @len), -EFAULT when no entry
 * translates @addr (the null key included), -EACCES when a key forbids
 * the access.
 */
long cxemu_translate_key(struct cxemu_mkey *mk, u64 addr, u64 len, bool write, void **va)
{
	const struct cxemu_klm *k;
	u64 off, page, in_page;

	if (!mk->physical && (addr < mk->start || addr - mk->start >= mk->len))
		return -EFAULT;
	if (!cxemu_allows(mk, write))
		return -EACCES;
	if (mk->physical)
		return vdpa_devring_ram(addr, len, va);
	off = addr - mk->start;
	len = min(len, mk->len - off);
	if (mk->indirect) {
		k = cxemu_klm_at(mk, off);
		if (!k->target)
			return -EFAULT;
		len = min(len, k->len - (off - k->off));
		addr = k->addr + (off - k->off);
		mk = k->target;
		if (!cxemu_allows(mk, write))
			return -EACCES;
		off = addr - mk->start;
	}
	page = BIT_ULL(mk->log_page);
	in_page = off & (page - 1);
	len = min(len, page - in_page);
	*va = phys_to_virt(mk->pa[off >> mk->log_page] + in_page);
	return len;
}

/**
 * cxemu_translate() - cxemu_translate_key() by key value
 * @emu: the function
 * @key: the key the access uses
 * @addr: the address in the key's space
 * @len: bytes wanted (nonzero)
 * @write: the access writes
 * @va: set to the kernel address of the first byte
 *
 * Context: cxemu.lock held.
 * Return: as cxemu_translate_key(); -EFAULT for a key that does not exist.
 */
long cxemu_translate(struct cxemu *emu, u32 key, u64 addr, u64 len, bool write, void **va)
{
	struct cxemu_mkey *mk = cxemu_mkey_find(emu, key);

	lockdep_assert_held(&emu->lock);
	return mk ? cxemu_translate_key(mk, addr, len, write, va) : -EFAULT;
}
