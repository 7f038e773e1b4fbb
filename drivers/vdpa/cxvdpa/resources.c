// SPDX-License-Identifier: GPL-2.0
/*
 * cxvdpa resources: running commands (status and syndrome to errno, with
 * the reason logged) and the function-level objects every device needs:
 * the function enabled, a protection domain, the null key and the limits
 * from the capabilities.
 */
#include <linux/device.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "cxvdpa.h"

static int cxvdpa_status_errno(u8 status)
{
	switch (status) {
	case MLX5_CMD_STAT_OK:
		return 0;
	case MLX5_CMD_STAT_BAD_OP_ERR:
		return -EOPNOTSUPP;
	case MLX5_CMD_STAT_BAD_PARAM_ERR:
	case MLX5_CMD_STAT_BAD_RES_ERR:
		return -EINVAL;
	case MLX5_CMD_STAT_RES_BUSY:
		return -EBUSY;
	case MLX5_CMD_STAT_LIM_ERR:
	case MLX5_CMD_STAT_NO_RES_ERR:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

/**
 * cxvdpa_cmd() - run one command
 * @res: the function's resources (for its channel and device)
 * @in: input mailbox
 * @inlen: its size
 * @out: output mailbox
 * @outlen: its size
 *
 * Context: process context.
 * Return: 0, or -errno from the channel or from the command's status (a
 * failed status is logged with its syndrome).
 */
int cxvdpa_cmd(struct cxvdpa_res *res, const void *in, size_t inlen, void *out,
	       size_t outlen)
{
	int err = res->cx->ops->exec(res->cx, in, inlen, out, outlen);
	u8 status;

	if (err)
		return err;
	status = MLX5_GET(alloc_pd_out, out, status);
	if (status != MLX5_CMD_STAT_OK)
		dev_err_ratelimited(res->dev, "command 0x%x failed: status 0x%x syndrome 0x%x\n",
				    MLX5_GET(alloc_pd_in, in, opcode), status,
				    MLX5_GET(alloc_pd_out, out, syndrome));
	return cxvdpa_status_errno(status);
}

static int cxvdpa_hca(struct cxvdpa_res *res, u16 opcode)
{
	u32 in[MLX5_ST_SZ_DW(enable_hca_in)] = {};
	u32 out[MLX5_ST_SZ_DW(enable_hca_out)];

	MLX5_SET(enable_hca_in, in, opcode, opcode);
	return cxvdpa_cmd(res, in, sizeof(in), out, sizeof(out));
}

/**
 * cxvdpa_query_cap() - the current values of one capability type
 * @res: the function
 * @type: MLX5_CAP_GENERAL, MLX5_CAP_ADV_VIRTUALIZATION, ...
 * @out: output mailbox, MLX5_ST_SZ_BYTES(query_hca_cap_out) bytes; the
 *	capability is at its "capability" field
 *
 * Context: process context.
 * Return: 0 or -errno, as cxvdpa_cmd().
 */
int cxvdpa_query_cap(struct cxvdpa_res *res, u16 type, void *out)
{
	u32 in[MLX5_ST_SZ_DW(query_hca_cap_in)] = {};

	MLX5_SET(query_hca_cap_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	MLX5_SET(query_hca_cap_in, in, op_mod, type << 1 | HCA_CAP_OPMOD_GET_CUR);
	return cxvdpa_cmd(res, in, sizeof(in), out, MLX5_ST_SZ_BYTES(query_hca_cap_out));
}

static int cxvdpa_query_limits(struct cxvdpa_res *res)
{
	void *out, *cap;
	int err;

	out = kzalloc(MLX5_ST_SZ_BYTES(query_hca_cap_out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	err = cxvdpa_query_cap(res, MLX5_CAP_GENERAL, out);
	if (!err) {
		cap = MLX5_ADDR_OF(query_hca_cap_out, out, capability);
		/* Trusted no further than the arithmetic built on them. */
		res->log_max_klm_list_size = min(MLX5_GET(cmd_hca_cap, cap, log_max_klm_list_size),
						 CXVDPA_LOG_MAX_KLM);
		res->log_max_mrw_sz = min(MLX5_GET(cmd_hca_cap, cap, log_max_mrw_sz),
					  CXVDPA_LOG_MAX_MRW);
	}
	kfree(out);
	return err;
}

static int cxvdpa_query_null_mkey(struct cxvdpa_res *res)
{
	u32 in[MLX5_ST_SZ_DW(query_special_contexts_in)] = {};
	u32 out[MLX5_ST_SZ_DW(query_special_contexts_out)] = {};
	int err;

	MLX5_SET(query_special_contexts_in, in, opcode, MLX5_CMD_OP_QUERY_SPECIAL_CONTEXTS);
	err = cxvdpa_cmd(res, in, sizeof(in), out, sizeof(out));
	if (!err)
		res->null_mkey = MLX5_GET(query_special_contexts_out, out, null_mkey);
	return err;
}

static int cxvdpa_alloc_pd(struct cxvdpa_res *res)
{
	u32 in[MLX5_ST_SZ_DW(alloc_pd_in)] = {};
	u32 out[MLX5_ST_SZ_DW(alloc_pd_out)] = {};
	int err;

	MLX5_SET(alloc_pd_in, in, opcode, MLX5_CMD_OP_ALLOC_PD);
	err = cxvdpa_cmd(res, in, sizeof(in), out, sizeof(out));
	if (!err)
		res->pd = MLX5_GET(alloc_pd_out, out, pd);
	return err;
}

static void cxvdpa_dealloc_pd(struct cxvdpa_res *res)
{
	u32 in[MLX5_ST_SZ_DW(dealloc_pd_in)] = {};
	u32 out[MLX5_ST_SZ_DW(dealloc_pd_out)];

	MLX5_SET(dealloc_pd_in, in, opcode, MLX5_CMD_OP_DEALLOC_PD);
	MLX5_SET(dealloc_pd_in, in, pd, res->pd);
	cxvdpa_cmd(res, in, sizeof(in), out, sizeof(out));
}

/**
 * cxvdpa_res_init() - enable a function and take what every device needs
 * @res: filled in
 * @cx: the function
 * @dev: the device messages are about
 *
 * Context: process context.
 * Return: 0 or -errno; on failure nothing is held.
 */
int cxvdpa_res_init(struct cxvdpa_res *res, struct cxdev *cx, struct device *dev)
{
	int err;

	memset(res, 0, sizeof(*res));
	res->cx = cx;
	res->dev = dev;
	mutex_init(&res->stale_lock);
	err = cxvdpa_query_limits(res);
	if (err)
		goto err_mutex;
	err = cxvdpa_hca(res, MLX5_CMD_OP_ENABLE_HCA);
	if (err)
		goto err_mutex;
	err = cxvdpa_query_null_mkey(res);
	if (err)
		goto err_disable;
	err = cxvdpa_alloc_pd(res);
	if (err)
		goto err_disable;
	return 0;

err_disable:
	cxvdpa_hca(res, MLX5_CMD_OP_DISABLE_HCA);
err_mutex:
	mutex_destroy(&res->stale_lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(cxvdpa_res_init);

/**
 * cxvdpa_res_fini() - give back what cxvdpa_res_init() took
 * @res: the resources; every key is destroyed already, or kept as stale
 *	(disabling the function takes back those it refuses once more)
 */
void cxvdpa_res_fini(struct cxvdpa_res *res)
{
	cxvdpa_mr_retry_stale(res);
	cxvdpa_dealloc_pd(res);
	cxvdpa_hca(res, MLX5_CMD_OP_DISABLE_HCA);
	mutex_destroy(&res->stale_lock);
}
EXPORT_SYMBOL_IF_KUNIT(cxvdpa_res_fini);
