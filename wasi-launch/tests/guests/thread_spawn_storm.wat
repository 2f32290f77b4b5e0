;; wasi-threads: a spawn storm. Every thread returns at once while
;; `_start` spawns the next, 3,000 times; a spawn refused with EAGAIN (a
;; thread still holds its task permit) is retried after a sched_yield.
;; Exits 0 when all 3,000 spawns succeeded, 1 on any other error.
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (memory (import "env" "memory") 1 1 shared)
  (export "memory" (memory 0))
  (func (export "wasi_thread_start") (param i32 i32))
  (func (export "_start") (local $n i32) (local $r i32)
    (loop $next
      (local.set $r (call $spawn (i32.const 0)))
      (if (i32.le_s (local.get $r) (i32.const 0))
        (then
          ;; -6 is EAGAIN: retry; anything else fails the run.
          (if (i32.ne (local.get $r) (i32.const -6)) (then (call $exit (i32.const 1))))
          (drop (call $yield))
          (br $next)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $n) (i32.const 3000))))
    (call $exit (i32.const 0))))
