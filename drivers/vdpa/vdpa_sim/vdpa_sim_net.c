// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_sim_net: the "vdpasim_net" management device, creating simulated
 * virtio-net devices with MAC, MTU, status, a control virtqueue and
 * several queue pairs.
 *
 * Virtqueues: 2 * max_vqp data queues (RX, TX, RX, TX, ...) in group 0,
 * and the control queue in group 1, so the control queue can be given
 * its own address space (ASID 1) as a real NIC allows. Where the control
 * queue is depends on the negotiated features (vdpasim_net_cvq_index()):
 * index 2 * max_vqp with VIRTIO_NET_F_MQ; without it only queue pair 0
 * carries data, index 2 is the control queue and the queues above it are
 * not used.
 *
 * The wire (module parameter "wire", read when a device is created):
 *   loopback  a frame sent on queue pair N comes back on queue pair N;
 *   netdev    the device is cabled to a host interface created with it
 *             ("vdpasim%d", its phys_port_name is the vDPA device's
 *             name): frames the driver sends arrive on the host
 *             interface, frames the host sends there arrive on queue
 *             pair 0. The host carrier is up while the driver runs the
 *             device and the link is up.
 *
 * debugfs (vdpa_sim/DEV/link_up): the link status; changing it raises the
 * config interrupt, as a cable pulled from a NIC.
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <kunit/visibility.h>
#include <uapi/linux/vdpa.h>

#include "vdpa_sim.h"

#define VDPASIM_NET_NAME "vdpasim_net"
#define VDPASIM_NET_MAX_VQP 8
#define VDPASIM_NET_DATA_GROUP 0
#define VDPASIM_NET_CVQ_GROUP 1
#define VDPASIM_NET_GROUPS 2
#define VDPASIM_NET_AS 2
#define VDPASIM_NET_DEFAULT_MTU ETH_DATA_LEN

#define VDPASIM_NET_FEATURES (VDPASIM_COMMON_FEATURES |		\
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
/* Addresses of each class the MAC filter table holds. */
#define VDPASIM_NET_MAC_TABLE 32

/* What devices created from now on are cabled to (value: a host netdev). */
static struct vdpasim_choice vdpasim_net_wire = { .names = { "loopback", "netdev" } };
module_param_cb(wire, &vdpasim_choice_ops, &vdpasim_net_wire, 0644);
MODULE_PARM_DESC(wire,
		 "what devices created afterwards are cabled to: \"loopback\" (default) or \"netdev\" (a host interface)");

/**
 * struct vdpasim_net - a simulated virtio-net device
 * @sim: the simulator core, first
 * @mac: MAC address (config space)
 * @mtu: MTU (config space)
 * @max_vqp: number of queue pairs
 * @cur_vqp: queue pairs the driver enabled (VIRTIO_NET_CTRL_MQ, so only
 *	with VIRTIO_NET_F_MQ)
 * @link_up: link status (config space)
 * @rx_mode: VIRTIO_NET_CTRL_RX_* bits the driver turned on
 * @uc: unicast addresses of the MAC filter table (VIRTIO_NET_CTRL_MAC)
 * @mc: multicast addresses of the MAC filter table
 * @n_uc: entries in @uc; VDPASIM_NET_MAC_TABLE + 1 when the driver sent
 *	more than fit (then every unicast address passes, as a NIC does)
 * @n_mc: entries in @mc, overflowing the same way
 * @port: the host interface in netdev wire mode, else NULL; cleared before
 *	it is destroyed
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
	u8 rx_mode;
	u8 uc[VDPASIM_NET_MAC_TABLE][ETH_ALEN];
	u8 mc[VDPASIM_NET_MAC_TABLE][ETH_ALEN];
	u32 n_uc;
	u32 n_mc;
	struct vdpa_devring_port *port;
};

static struct vdpasim_net *sim_to_net(struct vdpasim *sim)
{
	return container_of(sim, struct vdpasim_net, sim);
}

/*
 * The control queue comes right after the data queues the features give
 * the device (virtio 1.2, 5.1.2): every pair with VIRTIO_NET_F_MQ, only
 * pair 0 without it, which puts it at index 2.
 *
 * The features are the ones the driver wrote. The layout, and with it
 * each queue's group, is final once the driver sets FEATURES_OK, and that
 * is when a VMM asks for the groups to give the control queue its own
 * address space. vhost-vdpa answers GET_VRING_GROUP at any time, though:
 * asked before the driver wrote features, the device has none, so no
 * MQ, and the control queue is at 2, where a driver without MQ will find
 * it. The answer depends on nothing the driver has not chosen yet, and
 * is the one cxvdpa gives.
 */
static u16 vdpasim_net_cvq_index(struct vdpasim_net *net)
{
	return READ_ONCE(net->sim.features) & BIT_ULL(VIRTIO_NET_F_MQ) ?
	       2 * net->max_vqp : 2;
}

/* Queue pairs that carry data: those the driver enabled with MQ, else pair 0. */
static u16 vdpasim_net_data_pairs(struct vdpasim_net *net)
{
	return net->sim.features & BIT_ULL(VIRTIO_NET_F_MQ) ? net->cur_vqp : 1;
}

static u32 vdpasim_net_vq_group(struct vdpasim *sim, u16 idx)
{
	return idx == vdpasim_net_cvq_index(sim_to_net(sim)) ? VDPASIM_NET_CVQ_GROUP :
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

static bool vdpasim_net_in_table(u8 table[][ETH_ALEN], u32 n, const u8 *addr)
{
	u32 i;

	if (n > VDPASIM_NET_MAC_TABLE)
		return true;
	for (i = 0; i < n; i++)
		if (ether_addr_equal(table[i], addr))
			return true;
	return false;
}

/*
 * The receive filter (VIRTIO_NET_F_CTRL_RX): the device's MAC and the
 * filter table's addresses, subject to the RX mode; everything when the
 * driver did not negotiate filtering.
 */
static bool vdpasim_net_accepts(struct vdpasim_net *net, const u8 *dst)
{
	u8 mode = net->rx_mode;

	if (!(net->sim.features & BIT_ULL(VIRTIO_NET_F_CTRL_RX)) ||
	    (mode & BIT(VIRTIO_NET_CTRL_RX_PROMISC)))
		return true;
	if (is_broadcast_ether_addr(dst))
		return !(mode & BIT(VIRTIO_NET_CTRL_RX_NOBCAST));
	if (is_multicast_ether_addr(dst))
		return !(mode & BIT(VIRTIO_NET_CTRL_RX_NOMULTI)) &&
		       ((mode & BIT(VIRTIO_NET_CTRL_RX_ALLMULTI)) ||
			vdpasim_net_in_table(net->mc, net->n_mc, dst));
	if (mode & BIT(VIRTIO_NET_CTRL_RX_NOUNI))
		return false;
	return ether_addr_equal(dst, net->mac) || (mode & BIT(VIRTIO_NET_CTRL_RX_ALLUNI)) ||
	       vdpasim_net_in_table(net->uc, net->n_uc, dst);
}

/* One table of VIRTIO_NET_CTRL_MAC_TABLE_SET at *@off; moves *@off past it. */
static bool vdpasim_net_read_table(struct vdpa_devring_req *req, size_t *off,
				   u8 table[][ETH_ALEN], u32 *count)
{
	__virtio32 entries;
	u32 n;

	if (vdpa_devring_read(req, *off, &entries, sizeof(entries)) != sizeof(entries))
		return false;
	n = __virtio32_to_cpu(true, entries);
	*off += sizeof(entries) + (size_t)n * ETH_ALEN;
	if (n > VDPASIM_NET_MAC_TABLE) {
		*count = VDPASIM_NET_MAC_TABLE + 1;
		return true;
	}
	if (vdpa_devring_read(req, *off - n * ETH_ALEN, table, n * ETH_ALEN) != n * ETH_ALEN)
		return false;
	*count = n;
	return true;
}

/* VIRTIO_NET_CTRL_MAC_TABLE_SET: a unicast table, then a multicast one. */
static u8 vdpasim_net_set_table(struct vdpasim_net *net, struct vdpa_devring_req *req)
{
	size_t off = sizeof(struct virtio_net_ctrl_hdr);

	if (!vdpasim_net_read_table(req, &off, net->uc, &net->n_uc) ||
	    !vdpasim_net_read_table(req, &off, net->mc, &net->n_mc))
		return VIRTIO_NET_ERR;
	return VIRTIO_NET_OK;
}

/*
 * Frames the host sent go to queue pair 0's receive buffers. Returns true
 * when frames are left and buffers are not: the driver's next receive
 * kick resumes.
 */
static bool vdpasim_net_from_host(struct vdpasim_net *net)
{
	size_t hdr = sizeof(struct virtio_net_hdr_v1);
	struct vdpasim *sim = &net->sim;
	struct vdpa_devring_req *rx = &sim->req[1];
	struct sk_buff *skb;
	int n, ret;

	for (n = 0; n < VDPASIM_NET_BUDGET; n++) {
		skb = vdpa_devring_port_next(net->port);
		if (!skb)
			break;
		if (skb->len < ETH_HLEN || !vdpasim_net_accepts(net, skb->data)) {
			consume_skb(skb);
			continue;
		}
		ret = vdpasim_vq_pop(sim, 0, rx);
		if (ret <= 0) {
			vdpa_devring_port_unget(net->port, skb);
			return false;
		}
		vdpasim_vq_push(sim, 0, rx, vdpa_devring_port_deliver(net->port, rx, hdr, skb));
	}
	vdpa_devring_port_drained(net->port);
	return n == VDPASIM_NET_BUDGET;
}

/* The host carrier: up while a driver runs the device and the link is up. */
static void vdpasim_net_update_carrier(struct vdpasim_net *net)
{
	lockdep_assert_held(&net->sim.lock);
	if (net->port)
		vdpa_devring_port_carrier(net->port, net->link_up &&
					  (net->sim.status & VIRTIO_CONFIG_S_DRIVER_OK));
}

static void vdpasim_net_wake(void *ctx)
{
	struct vdpasim_net *net = ctx;

	vdpasim_schedule(&net->sim);
}

static int vdpasim_net_host_create(struct vdpasim_net *net)
{
	struct vdpa_devring_port *port;

	port = vdpa_devring_port_create("vdpasim%d", dev_name(&net->sim.vdpa.dev), net->mtu,
					vdpasim_net_wake, net);
	if (IS_ERR(port))
		return PTR_ERR(port);
	net->port = port;
	return 0;
}

/* Uncable the host interface: the datapath stops using it, then it goes. */
static void vdpasim_net_host_destroy(struct vdpasim_net *net)
{
	struct vdpa_devring_port *port;

	mutex_lock(&net->sim.lock);
	port = net->port;
	net->port = NULL;
	mutex_unlock(&net->sim.lock);
	if (port)
		vdpa_devring_port_destroy(port);
}

/* Whether a frame the driver sent passes its own receive filter (loopback). */
static bool vdpasim_net_tx_accepted(struct vdpasim_net *net, struct vdpa_devring_req *tx)
{
	u8 dst[ETH_ALEN];

	if (vdpa_devring_read(tx, sizeof(struct virtio_net_hdr_v1), dst, ETH_ALEN) != ETH_ALEN)
		return true;	/* a runt: the loop drops it */
	return vdpasim_net_accepts(net, dst);
}

static u8 vdpasim_net_ctrl(struct vdpasim_net *net, struct vdpa_devring_req *req)
{
	struct virtio_net_ctrl_hdr hdr;
	__virtio16 vqp;
	u8 mac[ETH_ALEN], on;

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
		return hdr.cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET ? vdpasim_net_set_table(net, req) :
								 VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_RX:
		if (hdr.cmd > VIRTIO_NET_CTRL_RX_NOBCAST ||
		    vdpa_devring_read(req, sizeof(hdr), &on, sizeof(on)) != sizeof(on))
			return VIRTIO_NET_ERR;
		if (on)
			net->rx_mode |= BIT(hdr.cmd);
		else
			net->rx_mode &= ~BIT(hdr.cmd);
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MQ:
		/* Without MQ there is one pair: no more can be turned on. */
		if (!(net->sim.features & BIT_ULL(VIRTIO_NET_F_MQ)) ||
		    hdr.cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
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

/*
 * A reset device has one queue pair enabled until the driver asks for
 * more, and nothing queued for a driver that is gone.
 */
static void vdpasim_net_reset(struct vdpasim *sim)
{
	struct vdpasim_net *net = sim_to_net(sim);

	net->cur_vqp = 1;
	net->rx_mode = 0;
	net->n_uc = 0;
	net->n_mc = 0;
	if (net->port)
		vdpa_devring_port_purge(net->port);
	vdpasim_net_update_carrier(net);
}

static bool vdpasim_net_work(struct vdpasim *sim)
{
	struct vdpasim_net *net = sim_to_net(sim);
	struct vdpa_devring_req *tx = &sim->req[0], *rx = &sim->req[1];
	u16 cvq = vdpasim_net_cvq_index(net), pairs = vdpasim_net_data_pairs(net), pair;
	bool more = false;
	int n, ret;
	u8 ack;

	vdpasim_net_update_carrier(net);
	for (pair = 0; pair < pairs; pair++) {
		for (n = 0; n < VDPASIM_NET_BUDGET; n++) {
			if (vdpasim_vq_pop(sim, 2 * pair + 1, tx) <= 0)
				break;
			if (net->port) {
				vdpa_devring_port_to_host(net->port, tx,
							  sizeof(struct virtio_net_hdr_v1));
				vdpasim_vq_push(sim, 2 * pair + 1, tx, 0);
				continue;
			}
			if (!vdpasim_net_tx_accepted(net, tx)) {
				vdpasim_vq_push(sim, 2 * pair + 1, tx, 0);
				continue;
			}
			ret = vdpasim_vq_pop(sim, 2 * pair, rx);
			if (ret < 0)
				return false;
			/* No receive buffer: the frame is dropped, as a NIC would. */
			if (ret)
				vdpasim_vq_push(sim, 2 * pair, rx, vdpa_devring_net_loop(tx, rx));
			vdpasim_vq_push(sim, 2 * pair + 1, tx, 0);
		}
		more |= n == VDPASIM_NET_BUDGET;
	}
	if (net->port)
		more |= vdpasim_net_from_host(net);

	for (n = 0; n < VDPASIM_NET_BUDGET; n++) {
		if (!(sim->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)) ||
		    vdpasim_vq_pop(sim, cvq, tx) <= 0)
			break;
		ack = vdpasim_net_ctrl(net, tx);
		vdpasim_vq_push(sim, cvq, tx, vdpa_devring_write(tx, 0, &ack, sizeof(ack)));
	}
	return more || n == VDPASIM_NET_BUDGET;
}

static int vdpasim_net_link_get(void *data, u64 *val)
{
	struct vdpasim *sim = data;

	mutex_lock(&sim->lock);
	*val = sim_to_net(sim)->link_up;
	mutex_unlock(&sim->lock);
	return 0;
}

static int vdpasim_net_link_set(void *data, u64 val)
{
	struct vdpasim *sim = data;
	struct vdpasim_net *net = sim_to_net(sim);

	if (val > 1)
		return -EINVAL;
	mutex_lock(&sim->lock);
	if (net->link_up != val) {
		net->link_up = val;
		vdpasim_net_update_carrier(net);
		vdpasim_config_changed(sim);
	}
	mutex_unlock(&sim->lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(vdpasim_net_link_fops, vdpasim_net_link_get,
			 vdpasim_net_link_set, "%llu\n");

static void vdpasim_net_debugfs_init(struct vdpasim *sim, struct dentry *dir)
{
	debugfs_create_file_unsafe("link_up", 0600, dir, sim, &vdpasim_net_link_fops);
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
		.debugfs_init = vdpasim_net_debugfs_init,
	};
	u16 max_vqp = 1;
	struct vdpasim_net *net;
	struct vdpasim *sim;
	int err;

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
	net->cur_vqp = 1;
	net->link_up = true;
	net->mtu = VDPASIM_NET_DEFAULT_MTU;
	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MTU))
		net->mtu = config->net.mtu;
	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR))
		ether_addr_copy(net->mac, config->net.mac);
	else
		eth_random_addr(net->mac);

	if (READ_ONCE(vdpasim_net_wire.value)) {
		err = vdpasim_net_host_create(net);
		if (err) {
			dev_err(mdev->device, "%s: cannot create the host interface: %d\n",
				name, err);
			goto err_put;
		}
	}
	err = vdpasim_register(sim);
	if (err)
		goto err_host_destroy;
	if (net->port)
		dev_info(&sim->vdpa.dev, "cabled to host interface %s\n", net->port->ndev->name);
	return 0;

err_host_destroy:
	vdpasim_net_host_destroy(net);
err_put:
	put_device(&sim->vdpa.dev);
	return err;
}

static void vdpasim_net_dev_del(struct vdpa_mgmt_dev *mdev, struct vdpa_device *vdpa)
{
	vdpasim_net_host_destroy(sim_to_net(vdpa_to_sim(vdpa)));
	vdpasim_dev_del(mdev, vdpa);
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
	vdpasim_config_changed(sim);
	mutex_unlock(&sim->lock);
	return 0;
}

static const struct vdpa_mgmtdev_ops vdpasim_net_mgmtdev_ops = {
	.dev_add = vdpasim_net_dev_add,
	.dev_del = vdpasim_net_dev_del,
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

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * vdpasim_net_kunit_mgmtdev() - the management device, for tests
 *
 * Return: the "vdpasim_net" management device; valid while this module is
 * loaded, which a caller's use of this symbol guarantees.
 */
struct vdpa_mgmt_dev *vdpasim_net_kunit_mgmtdev(void)
{
	return &vdpasim_net_mgmt.mdev;
}
EXPORT_SYMBOL_IF_KUNIT(vdpasim_net_kunit_mgmtdev);
#endif

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
