// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the simulated parent over real device instances. The
 * test module is a small vDPA bus driver: it creates vdpasim_net and
 * vdpasim_blk devices through their management devices, binds them, and
 * drives them through their config ops with split rings in kernel memory,
 * as virtio_vdpa or a VMM would. Every case moves real buffers through the
 * device's ring engine and address translation.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/vdpa.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <uapi/linux/vdpa.h>

#include "../vdpa_internal.h"
#include "../vdpa_sim/vdpa_sim.h"

#define SIM_NAME "kunit-sim0"
#define AREA_PAGES 8
#define QSZ 8
/* IOVAs far above any RAM: used in the identity mapping they fault. */
#define DATA_BASE BIT_ULL(46)
#define CVQ_BASE BIT_ULL(47)

/* The test area, a page each. */
enum { PG_RXQ, PG_TXQ, PG_CVQ, PG_RXBUF, PG_TXBUF, PG_CVQBUF };

/* Inside a queue's page. */
#define Q_DESC 0x0
#define Q_AVAIL 0x400
#define Q_USED 0x800

#define NET_HDR sizeof(struct virtio_net_hdr_v1)
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_CVQ 2
#define FRAME_LEN 100
#define WAIT_MS 2000

struct le_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

struct le_avail {
	__le16 flags;
	__le16 idx;
	__le16 ring[QSZ];
};

struct le_used {
	__le16 flags;
	__le16 idx;
	struct {
		__le32 id;
		__le32 len;
	} ring[QSZ];
};

/**
 * struct sim_test - one device under test and the driver's side of it
 * @vdpa: the device
 * @area: AREA_PAGES pages of kernel memory holding rings and buffers
 * @base: IOVA of @area's first byte, per address space
 * @iotlb: what the test mapped, per address space (set_map parents)
 * @qasid: address space each queue's group uses
 * @avail: buffers made available, per queue
 * @config_irqs: config interrupts received
 * @cvq: the device's index of the queue the test keeps as NET_CVQ (its
 *	rings and buffers stay where NET_CVQ's are): NET_CVQ unless the
 *	device has more queue pairs and MQ puts the control queue further
 *
 * Queues are numbered as the test lays them out (0..2); sim_vq() gives
 * the device's index of each.
 */
struct sim_test {
	struct vdpa_device *vdpa;
	u8 *area;
	u64 base[2];
	struct vhost_iotlb *iotlb[2];
	u32 qasid[3];
	u16 avail[3];
	atomic_t config_irqs;
	u16 cvq;
};

/* The device the test driver was last bound to. */
static struct vdpa_device *sim_probed;

static int sim_test_probe(struct vdpa_device *vdpa)
{
	sim_probed = vdpa;
	return 0;
}

static void sim_test_remove(struct vdpa_device *vdpa)
{
	/* A bus driver leaves the device reset, in its default mapping. */
	vdpa_reset(vdpa, VDPA_RESET_F_CLEAN_MAP);
	sim_probed = NULL;
}

static struct vdpa_driver sim_test_driver = {
	.driver.name = "vdpa_sim_kunit",
	.probe = sim_test_probe,
	.remove = sim_test_remove,
};

static void sim_test_teardown(void *data)
{
	struct sim_test *t = data;

	/* The device stops using the area before it is freed. */
	if (t->vdpa)
		vdpa_kunit_dev_del(t->vdpa);
	free_pages((unsigned long)t->area, get_order(AREA_PAGES * PAGE_SIZE));
	vhost_iotlb_free(t->iotlb[0]);
	vhost_iotlb_free(t->iotlb[1]);
}

static irqreturn_t sim_config_cb(void *data)
{
	struct sim_test *t = data;

	atomic_inc(&t->config_irqs);
	return IRQ_HANDLED;
}

/*
 * Create a device with the management attributes @cfg and bind it; its
 * area starts identity-mapped (IOVA = PA).
 */
static struct sim_test *sim_create_cfg(struct kunit *test, struct vdpa_mgmt_dev *mdev,
				       bool dma_map, const struct vdpa_dev_set_config *cfg)
{
	struct sim_test *t;
	bool old;
	int err;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->area = (u8 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
					 get_order(AREA_PAGES * PAGE_SIZE));
	KUNIT_ASSERT_NOT_NULL(test, t->area);
	t->iotlb[0] = vhost_iotlb_alloc(UINT_MAX, 0);
	t->iotlb[1] = vhost_iotlb_alloc(UINT_MAX, 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sim_test_teardown, t), 0);
	KUNIT_ASSERT_NOT_NULL(test, t->iotlb[0]);
	KUNIT_ASSERT_NOT_NULL(test, t->iotlb[1]);
	t->base[0] = virt_to_phys(t->area);
	t->base[1] = t->base[0];
	t->cvq = NET_CVQ;

	old = vdpasim_kunit_set_map_mode(dma_map);
	sim_probed = NULL;
	err = vdpa_kunit_dev_add(mdev, SIM_NAME, cfg);
	vdpasim_kunit_set_map_mode(old);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_NOT_NULL_MSG(test, sim_probed, "the test driver was not bound");
	t->vdpa = sim_probed;
	KUNIT_ASSERT_EQ(test, !!t->vdpa->config->dma_map, dma_map);
	KUNIT_ASSERT_EQ(test, !!t->vdpa->config->set_map, !dma_map);
	return t;
}

static struct sim_test *sim_create(struct kunit *test, struct vdpa_mgmt_dev *mdev,
				   bool dma_map)
{
	struct vdpa_dev_set_config cfg = {};

	return sim_create_cfg(test, mdev, dma_map, &cfg);
}

/* The device's index of the test's queue @q. */
static u16 sim_vq(struct sim_test *t, u16 q)
{
	return q == NET_CVQ ? t->cvq : q;
}

static u64 q_iova(struct sim_test *t, u16 q, u32 off)
{
	return t->base[t->qasid[q]] + q * PAGE_SIZE + off;
}

static u64 buf_iova(struct sim_test *t, u32 asid, int page)
{
	return t->base[asid] + page * PAGE_SIZE;
}

static u8 *buf(struct sim_test *t, int page)
{
	return t->area + page * PAGE_SIZE;
}

/* Map [iova, iova + size) to the area's pages from @page on. */
static void sim_map(struct kunit *test, struct sim_test *t, u32 asid, u64 iova,
		    int page, int npages, u32 perm)
{
	const struct vdpa_config_ops *ops = t->vdpa->config;
	u64 size = npages * PAGE_SIZE, pa = virt_to_phys(buf(t, page));

	if (ops->dma_map) {
		KUNIT_ASSERT_EQ(test, ops->dma_map(t->vdpa, asid, iova, size, pa, perm, NULL), 0);
		return;
	}
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(t->iotlb[asid], iova, iova + size - 1,
						    pa, perm), 0);
	KUNIT_ASSERT_EQ(test, ops->set_map(t->vdpa, asid, t->iotlb[asid]), 0);
}

static void sim_unmap(struct kunit *test, struct sim_test *t, u32 asid, u64 iova,
		      int npages)
{
	const struct vdpa_config_ops *ops = t->vdpa->config;
	u64 size = npages * PAGE_SIZE;

	if (ops->dma_unmap) {
		KUNIT_ASSERT_EQ(test, ops->dma_unmap(t->vdpa, asid, iova, size), 0);
		return;
	}
	/* A whole new table without the range, as vhost-vdpa sends one. */
	vhost_iotlb_del_range(t->iotlb[asid], iova, iova + size - 1);
	KUNIT_ASSERT_EQ(test, ops->set_map(t->vdpa, asid, t->iotlb[asid]), 0);
}

/* Map the whole area at @iova in @asid and make it the test's view. */
static void sim_map_area(struct kunit *test, struct sim_test *t, u32 asid, u64 iova)
{
	sim_map(test, t, asid, iova, 0, AREA_PAGES, VHOST_MAP_RW);
	t->base[asid] = iova;
}

/*
 * Reset, negotiate @features and start @nvqs queues, from @state when
 * given. The control queue's group goes to its address space first.
 */
static void sim_start_at(struct kunit *test, struct sim_test *t, u64 features, u16 nvqs,
			 const struct vdpa_vq_state *state)
{
	const struct vdpa_config_ops *ops = t->vdpa->config;
	struct vdpa_callback cb = { .callback = NULL };
	struct vdpa_callback config_cb = { .callback = sim_config_cb, .private = t };
	u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	u16 q;

	vdpa_reset(t->vdpa, 0);
	memset(t->avail, 0, sizeof(t->avail));
	for (q = 0; q < nvqs; q++)
		memset(buf(t, q), 0, PAGE_SIZE);
	vdpa_set_status(t->vdpa, status);
	KUNIT_ASSERT_EQ(test, vdpa_set_features(t->vdpa, features), 0);
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	vdpa_set_status(t->vdpa, status);
	KUNIT_ASSERT_TRUE(test, ops->get_status(t->vdpa) & VIRTIO_CONFIG_S_FEATURES_OK);
	if (t->qasid[NET_CVQ])
		KUNIT_ASSERT_EQ(test, ops->set_group_asid(t->vdpa, 1, t->qasid[NET_CVQ]), 0);
	ops->set_config_cb(t->vdpa, &config_cb);
	for (q = 0; q < nvqs; q++) {
		u16 idx = sim_vq(t, q);

		KUNIT_ASSERT_EQ(test, ops->set_vq_address(t->vdpa, idx, q_iova(t, q, Q_DESC),
							  q_iova(t, q, Q_AVAIL),
							  q_iova(t, q, Q_USED)), 0);
		ops->set_vq_num(t->vdpa, idx, QSZ);
		ops->set_vq_cb(t->vdpa, idx, &cb);
		if (state) {
			struct le_avail *avail = (struct le_avail *)(buf(t, q) + Q_AVAIL);
			struct le_used *used = (struct le_used *)(buf(t, q) + Q_USED);

			/* The rings are where the state says, as after a migration. */
			KUNIT_ASSERT_EQ(test, ops->set_vq_state(t->vdpa, idx, state), 0);
			t->avail[q] = state->split.avail_index;
			avail->idx = cpu_to_le16(t->avail[q]);
			used->idx = cpu_to_le16(t->avail[q]);
		}
		ops->set_vq_ready(t->vdpa, idx, true);
	}
	vdpa_set_status(t->vdpa, status | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void sim_start(struct kunit *test, struct sim_test *t, u64 features, u16 nvqs)
{
	sim_start_at(test, t, features, nvqs, NULL);
}

/* Make a two-part buffer (device-readable, then device-writable) available. */
static void sim_add(struct sim_test *t, u16 q, u64 out, u32 out_len, u64 in, u32 in_len)
{
	struct le_desc *d = (struct le_desc *)(buf(t, q) + Q_DESC);
	struct le_avail *avail = (struct le_avail *)(buf(t, q) + Q_AVAIL);
	u16 head = (t->avail[q] * 2) % QSZ, i = head;

	if (out_len) {
		d[i].addr = cpu_to_le64(out);
		d[i].len = cpu_to_le32(out_len);
		d[i].flags = cpu_to_le16(in_len ? VRING_DESC_F_NEXT : 0);
		d[i].next = cpu_to_le16(i + 1);
		i++;
	}
	if (in_len) {
		d[i].addr = cpu_to_le64(in);
		d[i].len = cpu_to_le32(in_len);
		d[i].flags = cpu_to_le16(VRING_DESC_F_WRITE);
	}
	avail->ring[t->avail[q] % QSZ] = cpu_to_le16(head);
	t->avail[q]++;
	/* The entry is in place before the index says so. */
	smp_store_release(&avail->idx, cpu_to_le16(t->avail[q]));
}

static u16 sim_used_idx(struct sim_test *t, u16 q)
{
	struct le_used *used = (struct le_used *)(buf(t, q) + Q_USED);

	/* The device writes the entry, then the index: read in that order. */
	return le16_to_cpu(smp_load_acquire(&used->idx));
}

static u32 sim_used_len(struct sim_test *t, u16 q, u16 n)
{
	struct le_used *used = (struct le_used *)(buf(t, q) + Q_USED);

	return le32_to_cpu(used->ring[n % QSZ].len);
}

/* Wait for @q's used index to reach @want; false on timeout. */
static bool sim_wait_used(struct sim_test *t, u16 q, u16 want)
{
	int ms;

	for (ms = 0; ms < WAIT_MS; ms += 5) {
		if (sim_used_idx(t, q) == want)
			return true;
		usleep_range(5000, 6000);
	}
	return false;
}

static bool sim_wait_status(struct sim_test *t, u8 bit)
{
	int ms;

	for (ms = 0; ms < WAIT_MS; ms += 5) {
		if (t->vdpa->config->get_status(t->vdpa) & bit)
			return true;
		usleep_range(5000, 6000);
	}
	return false;
}

/* ---- net ---- */

#define NET_FEATURES (BIT_ULL(VIRTIO_F_VERSION_1) | BIT_ULL(VIRTIO_F_ACCESS_PLATFORM))

/* Post a receive buffer and send a frame; the caller checks the outcome. */
static void net_send(struct sim_test *t, u8 seed)
{
	u8 *tx = buf(t, PG_TXBUF);
	int i;

	memset(tx, 0, NET_HDR);
	for (i = 0; i < FRAME_LEN; i++)
		tx[NET_HDR + i] = seed + i;
	memset(buf(t, PG_RXBUF), 0xee, PAGE_SIZE);
	sim_add(t, NET_RXQ, 0, 0, buf_iova(t, 0, PG_RXBUF), PAGE_SIZE);
	sim_add(t, NET_TXQ, buf_iova(t, 0, PG_TXBUF), NET_HDR + FRAME_LEN, 0, 0);
	t->vdpa->config->kick_vq(t->vdpa, NET_TXQ);
}

/* The frame came back whole on the receive queue. */
static void net_expect_frame(struct kunit *test, struct sim_test *t, u8 seed)
{
	u16 n = t->avail[NET_RXQ];
	u8 *rx = buf(t, PG_RXBUF);
	int i;

	KUNIT_ASSERT_TRUE_MSG(test, sim_wait_used(t, NET_RXQ, n), "no frame received");
	KUNIT_EXPECT_EQ(test, sim_used_len(t, NET_RXQ, n - 1), NET_HDR + FRAME_LEN);
	KUNIT_EXPECT_TRUE(test, sim_wait_used(t, NET_TXQ, t->avail[NET_TXQ]));
	for (i = 0; i < FRAME_LEN; i++)
		if (rx[NET_HDR + i] != (u8)(seed + i))
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, FRAME_LEN, "payload differs at byte %d", i);
	KUNIT_EXPECT_FALSE(test, t->vdpa->config->get_status(t->vdpa) &
				 VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* The device refused the buffers: DEVICE_NEEDS_RESET and a config interrupt. */
static void net_expect_needs_reset(struct kunit *test, struct sim_test *t)
{
	KUNIT_ASSERT_TRUE(test, sim_wait_status(t, VIRTIO_CONFIG_S_NEEDS_RESET));
	KUNIT_EXPECT_EQ(test, sim_used_idx(t, NET_RXQ), 0);
	/* The interrupt is delivered after the status is set. */
	msleep(20);
	KUNIT_EXPECT_GE(test, atomic_read(&t->config_irqs), 1);
}

static const bool map_modes[] = { false, true };

static void map_mode_desc(const bool *dma_map, char *desc)
{
	strscpy(desc, *dma_map ? "dma_map" : "set_map", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(map_mode, map_modes, map_mode_desc);

static bool test_dma_map(struct kunit *test)
{
	return *(const bool *)test->param_value;
}

/* A new device is identity-mapped: physical addresses reach memory. */
static void sim_net_identity(struct kunit *test)
{
	struct sim_test *t = sim_create(test, vdpasim_net_kunit_mgmtdev(), test_dma_map(test));

	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 1);
	net_expect_frame(test, t, 1);
	net_send(t, 2);
	net_expect_frame(test, t, 2);
}

/*
 * Mapped at IOVAs that are not RAM, traffic flows; after reset_map the
 * identity mapping is back and the old IOVAs reach nothing.
 */
static void sim_net_mapped_then_reset_map(struct kunit *test)
{
	struct sim_test *t = sim_create(test, vdpasim_net_kunit_mgmtdev(), test_dma_map(test));
	const struct vdpa_config_ops *ops = t->vdpa->config;

	sim_map_area(test, t, 0, DATA_BASE);
	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 3);
	net_expect_frame(test, t, 3);

	/* The mapping survives a device reset: it is not device state. */
	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 4);
	net_expect_frame(test, t, 4);

	KUNIT_ASSERT_EQ(test, ops->reset_map(t->vdpa, 0), 0);
	t->base[0] = virt_to_phys(t->area);
	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 5);
	net_expect_frame(test, t, 5);

	t->base[0] = DATA_BASE;
	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 6);
	KUNIT_EXPECT_TRUE(test, sim_wait_status(t, VIRTIO_CONFIG_S_NEEDS_RESET));
}

/* A net device with the whole area mapped, running, one frame looped. */
static struct sim_test *net_looped_once(struct kunit *test)
{
	struct sim_test *t = sim_create(test, vdpasim_net_kunit_mgmtdev(), test_dma_map(test));

	sim_map_area(test, t, 0, DATA_BASE);
	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 7);
	net_expect_frame(test, t, 7);
	return t;
}

/* Once the buffers are unmapped, the device stops instead of using them. */
static void sim_net_unmap_stops_device(struct kunit *test)
{
	struct sim_test *t = net_looped_once(test);

	sim_unmap(test, t, 0, buf_iova(t, 0, PG_RXBUF), 2);
	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 8);
	net_expect_needs_reset(test, t);
	KUNIT_EXPECT_EQ(test, buf(t, PG_RXBUF)[NET_HDR], 0xee);
}

/*
 * Unmapping the receive buffer of a running device, with no reset in
 * between: the device must not reach it through a translation it kept.
 */
static void sim_net_unmap_live(struct kunit *test)
{
	struct sim_test *t = net_looped_once(test);

	sim_unmap(test, t, 0, buf_iova(t, 0, PG_RXBUF), 1);
	net_send(t, 8);
	KUNIT_ASSERT_TRUE(test, sim_wait_status(t, VIRTIO_CONFIG_S_NEEDS_RESET));
	KUNIT_EXPECT_EQ(test, sim_used_idx(t, NET_RXQ), 1);
	KUNIT_EXPECT_EQ(test, buf(t, PG_RXBUF)[NET_HDR], 0xee);
}

/* A receive buffer the driver mapped read-only is not written. */
static void sim_net_read_only_rx(struct kunit *test)
{
	struct sim_test *t = sim_create(test, vdpasim_net_kunit_mgmtdev(), test_dma_map(test));

	sim_map(test, t, 0, DATA_BASE, 0, PG_RXBUF, VHOST_MAP_RW);
	sim_map(test, t, 0, DATA_BASE + PG_RXBUF * PAGE_SIZE, PG_RXBUF, 1, VHOST_MAP_RO);
	sim_map(test, t, 0, DATA_BASE + PG_TXBUF * PAGE_SIZE, PG_TXBUF,
		AREA_PAGES - PG_TXBUF, VHOST_MAP_RW);
	t->base[0] = DATA_BASE;
	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 9);
	net_expect_needs_reset(test, t);
	KUNIT_EXPECT_EQ(test, buf(t, PG_RXBUF)[0], 0xee);
}

/*
 * The control queue's group in address space 1, mapped at other IOVAs
 * than the data queues' space 0: both work, each through its own table.
 */
static void sim_net_cvq_own_asid(struct kunit *test)
{
	struct sim_test *t = sim_create(test, vdpasim_net_kunit_mgmtdev(), test_dma_map(test));
	const struct vdpa_config_ops *ops = t->vdpa->config;
	static const u8 mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x42 };
	u8 *cmd = buf(t, PG_CVQBUF), got[ETH_ALEN];
	struct virtio_net_ctrl_hdr hdr = {
		.class = VIRTIO_NET_CTRL_MAC,
		.cmd = VIRTIO_NET_CTRL_MAC_ADDR_SET,
	};

	KUNIT_ASSERT_EQ(test, ops->get_vq_group(t->vdpa, NET_CVQ), 1);
	KUNIT_ASSERT_EQ(test, ops->get_vq_group(t->vdpa, NET_TXQ), 0);
	sim_map_area(test, t, 0, DATA_BASE);
	sim_map_area(test, t, 1, CVQ_BASE);
	t->qasid[NET_CVQ] = 1;
	sim_start(test, t, NET_FEATURES | BIT_ULL(VIRTIO_NET_F_MAC) |
		  BIT_ULL(VIRTIO_NET_F_CTRL_VQ) | BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR), 3);
	KUNIT_EXPECT_EQ(test, ops->set_group_asid(t->vdpa, 2, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ops->set_group_asid(t->vdpa, 0, 2), -EINVAL);

	memcpy(cmd, &hdr, sizeof(hdr));
	memcpy(cmd + sizeof(hdr), mac, ETH_ALEN);
	cmd[64] = 0xff;
	sim_add(t, NET_CVQ, buf_iova(t, 1, PG_CVQBUF), sizeof(hdr) + ETH_ALEN,
		buf_iova(t, 1, PG_CVQBUF) + 64, 1);
	ops->kick_vq(t->vdpa, NET_CVQ);
	KUNIT_ASSERT_TRUE(test, sim_wait_used(t, NET_CVQ, 1));
	KUNIT_EXPECT_EQ(test, cmd[64], VIRTIO_NET_OK);
	vdpa_get_config(t->vdpa, offsetof(struct virtio_net_config, mac), got, ETH_ALEN);
	KUNIT_EXPECT_MEMEQ(test, got, mac, ETH_ALEN);

	/* The data queues translate through space 0 all along. */
	net_send(t, 10);
	net_expect_frame(test, t, 10);
}

#define NET_CTRL_FEATURES (NET_FEATURES | BIT_ULL(VIRTIO_NET_F_MAC) |		\
			   BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |			\
			   BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR))
/* Queue pairs of the devices the control queue placement cases create. */
#define CVQ_VQP 4

/* Send a command on the test's control queue (NET_CVQ) and return its ack. */
static u8 net_ctrl(struct kunit *test, struct sim_test *t, u8 class, u8 cmd,
		   const void *data, u32 len)
{
	struct virtio_net_ctrl_hdr hdr = { .class = class, .cmd = cmd };
	u64 iova = buf_iova(t, t->qasid[NET_CVQ], PG_CVQBUF);
	u16 n = t->avail[NET_CVQ] + 1;
	u8 *page = buf(t, PG_CVQBUF);

	memcpy(page, &hdr, sizeof(hdr));
	memcpy(page + sizeof(hdr), data, len);
	page[64] = 0xff;
	sim_add(t, NET_CVQ, iova, sizeof(hdr) + len, iova + 64, 1);
	t->vdpa->config->kick_vq(t->vdpa, t->cvq);
	KUNIT_ASSERT_TRUE_MSG(test, sim_wait_used(t, NET_CVQ, n),
			      "no answer on queue %u (status 0x%x)", t->cvq,
			      t->vdpa->config->get_status(t->vdpa));
	return page[64];
}

struct cvq_case {
	const char *name;
	bool mq;
	u16 cvq;	/* where the control queue is, with CVQ_VQP pairs */
	u16 other;	/* where it is with the other choice: here a data queue */
	u8 pairs_ack;	/* answer to VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET of 2 pairs */
};

static const struct cvq_case cvq_cases[] = {
	{ "no-mq", false, 2, 2 * CVQ_VQP, VIRTIO_NET_ERR },
	{ "mq", true, 2 * CVQ_VQP, 2, VIRTIO_NET_OK },
};

static void cvq_case_desc(const struct cvq_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cvq_case, cvq_cases, cvq_case_desc);

/*
 * With several queue pairs, the control queue is where the negotiated
 * features put it: index 2 without VIRTIO_NET_F_MQ, 2 * max_vqp with it.
 * That index is in the control group, translates through the control
 * group's address space and answers commands; the other one is a data
 * queue. Without MQ no second pair can be turned on; pair 0 carries
 * frames either way.
 */
static void sim_net_cvq_index(struct kunit *test)
{
	const struct cvq_case *c = test->param_value;
	struct vdpa_dev_set_config cfg = {
		.mask = BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MAX_VQP),
		.net.max_vq_pairs = CVQ_VQP,
	};
	struct sim_test *t = sim_create_cfg(test, vdpasim_net_kunit_mgmtdev(), false, &cfg);
	const struct vdpa_config_ops *ops = t->vdpa->config;
	static const u8 mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x43 };
	u64 features = NET_CTRL_FEATURES | (c->mq ? BIT_ULL(VIRTIO_NET_F_MQ) : 0);
	__le16 pairs = cpu_to_le16(2);
	u8 got[ETH_ALEN];

	/* Before the driver writes features, none: the layout without MQ. */
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(t->vdpa, 2), 1);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(t->vdpa, 2 * CVQ_VQP), 0);

	sim_map_area(test, t, 0, DATA_BASE);
	sim_map_area(test, t, 1, CVQ_BASE);
	t->qasid[NET_CVQ] = 1;
	t->cvq = c->cvq;
	sim_start(test, t, features, 3);
	KUNIT_ASSERT_EQ(test, ops->get_driver_features(t->vdpa), features);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(t->vdpa, c->cvq), 1);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(t->vdpa, c->other), 0);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(t->vdpa, NET_TXQ), 0);

	KUNIT_EXPECT_EQ(test, net_ctrl(test, t, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
				       mac, ETH_ALEN), VIRTIO_NET_OK);
	vdpa_get_config(t->vdpa, offsetof(struct virtio_net_config, mac), got, ETH_ALEN);
	KUNIT_EXPECT_MEMEQ(test, got, mac, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, net_ctrl(test, t, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
				       &pairs, sizeof(pairs)), c->pairs_ack);

	net_send(t, 14);
	net_expect_frame(test, t, 14);
}

/*
 * Suspended, the device takes nothing from its rings and its queue state
 * is stable and settable; resumed, it carries on from that state.
 */
static void sim_net_suspend_resume(struct kunit *test)
{
	struct sim_test *t = sim_create(test, vdpasim_net_kunit_mgmtdev(), false);
	const struct vdpa_config_ops *ops = t->vdpa->config;
	struct vdpa_vq_state state = {};

	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 11);
	net_expect_frame(test, t, 11);
	KUNIT_EXPECT_EQ(test, ops->set_vq_state(t->vdpa, NET_TXQ, &state), -EBUSY);

	KUNIT_ASSERT_EQ(test, ops->suspend(t->vdpa), 0);
	net_send(t, 12);
	msleep(100);
	KUNIT_EXPECT_EQ(test, sim_used_idx(t, NET_TXQ), 1);
	KUNIT_EXPECT_EQ(test, sim_used_idx(t, NET_RXQ), 1);
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(t->vdpa, NET_TXQ, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 1);
	KUNIT_EXPECT_EQ(test, ops->set_vq_state(t->vdpa, NET_TXQ, &state), 0);

	KUNIT_ASSERT_EQ(test, ops->resume(t->vdpa), 0);
	net_expect_frame(test, t, 12);
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(t->vdpa, NET_TXQ, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 2);
}

/* Queue state set before DRIVER_OK is where the device starts. */
static void sim_net_vq_state_start(struct kunit *test)
{
	struct sim_test *t = sim_create(test, vdpasim_net_kunit_mgmtdev(), false);
	const struct vdpa_config_ops *ops = t->vdpa->config;
	struct vdpa_vq_state state = { .split.avail_index = 5 };

	struct le_used *used;
	int i;

	sim_start_at(test, t, NET_FEATURES, 2, &state);
	/* A device starting at 0 would overwrite these. */
	used = (struct le_used *)(buf(t, NET_RXQ) + Q_USED);
	for (i = 0; i < 5; i++)
		used->ring[i].id = cpu_to_le32(0xdead);
	net_send(t, 13);
	net_expect_frame(test, t, 13);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, le32_to_cpu(used->ring[i].id), 0xdead);
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(t->vdpa, NET_RXQ, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 6);
}

/* ---- queue state around QEMU 7.2's stop ---- */

/*
 * After a reset, get_vq_state still says where each ring stood (QEMU 7.2
 * asks the last vhost device only then), until the driver positions the
 * ring; a ring started again without a position begins at 0.
 */
static void sim_net_vq_state_after_reset(struct kunit *test)
{
	struct sim_test *t = sim_create(test, vdpasim_net_kunit_mgmtdev(), false);
	const struct vdpa_config_ops *ops = t->vdpa->config;
	struct vdpa_vq_state state = {}, pos = { .split.avail_index = 7 };

	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 20);
	net_expect_frame(test, t, 20);
	net_send(t, 21);
	net_expect_frame(test, t, 21);

	/* What QEMU 7.2 sends: SET_STATUS 0, ACK | DRIVER, then GET_VRING_BASE. */
	vdpa_reset(t->vdpa, 0);
	vdpa_set_status(t->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(t->vdpa, NET_TXQ, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 2);
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(t->vdpa, NET_RXQ, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 2);

	/* A second reset before the rings ran again keeps the answer. */
	vdpa_reset(t->vdpa, 0);
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(t->vdpa, NET_TXQ, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 2);
	KUNIT_ASSERT_EQ(test, ops->set_vq_state(t->vdpa, NET_TXQ, &pos), 0);
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(t->vdpa, NET_TXQ, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 7);

	/* Started at 2, the device would refuse the driver's index 1. */
	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 22);
	net_expect_frame(test, t, 22);
}

/*
 * A ring asked for its state while the device runs unsuspended (QEMU
 * 7.2's queue pairs) stops at the position it reported; enabling it
 * again resumes from there.
 */
static void sim_net_vq_state_while_running(struct kunit *test)
{
	struct sim_test *t = sim_create(test, vdpasim_net_kunit_mgmtdev(), false);
	const struct vdpa_config_ops *ops = t->vdpa->config;
	struct vdpa_vq_state state = {};

	sim_start(test, t, NET_FEATURES, 2);
	net_send(t, 23);
	net_expect_frame(test, t, 23);
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(t->vdpa, NET_TXQ, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 1);

	net_send(t, 24);
	msleep(100);
	KUNIT_EXPECT_EQ(test, sim_used_idx(t, NET_TXQ), 1);
	KUNIT_EXPECT_EQ(test, sim_used_idx(t, NET_RXQ), 1);
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(t->vdpa, NET_TXQ, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 1);

	ops->set_vq_ready(t->vdpa, NET_TXQ, true);
	net_expect_frame(test, t, 24);
}

/* ---- blk ---- */

#define BLK_FEATURES (BIT_ULL(VIRTIO_F_VERSION_1) | BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) | \
		      BIT_ULL(VIRTIO_BLK_F_FLUSH) | BIT_ULL(VIRTIO_BLK_F_DISCARD) |	\
		      BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES))
#define BLK_IN PG_RXBUF		/* data, then the status byte: two pages */
#define BLK_OUT PG_CVQBUF	/* header, then data or a range */

/* Run one request and return its status; *written gets the used length. */
static u8 blk_request(struct kunit *test, struct sim_test *t, u32 type, u64 sector,
		      const void *out, u32 out_len, u32 in_len, u32 *written)
{
	struct virtio_blk_outhdr hdr = {
		/* VERSION_1: little-endian. */
		.type = (__force __virtio32)cpu_to_le32(type),
		.sector = (__force __virtio64)cpu_to_le64(sector),
	};
	u16 n = t->avail[0] + 1;

	memcpy(buf(t, BLK_OUT), &hdr, sizeof(hdr));
	memcpy(buf(t, BLK_OUT) + sizeof(hdr), out, out_len);
	buf(t, BLK_IN)[in_len] = 0xaa;
	sim_add(t, 0, buf_iova(t, 0, BLK_OUT), sizeof(hdr) + out_len,
		buf_iova(t, 0, BLK_IN), in_len + 1);
	t->vdpa->config->kick_vq(t->vdpa, 0);
	KUNIT_ASSERT_TRUE_MSG(test, sim_wait_used(t, 0, n), "request not completed");
	*written = sim_used_len(t, 0, n - 1);
	return buf(t, BLK_IN)[in_len];
}

#define BLK_CFG(field) offsetof(struct virtio_blk_config, field)

static u64 blk_capacity(struct sim_test *t)
{
	__le64 cap;

	vdpa_get_config(t->vdpa, BLK_CFG(capacity), &cap, sizeof(cap));
	return le64_to_cpu(cap);
}

static u32 blk_config32(struct sim_test *t, unsigned int offset)
{
	__le32 v;

	vdpa_get_config(t->vdpa, offset, &v, sizeof(v));
	return le32_to_cpu(v);
}

struct blk_case {
	const char *name;
	u32 type;
	u64 sector;
	bool from_end;	/* @sector counts back from the capacity */
	u32 out_len;	/* data or range bytes after the header */
	u32 range_sectors;
	u32 in_len;	/* data bytes before the status */
	u8 status;
};

#define RD VIRTIO_BLK_T_IN
#define WR VIRTIO_BLK_T_OUT
#define OK VIRTIO_BLK_S_OK
#define IOERR VIRTIO_BLK_S_IOERR
/* The device's max_discard_sectors and max_write_zeroes_sectors (sim_blk_data). */
#define MAX_RANGE 2048

static const struct blk_case blk_cases[] = {
	{ "read", RD, 0, false, 0, 0, 4096, OK },
	{ "read-last-sector", RD, 1, true, 0, 0, 512, OK },
	{ "read-at-end", RD, 0, true, 0, 0, 512, IOERR },
	{ "read-across-end", RD, 1, true, 0, 0, 1024, IOERR },
	{ "read-huge-sector", RD, 1ULL << 55, false, 0, 0, 512, IOERR },
	{ "read-sector-wraps", RD, U64_MAX, false, 0, 0, 1024, IOERR },
	{ "read-partial-sector", RD, 0, false, 0, 0, 100, IOERR },
	{ "write", WR, 8, false, 1024, 0, 0, OK },
	{ "write-at-end", WR, 0, true, 512, 0, 0, IOERR },
	{ "write-with-in-data", WR, 0, false, 512, 0, 512, IOERR },
	{ "flush", VIRTIO_BLK_T_FLUSH, 0, false, 0, 0, 0, OK },
	{ "get-id", VIRTIO_BLK_T_GET_ID, 0, false, 0, 0, VIRTIO_BLK_ID_BYTES, OK },
	{ "discard", VIRTIO_BLK_T_DISCARD, 0, false, 16, 8, 0, OK },
	{ "discard-past-end", VIRTIO_BLK_T_DISCARD, 4, true, 16, 8, 0, IOERR },
	{ "discard-too-long", VIRTIO_BLK_T_DISCARD, 0, false, 16, 1U << 30, 0, IOERR },
	/* Inside the 2 MiB disk: only the device's maximum refuses these. */
	{ "discard-max", VIRTIO_BLK_T_DISCARD, 0, false, 16, MAX_RANGE, 0, OK },
	{ "discard-over-max", VIRTIO_BLK_T_DISCARD, 0, false, 16, MAX_RANGE + 1, 0, IOERR },
	{ "write-zeroes-over-max", VIRTIO_BLK_T_WRITE_ZEROES, 0, false, 16, MAX_RANGE + 1, 0,
	  IOERR },
	{ "discard-short-range", VIRTIO_BLK_T_DISCARD, 0, false, 8, 8, 0, IOERR },
	{ "write-zeroes", VIRTIO_BLK_T_WRITE_ZEROES, 0, false, 16, 8, 0, OK },
	{ "unknown-type", 0xff, 0, false, 0, 0, 0, VIRTIO_BLK_S_UNSUPP },
};

static void blk_case_desc(const struct blk_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(blk_case, blk_cases, blk_case_desc);

/* Every request is bounds-checked; a bad one is an error status, not an access. */
static void sim_blk_request_checks(struct kunit *test)
{
	const struct blk_case *c = test->param_value;
	struct sim_test *t = sim_create(test, vdpasim_blk_kunit_mgmtdev(), false);
	struct virtio_blk_discard_write_zeroes range = {};
	u8 data[1024] = {};
	u32 written;
	u64 sector;

	sim_start(test, t, BLK_FEATURES, 1);
	sector = c->from_end ? blk_capacity(t) - c->sector : c->sector;
	if (c->range_sectors) {
		range.sector = cpu_to_le64(sector);
		range.num_sectors = cpu_to_le32(c->range_sectors);
		memcpy(data, &range, sizeof(range));
	}
	KUNIT_EXPECT_EQ(test, blk_request(test, t, c->type, sector, data, c->out_len,
					  c->in_len, &written), c->status);
	if (c->status == VIRTIO_BLK_S_OK && c->type == VIRTIO_BLK_T_IN)
		KUNIT_EXPECT_EQ(test, written, c->in_len + 1);
	if (c->type == VIRTIO_BLK_T_GET_ID)
		KUNIT_EXPECT_STREQ(test, (char *)buf(t, BLK_IN), "vdpasim_blk");
	KUNIT_EXPECT_FALSE(test, t->vdpa->config->get_status(t->vdpa) &
				 VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* What is written reads back; write-zeroes and discard read back as zeroes. */
static void sim_blk_data(struct kunit *test)
{
	struct sim_test *t = sim_create(test, vdpasim_blk_kunit_mgmtdev(), false);
	struct virtio_blk_discard_write_zeroes range = {
		.sector = cpu_to_le64(17),
		.num_sectors = cpu_to_le32(1),
	};
	u8 pattern[1024];
	u32 written;
	int i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = i * 7 + 3;
	sim_start(test, t, BLK_FEATURES, 1);
	/*
	 * What blk_cases[] takes for the device's largest range, and a disk
	 * that holds their ranges one sector over it.
	 */
	KUNIT_EXPECT_EQ(test, blk_config32(t, BLK_CFG(max_discard_sectors)), MAX_RANGE);
	KUNIT_EXPECT_EQ(test, blk_config32(t, BLK_CFG(max_write_zeroes_sectors)), MAX_RANGE);
	KUNIT_EXPECT_GT(test, blk_capacity(t), MAX_RANGE + 1);
	KUNIT_ASSERT_EQ(test, blk_request(test, t, VIRTIO_BLK_T_OUT, 16, pattern,
					  sizeof(pattern), 0, &written), VIRTIO_BLK_S_OK);
	KUNIT_ASSERT_EQ(test, blk_request(test, t, VIRTIO_BLK_T_IN, 16, NULL, 0,
					  sizeof(pattern), &written), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_MEMEQ(test, buf(t, BLK_IN), pattern, sizeof(pattern));

	KUNIT_ASSERT_EQ(test, blk_request(test, t, VIRTIO_BLK_T_WRITE_ZEROES, 0, &range,
					  sizeof(range), 0, &written), VIRTIO_BLK_S_OK);
	KUNIT_ASSERT_EQ(test, blk_request(test, t, VIRTIO_BLK_T_IN, 16, NULL, 0,
					  sizeof(pattern), &written), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_MEMEQ(test, buf(t, BLK_IN), pattern, 512);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf(t, BLK_IN) + 512, 0, 512));
}

/* The module's own capacity_mb, given back at the suite's end. */
static unsigned int sim_blk_capacity_mb;

/*
 * Each blk case creates a device: with 2 MiB disks, not the default
 * 128 MiB, clearing and freeing them is no longer most of the suite's time.
 * (Twice the largest range, so that the range limit and the disk's end are
 * tested apart.)
 */
static int sim_suite_init(struct kunit_suite *suite)
{
	int err = vdpa_register_driver(&sim_test_driver);

	/* KUnit calls sim_suite_exit() only when this succeeded. */
	if (!err)
		sim_blk_capacity_mb = vdpasim_blk_kunit_set_capacity(2);
	return err;
}

static void sim_suite_exit(struct kunit_suite *suite)
{
	vdpa_unregister_driver(&sim_test_driver);
	vdpasim_blk_kunit_set_capacity(sim_blk_capacity_mb);
}

static struct kunit_case vdpa_sim_cases[] = {
	KUNIT_CASE_PARAM(sim_net_identity, map_mode_gen_params),
	KUNIT_CASE_PARAM(sim_net_mapped_then_reset_map, map_mode_gen_params),
	KUNIT_CASE_PARAM(sim_net_unmap_stops_device, map_mode_gen_params),
	KUNIT_CASE_PARAM(sim_net_unmap_live, map_mode_gen_params),
	KUNIT_CASE_PARAM(sim_net_read_only_rx, map_mode_gen_params),
	KUNIT_CASE_PARAM(sim_net_cvq_own_asid, map_mode_gen_params),
	KUNIT_CASE_PARAM(sim_net_cvq_index, cvq_case_gen_params),
	KUNIT_CASE(sim_net_suspend_resume),
	KUNIT_CASE(sim_net_vq_state_start),
	KUNIT_CASE(sim_net_vq_state_after_reset),
	KUNIT_CASE(sim_net_vq_state_while_running),
	KUNIT_CASE_PARAM(sim_blk_request_checks, blk_case_gen_params),
	KUNIT_CASE(sim_blk_data),
	{}
};

static struct kunit_suite vdpa_sim_suite = {
	.name = "vdpa_sim",
	.suite_init = sim_suite_init,
	.suite_exit = sim_suite_exit,
	.test_cases = vdpa_sim_cases,
};

kunit_test_suite(vdpa_sim_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for the simulated vDPA parent on real devices");
MODULE_LICENSE("GPL");
