// SPDX-License-Identifier: GPL-2.0
/*
 * cxvdpa: the mlx5-style vDPA parent for cxdev functions. It binds to
 * every "<provider>.vnet" auxiliary device, enables the function and takes
 * its resources (resources.c); memory regions are built by mr.c.
 *
 * Not yet here: the management device (vdpa dev add), virtqueue objects
 * and the vdpa_config_ops glue.
 */
#include <linux/auxiliary_bus.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "cxvdpa.h"

static int cxvdpa_probe(struct auxiliary_device *adev, const struct auxiliary_device_id *id)
{
	struct cxvdpa_res *res;
	int err;

	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	err = cxvdpa_res_init(res, adev_to_cxdev(adev), &adev->dev);
	if (err) {
		dev_err(&adev->dev, "cannot enable the function: %d\n", err);
		kfree(res);
		return err;
	}
	auxiliary_set_drvdata(adev, res);
	return 0;
}

static void cxvdpa_remove(struct auxiliary_device *adev)
{
	struct cxvdpa_res *res = auxiliary_get_drvdata(adev);

	cxvdpa_res_fini(res);
	kfree(res);
}

static const struct auxiliary_device_id cxvdpa_id_table[] = {
	{ .name = "cxemu.vnet" },
	{}
};
MODULE_DEVICE_TABLE(auxiliary, cxvdpa_id_table);

static struct auxiliary_driver cxvdpa_driver = {
	.name = "vnet",
	.probe = cxvdpa_probe,
	.remove = cxvdpa_remove,
	.id_table = cxvdpa_id_table,
};
module_auxiliary_driver(cxvdpa_driver);

MODULE_DESCRIPTION("mlx5-style vDPA parent for ConnectX-like functions (cxdev)");
MODULE_LICENSE("GPL");
