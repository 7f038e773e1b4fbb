// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_sim_blk: the "vdpasim_blk" management device, creating simulated
 * virtio-blk devices. One request virtqueue, one group, one address space.
 */
#include <linux/device.h>
#include <linux/module.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <uapi/linux/vdpa.h>

#include "vdpa_sim.h"

#define VDPASIM_BLK_NAME "vdpasim_blk"
#define VDPASIM_BLK_SECTOR_SHIFT 9
#define VDPASIM_BLK_SIZE_MAX SZ_64K
#define VDPASIM_BLK_SEG_MAX 32
#define VDPASIM_BLK_DISCARD_MAX_SECTORS (SZ_1M >> VDPASIM_BLK_SECTOR_SHIFT)

#define VDPASIM_BLK_FEATURES (BIT_ULL(VIRTIO_F_VERSION_1) |		\
			      BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |	\
			      BIT_ULL(VIRTIO_BLK_F_SIZE_MAX) |		\
			      BIT_ULL(VIRTIO_BLK_F_SEG_MAX) |		\
			      BIT_ULL(VIRTIO_BLK_F_BLK_SIZE) |		\
			      BIT_ULL(VIRTIO_BLK_F_FLUSH) |		\
			      BIT_ULL(VIRTIO_BLK_F_DISCARD) |		\
			      BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES))

static unsigned int capacity_mb = 128;
module_param(capacity_mb, uint, 0444);
MODULE_PARM_DESC(capacity_mb, "size of each device's RAM backing, in MiB (default 128)");

static void vdpasim_blk_get_config(struct vdpasim *sim, void *config)
{
	struct virtio_blk_config *cfg = config;
	bool le = true;	/* VIRTIO_F_VERSION_1 is always offered */

	cfg->capacity = __cpu_to_virtio64(le, (u64)capacity_mb <<
					  (20 - VDPASIM_BLK_SECTOR_SHIFT));
	cfg->size_max = __cpu_to_virtio32(le, VDPASIM_BLK_SIZE_MAX);
	cfg->seg_max = __cpu_to_virtio32(le, VDPASIM_BLK_SEG_MAX);
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
		.alloc_size = sizeof(struct vdpasim),
		.get_config = vdpasim_blk_get_config,
	};
	struct vdpasim *sim;
	int err;

	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_FEATURES))
		attr.supported_features = config->device_features;
	sim = vdpasim_create(&attr, config);
	if (IS_ERR(sim))
		return PTR_ERR(sim);
	err = _vdpa_register_device(&sim->vdpa, attr.nvqs);
	if (err)
		put_device(&sim->vdpa.dev);
	return err;
}

static void vdpasim_blk_dev_del(struct vdpa_mgmt_dev *mdev,
				struct vdpa_device *vdpa)
{
	_vdpa_unregister_device(vdpa);
}

static const struct vdpa_mgmtdev_ops vdpasim_blk_mgmtdev_ops = {
	.dev_add = vdpasim_blk_dev_add,
	.dev_del = vdpasim_blk_dev_del,
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
