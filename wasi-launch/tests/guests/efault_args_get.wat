;; args_get with the argv array or the string buffer out of bounds,
;; straddling the end of the one-page memory, or wrapping past 4 GiB:
;; EFAULT (21), and nothing is written to the other, good range.
;; The host gives at least two args, so the buffer holds more than one byte.
;; Exits 21 when every case behaved; otherwise (case << 8) | errno, or
;; (case << 8) | 99 when a failed call wrote to the good range.
(module
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $expect (param $case i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (local.get $got))))))

  ;; Exits with (case << 8) | 99 unless the word at 1024 and at 2048 still
  ;; holds the sentinel.
  (func $untouched (param $case i32)
    (if (i32.or
          (i32.ne (i32.load (i32.const 1024)) (i32.const 0x5a5a5a5a))
          (i32.ne (i32.load (i32.const 2048)) (i32.const 0x5a5a5a5a)))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (i32.const 99))))))

  (func $sentinels
    (i32.store (i32.const 1024) (i32.const 0x5a5a5a5a))
    (i32.store (i32.const 2048) (i32.const 0x5a5a5a5a)))

  (func (export "_start")
    ;; Good pointers succeed.
    (call $expect (i32.const 1) (call $args_get (i32.const 1024) (i32.const 2048)) (i32.const 0))
    (call $sentinels)
    ;; argv array: past the end, straddling the end, wrapping.
    (call $expect (i32.const 2) (call $args_get (i32.const 65536) (i32.const 2048)) (i32.const 21))
    (call $untouched (i32.const 2))
    (call $expect (i32.const 3) (call $args_get (i32.const 65533) (i32.const 2048)) (i32.const 21))
    (call $untouched (i32.const 3))
    (call $expect (i32.const 4) (call $args_get (i32.const -4) (i32.const 2048)) (i32.const 21))
    (call $untouched (i32.const 4))
    ;; string buffer.
    (call $expect (i32.const 5) (call $args_get (i32.const 1024) (i32.const 65536)) (i32.const 21))
    (call $untouched (i32.const 5))
    (call $expect (i32.const 6) (call $args_get (i32.const 1024) (i32.const 65535)) (i32.const 21))
    (call $untouched (i32.const 6))
    (call $expect (i32.const 7) (call $args_get (i32.const 1024) (i32.const -1)) (i32.const 21))
    (call $untouched (i32.const 7))
    ;; both.
    (call $expect (i32.const 8) (call $args_get (i32.const -1) (i32.const -1)) (i32.const 21))
    (call $proc_exit (i32.const 21))))
