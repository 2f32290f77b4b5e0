;; fd_seek on stdio with the 8-byte result out of bounds, straddling the end
;; of the one-page memory, or wrapping past 4 GiB: EFAULT (21). With a good
;; pointer the answer is whatever seeking a stream gives, but not EFAULT.
;; Exits 21 when every case behaved; otherwise (case << 8) | errno.
(module
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $expect (param $case i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (local.get $got))))))

  (func (export "_start")
    (local $errno i32)
    (local.set $errno (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 1) (i32.const 0)))
    (if (i32.eq (local.get $errno) (i32.const 21))
      (then (call $proc_exit (i32.const 0x115))))
    (call $expect (i32.const 2) (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 1) (i32.const 65536)) (i32.const 21))
    (call $expect (i32.const 3) (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 65529)) (i32.const 21))
    (call $expect (i32.const 4) (call $fd_seek (i32.const 0) (i64.const 5) (i32.const 2) (i32.const -1)) (i32.const 21))
    (call $expect (i32.const 5) (call $fd_seek (i32.const 2) (i64.const -1) (i32.const 1) (i32.const -8)) (i32.const 21))
    (call $proc_exit (i32.const 21))))
