/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxemu: a software model of a ConnectX-like virtio-net function, the
 * "firmware" behind a cxdev (include/linux/cxdev.h).
 *
 * Objects: protection domains, UARs and memory keys, each in an xarray
 * indexed by its number. A memory key is direct (an MTT: one physical
 * page per log_page_size step from start_addr) or indirect (a KLM list:
 * consecutive byte ranges, each pointing into a direct key or into the
 * null key, which faults). Translation walks indirect -> direct -> page.
 *
 * Locking: cxemu.lock (mutex) serialises every command and guards every
 * object; translation runs with it held.
 */
#ifndef _CXEMU_H
#define _CXEMU_H

#include <linux/cxdev.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

struct dentry;

/* Capabilities the model reports and enforces. */
#define CXEMU_LOG_MAX_PD 10
#define CXEMU_LOG_MAX_UAR 6
#define CXEMU_LOG_MAX_MKEY 16
#define CXEMU_MAX_INDIRECTION 1
#define CXEMU_MIN_LOG_PAGE 12
#define CXEMU_MAX_LOG_PAGE 30
/* Largest settable limits: the arithmetic on them stays in 64 bits. */
#define CXEMU_MAX_LOG_KLM 20
#define CXEMU_MAX_LOG_MRW 52
/* The null key: any access through it is a translation fault. */
#define CXEMU_NULL_MKEY 0xffffff00U

/**
 * struct cxemu_limits - limits a test may change (debugfs, within
 *	CXEMU_MAX_LOG_*), reported in the general device capabilities
 * @log_max_klm_list_size: most KLM entries of one indirect key (log2)
 * @log_max_mrw_sz: longest memory key (log2 bytes)
 */
struct cxemu_limits {
	u8 log_max_klm_list_size;
	u8 log_max_mrw_sz;
};

/**
 * struct cxemu_klm - one entry of an indirect key
 * @off: its first byte, as an offset from the key's start
 * @len: bytes it covers
 * @target: the direct key it points into (NULL: the null key)
 * @addr: where in @target's range it starts
 */
struct cxemu_klm {
	u64 off;
	u64 len;
	struct cxemu_mkey *target;
	u64 addr;
};

/**
 * struct cxemu_mkey - a memory key
 * @key: its value (index << 8 | variant byte)
 * @indirect: KLM list (else MTT)
 * @lr: local read allowed
 * @lw: local write allowed
 * @pd: protection domain
 * @start: first address it translates
 * @len: bytes it translates
 * @log_page: MTT page size (log2)
 * @n: entries in @pa or @klm
 * @pa: direct: physical address of each page
 * @klm: indirect: the list, in address order
 * @users: indirect keys pointing at this one
 */
struct cxemu_mkey {
	u32 key;
	bool indirect;
	bool lr;
	bool lw;
	u32 pd;
	u64 start;
	u64 len;
	u8 log_page;
	u32 n;
	u64 *pa;
	struct cxemu_klm *klm;
	u32 users;
};

/**
 * struct cxemu - one emulated function
 * @cx: what the parent driver binds to
 * @lock: see the top of this file
 * @enabled: between ENABLE_HCA and DISABLE_HCA
 * @pds: allocated protection domains (value: xa_mk_value(1))
 * @uars: allocated UARs (value: xa_mk_value(1))
 * @mkeys: memory keys by index
 * @limits: current limits
 * @leaked: objects the driver left at DISABLE_HCA or teardown, ever
 * @debugfs: its debugfs directory
 */
struct cxemu {
	struct cxdev cx;
	struct mutex lock;	/* every object, see top of file */
	bool enabled;
	struct xarray pds;
	struct xarray uars;
	struct xarray mkeys;
	struct cxemu_limits limits;
	u64 leaked;
	struct dentry *debugfs;
};

static inline struct cxemu *cx_to_emu(struct cxdev *cx)
{
	return container_of(cx, struct cxemu, cx);
}

/* main.c */
bool cxemu_should_fail(u16 opcode);

/* cmd.c */
void cxemu_init(struct cxemu *emu);
void cxemu_teardown(struct cxemu *emu);
int cxemu_exec(struct cxdev *cx, const void *in, size_t inlen, void *out, size_t outlen);
unsigned long cxemu_count(struct cxemu *emu, struct xarray *xa);

/* mkey.c */
u8 cxemu_create_mkey(struct cxemu *emu, const void *in, size_t inlen, void *out, u32 *syndrome);
u8 cxemu_destroy_mkey(struct cxemu *emu, const void *in, size_t inlen, void *out,
		      u32 *syndrome);
void cxemu_mkey_free(struct cxemu_mkey *mk);
long cxemu_translate(struct cxemu *emu, u32 key, u64 addr, u64 len, bool write, void **va);

#if IS_ENABLED(CONFIG_KUNIT)
struct cxdev *cxemu_kunit_new(void);
u64 cxemu_kunit_free(struct cxdev *cx);
long cxemu_kunit_translate(struct cxdev *cx, u32 key, u64 addr, u64 len, bool write,
			   void **va);
struct cxemu_limits *cxemu_kunit_limits(struct cxdev *cx);
void cxemu_kunit_fail(u16 opcode, int skip, int times);
#endif

#endif /* _CXEMU_H */
