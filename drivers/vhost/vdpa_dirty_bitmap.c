// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_vdpa dirty-log bitmaps: a parent's dirty-page report written
 * straight into the bitmap of VHOST_VDPA_DIRTY_LOG_REPORT
 * (include/uapi/linux/vhost_vdpa_dirty.h) in user memory.
 *
 * A report may cover terabytes of IOVA, so its bitmap may be far larger
 * than anything worth pinning at once, and the parent hands out its pages
 * with its own locks held, where nothing may fault or sleep. So the range
 * is cut into windows: the bitmap pages one window's bits live in are
 * pinned first, then the parent reports that window's sub-range, and each
 * page it marks sets bits through a kernel mapping of a pinned page.
 *
 * The bitmap is the uAPI's: __u64 words in the CPU's byte order, bit
 * n % 64 of word n / 64 for the page at iova + n * page_size. Bits are
 * only ever set, one atomic OR per word, because the same writer is meant
 * to fill QEMU's vhost log, which QEMU reads and clears with an atomic
 * exchange per word while the device runs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/container_of.h>
#include <linux/export.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vhost_vdpa.h"

#define VHOST_VDPA_WORD_BITS BITS_PER_TYPE(u64)

/**
 * struct vhost_vdpa_bitmap_window - the part of a report pinned right now
 * @sink: what the parent marks pages through; embedded so that mark()
 *	finds the window without a global
 * @pages: the pinned bitmap pages, in user address order
 * @base: user address of the start of @pages[0] (page aligned)
 * @bitmap: user address of the report's bitmap (its bit 0)
 * @iova: IOVA of the report's bit 0
 * @shift: log2 of the report page size
 * @first: first IOVA of the window
 * @last: last IOVA of the window, inclusive: a range may end at 2^64,
 *	which no exclusive end can say
 * @err: the first error a mark() of this window returned, kept so that
 *	a parent that drops it cannot turn a broken report into a good one
 */
struct vhost_vdpa_bitmap_window {
	struct vdpa_dirty_sink sink;
	struct page **pages;
	unsigned long base;
	unsigned long bitmap;
	u64 iova;
	unsigned int shift;
	u64 first;
	u64 last;
	int err;
};

/**
 * vhost_vdpa_sink_to_window() - the window a sink belongs to
 * @sink: &vhost_vdpa_bitmap_window.sink
 *
 * Return: the window.
 */
static struct vhost_vdpa_bitmap_window *vhost_vdpa_sink_to_window(struct vdpa_dirty_sink *sink)
{
	return container_of(sink, struct vhost_vdpa_bitmap_window, sink);
}

/**
 * vhost_vdpa_bitmap_set() - set a run of bits in the pinned pages
 * @w: the window
 * @bit: first bit to set, counted from the report's bit 0
 * @last: last bit to set (inclusive); @bit and @last lie in @w
 *
 * A run may cover many words and several pages (a tracking page much
 * larger than the report page): each page is mapped once, and each word
 * gets a single OR with the bits of the run it holds, a full mask in the
 * middle of the run. An OR never clears a bit that is set, neither one a
 * previous report left nor one of the words shared with a neighbouring
 * window, and never touches bits outside the run.
 *
 * Context: any; does not sleep or fault (the pages are pinned).
 */
static void vhost_vdpa_bitmap_set(struct vhost_vdpa_bitmap_window *w, u64 bit, u64 last)
{
	while (bit <= last) {
		unsigned long uaddr = w->bitmap + (bit / VHOST_VDPA_WORD_BITS) * sizeof(u64);
		unsigned long off = offset_in_page(uaddr);
		void *kaddr = kmap_local_page(w->pages[(uaddr - w->base) >> PAGE_SHIFT]);

		/* The bitmap is 8-byte aligned: no word straddles two pages. */
		do {
			u64 end = min(last, bit | (VHOST_VDPA_WORD_BITS - 1));
			u64 mask = GENMASK_ULL(end % VHOST_VDPA_WORD_BITS,
					       bit % VHOST_VDPA_WORD_BITS);

			/*
			 * unsigned long is the uAPI's u64 word only on a
			 * 64-bit kernel (checked at build time in
			 * vhost_vdpa_bitmap_fill()).
			 */
			atomic_long_or((long)mask, (atomic_long_t *)(kaddr + off));
			bit = end + 1;
			off += sizeof(u64);
		} while (bit <= last && off < PAGE_SIZE);
		kunmap_local(kaddr);
	}
}

/**
 * vhost_vdpa_bitmap_mark() - &vdpa_dirty_sink.mark of a report window
 * @sink: the window's sink
 * @iova: first byte written
 * @length: bytes
 *
 * Sets the bit of every report page [@iova, @iova + @length) touches: a
 * tracking page larger than the report page sets several bits, several
 * smaller ones in one report page set the same bit.
 *
 * Context: any; the parent calls it with its locks held. Does not sleep
 * or fault.
 * Return: 0, or -EINVAL when the range is empty or leaves the window.
 */
static int vhost_vdpa_bitmap_mark(struct vdpa_dirty_sink *sink, u64 iova, u64 length)
{
	struct vhost_vdpa_bitmap_window *w = vhost_vdpa_sink_to_window(sink);

	/*
	 * A parent bug, but one the KUnit suite provokes on purpose and
	 * whose only harm is a failed report: no WARN (a test run fails on
	 * any), and nothing written, not even the part inside the window.
	 */
	if (!length || iova < w->first || iova > w->last || length - 1 > w->last - iova) {
		pr_warn_ratelimited("dirty page [%#llx, +%#llx) outside the report window [%#llx, %#llx]\n",
				    iova, length, w->first, w->last);
		if (!w->err)
			w->err = -EINVAL;
		return -EINVAL;
	}
	/*
	 * A parent that writes guest memory from the CPU (a queue it runs in
	 * software) marks after writing: whoever reads the bit must find the
	 * data, so the bit may not become visible first.
	 */
	smp_mb__before_atomic();
	vhost_vdpa_bitmap_set(w, (iova - w->iova) >> w->shift,
			      (iova + (length - 1) - w->iova) >> w->shift);
	return 0;
}

/**
 * vhost_vdpa_bitmap_fill() - run a dirty report into a user bitmap
 * @bitmap: user address of the bitmap, 8-byte aligned: u64 words, bit
 *	n % 64 of word n / 64 is the page at @iova + n * @page_size
 * @iova: first byte of the range
 * @length: bytes (> 0); the range may end at 2^64
 * @page_size: report page size, a power of two >= 4096 (up to 2^63)
 * @track_page: the tracker's page size, a power of two; the range is
 *	aligned to it and to @page_size
 * @report: called once per window with the window's sub-range
 *	[wiova, wiova + wlen) (aligned to @track_page and @page_size; the
 *	windows tile the range in order) and a sink whose mark() sets the
 *	bits of the pages it is given. Its error ends the call.
 * @arg: passed to @report
 * @touched: set to true (never cleared) before @report is first called:
 *	the parent's log may then be partly cleared, so the caller turns a
 *	later error into a sticky tracker error
 *
 * Before @report runs for a window, all the bitmap pages that window's
 * bits live in are pinned (at most %VHOST_VDPA_BITMAP_WINDOW_PAGES, unless
 * a single tracking page needs more), so mark() neither faults nor
 * sleeps; they are unpinned, dirty, when @report returns.
 *
 * Context: process context of the bitmap's owner (pages are pinned in
 * current->mm); sleeps. Pinning may take that mm's mmap_lock, which nests
 * outside vhost_vdpa.lock: call this without vhost_vdpa.lock and let
 * @report take it for each window.
 * Return: 0 or -errno: -EFAULT when the bitmap is not writable (or not
 * pinnable) memory, -ENOMEM, -EINTR on a fatal signal between two
 * windows, the error of @report, or the first error of a mark() (even if
 * @report returned 0); -EINVAL for arguments only a caller bug can give.
 */
int vhost_vdpa_bitmap_fill(u64 __user *bitmap, u64 iova, u64 length, u64 page_size,
			   u64 track_page,
			   int (*report)(void *arg, u64 iova, u64 length,
					 struct vdpa_dirty_sink *sink),
			   void *arg, bool *touched)
{
	struct vhost_vdpa_bitmap_window w = {
		.sink.mark = vhost_vdpa_bitmap_mark,
		.bitmap = (unsigned long)bitmap,
		.iova = iova,
	};
	u64 gbits, nbits, bit, wbits, total_pages, max_pages;
	struct page **pages;
	int ret = 0;

	/* The words are set with atomic_long_or(): a long must be the u64. */
	BUILD_BUG_ON(sizeof(long) != sizeof(u64));

	/* The ioctl checked what userspace gave; these can only be our bugs. */
	if (WARN_ON_ONCE(!length || !is_power_of_2(page_size) || page_size < SZ_4K ||
			 !is_power_of_2(track_page) ||
			 ((iova | length) & (page_size - 1)) ||
			 ((iova | length) & (track_page - 1)) ||
			 iova + (length - 1) < iova ||
			 w.bitmap % sizeof(u64)))
		return -EINVAL;

	w.shift = ilog2(page_size);
	/*
	 * Every quantity below is bounded by the range: nbits <= 2^52 (pages
	 * of at least 4 KiB), and bit << shift never exceeds length, so no
	 * product can overflow.
	 */
	nbits = length >> w.shift;
	/* Bits per tracking page (1 when a report page holds several). */
	gbits = max(page_size, track_page) >> w.shift;

	/* Also bounds every user address computed from the bitmap below. */
	if (!access_ok(bitmap, DIV_ROUND_UP(nbits, VHOST_VDPA_WORD_BITS) * sizeof(u64)))
		return -EFAULT;

	/*
	 * Page pointers for the largest window: a default one, or one
	 * tracking page's bits, whichever is more (those can start anywhere
	 * in a page, hence + 2), but never more than the bitmap spans.
	 */
	total_pages = ((w.bitmap + ((nbits - 1) / VHOST_VDPA_WORD_BITS) * sizeof(u64)) >>
		       PAGE_SHIFT) - (w.bitmap >> PAGE_SHIFT) + 1;
	max_pages = max_t(u64, VHOST_VDPA_BITMAP_WINDOW_PAGES,
			  gbits / BITS_PER_BYTE / PAGE_SIZE + 2);
	max_pages = min(max_pages, total_pages);
	/* pin_user_pages_fast() takes an int; kvmalloc() warns above INT_MAX. */
	if (max_pages > INT_MAX / sizeof(*pages))
		return -ENOMEM;
	pages = kvmalloc_array(max_pages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return -ENOMEM;
	w.pages = pages;

	for (bit = 0; bit < nbits; bit += wbits) {
		unsigned long start = w.bitmap + (bit / VHOST_VDPA_WORD_BITS) * sizeof(u64);
		unsigned long end, span;
		int npages, pinned;
		u64 held;

		/* A report of a huge range must not outlive its caller. */
		if (bit && fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();

		/*
		 * The window starts with the page of the word holding its
		 * first bit and takes the whole tracking pages whose bits a
		 * default window of pages holds. A tracking page needing more
		 * bits than that (a huge tracking page over a small report
		 * page) cannot be split, since the parent reports whole
		 * tracking pages: the window then grows to exactly one.
		 */
		w.base = start & PAGE_MASK;
		held = (u64)(w.base + VHOST_VDPA_BITMAP_WINDOW_PAGES * PAGE_SIZE - start) *
		       BITS_PER_BYTE - bit % VHOST_VDPA_WORD_BITS;
		wbits = round_down(held, gbits);
		if (!wbits)
			wbits = gbits;
		/* The range is a whole number of tracking pages: stays aligned. */
		wbits = min(wbits, nbits - bit);

		end = w.bitmap + ((bit + wbits - 1) / VHOST_VDPA_WORD_BITS) * sizeof(u64);
		span = ((end - w.base) >> PAGE_SHIFT) + 1;
		if (WARN_ON_ONCE(span > max_pages)) {
			ret = -EINVAL;
			break;
		}
		npages = span;
		pinned = pin_user_pages_fast(w.base, npages, FOLL_WRITE, pages);
		if (pinned != npages) {
			/* All or nothing: mark() may need any of them. */
			if (pinned > 0)
				unpin_user_pages(pages, pinned);
			ret = pinned < 0 ? pinned : -EFAULT;
			break;
		}

		w.first = iova + (bit << w.shift);
		w.last = w.first + ((wbits << w.shift) - 1);
		w.err = 0;
		*touched = true;
		ret = report(arg, w.first, wbits << w.shift, &w.sink);
		unpin_user_pages_dirty_lock(pages, npages, true);
		if (!ret)
			ret = w.err;
		if (ret)
			break;
	}

	kvfree(pages);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vhost_vdpa_bitmap_fill);
