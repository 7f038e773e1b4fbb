// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_devring net helpers: the loopback, and ports, the host side of a
 * software net device's wire. A
 * port is a host network interface; what the device's driver sends comes
 * up its receive path, and what the host sends through it is queued for
 * the device's receive queues. Its phys_port_name names the device it is
 * cabled to.
 *
 * The owner serialises everything but transmission (which the network
 * stack runs) and clears its own pointer to the port, under its lock,
 * before vdpa_devring_port_destroy().
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/vdpa_devring.h>
#include <linux/virtio_net.h>

/**
 * vdpa_devring_net_loop() - a sent frame into a receive buffer
 * @tx: the transmit buffer: a virtio_net_hdr_v1, then the frame
 * @rx: the receive buffer
 *
 * The frame arrives with a clean header (a software device offers no
 * offloads, so there is nothing to keep).
 *
 * Return: bytes written into @rx; 0 for a runt, or when @rx is too small
 * (the frame is dropped, as a NIC drops it).
 */
u32 vdpa_devring_net_loop(const struct vdpa_devring_req *tx, const struct vdpa_devring_req *rx)
{
	static const struct virtio_net_hdr_v1 clean;
	size_t hdr = sizeof(clean);

	if (tx->out_len < hdr || rx->in_len < tx->out_len)
		return 0;
	vdpa_devring_write(rx, 0, &clean, hdr);
	return hdr + vdpa_devring_transfer(rx, hdr, tx, hdr, tx->out_len - hdr);
}
EXPORT_SYMBOL_GPL(vdpa_devring_net_loop);

/* Frames the host may queue for the device before its queue stops. */
#define VDPA_DEVRING_PORT_QUEUE 256

static netdev_tx_t vdpa_devring_port_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct vdpa_devring_port *port = netdev_priv(ndev);

	skb_queue_tail(&port->to_device, skb);
	if (skb_queue_len(&port->to_device) >= VDPA_DEVRING_PORT_QUEUE)
		netif_stop_queue(ndev);
	port->wake(port->ctx);
	return NETDEV_TX_OK;
}

static int vdpa_devring_port_name(struct net_device *ndev, char *buf, size_t len)
{
	struct vdpa_devring_port *port = netdev_priv(ndev);

	if (strscpy(buf, port->peer, len) < 0)
		return -EOPNOTSUPP;
	return 0;
}

static const struct net_device_ops vdpa_devring_port_ops = {
	.ndo_start_xmit = vdpa_devring_port_xmit,
	.ndo_get_phys_port_name = vdpa_devring_port_name,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/**
 * vdpa_devring_port_create() - a host interface cabled to a device
 * @ifname: its name, a format with one %d
 * @peer: the device's name, its phys_port_name (copied)
 * @mtu: its MTU
 * @wake: called when the host sent a frame (any context): run the device
 * @ctx: argument of @wake
 *
 * The carrier starts off.
 *
 * Context: process context; takes the RTNL.
 * Return: the port, or an ERR_PTR().
 */
struct vdpa_devring_port *vdpa_devring_port_create(const char *ifname, const char *peer,
						   u32 mtu, void (*wake)(void *ctx), void *ctx)
{
	struct vdpa_devring_port *port;
	struct net_device *ndev;
	int err;

	ndev = alloc_netdev(sizeof(*port), ifname, NET_NAME_ENUM, ether_setup);
	if (!ndev)
		return ERR_PTR(-ENOMEM);
	port = netdev_priv(ndev);
	port->ndev = ndev;
	port->wake = wake;
	port->ctx = ctx;
	strscpy(port->peer, peer, sizeof(port->peer));
	skb_queue_head_init(&port->to_device);
	ndev->netdev_ops = &vdpa_devring_port_ops;
	ndev->max_mtu = ETH_MAX_MTU;
	ndev->mtu = mtu;
	eth_hw_addr_random(ndev);
	netif_carrier_off(ndev);
	err = register_netdev(ndev);
	if (err) {
		free_netdev(ndev);
		return ERR_PTR(err);
	}
	return port;
}
EXPORT_SYMBOL_GPL(vdpa_devring_port_create);

/**
 * vdpa_devring_port_destroy() - unplug and free a port
 * @port: the port, which its owner no longer uses
 *
 * Context: process context; takes the RTNL.
 */
void vdpa_devring_port_destroy(struct vdpa_devring_port *port)
{
	struct net_device *ndev = port->ndev;

	unregister_netdev(ndev);
	/* No transmission runs any more: drop what it queued. */
	skb_queue_purge(&port->to_device);
	free_netdev(ndev);
}
EXPORT_SYMBOL_GPL(vdpa_devring_port_destroy);

/**
 * vdpa_devring_port_carrier() - the cable's state, as the host sees it
 * @port: the port
 * @up: whether the device runs with its link up
 */
void vdpa_devring_port_carrier(struct vdpa_devring_port *port, bool up)
{
	if (up == netif_carrier_ok(port->ndev))
		return;
	if (up)
		netif_carrier_on(port->ndev);
	else
		netif_carrier_off(port->ndev);
}
EXPORT_SYMBOL_GPL(vdpa_devring_port_carrier);

/**
 * vdpa_devring_port_to_host() - a frame the driver sent goes up the host's stack
 * @port: the port
 * @tx: the transmit buffer: a @hdr-byte virtio-net header, then the frame
 * @hdr: the header's size
 *
 * A runt or a frame longer than the MTU allows is counted and dropped.
 *
 * Context: process context.
 */
void vdpa_devring_port_to_host(struct vdpa_devring_port *port,
			       const struct vdpa_devring_req *tx, size_t hdr)
{
	struct net_device *ndev = port->ndev;
	struct sk_buff *skb;
	size_t len;

	if (tx->out_len < hdr + ETH_HLEN || tx->out_len - hdr > ndev->mtu + VLAN_ETH_HLEN) {
		DEV_STATS_INC(ndev, rx_length_errors);
		return;
	}
	len = tx->out_len - hdr;
	skb = __netdev_alloc_skb_ip_align(ndev, len, GFP_KERNEL);
	if (!skb) {
		DEV_STATS_INC(ndev, rx_dropped);
		return;
	}
	vdpa_devring_read(tx, hdr, skb_put(skb, len), len);
	skb->protocol = eth_type_trans(skb, ndev);
	DEV_STATS_INC(ndev, rx_packets);
	DEV_STATS_ADD(ndev, rx_bytes, len);
	netif_rx(skb);
}
EXPORT_SYMBOL_GPL(vdpa_devring_port_to_host);

/**
 * vdpa_devring_port_next() - the next frame the host sent
 * @port: the port
 *
 * Return: the frame (the caller delivers it, gives it back with
 * vdpa_devring_port_unget() or consumes it), or NULL.
 */
struct sk_buff *vdpa_devring_port_next(struct vdpa_devring_port *port)
{
	return skb_dequeue(&port->to_device);
}
EXPORT_SYMBOL_GPL(vdpa_devring_port_next);

/**
 * vdpa_devring_port_unget() - put a frame back first in line
 * @port: the port
 * @skb: from vdpa_devring_port_next(); it waits for a receive buffer
 */
void vdpa_devring_port_unget(struct vdpa_devring_port *port, struct sk_buff *skb)
{
	skb_queue_head(&port->to_device, skb);
}
EXPORT_SYMBOL_GPL(vdpa_devring_port_unget);

/**
 * vdpa_devring_port_deliver() - a frame the host sent into a receive buffer
 * @port: the port
 * @rx: the receive buffer
 * @hdr: bytes of (clean) virtio-net header before the frame
 * @skb: the frame; consumed
 *
 * Return: bytes written into @rx, 0 when the frame did not fit (counted as
 * dropped).
 */
u32 vdpa_devring_port_deliver(struct vdpa_devring_port *port,
			      const struct vdpa_devring_req *rx, size_t hdr, struct sk_buff *skb)
{
	static const u8 clean[32];
	u32 written = 0;

	if (hdr > sizeof(clean) || rx->in_len < hdr + skb->len || skb_linearize(skb)) {
		DEV_STATS_INC(port->ndev, tx_dropped);
	} else {
		vdpa_devring_write(rx, 0, clean, hdr);
		vdpa_devring_write(rx, hdr, skb->data, skb->len);
		DEV_STATS_INC(port->ndev, tx_packets);
		DEV_STATS_ADD(port->ndev, tx_bytes, skb->len);
		written = hdr + skb->len;
	}
	consume_skb(skb);
	return written;
}
EXPORT_SYMBOL_GPL(vdpa_devring_port_deliver);

/**
 * vdpa_devring_port_drained() - the device took frames: let the host send again
 * @port: the port
 */
void vdpa_devring_port_drained(struct vdpa_devring_port *port)
{
	if (netif_queue_stopped(port->ndev) &&
	    skb_queue_len(&port->to_device) < VDPA_DEVRING_PORT_QUEUE / 2)
		netif_wake_queue(port->ndev);
}
EXPORT_SYMBOL_GPL(vdpa_devring_port_drained);

/**
 * vdpa_devring_port_purge() - drop every frame queued for the device
 * @port: the port
 */
void vdpa_devring_port_purge(struct vdpa_devring_port *port)
{
	skb_queue_purge(&port->to_device);
}
EXPORT_SYMBOL_GPL(vdpa_devring_port_purge);
