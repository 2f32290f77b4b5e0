;; fd_write to stdout with the nwritten pointer, the iovec array or an iovec's
;; buffer out of bounds, straddling the end of the one-page memory, or
;; wrapping past 4 GiB: EFAULT (21), and nothing is written. Only the first,
;; good call writes: the host checks that stdout holds exactly "hello".
;; Exits 21 when every case behaved; otherwise (case << 8) | errno.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "hello")
  ;; iovec 0 at 0: the good buffer.
  (data (i32.const 0) "\00\01\00\00\05\00\00\00")
  ;; iovec 1 at 16: a buffer straddling the end (65530, 10).
  (data (i32.const 16) "\fa\ff\00\00\0a\00\00\00")
  ;; iovec 2 at 24: a buffer wrapping past 4 GiB (0xffffffff, 2).
  (data (i32.const 24) "\ff\ff\ff\ff\02\00\00\00")
  ;; iovec 3 at 32: a buffer starting past the end (65536, 1).
  (data (i32.const 32) "\00\00\01\00\01\00\00\00")

  (func $expect (param $case i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (local.get $got))))))

  (func (export "_start")
    (call $expect (i32.const 1) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 64)) (i32.const 0))
    ;; nwritten pointer.
    (call $expect (i32.const 2) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 65536)) (i32.const 21))
    (call $expect (i32.const 3) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 65533)) (i32.const 21))
    (call $expect (i32.const 4) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const -1)) (i32.const 21))
    ;; iovec array.
    (call $expect (i32.const 5) (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 64)) (i32.const 21))
    (call $expect (i32.const 6) (call $fd_write (i32.const 1) (i32.const -8) (i32.const 1) (i32.const 64)) (i32.const 21))
    (call $expect (i32.const 7) (call $fd_write (i32.const 1) (i32.const 65528) (i32.const 2) (i32.const 64)) (i32.const 21))
    ;; an iovec's buffer.
    (call $expect (i32.const 8) (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 64)) (i32.const 21))
    (call $expect (i32.const 9) (call $fd_write (i32.const 1) (i32.const 24) (i32.const 1) (i32.const 64)) (i32.const 21))
    (call $expect (i32.const 10) (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 64)) (i32.const 21))
    (call $proc_exit (i32.const 21))))
