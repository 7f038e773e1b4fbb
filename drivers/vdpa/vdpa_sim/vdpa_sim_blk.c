// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_sim_blk: the "vdpasim_blk" management device, creating simulated
 * virtio-blk devices. One request virtqueue, one group, one address space.
 */
#include <linux/device.h>
#include <linux/module.h>
#include <linux/vmalloc.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <kunit/visibility.h>
#include <uapi/linux/vdpa.h>

#include "vdpa_sim.h"

#define VDPASIM_BLK_NAME "vdpasim_blk"
#define VDPASIM_BLK_SIZE_MAX SZ_64K
#define VDPASIM_BLK_SEG_MAX 32
#define VDPASIM_BLK_DISCARD_MAX_SECTORS (SZ_1M >> SECTOR_SHIFT)

#define VDPASIM_BLK_FEATURES (VDPASIM_COMMON_FEATURES |		\
			      BIT_ULL(VIRTIO_BLK_F_SIZE_MAX) |		\
			      BIT_ULL(VIRTIO_BLK_F_SEG_MAX) |		\
			      BIT_ULL(VIRTIO_BLK_F_BLK_SIZE) |		\
			      BIT_ULL(VIRTIO_BLK_F_FLUSH) |		\
			      BIT_ULL(VIRTIO_BLK_F_DISCARD) |		\
			      BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES))

static unsigned int capacity_mb = 128;
module_param(capacity_mb, uint, 0444);
MODULE_PARM_DESC(capacity_mb, "size of each device's RAM backing, in MiB (default 128)");

#define VDPASIM_BLK_BUDGET 32
#define VDPASIM_BLK_ID "vdpasim_blk"

/**
 * struct vdpasim_blk - a simulated virtio-blk device
 * @sim: the simulator core, first
 * @ram: the backing store, capacity_mb MiB
 * @sectors: its size in 512-byte sectors
 */
struct vdpasim_blk {
	struct vdpasim sim;
	void *ram;
	u64 sectors;
};

static struct vdpasim_blk *sim_to_blk(struct vdpasim *sim)
{
	return container_of(sim, struct vdpasim_blk, sim);
}

/* Whether [sector, sector + count) lies on the disk, overflow included. */
static bool vdpasim_blk_range_ok(struct vdpasim_blk *blk, u64 sector, u64 count)
{
	return sector <= blk->sectors && count <= blk->sectors - sector;
}

/* Copy between the request's data and the disk, in bounded pieces. */
static bool vdpasim_blk_rw(struct vdpasim_blk *blk, struct vdpa_devring_req *req,
			   u64 sector, size_t len, bool write, u32 *written)
{
	size_t hdr = sizeof(struct virtio_blk_outhdr);
	void *disk = blk->ram + (sector << SECTOR_SHIFT);

	if (len % SECTOR_SIZE || !vdpasim_blk_range_ok(blk, sector, len >> SECTOR_SHIFT))
		return false;
	if (write)
		return vdpa_devring_read(req, hdr, disk, len) == len;
	*written = vdpa_devring_write(req, 0, disk, len);
	return *written == len;
}

/* DISCARD and WRITE_ZEROES carry one range each (max_*_seg is 1). */
static bool vdpasim_blk_zero(struct vdpasim_blk *blk, struct vdpa_devring_req *req)
{
	struct virtio_blk_discard_write_zeroes range;
	size_t hdr = sizeof(struct virtio_blk_outhdr);
	u64 sector;
	u32 count;

	if (req->out_len != hdr + sizeof(range) ||
	    vdpa_devring_read(req, hdr, &range, sizeof(range)) != sizeof(range))
		return false;
	sector = le64_to_cpu(range.sector);
	count = le32_to_cpu(range.num_sectors);
	if (count > VDPASIM_BLK_DISCARD_MAX_SECTORS ||
	    !vdpasim_blk_range_ok(blk, sector, count))
		return false;
	/* Discarded sectors read back as zeroes too: simplest for a RAM disk. */
	memset(blk->ram + (sector << SECTOR_SHIFT), 0, (size_t)count << SECTOR_SHIFT);
	return true;
}

/* Execute one request; returns the bytes written back, status included. */
static u32 vdpasim_blk_request(struct vdpasim_blk *blk, struct vdpa_devring_req *req)
{
	size_t hdr = sizeof(struct virtio_blk_outhdr);
	struct virtio_blk_outhdr out;
	u8 status = VIRTIO_BLK_S_IOERR;
	u32 written = 0;
	size_t data;
	u64 sector;

	/* Every request ends with a status byte the device writes. */
	if (!req->in_len)
		return 0;
	data = req->in_len - 1;
	if (vdpa_devring_read(req, 0, &out, hdr) != hdr)
		goto done;
	sector = __virtio64_to_cpu(true, out.sector);

	switch (__virtio32_to_cpu(true, out.type)) {
	case VIRTIO_BLK_T_IN:
		if (vdpasim_blk_rw(blk, req, sector, data, false, &written))
			status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_OUT:
		if (!data && vdpasim_blk_rw(blk, req, sector, req->out_len - hdr, true, &written))
			status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		char id[VIRTIO_BLK_ID_BYTES] = VDPASIM_BLK_ID;

		written = vdpa_devring_write(req, 0, id, min_t(size_t, data, sizeof(id)));
		status = VIRTIO_BLK_S_OK;
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (vdpasim_blk_zero(blk, req))
			status = VIRTIO_BLK_S_OK;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
done:
	vdpa_devring_write(req, data, &status, sizeof(status));
	return written + 1;
}

static bool vdpasim_blk_work(struct vdpasim *sim)
{
	struct vdpa_devring_req *req = &sim->req[0];
	int n;

	for (n = 0; n < VDPASIM_BLK_BUDGET; n++) {
		if (vdpasim_vq_pop(sim, 0, req) <= 0)
			return false;
		vdpasim_vq_push(sim, 0, req, vdpasim_blk_request(sim_to_blk(sim), req));
	}
	return true;
}

static void vdpasim_blk_free(struct vdpasim *sim)
{
	vfree(sim_to_blk(sim)->ram);
}

static void vdpasim_blk_get_config(struct vdpasim *sim, void *config)
{
	struct virtio_blk_config *cfg = config;
	bool le = true;	/* VIRTIO_F_VERSION_1 is always offered */

	cfg->capacity = __cpu_to_virtio64(le, sim_to_blk(sim)->sectors);
	/*
	 * In VA mode each page is its own segment once translated (va.c):
	 * a segment of at most a page spans two, and with the header and
	 * the status a request must fit the ring's segments.
	 */
	cfg->size_max = __cpu_to_virtio32(le, sim->va ? PAGE_SIZE : VDPASIM_BLK_SIZE_MAX);
	cfg->seg_max = __cpu_to_virtio32(le, sim->va ? (VDPA_DEVRING_MAX_SEGS - 4) / 2 :
					 VDPASIM_BLK_SEG_MAX);
	cfg->blk_size = __cpu_to_virtio32(le, SECTOR_SIZE);
	cfg->max_discard_sectors = __cpu_to_virtio32(le, VDPASIM_BLK_DISCARD_MAX_SECTORS);
	cfg->max_discard_seg = __cpu_to_virtio32(le, 1);
	cfg->discard_sector_alignment = __cpu_to_virtio32(le, 1);
	cfg->max_write_zeroes_sectors = __cpu_to_virtio32(le, VDPASIM_BLK_DISCARD_MAX_SECTORS);
	cfg->max_write_zeroes_seg = __cpu_to_virtio32(le, 1);
}

static int vdpasim_blk_dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
			       const struct vdpa_dev_set_config *config)
{
	struct vdpasim_dev_attr attr = {
		.mgmt_dev = mdev,
		.name = name,
		.id = VIRTIO_ID_BLOCK,
		.supported_features = VDPASIM_BLK_FEATURES,
		.config_size = sizeof(struct virtio_blk_config),
		.nvqs = 1,
		.ngroups = 1,
		.nas = 1,
		.alloc_size = sizeof(struct vdpasim_blk),
		.get_config = vdpasim_blk_get_config,
		.work = vdpasim_blk_work,
		.free = vdpasim_blk_free,
	};
	struct vdpasim_blk *blk;
	struct vdpasim *sim;
	unsigned int mb;
	int err;

	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_FEATURES))
		attr.supported_features = config->device_features;
	sim = vdpasim_create(&attr, config);
	if (IS_ERR(sim))
		return PTR_ERR(sim);
	blk = sim_to_blk(sim);
	/* Read once: a KUnit suite may change it (vdpasim_blk_kunit_set_capacity()). */
	mb = READ_ONCE(capacity_mb);
	blk->sectors = (u64)mb << (20 - SECTOR_SHIFT);
	blk->ram = vzalloc((size_t)mb << 20);
	if (!blk->ram) {
		err = -ENOMEM;
		goto err_put;
	}
	err = vdpasim_register(sim);
	if (err)
		goto err_put;
	return 0;

err_put:
	/* vdpasim_blk_free() copes with no RAM. */
	put_device(&sim->vdpa.dev);
	return err;
}

static const struct vdpa_mgmtdev_ops vdpasim_blk_mgmtdev_ops = {
	.dev_add = vdpasim_blk_dev_add,
	.dev_del = vdpasim_dev_del,
};

static struct virtio_device_id vdpasim_blk_id_table[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static struct vdpasim_mgmt vdpasim_blk_mgmt = {
	.mdev = {
		.ops = &vdpasim_blk_mgmtdev_ops,
		.id_table = vdpasim_blk_id_table,
		.config_attr_mask = BIT_ULL(VDPA_ATTR_DEV_FEATURES),
		.supported_features = VDPASIM_BLK_FEATURES,
		.max_supported_vqs = 1,
	},
};

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * vdpasim_blk_kunit_mgmtdev() - the management device, for tests
 *
 * Return: the "vdpasim_blk" management device; valid while this module is
 * loaded, which a caller's use of this symbol guarantees.
 */
struct vdpa_mgmt_dev *vdpasim_blk_kunit_mgmtdev(void)
{
	return &vdpasim_blk_mgmt.mdev;
}
EXPORT_SYMBOL_IF_KUNIT(vdpasim_blk_kunit_mgmtdev);

/**
 * vdpasim_blk_kunit_set_capacity() - the size of the next devices' disks
 * @mb: their RAM backing in MiB; 0 is refused with a warning, as the module
 *      refuses to load with capacity_mb=0
 *
 * What loading the module with capacity_mb does, for tests in the kernel:
 * a suite that creates a device for each case allocates and clears a small
 * disk much faster than the default one.
 *
 * Return: the size before, in MiB (unchanged when @mb is 0).
 */
unsigned int vdpasim_blk_kunit_set_capacity(unsigned int mb)
{
	if (WARN_ON(!mb))
		return READ_ONCE(capacity_mb);
	return xchg(&capacity_mb, mb);
}
EXPORT_SYMBOL_IF_KUNIT(vdpasim_blk_kunit_set_capacity);
#endif

static int __init vdpasim_blk_init(void)
{
	if (!capacity_mb)
		return -EINVAL;
	return vdpasim_mgmt_register(&vdpasim_blk_mgmt, VDPASIM_BLK_NAME);
}

static void __exit vdpasim_blk_exit(void)
{
	vdpasim_mgmt_unregister(&vdpasim_blk_mgmt);
}

module_init(vdpasim_blk_init);
module_exit(vdpasim_blk_exit);

MODULE_DESCRIPTION("vDPA simulated virtio-blk devices");
MODULE_LICENSE("GPL");
