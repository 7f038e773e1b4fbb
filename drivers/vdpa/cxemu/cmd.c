// SPDX-License-Identifier: GPL-2.0
/*
 * cxemu command interface: mailbox checks every command gets, then one
 * handler per opcode. Function-level commands (capabilities, enable and
 * disable, special contexts, PDs, UARs) and the routing of general objects
 * by type are here, memory keys in mkey.c, virtio net queues in vq.c, page
 * trackers and their report queues in track.c.
 *
 * Every mailbox starts like alloc_pd's: opcode, uid and op_mod in, status
 * and syndrome out; those fields are read through that layout.
 */
#include <linux/device.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/mlx5/mlx5_ifc_vdpa.h>
#include <linux/slab.h>

#include "cxemu.h"

#define CXEMU_MBOX_MIN 8	/* opcode and op_mod in; status and syndrome out */

/**
 * struct cxemu_cmd - what the device knows about one opcode
 * @opcode: MLX5_CMD_OP_*
 * @inlen: input mailbox size; a variable-length command gives its
 *	fixed part and checks the rest itself (@var_in)
 * @outlen: least output mailbox size
 * @var_in: the input may be longer than @inlen
 * @op_mod: op_mod carries a value (otherwise it must be zero)
 * @any_state: valid before ENABLE_HCA
 * @run: carries it out; returns the MLX5_CMD_STAT_* status and sets
 *	*@syndrome on failure. It gets the output mailbox's size because a
 *	general object's output depends on its type.
 */
struct cxemu_cmd {
	u16 opcode;
	u16 inlen;
	u16 outlen;
	bool var_in;
	bool op_mod;
	bool any_state;
	u8 (*run)(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		  u32 *syndrome);
};

/**
 * cxemu_count() - objects in a table
 * @emu: the function
 * @xa: one of its tables
 *
 * Context: cxemu.lock held.
 * Return: how many entries it holds.
 */
unsigned long cxemu_count(struct cxemu *emu, struct xarray *xa)
{
	unsigned long idx, n = 0;
	void *entry;

	lockdep_assert_held(&emu->lock);
	xa_for_each(xa, idx, entry)
		n++;
	return n;
}

static u8 cxemu_query_hca_cap(struct cxemu *emu, const void *in, size_t inlen, void *out,
			      size_t outlen, u32 *syndrome)
{
	void *cap = MLX5_ADDR_OF(query_hca_cap_out, out, capability);
	u16 op_mod = MLX5_GET(query_hca_cap_in, in, op_mod);

	/* op_mod: capability type << 1 | (1 for current, 0 for maximum). */
	if (MLX5_GET(query_hca_cap_in, in, other_function) ||
	    MLX5_GET(query_hca_cap_in, in, function_id)) {
		*syndrome = CXDEV_SYN_BAD_OP_MOD;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if ((op_mod >> 1) == MLX5_CAP_VDPA_EMULATION)
		return cxemu_query_emulation_cap(emu, cap);
	if ((op_mod >> 1) == MLX5_CAP_ADV_VIRTUALIZATION)
		return cxemu_track_query_cap(emu, cap, syndrome);
	if ((op_mod >> 1) != MLX5_CAP_GENERAL) {
		*syndrome = CXDEV_SYN_CAP_TYPE;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	MLX5_SET(cmd_hca_cap, cap, vhca_resource_manager, 1);
	MLX5_SET64(cmd_hca_cap, cap, general_obj_types,
		   MLX5_GENERAL_OBJ_TYPES_CAP_VIRTIO_NET_Q);
	MLX5_SET(cmd_hca_cap, cap, log_max_pd, CXEMU_LOG_MAX_PD);
	MLX5_SET(cmd_hca_cap, cap, log_max_mkey, CXEMU_LOG_MAX_MKEY);
	MLX5_SET(cmd_hca_cap, cap, max_indirection, CXEMU_MAX_INDIRECTION);
	MLX5_SET(cmd_hca_cap, cap, log_max_klm_list_size, emu->limits.log_max_klm_list_size);
	MLX5_SET(cmd_hca_cap, cap, log_max_mrw_sz, emu->limits.log_max_mrw_sz);
	/* The page tracker's object type is past general_obj_types' 64 bits. */
	MLX5_SET(cmd_hca_cap, cap, adv_virtualization, cxemu_track_supported(emu));
	return MLX5_CMD_STAT_OK;
}

/* The function addresses itself: no other function, no embedded CPU. */
static bool cxemu_self(const void *in)
{
	return !MLX5_GET(enable_hca_in, in, embedded_cpu_function) &&
	       !MLX5_GET(enable_hca_in, in, function_id);
}

static u8 cxemu_enable_hca(struct cxemu *emu, const void *in, size_t inlen, void *out,
			   size_t outlen, u32 *syndrome)
{
	if (!cxemu_self(in)) {
		*syndrome = CXDEV_SYN_BAD_OP_MOD;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (emu->enabled) {
		*syndrome = CXDEV_SYN_ALREADY_ENABLED;
		return MLX5_CMD_STAT_BAD_SYS_STATE_ERR;
	}
	emu->enabled = true;
	vdpa_devring_bells_start(&emu->bells);
	return MLX5_CMD_STAT_OK;
}

/*
 * Reclaim whatever the driver left behind, as firmware does at function
 * teardown, and say so: a leak in the driver shows up here.
 */
static void cxemu_reclaim(struct cxemu *emu, const char *when)
{
	unsigned long pds = cxemu_count(emu, &emu->pds), uars = cxemu_count(emu, &emu->uars);
	unsigned long mkeys = cxemu_count(emu, &emu->mkeys), idx;
	unsigned long vqs = cxemu_count(emu, &emu->vqs);
	unsigned long trackers = cxemu_count(emu, &emu->trackers);
	unsigned long rqs = cxemu_count(emu, &emu->track_rqs);
	struct cxemu_mkey *mk;

	lockdep_assert_held(&emu->lock);
	if (!pds && !uars && !mkeys && !vqs && !trackers && !rqs)
		return;
	dev_err(&emu->cx.adev.dev,
		"%s: driver left %lu PDs, %lu UARs, %lu mkeys, %lu virtio queues, %lu page trackers, %lu report queues\n",
		when, pds, uars, mkeys, vqs, trackers, rqs);
	emu->leaked += pds + uars + mkeys + vqs + trackers + rqs;
	/* Trackers hold their report queues; those and the queues hold keys. */
	cxemu_track_reclaim(emu);
	cxemu_vq_reclaim(emu);
	xa_for_each(&emu->mkeys, idx, mk)
		cxemu_mkey_free(mk);
	xa_destroy(&emu->mkeys);
	xa_destroy(&emu->pds);
	xa_destroy(&emu->uars);
}

static u8 cxemu_disable_hca(struct cxemu *emu, const void *in, size_t inlen, void *out,
			    size_t outlen, u32 *syndrome)
{
	if (!cxemu_self(in)) {
		*syndrome = CXDEV_SYN_BAD_OP_MOD;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	cxemu_reclaim(emu, "DISABLE_HCA");
	emu->enabled = false;
	vdpa_devring_bells_stop(&emu->bells);
	return MLX5_CMD_STAT_OK;
}

static u8 cxemu_query_special_contexts(struct cxemu *emu, const void *in, size_t inlen,
				       void *out, size_t outlen, u32 *syndrome)
{
	MLX5_SET(query_special_contexts_out, out, null_mkey, CXEMU_NULL_MKEY);
	return MLX5_CMD_STAT_OK;
}

/* PDs and UARs: numbers from a table, nothing behind them. */
static u8 cxemu_alloc_num(struct xarray *xa, unsigned int log_max, u32 *num, u32 *syndrome)
{
	int err = xa_alloc(xa, num, xa_mk_value(1), XA_LIMIT(1, BIT(log_max) - 1), GFP_KERNEL);

	if (err) {
		*syndrome = CXDEV_SYN_NO_RESOURCE;
		return MLX5_CMD_STAT_NO_RES_ERR;
	}
	return MLX5_CMD_STAT_OK;
}

static u8 cxemu_alloc_pd(struct cxemu *emu, const void *in, size_t inlen, void *out,
			 size_t outlen, u32 *syndrome)
{
	u32 pd;
	u8 status = cxemu_alloc_num(&emu->pds, CXEMU_LOG_MAX_PD, &pd, syndrome);

	if (status == MLX5_CMD_STAT_OK)
		MLX5_SET(alloc_pd_out, out, pd, pd);
	return status;
}

static u8 cxemu_dealloc_pd(struct cxemu *emu, const void *in, size_t inlen, void *out,
			   size_t outlen, u32 *syndrome)
{
	u32 pd = MLX5_GET(dealloc_pd_in, in, pd);
	struct cxemu_mkey *mk;
	unsigned long idx;

	if (!xa_load(&emu->pds, pd)) {
		*syndrome = CXDEV_SYN_BAD_PD;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	xa_for_each(&emu->mkeys, idx, mk) {
		if (mk->pd == pd) {
			*syndrome = CXDEV_SYN_PD_BUSY;
			return MLX5_CMD_STAT_RES_BUSY;
		}
	}
	xa_erase(&emu->pds, pd);
	return MLX5_CMD_STAT_OK;
}

static u8 cxemu_alloc_uar(struct cxemu *emu, const void *in, size_t inlen, void *out,
			  size_t outlen, u32 *syndrome)
{
	u32 uar;
	u8 status = cxemu_alloc_num(&emu->uars, CXEMU_LOG_MAX_UAR, &uar, syndrome);

	if (status == MLX5_CMD_STAT_OK)
		MLX5_SET(alloc_uar_out, out, uar, uar);
	return status;
}

static u8 cxemu_dealloc_uar(struct cxemu *emu, const void *in, size_t inlen, void *out,
			    size_t outlen, u32 *syndrome)
{
	if (!xa_erase(&emu->uars, MLX5_GET(dealloc_uar_in, in, uar))) {
		*syndrome = CXDEV_SYN_BAD_UAR;
		return MLX5_CMD_STAT_BAD_RES_ERR;
	}
	return MLX5_CMD_STAT_OK;
}

/*
 * General objects: the header names the type, whose handler checks the
 * mailbox sizes and everything else.
 */
static u8 cxemu_general_obj(struct cxemu *emu, const void *in, size_t inlen, void *out,
			    size_t outlen, u32 *syndrome)
{
	u16 type = MLX5_GET(general_obj_in_cmd_hdr, in, obj_type);

	lockdep_assert_held(&emu->lock);
	/* No other function's objects: no tunnel. */
	if (!MLX5_GET(general_obj_in_cmd_hdr, in, vhca_tunnel_id)) {
		if (type == MLX5_OBJ_TYPE_VIRTIO_NET_Q)
			return cxemu_vq_obj(emu, in, inlen, out, outlen, syndrome);
		if (type == MLX5_OBJ_TYPE_PAGE_TRACK && cxemu_track_supported(emu))
			return cxemu_track_obj(emu, in, inlen, out, outlen, syndrome);
		if (type == CXDEV_OBJ_TYPE_TRACK_RQ && cxemu_track_supported(emu))
			return cxemu_track_rq_obj(emu, in, inlen, out, outlen, syndrome);
	}
	*syndrome = CXDEV_SYN_OBJ_TYPE;
	return MLX5_CMD_STAT_BAD_PARAM_ERR;
}

#define CXEMU_CMD(op, name_in, name_out, handler, ...)			\
	{ .opcode = MLX5_CMD_OP_##op,					\
	  .inlen = MLX5_ST_SZ_BYTES(name_in),				\
	  .outlen = MLX5_ST_SZ_BYTES(name_out),				\
	  .run = handler, __VA_ARGS__ }

static const struct cxemu_cmd cxemu_cmds[] = {
	CXEMU_CMD(QUERY_HCA_CAP, query_hca_cap_in, query_hca_cap_out, cxemu_query_hca_cap,
		  .op_mod = true, .any_state = true),
	CXEMU_CMD(ENABLE_HCA, enable_hca_in, enable_hca_out, cxemu_enable_hca,
		  .any_state = true),
	CXEMU_CMD(DISABLE_HCA, disable_hca_in, disable_hca_out, cxemu_disable_hca),
	CXEMU_CMD(QUERY_SPECIAL_CONTEXTS, query_special_contexts_in,
		  query_special_contexts_out, cxemu_query_special_contexts),
	CXEMU_CMD(ALLOC_PD, alloc_pd_in, alloc_pd_out, cxemu_alloc_pd),
	CXEMU_CMD(DEALLOC_PD, dealloc_pd_in, dealloc_pd_out, cxemu_dealloc_pd),
	CXEMU_CMD(ALLOC_UAR, alloc_uar_in, alloc_uar_out, cxemu_alloc_uar),
	CXEMU_CMD(DEALLOC_UAR, dealloc_uar_in, dealloc_uar_out, cxemu_dealloc_uar),
	CXEMU_CMD(CREATE_MKEY, create_mkey_in, create_mkey_out, cxemu_create_mkey,
		  .var_in = true),
	CXEMU_CMD(DESTROY_MKEY, destroy_mkey_in, destroy_mkey_out, cxemu_destroy_mkey),
	/* obj_type is where op_mod is; each type checks the exact sizes. */
	CXEMU_CMD(CREATE_GENERAL_OBJECT, general_obj_in_cmd_hdr, general_obj_out_cmd_hdr,
		  cxemu_general_obj, .var_in = true, .op_mod = true),
	CXEMU_CMD(MODIFY_GENERAL_OBJECT, general_obj_in_cmd_hdr, general_obj_out_cmd_hdr,
		  cxemu_general_obj, .var_in = true, .op_mod = true),
	CXEMU_CMD(QUERY_GENERAL_OBJECT, general_obj_in_cmd_hdr, general_obj_out_cmd_hdr,
		  cxemu_general_obj, .var_in = true, .op_mod = true),
	CXEMU_CMD(DESTROY_GENERAL_OBJECT, general_obj_in_cmd_hdr, general_obj_out_cmd_hdr,
		  cxemu_general_obj, .var_in = true, .op_mod = true),
};

static const struct cxemu_cmd *cxemu_find_cmd(u16 opcode)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cxemu_cmds); i++)
		if (cxemu_cmds[i].opcode == opcode)
			return &cxemu_cmds[i];
	return NULL;
}

/* The checks every mailbox goes through before its handler. */
static u8 cxemu_dispatch(struct cxemu *emu, const void *in, size_t inlen, void *out,
			 size_t outlen, u32 *syndrome)
{
	u16 opcode = MLX5_GET(alloc_pd_in, in, opcode);
	const struct cxemu_cmd *cmd = cxemu_find_cmd(opcode);

	lockdep_assert_held(&emu->lock);
	if (!cmd) {
		*syndrome = CXDEV_SYN_BAD_OPCODE;
		return MLX5_CMD_STAT_BAD_OP_ERR;
	}
	if (inlen < cmd->inlen || (!cmd->var_in && inlen != cmd->inlen)) {
		*syndrome = CXDEV_SYN_INLEN;
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	}
	if (outlen < cmd->outlen) {
		*syndrome = CXDEV_SYN_OUTLEN;
		return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
	}
	if (MLX5_GET(alloc_pd_in, in, uid)) {
		*syndrome = CXDEV_SYN_BAD_UID;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (!cmd->op_mod && MLX5_GET(alloc_pd_in, in, op_mod)) {
		*syndrome = CXDEV_SYN_BAD_OP_MOD;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (!cmd->any_state && !emu->enabled) {
		*syndrome = CXDEV_SYN_NOT_ENABLED;
		return MLX5_CMD_STAT_BAD_SYS_STATE_ERR;
	}
	if (cxemu_should_fail(opcode)) {
		*syndrome = CXDEV_SYN_INJECTED;
		return MLX5_CMD_STAT_INT_ERR;
	}
	return cmd->run(emu, in, inlen, out, outlen, syndrome);
}

/**
 * cxemu_exec() - &cxdev_ops.exec of the model
 * @cx: the function
 * @in: input mailbox
 * @inlen: its size
 * @out: output mailbox, cleared first
 * @outlen: its size
 *
 * Context: process context; takes cxemu.lock.
 * Return: 0 (the status is in @out), or -EINVAL when @out cannot hold one.
 */
int cxemu_exec(struct cxdev *cx, const void *in, size_t inlen, void *out, size_t outlen)
{
	struct cxemu *emu = cx_to_emu(cx);
	u32 syndrome = 0;
	u8 status;

	if (outlen < CXEMU_MBOX_MIN)
		return -EINVAL;
	memset(out, 0, outlen);
	if (inlen < CXEMU_MBOX_MIN) {
		syndrome = CXDEV_SYN_INLEN;
		status = MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	} else {
		mutex_lock(&emu->lock);
		status = cxemu_dispatch(emu, in, inlen, out, outlen, &syndrome);
		mutex_unlock(&emu->lock);
	}
	if (status != MLX5_CMD_STAT_OK) {
		/* A failed command returns nothing but why. */
		memset(out, 0, outlen);
		dev_dbg(&cx->adev.dev, "opcode 0x%x: status 0x%x syndrome 0x%x\n",
			MLX5_GET(alloc_pd_in, in, opcode), status, syndrome);
	}
	MLX5_SET(alloc_pd_out, out, status, status);
	MLX5_SET(alloc_pd_out, out, syndrome, syndrome);
	return 0;
}

/**
 * cxemu_init() - power-on state of a function
 * @emu: the function, zeroed
 * @poll_us: doorbell polling period (0: no doorbell pages)
 *
 * Return: 0, or -ENOMEM with nothing to undo.
 */
int cxemu_init(struct cxemu *emu, u32 poll_us)
{
	emu->req = kcalloc(2, sizeof(*emu->req), GFP_KERNEL);
	if (!emu->req)
		return -ENOMEM;
	if (poll_us && vdpa_devring_bells_init(&emu->bells, CXEMU_MAX_VQS, poll_us,
					       cxemu_bell_rang, emu)) {
		kfree(emu->req);
		return -ENOMEM;
	}
	mutex_init(&emu->lock);
	spin_lock_init(&emu->event_lock);
	INIT_WORK(&emu->work, cxemu_datapath);
	xa_init_flags(&emu->pds, XA_FLAGS_ALLOC1);
	xa_init_flags(&emu->uars, XA_FLAGS_ALLOC1);
	xa_init_flags(&emu->mkeys, XA_FLAGS_ALLOC1);
	xa_init_flags(&emu->vqs, XA_FLAGS_ALLOC1);
	emu->limits.log_max_klm_list_size = 16;
	emu->limits.log_max_mrw_sz = 40;
	cxemu_track_init(emu);
	return 0;
}

/**
 * cxemu_teardown() - the function goes away
 * @emu: the function
 *
 * Objects still there are reclaimed and counted as leaked.
 */
void cxemu_teardown(struct cxemu *emu)
{
	/*
	 * The bells and the reclaim (a queue going) queue the datapath:
	 * silence the bells, reclaim, and only then wait the datapath out.
	 */
	vdpa_devring_bells_destroy(&emu->bells);
	mutex_lock(&emu->lock);
	cxemu_reclaim(emu, "teardown");
	emu->enabled = false;
	mutex_unlock(&emu->lock);
	cancel_work_sync(&emu->work);
	cancel_delayed_work_sync(&emu->track_work);
	mutex_destroy(&emu->lock);
	kfree(emu->req);
}
