// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the vDPA bus: device lifetime, parent validation,
 * matching with driver_override, the config helpers and management
 * devices, against a fake parent whose ops record every call.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vdpa.h>
#include <linux/virtio_ids.h>
#include <uapi/linux/virtio_config.h>

#include "../vdpa_internal.h"

#define FAKE_CONFIG_SIZE 16
#define FAKE_VENDOR_ID 0x1af4

/* Call counts outlive the fake device, which the bus frees. */
struct fake_calls {
	int free;
	int reset;
	int compat_reset;
	u32 compat_flags;
	int set_features;
	u64 features;
	int get_config;
	int set_config;
	int set_status;
	u8 status;
	unsigned int offset;
	unsigned int len;
	int dev_add;
	int dev_del;
	int probe;
	int probe2;
	int remove;
};

struct fake_vdpa {
	struct vdpa_device vdpa;	/* first, as vdpa_alloc_device() needs */
	struct fake_calls *calls;
	u16 num_max;
	u16 num_min;
	u8 config[FAKE_CONFIG_SIZE];
};

struct bus_test {
	struct device *parent;
	struct fake_calls calls;
};

static struct fake_vdpa *to_fake(struct vdpa_device *vdpa)
{
	return container_of(vdpa, struct fake_vdpa, vdpa);
}

static int fake_set_vq_address(struct vdpa_device *v, u16 idx, u64 d, u64 a, u64 u)
{
	return 0;
}

static void fake_set_vq_num(struct vdpa_device *v, u16 idx, u32 num) {}
static void fake_kick_vq(struct vdpa_device *v, u16 idx) {}
static void fake_set_vq_cb(struct vdpa_device *v, u16 idx, struct vdpa_callback *cb) {}
static void fake_set_vq_ready(struct vdpa_device *v, u16 idx, bool ready) {}

static bool fake_get_vq_ready(struct vdpa_device *v, u16 idx)
{
	return false;
}

static int fake_set_vq_state(struct vdpa_device *v, u16 idx,
			     const struct vdpa_vq_state *s)
{
	return 0;
}

static int fake_get_vq_state(struct vdpa_device *v, u16 idx, struct vdpa_vq_state *s)
{
	return 0;
}

static u32 fake_get_vq_align(struct vdpa_device *v)
{
	return 64;
}

static u64 fake_get_device_features(struct vdpa_device *v)
{
	return BIT_ULL(VIRTIO_F_VERSION_1);
}

static int fake_set_driver_features(struct vdpa_device *v, u64 features)
{
	to_fake(v)->calls->set_features++;
	to_fake(v)->calls->features = features;
	return 0;
}

static u64 fake_get_driver_features(struct vdpa_device *v)
{
	return to_fake(v)->calls->features;
}

static void fake_set_config_cb(struct vdpa_device *v, struct vdpa_callback *cb) {}

static u16 fake_get_vq_num_max(struct vdpa_device *v)
{
	return to_fake(v)->num_max;
}

static u16 fake_get_vq_num_min(struct vdpa_device *v)
{
	return to_fake(v)->num_min;
}

static u32 fake_get_device_id(struct vdpa_device *v)
{
	return VIRTIO_ID_NET;
}

static u32 fake_get_vendor_id(struct vdpa_device *v)
{
	return FAKE_VENDOR_ID;
}

static u8 fake_get_status(struct vdpa_device *v)
{
	return to_fake(v)->calls->status;
}

static void fake_set_status(struct vdpa_device *v, u8 status)
{
	to_fake(v)->calls->set_status++;
	to_fake(v)->calls->status = status;
}

static int fake_reset(struct vdpa_device *v)
{
	to_fake(v)->calls->reset++;
	return 0;
}

static int fake_compat_reset(struct vdpa_device *v, u32 flags)
{
	to_fake(v)->calls->compat_reset++;
	to_fake(v)->calls->compat_flags = flags;
	return 0;
}

static size_t fake_get_config_size(struct vdpa_device *v)
{
	return FAKE_CONFIG_SIZE;
}

static void fake_get_config(struct vdpa_device *v, unsigned int offset,
			    void *buf, unsigned int len)
{
	struct fake_vdpa *f = to_fake(v);

	f->calls->get_config++;
	f->calls->offset = offset;
	f->calls->len = len;
	memcpy(buf, f->config + offset, len);
}

static void fake_set_config(struct vdpa_device *v, unsigned int offset,
			    const void *buf, unsigned int len)
{
	struct fake_vdpa *f = to_fake(v);

	f->calls->set_config++;
	memcpy(f->config + offset, buf, len);
}

static int fake_dma_map(struct vdpa_device *v, unsigned int asid, u64 iova,
			u64 size, u64 pa, u32 perm, void *opaque)
{
	return 0;
}

static int fake_dma_unmap(struct vdpa_device *v, unsigned int asid, u64 iova, u64 size)
{
	return 0;
}

static int fake_set_map(struct vdpa_device *v, unsigned int asid,
			struct vhost_iotlb *iotlb)
{
	return 0;
}

static u32 fake_get_vq_group(struct vdpa_device *v, u16 idx)
{
	return 0;
}

static int fake_set_group_asid(struct vdpa_device *v, unsigned int group,
			       unsigned int asid)
{
	return 0;
}

static int fake_bind_mm(struct vdpa_device *v, struct mm_struct *mm)
{
	return 0;
}

static void fake_free(struct vdpa_device *v)
{
	to_fake(v)->calls->free++;
}

static const struct vdpa_config_ops fake_ops = {
	.set_vq_address = fake_set_vq_address,
	.set_vq_num = fake_set_vq_num,
	.kick_vq = fake_kick_vq,
	.set_vq_cb = fake_set_vq_cb,
	.set_vq_ready = fake_set_vq_ready,
	.get_vq_ready = fake_get_vq_ready,
	.set_vq_state = fake_set_vq_state,
	.get_vq_state = fake_get_vq_state,
	.get_vq_align = fake_get_vq_align,
	.get_device_features = fake_get_device_features,
	.set_driver_features = fake_set_driver_features,
	.get_driver_features = fake_get_driver_features,
	.set_config_cb = fake_set_config_cb,
	.get_vq_num_max = fake_get_vq_num_max,
	.get_vq_num_min = fake_get_vq_num_min,
	.get_device_id = fake_get_device_id,
	.get_vendor_id = fake_get_vendor_id,
	.get_status = fake_get_status,
	.set_status = fake_set_status,
	.reset = fake_reset,
	.compat_reset = fake_compat_reset,
	.get_config_size = fake_get_config_size,
	.get_config = fake_get_config,
	.set_config = fake_set_config,
	.free = fake_free,
};

static void fake_unregister(void *vdpa)
{
	vdpa_unregister_device(vdpa);
}

/* Allocate a fake device whose reference the test drops at its end. */
static struct fake_vdpa *fake_alloc(struct kunit *test, const char *name)
{
	struct bus_test *t = test->priv;
	struct fake_vdpa *f;

	f = vdpa_alloc_device(struct fake_vdpa, vdpa, t->parent, &fake_ops,
			      1, 1, name, false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	f->calls = &t->calls;
	f->num_max = 256;
	f->num_min = 1;
	/* Keep real bus drivers (vhost_vdpa, virtio_vdpa) off the fake. */
	if (device_set_driver_override(&f->vdpa.dev, "vdpa_kunit_none")) {
		put_device(&f->vdpa.dev);
		KUNIT_FAIL_AND_ABORT(test, "cannot set driver_override");
	}
	return f;
}

/* Register @f; the test unregisters it at its end. */
static void fake_register(struct kunit *test, struct fake_vdpa *f, u32 nvqs)
{
	int err = vdpa_register_device(&f->vdpa, nvqs);

	if (err) {
		put_device(&f->vdpa.dev);
		KUNIT_FAIL_AND_ABORT(test, "vdpa_register_device: %d", err);
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_unregister, &f->vdpa), 0);
}

/* A fake that the test registers and unregisters itself. */
static struct fake_vdpa *fake_new(struct kunit *test, const char *name)
{
	struct fake_vdpa *f = fake_alloc(test, name);

	fake_register(test, f, 2);
	return f;
}

static int bus_test_init(struct kunit *test)
{
	struct bus_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->parent = kunit_device_register(test, "vdpa-kunit-parent");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->parent);
	test->priv = t;
	return 0;
}

/* A registered device is on the vdpa bus under its name; unregistering frees it once. */
static void vdpa_bus_register_unregister(struct kunit *test)
{
	struct bus_test *t = test->priv;
	struct fake_vdpa *f = fake_alloc(test, "kunit-vdpa0");
	struct device *found;

	KUNIT_ASSERT_EQ(test, vdpa_register_device(&f->vdpa, 2), 0);
	KUNIT_EXPECT_STREQ(test, f->vdpa.dev.bus->name, "vdpa");
	KUNIT_EXPECT_EQ(test, f->vdpa.nvqs, 2);
	KUNIT_EXPECT_PTR_EQ(test, f->vdpa.dma_dev, t->parent);
	found = bus_find_device_by_name(f->vdpa.dev.bus, NULL, "kunit-vdpa0");
	KUNIT_EXPECT_PTR_EQ(test, found, &f->vdpa.dev);
	put_device(found);

	vdpa_unregister_device(&f->vdpa);
	KUNIT_EXPECT_EQ(test, t->calls.free, 1);
}

/* Without a name the device is called vdpaN after its index. */
static void vdpa_bus_default_name(struct kunit *test)
{
	struct fake_vdpa *f = fake_alloc(test, NULL);
	char want[16];

	snprintf(want, sizeof(want), "vdpa%u", f->vdpa.index);
	KUNIT_EXPECT_STREQ(test, dev_name(&f->vdpa.dev), want);
	put_device(&f->vdpa.dev);
}

/* Dropping an allocated, never registered device calls the parent's free once. */
static void vdpa_bus_put_unregistered(struct kunit *test)
{
	struct bus_test *t = test->priv;
	struct fake_vdpa *f = fake_alloc(test, "kunit-vdpa-put");

	put_device(&f->vdpa.dev);
	KUNIT_EXPECT_EQ(test, t->calls.free, 1);
}

/* A second device with a taken name is refused and can still be dropped. */
static void vdpa_bus_duplicate_name(struct kunit *test)
{
	struct bus_test *t = test->priv;
	struct fake_vdpa *dup;

	fake_new(test, "kunit-vdpa-dup");
	dup = fake_alloc(test, "kunit-vdpa-dup");
	KUNIT_EXPECT_EQ(test, vdpa_register_device(&dup->vdpa, 2), -EEXIST);
	put_device(&dup->vdpa.dev);
	KUNIT_EXPECT_EQ(test, t->calls.free, 1);
}

struct bad_register_case {
	const char *desc;
	u32 nvqs;
	u16 num_min;
	u16 num_max;
};

static const struct bad_register_case bad_register_cases[] = {
	{ "no virtqueues", 0, 1, 256 },
	{ "vq size min above max", 2, 512, 256 },
	{ "vq size max zero", 2, 0, 0 },
	{ "more virtqueues than a u16 indexes", 0x10000, 1, 256 },
};

KUNIT_ARRAY_PARAM_DESC(bad_register, bad_register_cases, desc);

/* Registration refuses inconsistent virtqueue numbers; the device stays the caller's. */
static void vdpa_bus_register_rejects(struct kunit *test)
{
	const struct bad_register_case *c = test->param_value;
	struct bus_test *t = test->priv;
	struct fake_vdpa *f = fake_alloc(test, "kunit-vdpa-bad");

	f->num_min = c->num_min;
	f->num_max = c->num_max;
	KUNIT_EXPECT_EQ(test, vdpa_register_device(&f->vdpa, c->nvqs), -EINVAL);
	KUNIT_EXPECT_FALSE(test, device_is_registered(&f->vdpa.dev));
	put_device(&f->vdpa.dev);
	KUNIT_EXPECT_EQ(test, t->calls.free, 1);
}

struct bad_parent_case {
	const char *desc;
	void (*mutate)(struct vdpa_config_ops *ops);
	unsigned int ngroups;
	unsigned int nas;
	bool use_va;
};

static void no_get_vq_num_max(struct vdpa_config_ops *ops)
{
	ops->get_vq_num_max = NULL;
}

static void no_set_status(struct vdpa_config_ops *ops)
{
	ops->set_status = NULL;
}

static void map_without_unmap(struct vdpa_config_ops *ops)
{
	ops->dma_map = fake_dma_map;
}

static void unmap_without_map(struct vdpa_config_ops *ops)
{
	ops->dma_unmap = fake_dma_unmap;
}

static void bind_without_unbind(struct vdpa_config_ops *ops)
{
	ops->bind_mm = fake_bind_mm;
	ops->set_map = fake_set_map;
}

static int fake_dirty_stop(struct vdpa_device *v, unsigned int asid)
{
	return 0;
}

/* One dirty op of four: a bus driver would call the missing ones. */
static void dirty_stop_alone(struct vdpa_config_ops *ops)
{
	ops->dirty_stop = fake_dirty_stop;
}

static void nothing(struct vdpa_config_ops *ops)
{
}

static void with_group_op(struct vdpa_config_ops *ops)
{
	ops->get_vq_group = fake_get_vq_group;
}

static const struct bad_parent_case bad_parent_cases[] = {
	{ "mandatory get_vq_num_max missing", no_get_vq_num_max, 1, 1, false },
	{ "mandatory set_status missing", no_set_status, 1, 1, false },
	{ "dma_map without dma_unmap", map_without_unmap, 1, 1, false },
	{ "dma_unmap without dma_map", unmap_without_map, 1, 1, false },
	{ "bind_mm without unbind_mm", bind_without_unbind, 1, 1, false },
	{ "dirty_stop without the other dirty ops", dirty_stop_alone, 1, 1, false },
	{ "use_va without dma_map or set_map", nothing, 1, 1, true },
	{ "zero groups", nothing, 0, 1, false },
	{ "zero address spaces", nothing, 1, 0, false },
	{ "two groups without get_vq_group", nothing, 2, 1, false },
	{ "two address spaces without set_group_asid", with_group_op, 2, 2, false },
};

KUNIT_ARRAY_PARAM_DESC(bad_parent, bad_parent_cases, desc);

/* Allocation refuses a parent whose ops or geometry are inconsistent. */
static void vdpa_bus_alloc_rejects(struct kunit *test)
{
	const struct bad_parent_case *c = test->param_value;
	struct bus_test *t = test->priv;
	struct vdpa_config_ops *ops;
	struct fake_vdpa *f;

	ops = kunit_kmalloc(test, sizeof(*ops), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ops);
	*ops = fake_ops;
	c->mutate(ops);
	f = vdpa_alloc_device(struct fake_vdpa, vdpa, t->parent, ops,
			      c->ngroups, c->nas, "kunit-vdpa-bad", c->use_va);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -EINVAL);
	KUNIT_EXPECT_EQ(test, t->calls.free, 0);
}

/* The same fake with every multi-group op allocates fine: the rejects are not blanket. */
static void vdpa_bus_alloc_accepts_full_parent(struct kunit *test)
{
	struct bus_test *t = test->priv;
	struct vdpa_config_ops *ops;
	struct fake_vdpa *f;

	ops = kunit_kmalloc(test, sizeof(*ops), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ops);
	*ops = fake_ops;
	ops->get_vq_group = fake_get_vq_group;
	ops->set_group_asid = fake_set_group_asid;
	ops->dma_map = fake_dma_map;
	ops->dma_unmap = fake_dma_unmap;
	f = vdpa_alloc_device(struct fake_vdpa, vdpa, t->parent, ops, 2, 2,
			      "kunit-vdpa-full", true);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	f->calls = &t->calls;
	KUNIT_EXPECT_EQ(test, f->vdpa.ngroups, 2);
	KUNIT_EXPECT_EQ(test, f->vdpa.nas, 2);
	KUNIT_EXPECT_TRUE(test, f->vdpa.use_va);
	put_device(&f->vdpa.dev);
	KUNIT_EXPECT_EQ(test, t->calls.free, 1);
}

/* Drivers that count their probes; the tests register them themselves. */
static struct fake_calls *drv_calls;

static int fake_drv_probe(struct vdpa_device *vdev)
{
	drv_calls->probe++;
	return 0;
}

static int fake_drv2_probe(struct vdpa_device *vdev)
{
	drv_calls->probe2++;
	return 0;
}

static void fake_drv_remove(struct vdpa_device *vdev)
{
	drv_calls->remove++;
}

static struct vdpa_driver fake_drv = {
	.driver.name = "vdpa_kunit_drv",
	.probe = fake_drv_probe,
	.remove = fake_drv_remove,
};

static struct vdpa_driver fake_drv2 = {
	.driver.name = "vdpa_kunit_drv2",
	.probe = fake_drv2_probe,
	.remove = fake_drv_remove,
};

static void fake_drv_unregister(void *drv)
{
	vdpa_unregister_driver(drv);
}

static void register_fake_driver(struct kunit *test, struct vdpa_driver *drv)
{
	struct bus_test *t = test->priv;

	drv_calls = &t->calls;
	KUNIT_ASSERT_EQ(test, vdpa_register_driver(drv), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_drv_unregister, drv), 0);
}

static int count_driver(struct device_driver *drv, void *count)
{
	(*(int *)count)++;
	return 0;
}

/* With two bus drivers loaded a device binds to exactly one of them. */
static void vdpa_bus_binds_one_driver(struct kunit *test)
{
	struct bus_test *t = test->priv;
	struct fake_vdpa *f;
	int drivers = 0;

	register_fake_driver(test, &fake_drv);
	register_fake_driver(test, &fake_drv2);
	f = fake_alloc(test, "kunit-vdpa-bind");
	bus_for_each_drv(f->vdpa.dev.bus, NULL, &drivers, count_driver);
	if (drivers != 2) {
		put_device(&f->vdpa.dev);
		kunit_skip(test, "other vdpa bus drivers are loaded");
	}
	KUNIT_ASSERT_EQ(test, device_set_driver_override(&f->vdpa.dev, ""), 0);
	fake_register(test, f, 2);
	KUNIT_EXPECT_EQ(test, t->calls.probe + t->calls.probe2, 1);
	KUNIT_EXPECT_NOT_NULL(test, f->vdpa.dev.driver);
}

/* driver_override names the only driver a device binds to, and none when it names no driver. */
static void vdpa_bus_driver_override(struct kunit *test)
{
	struct bus_test *t = test->priv;
	struct fake_vdpa *f;

	register_fake_driver(test, &fake_drv);
	register_fake_driver(test, &fake_drv2);

	f = fake_alloc(test, "kunit-vdpa-override");
	KUNIT_ASSERT_EQ(test, device_set_driver_override(&f->vdpa.dev, "no_such_driver"), 0);
	fake_register(test, f, 2);
	KUNIT_EXPECT_EQ(test, t->calls.probe + t->calls.probe2, 0);
	KUNIT_EXPECT_NULL(test, f->vdpa.dev.driver);

	KUNIT_ASSERT_EQ(test, device_set_driver_override(&f->vdpa.dev, "vdpa_kunit_drv2"), 0);
	KUNIT_ASSERT_EQ(test, device_attach(&f->vdpa.dev), 1);
	KUNIT_EXPECT_EQ(test, t->calls.probe, 0);
	KUNIT_EXPECT_EQ(test, t->calls.probe2, 1);

	device_release_driver(&f->vdpa.dev);
	KUNIT_EXPECT_EQ(test, t->calls.remove, 1);
	KUNIT_ASSERT_EQ(test, device_set_driver_override(&f->vdpa.dev, "vdpa_kunit_drv"), 0);
	KUNIT_ASSERT_EQ(test, device_attach(&f->vdpa.dev), 1);
	KUNIT_EXPECT_EQ(test, t->calls.probe, 1);
}

/* The uevent carries a MODALIAS built from the device and vendor ids. */
static void vdpa_bus_uevent_modalias(struct kunit *test)
{
	struct fake_vdpa *f = fake_new(test, "kunit-vdpa-uevent");
	struct kobj_uevent_env *env;
	bool found = false;
	int i;

	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env);
	KUNIT_ASSERT_EQ(test, f->vdpa.dev.bus->uevent(&f->vdpa.dev, env), 0);
	for (i = 0; i < env->envp_idx; i++)
		found |= !strcmp(env->envp[i], "MODALIAS=vdpa:d00000001v00001AF4");
	KUNIT_EXPECT_TRUE(test, found);
}

/* A config read before feature negotiation negotiates none first, then reads the parent. */
static void vdpa_bus_get_config_negotiates(struct kunit *test)
{
	struct bus_test *t = test->priv;
	struct fake_vdpa *f = fake_new(test, "kunit-vdpa-cfg");
	u8 buf[4];

	f->config[4] = 0xab;
	f->config[5] = 0xcd;
	vdpa_get_config(&f->vdpa, 4, buf, 2);
	KUNIT_EXPECT_EQ(test, t->calls.set_features, 1);
	KUNIT_EXPECT_EQ(test, t->calls.features, 0);
	KUNIT_EXPECT_TRUE(test, f->vdpa.features_valid);
	KUNIT_EXPECT_EQ(test, t->calls.offset, 4);
	KUNIT_EXPECT_EQ(test, t->calls.len, 2);
	KUNIT_EXPECT_EQ(test, buf[0], 0xab);
	KUNIT_EXPECT_EQ(test, buf[1], 0xcd);

	/* Features already set: no second negotiation. */
	vdpa_get_config(&f->vdpa, 0, buf, 1);
	KUNIT_EXPECT_EQ(test, t->calls.set_features, 1);
}

/* Reads past the config space return zeroes without reaching the parent; writes are dropped. */
static void vdpa_bus_config_bounds(struct kunit *test)
{
	struct bus_test *t = test->priv;
	struct fake_vdpa *f = fake_new(test, "kunit-vdpa-bounds");
	u8 buf[8];

	vdpa_set_features(&f->vdpa, 0);
	memset(f->config, 0x5a, sizeof(f->config));
	memset(buf, 0xff, sizeof(buf));
	vdpa_get_config(&f->vdpa, FAKE_CONFIG_SIZE - 4, buf, 8);
	KUNIT_EXPECT_EQ(test, t->calls.get_config, 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0, sizeof(buf)));

	vdpa_get_config(&f->vdpa, UINT_MAX, buf, 8);
	KUNIT_EXPECT_EQ(test, t->calls.get_config, 0);

	vdpa_set_config(&f->vdpa, FAKE_CONFIG_SIZE - 1, buf, 2);
	KUNIT_EXPECT_EQ(test, t->calls.set_config, 0);
	vdpa_set_config(&f->vdpa, FAKE_CONFIG_SIZE - 2, buf, 2);
	KUNIT_EXPECT_EQ(test, t->calls.set_config, 1);

	/* The very last bytes are in range. */
	vdpa_get_config(&f->vdpa, FAKE_CONFIG_SIZE - 4, buf, 4);
	KUNIT_EXPECT_EQ(test, t->calls.get_config, 1);
}

/* vdpa_reset() invalidates features and picks compat_reset only when asked to. */
static void vdpa_bus_reset(struct kunit *test)
{
	struct bus_test *t = test->priv;
	struct fake_vdpa *f = fake_new(test, "kunit-vdpa-reset");

	KUNIT_EXPECT_EQ(test, vdpa_set_features(&f->vdpa, BIT_ULL(VIRTIO_F_VERSION_1)), 0);
	KUNIT_EXPECT_TRUE(test, f->vdpa.features_valid);
	vdpa_set_status(&f->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	KUNIT_EXPECT_EQ(test, t->calls.status, VIRTIO_CONFIG_S_ACKNOWLEDGE);

	KUNIT_EXPECT_EQ(test, vdpa_reset(&f->vdpa, 0), 0);
	KUNIT_EXPECT_FALSE(test, f->vdpa.features_valid);
	KUNIT_EXPECT_EQ(test, t->calls.reset, 1);
	KUNIT_EXPECT_EQ(test, t->calls.compat_reset, 0);

	KUNIT_EXPECT_EQ(test, vdpa_reset(&f->vdpa, VDPA_RESET_F_CLEAN_MAP), 0);
	KUNIT_EXPECT_EQ(test, t->calls.reset, 1);
	KUNIT_EXPECT_EQ(test, t->calls.compat_reset, 1);
	KUNIT_EXPECT_EQ(test, t->calls.compat_flags, VDPA_RESET_F_CLEAN_MAP);
}

/* A management device that creates fake devices and counts deletions. */
static struct fake_calls *mgmt_calls;
static struct device *mgmt_parent;

static int fake_dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
			const struct vdpa_dev_set_config *config)
{
	struct fake_vdpa *f;
	int err;

	f = vdpa_alloc_device(struct fake_vdpa, vdpa, mgmt_parent, &fake_ops,
			      1, 1, name, false);
	if (IS_ERR(f))
		return PTR_ERR(f);
	f->calls = mgmt_calls;
	f->num_max = 256;
	f->num_min = 1;
	f->vdpa.mdev = mdev;
	err = _vdpa_register_device(&f->vdpa, 2);
	if (err) {
		put_device(&f->vdpa.dev);
		return err;
	}
	mgmt_calls->dev_add++;
	return 0;
}

static void fake_dev_del(struct vdpa_mgmt_dev *mdev, struct vdpa_device *vdev)
{
	mgmt_calls->dev_del++;
	_vdpa_unregister_device(vdev);
}

static const struct vdpa_mgmtdev_ops fake_mgmt_ops = {
	.dev_add = fake_dev_add,
	.dev_del = fake_dev_del,
};

static struct virtio_device_id fake_id_table[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static void mgmtdev_unregister_action(void *mdev)
{
	vdpa_mgmtdev_unregister(mdev);
}

/*
 * The management device lives in test memory: it must be off the bus's
 * list before the test ends, even when an assertion aborts the test.
 */
static void mgmtdev_register(struct kunit *test, struct vdpa_mgmt_dev *mdev)
{
	KUNIT_ASSERT_EQ(test, vdpa_mgmtdev_register(mdev), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mgmtdev_unregister_action,
							mdev), 0);
}

static void mgmtdev_unregister(struct kunit *test, struct vdpa_mgmt_dev *mdev)
{
	kunit_release_action(test, mgmtdev_unregister_action, mdev);
}

/* Registration must fail; if it does not, take the device back off the list. */
static void expect_mgmtdev_refused(struct kunit *test, struct vdpa_mgmt_dev *mdev, int err)
{
	int ret = vdpa_mgmtdev_register(mdev);

	if (!ret)
		vdpa_mgmtdev_unregister(mdev);
	KUNIT_EXPECT_EQ(test, ret, err);
}

/* An incomplete or duplicate management device is refused. */
static void vdpa_bus_mgmtdev_rejects(struct kunit *test)
{
	struct bus_test *t = test->priv;
	static const struct vdpa_mgmtdev_ops no_del = { .dev_add = fake_dev_add };
	struct vdpa_mgmt_dev *mdev, *dup;

	mdev = kunit_kzalloc(test, sizeof(*mdev), GFP_KERNEL);
	dup = kunit_kzalloc(test, sizeof(*dup), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mdev);
	KUNIT_ASSERT_NOT_NULL(test, dup);
	mdev->device = t->parent;
	mdev->ops = &fake_mgmt_ops;
	/* No id table. */
	expect_mgmtdev_refused(test, mdev, -EINVAL);
	mdev->id_table = fake_id_table;
	mdev->ops = &no_del;
	expect_mgmtdev_refused(test, mdev, -EINVAL);
	mdev->ops = NULL;
	expect_mgmtdev_refused(test, mdev, -EINVAL);

	/* A second management device for the same parent is a duplicate. */
	mdev->ops = &fake_mgmt_ops;
	*dup = *mdev;
	mgmtdev_register(test, mdev);
	expect_mgmtdev_refused(test, dup, -EEXIST);
}

/* Unregistering a management device deletes every device it created, and only those. */
static void vdpa_bus_mgmtdev_unregister_deletes(struct kunit *test)
{
	struct bus_test *t = test->priv;
	struct vdpa_dev_set_config config = {};
	struct vdpa_mgmt_dev *mdev;

	mdev = kunit_kzalloc(test, sizeof(*mdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mdev);
	mdev->device = t->parent;
	mdev->ops = &fake_mgmt_ops;
	mdev->id_table = fake_id_table;
	mgmt_calls = &t->calls;
	mgmt_parent = t->parent;
	mgmtdev_register(test, mdev);

	fake_new(test, "kunit-vdpa-bystander");
	mgmtdev_unregister(test, mdev);
	KUNIT_EXPECT_EQ(test, t->calls.dev_del, 0);

	mgmtdev_register(test, mdev);
	KUNIT_ASSERT_EQ(test, vdpa_kunit_dev_add(mdev, "kunit-mgmt-a", &config), 0);
	KUNIT_ASSERT_EQ(test, vdpa_kunit_dev_add(mdev, "kunit-mgmt-b", &config), 0);
	KUNIT_EXPECT_EQ(test, t->calls.dev_add, 2);
	mgmtdev_unregister(test, mdev);
	KUNIT_EXPECT_EQ(test, t->calls.dev_del, 2);
	/* Both managed devices were released; the bystander is still registered. */
	KUNIT_EXPECT_EQ(test, t->calls.free, 2);
}

static struct kunit_case vdpa_bus_cases[] = {
	KUNIT_CASE(vdpa_bus_register_unregister),
	KUNIT_CASE(vdpa_bus_default_name),
	KUNIT_CASE(vdpa_bus_put_unregistered),
	KUNIT_CASE(vdpa_bus_duplicate_name),
	KUNIT_CASE_PARAM(vdpa_bus_register_rejects, bad_register_gen_params),
	KUNIT_CASE_PARAM(vdpa_bus_alloc_rejects, bad_parent_gen_params),
	KUNIT_CASE(vdpa_bus_alloc_accepts_full_parent),
	KUNIT_CASE(vdpa_bus_binds_one_driver),
	KUNIT_CASE(vdpa_bus_driver_override),
	KUNIT_CASE(vdpa_bus_uevent_modalias),
	KUNIT_CASE(vdpa_bus_get_config_negotiates),
	KUNIT_CASE(vdpa_bus_config_bounds),
	KUNIT_CASE(vdpa_bus_reset),
	KUNIT_CASE(vdpa_bus_mgmtdev_rejects),
	KUNIT_CASE(vdpa_bus_mgmtdev_unregister_deletes),
	{}
};

static struct kunit_suite vdpa_bus_suite = {
	.name = "vdpa_bus",
	.init = bus_test_init,
	.test_cases = vdpa_bus_cases,
};

kunit_test_suite(vdpa_bus_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for the vDPA bus");
MODULE_LICENSE("GPL");
