// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa_devring doorbells: notification areas for software devices.
 *
 * Real hardware traps a write to its doorbell register. A software
 * device cannot trap a store into a page mapped into some process, so
 * its doorbell "register" is the first 32-bit word of an ordinary page
 * that reads VDPA_DEVRING_BELL_IDLE while nobody has rung. A driver
 * rings by storing its notification (the virtqueue index, or the
 * notification data) there, as it would to a virtio-pci notify address;
 * the device polls the words on a timer and swaps them back to idle, so
 * two rings between polls coalesce into one kick, which is what a
 * doorbell promises anyway. Polling starts only once an area was handed
 * out (someone may ring it) and the owner says the device runs.
 */
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vdpa.h>
#include <linux/vdpa_devring.h>

static enum hrtimer_restart vdpa_devring_bells_poll(struct hrtimer *timer)
{
	struct vdpa_devring_bells *b = container_of(timer, struct vdpa_devring_bells, timer);
	struct page *page;
	u32 *word;
	u32 i;

	for (i = 0; i < b->n; i++) {
		page = READ_ONCE(b->pages[i]);
		if (!page)
			continue;
		word = page_address(page);
		if (READ_ONCE(*word) != VDPA_DEVRING_BELL_IDLE &&
		    xchg(word, VDPA_DEVRING_BELL_IDLE) != VDPA_DEVRING_BELL_IDLE)
			b->ring(b->ctx, i);
	}
	/* start() never runs concurrently: stop() cancels before it. */
	if (!READ_ONCE(b->polling))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, b->period);
	return HRTIMER_RESTART;
}

/**
 * vdpa_devring_bells_init() - set up the doorbells of a software device
 * @b: the doorbells
 * @n: number of virtqueues, one doorbell page each
 * @period_us: polling period in microseconds (nonzero)
 * @ring: called from the polling timer (softirq context) for each
 *	virtqueue whose doorbell was rung since the last poll
 * @ctx: argument of @ring
 *
 * Pages are allocated when first handed out (vdpa_devring_bells_area()).
 *
 * Return: 0, or -ENOMEM.
 */
int vdpa_devring_bells_init(struct vdpa_devring_bells *b, u32 n, u32 period_us,
			    void (*ring)(void *ctx, u16 idx), void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->pages = kcalloc(n, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages)
		return -ENOMEM;
	b->n = n;
	b->period = ns_to_ktime((u64)period_us * NSEC_PER_USEC);
	b->ring = ring;
	b->ctx = ctx;
	hrtimer_init(&b->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	b->timer.function = vdpa_devring_bells_poll;
	return 0;
}
EXPORT_SYMBOL_GPL(vdpa_devring_bells_init);

/**
 * vdpa_devring_bells_destroy() - stop polling and free the pages
 * @b: the doorbells
 *
 * Nothing may map the pages any more: the bus driver that mapped them
 * has unmapped them by the time the device is released.
 */
void vdpa_devring_bells_destroy(struct vdpa_devring_bells *b)
{
	u32 i;

	if (!b->pages)
		return;
	vdpa_devring_bells_stop(b);
	for (i = 0; i < b->n; i++)
		if (b->pages[i])
			__free_page(b->pages[i]);
	kfree(b->pages);
	b->pages = NULL;
}
EXPORT_SYMBOL_GPL(vdpa_devring_bells_destroy);

/**
 * vdpa_devring_bells_area() - the doorbell of a virtqueue, for mapping
 * @b: the doorbells
 * @idx: the virtqueue
 *
 * Allocates the page on first use; from then on the owner's
 * vdpa_devring_bells_start() polls it.
 *
 * Context: process context; the owner serialises this with start/stop.
 * Return: the page as a notification area, or size 0 when @idx is out of
 * range or no memory is left.
 */
struct vdpa_notification_area vdpa_devring_bells_area(struct vdpa_devring_bells *b, u16 idx)
{
	struct vdpa_notification_area area = {};
	struct page *page;

	if (!b->pages || idx >= b->n)
		return area;
	page = b->pages[idx];
	if (!page) {
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!page)
			return area;
		*(u32 *)page_address(page) = VDPA_DEVRING_BELL_IDLE;
		/* The poll reads the slot locklessly: publish a ready page. */
		smp_store_release(&b->pages[idx], page);
		b->handed_out = true;
	}
	area.addr = page_to_phys(page);
	area.size = PAGE_SIZE;
	return area;
}
EXPORT_SYMBOL_GPL(vdpa_devring_bells_area);

/**
 * vdpa_devring_bells_start() - poll the doorbells (the device runs)
 * @b: the doorbells
 *
 * Does nothing until an area was handed out (or without doorbells). A
 * ring that came while the device was stopped is seen by the first poll.
 *
 * Context: process context; the owner serialises start and stop.
 */
void vdpa_devring_bells_start(struct vdpa_devring_bells *b)
{
	if (!b->pages || !b->handed_out || READ_ONCE(b->polling))
		return;
	WRITE_ONCE(b->polling, true);
	hrtimer_start(&b->timer, b->period, HRTIMER_MODE_REL_SOFT);
}
EXPORT_SYMBOL_GPL(vdpa_devring_bells_start);

/**
 * vdpa_devring_bells_stop() - stop polling (the device stopped)
 * @b: the doorbells
 *
 * Waits for a poll in progress: @b's ring callback is not running when
 * this returns.
 *
 * Context: process context; the owner serialises start and stop.
 */
void vdpa_devring_bells_stop(struct vdpa_devring_bells *b)
{
	if (!b->pages)
		return;
	WRITE_ONCE(b->polling, false);
	hrtimer_cancel(&b->timer);
}
EXPORT_SYMBOL_GPL(vdpa_devring_bells_stop);
