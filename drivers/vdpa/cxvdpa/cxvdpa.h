/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxvdpa: the mlx5-style vDPA parent for cxdev functions (ConnectX-like
 * virtio-net functions on the auxiliary bus, include/linux/cxdev.h).
 *
 * Files: resources.c (commands, function-level resources), mr.c (memory
 * regions: direct MTT keys per contiguous chunk under one indirect KLM
 * key). Virtqueues and the vdpa_config_ops glue are still to come.
 */
#ifndef _CXVDPA_H
#define _CXVDPA_H

#include <linux/cxdev.h>
#include <linux/types.h>

struct vhost_iotlb;

/* Largest limits taken from a device, whatever it reports. */
#define CXVDPA_LOG_MAX_KLM 20
#define CXVDPA_LOG_MAX_MRW 52

/**
 * struct cxvdpa_res - what a function gives its driver at bind
 * @cx: the function
 * @dev: the device messages are about
 * @pd: protection domain of every key
 * @null_mkey: the key an indirect key's holes point into
 * @log_max_klm_list_size: most KLM entries per indirect key (log2)
 * @log_max_mrw_sz: longest key (log2 bytes)
 * @variant: the variant byte of the next key (stale keys then miss)
 */
struct cxvdpa_res {
	struct cxdev *cx;
	struct device *dev;
	u32 pd;
	u32 null_mkey;
	u8 log_max_klm_list_size;
	u8 log_max_mrw_sz;
	u8 variant;
};

/**
 * struct cxvdpa_mr - a memory region: one address space as the device
 *	translates it
 * @direct: keys of the direct chunks
 * @ndirect: entries in @direct
 * @key: the indirect key over [@start, @start + @len), which queues use;
 *	0 for an empty region (nothing translates)
 * @start: first IOVA of the region
 * @len: its length
 */
struct cxvdpa_mr {
	u32 *direct;
	u32 ndirect;
	u32 key;
	u64 start;
	u64 len;
};

/* resources.c */
int cxvdpa_cmd(struct cxvdpa_res *res, const void *in, size_t inlen, void *out,
	       size_t outlen);
int cxvdpa_res_init(struct cxvdpa_res *res, struct cxdev *cx, struct device *dev);
void cxvdpa_res_fini(struct cxvdpa_res *res);

/* mr.c */
int cxvdpa_mr_build(struct cxvdpa_res *res, struct vhost_iotlb *iotlb, struct cxvdpa_mr *mr);
void cxvdpa_mr_destroy(struct cxvdpa_res *res, struct cxvdpa_mr *mr);

#endif /* _CXVDPA_H */
