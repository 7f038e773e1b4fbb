// SPDX-License-Identifier: GPL-2.0
/*
 * The "vdpa" generic netlink family, spoken by iproute2's vdpa tool:
 * management devices, device creation and deletion, attributes, config
 * space and vendor statistics. Attribute numbers and widths are ABI
 * (include/uapi/linux/vdpa.h).
 *
 * Every request runs under vdpa_dev_lock (vdpa_internal.h): for write when
 * it creates, deletes or changes a device, for read otherwise, so a device
 * found by name stays registered until the reply is built.
 */
#include <linux/ctype.h>
#include <linux/etherdevice.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_blk.h>
#include <net/genetlink.h>
#include <uapi/linux/vdpa.h>

#include "vdpa_internal.h"

static struct genl_family vdpa_nl_family;

/*
 * Device names become sysfs directory names and netlink strings; keep them
 * short enough to print (the kernel itself has no smaller limit).
 */
#define VDPA_DEV_NAME_MAX 64

/* The lowest MTU a virtio-net device may be given (RFC 791's minimum). */
#define VDPA_NET_MIN_MTU 68

static int vdpa_nl_put_mgmtdev_handle(struct sk_buff *msg,
				      struct vdpa_mgmt_dev *mdev)
{
	struct device *d = mdev->device;

	if (d->bus && nla_put_string(msg, VDPA_ATTR_MGMTDEV_BUS_NAME, d->bus->name))
		return -EMSGSIZE;
	if (nla_put_string(msg, VDPA_ATTR_MGMTDEV_DEV_NAME, dev_name(d)))
		return -EMSGSIZE;
	return 0;
}

/* The management device named by the request, with an extack if none. */
static struct vdpa_mgmt_dev *vdpa_nl_mgmtdev(struct genl_info *info)
{
	struct nlattr *bus = info->attrs[VDPA_ATTR_MGMTDEV_BUS_NAME];
	struct nlattr *dev = info->attrs[VDPA_ATTR_MGMTDEV_DEV_NAME];
	struct vdpa_mgmt_dev *mdev;

	if (!dev) {
		NL_SET_ERR_MSG(info->extack, "management device name is required");
		return ERR_PTR(-EINVAL);
	}
	mdev = vdpa_mgmtdev_find(bus ? nla_data(bus) : NULL, nla_data(dev));
	if (!mdev) {
		NL_SET_ERR_MSG_ATTR(info->extack, dev, "management device not found");
		return ERR_PTR(-ENODEV);
	}
	return mdev;
}

/*
 * The device named by VDPA_ATTR_DEV_NAME, with a reference the caller
 * drops with put_device().
 */
static struct vdpa_device *vdpa_nl_device(struct genl_info *info)
{
	struct nlattr *name = info->attrs[VDPA_ATTR_DEV_NAME];
	struct device *d;

	if (!name) {
		NL_SET_ERR_MSG(info->extack, "device name is required");
		return ERR_PTR(-EINVAL);
	}
	d = bus_find_device_by_name(&vdpa_bus, NULL, nla_data(name));
	if (!d) {
		NL_SET_ERR_MSG_ATTR(info->extack, name, "device not found");
		return ERR_PTR(-ENODEV);
	}
	return dev_to_vdpa(d);
}

/* Replies are built in a fresh skb and sent as unicast. */
static int vdpa_nl_reply(struct genl_info *info,
			 int (*fill)(struct sk_buff *msg, void *obj, u32 portid,
				     u32 seq, int flags,
				     struct netlink_ext_ack *extack),
			 void *obj)
{
	struct sk_buff *msg;
	int err;

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = fill(msg, obj, info->snd_portid, info->snd_seq, 0, info->extack);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* ---- management devices ---- */

static int vdpa_nl_mgmtdev_fill(struct sk_buff *msg, void *obj, u32 portid,
				u32 seq, int flags, struct netlink_ext_ack *extack)
{
	struct vdpa_mgmt_dev *mdev = obj;
	u64 classes = 0;
	void *hdr;
	int i;

	hdr = genlmsg_put(msg, portid, seq, &vdpa_nl_family, flags,
			  VDPA_CMD_MGMTDEV_NEW);
	if (!hdr)
		return -EMSGSIZE;
	for (i = 0; mdev->id_table[i].device; i++)
		if (mdev->id_table[i].device < 64)
			classes |= BIT_ULL(mdev->id_table[i].device);
	if (vdpa_nl_put_mgmtdev_handle(msg, mdev) ||
	    nla_put_u64_64bit(msg, VDPA_ATTR_MGMTDEV_SUPPORTED_CLASSES, classes,
			      VDPA_ATTR_PAD) ||
	    nla_put_u32(msg, VDPA_ATTR_DEV_MGMTDEV_MAX_VQS,
			mdev->max_supported_vqs) ||
	    nla_put_u64_64bit(msg, VDPA_ATTR_DEV_SUPPORTED_FEATURES,
			      mdev->supported_features, VDPA_ATTR_PAD)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

static int vdpa_nl_mgmtdev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vdpa_mgmt_dev *mdev;
	int err;

	down_read(&vdpa_dev_lock);
	mdev = vdpa_nl_mgmtdev(info);
	err = IS_ERR(mdev) ? PTR_ERR(mdev) :
		vdpa_nl_reply(info, vdpa_nl_mgmtdev_fill, mdev);
	up_read(&vdpa_dev_lock);
	return err;
}

/*
 * Dump position: cb->args[0] is the number of entries already sent. The
 * lock is dropped between rounds; cb->seq holds vdpa_dev_gen so a round
 * that sees a different set of devices marks its messages NLM_F_DUMP_INTR.
 */
struct vdpa_nl_dump {
	struct sk_buff *msg;
	struct netlink_callback *cb;
	long idx;
};

/* Put one dump entry with @fill, flagging it if the set changed. */
static int vdpa_nl_dump_entry(struct vdpa_nl_dump *d, void *obj,
			      int (*fill)(struct sk_buff *msg, void *obj,
					  u32 portid, u32 seq, int flags,
					  struct netlink_ext_ack *extack))
{
	unsigned int start = d->msg->len;
	int err;

	if (d->idx < d->cb->args[0]) {
		d->idx++;
		return 0;
	}
	err = fill(d->msg, obj, NETLINK_CB(d->cb->skb).portid,
		   d->cb->nlh->nlmsg_seq, NLM_F_MULTI, NULL);
	if (err)
		return err;
	nl_dump_check_consistent(d->cb, (struct nlmsghdr *)(d->msg->data + start));
	d->idx++;
	return 0;
}

static void vdpa_nl_dump_start(struct vdpa_nl_dump *d)
{
	lockdep_assert_held(&vdpa_dev_lock);
	d->cb->seq = vdpa_dev_gen;
}

static int vdpa_nl_mgmtdev_dump_one(struct vdpa_mgmt_dev *mdev, void *data)
{
	return vdpa_nl_dump_entry(data, mdev, vdpa_nl_mgmtdev_fill);
}

static int vdpa_nl_mgmtdev_get_dumpit(struct sk_buff *msg,
				      struct netlink_callback *cb)
{
	struct vdpa_nl_dump d = { .msg = msg, .cb = cb };

	down_read(&vdpa_dev_lock);
	vdpa_nl_dump_start(&d);
	vdpa_mgmtdev_for_each(vdpa_nl_mgmtdev_dump_one, &d);
	up_read(&vdpa_dev_lock);
	cb->args[0] = d.idx;
	return msg->len;
}

/* ---- device creation, deletion, attributes ---- */

static bool vdpa_nl_mgmtdev_has(struct vdpa_mgmt_dev *mdev, u32 id)
{
	int i;

	for (i = 0; mdev->id_table[i].device; i++)
		if (mdev->id_table[i].device == id)
			return true;
	return false;
}

/*
 * A device name becomes a sysfs directory: refuse what sysfs would mangle
 * ('/') or collide with ('.', '..', hidden names) and control characters.
 */
static bool vdpa_nl_name_ok(const char *name)
{
	const char *c;

	if (name[0] == '.')
		return false;
	for (c = name; *c; c++)
		if (*c == '/' || iscntrl(*c))
			return false;
	return true;
}

/*
 * Collect the optional DEV_NEW / DEV_ATTR_SET attributes into @config,
 * checking each against what the management device accepts.
 */
static int vdpa_nl_parse_config(struct genl_info *info,
				struct vdpa_mgmt_dev *mdev,
				struct vdpa_dev_set_config *config)
{
	struct nlattr **attrs = info->attrs;
	static const int accepted[] = {
		VDPA_ATTR_DEV_NET_CFG_MACADDR, VDPA_ATTR_DEV_NET_CFG_MTU,
		VDPA_ATTR_DEV_NET_CFG_MAX_VQP, VDPA_ATTR_DEV_FEATURES,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(accepted); i++) {
		int type = accepted[i];

		if (!attrs[type])
			continue;
		if (!(mdev->config_attr_mask & BIT_ULL(type))) {
			NL_SET_ERR_MSG_ATTR(info->extack, attrs[type],
					    "attribute not supported by the management device");
			return -EOPNOTSUPP;
		}
		config->mask |= BIT_ULL(type);
	}

	if (attrs[VDPA_ATTR_DEV_NET_CFG_MACADDR]) {
		const u8 *mac = nla_data(attrs[VDPA_ATTR_DEV_NET_CFG_MACADDR]);

		if (!is_valid_ether_addr(mac)) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    attrs[VDPA_ATTR_DEV_NET_CFG_MACADDR],
					    "MAC address must be unicast and non-zero");
			return -EINVAL;
		}
		ether_addr_copy(config->net.mac, mac);
	}
	if (attrs[VDPA_ATTR_DEV_NET_CFG_MTU]) {
		config->net.mtu = nla_get_u16(attrs[VDPA_ATTR_DEV_NET_CFG_MTU]);
		if (config->net.mtu < VDPA_NET_MIN_MTU) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack,
						attrs[VDPA_ATTR_DEV_NET_CFG_MTU],
						"MTU must be at least %u",
						VDPA_NET_MIN_MTU);
			return -EINVAL;
		}
	}
	if (attrs[VDPA_ATTR_DEV_NET_CFG_MAX_VQP]) {
		config->net.max_vq_pairs =
			nla_get_u16(attrs[VDPA_ATTR_DEV_NET_CFG_MAX_VQP]);
		if (!config->net.max_vq_pairs) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    attrs[VDPA_ATTR_DEV_NET_CFG_MAX_VQP],
					    "max_vqp must be at least 1");
			return -EINVAL;
		}
	}
	/* Each queue pair is two virtqueues (a control queue may come on top). */
	if (config->net.max_vq_pairs && mdev->max_supported_vqs &&
	    2 * config->net.max_vq_pairs > mdev->max_supported_vqs) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					attrs[VDPA_ATTR_DEV_NET_CFG_MAX_VQP],
					"max_vqp %u needs more than the %u virtqueues the management device supports",
					config->net.max_vq_pairs,
					mdev->max_supported_vqs);
		return -EINVAL;
	}
	if (attrs[VDPA_ATTR_DEV_FEATURES]) {
		u64 features = nla_get_u64(attrs[VDPA_ATTR_DEV_FEATURES]);

		if (features & ~mdev->supported_features) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, attrs[VDPA_ATTR_DEV_FEATURES],
						"features 0x%llx not supported by the management device",
						features & ~mdev->supported_features);
			return -EINVAL;
		}
		config->device_features = features;
	}
	return 0;
}

/*
 * With explicitly provisioned features, a provisioned attribute whose
 * feature is absent would be invisible to the driver: refuse it.
 */
static int vdpa_nl_check_provisioned(struct genl_info *info,
				     const struct vdpa_dev_set_config *config,
				     bool mdev_is_net)
{
	static const struct {
		int attr;
		int feature;
		const char *msg;
	} needs[] = {
		{ VDPA_ATTR_DEV_NET_CFG_MACADDR, VIRTIO_NET_F_MAC,
		  "MAC address given but VIRTIO_NET_F_MAC not provisioned" },
		{ VDPA_ATTR_DEV_NET_CFG_MTU, VIRTIO_NET_F_MTU,
		  "MTU given but VIRTIO_NET_F_MTU not provisioned" },
		{ VDPA_ATTR_DEV_NET_CFG_MAX_VQP, VIRTIO_NET_F_MQ,
		  "max_vqp given but VIRTIO_NET_F_MQ not provisioned" },
	};
	int i;

	static const u64 need_cvq = BIT_ULL(VIRTIO_NET_F_MQ) |
				    BIT_ULL(VIRTIO_NET_F_CTRL_RX) |
				    BIT_ULL(VIRTIO_NET_F_CTRL_VLAN) |
				    BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR) |
				    BIT_ULL(VIRTIO_NET_F_GUEST_ANNOUNCE);
	u64 f = config->device_features;

	if (!(config->mask & BIT_ULL(VDPA_ATTR_DEV_FEATURES)))
		return 0;
	if (!(f & BIT_ULL(VIRTIO_F_VERSION_1))) {
		NL_SET_ERR_MSG(info->extack,
			       "provisioned features must include VIRTIO_F_VERSION_1");
		return -EINVAL;
	}
	if (mdev_is_net && (f & need_cvq) && !(f & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))) {
		NL_SET_ERR_MSG(info->extack,
			       "control features provisioned without VIRTIO_NET_F_CTRL_VQ");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(needs); i++) {
		if (!(config->mask & BIT_ULL(needs[i].attr)))
			continue;
		if (needs[i].attr == VDPA_ATTR_DEV_NET_CFG_MAX_VQP &&
		    config->net.max_vq_pairs == 1)
			continue;
		if (!(config->device_features & BIT_ULL(needs[i].feature))) {
			NL_SET_ERR_MSG_FMT(info->extack, "%s", needs[i].msg);
			return -EINVAL;
		}
	}
	return 0;
}

static int vdpa_nl_dev_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vdpa_dev_set_config config = {};
	struct nlattr *name = info->attrs[VDPA_ATTR_DEV_NAME];
	struct vdpa_mgmt_dev *mdev;
	struct device *dup;
	size_t len;
	int err;

	if (!name) {
		NL_SET_ERR_MSG(info->extack, "device name is required");
		return -EINVAL;
	}
	len = strnlen(nla_data(name), nla_len(name));
	if (!len || len > VDPA_DEV_NAME_MAX) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, name,
					"device name must be 1 to %u characters",
					VDPA_DEV_NAME_MAX);
		return -EINVAL;
	}
	if (!vdpa_nl_name_ok(nla_data(name))) {
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "device name must not start with '.' nor contain '/' or control characters");
		return -EINVAL;
	}

	down_write(&vdpa_dev_lock);
	mdev = vdpa_nl_mgmtdev(info);
	if (IS_ERR(mdev)) {
		err = PTR_ERR(mdev);
		goto out_unlock;
	}
	err = vdpa_nl_parse_config(info, mdev, &config);
	if (err)
		goto out_unlock;
	err = vdpa_nl_check_provisioned(info, &config, vdpa_nl_mgmtdev_has(mdev, VIRTIO_ID_NET));
	if (err)
		goto out_unlock;
	dup = bus_find_device_by_name(&vdpa_bus, NULL, nla_data(name));
	if (dup) {
		put_device(dup);
		NL_SET_ERR_MSG_ATTR(info->extack, name, "device name already in use");
		err = -EEXIST;
		goto out_unlock;
	}
	err = mdev->ops->dev_add(mdev, nla_data(name), &config);
	if (err)
		NL_SET_ERR_MSG_WEAK(info->extack,
				    "management device failed to add the device");
out_unlock:
	up_write(&vdpa_dev_lock);
	return err;
}

static int vdpa_nl_dev_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vdpa_device *vdev;
	int err = 0;

	down_write(&vdpa_dev_lock);
	vdev = vdpa_nl_device(info);
	if (IS_ERR(vdev)) {
		err = PTR_ERR(vdev);
		goto out_unlock;
	}
	if (!vdev->mdev) {
		NL_SET_ERR_MSG(info->extack,
			       "device was not created by a management device");
		err = -EINVAL;
	} else {
		vdev->mdev->ops->dev_del(vdev->mdev, vdev);
	}
	put_device(&vdev->dev);
out_unlock:
	up_write(&vdpa_dev_lock);
	return err;
}

static int vdpa_nl_dev_attr_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vdpa_dev_set_config config = {};
	struct vdpa_mgmt_dev *mdev;
	struct vdpa_device *vdev;
	int err;

	down_write(&vdpa_dev_lock);
	vdev = vdpa_nl_device(info);
	if (IS_ERR(vdev)) {
		err = PTR_ERR(vdev);
		goto out_unlock;
	}
	mdev = vdev->mdev;
	if (!mdev || !mdev->ops->dev_set_attr) {
		NL_SET_ERR_MSG(info->extack, "device attributes cannot be changed");
		err = -EOPNOTSUPP;
		goto out_put;
	}
	if (info->attrs[VDPA_ATTR_DEV_NET_CFG_MTU] ||
	    info->attrs[VDPA_ATTR_DEV_NET_CFG_MAX_VQP] ||
	    info->attrs[VDPA_ATTR_DEV_FEATURES]) {
		NL_SET_ERR_MSG(info->extack, "only the MAC address can be changed");
		err = -EOPNOTSUPP;
		goto out_put;
	}
	err = vdpa_nl_parse_config(info, mdev, &config);
	if (err)
		goto out_put;
	if (!config.mask) {
		NL_SET_ERR_MSG(info->extack, "no attribute to change");
		err = -EINVAL;
		goto out_put;
	}
	if ((config.mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR)) &&
	    !(vdev->config->get_device_features(vdev) & BIT_ULL(VIRTIO_NET_F_MAC))) {
		NL_SET_ERR_MSG(info->extack,
			       "device has no VIRTIO_NET_F_MAC: a MAC would be invisible to its driver");
		err = -EOPNOTSUPP;
		goto out_put;
	}
	/* Parents change config space here: exclude readers of it. */
	down_write(&vdev->cf_lock);
	err = mdev->ops->dev_set_attr(mdev, vdev, &config);
	up_write(&vdev->cf_lock);
out_put:
	put_device(&vdev->dev);
out_unlock:
	up_write(&vdpa_dev_lock);
	return err;
}

/* ---- device show ---- */

static int vdpa_nl_dev_fill(struct sk_buff *msg, void *obj, u32 portid,
			    u32 seq, int flags, struct netlink_ext_ack *extack)
{
	struct vdpa_device *vdev = obj;
	const struct vdpa_config_ops *ops = vdev->config;
	u16 min = ops->get_vq_num_min ? ops->get_vq_num_min(vdev) : 1;
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &vdpa_nl_family, flags,
			  VDPA_CMD_DEV_NEW);
	if (!hdr)
		return -EMSGSIZE;
	if ((vdev->mdev && vdpa_nl_put_mgmtdev_handle(msg, vdev->mdev)) ||
	    nla_put_string(msg, VDPA_ATTR_DEV_NAME, dev_name(&vdev->dev)) ||
	    nla_put_u32(msg, VDPA_ATTR_DEV_ID, ops->get_device_id(vdev)) ||
	    nla_put_u32(msg, VDPA_ATTR_DEV_VENDOR_ID, ops->get_vendor_id(vdev)) ||
	    nla_put_u32(msg, VDPA_ATTR_DEV_MAX_VQS, vdev->nvqs) ||
	    nla_put_u16(msg, VDPA_ATTR_DEV_MAX_VQ_SIZE, ops->get_vq_num_max(vdev)) ||
	    nla_put_u16(msg, VDPA_ATTR_DEV_MIN_VQ_SIZE, min)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/* Reply about the device the request names, with @fill. */
static int vdpa_nl_dev_doit(struct genl_info *info,
			    int (*fill)(struct sk_buff *msg, void *obj, u32 portid,
					u32 seq, int flags,
					struct netlink_ext_ack *extack))
{
	struct vdpa_device *vdev;
	int err;

	down_read(&vdpa_dev_lock);
	vdev = vdpa_nl_device(info);
	if (IS_ERR(vdev)) {
		err = PTR_ERR(vdev);
	} else {
		err = vdpa_nl_reply(info, fill, vdev);
		put_device(&vdev->dev);
	}
	up_read(&vdpa_dev_lock);
	return err;
}

static int vdpa_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return vdpa_nl_dev_doit(info, vdpa_nl_dev_fill);
}

struct vdpa_nl_dev_dump {
	struct vdpa_nl_dump d;
	int (*fill)(struct sk_buff *msg, void *obj, u32 portid, u32 seq,
		    int flags, struct netlink_ext_ack *extack);
};

static int vdpa_nl_dev_dump_one(struct device *dev, void *data)
{
	struct vdpa_nl_dev_dump *dd = data;

	return vdpa_nl_dump_entry(&dd->d, dev_to_vdpa(dev), dd->fill);
}

static int vdpa_nl_dev_dump(struct sk_buff *msg, struct netlink_callback *cb,
			    int (*fill)(struct sk_buff *msg, void *obj,
					u32 portid, u32 seq, int flags,
					struct netlink_ext_ack *extack))
{
	struct vdpa_nl_dev_dump dd = { .d = { .msg = msg, .cb = cb }, .fill = fill };

	down_read(&vdpa_dev_lock);
	vdpa_nl_dump_start(&dd.d);
	bus_for_each_dev(&vdpa_bus, NULL, &dd, vdpa_nl_dev_dump_one);
	up_read(&vdpa_dev_lock);
	cb->args[0] = dd.d.idx;
	return msg->len;
}

static int vdpa_nl_dev_get_dumpit(struct sk_buff *msg, struct netlink_callback *cb)
{
	return vdpa_nl_dev_dump(msg, cb, vdpa_nl_dev_fill);
}

/* ---- config space ---- */

/* End a message built under @vdev's cf_lock: keep it, or drop it on @err. */
static int vdpa_nl_fill_done(struct vdpa_device *vdev, struct sk_buff *msg,
			     void *hdr, int err)
{
	up_read(&vdev->cf_lock);
	if (err)
		genlmsg_cancel(msg, hdr);
	else
		genlmsg_end(msg, hdr);
	return err;
}

/*
 * Read the config space without vdpa_get_config()'s implicit feature
 * negotiation: looking must not change the device. Caller holds cf_lock.
 */
static void vdpa_nl_read_config(struct vdpa_device *vdev, void *buf, size_t len)
{
	size_t size = vdev->config->get_config_size(vdev);

	memset(buf, 0, len);
	vdev->config->get_config(vdev, 0, buf, min(size, len));
}

/* Config space byte order: little endian unless legacy on a BE host. */
static bool vdpa_nl_le(u64 features)
{
	return (features & BIT_ULL(VIRTIO_F_VERSION_1)) ||
	       virtio_legacy_is_little_endian();
}

static int vdpa_nl_net_config_fill(struct vdpa_device *vdev,
				   struct sk_buff *msg, u64 features)
{
	bool le = vdpa_nl_le(features);
	struct virtio_net_config cfg;

	vdpa_nl_read_config(vdev, &cfg, sizeof(cfg));
	if ((features & BIT_ULL(VIRTIO_NET_F_MAC)) &&
	    nla_put(msg, VDPA_ATTR_DEV_NET_CFG_MACADDR, ETH_ALEN, cfg.mac))
		return -EMSGSIZE;
	/* iproute2 reads the status as u16 although the field is 8 bits wide. */
	if ((features & BIT_ULL(VIRTIO_NET_F_STATUS)) &&
	    nla_put_u16(msg, VDPA_ATTR_DEV_NET_STATUS, __virtio16_to_cpu(le, cfg.status)))
		return -EMSGSIZE;
	if ((features & BIT_ULL(VIRTIO_NET_F_MQ)) &&
	    nla_put_u16(msg, VDPA_ATTR_DEV_NET_CFG_MAX_VQP,
			__virtio16_to_cpu(le, cfg.max_virtqueue_pairs)))
		return -EMSGSIZE;
	if ((features & BIT_ULL(VIRTIO_NET_F_MTU)) &&
	    nla_put_u16(msg, VDPA_ATTR_DEV_NET_CFG_MTU, __virtio16_to_cpu(le, cfg.mtu)))
		return -EMSGSIZE;
	return 0;
}

static int vdpa_nl_blk_config_fill(struct vdpa_device *vdev,
				   struct sk_buff *msg, u64 features)
{
	bool le = vdpa_nl_le(features);
	struct virtio_blk_config cfg;
	bool fail;

	vdpa_nl_read_config(vdev, &cfg, sizeof(cfg));
	fail = nla_put_u64_64bit(msg, VDPA_ATTR_DEV_BLK_CFG_CAPACITY,
				 __virtio64_to_cpu(le, cfg.capacity), VDPA_ATTR_PAD);
	if (features & BIT_ULL(VIRTIO_BLK_F_SIZE_MAX))
		fail |= nla_put_u32(msg, VDPA_ATTR_DEV_BLK_CFG_SIZE_MAX,
				    __virtio32_to_cpu(le, cfg.size_max));
	if (features & BIT_ULL(VIRTIO_BLK_F_SEG_MAX))
		fail |= nla_put_u32(msg, VDPA_ATTR_DEV_BLK_CFG_SEG_MAX,
				    __virtio32_to_cpu(le, cfg.seg_max));
	if (features & BIT_ULL(VIRTIO_BLK_F_BLK_SIZE))
		fail |= nla_put_u32(msg, VDPA_ATTR_DEV_BLK_CFG_BLK_SIZE,
				    __virtio32_to_cpu(le, cfg.blk_size));
	if (features & BIT_ULL(VIRTIO_BLK_F_MQ))
		fail |= nla_put_u16(msg, VDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES,
				    __virtio16_to_cpu(le, cfg.num_queues));
	if (features & BIT_ULL(VIRTIO_BLK_F_TOPOLOGY)) {
		fail |= nla_put_u8(msg, VDPA_ATTR_DEV_BLK_CFG_PHY_BLK_EXP,
				   cfg.physical_block_exp);
		fail |= nla_put_u8(msg, VDPA_ATTR_DEV_BLK_CFG_ALIGN_OFFSET,
				   cfg.alignment_offset);
		fail |= nla_put_u16(msg, VDPA_ATTR_DEV_BLK_CFG_MIN_IO_SIZE,
				    __virtio16_to_cpu(le, cfg.min_io_size));
		fail |= nla_put_u32(msg, VDPA_ATTR_DEV_BLK_CFG_OPT_IO_SIZE,
				    __virtio32_to_cpu(le, cfg.opt_io_size));
	}
	if (features & BIT_ULL(VIRTIO_BLK_F_DISCARD)) {
		fail |= nla_put_u32(msg, VDPA_ATTR_DEV_BLK_CFG_MAX_DISCARD_SEC,
				    __virtio32_to_cpu(le, cfg.max_discard_sectors));
		fail |= nla_put_u32(msg, VDPA_ATTR_DEV_BLK_CFG_MAX_DISCARD_SEG,
				    __virtio32_to_cpu(le, cfg.max_discard_seg));
		fail |= nla_put_u32(msg, VDPA_ATTR_DEV_BLK_CFG_DISCARD_SEC_ALIGN,
				    __virtio32_to_cpu(le, cfg.discard_sector_alignment));
	}
	if (features & BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES)) {
		fail |= nla_put_u32(msg, VDPA_ATTR_DEV_BLK_CFG_MAX_WRITE_ZEROES_SEC,
				    __virtio32_to_cpu(le, cfg.max_write_zeroes_sectors));
		fail |= nla_put_u32(msg, VDPA_ATTR_DEV_BLK_CFG_MAX_WRITE_ZEROES_SEG,
				    __virtio32_to_cpu(le, cfg.max_write_zeroes_seg));
	}
	fail |= nla_put_u8(msg, VDPA_ATTR_DEV_BLK_READ_ONLY,
			   !!(features & BIT_ULL(VIRTIO_BLK_F_RO)));
	fail |= nla_put_u8(msg, VDPA_ATTR_DEV_BLK_FLUSH,
			   !!(features & BIT_ULL(VIRTIO_BLK_F_FLUSH)));
	return fail ? -EMSGSIZE : 0;
}

/*
 * Features that decide what the config space shows: the negotiated ones
 * once the driver set FEATURES_OK, the offered ones before.
 */
static bool vdpa_nl_negotiated(struct vdpa_device *vdev, u64 *features)
{
	const struct vdpa_config_ops *ops = vdev->config;

	if (ops->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK) {
		*features = ops->get_driver_features(vdev);
		return true;
	}
	*features = ops->get_device_features(vdev);
	return false;
}

static int vdpa_nl_config_fill(struct sk_buff *msg, void *obj, u32 portid,
			       u32 seq, int flags, struct netlink_ext_ack *extack)
{
	struct vdpa_device *vdev = obj;
	const struct vdpa_config_ops *ops = vdev->config;
	u32 device_id = ops->get_device_id(vdev);
	u64 features;
	bool negotiated;
	void *hdr;
	int err;

	hdr = genlmsg_put(msg, portid, seq, &vdpa_nl_family, flags,
			  VDPA_CMD_DEV_CONFIG_GET);
	if (!hdr)
		return -EMSGSIZE;

	down_read(&vdev->cf_lock);
	negotiated = vdpa_nl_negotiated(vdev, &features);
	err = -EMSGSIZE;
	if (nla_put_string(msg, VDPA_ATTR_DEV_NAME, dev_name(&vdev->dev)) ||
	    nla_put_u32(msg, VDPA_ATTR_DEV_ID, device_id) ||
	    nla_put_u64_64bit(msg, VDPA_ATTR_DEV_FEATURES,
			      ops->get_device_features(vdev), VDPA_ATTR_PAD) ||
	    (negotiated &&
	     nla_put_u64_64bit(msg, VDPA_ATTR_DEV_NEGOTIATED_FEATURES,
			       features, VDPA_ATTR_PAD)))
		goto out_done;

	switch (device_id) {
	case VIRTIO_ID_NET:
		err = vdpa_nl_net_config_fill(vdev, msg, features);
		break;
	case VIRTIO_ID_BLOCK:
		err = vdpa_nl_blk_config_fill(vdev, msg, features);
		break;
	default:
		err = 0;
		break;
	}
out_done:
	return vdpa_nl_fill_done(vdev, msg, hdr, err);
}

static int vdpa_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return vdpa_nl_dev_doit(info, vdpa_nl_config_fill);
}

static int vdpa_nl_config_get_dumpit(struct sk_buff *msg,
				     struct netlink_callback *cb)
{
	return vdpa_nl_dev_dump(msg, cb, vdpa_nl_config_fill);
}

/* ---- vendor statistics ---- */

struct vdpa_nl_vstats {
	struct vdpa_device *vdev;
	u32 index;
};

static int vdpa_nl_vstats_fill(struct sk_buff *msg, void *obj, u32 portid,
			       u32 seq, int flags, struct netlink_ext_ack *extack)
{
	struct vdpa_nl_vstats *req = obj;
	struct vdpa_device *vdev = req->vdev;
	const struct vdpa_config_ops *ops = vdev->config;
	struct virtio_net_config cfg;
	u64 features;
	void *hdr;
	int err;

	hdr = genlmsg_put(msg, portid, seq, &vdpa_nl_family, flags,
			  VDPA_CMD_DEV_VSTATS_GET);
	if (!hdr)
		return -EMSGSIZE;

	down_read(&vdev->cf_lock);
	if (!vdpa_nl_negotiated(vdev, &features)) {
		NL_SET_ERR_MSG(extack, "feature negotiation not complete");
		err = -EAGAIN;
		goto out_done;
	}
	err = -EMSGSIZE;
	if (nla_put_string(msg, VDPA_ATTR_DEV_NAME, dev_name(&vdev->dev)) ||
	    nla_put_u32(msg, VDPA_ATTR_DEV_ID, ops->get_device_id(vdev)) ||
	    nla_put_u64_64bit(msg, VDPA_ATTR_DEV_NEGOTIATED_FEATURES, features,
			      VDPA_ATTR_PAD) ||
	    nla_put_u32(msg, VDPA_ATTR_DEV_QUEUE_INDEX, req->index))
		goto out_done;
	/* iproute2 tells data queues from the control queue by max_vqp. */
	if (ops->get_device_id(vdev) == VIRTIO_ID_NET &&
	    (features & BIT_ULL(VIRTIO_NET_F_MQ))) {
		vdpa_nl_read_config(vdev, &cfg, sizeof(cfg));
		if (nla_put_u16(msg, VDPA_ATTR_DEV_NET_CFG_MAX_VQP,
				__virtio16_to_cpu(vdpa_nl_le(features),
						  cfg.max_virtqueue_pairs)))
			goto out_done;
	}
	err = ops->get_vendor_vq_stats(vdev, req->index, msg, extack);
out_done:
	return vdpa_nl_fill_done(vdev, msg, hdr, err);
}

static int vdpa_nl_vstats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *qattr = info->attrs[VDPA_ATTR_DEV_QUEUE_INDEX];
	struct vdpa_nl_vstats req;
	int err;

	if (!qattr) {
		NL_SET_ERR_MSG(info->extack, "queue index is required");
		return -EINVAL;
	}
	req.index = nla_get_u32(qattr);

	down_read(&vdpa_dev_lock);
	req.vdev = vdpa_nl_device(info);
	if (IS_ERR(req.vdev)) {
		err = PTR_ERR(req.vdev);
		goto out_unlock;
	}
	if (!req.vdev->config->get_vendor_vq_stats) {
		NL_SET_ERR_MSG(info->extack, "device has no vendor statistics");
		err = -EOPNOTSUPP;
	} else if (req.index >= req.vdev->nvqs) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, qattr,
					"queue index must be below %u",
					req.vdev->nvqs);
		err = -ERANGE;
	} else {
		err = vdpa_nl_reply(info, vdpa_nl_vstats_fill, &req);
	}
	put_device(&req.vdev->dev);
out_unlock:
	up_read(&vdpa_dev_lock);
	return err;
}

static const struct nla_policy vdpa_nl_policy[VDPA_ATTR_MAX] = {
	/* Names are used as C strings: the policy guarantees the NUL. */
	[VDPA_ATTR_MGMTDEV_BUS_NAME] = { .type = NLA_NUL_STRING },
	[VDPA_ATTR_MGMTDEV_DEV_NAME] = { .type = NLA_NUL_STRING },
	[VDPA_ATTR_DEV_NAME] = { .type = NLA_NUL_STRING },
	[VDPA_ATTR_DEV_NET_CFG_MACADDR] = NLA_POLICY_ETH_ADDR,
	[VDPA_ATTR_DEV_NET_CFG_MTU] = { .type = NLA_U16 },
	[VDPA_ATTR_DEV_NET_CFG_MAX_VQP] = { .type = NLA_U16 },
	[VDPA_ATTR_DEV_QUEUE_INDEX] = { .type = NLA_U32 },
	[VDPA_ATTR_DEV_FEATURES] = { .type = NLA_U64 },
};

/* Reading is open to all; what creates, deletes or exposes counters is admin. */
static const struct genl_small_ops vdpa_nl_ops[] = {
	{ .cmd = VDPA_CMD_MGMTDEV_GET, .doit = vdpa_nl_mgmtdev_get_doit,
	  .dumpit = vdpa_nl_mgmtdev_get_dumpit },
	{ .cmd = VDPA_CMD_DEV_GET, .doit = vdpa_nl_dev_get_doit,
	  .dumpit = vdpa_nl_dev_get_dumpit },
	{ .cmd = VDPA_CMD_DEV_CONFIG_GET, .doit = vdpa_nl_config_get_doit,
	  .dumpit = vdpa_nl_config_get_dumpit },
	{ .cmd = VDPA_CMD_DEV_NEW, .flags = GENL_ADMIN_PERM,
	  .doit = vdpa_nl_dev_new_doit },
	{ .cmd = VDPA_CMD_DEV_DEL, .flags = GENL_ADMIN_PERM,
	  .doit = vdpa_nl_dev_del_doit },
	{ .cmd = VDPA_CMD_DEV_ATTR_SET, .flags = GENL_ADMIN_PERM,
	  .doit = vdpa_nl_dev_attr_set_doit },
	{ .cmd = VDPA_CMD_DEV_VSTATS_GET, .flags = GENL_ADMIN_PERM,
	  .doit = vdpa_nl_vstats_get_doit },
};

static struct genl_family vdpa_nl_family __ro_after_init = {
	.name = VDPA_GENL_NAME,
	.version = VDPA_GENL_VERSION,
	.maxattr = VDPA_ATTR_MAX - 1,
	.policy = vdpa_nl_policy,
	.module = THIS_MODULE,
	.small_ops = vdpa_nl_ops,
	.n_small_ops = ARRAY_SIZE(vdpa_nl_ops),
	/* Commands before this one skip the genl header's reserved-field check. */
	.resv_start_op = VDPA_CMD_DEV_VSTATS_GET + 1,
	/*
	 * vdpa_dev_lock serialises what needs it: genl_mutex would only make a
	 * slow dev_del stall every other generic netlink family too.
	 */
	.parallel_ops = true,
};

int __init vdpa_netlink_init(void)
{
	return genl_register_family(&vdpa_nl_family);
}

void vdpa_netlink_exit(void)
{
	genl_unregister_family(&vdpa_nl_family);
}
