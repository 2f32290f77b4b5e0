;; Reads one byte of stdin, then polls stdin (with a 10 s clock as a
;; fallback), then reads one more byte. Prints the two bytes when the poll
;; reported stdin readable, "T" when only the clock fired.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; "T" for the timeout.
  (data (i32.const 300) "T")
  (func (export "_start")
    ;; iovec at 0: one byte at 100.
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 1))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    ;; Subscription 0 at 200: userdata 1, fd_read on fd 0.
    (i64.store (i32.const 200) (i64.const 1))
    (i32.store8 (i32.const 208) (i32.const 1))
    (i32.store (i32.const 216) (i32.const 0))
    ;; Subscription 1 at 248: userdata 2, monotonic clock, 10 s relative.
    (i64.store (i32.const 248) (i64.const 2))
    (i32.store8 (i32.const 256) (i32.const 0))
    (i32.store (i32.const 264) (i32.const 1))
    (i64.store (i32.const 272) (i64.const 10000000000))
    (drop (call $poll_oneoff (i32.const 200) (i32.const 400) (i32.const 2) (i32.const 480)))
    (if (i64.eq (i64.load (i32.const 400)) (i64.const 1))
      (then
        ;; Stdin is readable: read the second byte at 101, print both.
        (i32.store (i32.const 0) (i32.const 101))
        (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (i32.store (i32.const 0) (i32.const 100))
        (i32.store (i32.const 4) (i32.const 2)))
      (else
        (i32.store (i32.const 0) (i32.const 300))
        (i32.store (i32.const 4) (i32.const 1))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
