/* SPDX-License-Identifier: MIT */
/*
 * The barrier shim: the only place the ring core touches the memory model.
 * The peer is another CPU or the host, never only another thread of the same
 * kernel, so the kernel flavour uses the virt_* barriers, which stay real
 * barriers on uniprocessor builds.
 */
#ifndef VMBNET_VMB_BARRIER_H
#define VMBNET_VMB_BARRIER_H

#ifdef __KERNEL__
#include <asm/barrier.h>
#include <linux/compiler.h>
#define vmb_load_acquire(p) virt_load_acquire((p))
#define vmb_store_release(p, v) virt_store_release((p), (v))
#define vmb_mb() virt_mb()
#define vmb_wmb() virt_wmb()
#define vmb_rmb() virt_rmb()
#define vmb_read_once(x) READ_ONCE(x)
#define vmb_write_once(x, v) WRITE_ONCE(x, v)
#define vmb_compiler_barrier() barrier()
#else
#define vmb_load_acquire(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define vmb_store_release(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define vmb_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
/* Store-store and load-load ordering for seqlock-style records. */
#define vmb_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define vmb_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define vmb_read_once(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define vmb_write_once(x, v) __atomic_store_n(&(x), v, __ATOMIC_RELAXED)
#define vmb_compiler_barrier() __asm__ __volatile__("" ::: "memory")
#endif

#endif /* VMBNET_VMB_BARRIER_H */
