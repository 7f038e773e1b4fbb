// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_sim_net: the "vdpasim_net" management device, creating simulated
 * virtio-net devices with MAC, MTU, status, a control virtqueue and
 * several queue pairs.
 *
 * Virtqueues: 2 * max_vqp data queues (RX, TX, RX, TX, ...) in group 0,
 * then the control queue in group 1, so the control queue can be given
 * its own address space (ASID 1) as a real NIC allows.
 */
#include <linux/device.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <uapi/linux/vdpa.h>

#include "vdpa_sim.h"

#define VDPASIM_NET_NAME "vdpasim_net"
#define VDPASIM_NET_MAX_VQP 8
#define VDPASIM_NET_DATA_GROUP 0
#define VDPASIM_NET_CVQ_GROUP 1
#define VDPASIM_NET_GROUPS 2
#define VDPASIM_NET_AS 2
#define VDPASIM_NET_DEFAULT_MTU ETH_DATA_LEN

#define VDPASIM_NET_FEATURES (BIT_ULL(VIRTIO_F_VERSION_1) |		\
			      BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |	\
			      BIT_ULL(VIRTIO_F_ANY_LAYOUT) |		\
			      BIT_ULL(VIRTIO_NET_F_MAC) |		\
			      BIT_ULL(VIRTIO_NET_F_MTU) |		\
			      BIT_ULL(VIRTIO_NET_F_STATUS) |		\
			      BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |		\
			      BIT_ULL(VIRTIO_NET_F_CTRL_RX) |		\
			      BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR) |	\
			      BIT_ULL(VIRTIO_NET_F_MQ))

/* Requests a datapath run handles per queue before letting others run. */
#define VDPASIM_NET_BUDGET 64

/**
 * struct vdpasim_net - a simulated virtio-net device
 * @sim: the simulator core, first
 * @mac: MAC address (config space)
 * @mtu: MTU (config space)
 * @max_vqp: number of queue pairs
 * @cur_vqp: queue pairs the driver enabled (VIRTIO_NET_CTRL_MQ)
 * @link_up: link status (config space)
 *
 * Everything but @sim is protected by sim.lock.
 */
struct vdpasim_net {
	struct vdpasim sim;
	u8 mac[ETH_ALEN];
	u16 mtu;
	u16 max_vqp;
	u16 cur_vqp;
	bool link_up;
};

static struct vdpasim_net *sim_to_net(struct vdpasim *sim)
{
	return container_of(sim, struct vdpasim_net, sim);
}

static u32 vdpasim_net_vq_group(struct vdpasim *sim, u16 idx)
{
	return idx == 2 * sim_to_net(sim)->max_vqp ? VDPASIM_NET_CVQ_GROUP :
						     VDPASIM_NET_DATA_GROUP;
}

static void vdpasim_net_get_config(struct vdpasim *sim, void *config)
{
	struct vdpasim_net *net = sim_to_net(sim);
	struct virtio_net_config *cfg = config;
	bool le = true;	/* VIRTIO_F_VERSION_1 is always offered */

	ether_addr_copy(cfg->mac, net->mac);
	cfg->status = __cpu_to_virtio16(le, net->link_up ? VIRTIO_NET_S_LINK_UP : 0);
	cfg->max_virtqueue_pairs = __cpu_to_virtio16(le, net->max_vqp);
	cfg->mtu = __cpu_to_virtio16(le, net->mtu);
}

/* The driver may change the MAC through the config space (legacy way). */
static void vdpasim_net_set_config(struct vdpasim *sim, const void *config)
{
	const struct virtio_net_config *cfg = config;

	ether_addr_copy(sim_to_net(sim)->mac, cfg->mac);
}

/*
 * Loopback: a frame sent on queue pair N arrives on queue pair N, with a
 * clean header (no offloads are offered, so there is nothing to keep).
 * Returns the bytes written into the receive buffer.
 */
static u32 vdpasim_net_loop(struct vdpa_devring_req *tx, struct vdpa_devring_req *rx)
{
	size_t hdr = sizeof(struct virtio_net_hdr_v1), off;
	u8 chunk[256];

	if (tx->out_len < hdr || rx->in_len < tx->out_len)
		return 0;
	memset(chunk, 0, hdr);
	vdpa_devring_write(rx, 0, chunk, hdr);
	for (off = hdr; off < tx->out_len;) {
		size_t n = vdpa_devring_read(tx, off, chunk, sizeof(chunk));

		vdpa_devring_write(rx, off, chunk, n);
		off += n;
	}
	return tx->out_len;
}

static u8 vdpasim_net_ctrl(struct vdpasim_net *net, struct vdpa_devring_req *req)
{
	struct virtio_net_ctrl_hdr hdr;
	__virtio16 vqp;
	u8 mac[ETH_ALEN];

	if (vdpa_devring_read(req, 0, &hdr, sizeof(hdr)) != sizeof(hdr))
		return VIRTIO_NET_ERR;
	switch (hdr.class) {
	case VIRTIO_NET_CTRL_MAC:
		if (hdr.cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
			if (vdpa_devring_read(req, sizeof(hdr), mac, ETH_ALEN) != ETH_ALEN)
				return VIRTIO_NET_ERR;
			ether_addr_copy(net->mac, mac);
			WRITE_ONCE(net->sim.generation, net->sim.generation + 1);
			return VIRTIO_NET_OK;
		}
		/* Loopback receives everything: a filter table changes nothing. */
		return hdr.cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET ? VIRTIO_NET_OK :
								 VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_RX:
		return hdr.cmd <= VIRTIO_NET_CTRL_RX_NOBCAST ? VIRTIO_NET_OK :
							       VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_MQ:
		if (hdr.cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
		    vdpa_devring_read(req, sizeof(hdr), &vqp, sizeof(vqp)) != sizeof(vqp))
			return VIRTIO_NET_ERR;
		if (__virtio16_to_cpu(true, vqp) < 1 ||
		    __virtio16_to_cpu(true, vqp) > net->max_vqp)
			return VIRTIO_NET_ERR;
		net->cur_vqp = __virtio16_to_cpu(true, vqp);
		return VIRTIO_NET_OK;
	default:
		return VIRTIO_NET_ERR;
	}
}

/* A reset device has one queue pair enabled until the driver asks for more. */
static void vdpasim_net_reset(struct vdpasim *sim)
{
	sim_to_net(sim)->cur_vqp = 1;
}

static bool vdpasim_net_work(struct vdpasim *sim)
{
	struct vdpasim_net *net = sim_to_net(sim);
	struct vdpa_devring_req *tx = &sim->req[0], *rx = &sim->req[1];
	u16 cvq = 2 * net->max_vqp, pair;
	bool more = false;
	int n, ret;
	u8 ack;

	for (pair = 0; pair < net->cur_vqp; pair++) {
		for (n = 0; n < VDPASIM_NET_BUDGET; n++) {
			if (vdpasim_vq_pop(sim, 2 * pair + 1, tx) <= 0)
				break;
			ret = vdpasim_vq_pop(sim, 2 * pair, rx);
			if (ret < 0)
				return false;
			/* No receive buffer: the frame is dropped, as a NIC would. */
			if (ret)
				vdpasim_vq_push(sim, 2 * pair, rx, vdpasim_net_loop(tx, rx));
			vdpasim_vq_push(sim, 2 * pair + 1, tx, 0);
		}
		more |= n == VDPASIM_NET_BUDGET;
	}

	for (n = 0; n < VDPASIM_NET_BUDGET; n++) {
		if (!(sim->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)) ||
		    vdpasim_vq_pop(sim, cvq, tx) <= 0)
			break;
		ack = vdpasim_net_ctrl(net, tx);
		vdpasim_vq_push(sim, cvq, tx, vdpa_devring_write(tx, 0, &ack, sizeof(ack)));
	}
	return more || n == VDPASIM_NET_BUDGET;
}

static int vdpasim_net_dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
			       const struct vdpa_dev_set_config *config)
{
	struct vdpasim_dev_attr attr = {
		.mgmt_dev = mdev,
		.name = name,
		.id = VIRTIO_ID_NET,
		.supported_features = VDPASIM_NET_FEATURES,
		.config_size = sizeof(struct virtio_net_config),
		.ngroups = VDPASIM_NET_GROUPS,
		.nas = VDPASIM_NET_AS,
		.alloc_size = sizeof(struct vdpasim_net),
		.vq_group = vdpasim_net_vq_group,
		.get_config = vdpasim_net_get_config,
		.set_config = vdpasim_net_set_config,
		.reset = vdpasim_net_reset,
		.work = vdpasim_net_work,
	};
	u16 max_vqp = 1;
	struct vdpasim_net *net;
	struct vdpasim *sim;

	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MAX_VQP)) {
		max_vqp = config->net.max_vq_pairs;
		if (max_vqp > VDPASIM_NET_MAX_VQP) {
			dev_err(mdev->device, "max_vqp %u above %u\n", max_vqp,
				VDPASIM_NET_MAX_VQP);
			return -ERANGE;
		}
	}
	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_FEATURES))
		attr.supported_features = config->device_features;
	attr.nvqs = 2 * max_vqp + 1;

	sim = vdpasim_create(&attr, config);
	if (IS_ERR(sim))
		return PTR_ERR(sim);
	net = sim_to_net(sim);
	net->max_vqp = max_vqp;
	net->link_up = true;
	net->mtu = VDPASIM_NET_DEFAULT_MTU;
	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MTU))
		net->mtu = config->net.mtu;
	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR))
		ether_addr_copy(net->mac, config->net.mac);
	else
		eth_random_addr(net->mac);

	return vdpasim_register(sim);
}

static int vdpasim_net_dev_set_attr(struct vdpa_mgmt_dev *mdev,
				    struct vdpa_device *vdpa,
				    const struct vdpa_dev_set_config *config)
{
	struct vdpasim *sim = vdpa_to_sim(vdpa);

	if (!(config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR)))
		return -EOPNOTSUPP;
	mutex_lock(&sim->lock);
	ether_addr_copy(sim_to_net(sim)->mac, config->net.mac);
	WRITE_ONCE(sim->generation, sim->generation + 1);
	mutex_unlock(&sim->lock);
	return 0;
}

static const struct vdpa_mgmtdev_ops vdpasim_net_mgmtdev_ops = {
	.dev_add = vdpasim_net_dev_add,
	.dev_del = vdpasim_dev_del,
	.dev_set_attr = vdpasim_net_dev_set_attr,
};

static struct virtio_device_id vdpasim_net_id_table[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static struct vdpasim_mgmt vdpasim_net_mgmt = {
	.mdev = {
		.ops = &vdpasim_net_mgmtdev_ops,
		.id_table = vdpasim_net_id_table,
		.config_attr_mask = BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR) |
				    BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MTU) |
				    BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MAX_VQP) |
				    BIT_ULL(VDPA_ATTR_DEV_FEATURES),
		.supported_features = VDPASIM_NET_FEATURES,
		.max_supported_vqs = 2 * VDPASIM_NET_MAX_VQP + 1,
	},
};

static int __init vdpasim_net_init(void)
{
	return vdpasim_mgmt_register(&vdpasim_net_mgmt, VDPASIM_NET_NAME);
}

static void __exit vdpasim_net_exit(void)
{
	vdpasim_mgmt_unregister(&vdpasim_net_mgmt);
}

module_init(vdpasim_net_init);
module_exit(vdpasim_net_exit);

MODULE_DESCRIPTION("vDPA simulated virtio-net devices");
MODULE_LICENSE("GPL");
