;; args_sizes_get with each pointer out of bounds, straddling the end of the
;; one-page memory, or wrapping past 4 GiB: EFAULT (21) every time.
;; Exits 21 when every case behaved; otherwise (case << 8) | errno.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $expect (param $case i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (local.get $got))))))

  (func (export "_start")
    ;; Good pointers succeed.
    (call $expect (i32.const 1) (call $args_sizes_get (i32.const 0) (i32.const 4)) (i32.const 0))
    ;; argc pointer: past the end, straddling the end, wrapping.
    (call $expect (i32.const 2) (call $args_sizes_get (i32.const 65536) (i32.const 4)) (i32.const 21))
    (call $expect (i32.const 3) (call $args_sizes_get (i32.const 65533) (i32.const 4)) (i32.const 21))
    (call $expect (i32.const 4) (call $args_sizes_get (i32.const -1) (i32.const 4)) (i32.const 21))
    ;; buffer-size pointer.
    (call $expect (i32.const 5) (call $args_sizes_get (i32.const 0) (i32.const 65536)) (i32.const 21))
    (call $expect (i32.const 6) (call $args_sizes_get (i32.const 0) (i32.const 65533)) (i32.const 21))
    (call $expect (i32.const 7) (call $args_sizes_get (i32.const 0) (i32.const -2)) (i32.const 21))
    (call $proc_exit (i32.const 21))))
