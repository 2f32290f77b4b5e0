;; fd_read from stdin ("abcdef") with the nread pointer, the iovec array or
;; an iovec's buffer out of bounds, straddling the end of the one-page
;; memory, or wrapping past 4 GiB: EFAULT (21), and no input is consumed: the
;; read after the failures gets "def".
;; Exits 21 when every case behaved; otherwise (case << 8) | errno, or
;; (case << 8) | 99 when the data read is wrong.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; iovec 0 at 0: 3 bytes at 256.
  (data (i32.const 0) "\00\01\00\00\03\00\00\00")
  ;; iovec 1 at 16: a buffer straddling the end (65534, 3).
  (data (i32.const 16) "\fe\ff\00\00\03\00\00\00")
  ;; iovec 2 at 24: a buffer wrapping past 4 GiB (0xfffffffe, 3).
  (data (i32.const 24) "\fe\ff\ff\ff\03\00\00\00")

  (func $expect (param $case i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (local.get $got))))))

  (func $read_back (param $case i32) (param $want i32)
    (if (i32.or
          (i32.ne (i32.load (i32.const 256)) (local.get $want))
          (i32.ne (i32.load (i32.const 64)) (i32.const 3)))
      (then (call $proc_exit (i32.or (i32.shl (local.get $case) (i32.const 8)) (i32.const 99))))))

  (func (export "_start")
    (call $expect (i32.const 1) (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 64)) (i32.const 0))
    ;; "abc", then a zero byte.
    (call $read_back (i32.const 1) (i32.const 0x00636261))
    ;; nread pointer.
    (call $expect (i32.const 2) (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 65536)) (i32.const 21))
    (call $expect (i32.const 3) (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 65533)) (i32.const 21))
    (call $expect (i32.const 4) (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const -2)) (i32.const 21))
    ;; iovec array.
    (call $expect (i32.const 5) (call $fd_read (i32.const 0) (i32.const 65532) (i32.const 1) (i32.const 64)) (i32.const 21))
    (call $expect (i32.const 6) (call $fd_read (i32.const 0) (i32.const -8) (i32.const 1) (i32.const 64)) (i32.const 21))
    ;; an iovec's buffer.
    (call $expect (i32.const 7) (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 64)) (i32.const 21))
    (call $expect (i32.const 8) (call $fd_read (i32.const 0) (i32.const 24) (i32.const 1) (i32.const 64)) (i32.const 21))
    ;; Nothing was consumed by the failed calls.
    (call $expect (i32.const 9) (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 64)) (i32.const 0))
    (call $read_back (i32.const 9) (i32.const 0x00666564))
    (call $proc_exit (i32.const 21))))
