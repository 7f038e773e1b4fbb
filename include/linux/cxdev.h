/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxdev: a ConnectX-like virtio-net function as its driver sees it, an
 * auxiliary device named "<provider>.vnet" with a firmware command channel.
 *
 * Commands are the ConnectX programming-manual layouts of the kernel's
 * public include/linux/mlx5/mlx5_ifc.h and mlx5_ifc_vdpa.h, built with
 * MLX5_SET()/MLX5_GET(): an input mailbox starting with opcode and op_mod,
 * an output mailbox starting with status and syndrome. The channel is an
 * ops table, so the provider may be the software model (cxemu) or, later,
 * a shim over a real mlx5_core function.
 */
#ifndef _LINUX_CXDEV_H
#define _LINUX_CXDEV_H

#include <linux/auxiliary_bus.h>
#include <linux/types.h>

struct cxdev;

/**
 * enum cxdev_event - what a function reports to its driver
 * @CXDEV_EVENT_COMPLETION: a virtio queue object whose event mode is
 *	MSI-X used buffers the driver wants to hear about; data: the vector
 *	(event_qpn_or_msix)
 * @CXDEV_EVENT_QUEUE_ERROR: a virtio queue object went to the ERR state
 *	(a translation fault or a malformed ring); data: its queue_index
 */
enum cxdev_event {
	CXDEV_EVENT_COMPLETION,
	CXDEV_EVENT_QUEUE_ERROR,
};

/* The driver's event handler; see &cxdev_ops.set_events. */
typedef void (*cxdev_event_fn)(void *ctx, enum cxdev_event event, u32 data);

/**
 * struct cxdev_ops - the command channel, doorbells and events of a function
 * @exec: run one command. @in is @inlen bytes of input mailbox, @out
 *	receives @outlen bytes of output mailbox. Returns 0 when the device
 *	executed the command, whatever its status (read status and syndrome
 *	from @out), or -errno when the command never reached the device
 *	(-EINVAL: an output mailbox too small to carry a status).
 *	Process context; may sleep.
 * @set_events: deliver events to @fn(@ctx, ...) from now on, or to nobody
 *	when @fn is NULL. Once it returns, no call to the previous handler
 *	is running. The handler runs in softirq-disabled context and must
 *	not call back into the function. Process context.
 * @ring: ring the doorbell of virtio queue @index, as a driver's store to
 *	the doorbell register does. Any context.
 * @doorbell: physical address of virtio queue @index's doorbell page
 *	(2^log_doorbell_stride bytes; a store of @index into its first
 *	32-bit word rings it), which a driver may map for a user; 0 when the
 *	function has none. Process context.
 */
struct cxdev_ops {
	int (*exec)(struct cxdev *cx, const void *in, size_t inlen, void *out, size_t outlen);
	void (*set_events)(struct cxdev *cx, cxdev_event_fn fn, void *ctx);
	void (*ring)(struct cxdev *cx, u16 index);
	phys_addr_t (*doorbell)(struct cxdev *cx, u16 index);
};

/**
 * struct cxdev - a function on the auxiliary bus
 * @adev: the auxiliary device the parent driver binds to
 * @ops: its command channel
 */
struct cxdev {
	struct auxiliary_device adev;
	const struct cxdev_ops *ops;
};

/**
 * adev_to_cxdev - the function behind an auxiliary device
 * @adev: an auxiliary device whose name ends in ".vnet"
 *
 * Return: the containing &struct cxdev.
 */
static inline struct cxdev *adev_to_cxdev(struct auxiliary_device *adev)
{
	return container_of(adev, struct cxdev, adev);
}

/*
 * Syndromes: the second word of every failed command's output, naming the
 * check that failed. Values are this device's own (firmware syndromes are
 * vendor specific); status carries the MLX5_CMD_STAT_* class.
 */
enum cxdev_syndrome {
	CXDEV_SYN_OK = 0,
	CXDEV_SYN_BAD_OPCODE = 0x3c0001,
	CXDEV_SYN_BAD_OP_MOD,
	CXDEV_SYN_BAD_UID,
	CXDEV_SYN_INLEN,
	CXDEV_SYN_OUTLEN,
	CXDEV_SYN_NOT_ENABLED,
	CXDEV_SYN_ALREADY_ENABLED,
	CXDEV_SYN_INJECTED,
	CXDEV_SYN_NO_RESOURCE,
	CXDEV_SYN_BAD_PD,
	CXDEV_SYN_PD_BUSY,
	CXDEV_SYN_BAD_UAR,
	CXDEV_SYN_BAD_MKEY,
	CXDEV_SYN_MKEY_BUSY,
	CXDEV_SYN_ACCESS_MODE,
	CXDEV_SYN_MKEY_FLAGS,
	CXDEV_SYN_PAGE_SIZE,
	CXDEV_SYN_MKEY_RANGE,
	CXDEV_SYN_MKEY_TOO_LONG,
	CXDEV_SYN_TRANSLATIONS,
	CXDEV_SYN_MTT_ENTRY,
	CXDEV_SYN_KLM_TOO_MANY,
	CXDEV_SYN_KLM_TARGET,
	CXDEV_SYN_KLM_RANGE,
	CXDEV_SYN_KLM_LENGTH,
	CXDEV_SYN_CAP_TYPE,
	CXDEV_SYN_OBJ_TYPE,
	CXDEV_SYN_BAD_OBJ,
	CXDEV_SYN_VQ_INDEX,
	CXDEV_SYN_VQ_SIZE,
	CXDEV_SYN_VQ_TYPE,
	CXDEV_SYN_VQ_EVENT,
	CXDEV_SYN_VQ_FIELDS,
	CXDEV_SYN_VQ_STATE,
	CXDEV_SYN_VQ_MODIFY,
	CXDEV_SYN_VQ_RING,
};

#endif /* _LINUX_CXDEV_H */
