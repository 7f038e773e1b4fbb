// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_devring IOTLB helpers: what a software device whose address space
 * is a vhost_iotlb of physical addresses (PA mode) needs to reach memory
 * through it, and to keep its own copy of one handed in by set_map.
 *
 * The copy is either another vhost_iotlb (vdpa_devring_iotlb_clone(), for
 * a device that also takes dma_map changes to it) or a table
 * (vdpa_devring_table_build()): the ranges in one sorted array, looked up
 * by binary search. A set_map device never changes its copy, only
 * replaces it, so it needs no tree: the table costs 32 bytes per range
 * where a vhost_iotlb costs a 96-byte allocation, and is built without
 * one allocation per range. With a guest on 4 KiB pages that is one range
 * per page.
 */
#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/vdpa_devring.h>
#include <linux/vhost_iotlb.h>

/**
 * vdpa_devring_iotlb_translate() - an IOVA to a kernel address
 * @iotlb: the address space; the caller keeps it stable
 * @iova: the address
 * @len: bytes wanted (nonzero)
 * @write: the access writes
 * @va: set to the kernel address of @iova
 *
 * Context: any; takes no lock.
 * Return: as &vdpa_devring_ops.translate: bytes contiguous from @va,
 * -EFAULT when @iova is unmapped or not RAM, -EACCES when the mapping
 * forbids the access.
 */
long vdpa_devring_iotlb_translate(struct vhost_iotlb *iotlb, u64 iova, u64 len, bool write,
				  void **va)
{
	struct vhost_iotlb_map *map = vhost_iotlb_itree_first(iotlb, iova, iova);

	if (!map)
		return -EFAULT;
	if (!(map->perm & (write ? VHOST_MAP_WO : VHOST_MAP_RO)))
		return -EACCES;
	/* One entry may span all 2^64 bytes: count from len - 1, not to last + 1. */
	return vdpa_devring_ram(map->addr + (iova - map->start),
				min(len - 1, map->last - iova) + 1, va);
}
EXPORT_SYMBOL_GPL(vdpa_devring_iotlb_translate);

/**
 * vdpa_devring_iotlb_clone() - a copy of every range of an IOTLB
 * @src: the IOTLB, as set_map hands it in
 * @limit: most ranges the copy may hold (nonzero; UINT_MAX: no limit)
 *
 * A device that keeps its own copy builds the replacement before it
 * switches, so ranges that stay mapped stay valid throughout.
 *
 * Context: process context.
 * Return: the copy, or NULL without memory.
 */
struct vhost_iotlb *vdpa_devring_iotlb_clone(struct vhost_iotlb *src, unsigned int limit)
{
	struct vhost_iotlb_map *map;
	struct vhost_iotlb *dst;

	dst = vhost_iotlb_alloc(limit, 0);
	if (!dst)
		return NULL;
	for (map = vhost_iotlb_itree_first(src, 0, U64_MAX); map;
	     map = vhost_iotlb_itree_next(map, 0, U64_MAX)) {
		if (vhost_iotlb_add_range_ctx(dst, map->start, map->last, map->addr, map->perm,
					      map->opaque)) {
			vhost_iotlb_free(dst);
			return NULL;
		}
	}
	return dst;
}
EXPORT_SYMBOL_GPL(vdpa_devring_iotlb_clone);

/**
 * vdpa_devring_table_build() - a table of every range of an IOTLB
 * @src: the IOTLB, as set_map hands it in
 *
 * Context: process context.
 * Return: the table (with no ranges for an empty @src), ERR_PTR(-ENOMEM),
 * or ERR_PTR(-EINVAL) when ranges of @src overlap (a vhost_iotlb allows
 * it; a translation cannot say which one applies).
 */
struct vdpa_devring_table *vdpa_devring_table_build(struct vhost_iotlb *src)
{
	struct vdpa_devring_table *t;
	struct vhost_iotlb_map *map;
	u32 i = 0;

	t = kvmalloc(struct_size(t, range, src->nmaps), GFP_KERNEL | __GFP_NOWARN);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->n = src->nmaps;
	/* The tree walks in IOVA order, so the array comes out sorted. */
	for (map = vhost_iotlb_itree_first(src, 0, U64_MAX); map && i < src->nmaps;
	     map = vhost_iotlb_itree_next(map, 0, U64_MAX), i++) {
		if (i && map->start <= t->range[i - 1].last) {
			kvfree(t);
			return ERR_PTR(-EINVAL);
		}
		t->range[i].start = map->start;
		t->range[i].last = map->last;
		t->range[i].addr = map->addr;
		t->range[i].perm = map->perm;
	}
	t->n = i;
	return t;
}
EXPORT_SYMBOL_GPL(vdpa_devring_table_build);

/**
 * vdpa_devring_table_free() - free a table
 * @t: the table, or NULL
 *
 * Context: process context.
 */
void vdpa_devring_table_free(struct vdpa_devring_table *t)
{
	kvfree(t);
}
EXPORT_SYMBOL_GPL(vdpa_devring_table_free);

/**
 * vdpa_devring_table_lookup() - where a table maps an IOVA
 * @t: the table; the caller keeps it alive
 * @iova: the address
 * @len: bytes wanted (nonzero)
 * @write: the access writes
 * @addr: set to the address @iova maps to: physical, or a user virtual
 *	address in a VA-mode device's table
 *
 * Context: any; takes no lock.
 * Return: how many bytes from @iova the range holding it covers (1 to
 * @len), -EFAULT when @iova is unmapped, -EACCES when the range forbids
 * the access.
 */
long vdpa_devring_table_lookup(const struct vdpa_devring_table *t, u64 iova, u64 len,
			       bool write, u64 *addr)
{
	const struct vdpa_devring_range *r;
	u32 lo = 0, hi = t->n, mid;

	/* The first range that ends at or after @iova. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->range[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == t->n || t->range[lo].start > iova)
		return -EFAULT;
	r = &t->range[lo];
	if (!(r->perm & (write ? VHOST_MAP_WO : VHOST_MAP_RO)))
		return -EACCES;
	*addr = r->addr + (iova - r->start);
	/* A range may cover all 2^64 bytes: count from @len's side. */
	return min(len - 1, r->last - iova) + 1;
}
EXPORT_SYMBOL_GPL(vdpa_devring_table_lookup);

/**
 * vdpa_devring_table_translate() - an IOVA to a kernel address
 * @t: the table; the caller keeps it alive
 * @iova: the address
 * @len: bytes wanted (nonzero)
 * @write: the access writes
 * @va: set to the kernel address of @iova
 *
 * Context: any; takes no lock.
 * Return: as vdpa_devring_iotlb_translate().
 */
long vdpa_devring_table_translate(const struct vdpa_devring_table *t, u64 iova, u64 len,
				  bool write, void **va)
{
	long n;
	u64 pa;

	n = vdpa_devring_table_lookup(t, iova, len, write, &pa);
	if (n < 0)
		return n;
	return vdpa_devring_ram(pa, n, va);
}
EXPORT_SYMBOL_GPL(vdpa_devring_table_translate);
