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
 * The domain replaces the device's default domain (DMA API or identity)
 * from open to close or removal; the default one is back for the next
 * bus driver. It is never swapped while a file has the device: emptying it
 * unmaps what the table says was mapped (vdpa_iotlb.c), so the device is
 * never left on the default domain with the owner's rings programmed.
 *
 * Context: vhost_vdpa.lock held, device present. Attach and detach take
 * the IOMMU group's mutex inside it; map and unmap the IOMMU driver's own
 * locks (see vhost_vdpa.h).
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/slab.h>

#include "vhost_vdpa.h"

/**
 * vhost_vdpa_domain_usable() - whether vhost_vdpa can translate for @vdpa
 * @vdpa: a device whose parent has neither set_map nor dma_map
 *
 * One address space and one DMA device for every queue (one domain per
 * DMA device), a DMA device behind an IOMMU, and an IOMMU that keeps DMA
 * cache coherent: the owner's memory is ordinary cacheable memory and no
 * VMM flushes caches for a device.
 *
 * Context: probe.
 * Return: 0, or -EOPNOTSUPP with the reason in the log.
 */
int vhost_vdpa_domain_usable(struct vdpa_device *vdpa)
{
	struct device *dma_dev = vdpa_get_dma_dev(vdpa);

	if (vdpa->config->get_vq_dma_dev) {
		dev_err(&vdpa->dev, "vhost_vdpa: platform IOMMU translation needs one DMA device, the parent has one per queue\n");
		return -EOPNOTSUPP;
	}
	if (vdpa->nas != 1) {
		dev_err(&vdpa->dev, "vhost_vdpa: platform IOMMU translation gives one address space, the device has %u\n",
			vdpa->nas);
		return -EOPNOTSUPP;
	}
	if (!device_iommu_mapped(dma_dev)) {
		dev_err(&vdpa->dev, "vhost_vdpa: the parent has no translation and %s is behind no IOMMU (no IOMMU support, or it is off)\n",
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

/* Whether an UPDATE must stay clear of reserved region @r. */
static bool vhost_vdpa_domain_resv_kept(const struct iommu_resv_region *r)
{
	/* The device does not need relaxable direct regions once assigned. */
	return r->length && r->type != IOMMU_RESV_DIRECT_RELAXABLE;
}

/*
 * Remember the device's reserved IOVA regions (the MSI window,
 * non-relaxable RMRRs) that an UPDATE may not cover: a DMA there never
 * reaches memory. A software-managed MSI window (IOMMU_RESV_SW_MSI, Arm)
 * would need an MSI cookie on our domain; such a device is refused.
 */
static int vhost_vdpa_domain_resv(struct vhost_vdpa *v)
{
	struct vhost_vdpa_domain *dm = &v->domain;
	struct iommu_resv_region *r;
	LIST_HEAD(list);
	u32 n = 0;
	int err = 0;

	iommu_get_resv_regions(dm->dma_dev, &list);
	list_for_each_entry(r, &list, list) {
		if (r->type == IOMMU_RESV_SW_MSI) {
			dev_err(&v->dev, "%s has a software-managed MSI window, which is not supported\n",
				dev_name(dm->dma_dev));
			err = -EOPNOTSUPP;
			goto out;
		}
		if (vhost_vdpa_domain_resv_kept(r))
			n++;
	}
	dm->resv = kcalloc(n, sizeof(*dm->resv), GFP_KERNEL);
	if (!dm->resv) {
		err = -ENOMEM;
		goto out;
	}
	list_for_each_entry(r, &list, list) {
		if (!vhost_vdpa_domain_resv_kept(r))
			continue;
		dm->resv[dm->nresv].start = r->start;
		dm->resv[dm->nresv].last = r->start + r->length - 1;
		dm->nresv++;
	}
out:
	iommu_put_resv_regions(dm->dma_dev, &list);
	return err;
}

/**
 * vhost_vdpa_domain_attach() - give the device an empty domain of ours
 * @v: the device, just reset, for a new file
 *
 * Context: vhost_vdpa.lock held.
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
	d = iommu_paging_domain_alloc(dm->dma_dev);
	if (IS_ERR(d)) {
		err = PTR_ERR(d);
		goto err_resv;
	}
	err = iommu_attach_device(d, dm->dma_dev);
	if (err)
		goto err_free;
	dm->iommu = d;
	return 0;

err_free:
	iommu_domain_free(d);
err_resv:
	dev_err(&v->dev, "cannot attach an IOMMU domain to %s: %d\n", dev_name(dm->dma_dev), err);
	kfree(dm->resv);
	dm->resv = NULL;
	dm->nresv = 0;
	return err;
}

/*
 * Wait for the device to finish its reset: a virtio-pci device is reset
 * only once its status reads back 0 (vp_vdpa's reset does not wait), and
 * its DMA must be over before the domain or the pages go.
 */
static void vhost_vdpa_domain_quiesce(struct vhost_vdpa *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	unsigned long end = jiffies + HZ;

	while (ops->get_status(v->vdpa)) {
		if (time_after(jiffies, end)) {
			dev_warn(&v->dev, "the device did not finish its reset in 1 s\n");
			return;
		}
		usleep_range(1000, 2000);
	}
}

/**
 * vhost_vdpa_domain_reset() - a reset of the device took place
 * @v: the device
 *
 * Context: vhost_vdpa.lock held; after vdpa_reset(), before the domain's
 * mappings or the pages behind them change.
 */
void vhost_vdpa_domain_reset(struct vhost_vdpa *v)
{
	lockdep_assert_held(&v->lock);
	if (v->domain.dma_dev)
		vhost_vdpa_domain_quiesce(v);
}

/**
 * vhost_vdpa_domain_detach() - give the device its default domain back
 * @v: the device, reset
 *
 * Everything mapped in our domain goes with it (detaching flushes the
 * IOMMU's caches), so pinned pages may be released afterwards without
 * unmapping them one by one. Does nothing if no domain is attached.
 *
 * Context: vhost_vdpa.lock held.
 * Return: true if the device no longer translates through our domain;
 * false if it still does (a device joined its IOMMU group meanwhile): the
 * domain is then left as it is, and the caller must keep the pages.
 */
bool vhost_vdpa_domain_detach(struct vhost_vdpa *v)
{
	struct vhost_vdpa_domain *dm = &v->domain;

	lockdep_assert_held(&v->lock);
	if (!dm->iommu)
		return true;
	iommu_detach_device(dm->iommu, dm->dma_dev);
	if (iommu_get_domain_for_dev(dm->dma_dev) == dm->iommu) {
		dev_err(&v->dev, "cannot detach the IOMMU domain of %s (its IOMMU group grew); leaking it and the pages it maps\n",
			dev_name(dm->dma_dev));
		dm->iommu = NULL;
		return false;
	}
	iommu_domain_free(dm->iommu);
	dm->iommu = NULL;
	kfree(dm->resv);
	dm->resv = NULL;
	dm->nresv = 0;
	return true;
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
 * Context: vhost_vdpa.lock held.
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
 * A run is mapped whole or not at all (a failed iommu_map() undoes
 * itself), and one not mapped yet (entered by an UPDATE still pinning)
 * gives back nothing. Should the IOMMU give back only part of it, the rest
 * is unmapped past every hole. The IOMMU's caches are flushed before this
 * returns, so the run's pages may be unpinned at once.
 *
 * Context: vhost_vdpa.lock held.
 * Return: 0: nothing of the run is mapped any more.
 */
int vhost_vdpa_domain_unmap(struct vhost_vdpa *v, u64 iova, u64 size)
{
	struct iommu_domain *d = v->domain.iommu;
	size_t n;
	u64 done;

	lockdep_assert_held(&v->lock);
	if (!d)
		return 0;
	n = iommu_unmap(d, iova, size);
	/* Not mapped at all, or all of it given back. */
	if (!n || n >= size)
		return 0;
	for (done = n; done < size; done += n ?: PAGE_SIZE) {
		n = iommu_unmap(d, iova + done, size - done);
		cond_resched();
	}
	return 0;
}

/**
 * vhost_vdpa_domain_range() - the IOVAs the domain translates
 * @v: the device, with a domain attached
 *
 * Context: vhost_vdpa.lock held.
 * Return: the domain's aperture (everything if it has none), cut to what
 * iommu_map() takes (an unsigned long).
 */
struct vdpa_iova_range vhost_vdpa_domain_range(struct vhost_vdpa *v)
{
	struct iommu_domain *d = v->domain.iommu;
	struct vdpa_iova_range r = { .first = 0, .last = ULONG_MAX };

	if (d && d->geometry.force_aperture) {
		r.first = d->geometry.aperture_start;
		r.last = min_t(u64, d->geometry.aperture_end, ULONG_MAX);
	}
	return r;
}

/**
 * vhost_vdpa_domain_allows() - whether an UPDATE may map [iova, last]
 * @v: the device
 * @iova: first byte
 * @last: last byte
 *
 * Context: vhost_vdpa.lock held.
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
