;; fd_close takes no pointer: an fd that is not open is EBADF (8) (the host
;; preopens fd 3 only), closing stdout works once, and stdout is then closed
;; for fd_write and fd_close.
;; Exits 8 when every case behaved; otherwise (case << 8) | errno.
(module
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "gone")
  (data (i32.const 0) "\00\01\00\00\04\00\00\00")

  (func $expect (param $case i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (local.get $got))))))

  (func (export "_start")
    (call $expect (i32.const 1) (call $fd_close (i32.const 99)) (i32.const 8))
    (call $expect (i32.const 2) (call $fd_close (i32.const -1)) (i32.const 8))
    (call $expect (i32.const 3) (call $fd_close (i32.const 4)) (i32.const 8))
    (call $expect (i32.const 4) (call $fd_close (i32.const 1)) (i32.const 0))
    (call $expect (i32.const 5) (call $fd_close (i32.const 1)) (i32.const 8))
    (call $expect (i32.const 6) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 64)) (i32.const 8))
    (call $proc_exit (i32.const 8))))
