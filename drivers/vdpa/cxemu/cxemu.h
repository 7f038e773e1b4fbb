/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxemu: a software model of a ConnectX-like virtio-net function, the
 * "firmware" behind a cxdev (include/linux/cxdev.h).
 *
 * Objects: protection domains, UARs, memory keys, virtio net queues, page
 * trackers and their report queues, each in an xarray indexed by its
 * number. A memory key is direct (an MTT: one physical page per
 * log_page_size step from start_addr), indirect (a KLM list: consecutive
 * byte ranges, each pointing into a direct key or into the null key,
 * which faults) or physical (PA: the address is the physical address,
 * RAM only). Translation walks indirect -> direct -> page.
 *
 * A virtio net queue object in the RDY state is run by the datapath
 * (vq.c) through vdpa_devring, every access translated through the
 * queue's key; frames sent on queue 2N+1 arrive on queue 2N. Every write
 * it makes is logged by the page trackers (track.c), which report from
 * their own work item.
 *
 * Locking: cxemu.lock (mutex) serialises every command and guards every
 * object; the datapath runs a bounded batch with it held, so a command
 * never changes a key or a queue under an access in flight. The trackers'
 * report work runs a bounded batch with it held too, and a tracker (its
 * log included) lives and changes under it.
 * cxemu.event_lock (spinlock, BH) guards the driver's event handler and
 * is held while it runs; it nests inside nothing of ours.
 */
#ifndef _CXEMU_H
#define _CXEMU_H

#include <linux/cxdev.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/vdpa_devring.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

struct dentry;

/* Capabilities the model reports and enforces. */
#define CXEMU_LOG_MAX_PD 10
#define CXEMU_LOG_MAX_UAR 6
#define CXEMU_LOG_MAX_MKEY 24
#define CXEMU_MAX_INDIRECTION 1
#define CXEMU_MIN_LOG_PAGE 12
#define CXEMU_MAX_LOG_PAGE 30
/* Largest settable limits: the arithmetic on them stays in 64 bits. */
#define CXEMU_MAX_LOG_KLM 20
#define CXEMU_MAX_LOG_MRW 52
/* The null key: any access through it is a translation fault. */
#define CXEMU_NULL_MKEY 0xffffff00U
/* Virtio queues (and MSI-X vectors) per function: 16 queue pairs. */
#define CXEMU_MAX_VQS 32
#define CXEMU_LOG_MAX_VQ_OBJ 8
#define CXEMU_LOG_DOORBELL_STRIDE PAGE_SHIFT
/*
 * Fault injection "opcode" (no mlx5 command has it) of a page tracker's
 * report messages: failing one is an asynchronous tracker error.
 */
#define CXEMU_OP_TRACK_REPORT 0x7f46

/**
 * struct cxemu_limits - limits a test may change (debugfs, within
 *	CXEMU_MAX_LOG_* and the bounds in track.c), reported in the general
 *	device capabilities and the advanced virtualization capabilities
 * @log_max_klm_list_size: most KLM entries of one indirect key (log2)
 * @log_max_mrw_sz: longest memory key (log2 bytes)
 * @pg_track_log_max_num: most page trackers at once (log2)
 * @pg_track_max_num_range: most ranges of one tracker; 0: the function
 *	has no page tracker
 * @pg_track_log_min_addr_space: smallest tracker address space (log2 bytes)
 * @pg_track_log_max_addr_space: largest tracker address space (log2 bytes)
 * @pg_track_log_min_msg_size: smallest report message (log2 bytes)
 * @pg_track_log_max_msg_size: largest report message (log2 bytes)
 * @pg_track_log_min_page_size: smallest tracking page (log2 bytes)
 * @pg_track_log_max_page_size: largest tracking page (log2 bytes)
 */
struct cxemu_limits {
	u8 log_max_klm_list_size;
	u8 log_max_mrw_sz;
	u8 pg_track_log_max_num;
	u8 pg_track_max_num_range;
	u8 pg_track_log_min_addr_space;
	u8 pg_track_log_max_addr_space;
	u8 pg_track_log_min_msg_size;
	u8 pg_track_log_max_msg_size;
	u8 pg_track_log_min_page_size;
	u8 pg_track_log_max_page_size;
};

/* Page tracker limits a debugfs file sets, one &struct cxemu_knob each. */
#define CXEMU_TRACK_KNOBS 8

struct cxemu;

/**
 * struct cxemu_knob - what one limit's debugfs file refers to
 * @emu: the function
 * @index: the limit, an index into track.c's table of them
 */
struct cxemu_knob {
	struct cxemu *emu;
	u8 index;
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
 * @indirect: KLM list
 * @physical: access mode PA: no translation, any RAM
 * @lr: local read allowed
 * @lw: local write allowed
 * @pd: protection domain
 * @start: first address it translates
 * @len: bytes it translates
 * @log_page: MTT page size (log2)
 * @n: entries in @pa or @klm
 * @pa: direct: physical address of each page
 * @klm: indirect: the list, in address order
 * @users: indirect keys and virtio queue objects using this one
 */
struct cxemu_mkey {
	u32 key;
	bool indirect;
	bool physical;
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
 * struct cxemu_vq - a virtio net queue object
 * @emu: its function
 * @id: object id
 * @index: queue_index: even receives, odd sends
 * @state: MLX5_VIRTIO_NET_Q_OBJECT_STATE_*
 * @packed: virtio_q_type packed
 * @msix: event vector; meaningful when @events
 * @events: event mode MSI-X (else no events)
 * @size: queue_size
 * @desc: descriptor area
 * @driver: available (driver) area
 * @device: used (device) area
 * @mkey: the key every access goes through
 * @avail_idx: hw_available_index while not RDY (packed: wrap in bit 15)
 * @used_idx: hw_used_index while not RDY (packed: wrap in bit 15)
 * @error: what sent it to ERR (-errno), 0 otherwise
 * @received: descriptors taken from the ring
 * @completed: descriptors returned used
 * @ring: the ring, valid in RDY
 */
struct cxemu_vq {
	struct cxemu *emu;
	u32 id;
	u16 index;
	u8 state;
	bool packed;
	u32 msix;
	bool events;
	u16 size;
	u64 desc;
	u64 driver;
	u64 device;
	struct cxemu_mkey *mkey;
	u16 avail_idx;
	u16 used_idx;
	int error;
	u64 received;
	u64 completed;
	struct vdpa_devring ring;
};

/**
 * struct cxemu - one emulated function
 * @cx: what the parent driver binds to
 * @lock: see the top of this file
 * @enabled: between ENABLE_HCA and DISABLE_HCA
 * @pds: allocated protection domains (value: xa_mk_value(1))
 * @uars: allocated UARs (value: xa_mk_value(1))
 * @mkeys: memory keys by index
 * @vqs: virtio net queue objects by id
 * @trackers: page tracker objects by id (1..63)
 * @track_rqs: report queue objects by id
 * @track_list: the same trackers, for the datapath to walk
 * @ntrackers: entries in @trackers; the datapath skips logging when 0
 * @track_work: reports of trackers in REPORTING, a bounded batch per run
 * @knobs: the page tracker limits' debugfs files
 * @by_index: the queue object of each queue_index, or NULL
 * @limits: current limits
 * @leaked: objects the driver left at DISABLE_HCA or teardown, ever
 * @debugfs: its debugfs directory
 * @work: the datapath
 * @req: two request buffers of the datapath
 * @bells: doorbell pages, polled while enabled
 * @event_lock: see the top of this file
 * @event_fn: the driver's event handler, or NULL
 * @event_ctx: its argument
 * @port: the host interface the function is cabled to (wire=netdev), or
 *	NULL; cleared under @lock before it is destroyed
 */
struct cxemu {
	struct cxdev cx;
	struct mutex lock;	/* every object, see top of file */
	bool enabled;
	struct xarray pds;
	struct xarray uars;
	struct xarray mkeys;
	struct xarray vqs;
	struct xarray trackers;
	struct xarray track_rqs;
	struct list_head track_list;
	u32 ntrackers;
	struct delayed_work track_work;
	struct cxemu_knob knobs[CXEMU_TRACK_KNOBS];
	struct cxemu_vq *by_index[CXEMU_MAX_VQS];
	struct cxemu_limits limits;
	u64 leaked;
	struct dentry *debugfs;
	struct work_struct work;
	struct vdpa_devring_req *req;
	struct vdpa_devring_bells bells;
	spinlock_t event_lock;	/* the event handler, see top of file */
	cxdev_event_fn event_fn;
	void *event_ctx;
	struct vdpa_devring_port *port;
};

static inline struct cxemu *cx_to_emu(struct cxdev *cx)
{
	return container_of(cx, struct cxemu, cx);
}

/* main.c */
bool cxemu_should_fail(u16 opcode);

/* cmd.c */
int cxemu_init(struct cxemu *emu, u32 poll_us);
void cxemu_teardown(struct cxemu *emu);
int cxemu_exec(struct cxdev *cx, const void *in, size_t inlen, void *out, size_t outlen);
unsigned long cxemu_count(struct cxemu *emu, struct xarray *xa);

/* mkey.c */
u8 cxemu_create_mkey(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		     u32 *syndrome);
u8 cxemu_destroy_mkey(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		      u32 *syndrome);
void cxemu_mkey_free(struct cxemu_mkey *mk);
long cxemu_translate(struct cxemu *emu, u32 key, u64 addr, u64 len, bool write, void **va);
long cxemu_translate_key(struct cxemu_mkey *mk, u64 addr, u64 len, bool write, void **va);
struct cxemu_mkey *cxemu_mkey_find(struct cxemu *emu, u32 key);

/* vq.c */
u8 cxemu_query_emulation_cap(struct cxemu *emu, void *cap);
u8 cxemu_vq_obj(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		u32 *syndrome);
void cxemu_vq_reclaim(struct cxemu *emu);
void cxemu_datapath(struct work_struct *work);
void cxemu_set_events(struct cxdev *cx, cxdev_event_fn fn, void *ctx);
void cxemu_ring(struct cxdev *cx, u16 index);
phys_addr_t cxemu_doorbell(struct cxdev *cx, u16 index);
void cxemu_bell_rang(void *ctx, u16 index);
void cxemu_raise(struct cxemu *emu, enum cxdev_event event, u64 which);

/* track.c */
void cxemu_track_init(struct cxemu *emu);
bool cxemu_track_supported(struct cxemu *emu);
u8 cxemu_track_query_cap(struct cxemu *emu, void *cap, u32 *syndrome);
u8 cxemu_track_obj(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		   u32 *syndrome);
u8 cxemu_track_rq_obj(struct cxemu *emu, const void *in, size_t inlen, void *out, size_t outlen,
		      u32 *syndrome);
void cxemu_track_mark(struct cxemu *emu, u64 iova, u64 len);
void cxemu_track_reclaim(struct cxemu *emu);
void cxemu_track_work(struct work_struct *work);
void cxemu_track_debugfs(struct cxemu *emu, struct dentry *dir);

#if IS_ENABLED(CONFIG_KUNIT)
struct cxdev *cxemu_kunit_new(void);
u64 cxemu_kunit_free(struct cxdev *cx);
long cxemu_kunit_translate(struct cxdev *cx, u32 key, u64 addr, u64 len, bool write,
			   void **va);
struct cxemu_limits *cxemu_kunit_limits(struct cxdev *cx);
void cxemu_kunit_fail(u16 opcode, int skip, int times);
void cxemu_kunit_dirty(struct cxdev *cx, u64 iova, u64 len);
void cxemu_kunit_track_run(struct cxdev *cx);
int cxemu_kunit_track_error(struct cxdev *cx, u32 id);
#endif

#endif /* _CXEMU_H */
