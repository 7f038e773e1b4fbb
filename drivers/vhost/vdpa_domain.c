// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_vdpa on parents with no translation of their own (neither set_map
 * nor dma_map, e.g. vp_vdpa): the device's DMA goes through the platform
 * IOMMU. While a file has the device, vhost_vdpa attaches a paging domain
 * of its own to the parent's DMA device and maps the owner's pinned runs
 * into it. vdpa_iotlb.c sees that domain as a strict dma_map parent: each
 * run is unmapped exactly as it was mapped, which an IOMMU needs (it may
 * have mapped a run with large pages it cannot split).
 *
 * The domain replaces the device's default (DMA API) domain from open to
 * close or removal; the default one is back for the next bus driver.
 *
 * Context: vhost_vdpa.lock held, device present. Attach and detach take
 * the IOMMU group's mutex inside it; map and unmap the IOMMU driver's own
 * locks (see vhost_vdpa.h).
 */
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/slab.h>

#include "vhost_vdpa.h"

/**
 * vhost_vdpa_domain_usable() - whether vhost_vdpa can translate for @vdpa
 * @vdpa: a device whose parent has neither set_map nor dma_map
 *
 * One address space (one domain per DMA device), a DMA device behind an
 * IOMMU, and an IOMMU that keeps DMA cache coherent: the owner's memory
 * is ordinary cacheable memory and no VMM flushes caches for a device.
 *
 * Return: 0, or -EOPNOTSUPP with the reason in the log.
 */
int vhost_vdpa_domain_usable(struct vdpa_device *vdpa)
{
	struct device *dma_dev = vdpa_get_dma_dev(vdpa);

	if (vdpa->nas != 1) {
		dev_err(&vdpa->dev, "vhost_vdpa: platform IOMMU translation gives one address space, the device has %u\n",
			vdpa->nas);
		return -EOPNOTSUPP;
	}
	if (!device_iommu_mapped(dma_dev)) {
		dev_err(&vdpa->dev, "vhost_vdpa: the parent has no translation and %s is behind no IOMMU (is the IOMMU on, e.g. intel_iommu=on?)\n",
			dev_name(dma_dev));
		return -EOPNOTSUPP;
	}
	if (!device_iommu_capable(dma_dev, IOMMU_CAP_CACHE_COHERENCY)) {
		dev_err(&vdpa->dev, "vhost_vdpa: the IOMMU of %s cannot keep its DMA cache coherent\n",
			dev_name(dma_dev));
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * Remember the device's reserved IOVA regions (the MSI window and the
 * like) that an UPDATE may not cover: a DMA there never reaches memory.
 * Relaxable direct regions are the exception: the device does not need
 * them once it is assigned.
 */
static int vhost_vdpa_domain_resv(struct vhost_vdpa *v)
{
	struct vhost_vdpa_domain *dm = &v->domain;
	struct iommu_resv_region *r;
	LIST_HEAD(list);
	u32 n = 0;
	int err = 0;

	iommu_get_resv_regions(dm->dma_dev, &list);
	list_for_each_entry(r, &list, list)
		n += r->type != IOMMU_RESV_DIRECT_RELAXABLE && r->length;
	dm->resv = kcalloc(n, sizeof(*dm->resv), GFP_KERNEL);
	if (!dm->resv) {
		err = -ENOMEM;
		goto out;
	}
	list_for_each_entry(r, &list, list) {
		if (r->type == IOMMU_RESV_DIRECT_RELAXABLE || !r->length)
			continue;
		dm->resv[dm->nresv].start = r->start;
		dm->resv[dm->nresv].last = r->start + r->length - 1;
		dm->nresv++;
	}
out:
	iommu_put_resv_regions(dm->dma_dev, &list);
	return err;
}

/* A fresh paging domain on the DMA device, in place of the default one. */
static struct iommu_domain *vhost_vdpa_domain_new(struct vhost_vdpa *v)
{
	struct device *dma_dev = v->domain.dma_dev;
	struct iommu_domain *d;
	int err;

	d = iommu_paging_domain_alloc(dma_dev);
	if (IS_ERR(d))
		return d;
	err = iommu_attach_device(d, dma_dev);
	if (err) {
		iommu_domain_free(d);
		return ERR_PTR(err);
	}
	return d;
}

/**
 * vhost_vdpa_domain_attach() - give the device an empty domain of ours
 * @v: the device, just reset, for a new file
 *
 * Return: 0, or -errno with the default domain still in place (-EBUSY:
 * another user holds the IOMMU group; -EINVAL: the group has other
 * devices).
 */
int vhost_vdpa_domain_attach(struct vhost_vdpa *v)
{
	struct vhost_vdpa_domain *dm = &v->domain;
	struct iommu_domain *d;
	int err;

	lockdep_assert_held(&v->lock);
	err = vhost_vdpa_domain_resv(v);
	if (err)
		return err;
	d = vhost_vdpa_domain_new(v);
	if (IS_ERR(d)) {
		err = PTR_ERR(d);
		dev_err(&v->dev, "cannot attach an IOMMU domain to %s: %d\n",
			dev_name(dm->dma_dev), err);
		kfree(dm->resv);
		dm->resv = NULL;
		dm->nresv = 0;
		return err;
	}
	dm->iommu = d;
	return 0;
}

/**
 * vhost_vdpa_domain_detach() - give the device its default domain back
 * @v: the device, reset
 *
 * Everything mapped in our domain goes with it (detaching flushes the
 * IOMMU's caches), so pinned pages may be released afterwards without
 * unmapping them one by one. Does nothing if no domain is attached.
 */
void vhost_vdpa_domain_detach(struct vhost_vdpa *v)
{
	struct vhost_vdpa_domain *dm = &v->domain;

	lockdep_assert_held(&v->lock);
	if (!dm->iommu)
		return;
	iommu_detach_device(dm->iommu, dm->dma_dev);
	iommu_domain_free(dm->iommu);
	dm->iommu = NULL;
	kfree(dm->resv);
	dm->resv = NULL;
	dm->nresv = 0;
}

/**
 * vhost_vdpa_domain_empty() - make the domain translate nothing
 * @v: the device
 *
 * An IOMMU unmaps only what was mapped, stopping at the first hole, so
 * "everything" is an empty domain put in place of the old one. The device
 * sits on its default domain in between, which maps no user memory.
 *
 * Return: 0, or -errno with the old domain (and the table in it) kept.
 */
int vhost_vdpa_domain_empty(struct vhost_vdpa *v)
{
	struct vhost_vdpa_domain *dm = &v->domain;
	struct iommu_domain *old = dm->iommu, *d;
	int err;

	lockdep_assert_held(&v->lock);
	if (!old)
		return 0;
	d = iommu_paging_domain_alloc(dm->dma_dev);
	if (IS_ERR(d))
		return PTR_ERR(d);
	iommu_detach_device(old, dm->dma_dev);
	err = iommu_attach_device(d, dm->dma_dev);
	if (!err) {
		iommu_domain_free(old);
		dm->iommu = d;
		return 0;
	}
	iommu_domain_free(d);
	if (!iommu_attach_device(old, dm->dma_dev))
		return err;
	/* Stuck on the default domain: empty too, but nothing maps any more. */
	dev_err(&v->dev, "lost the IOMMU domain of %s: %d; reopen the device\n",
		dev_name(dm->dma_dev), err);
	iommu_domain_free(old);
	dm->iommu = NULL;
	return 0;
}

static int vhost_vdpa_domain_prot(u32 perm)
{
	return IOMMU_CACHE | ((perm & VHOST_MAP_RO) ? IOMMU_READ : 0) |
	       ((perm & VHOST_MAP_WO) ? IOMMU_WRITE : 0);
}

/**
 * vhost_vdpa_domain_map() - map one run into the domain
 * @v: the device
 * @iova: where, page aligned
 * @size: bytes, page aligned
 * @pa: physical address of the pinned run
 * @perm: VHOST_MAP_* access of the device
 *
 * Return: 0, or -errno with nothing of the run mapped.
 */
int vhost_vdpa_domain_map(struct vhost_vdpa *v, u64 iova, u64 size, u64 pa, u32 perm)
{
	lockdep_assert_held(&v->lock);
	if (!v->domain.iommu)
		return -ENODEV;
	return iommu_map(v->domain.iommu, iova, pa, size, vhost_vdpa_domain_prot(perm),
			 GFP_KERNEL_ACCOUNT);
}

/**
 * vhost_vdpa_domain_unmap() - unmap one run, exactly as it was mapped
 * @v: the device
 * @iova: its start
 * @size: its bytes
 *
 * The IOMMU's caches are flushed before this returns, so the run's pages
 * may be unpinned at once.
 *
 * Return: 0, or -EIO if the domain gave back less than the run.
 */
int vhost_vdpa_domain_unmap(struct vhost_vdpa *v, u64 iova, u64 size)
{
	lockdep_assert_held(&v->lock);
	if (!v->domain.iommu)
		return 0;
	return iommu_unmap(v->domain.iommu, iova, size) == size ? 0 : -EIO;
}

/**
 * vhost_vdpa_domain_range() - the IOVAs the domain translates
 * @v: the device, with a domain attached
 *
 * Return: the domain's aperture; everything if it has none.
 */
struct vdpa_iova_range vhost_vdpa_domain_range(struct vhost_vdpa *v)
{
	struct iommu_domain *d = v->domain.iommu;

	if (!d || !d->geometry.force_aperture)
		return (struct vdpa_iova_range){ .first = 0, .last = U64_MAX };
	return (struct vdpa_iova_range){
		.first = d->geometry.aperture_start,
		.last = d->geometry.aperture_end,
	};
}

/**
 * vhost_vdpa_domain_allows() - whether an UPDATE may map [iova, last]
 * @v: the device
 * @iova: first byte
 * @last: last byte
 *
 * Return: true inside the aperture and clear of every reserved region.
 */
bool vhost_vdpa_domain_allows(struct vhost_vdpa *v, u64 iova, u64 last)
{
	struct vdpa_iova_range range = vhost_vdpa_domain_range(v);
	u32 i;

	if (iova < range.first || last > range.last)
		return false;
	for (i = 0; i < v->domain.nresv; i++)
		if (iova <= v->domain.resv[i].last && last >= v->domain.resv[i].start)
			return false;
	return true;
}
