// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_devring IOTLB helpers: what a software device whose address space
 * is a vhost_iotlb of physical addresses (PA mode) needs to reach memory
 * through it, and to keep its own copy of one handed in by set_map.
 */
#include <linux/minmax.h>
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
