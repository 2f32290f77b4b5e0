;; random_get with a buffer that runs past the end of the one-page memory or
;; wraps past 4 GiB: EFAULT (21), and no byte of the good part is written.
;; Exits 21 when every case behaved; otherwise (case << 8) | errno, or
;; (case << 8) | 99 when a failed call wrote into the memory.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $expect (param $case i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (local.get $got))))))

  (func (export "_start")
    (call $expect (i32.const 1) (call $random_get (i32.const 0) (i32.const 16)) (i32.const 0))
    ;; An empty buffer right at the end is inside the memory.
    (call $expect (i32.const 2) (call $random_get (i32.const 65536) (i32.const 0)) (i32.const 0))
    (call $expect (i32.const 3) (call $random_get (i32.const 65530) (i32.const 10)) (i32.const 21))
    ;; The six bytes before the end are still zero.
    (if (i64.ne (i64.load (i32.const 65528)) (i64.const 0))
      (then (call $proc_exit (i32.const 0x399))))
    (call $expect (i32.const 4) (call $random_get (i32.const 65537) (i32.const 0)) (i32.const 21))
    (call $expect (i32.const 5) (call $random_get (i32.const 0) (i32.const 65537)) (i32.const 21))
    (call $expect (i32.const 6) (call $random_get (i32.const -1) (i32.const 1)) (i32.const 21))
    (call $expect (i32.const 7) (call $random_get (i32.const 16) (i32.const -1)) (i32.const 21))
    (call $proc_exit (i32.const 21))))
