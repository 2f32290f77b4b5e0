;; sched_yield takes no argument and always succeeds.
;; Exits with the errno of the last call (0) when every call returned 0;
;; otherwise (case << 8) | errno.
(module
  (import "wasi_snapshot_preview1" "sched_yield" (func $sched_yield (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $expect (param $case i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (local.get $got))))))

  (func (export "_start")
    (local $i i32)
    (loop $again
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (call $expect (local.get $i) (call $sched_yield) (i32.const 0))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 3))))
    (call $proc_exit (call $sched_yield))))
