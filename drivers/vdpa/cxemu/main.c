// SPDX-License-Identifier: GPL-2.0
/*
 * cxemu: emulated ConnectX-like virtio-net functions on the auxiliary bus
 * (cxemu.vnet.N), each a cxdev whose commands the model in cmd.c, mkey.c,
 * vq.c and track.c carries out, whose virtio queues vq.c runs and whose
 * page trackers track.c keeps.
 *
 * debugfs, /sys/kernel/debug/cxemu:
 *   fail_cmd/        fault-injection attribute: a command fails with
 *                    MLX5_CMD_STAT_INT_ERR and CXDEV_SYN_INJECTED
 *   fail_opcode      only this opcode fails (0: any); 0x7f46 fails the
 *                    page trackers' report messages instead (an
 *                    asynchronous error: the tracker goes to ERROR)
 *   vnet.N/resources objects held by the driver, and leaked ever
 *   vnet.N/queues    one line per virtio queue object: index, state,
 *                    indexes, descriptors received and completed
 *   vnet.N/log_max_klm_list_size, vnet.N/log_max_mrw_sz
 *                    the limits reported and enforced (for tests)
 *   vnet.N/pg_track_* the page tracker limits (track.c), likewise
 *   vnet.N/trackers  one line per page tracker: id, state, sizes, pages
 *                    logged
 *   vnet.N/dirty_inject  write "IOVA LEN": log those pages as if the
 *                    function had written them
 *   vnet.N/track_error   write a tracker's id: it goes to ERROR
 */
#include <linux/auxiliary_bus.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/etherdevice.h>
#include <linux/fault-inject.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "cxemu.h"

static unsigned int nr_functions = 1;
module_param(nr_functions, uint, 0444);
MODULE_PARM_DESC(nr_functions, "emulated functions to create at load (1..16)");

#define CXEMU_MAX_FUNCTIONS 16

static unsigned int doorbell_poll_us = 250;
module_param(doorbell_poll_us, uint, 0444);
MODULE_PARM_DESC(doorbell_poll_us,
		 "doorbell page polling period in microseconds (0: no doorbell pages)");

static char *wire = "loopback";
module_param(wire, charp, 0444);
MODULE_PARM_DESC(wire,
		 "what the functions are cabled to: \"loopback\" (default) or \"netdev\" (a host interface each)");

static DECLARE_FAULT_ATTR(cxemu_fail_cmd);
static u32 cxemu_fail_opcode;
static struct dentry *cxemu_debugfs;
static struct device *cxemu_root;
static struct cxemu *cxemu_funcs[CXEMU_MAX_FUNCTIONS];

/**
 * cxemu_should_fail() - whether fault injection fails this command
 * @opcode: the command's opcode
 *
 * Return: true when the command is to fail.
 */
bool cxemu_should_fail(u16 opcode)
{
	u32 only = READ_ONCE(cxemu_fail_opcode);

	return (!only || only == opcode) && should_fail(&cxemu_fail_cmd, 1);
}

static const struct cxdev_ops cxemu_ops = {
	.exec = cxemu_exec,
	.set_events = cxemu_set_events,
	.ring = cxemu_ring,
	.doorbell = cxemu_doorbell,
};

static int cxemu_resources_show(struct seq_file *m, void *unused)
{
	struct cxemu *emu = m->private;

	mutex_lock(&emu->lock);
	seq_printf(m, "enabled %d\npd %lu\nuar %lu\nmkey %lu\nvq %lu\n",
		   emu->enabled, cxemu_count(emu, &emu->pds), cxemu_count(emu, &emu->uars),
		   cxemu_count(emu, &emu->mkeys), cxemu_count(emu, &emu->vqs));
	seq_printf(m, "tracker %lu\ntrack_rq %lu\nleaked %llu\n",
		   cxemu_count(emu, &emu->trackers), cxemu_count(emu, &emu->track_rqs),
		   emu->leaked);
	mutex_unlock(&emu->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cxemu_resources);

static int cxemu_queues_show(struct seq_file *m, void *unused)
{
	static const char * const states[] = { "init", "rdy", "suspend", "err" };
	struct cxemu *emu = m->private;
	struct cxemu_vq *vq;
	u32 i;

	mutex_lock(&emu->lock);
	for (i = 0; i < CXEMU_MAX_VQS; i++) {
		vq = emu->by_index[i];
		if (vq)
			seq_printf(m, "%u %s received %llu completed %llu\n", vq->index,
				   states[vq->state], vq->received, vq->completed);
	}
	mutex_unlock(&emu->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cxemu_queues);

/* A limit, set under the lock and within what the model's arithmetic takes. */
static int cxemu_limit_set(struct cxemu *emu, u8 *limit, u64 val, u8 max)
{
	if (val > max)
		return -EINVAL;
	mutex_lock(&emu->lock);
	*limit = val;
	mutex_unlock(&emu->lock);
	return 0;
}

static int cxemu_klm_limit_get(void *data, u64 *val)
{
	struct cxemu *emu = data;

	*val = READ_ONCE(emu->limits.log_max_klm_list_size);
	return 0;
}

static int cxemu_klm_limit_set(void *data, u64 val)
{
	struct cxemu *emu = data;

	return cxemu_limit_set(emu, &emu->limits.log_max_klm_list_size, val, CXEMU_MAX_LOG_KLM);
}
DEFINE_DEBUGFS_ATTRIBUTE(cxemu_klm_limit_fops, cxemu_klm_limit_get, cxemu_klm_limit_set,
			 "%llu\n");

static int cxemu_mrw_limit_get(void *data, u64 *val)
{
	struct cxemu *emu = data;

	*val = READ_ONCE(emu->limits.log_max_mrw_sz);
	return 0;
}

static int cxemu_mrw_limit_set(void *data, u64 val)
{
	struct cxemu *emu = data;

	return cxemu_limit_set(emu, &emu->limits.log_max_mrw_sz, val, CXEMU_MAX_LOG_MRW);
}
DEFINE_DEBUGFS_ATTRIBUTE(cxemu_mrw_limit_fops, cxemu_mrw_limit_get, cxemu_mrw_limit_set,
			 "%llu\n");

static void cxemu_port_wake(void *ctx)
{
	struct cxemu *emu = ctx;

	queue_work(system_unbound_wq, &emu->work);
}

/* Uncable the host interface: the datapath stops using it, then it goes. */
static void cxemu_port_destroy(struct cxemu *emu)
{
	struct vdpa_devring_port *port;

	mutex_lock(&emu->lock);
	port = emu->port;
	emu->port = NULL;
	mutex_unlock(&emu->lock);
	if (port)
		vdpa_devring_port_destroy(port);
}

static void cxemu_release(struct device *dev)
{
	struct cxemu *emu = cx_to_emu(adev_to_cxdev(to_auxiliary_dev(dev)));

	cxemu_teardown(emu);
	kfree(emu);
}

static struct cxemu *cxemu_alloc(void)
{
	struct cxemu *emu = kzalloc(sizeof(*emu), GFP_KERNEL);

	if (!emu)
		return NULL;
	emu->cx.ops = &cxemu_ops;
	if (cxemu_init(emu, READ_ONCE(doorbell_poll_us))) {
		kfree(emu);
		return NULL;
	}
	return emu;
}

static int cxemu_add(u32 id)
{
	struct auxiliary_device *adev;
	struct cxemu *emu;
	char name[16];
	int err;

	emu = cxemu_alloc();
	if (!emu)
		return -ENOMEM;
	adev = &emu->cx.adev;
	adev->name = "vnet";
	adev->id = id;
	adev->dev.parent = cxemu_root;
	adev->dev.release = cxemu_release;
	err = auxiliary_device_init(adev);
	if (err) {
		cxemu_teardown(emu);
		kfree(emu);
		return err;
	}
	/* From here on the release frees it. The device is named at add. */
	snprintf(name, sizeof(name), "%s.%u", adev->name, id);
	if (!strcmp(wire, "netdev")) {
		char peer[32];

		snprintf(peer, sizeof(peer), KBUILD_MODNAME ".%s", name);
		emu->port = vdpa_devring_port_create(KBUILD_MODNAME "%d", peer, ETH_DATA_LEN,
						     cxemu_port_wake, emu);
		if (IS_ERR(emu->port)) {
			err = PTR_ERR(emu->port);
			emu->port = NULL;
			auxiliary_device_uninit(adev);
			return err;
		}
	}
	emu->debugfs = debugfs_create_dir(name, cxemu_debugfs);
	debugfs_create_file("resources", 0400, emu->debugfs, emu, &cxemu_resources_fops);
	debugfs_create_file("queues", 0400, emu->debugfs, emu, &cxemu_queues_fops);
	debugfs_create_file_unsafe("log_max_klm_list_size", 0600, emu->debugfs, emu,
				   &cxemu_klm_limit_fops);
	debugfs_create_file_unsafe("log_max_mrw_sz", 0600, emu->debugfs, emu,
				   &cxemu_mrw_limit_fops);
	cxemu_track_debugfs(emu, emu->debugfs);
	err = auxiliary_device_add(adev);
	if (err) {
		debugfs_remove(emu->debugfs);
		cxemu_port_destroy(emu);
		auxiliary_device_uninit(adev);
		return err;
	}
	cxemu_funcs[id] = emu;
	return 0;
}

static void cxemu_del(struct cxemu *emu)
{
	debugfs_remove(emu->debugfs);
	/* The driver goes first; the host interface then has no user. */
	auxiliary_device_delete(&emu->cx.adev);
	cxemu_port_destroy(emu);
	auxiliary_device_uninit(&emu->cx.adev);
}

#if IS_ENABLED(CONFIG_KUNIT)
static void cxemu_kunit_release(struct device *dev)
{
	struct cxemu *emu = cx_to_emu(adev_to_cxdev(to_auxiliary_dev(dev)));

	kfree(emu);
}

/**
 * cxemu_kunit_new() - a function off the bus, for tests
 *
 * Return: the function, or NULL; free with cxemu_kunit_free().
 */
struct cxdev *cxemu_kunit_new(void)
{
	struct cxemu *emu = cxemu_alloc();

	if (!emu)
		return NULL;
	device_initialize(&emu->cx.adev.dev);
	emu->cx.adev.dev.release = cxemu_kunit_release;
	if (dev_set_name(&emu->cx.adev.dev, "cxemu-kunit")) {
		put_device(&emu->cx.adev.dev);
		return NULL;
	}
	return &emu->cx;
}
EXPORT_SYMBOL_IF_KUNIT(cxemu_kunit_new);

/**
 * cxemu_kunit_free() - tear a test function down
 * @cx: from cxemu_kunit_new()
 *
 * Return: objects it still held (leaked by the test's driver side).
 */
u64 cxemu_kunit_free(struct cxdev *cx)
{
	struct cxemu *emu = cx_to_emu(cx);
	u64 leaked;

	cxemu_teardown(emu);
	leaked = emu->leaked;
	put_device(&cx->adev.dev);
	return leaked;
}
EXPORT_SYMBOL_IF_KUNIT(cxemu_kunit_free);

/**
 * cxemu_kunit_translate() - cxemu_translate() with the lock taken
 * @cx: the function
 * @key: memory key
 * @addr: address in its space
 * @len: bytes wanted
 * @write: the access writes
 * @va: kernel address of the first byte
 *
 * Return: as cxemu_translate().
 */
long cxemu_kunit_translate(struct cxdev *cx, u32 key, u64 addr, u64 len, bool write,
			   void **va)
{
	struct cxemu *emu = cx_to_emu(cx);
	long ret;

	mutex_lock(&emu->lock);
	ret = cxemu_translate(emu, key, addr, len, write, va);
	mutex_unlock(&emu->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(cxemu_kunit_translate);

/**
 * cxemu_kunit_limits() - the limits a test function reports and enforces
 * @cx: the function
 *
 * Return: its limits, for the test to lower.
 */
struct cxemu_limits *cxemu_kunit_limits(struct cxdev *cx)
{
	return &cx_to_emu(cx)->limits;
}
EXPORT_SYMBOL_IF_KUNIT(cxemu_kunit_limits);

/**
 * cxemu_kunit_fail() - arm fault injection, as writing its debugfs does
 * @opcode: the opcode to fail (0: any)
 * @skip: how many matching commands succeed first
 * @times: how many commands fail then
 */
void cxemu_kunit_fail(u16 opcode, int skip, int times)
{
	WRITE_ONCE(cxemu_fail_opcode, opcode);
	cxemu_fail_cmd.verbose = 0;
	cxemu_fail_cmd.interval = 1;
	cxemu_fail_cmd.probability = 100;
	atomic_set(&cxemu_fail_cmd.space, skip);
	atomic_set(&cxemu_fail_cmd.times, times);
}
EXPORT_SYMBOL_IF_KUNIT(cxemu_kunit_fail);
#endif

static void cxemu_del_all(void)
{
	int i;

	for (i = CXEMU_MAX_FUNCTIONS - 1; i >= 0; i--) {
		if (cxemu_funcs[i])
			cxemu_del(cxemu_funcs[i]);
		cxemu_funcs[i] = NULL;
	}
}

static int __init cxemu_mod_init(void)
{
	u32 i;
	int err;

	if (nr_functions > CXEMU_MAX_FUNCTIONS ||
	    (strcmp(wire, "loopback") && strcmp(wire, "netdev")))
		return -EINVAL;
	cxemu_root = root_device_register(KBUILD_MODNAME);
	if (IS_ERR(cxemu_root))
		return PTR_ERR(cxemu_root);
	cxemu_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	fault_create_debugfs_attr("fail_cmd", cxemu_debugfs, &cxemu_fail_cmd);
	debugfs_create_u32("fail_opcode", 0600, cxemu_debugfs, &cxemu_fail_opcode);
	for (i = 0; i < nr_functions; i++) {
		err = cxemu_add(i);
		if (err)
			goto err_del;
	}
	return 0;

err_del:
	cxemu_del_all();
	debugfs_remove(cxemu_debugfs);
	root_device_unregister(cxemu_root);
	return err;
}

static void __exit cxemu_mod_exit(void)
{
	cxemu_del_all();
	debugfs_remove(cxemu_debugfs);
	root_device_unregister(cxemu_root);
}

module_init(cxemu_mod_init);
module_exit(cxemu_mod_exit);

MODULE_DESCRIPTION("Emulated ConnectX-like virtio-net functions (cxdev) for vDPA");
MODULE_LICENSE("GPL");
